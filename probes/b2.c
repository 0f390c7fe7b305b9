/*
 * b2: freshness of the newest backup in a Backblaze B2 bucket.
 *
 * authorize -> bucket id (the restricted key's, else b2_list_buckets) ->
 * b2_list_file_names per prefix, every page to the end.  list_file_names
 * shows only the newest version of each name and never a hidden file or
 * an unfinished large file, which is what a restore could use.  Names must
 * end in --suffix (".tar.gpg": the file list uploaded beside each archive
 * is not a backup).
 *
 * Age is measured against the local clock, or against B2's Date header
 * when the two differ by more than ten minutes (b2sdk's clock-skew
 * limit), so a wrong local clock cannot make a stale backup look fresh.
 * The upper bound of an age range counts as reached: with -c 48 a backup
 * exactly 48 h old is CRITICAL, as the design says ("48 hours or more").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b2.h"
#include "probe.h"
#include "util.h"

#define B2_PROBE_KEEP 32 /* newest backups kept for the report */
#define B2_SKEW_MAX 600.0 /* seconds */

static const struct option_spec b2_option_specs[] = {
	{ "bucket", 'b', OPT_STRING, "NAME", NULL, 0, -1,
	    "bucket holding the backups" },
	{ "prefix", 'p', OPT_LIST, "PREFIX", NULL, 0, -1,
	    "name prefix of the backups (repeatable, e.g. daily_ and "
	    "monthly_); default: the whole bucket" },
	{ "suffix", 0, OPT_STRING, "SUFFIX", ".tar.gpg", 0, -1,
	    "only names ending in SUFFIX count (\"\" for any)" },
	{ "key-id", 0, OPT_STRING, "ID", NULL, 0, -1, "B2 application key ID" },
	{ "key-file", 0, OPT_STRING, "FILE", NULL, 0, -1,
	    "file holding the application key (mode 0600 or stricter)" },
	{ "api-url", 0, OPT_STRING, "URL", B2_DEFAULT_API_URL, 0, -1,
	    "B2 authorize base URL" },
	{ "ca-file", 0, OPT_STRING, "FILE", NULL, 0, -1,
	    "CA bundle for B2's TLS certificates (default: the system's)" },
	{ "warning", 'w', OPT_RANGE, "HOURS", "26", 0, -1,
	    "WARNING when the newest backup's age in hours is outside RANGE" },
	{ "critical", 'c', OPT_RANGE, "HOURS", "48", 0, -1,
	    "CRITICAL when the newest backup's age in hours is outside RANGE" },
	{ "size-warning", 0, OPT_RANGE, "PERCENT", "50:", 0, -1,
	    "WARNING when the newest backup's size in % of the previous one "
	    "is outside RANGE" },
	{ "size-critical", 0, OPT_RANGE, "PERCENT", NULL, 0, -1,
	    "CRITICAL when the newest backup's size in % of the previous one "
	    "is outside RANGE" },
	{ "show", 0, OPT_INT, "N", "5", 0, B2_PROBE_KEEP,
	    "list the N newest backups in the long output" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

struct b2_scan {
	const char *suffix;
	size_t suffix_len;
	long count;
	size_t kept;
	struct b2_file newest[B2_PROBE_KEEP]; /* newest first */
};

/* Keep the B2_PROBE_KEEP newest backups, newest first. */
static int
b2_scan_file(const struct b2_file *f, void *arg)
{
	struct b2_scan *s = arg;
	size_t len = strlen(f->name), i;

	if (strcmp(f->action, "upload") != 0)
		return 0;
	if (len < s->suffix_len ||
	    strcmp(f->name + len - s->suffix_len, s->suffix) != 0)
		return 0;
	s->count++;
	for (i = 0; i < s->kept; i++)
		if (f->upload_ms > s->newest[i].upload_ms)
			break;
	if (i >= B2_PROBE_KEEP)
		return 0;
	if (s->kept < B2_PROBE_KEEP)
		s->kept++;
	memmove(&s->newest[i + 1], &s->newest[i],
	    (s->kept - 1 - i) * sizeof(s->newest[0]));
	s->newest[i] = *f;
	return 0;
}

static enum probe_reason
b2_reason(enum b2_error_kind kind)
{
	switch (kind) {
	case B2_ERR_AUTH:
		return REASON_AUTH;
	case B2_ERR_TIMEOUT:
		return REASON_TIMEOUT;
	case B2_ERR_CONNECT:
		return REASON_CONNECT;
	case B2_ERR_PROTOCOL:
		return REASON_PROTOCOL;
	case B2_ERR_REQUEST:
	case B2_ERR_BUSY:
		return REASON_STATUS;
	default:
		return REASON_INTERNAL;
	}
}

/* A prefix covered by a shorter one given too would list names twice. */
static bool
b2_prefix_redundant(const struct args *a, size_t idx)
{
	const char *p = args_list_item(a, "prefix", idx);
	size_t n = args_list_count(a, "prefix");

	for (size_t j = 0; j < n; j++) {
		const char *q = args_list_item(a, "prefix", j);

		if (j == idx || strncmp(p, q, strlen(q)) != 0)
			continue;
		if (strlen(q) < strlen(p) || j < idx)
			return true;
	}
	return false;
}

/* Nagios ranges are inclusive; an age that reaches the upper bound of a
 * plain "N" / "A:B" range counts as past it. */
static void
b2_age_bound(struct probe_result *res, const struct metric *m)
{
	if (m->crit.set && !m->crit.inside && isfinite(m->crit.end) &&
	    m->value >= m->crit.end)
		result_raise(res, STATE_CRITICAL, REASON_THRESHOLD, NULL);
	else if (m->warn.set && !m->warn.inside && isfinite(m->warn.end) &&
	    m->value >= m->warn.end)
		result_raise(res, STATE_WARNING, REASON_THRESHOLD, NULL);
}

static void
b2_format_time(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		str_copy(buf, "?", size);
}

static void
b2_report(const struct probe_run *run, struct b2_scan *s, double now,
    bool skewed, struct probe_result *res)
{
	const struct b2_file *n = &s->newest[0];
	struct metric *m, *age;
	char when[32], size[32], change[48];
	double hours, ratio = NAN;
	long show = args_int(run->args, "show");

	hours = (now * 1000.0 - (double)n->upload_ms) / 3600000.0;
	if (hours < 0)
		hours = 0;
	if (s->kept > 1 && s->newest[1].size > 0)
		ratio = 100.0 * (double)n->size / (double)s->newest[1].size;
	format_number(size, sizeof(size), (double)n->size);
	if (isnan(ratio))
		str_copy(change, "", sizeof(change));
	else
		snprintf(
		    change, sizeof(change), " (%.0f%% of the previous)", ratio);
	result_set(res, STATE_OK, REASON_NONE,
	    "newest backup %s is %.1f h "
	    "old, %s B%s, %ld backups",
	    n->name, hours, size, change, s->count);

	age = result_metric(res, "age_hours", hours, "", DS_GAUGE);
	if (age != NULL) {
		age->has_min = true;
		args_range(run->args, "warning", &age->warn);
		args_range(run->args, "critical", &age->crit);
	}
	m = result_metric(res, "size", (double)n->size, "B", DS_GAUGE);
	if (m != NULL) {
		m->has_min = true;
	}
	m = result_metric(res, "count", (double)s->count, "", DS_GAUGE);
	if (m != NULL)
		m->has_min = true;
	m = result_metric(
	    res, "size_ratio", isnan(ratio) ? 0 : ratio, "%", DS_GAUGE);
	if (m != NULL) {
		m->unknown = isnan(ratio);
		m->has_min = true;
		args_range(run->args, "size-warning", &m->warn);
		args_range(run->args, "size-critical", &m->crit);
	}
	result_apply_thresholds(res);
	if (age != NULL)
		b2_age_bound(res, age);
	if (skewed)
		result_long(res,
		    "local clock differs from B2's by more than "
		    "%.0f s: ages use B2's clock",
		    B2_SKEW_MAX);
	for (size_t i = 0; i < s->kept && i < (size_t)show; i++) {
		b2_format_time(s->newest[i].upload_ms, when, sizeof(when));
		format_number(size, sizeof(size), (double)s->newest[i].size);
		result_long(res, "%s  %s B  %s", when, size, s->newest[i].name);
	}
}

static int
b2_run(const struct probe_run *run, struct probe_result *res)
{
	struct b2_client *c = NULL;
	struct b2_scan *s = NULL;
	const char *bucket, *key_id, *key_file, *prefix;
	char key[512], err[256], bucket_id[B2_ID_MAX];
	struct b2_options opt = { 0 };
	struct timespec ts;
	double now, server;
	bool skewed = false;
	size_t i, np;

	key[0] = '\0';
	bucket = args_string(run->args, "bucket");
	key_id = args_string(run->args, "key-id");
	key_file = args_string(run->args, "key-file");
	if (bucket == NULL || key_id == NULL || key_file == NULL) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "--bucket, "
		    "--key-id and --key-file are required");
		goto out;
	}
	if (secret_read(key_file, key, sizeof(key), err, sizeof(err)) != 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "key file "
		    "refused: %s",
		    err);
		goto out;
	}
	s = calloc(1, sizeof(*s));
	opt.ca_file = args_string(run->args, "ca-file");
	c = s != NULL ? b2_client_new(args_string(run->args, "api-url"), key_id,
			    key, &opt)
		      : NULL;
	if (c == NULL) {
		result_set(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		goto out;
	}
	/* Leave a moment to report before the face's own time-out. */
	b2_client_set_deadline(c, run->deadline - 0.2);
	s->suffix = args_string(run->args, "suffix");
	if (s->suffix == NULL)
		s->suffix = "";
	s->suffix_len = strlen(s->suffix);
	if (b2_bucket_id(c, bucket, bucket_id, sizeof(bucket_id)) != 0)
		goto b2_failed;
	np = args_list_count(run->args, "prefix");
	for (i = 0; i < (np > 0 ? np : 1); i++) {
		prefix = np > 0 ? args_list_item(run->args, "prefix", i) : "";
		if (np > 0 && b2_prefix_redundant(run->args, i))
			continue;
		if (b2_list_file_names(c, bucket_id, prefix, b2_scan_file, s) !=
		    0)
			goto b2_failed;
	}
	if (s->count == 0) {
		result_set(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "no backup "
		    "in bucket %s%s%s%s",
		    bucket, np > 0 ? " under " : "",
		    np > 0 ? args_list_item(run->args, "prefix", 0) : "",
		    np > 1 ? "..." : "");
		result_metric(res, "count", 0, "", DS_GAUGE);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	server = b2_client_server_time(c);
	if (server > 0 && fabs(server - now) > B2_SKEW_MAX) {
		now = server;
		skewed = true;
	}
	b2_report(run, s, now, skewed, res);
	goto out;
b2_failed:
	result_set(res, STATE_UNKNOWN, b2_reason(b2_client_error_kind(c)),
	    "B2: %s", b2_client_error(c));
out:
	explicit_bzero(key, sizeof(key));
	b2_client_free(c);
	free(s);
	return 0;
}

const struct probe probe_b2 = {
	.name = "b2",
	.summary = "newest backup in a Backblaze B2 bucket: age, size, "
	    "count, size against the previous one",
	.usage = "--bucket NAME [--prefix PREFIX]... --key-id ID "
	    "--key-file FILE [--api-url URL] [--suffix SUFFIX] [-w HOURS] "
	    "[-c HOURS] [--size-warning RANGE] [--size-critical RANGE]",
	.options = b2_option_specs,
	.munin = {
		.title = "B2 backup age",
		.category = "backup",
		.vlabel = "hours",
		.args = "--base 1000 -l 0",
	},
	.run = b2_run,
};
