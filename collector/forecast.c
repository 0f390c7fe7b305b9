/*
 * Capacity forecast: days until a filesystem is full, from the RRD of its
 * used bytes (see forecast.h and docs/capacity.md).
 *
 * Why daily peaks and Theil-Sen: a backup written at night and rotated
 * later draws a daily saw-tooth over the real growth.  A least-squares
 * line through every point follows whichever part of the tooth the window
 * happens to start and end on; the peak of each day (counted back from
 * now, so every day holds exactly one tooth) lies on a line that grows
 * like the real usage and is the level that fills the disk first.
 * Theil-Sen (median of the pairwise slopes) then ignores a day that is an
 * outlier (a day with a gap that missed the tooth, a one-off big file
 * deleted since) where least squares would be dragged by it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <rrd.h>
#include <rrd_client.h>

#include "forecast.h"
#include "rrdlock.h"
#include "rrdstore.h"
#include "runtime.h"
#include "util.h"

/* Daily peaks kept at most: forecast-window is bounded to this. */
#define FORECAST_MAX_BINS 400
/* The collector re-reads a file's history this often: a day's peak moves
 * little in an hour, and the current value is always added. */
#define FORECAST_REFRESH 3600

/* One metric's history as last read from its RRD. */
struct forecast_series {
	char metric[METRIC_NAME_MAX];
	time_t fetched;
	bool read_ok;
	char err[256];
	struct forecast_sample *s;
	size_t n;
};

/* A check's forecast memory (struct check owns it). */
struct forecast_cache {
	bool parsed; /* args below come from the check's section */
	struct args args;
	struct forecast_series *series;
	size_t count;
};

const struct option_spec forecast_check_options[] = {
	{ "forecast", 0, OPT_FLAG, NULL, "yes", 0, -1,
	    "disk checks: report MOUNT_days_until_full (no: off)" },
	{ "forecast-window", 0, OPT_DOUBLE, "DAYS", "7", 2, 365,
	    "disk checks: days of used-bytes history the trend is fitted "
	    "on" },
	{ "forecast-warning", 0, OPT_RANGE, "RANGE", "14:", 0, -1,
	    "disk checks: WARNING when days until full is outside RANGE" },
	{ "forecast-critical", 0, OPT_RANGE, "RANGE", "3:", 0, -1,
	    "disk checks: CRITICAL when days until full is outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

const char *
forecast_status_name(enum forecast_status st)
{
	switch (st) {
	case FORECAST_OK:
		return "ok";
	case FORECAST_FLAT:
		return "flat";
	case FORECAST_TOO_LITTLE:
		return "too little data";
	case FORECAST_NO_DATA:
		return "no data";
	}
	return "?";
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Median of v[0..n-1] (sorts v); n > 0. */
static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

struct forecast_bin {
	bool used;
	double x; /* days relative to now (<= 0) of the peak */
	double v; /* the peak */
};

void
forecast_fit(const struct forecast_sample *s, size_t n, double now,
    double window, double capacity, struct forecast *out)
{
	struct forecast_bin bins[FORECAST_MAX_BINS];
	double xs[FORECAST_MAX_BINS], vs[FORECAST_MAX_BINS];
	double *slopes = NULL;
	double first = INFINITY, last = -INFINITY;
	size_t nbins, m = 0, k = 0, i, j;

	memset(out, 0, sizeof(*out));
	out->days = NAN;
	out->slope = NAN;
	out->level = NAN;
	out->status = FORECAST_TOO_LITTLE;
	if (!(window > 0) || !isfinite(now) || !isfinite(capacity))
		return;
	if (window > FORECAST_MAX_BINS * FORECAST_DAY)
		window = FORECAST_MAX_BINS * FORECAST_DAY;
	nbins = (size_t)ceil(window / FORECAST_DAY);
	memset(bins, 0, sizeof(bins));
	for (i = 0; i < n; i++) {
		double age = now - s[i].t;
		size_t b;

		if (!isfinite(s[i].v) || !isfinite(s[i].t) || age < 0 ||
		    age >= window)
			continue;
		b = (size_t)(age / FORECAST_DAY);
		if (b >= nbins)
			continue;
		if (s[i].t < first)
			first = s[i].t;
		if (s[i].t > last)
			last = s[i].t;
		/* the latest of equal peaks: a plateau's end is on the line
		 * a steady growth draws */
		if (!bins[b].used || s[i].v > bins[b].v ||
		    (s[i].v == bins[b].v && -age / FORECAST_DAY > bins[b].x)) {
			bins[b].used = true;
			bins[b].v = s[i].v;
			bins[b].x = -age / FORECAST_DAY;
		}
	}
	if (last < first)
		return;
	out->span = last - first;
	for (i = 0; i < nbins; i++)
		if (bins[i].used) {
			xs[m] = bins[i].x;
			vs[m] = bins[i].v;
			m++;
		}
	out->points = m;
	if (out->span < FORECAST_MIN_SPAN || m < 2)
		return;
	slopes = malloc(m * (m - 1) / 2 * sizeof(*slopes));
	if (slopes == NULL)
		return;
	for (i = 0; i < m; i++)
		for (j = i + 1; j < m; j++)
			if (xs[j] != xs[i])
				slopes[k++] = (vs[j] - vs[i]) / (xs[j] - xs[i]);
	if (k == 0)
		goto out;
	out->slope = median(slopes, k);
	for (i = 0; i < m; i++)
		vs[i] -= out->slope * xs[i];
	out->level = median(vs, m);
	if (!isfinite(out->slope) || !isfinite(out->level))
		goto out; /* values beyond any disk: too little to go on */
	out->status = FORECAST_FLAT;
	if (!(out->slope > 0))
		goto out;
	if (out->level >= capacity) {
		out->days = 0;
		out->status = FORECAST_OK;
		goto out;
	}
	if ((capacity - out->level) / out->slope > FORECAST_MAX_DAYS)
		goto out;
	out->days = (capacity - out->level) / out->slope;
	out->status = FORECAST_OK;
out:
	free(slopes);
}

static int
forecast_fetch(const char *path, const char *cf, time_t now, double window,
    struct forecast_sample **out, size_t *n, char *err, size_t errlen)
{
	time_t start = now - (time_t)window, end = now;
	unsigned long step = 1, ds_cnt = 0, rows, i;
	char **names = NULL;
	rrd_value_t *data = NULL;
	struct forecast_sample *s = NULL;
	size_t count = 0;
	int rc = -1;

	rrd_clear_error();
	if (rrd_fetch_r(
		path, cf, &start, &end, &step, &ds_cnt, &names, &data) != 0) {
		snprintf(err, errlen, "%s: %s", path,
		    rrd_test_error() ? rrd_get_error() : "cannot fetch");
		rrd_clear_error();
		return -1;
	}
	if (ds_cnt < 1 || step == 0 || end < start) {
		snprintf(err, errlen, "%s: no data source", path);
		goto out;
	}
	rows = (unsigned long)(end - start) / step;
	s = calloc(rows + 1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* row i holds the interval ending at start + (i + 1) * step */
	for (i = 0; i < rows; i++) {
		double v = data[i * ds_cnt];

		if (isnan(v))
			continue;
		s[count].t = (double)start + (double)((i + 1) * step);
		s[count].v = v;
		count++;
	}
	*out = s;
	*n = count;
	s = NULL;
	rc = 0;
out:
	if (names != NULL) {
		for (i = 0; i < ds_cnt; i++)
			rrd_freemem(names[i]);
		rrd_freemem(names);
	}
	rrd_freemem(data);
	free(s);
	return rc;
}

int
forecast_rrd_read(const char *rrd_path, time_t now, double window,
    struct forecast_sample **out, size_t *n, char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	*n = 0;
	/* librrd is not thread-safe against the graph thread (rrdlock.h) */
	rrd_lock();
	/* MAX keeps a short peak that a 30 min AVERAGE row would flatten;
	 * a file made elsewhere may only have AVERAGE. */
	rc = forecast_fetch(rrd_path, "MAX", now, window, out, n, err, errlen);
	if (rc != 0)
		rc = forecast_fetch(
		    rrd_path, "AVERAGE", now, window, out, n, err, errlen);
	rrd_unlock();
	return rc;
}

/* The fit on history (n samples read, or not: read_ok) plus current. */
static void
forecast_samples(const struct forecast_sample *hist, size_t n, bool read_ok,
    time_t now, double window, double capacity, double current,
    struct forecast *out)
{
	struct forecast_sample *s = malloc((n + 1) * sizeof(*s));

	if (s == NULL) {
		forecast_fit(hist, n, (double)now, window, capacity, out);
	} else {
		if (n > 0)
			memcpy(s, hist, n * sizeof(*s));
		if (!isnan(current)) {
			s[n].t = (double)now;
			s[n].v = current;
			n++;
		}
		forecast_fit(s, n, (double)now, window, capacity, out);
	}
	if (!read_ok && out->status == FORECAST_TOO_LITTLE)
		out->status = FORECAST_NO_DATA;
	free(s);
}

void
forecast_rrd(const char *rrd_path, time_t now, double window, double capacity,
    double current, struct forecast *out, char *err, size_t errlen)
{
	struct forecast_sample *s = NULL;
	size_t n = 0;
	bool read_ok;

	if (errlen > 0)
		err[0] = '\0';
	read_ok =
	    forecast_rrd_read(rrd_path, now, window, &s, &n, err, errlen) == 0;
	forecast_samples(s, n, read_ok, now, window, capacity, current, out);
	free(s);
}

void
forecast_cache_free(struct forecast_cache *fc)
{
	if (fc == NULL)
		return;
	for (size_t i = 0; i < fc->count; i++)
		free(fc->series[i].s);
	free(fc->series);
	if (fc->parsed)
		args_free(&fc->args);
	free(fc);
}

/* metric's entry in fc, added empty on first sight; NULL: no memory. */
static struct forecast_series *
cache_series(struct forecast_cache *fc, const char *metric)
{
	struct forecast_series *grown;

	for (size_t i = 0; i < fc->count; i++)
		if (strcmp(fc->series[i].metric, metric) == 0)
			return &fc->series[i];
	grown = realloc(fc->series, (fc->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	fc->series = grown;
	memset(&grown[fc->count], 0, sizeof(grown[0]));
	str_copy(grown[fc->count].metric, metric, METRIC_NAME_MAX);
	return &grown[fc->count++];
}

/* The forecast of one file, its history read at most once an hour. */
static void
forecast_cached(struct forecast_cache *fc, const char *metric, const char *path,
    const char *rrdcached, time_t now, double window, double capacity,
    double current, struct forecast *out, char *err, size_t errlen)
{
	struct forecast_series *se =
	    fc != NULL ? cache_series(fc, metric) : NULL;
	bool stale = se == NULL || se->fetched == 0 ||
	    now - se->fetched >= FORECAST_REFRESH || now < se->fetched;

	if (rrdcached != NULL && stale) {
		rrd_lock();
		(void)rrdc_flush_if_daemon(rrdcached, path);
		rrd_unlock();
	}
	if (se == NULL) {
		forecast_rrd(
		    path, now, window, capacity, current, out, err, errlen);
		return;
	}
	if (stale) {
		free(se->s);
		se->s = NULL;
		se->n = 0;
		se->err[0] = '\0';
		se->read_ok = forecast_rrd_read(path, now, window, &se->s,
				  &se->n, se->err, sizeof(se->err)) == 0;
		se->fetched = now;
	}
	str_copy(err, se->err, errlen);
	forecast_samples(
	    se->s, se->n, se->read_ok, now, window, capacity, current, out);
}

const struct option_spec *
forecast_options_for(const struct probe *p)
{
	if (p == NULL || p->name == NULL || strcmp(p->name, "disk") != 0)
		return NULL;
	return forecast_check_options;
}

int
forecast_check_config(const struct cfg_section *sec, const struct probe *p,
    const char *file, struct cfg_errors *errs)
{
	struct args fa;
	int rc;

	if (forecast_options_for(p) == NULL)
		return 0;
	rc = cfg_section_pick(sec, forecast_check_options, &fa, file, errs);
	args_free(&fa);
	return rc;
}

/* True when name ends in "_used" after a non-empty mount part. */
static bool
is_used_metric(const char *name, size_t *prefix_len)
{
	size_t len = strlen(name);

	if (len <= 5 || strcmp(name + len - 5, "_used") != 0)
		return false;
	*prefix_len = len - 5;
	return true;
}

static const struct metric *
find_metric(const struct probe_result *res, const char *name)
{
	for (size_t i = 0; i < res->metric_count; i++)
		if (strcmp(res->metrics[i].name, name) == 0)
			return &res->metrics[i];
	return NULL;
}

/* "MOUNT_days_until_full"; a long MOUNT keeps its tail, as disk does. */
static void
days_metric_name(char *buf, size_t size, const char *mount, size_t mlen)
{
	size_t room = size - sizeof(FORECAST_SUFFIX);

	if (mlen > room) {
		mount += mlen - room;
		mlen = room;
	}
	memcpy(buf, mount, mlen);
	memcpy(buf + mlen, FORECAST_SUFFIX, sizeof(FORECAST_SUFFIX));
}

/* "/var" out of "/var_used"'s prefix, for messages. */
static void
mount_text(char *buf, size_t size, const char *name, size_t mlen)
{
	if (mlen >= size)
		mlen = size - 1;
	memcpy(buf, name, mlen);
	buf[mlen] = '\0';
}

static void
forecast_one(struct probe_result *res, size_t used_index, size_t mlen,
    const char *rrd_dir, const char *check, const char *rrdcached,
    struct forecast_cache *cache, double window, const struct range *warn,
    const struct range *crit, time_t now)
{
	const struct metric *used = &res->metrics[used_index];
	const struct metric *free_m;
	struct metric *m;
	struct forecast fc;
	char name[METRIC_NAME_MAX], mount[METRIC_NAME_MAX];
	char path[4096], err[512], old[PROBE_MESSAGE_MAX];
	double capacity, current;

	mount_text(mount, sizeof(mount), used->name, mlen);
	/* "full" is when unprivileged writes fail: used + available */
	snprintf(name, sizeof(name), "%s_free", mount);
	free_m = find_metric(res, name);
	if (!used->unknown && free_m != NULL && !free_m->unknown)
		capacity = used->value + free_m->value;
	else if (used->has_max)
		capacity = used->max;
	else
		return;
	current = used->unknown ? NAN : used->value;
	if (rrd_metric_path(rrd_dir, check, used->name, path, sizeof(path)) !=
	    0)
		return;
	forecast_cached(cache, used->name, path, rrdcached, now, window,
	    capacity, current, &fc, err, sizeof(err));
	days_metric_name(name, sizeof(name), used->name, mlen);
	m = result_metric(
	    res, name, fc.status == FORECAST_OK ? fc.days : NAN, "", DS_GAUGE);
	if (m == NULL)
		return;
	m->has_min = true;
	m->min = 0;
	m->warn = *warn;
	m->crit = *crit;
	if (fc.status != FORECAST_OK) {
		result_long(res, "%s: no forecast (%s%s%s)", mount,
		    forecast_status_name(fc.status), err[0] ? ": " : "", err);
		return;
	}
	result_long(res,
	    "%s: full in %.1f days (daily peaks grow %.0f B/day over %zu "
	    "days, capacity %.0f B)",
	    mount, fc.days, fc.slope, fc.points, capacity);
	str_copy(old, res->message, sizeof(old));
	if (range_alerts(crit, fc.days))
		result_raise(res, STATE_CRITICAL, REASON_THRESHOLD,
		    "%s full in %.1f days; %s", mount, fc.days, old);
	else if (range_alerts(warn, fc.days))
		result_raise(res, STATE_WARNING, REASON_THRESHOLD,
		    "%s full in %.1f days; %s", mount, fc.days, old);
}

static void
forecast_result_cached(struct probe_result *res, const char *rrd_dir,
    const char *check, const char *rrdcached, const struct args *fargs,
    struct forecast_cache *cache, time_t now)
{
	struct args defaults;
	struct range warn, crit;
	double window;
	size_t n = res->metric_count, mlen;

	args_init(&defaults, forecast_check_options);
	if (fargs == NULL)
		fargs = &defaults;
	if (!args_flag(fargs, "forecast"))
		goto out;
	window = args_double(fargs, "forecast-window") * FORECAST_DAY;
	args_range(fargs, "forecast-warning", &warn);
	args_range(fargs, "forecast-critical", &crit);
	/* only the metrics the probe gave, not the ones added here */
	for (size_t i = 0; i < n; i++)
		if (is_used_metric(res->metrics[i].name, &mlen))
			forecast_one(res, i, mlen, rrd_dir, check, rrdcached,
			    cache, window, &warn, &crit, now);
out:
	args_free(&defaults);
}

void
forecast_result(struct probe_result *res, const char *rrd_dir,
    const char *check, const char *rrdcached, const struct args *fargs,
    time_t now)
{
	forecast_result_cached(
	    res, rrd_dir, check, rrdcached, fargs, NULL, now);
}

void
forecast_check_result(
    const struct collector_conf *conf, struct check *c, time_t now)
{
	const struct cfg_section *sec;
	struct cfg_errors errs;
	struct forecast_cache *fc;

	if (conf == NULL || c == NULL || c->result == NULL ||
	    forecast_options_for(c->probe) == NULL ||
	    c->result->reason == REASON_TIMEOUT)
		return;
	if (c->forecast == NULL &&
	    (c->forecast = calloc(1, sizeof(*c->forecast))) == NULL)
		return;
	fc = c->forecast;
	if (!fc->parsed) {
		/* the keys were validated when the config was loaded */
		cfg_errors_init(&errs);
		args_init(&fc->args, forecast_check_options);
		sec = conf->cfg != NULL ? cfg_find(conf->cfg, "check", c->name)
					: NULL;
		if (sec != NULL)
			(void)cfg_section_pick(
			    sec, forecast_check_options, &fc->args, "", &errs);
		cfg_errors_free(&errs);
		fc->parsed = true;
	}
	forecast_result_cached(c->result, conf->rrd_dir, c->name,
	    conf->rrdcached, &fc->args, fc, now);
}

int
forecast_backup_space_ok(const char *local_dir, long long last_archive_bytes,
    double margin, char *msg, size_t len)
{
	struct statvfs st;
	double avail, need;

	if (len > 0)
		msg[0] = '\0';
	if (statvfs(local_dir, &st) == -1) {
		snprintf(msg, len, "%s: cannot read free space: %s", local_dir,
		    strerror(errno));
		return -1;
	}
	if (last_archive_bytes <= 0)
		return 1;
	if (!(margin >= 0))
		margin = 0;
	avail = (double)st.f_bavail * (double)st.f_frsize;
	need = (double)last_archive_bytes * (1.0 + margin);
	if (avail >= need)
		return 1;
	snprintf(msg, len,
	    "%s: %.0f B free, less than the last archive (%lld B) plus "
	    "%g%%: the backup may fill the disk",
	    local_dir, avail, last_archive_bytes, margin * 100.0);
	return 0;
}
