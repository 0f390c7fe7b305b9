/*
 * Capacity forecast: real RRDs written in a temp folder with the
 * collector's own layout (created by rrd_store_update, then filled with
 * rrd_update_r at chosen timestamps) from known synthetic series (linear
 * growth, backup saw-tooth, flat, shrinking, gaps, too little data), the
 * expected days until full within 5 %; the disk-result hook (metric,
 * ranges, state); the config keys; the backup pre-flight.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "config.h"
#include "forecast.h"
#include "rrdstore.h"
#include "util.h"

#define GB 1e9
#define DAY 86400L
/* A fixed "now": a multiple of one day plus 13:00, so that rows align. */
#define NOW ((time_t)(1800000000L - 1800000000L % DAY + 13 * 3600L))

enum series {
	SERIES_LINEAR, /* 40 GB + 1 GB/day */
	SERIES_SAWTOOTH, /* linear 1 GB/day + a 10 GB backup at night */
	SERIES_FLAT, /* 50 GB +- 1 MB noise */
	SERIES_SHRINKING, /* 60 GB - 1 GB/day */
	SERIES_FAST, /* 90 GB + 4 GB/day: full in 2.5 days */
};

/* Used bytes at time t (seconds since the epoch). */
static double
series_value(enum series kind, time_t t)
{
	double d = (double)(t - NOW) / (double)DAY; /* days, <= 0 */
	long sec_of_day = (long)(t % DAY);

	switch (kind) {
	case SERIES_LINEAR:
		return 47 * GB + 1 * GB * d;
	case SERIES_SAWTOOTH:
		/* steady state: the previous 5 GB archive is always there;
		 * 02:00-02:30 writes the next one, 04:00 deletes the old
		 * one: peaks 10 GB above the base from 02:30 to 04:00 */
		if (sec_of_day >= 2 * 3600 && sec_of_day < 4 * 3600) {
			double w = (double)(sec_of_day - 2 * 3600) / 1800.0;

			return 50 * GB + 1 * GB * d + 5 * GB +
			    5 * GB * (w > 1 ? 1 : w);
		}
		return 50 * GB + 1 * GB * d + 5 * GB;
	case SERIES_FLAT:
		return 50 * GB + ((t / 300) % 7 - 3) * 1e6 / 3.0;
	case SERIES_SHRINKING:
		return 60 * GB - 1 * GB * d;
	case SERIES_FAST:
		return 90 * GB + 4 * GB * d;
	}
	return NAN;
}

struct gap {
	long from, to; /* seconds before NOW, from > to */
};

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/forecast_test.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static bool
in_gap(const struct gap *gaps, time_t t)
{
	for (; gaps != NULL && gaps->from > 0; gaps++)
		if (t > NOW - gaps->from && t <= NOW - gaps->to)
			return true;
	return false;
}

/*
 * Write RRD_DIR/check/_used.rrd ("/_used", as the disk probe names the
 * root filesystem) with kind from NOW - span to NOW - step (the last
 * sample is the one the collector has in hand), every step seconds,
 * except inside gaps.
 */
static void
write_series(const char *rrd_dir, const char *check, unsigned step, long span,
    enum series kind, const struct gap *gaps)
{
	struct rrd_store *st;
	struct probe_result *res;
	struct metric *m;
	char err[512], path[512];
	char **argv;
	const char **cargv;
	size_t n = 0, cap;
	time_t t, first = NOW - span;

	res = calloc(1, sizeof(*res));
	assert_non_null(res);
	result_init(res);
	m = result_metric(
	    res, "/_used", series_value(kind, first), "B", DS_GAUGE);
	assert_non_null(m);
	m->has_min = m->has_max = true;
	m->min = 0;
	m->max = 200 * GB;
	st = rrd_store_new(rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(
	    rrd_store_update(st, check, step, first, res, err, sizeof(err)), 0);
	rrd_store_free(st);
	free(res);

	cap = (size_t)(span / (long)step) + 2;
	argv = calloc(cap, sizeof(*argv));
	cargv = calloc(cap, sizeof(*cargv));
	assert_non_null(argv);
	assert_non_null(cargv);
	for (t = first + (time_t)step; t < NOW; t += (time_t)step) {
		if (in_gap(gaps, t))
			continue;
		argv[n] = malloc(64);
		assert_non_null(argv[n]);
		snprintf(argv[n], 64, "%lld:%.17g", (long long)t,
		    series_value(kind, t));
		cargv[n] = argv[n];
		n++;
	}
	assert_int_equal(
	    rrd_metric_path(rrd_dir, check, "/_used", path, sizeof(path)), 0);
	rrd_clear_error();
	if (n > 0 && rrd_update_r(path, NULL, (int)n, cargv) != 0)
		fail_msg("rrd_update_r %s: %s", path, rrd_get_error());
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	free(cargv);
}

/* The pure fit on an exact line: the formula itself. */
static void
test_fit_line(void **state)
{
	struct forecast_sample s[8 * 24];
	struct forecast fc;
	size_t n = 0;

	(void)state;
	for (long h = 7 * 24; h >= 0; h--) {
		s[n].t = (double)(NOW - h * 3600);
		s[n].v = series_value(SERIES_LINEAR, NOW - h * 3600);
		n++;
	}
	forecast_fit(s, n, (double)NOW, 7 * DAY, 100 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_OK);
	assert_true(fabs(fc.days - 53.0) < 1e-6);
	assert_true(fabs(fc.slope - 1 * GB) < 1);
	assert_true(fabs(fc.level - 47 * GB) < 1);
	assert_int_equal(fc.points, 7);
	/* one day of points is enough, half a day is not */
	forecast_fit(s + n - 25, 25, (double)NOW, 7 * DAY, 100 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_OK);
	assert_true(fabs(fc.days - 53.0) < 1e-6);
	forecast_fit(s + n - 13, 13, (double)NOW, 7 * DAY, 100 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_TOO_LITTLE);
	assert_true(isnan(fc.days));
	/* already above capacity: 0 days, not negative */
	forecast_fit(s, n, (double)NOW, 7 * DAY, 40 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_OK);
	assert_true(fc.days == 0);
	/* NaN values and future samples are skipped; nothing is too little */
	s[n - 1].v = NAN;
	s[0].t = (double)NOW + 3600;
	forecast_fit(s, n, (double)NOW, 7 * DAY, 100 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_OK);
	assert_true(fabs(fc.days - 53.0) < 0.01);
	forecast_fit(s, 0, (double)NOW, 7 * DAY, 100 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_TOO_LITTLE);
}

/* One outlier day (a big file deleted since) does not move Theil-Sen. */
static void
test_fit_outlier(void **state)
{
	struct forecast_sample s[8 * 24];
	struct forecast fc;
	size_t n = 0;

	(void)state;
	for (long h = 7 * 24; h >= 0; h--) {
		s[n].t = (double)(NOW - h * 3600);
		s[n].v = series_value(SERIES_LINEAR, NOW - h * 3600);
		if (h == 5 * 24 + 3)
			s[n].v += 30 * GB;
		n++;
	}
	forecast_fit(s, n, (double)NOW, 7 * DAY, 100 * GB, &fc);
	assert_int_equal(fc.status, FORECAST_OK);
	assert_true(fabs(fc.days - 53.0) / 53.0 < 0.05);
}

static const struct gap no_gaps[] = { { 0, 0 } };
static const struct gap some_gaps[] = {
	{ 5 * DAY, 3 * DAY }, /* two whole days missing */
	{ DAY + 6 * 3600, DAY }, /* and six hours */
	{ 0, 0 },
};
/* the night of three days ago lost its samples over the backup */
static const struct gap peak_gap[] = {
	{ 3 * DAY + 11 * 3600, 3 * DAY + 9 * 3600 },
	{ 0, 0 },
};

static const struct {
	const char *name;
	enum series kind;
	unsigned step;
	long span;
	const struct gap *gaps;
	double capacity;
	enum forecast_status status;
	double days; /* expected, when FORECAST_OK */
} rrd_cases[] = {
	/* 100 GB - 47 GB at 1 GB/day */
	{ "linear 5 min", SERIES_LINEAR, 300, 7 * DAY, no_gaps, 100 * GB,
	    FORECAST_OK, 53.0 },
	/* the collector's default interval; 3 days of history */
	{ "linear 1 min", SERIES_LINEAR, 60, 3 * DAY, no_gaps, 100 * GB,
	    FORECAST_OK, 53.0 },
	/* full when a backup peak (base 50 + 10 GB) reaches 80 GB */
	{ "saw-tooth", SERIES_SAWTOOTH, 300, 7 * DAY, no_gaps, 80 * GB,
	    FORECAST_OK, 20.0 },
	{ "saw-tooth 10 days", SERIES_SAWTOOTH, 300, 10 * DAY, no_gaps, 80 * GB,
	    FORECAST_OK, 20.0 },
	{ "saw-tooth, one peak missed", SERIES_SAWTOOTH, 300, 7 * DAY, peak_gap,
	    80 * GB, FORECAST_OK, 20.0 },
	{ "gaps", SERIES_LINEAR, 300, 7 * DAY, some_gaps, 100 * GB, FORECAST_OK,
	    53.0 },
	{ "fast", SERIES_FAST, 300, 7 * DAY, no_gaps, 100 * GB, FORECAST_OK,
	    2.5 },
	{ "flat", SERIES_FLAT, 300, 7 * DAY, no_gaps, 100 * GB, FORECAST_FLAT,
	    0 },
	{ "shrinking", SERIES_SHRINKING, 300, 7 * DAY, no_gaps, 100 * GB,
	    FORECAST_FLAT, 0 },
	{ "half a day", SERIES_LINEAR, 300, DAY / 2, no_gaps, 100 * GB,
	    FORECAST_TOO_LITTLE, 0 },
};

static void
test_rrd_series(void **state)
{
	struct fixture *f = *state;
	struct forecast fc;
	char check[32], path[512], err[512];

	for (size_t i = 0; i < sizeof(rrd_cases) / sizeof(rrd_cases[0]); i++) {
		snprintf(check, sizeof(check), "c%zu", i);
		write_series(f->dir, check, rrd_cases[i].step,
		    rrd_cases[i].span, rrd_cases[i].kind, rrd_cases[i].gaps);
		assert_int_equal(rrd_metric_path(f->dir, check, "/_used", path,
				     sizeof(path)),
		    0);
		forecast_rrd(path, NOW, 7 * DAY, rrd_cases[i].capacity,
		    series_value(rrd_cases[i].kind, NOW), &fc, err,
		    sizeof(err));
		if (fc.status != rrd_cases[i].status)
			fail_msg("%s: status %s, want %s (%s)",
			    rrd_cases[i].name, forecast_status_name(fc.status),
			    forecast_status_name(rrd_cases[i].status), err);
		if (getenv("FORECAST_DEBUG") != NULL)
			fprintf(stderr, "%s: %s %.4f days, %zu peaks\n",
			    rrd_cases[i].name, forecast_status_name(fc.status),
			    fc.days, fc.points);
		if (fc.status != FORECAST_OK) {
			assert_true(isnan(fc.days));
			continue;
		}
		if (fabs(fc.days - rrd_cases[i].days) >
		    0.05 * rrd_cases[i].days)
			fail_msg("%s: %.3f days, want %.3f +- 5%%",
			    rrd_cases[i].name, fc.days, rrd_cases[i].days);
	}
}

/* The current value alone is too little; a missing file is "no data". */
static void
test_rrd_missing(void **state)
{
	struct fixture *f = *state;
	struct forecast fc;
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/none/_used.rrd", f->dir);
	forecast_rrd(
	    path, NOW, 7 * DAY, 100 * GB, 47 * GB, &fc, err, sizeof(err));
	assert_int_equal(fc.status, FORECAST_NO_DATA);
	assert_non_null(strstr(err, "none/_used.rrd"));
	assert_true(isnan(fc.days));
}

/* A disk result: the hook adds /_days_until_full with its ranges. */
static void
disk_result(struct probe_result *res, double used, double free_b)
{
	struct metric *m;

	result_init(res);
	result_set(res, STATE_OK, REASON_NONE, "/ 47.0%% used");
	m = result_metric(res, "/_used", used, "B", DS_GAUGE);
	assert_non_null(m);
	m->has_min = m->has_max = true;
	m->max = 200 * GB;
	assert_non_null(result_metric(res, "/_free", free_b, "B", DS_GAUGE));
	assert_non_null(result_metric(res, "/_used_pct", 47, "%", DS_GAUGE));
}

static const struct metric *
metric_named(const struct probe_result *res, const char *name)
{
	for (size_t i = 0; i < res->metric_count; i++)
		if (strcmp(res->metrics[i].name, name) == 0)
			return &res->metrics[i];
	return NULL;
}

static void
test_hook(void **state)
{
	struct fixture *f = *state;
	struct probe_result *res = calloc(1, sizeof(*res));
	const struct metric *m;

	assert_non_null(res);
	/* 53 days: OK, the metric carries the default ranges */
	write_series(f->dir, "lin", 300, 7 * DAY, SERIES_LINEAR, no_gaps);
	disk_result(res, series_value(SERIES_LINEAR, NOW), 53 * GB);
	forecast_result(res, f->dir, "lin", NULL, NULL, NOW);
	m = metric_named(res, "/_days_until_full");
	assert_non_null(m);
	assert_false(m->unknown);
	assert_true(fabs(m->value - 53.0) < 0.05 * 53.0);
	assert_string_equal(m->unit, "");
	assert_int_equal(m->ds, DS_GAUGE);
	assert_string_equal(m->warn.text, "14:");
	assert_string_equal(m->crit.text, "3:");
	assert_int_equal(res->state, STATE_OK);
	assert_int_equal(res->metric_count, 4);
	/* 13 days (capacity 60 GB): WARNING, threshold, message kept */
	disk_result(res, series_value(SERIES_LINEAR, NOW), 13 * GB);
	forecast_result(res, f->dir, "lin", NULL, NULL, NOW);
	m = metric_named(res, "/_days_until_full");
	assert_non_null(m);
	assert_true(fabs(m->value - 13.0) < 0.05 * 13.0);
	assert_int_equal(res->state, STATE_WARNING);
	assert_int_equal(res->reason, REASON_THRESHOLD);
	assert_non_null(strstr(res->message, "/ full in 13.0 days; / 47.0%"));
	/* 2.5 days: CRITICAL */
	write_series(f->dir, "fast", 300, 7 * DAY, SERIES_FAST, no_gaps);
	disk_result(res, series_value(SERIES_FAST, NOW), 10 * GB);
	forecast_result(res, f->dir, "fast", NULL, NULL, NOW);
	assert_int_equal(res->state, STATE_CRITICAL);
	assert_int_equal(res->reason, REASON_THRESHOLD);
	/* flat: the metric is U and the state stays OK */
	write_series(f->dir, "flat", 300, 7 * DAY, SERIES_FLAT, no_gaps);
	disk_result(res, series_value(SERIES_FLAT, NOW), 1 * GB);
	forecast_result(res, f->dir, "flat", NULL, NULL, NOW);
	m = metric_named(res, "/_days_until_full");
	assert_non_null(m);
	assert_true(m->unknown);
	assert_int_equal(res->state, STATE_OK);
	assert_non_null(strstr(res->long_output, "/: no forecast (flat)"));
	free(res);
}

/* The keys from a [check] section: own ranges, window, off switch. */
static void
test_config(void **state)
{
	struct fixture *f = *state;
	struct probe_result *res = calloc(1, sizeof(*res));
	struct cfg *cfg = NULL;
	struct cfg_errors errs;
	struct args fa;
	const struct cfg_section *sec;
	const struct metric *m;
	static const struct probe fake_disk = { .name = "disk" };
	static const struct probe fake_load = { .name = "load" };

	assert_non_null(res);
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string("[check d]\nprobe = disk\n"
					 "forecast-warning = 60:\n"
					 "forecast-critical = 20:\n"
					 "forecast-window = 2\n"
					 "[check bad]\nprobe = disk\n"
					 "forecast-warning = x\n"
					 "forecast-window = 1.5\n"
					 "[check off]\nprobe = disk\n"
					 "forecast = no\n",
			     "t.conf", &cfg, &errs),
	    0);
	assert_non_null(forecast_options_for(&fake_disk));
	assert_null(forecast_options_for(&fake_load));
	assert_null(forecast_options_for(NULL));
	sec = cfg_find(cfg, "check", "bad");
	assert_int_equal(
	    forecast_check_config(sec, &fake_disk, "t.conf", &errs), -1);
	assert_int_equal(errs.count, 2);
	assert_string_equal(errs.msgs[0],
	    "t.conf:8: forecast-warning: Range format incorrect: 'x'");
	assert_non_null(strstr(errs.msgs[1], "t.conf:9: forecast-window:"));
	/* other probes do not take the keys: nothing validated */
	assert_int_equal(
	    forecast_check_config(sec, &fake_load, "t.conf", &errs), 0);

	write_series(f->dir, "d", 300, 7 * DAY, SERIES_LINEAR, no_gaps);
	sec = cfg_find(cfg, "check", "d");
	assert_int_equal(
	    forecast_check_config(sec, &fake_disk, "t.conf", &errs), 0);
	assert_int_equal(
	    cfg_section_pick(sec, forecast_check_options, &fa, "t.conf", &errs),
	    0);
	disk_result(res, series_value(SERIES_LINEAR, NOW), 53 * GB);
	forecast_result(res, f->dir, "d", NULL, &fa, NOW);
	m = metric_named(res, "/_days_until_full");
	assert_non_null(m);
	assert_true(fabs(m->value - 53.0) < 0.05 * 53.0);
	assert_string_equal(m->warn.text, "60:");
	assert_int_equal(res->state, STATE_WARNING);
	args_free(&fa);

	sec = cfg_find(cfg, "check", "off");
	assert_int_equal(
	    cfg_section_pick(sec, forecast_check_options, &fa, "t.conf", &errs),
	    0);
	disk_result(res, series_value(SERIES_LINEAR, NOW), 53 * GB);
	forecast_result(res, f->dir, "d", NULL, &fa, NOW);
	assert_null(metric_named(res, "/_days_until_full"));
	args_free(&fa);
	cfg_free(cfg);
	cfg_errors_free(&errs);
	free(res);
}

static void
test_backup_space(void **state)
{
	struct fixture *f = *state;
	char msg[256], path[128];

	assert_int_equal(
	    forecast_backup_space_ok(f->dir, 1, 0.1, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "");
	assert_int_equal(
	    forecast_backup_space_ok(f->dir, 0, 0.1, msg, sizeof(msg)), 1);
	/* an exabyte does not fit in a test machine's /tmp */
	assert_int_equal(forecast_backup_space_ok(f->dir, 1000000000000000000LL,
			     0.1, msg, sizeof(msg)),
	    0);
	assert_non_null(strstr(msg,
	    "less than the last archive "
	    "(1000000000000000000 B) plus 10%"));
	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(
	    forecast_backup_space_ok(path, 1, 0.1, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "cannot read free space"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_line),
		cmocka_unit_test(test_fit_outlier),
		cmocka_unit_test_setup_teardown(
		    test_rrd_series, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_rrd_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_backup_space, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
