/*
 * varnishstat -j parsing (both layouts, garbage) and the varnish probe's
 * collector face: hit ratio and rates over the last interval from the
 * check state, against a fake varnishstat that prints files.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"
#include "util.h"
#include "varnish_json.h"

extern const struct probe probe_varnish;

/* Varnish >= 6.5, trimmed from a real varnishstat 7.1 -j. */
static const char new_layout[] =
    "{\n  \"version\": 1,\n  \"timestamp\": \"2026-11-26T18:50:15\",\n"
    "  \"counters\": {\n"
    "    \"MGT.uptime\": {\"description\": \"Management process uptime\", "
    "\"flag\": \"c\", \"format\": \"d\", \"value\": 9},\n"
    "    \"MAIN.uptime\": {\"description\": \"Child process uptime\", "
    "\"flag\": \"c\", \"format\": \"d\", \"value\": 8},\n"
    "    \"MAIN.client_req\": {\"flag\": \"c\", \"format\": \"i\", "
    "\"value\": 40},\n"
    "    \"MAIN.cache_hit\": {\"flag\": \"c\", \"format\": \"i\", "
    "\"value\": 30},\n"
    "    \"MAIN.cache_hitpass\": {\"flag\": \"c\", \"format\": \"i\", "
    "\"value\": 2},\n"
    "    \"MAIN.cache_miss\": {\"flag\": \"c\", \"format\": \"i\", "
    "\"value\": 8},\n"
    "    \"MAIN.threads\": {\"flag\": \"g\", \"format\": \"i\", "
    "\"value\": 200},\n"
    "    \"SMA.s0.g_bytes\": {\"flag\": \"g\", \"format\": \"B\", "
    "\"value\": 609},\n"
    "    \"SMA.s0.g_space\": {\"flag\": \"g\", \"format\": \"B\", "
    "\"value\": 33553823},\n"
    "    \"SMA.s0.c_req\": {\"flag\": \"c\", \"format\": \"i\", "
    "\"value\": 2},\n"
    "    \"VBE.boot.default.happy\": {\"flag\": \"b\", \"format\": \"b\", "
    "\"value\": 8160},\n"
    "    \"VBE.boot.default.fail\": {\"flag\": \"c\", \"format\": \"i\", "
    "\"value\": 0},\n"
    "    \"VBE.boot.default.fail_econnrefused\": {\"flag\": \"c\", "
    "\"format\": \"i\", \"value\": 3},\n"
    "    \"VBE.boot.other.happy\": {\"flag\": \"b\", \"format\": \"b\", "
    "\"value\": 18446744073709551615}\n"
    "  }\n}\n";

/* Varnish < 6.5 (6.0 LTS shape): counters beside "timestamp". */
static const char flat_layout[] =
    "{\"timestamp\": \"2026-11-26T18:00:00\",\n"
    " \"MAIN.uptime\": {\"type\": \"MAIN\", \"ident\": \"\", \"flag\": "
    "\"c\", \"format\": \"d\", \"value\": 3600},\n"
    " \"MAIN.cache_hit\": {\"type\": \"MAIN\", \"value\": 750},\n"
    " \"MAIN.cache_miss\": {\"type\": \"MAIN\", \"value\": 250},\n"
    " \"SMF.s0.g_bytes\": {\"type\": \"SMF\", \"ident\": \"s0\", "
    "\"value\": 1048576},\n"
    " \"SMF.s0.g_space\": {\"type\": \"SMF\", \"ident\": \"s0\", "
    "\"value\": 3145728},\n"
    " \"VBE.boot.default.happy\": {\"type\": \"VBE\", \"value\": 0}\n}\n";

static int
parse(const char *text, struct varnish_stats *st, char *err, size_t errlen)
{
	return varnish_stats_parse(text, strlen(text), st, err, errlen);
}

static void
test_new_layout(void **state)
{
	struct varnish_stats st;
	char err[256];

	(void)state;
	assert_int_equal(parse(new_layout, &st, err, sizeof(err)), 0);
	assert_true(st.new_layout);
	assert_true(st.have[VC_UPTIME]);
	assert_true(st.counter[VC_UPTIME] == 8); /* MAIN, not MGT */
	assert_true(st.counter[VC_CLIENT_REQ] == 40);
	assert_true(st.counter[VC_CACHE_HIT] == 30);
	assert_true(st.counter[VC_THREADS] == 200);
	assert_false(st.have[VC_N_LRU_NUKED]);
	assert_int_equal(st.storage_count, 1);
	assert_string_equal(st.storage[0].kind, "SMA");
	assert_string_equal(st.storage[0].name, "s0");
	assert_true(st.storage[0].used == 609);
	assert_true(st.storage[0].free == 33553823);
	assert_int_equal(st.backend_count, 2);
	assert_string_equal(st.backend[0].name, "boot.default");
	assert_true(st.backend[0].happy == 8160);
	assert_true(varnish_backend_sick(&st.backend[0]));
	assert_true(varnish_backend_failures(&st.backend[0]) == 3);
	/* 64 good probes: exact through the raw scan, healthy. */
	assert_true(st.backend[1].happy == UINT64_MAX);
	assert_false(varnish_backend_sick(&st.backend[1]));
}

static void
test_flat_layout(void **state)
{
	struct varnish_stats st;
	char err[256];

	(void)state;
	assert_int_equal(parse(flat_layout, &st, err, sizeof(err)), 0);
	assert_false(st.new_layout);
	assert_true(st.counter[VC_UPTIME] == 3600);
	assert_true(st.counter[VC_CACHE_MISS] == 250);
	assert_false(st.have[VC_CLIENT_REQ]);
	assert_int_equal(st.storage_count, 1);
	assert_string_equal(st.storage[0].kind, "SMF");
	assert_true(st.storage[0].free == 3145728);
	assert_int_equal(st.backend_count, 1);
	/* No probe: never sick. */
	assert_false(varnish_backend_sick(&st.backend[0]));
}

static const struct {
	const char *text;
	const char *err; /* expected substring */
} garbage[] = {
	{ "", "not JSON" },
	{ "{\"version\": 1, \"counters\": {\"MAIN.uptime\": {\"value\": 12",
	    "not JSON" },
	{ "[1, 2]", "not a JSON object" },
	{ "\"text\"", "not JSON" },
	{ "{\"version\": 2, \"counters\": {}}", "unsupported" },
	{ "{\"version\": 1, \"counters\": []}", "not an object" },
	{ "{\"version\": 1, \"counters\": {}}", "no MAIN counters" },
	{ "{\"timestamp\": \"x\"}", "no MAIN counters" },
	{ "{\"counters\": {\"MAIN.client_req\": {\"value\": \"many\"}}}",
	    "MAIN.client_req: value is not a number" },
	{ "{\"counters\": {\"MAIN.client_req\": {\"value\": null}}}",
	    "not a number" },
	{ "{\"counters\": {\"MAIN.client_req\": 5}}", "not an object" },
	{ "{\"counters\": {\"MAIN.client_req\": {}}}", "has no value" },
	{ "{\"counters\": {\"MAIN.client_req\": {\"value\": -1}}}",
	    "out of range" },
	{ "{\"counters\": {\"MAIN.client_req\": {\"value\": 1e300}}}",
	    "out of range" },
	{ "{\"counters\": {\"MAIN.client_req\": {\"value\": 1e999}}}",
	    "not JSON" },
	{ "{\"counters\": {\"MAIN.uptime\": {\"value\": "
	  "99999999999999999999999999}}}",
	    "out of range" },
	{ "{\"counters\": {\"SMA.s0.g_bytes\": {\"value\": true}}}",
	    "not a number" },
	{ "{\"counters\": {\"MAIN.uptime\": {\"value\": 1}, "
	  "\"MAIN.uptime\": {\"value\": 2}}}",
	    "not JSON" },
};

static void
test_garbage(void **state)
{
	struct varnish_stats st;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		err[0] = '\0';
		if (parse(garbage[i].text, &st, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed: %s", i, garbage[i].text);
		if (strstr(err, garbage[i].err) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			    garbage[i].err);
	}
}

static void
test_raw_u64(void **state)
{
	static const char text[] =
	    "{\"a.happy\": {\"flag\": \"b\", "
	    "\"value\" : 18446744073709551614}, \"b\": {\"value\": 1.5}, "
	    "\"c\": {}, \"d\": {\"value\": 18446744073709551616}, "
	    "\"value\": 7}";
	uint64_t v = 0;

	(void)state;
	assert_int_equal(
	    varnish_raw_u64(text, sizeof(text) - 1, "a.happy", &v), 0);
	assert_true(v == UINT64_MAX - 1);
	assert_int_equal(varnish_raw_u64(text, sizeof(text) - 1, "b", &v), -1);
	/* "c" has no value of its own: must not take d's. */
	assert_int_equal(varnish_raw_u64(text, sizeof(text) - 1, "c", &v), -1);
	assert_int_equal(varnish_raw_u64(text, sizeof(text) - 1, "d", &v), -1);
	assert_int_equal(varnish_raw_u64(text, sizeof(text) - 1, "zz", &v), -1);
	/* Truncated input: never reads past len. */
	assert_int_equal(varnish_raw_u64(text, 20, "a.happy", &v), -1);
}

/* The probe through a fake varnishstat printing $VARNISH_TEST_JSON. */
struct fake {
	char dir[64];
	char prog[128];
	char json[128];
};

static void
fake_setup(struct fake *f)
{
	FILE *fp;

	str_copy(f->dir, "/tmp/varnish_test.XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->prog, sizeof(f->prog), "%s/varnishstat", f->dir);
	snprintf(f->json, sizeof(f->json), "%s/stats.json", f->dir);
	fp = fopen(f->prog, "w");
	assert_non_null(fp);
	fputs("#!/bin/sh\ncat \"$VARNISH_TEST_JSON\"\n", fp);
	fclose(fp);
	assert_int_equal(chmod(f->prog, 0700), 0);
	assert_int_equal(setenv("VARNISH_TEST_JSON", f->json, 1), 0);
}

static void
fake_write(const struct fake *f, double uptime, double hit, double miss)
{
	FILE *fp = fopen(f->json, "w");

	assert_non_null(fp);
	fprintf(fp,
	    "{\"version\": 1, \"counters\": {"
	    "\"MAIN.uptime\": {\"value\": %.0f}, "
	    "\"MAIN.client_req\": {\"value\": %.0f}, "
	    "\"MAIN.cache_hit\": {\"value\": %.0f}, "
	    "\"MAIN.cache_miss\": {\"value\": %.0f}, "
	    "\"MAIN.backend_unhealthy\": {\"value\": 0}, "
	    "\"MAIN.n_lru_nuked\": {\"value\": %.0f}}}",
	    uptime, hit + miss, hit, miss, miss);
	fclose(fp);
}

static void
fake_teardown(struct fake *f)
{
	unlink(f->json);
	unlink(f->prog);
	rmdir(f->dir);
}

static const struct metric *
find_metric(const struct probe_result *res, const char *name)
{
	for (size_t i = 0; i < res->metric_count; i++)
		if (strcmp(res->metrics[i].name, name) == 0)
			return &res->metrics[i];
	return NULL;
}

static void
run_probe(const struct fake *f, enum probe_face face, void **check_state,
    const char *warn, struct probe_result *res)
{
	struct args a;
	struct probe_run run;
	char err[ARGS_ERROR_MAX];

	args_init(&a, probe_varnish.options);
	assert_int_equal(
	    args_set(&a, args_spec(probe_varnish.options, "varnishstat"),
		f->prog, err, sizeof(err)),
	    0);
	if (warn != NULL)
		assert_int_equal(
		    args_set(&a,
			args_spec(probe_varnish.options, "hitratio-warning"),
			warn, err, sizeof(err)),
		    0);
	memset(&run, 0, sizeof(run));
	run.args = &a;
	run.deadline = clock_monotonic_now() + 10;
	run.face = face;
	run.check_state = check_state;
	result_init(res);
	assert_int_equal(probe_varnish.run(&run, res), 0);
	args_free(&a);
}

static void
test_interval_ratio(void **state)
{
	struct fake f;
	struct probe_result *res = calloc(1, sizeof(*res));
	void *check_state = NULL;
	const struct metric *m;

	(void)state;
	assert_non_null(res);
	fake_setup(&f);

	/* Since start: 900 hits of 1000 lookups. */
	fake_write(&f, 100, 900, 100);
	run_probe(&f, FACE_NAGIOS, NULL, "50:", res);
	assert_int_equal(res->state, STATE_OK);
	m = find_metric(res, "hit_ratio");
	assert_non_null(m);
	assert_true(fabs(m->value - 90) < 1e-9);
	m = find_metric(res, "client_req");
	assert_non_null(m);
	assert_int_equal(m->ds, DS_DERIVE);

	/* Collector, first run: since start, and keeps the counters. */
	run_probe(&f, FACE_COLLECTOR, &check_state, "50:", res);
	assert_non_null(check_state);
	assert_true(fabs(find_metric(res, "hit_ratio")->value - 90) < 1e-9);

	/* Next interval: 10 hits, 90 misses: 10% over the interval, though
	 * 910/1100 since start; the range sees the interval. */
	fake_write(&f, 160, 910, 190);
	run_probe(&f, FACE_COLLECTOR, &check_state, "50:", res);
	assert_true(fabs(find_metric(res, "hit_ratio")->value - 10) < 1e-9);
	assert_int_equal(res->state, STATE_WARNING);
	assert_int_equal(res->reason, REASON_THRESHOLD);
	assert_non_null(strstr(res->message, "hit_ratio 10% outside 50:"));

	/* The plugin face on the same counters: since start. */
	run_probe(&f, FACE_NAGIOS, NULL, "50:", res);
	assert_true(fabs(find_metric(res, "hit_ratio")->value -
			100.0 * 910 / 1100) < 1e-9);
	assert_int_equal(res->state, STATE_OK);

	/* varnishd restarted (uptime went back): since start again. */
	fake_write(&f, 5, 8, 2);
	run_probe(&f, FACE_COLLECTOR, &check_state, "50:", res);
	assert_true(fabs(find_metric(res, "hit_ratio")->value - 80) < 1e-9);
	m = find_metric(res, "lru_nuked_rate");
	assert_non_null(m);
	assert_true(fabs(m->value - 2.0 / 5) < 1e-9);

	/* No lookups in the interval: unknown ratio, no alert. */
	run_probe(&f, FACE_COLLECTOR, &check_state, "50:", res);
	assert_true(find_metric(res, "hit_ratio")->unknown);
	assert_int_equal(res->state, STATE_OK);

	probe_varnish.state_free(check_state);
	fake_teardown(&f);
	free(res);
}

static void
test_garbage_probe(void **state)
{
	struct fake f;
	struct probe_result *res = calloc(1, sizeof(*res));
	FILE *fp;

	(void)state;
	assert_non_null(res);
	fake_setup(&f);
	fp = fopen(f.json, "w");
	assert_non_null(fp);
	fputs("{\"version\": 1, \"counters\": {\"MAIN.uptime\": ", fp);
	fclose(fp);
	run_probe(&f, FACE_NAGIOS, NULL, NULL, res);
	assert_int_equal(res->state, STATE_UNKNOWN);
	assert_int_equal(res->reason, REASON_BAD_OUTPUT);
	assert_non_null(strstr(res->message, "not JSON"));
	fake_teardown(&f);
	free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_layout),
		cmocka_unit_test(test_flat_layout),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_raw_u64),
		cmocka_unit_test(test_interval_ratio),
		cmocka_unit_test(test_garbage_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
