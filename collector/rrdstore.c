/*
 * RRD storage through librrd: one file per metric, created on the fly
 * through a temp name + rename, updated with the thread-safe _r calls, or
 * through rrdcached with librrd's client (rrdc_*: one connection per
 * process, which librrd keeps behind a lock).
 */
#include <errno.h>
#include <limits.h>
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

struct rrd_store {
	char *dir; /* absolute when local */
	char *daemon; /* rrdcached address; NULL: direct */
	int daemon_is_unix;
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
rrd_format_value(char *buf, size_t size, time_t when, const struct metric *m)
{
	if (m->unknown || !isfinite(m->value))
		snprintf(buf, size, "%lld:U", (long long)when);
	else if (m->ds == DS_DERIVE)
		snprintf(buf, size, "%lld:%lld", (long long)when,
		    (long long)llround(m->value));
	else
		snprintf(buf, size, "%lld:%.17g", (long long)when, m->value);
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

static int
rrd_update_one(struct rrd_store *st, const char *path, const struct metric *m,
    unsigned step, time_t when, char *err, size_t errlen)
{
	char value[RRD_VALUE_MAX];
	const char *argv[1];
	struct stat sb;
	bool local = st->daemon == NULL || st->daemon_is_unix;

	rrd_format_value(value, sizeof(value), when, m);
	argv[0] = value;
	if (local && stat(path, &sb) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (rrd_create_local(path, m, step, when, err, errlen) == -1)
			return -1;
	}
	if (st->daemon == NULL) {
		rrd_clear_error();
		if (rrd_update_r(path, NULL, 1, argv) != 0) {
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
	if (rrdc_update(path, 1, argv) == 0)
		return 0;
	rrd_clear_error();
	/* A remote daemon refuses an update of a file it does not have:
	 * create it there (no overwrite) and try once more. */
	if (!local &&
	    rrd_create_daemon(path, m, step, when, err, errlen) == 0) {
		rrd_clear_error();
		if (rrdc_update(path, 1, argv) == 0)
			return 0;
	}
	snprintf(err, errlen, "rrdcached update %s: %s", path,
	    rrd_test_error() ? rrd_get_error() : "refused");
	rrd_clear_error();
	/* Reconnect on the next call in case the daemon restarted. */
	rrdc_disconnect();
	return -1;
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
rrd_store_free(struct rrd_store *st)
{
	if (st == NULL)
		return;
	rrd_lock(); /* the graph thread may be flushing through it */
	if (st->daemon != NULL && rrdc_is_connected(st->daemon))
		rrdc_disconnect();
	rrd_unlock();
	free(st->daemon);
	free(st->dir);
	free(st);
}
