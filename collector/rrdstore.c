/*
 * RRD storage through librrd: one file per metric, created on the fly
 * through a temp name + rename, updated with the thread-safe _r calls, or
 * through rrdcached with librrd's client (rrdc_*: one connection per
 * process, which librrd keeps behind a lock).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "rrdlock.h"
#include "rrdstore.h"
#include "util.h"

#define RRD_ARG_MAX 64
#define RRD_VALUE_MAX 64
#define RRD_BATCH_MAX 1024 /* waiting values per file before a write */
#define RRD_TABLE_SIZE 256 /* hash buckets of waiting files */

/* One value waiting for its file. */
struct rrd_value {
	time_t when;
	double value; /* NAN: unknown */
};

/* One file's waiting values (write-behind). */
struct rrd_pending {
	struct rrd_pending *next; /* hash chain */
	char *path;
	struct metric def; /* the latest: type and limits for a re-create */
	unsigned step;
	double since; /* monotonic: when the oldest waiting value came */
	time_t last; /* newest time queued: librrd wants them rising */
	size_t n, cap;
	struct rrd_value *vals;
};

struct rrd_store {
	char *dir; /* absolute when local */
	char *daemon; /* rrdcached address; NULL: direct */
	int daemon_is_unix;
	double flush_interval; /* 0: write at once */
	double next_flush; /* monotonic: no file is due before */
	struct rrd_pending *table[RRD_TABLE_SIZE];
};

/* Munin's resolutions: seconds per row and span kept. */
static const struct {
	unsigned long resolution;
	unsigned long span;
} rrd_resolutions[RRD_RRA_COUNT] = {
	{ 0, 2UL * 86400 }, /* full resolution (the step) */
	{ 1800, 9UL * 86400 },
	{ 7200, 45UL * 86400 },
	{ 86400, 450UL * 86400 },
};

static const char *const rrd_cfs[] = { "AVERAGE", "MIN", "MAX" };

int
rrd_layout(unsigned step, struct rrd_rra_spec spec[RRD_RRA_COUNT])
{
	size_t i;
	unsigned long pdp, row_secs;

	if (step == 0 || step > 86400 * 7)
		return -1;
	for (i = 0; i < RRD_RRA_COUNT; i++) {
		pdp = 1;
		if (rrd_resolutions[i].resolution > step)
			pdp = (rrd_resolutions[i].resolution + step / 2) / step;
		row_secs = pdp * step;
		spec[i].pdp_per_row = (unsigned)pdp;
		spec[i].rows =
		    (rrd_resolutions[i].span + row_secs - 1) / row_secs;
		if (spec[i].rows < 2)
			spec[i].rows = 2;
	}
	return 0;
}

int
rrd_metric_filename(const char *name, char *buf, size_t size)
{
	size_t i, n;
	char c;

	if (name == NULL || size < 2)
		return -1;
	n = strlen(name);
	if (n == 0) {
		str_copy(buf, "_", size);
		return 0;
	}
	if (n >= size)
		return -1;
	for (i = 0; i < n; i++) {
		c = name[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && i > 0))
			buf[i] = c;
		else
			buf[i] = '_';
	}
	buf[n] = '\0';
	return 0;
}

int
rrd_metric_path(const char *rrd_dir, const char *check, const char *metric,
    char *buf, size_t size)
{
	char c[NAME_MAX + 1], m[NAME_MAX - 3];
	int n;

	if (rrd_metric_filename(check, c, sizeof(c)) == -1 ||
	    rrd_metric_filename(metric, m, sizeof(m)) == -1)
		return -1;
	n = snprintf(buf, size, "%s/%s/%s.rrd", rrd_dir, c, m);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

static void
rrd_format_limit(char *buf, size_t size, bool has, double v)
{
	if (!has || !isfinite(v))
		str_copy(buf, "U", size);
	else
		snprintf(buf, size, "%.17g", v);
}

/* The DS and RRA definitions for one metric; strings live in defs. */
static int
rrd_definitions(const struct metric *m, unsigned step, char defs[][RRD_ARG_MAX],
    const char **argv, int *argc)
{
	struct rrd_rra_spec spec[RRD_RRA_COUNT];
	char min[32], max[32];
	size_t i, j;
	int n = 0, len;

	if (rrd_layout(step, spec) == -1)
		return -1;
	if (m->ds == DS_DERIVE) {
		str_copy(min, "0", sizeof(min));
		rrd_format_limit(max, sizeof(max), m->has_max, m->max);
	} else {
		rrd_format_limit(min, sizeof(min), m->has_min, m->min);
		rrd_format_limit(max, sizeof(max), m->has_max, m->max);
	}
	len = snprintf(defs[n], RRD_ARG_MAX, "DS:%s:%s:%u:%s:%s", RRD_DS_NAME,
	    m->ds == DS_DERIVE ? "DERIVE" : "GAUGE", step * 2, min, max);
	if (len < 0 || len >= RRD_ARG_MAX)
		return -1;
	argv[n] = defs[n];
	n++;
	for (i = 0; i < RRD_RRA_COUNT; i++) {
		for (j = 0; j < sizeof(rrd_cfs) / sizeof(rrd_cfs[0]); j++) {
			snprintf(defs[n], RRD_ARG_MAX, "RRA:%s:0.5:%u:%lu",
			    rrd_cfs[j], spec[i].pdp_per_row, spec[i].rows);
			argv[n] = defs[n];
			n++;
		}
	}
	*argc = n;
	return 0;
}

#define RRD_DEF_COUNT (1 + RRD_RRA_COUNT * 3)

/* Create path atomically: build it under a temp name, then rename. */
static int
rrd_create_local(const char *path, const struct metric *m, unsigned step,
    time_t when, char *err, size_t errlen)
{
	char defs[RRD_DEF_COUNT][RRD_ARG_MAX];
	const char *argv[RRD_DEF_COUNT];
	char tmp[PATH_MAX];
	int argc = 0, n, rc = -1;

	if (rrd_definitions(m, step, defs, argv, &argc) == -1) {
		snprintf(err, errlen, "%s: bad step %u", m->name, step);
		return -1;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", m->name);
		return -1;
	}
	rrd_clear_error();
	if (rrd_create_r(tmp, step, when - (time_t)step, argc, argv) != 0) {
		/* librrd 1.7 fails on a full disk without saying why */
		snprintf(err, errlen, "rrd create %s: %s", path,
		    rrd_test_error()
			? rrd_get_error()
			: "failed, librrd gave no reason (disk full?)");
		rrd_clear_error();
		goto out;
	}
	/* Another collector may have created it meanwhile: keep theirs. */
	if (link(tmp, path) == -1 && errno != EEXIST) {
		snprintf(
		    err, errlen, "rrd create %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	unlink(tmp);
	return rc;
}

static int
rrd_create_daemon(const char *path, const struct metric *m, unsigned step,
    time_t when, char *err, size_t errlen)
{
	char defs[RRD_DEF_COUNT][RRD_ARG_MAX];
	const char *argv[RRD_DEF_COUNT];
	int argc = 0;

	if (rrd_definitions(m, step, defs, argv, &argc) == -1) {
		snprintf(err, errlen, "%s: bad step %u", m->name, step);
		return -1;
	}
	rrd_clear_error();
	if (rrdc_create(path, step, when - (time_t)step, 1, argc, argv) != 0) {
		snprintf(err, errlen, "rrdcached create %s: %s", path,
		    rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	return 0;
}

static void
rrd_format_value(
    char *buf, size_t size, time_t when, double value, enum metric_ds ds)
{
	if (!isfinite(value))
		snprintf(buf, size, "%lld:U", (long long)when);
	else if (ds == DS_DERIVE)
		snprintf(buf, size, "%lld:%lld", (long long)when,
		    (long long)llround(value));
	else
		snprintf(buf, size, "%lld:%.17g", (long long)when, value);
}

static double
rrd_metric_value(const struct metric *m)
{
	return m->unknown ? NAN : m->value;
}

static int
rrd_daemon_connect(struct rrd_store *st, char *err, size_t errlen)
{
	if (rrdc_is_connected(st->daemon))
		return 0;
	rrd_clear_error();
	if (rrdc_connect(st->daemon) != 0) {
		snprintf(err, errlen, "rrdcached %s: %s", st->daemon,
		    rrd_test_error() ? rrd_get_error() : "cannot connect");
		rrd_clear_error();
		return -1;
	}
	return 0;
}

/* A local file that is missing is created, its first step before when. */
static int
rrd_ensure_file(struct rrd_store *st, const char *path, const struct metric *m,
    unsigned step, time_t when, char *err, size_t errlen)
{
	struct stat sb;

	if ((st->daemon != NULL && !st->daemon_is_unix) || stat(path, &sb) == 0)
		return 0;
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return rrd_create_local(path, m, step, when, err, errlen);
}

/* Send argc formatted values ("TIME:VALUE", rising) of one file. */
static int
rrd_send(struct rrd_store *st, const char *path, const struct metric *m,
    unsigned step, time_t when, int argc, const char **argv, char *err,
    size_t errlen)
{
	bool local = st->daemon == NULL || st->daemon_is_unix;

	if (st->daemon == NULL) {
		rrd_clear_error();
		if (rrd_update_r(path, NULL, argc, argv) != 0) {
			snprintf(err, errlen, "rrd update %s: %s", path,
			    rrd_get_error());
			rrd_clear_error();
			return -1;
		}
		return 0;
	}
	if (rrd_daemon_connect(st, err, errlen) == -1)
		return -1;
	rrd_clear_error();
	if (rrdc_update(path, argc, argv) == 0)
		return 0;
	rrd_clear_error();
	/* A remote daemon refuses an update of a file it does not have:
	 * create it there (no overwrite) and try once more. */
	if (!local &&
	    rrd_create_daemon(path, m, step, when, err, errlen) == 0) {
		rrd_clear_error();
		if (rrdc_update(path, argc, argv) == 0)
			return 0;
	}
	snprintf(err, errlen, "rrdcached update %s: %s", path,
	    rrd_test_error() ? rrd_get_error() : "refused");
	rrd_clear_error();
	/* Reconnect on the next call in case the daemon restarted. */
	rrdc_disconnect();
	return -1;
}

static int
rrd_update_one(struct rrd_store *st, const char *path, const struct metric *m,
    unsigned step, time_t when, char *err, size_t errlen)
{
	char value[RRD_VALUE_MAX];
	const char *argv[1] = { value };

	rrd_format_value(
	    value, sizeof(value), when, rrd_metric_value(m), m->ds);
	if (rrd_ensure_file(st, path, m, step, when, err, errlen) == -1)
		return -1;
	return rrd_send(st, path, m, step, when, 1, argv, err, errlen);
}

struct rrd_store *
rrd_store_new(
    const char *rrd_dir, const char *rrdcached, char *err, size_t errlen)
{
	struct rrd_store *st = NULL;
	char real[PATH_MAX];

	if (rrd_dir == NULL || rrd_dir[0] == '\0') {
		snprintf(err, errlen, "rrd-dir is not set");
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto fail;
	st->next_flush = INFINITY;
	if (rrdcached != NULL && rrdcached[0] != '\0') {
		st->daemon_is_unix =
		    strncmp(rrdcached, "unix:", 5) == 0 || rrdcached[0] == '/';
		if ((st->daemon = strdup(rrdcached)) == NULL)
			goto fail;
	}
	if (st->daemon == NULL || st->daemon_is_unix) {
		if (mkdir_p(rrd_dir, 0755) == -1) {
			snprintf(err, errlen, "rrd-dir %s: %s", rrd_dir,
			    strerror(errno));
			goto out;
		}
		/* rrdcached resolves names itself: give it absolute ones. */
		if (realpath(rrd_dir, real) == NULL) {
			snprintf(err, errlen, "rrd-dir %s: %s", rrd_dir,
			    strerror(errno));
			goto out;
		}
		st->dir = strdup(real);
	} else
		st->dir = strdup(rrd_dir);
	if (st->dir == NULL)
		goto fail;
	/* Connect early so a wrong address shows at start-up, but a daemon
	 * that is down now is retried on every update. */
	if (st->daemon != NULL) {
		rrd_lock();
		(void)rrd_daemon_connect(st, err, errlen);
		rrd_unlock();
	}
	err[0] = '\0';
	return st;
fail:
	snprintf(err, errlen, "rrd store: out of memory");
out:
	rrd_store_free(st);
	return NULL;
}

int
rrd_store_update(struct rrd_store *st, const char *check, unsigned step,
    time_t when, const struct probe_result *res, char *err, size_t errlen)
{
	char path[PATH_MAX], dir[PATH_MAX], c[NAME_MAX + 1];
	char one[PATH_MAX + 256];
	size_t i;
	int rc = 0, n;
	bool local = st->daemon == NULL || st->daemon_is_unix;

	if (errlen > 0)
		err[0] = '\0';
	if (rrd_metric_filename(check, c, sizeof(c)) == -1) {
		snprintf(err, errlen, "check name too long");
		return -1;
	}
	if (res->metric_count == 0)
		return 0;
	n = snprintf(dir, sizeof(dir), "%s/%s", st->dir, c);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", check);
		return -1;
	}
	if (local && mkdir_p(dir, 0755) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	/* One lock for the check's files: the graph thread draws between
	 * two checks' updates, never in the middle of one (rrdlock.h). */
	rrd_lock();
	for (i = 0; i < res->metric_count && i < PROBE_METRICS_MAX; i++) {
		const struct metric *m = &res->metrics[i];

		if (rrd_metric_path(
			st->dir, check, m->name, path, sizeof(path)) == -1) {
			snprintf(one, sizeof(one), "%s/%s: name too long",
			    check, m->name);
		} else if (rrd_update_one(
			       st, path, m, step, when, one, sizeof(one)) == 0)
			continue;
		if (rc == 0)
			str_copy(err, one, errlen);
		rc = -1;
	}
	rrd_unlock();
	return rc;
}

void
rrd_store_set_flush_interval(struct rrd_store *st, double seconds)
{
	st->flush_interval = seconds > 0 ? seconds : 0;
}

static struct rrd_pending **
pending_slot(struct rrd_store *st, const char *path)
{
	uint32_t h = 2166136261u;

	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &st->table[h % RRD_TABLE_SIZE];
}

/* The waiting list of path; on first sight its folder and file are made
 * (so new files show at once).  NULL with err on failure. */
static struct rrd_pending *
pending_get(struct rrd_store *st, const char *path, const struct metric *m,
    unsigned step, time_t when, char *err, size_t errlen)
{
	struct rrd_pending **slot = pending_slot(st, path), *p;
	char dir[PATH_MAX];
	int rc;

	for (p = *slot; p != NULL; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	str_copy(dir, path, sizeof(dir));
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	rrd_lock();
	rc = rrd_ensure_file(st, path, m, step, when, err, errlen);
	rrd_unlock();
	if (rc == -1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->path = strdup(path)) == NULL) {
		free(p);
		snprintf(err, errlen, "rrd: out of memory");
		return NULL;
	}
	p->next = *slot;
	*slot = p;
	return p;
}

/* Write and empty p's waiting values: one rrd_update_r for all. */
static int
pending_write(
    struct rrd_store *st, struct rrd_pending *p, char *err, size_t errlen)
{
	char(*text)[RRD_VALUE_MAX] = NULL;
	const char **argv = NULL;
	int rc = -1;

	if (p->n == 0)
		return 0;
	text = malloc(p->n * sizeof(*text));
	argv = malloc(p->n * sizeof(*argv));
	if (text == NULL || argv == NULL) {
		snprintf(err, errlen, "%s: out of memory", p->path);
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		rrd_format_value(text[i], sizeof(text[i]), p->vals[i].when,
		    p->vals[i].value, p->def.ds);
		argv[i] = text[i];
	}
	rrd_lock();
	/* a file removed meanwhile is made again, as rrd_store_update does */
	rc = rrd_ensure_file(
	    st, p->path, &p->def, p->step, p->vals[0].when, err, errlen);
	if (rc == 0)
		rc = rrd_send(st, p->path, &p->def, p->step, p->vals[0].when,
		    (int)p->n, argv, err, errlen);
	rrd_unlock();
out:
	p->n = 0; /* written or dropped: memory stays bounded */
	if (p->cap > 64) {
		free(p->vals);
		p->vals = NULL;
		p->cap = 0;
	}
	free(text);
	free(argv);
	return rc;
}

static int
pending_add(struct rrd_pending *p, time_t when, const struct metric *m,
    unsigned step, double now)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct rrd_value *v = realloc(p->vals, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		p->vals = v;
		p->cap = cap;
	}
	if (p->n == 0)
		p->since = now;
	p->vals[p->n].when = when;
	p->vals[p->n].value = rrd_metric_value(m);
	p->n++;
	p->last = when;
	p->def = *m;
	p->step = step;
	return 0;
}

int
rrd_store_queue(struct rrd_store *st, const char *check, unsigned step,
    time_t when, const struct probe_result *res, double now, char *err,
    size_t errlen)
{
	char path[PATH_MAX], one[PATH_MAX + 256];
	int rc = 0;

	if (st->flush_interval <= 0 || st->daemon != NULL)
		return rrd_store_update(
		    st, check, step, when, res, err, errlen);
	if (errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < res->metric_count && i < PROBE_METRICS_MAX;
	     i++) {
		const struct metric *m = &res->metrics[i];
		struct rrd_pending *p = NULL;

		if (rrd_metric_path(
			st->dir, check, m->name, path, sizeof(path)) == -1)
			snprintf(one, sizeof(one), "%s/%s: name too long",
			    check, m->name);
		else if ((p = pending_get(st, path, m, step, when, one,
			      sizeof(one))) != NULL) {
			if (when <= p->last)
				continue; /* librrd takes one per second */
			if (pending_add(p, when, m, step, now) == 0) {
				if (p->since + st->flush_interval <
				    st->next_flush)
					st->next_flush =
					    p->since + st->flush_interval;
				if (p->n < RRD_BATCH_MAX ||
				    pending_write(st, p, one, sizeof(one)) == 0)
					continue;
			} else
				snprintf(one, sizeof(one), "%s: out of memory",
				    path);
		}
		if (rc == 0)
			str_copy(err, one, errlen);
		rc = -1;
	}
	return rc;
}

int
rrd_store_flush(
    struct rrd_store *st, double now, bool all, char *err, size_t errlen)
{
	char one[PATH_MAX + 256];
	double next = INFINITY;
	int rc = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (st == NULL || (!all && now < st->next_flush))
		return 0;
	for (size_t b = 0; b < RRD_TABLE_SIZE; b++) {
		for (struct rrd_pending *p = st->table[b]; p; p = p->next) {
			if (p->n == 0)
				continue;
			if (!all && now < p->since + st->flush_interval) {
				if (p->since + st->flush_interval < next)
					next = p->since + st->flush_interval;
				continue;
			}
			if (pending_write(st, p, one, sizeof(one)) == 0)
				continue;
			if (rc == 0)
				str_copy(err, one, errlen);
			rc = -1;
		}
	}
	st->next_flush = next;
	return rc;
}

void
rrd_store_free(struct rrd_store *st)
{
	char err[PATH_MAX + 256];

	if (st == NULL)
		return;
	(void)rrd_store_flush(st, 0, true, err, sizeof(err));
	for (size_t b = 0; b < RRD_TABLE_SIZE; b++) {
		struct rrd_pending *p = st->table[b], *next;

		for (; p != NULL; p = next) {
			next = p->next;
			free(p->path);
			free(p->vals);
			free(p);
		}
	}
	rrd_lock(); /* the graph thread may be flushing through it */
	if (st->daemon != NULL && rrdc_is_connected(st->daemon))
		rrdc_disconnect();
	rrd_unlock();
	free(st->daemon);
	free(st->dir);
	free(st);
}
