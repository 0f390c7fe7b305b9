/* The backup's pure logic: schedule parsing and the next run (the run's
 * daily one, the verify's weekly one), object names (daily_/monthly_ in
 * UTC), the result record's JSON both ways, and
 * the [backup] section through config check. */
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

#include "backup.h"

static const struct {
	const char *text;
	int rc, h, m, s;
} sched_cases[] = {
	{ "07:20", 0, 7, 20, 0 },
	{ "00:00", 0, 0, 0, 0 },
	{ "23:59:59", 0, 23, 59, 59 },
	{ "7:20", -1, 0, 0, 0 },
	{ "24:00", -1, 0, 0, 0 },
	{ "12:60", -1, 0, 0, 0 },
	{ "12:30:", -1, 0, 0, 0 },
	{ "12:30:5", -1, 0, 0, 0 },
	{ "12", -1, 0, 0, 0 },
	{ "", -1, 0, 0, 0 },
	{ "ab:cd", -1, 0, 0, 0 },
	{ "12:30:00:00", -1, 0, 0, 0 },
	{ " 12:30", -1, 0, 0, 0 },
};

static void
test_schedule_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sched_cases) / sizeof(sched_cases[0]);
	     i++) {
		int h = -1, m = -1, s = -1;
		int rc = backup_parse_schedule(sched_cases[i].text, &h, &m, &s);

		if (rc != sched_cases[i].rc)
			fail_msg("'%s': rc %d", sched_cases[i].text, rc);
		if (rc == 0 &&
		    (h != sched_cases[i].h || m != sched_cases[i].m ||
			s != sched_cases[i].s))
			fail_msg(
			    "'%s': %d:%d:%d", sched_cases[i].text, h, m, s);
	}
}

static void
test_next_run(void **state)
{
	/* 2026-11-26 07:19:59 UTC = 1795677599 */
	time_t t = 1795677599;

	(void)state;
	assert_int_equal(backup_next_run(t, 7, 20, 0), t + 1);
	/* exactly at the time: the next day */
	assert_int_equal(backup_next_run(t + 1, 7, 20, 0), t + 1 + 86400);
	assert_int_equal(backup_next_run(t + 2, 7, 20, 0), t + 1 + 86400);
	assert_int_equal(
	    backup_next_run(t, 0, 0, 0), t - (7 * 3600 + 19 * 60 + 59) + 86400);
}

static const struct {
	const char *text;
	int rc, wday, h, m, s;
} verify_cases[] = {
	{ "Sun 08:20", 0, 0, 8, 20, 0 },
	{ "sun 08:20", 0, 0, 8, 20, 0 },
	{ "SAT 23:59:59", 0, 6, 23, 59, 59 },
	{ "Wed  00:00", 0, 3, 0, 0, 0 },
	{ "08:20", 0, -1, 8, 20, 0 },
	{ "off", 1, 0, 0, 0, 0 },
	{ "OFF", 1, 0, 0, 0, 0 },
	{ "Sunday 08:20", -1, 0, 0, 0, 0 },
	{ "Sun08:20", -1, 0, 0, 0, 0 },
	{ "Xyz 08:20", -1, 0, 0, 0, 0 },
	{ "Sun", -1, 0, 0, 0, 0 },
	{ "Sun 25:00", -1, 0, 0, 0, 0 },
	{ "weekly", -1, 0, 0, 0, 0 },
	{ "", -1, 0, 0, 0, 0 },
};

static void
test_verify_schedule_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]);
	     i++) {
		int wday = -9, h = -1, m = -1, s = -1;
		int rc = backup_parse_verify_schedule(
		    verify_cases[i].text, &wday, &h, &m, &s);

		if (rc != verify_cases[i].rc)
			fail_msg("'%s': rc %d", verify_cases[i].text, rc);
		if (rc == 0 &&
		    (wday != verify_cases[i].wday || h != verify_cases[i].h ||
			m != verify_cases[i].m || s != verify_cases[i].s))
			fail_msg("'%s': day %d %d:%d:%d", verify_cases[i].text,
			    wday, h, m, s);
	}
}

static void
test_next_weekly(void **state)
{
	/* Thursday 2026-11-26 07:19:59 UTC */
	time_t t = 1795677599, midnight = t - (7 * 3600 + 19 * 60 + 59);

	(void)state;
	/* Sunday 2026-11-29 08:20 */
	assert_int_equal(backup_next_weekly(t, 0, 8, 20, 0),
	    midnight + 3 * 86400 + 8 * 3600 + 20 * 60);
	/* later today, a second from now */
	assert_int_equal(backup_next_weekly(t, 4, 7, 20, 0), t + 1);
	/* exactly now, or earlier today: next week */
	assert_int_equal(backup_next_weekly(t, 4, 7, 19, 59), t + 7 * 86400);
	assert_int_equal(
	    backup_next_weekly(t, 4, 0, 0, 0), midnight + 7 * 86400);
	/* Wednesday: six days ahead */
	assert_int_equal(
	    backup_next_weekly(t, 3, 0, 0, 0), midnight + 6 * 86400);
	/* every day */
	assert_int_equal(backup_next_weekly(t, -1, 7, 20, 0), t + 1);
	assert_int_equal(backup_next_weekly(t, -1, 7, 19, 0), t - 59 + 86400);
}

static void
test_object_base(void **state)
{
	char buf[128];

	(void)state;
	/* 2026-11-26 07:19:59 UTC */
	assert_int_equal(
	    backup_object_base("web1", 1795677599, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "daily_web1_20261126_071959");
	/* 2026-12-01 00:00:05 UTC: the first of the month */
	assert_int_equal(
	    backup_object_base("web1", 1796083205, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "monthly_web1_20261201_000005");
	/* 2026-11-30 23:59:59 UTC is still a daily */
	assert_int_equal(
	    backup_object_base("web1", 1796083199, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "daily_web1_20261130_235959");
	assert_int_equal(backup_object_base("web1", 1796083199, buf, 10), -1);
}

static void
test_record_roundtrip(void **state)
{
	struct backup_record a, b;
	char err[256];
	char *text;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.kind, "run");
	strcpy(a.host, "web1");
	a.start = 1795677599;
	a.end = 1795676499;
	a.ok = false;
	a.exit_status = 1;
	strcpy(a.failed_step, "upload");
	strcpy(a.error, "part 2: HTTP 503 \"busy\"");
	strcpy(a.stderr_tail, "line1\nline2");
	a.bytes = 12345678901LL;
	a.files = 42;
	a.parts = 3;
	strcpy(a.objects[0], "daily_web1_20261126_071959.tar.gpg");
	a.object_count = 1;
	a.last_success = 1795600000;
	a.last_success_bytes = 99;
	text = backup_record_format(&a);
	assert_non_null(text);
	assert_non_null(
	    strstr(text, "\"start_utc\": \"2026-11-26T07:19:59Z\""));
	assert_int_equal(
	    backup_record_parse(text, strlen(text), &b, err, sizeof(err)), 0);
	free(text);
	assert_false(b.ok);
	assert_int_equal(b.exit_status, 1);
	assert_string_equal(b.failed_step, "upload");
	assert_string_equal(b.error, a.error);
	assert_string_equal(b.stderr_tail, a.stderr_tail);
	assert_true(b.bytes == a.bytes);
	assert_true(b.files == 42 && b.parts == 3);
	assert_int_equal(b.object_count, 1);
	assert_string_equal(b.objects[0], a.objects[0]);
	assert_true(b.last_success == a.last_success);
	assert_true(b.last_success_bytes == 99);
}

static const struct {
	const char *json;
	const char *err; /* substring, NULL when accepted */
} parse_cases[] = {
	{ "{\"kind\":\"run\",\"ok\":true}", NULL },
	{ "{\"kind\":\"verify\",\"ok\":false}", NULL },
	{ "", "not JSON" },
	{ "[]", "not a JSON object" },
	{ "{\"kind\":\"run\"}", "ok: missing" },
	{ "{\"kind\":\"run\",\"ok\":1}", "ok: missing or not a boolean" },
	{ "{\"kind\":\"other\",\"ok\":true}", "kind" },
	{ "{\"kind\":\"run\",\"ok\":true,\"bytes\":\"1\"}",
	    "bytes: not an "
	    "integer" },
	{ "{\"kind\":\"run\",\"ok\":true,\"bytes\":-1}", "negative" },
	{ "{\"kind\":\"run\",\"ok\":true,\"exit_status\":300}", "exit_status" },
	{ "{\"kind\":\"run\",\"ok\":true,\"objects\":[1]}", "objects[0]" },
	{ "{\"kind\":\"run\",\"ok\":true,\"objects\":{}}",
	    "objects: not an "
	    "array" },
	{ "{\"kind\":\"run\",\"kind\":\"run\",\"ok\":true}", "not JSON" },
	{ "{\"kind\":\"run\",\"ok\":true,\"host\":5}", "host: not a string" },
};

static void
test_record_parse_errors(void **state)
{
	struct backup_record r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		int rc;

		err[0] = '\0';
		rc = backup_record_parse(parse_cases[i].json,
		    strlen(parse_cases[i].json), &r, err, sizeof(err));
		if (parse_cases[i].err == NULL && rc != 0)
			fail_msg("'%s' refused: %s", parse_cases[i].json, err);
		if (parse_cases[i].err != NULL &&
		    (rc == 0 || strstr(err, parse_cases[i].err) == NULL))
			fail_msg("'%s': rc %d err '%s'", parse_cases[i].json,
			    rc, err);
	}
	/* A failed record without a step still names one. */
	{
		const char *t = "{\"kind\":\"run\",\"ok\":false}";

		assert_int_equal(
		    backup_record_parse(t, strlen(t), &r, err, sizeof(err)), 0);
	}
	assert_string_equal(r.failed_step, "unknown");
}

/* [backup] through the config check hook: errors name file and line. */
static void
test_config_check(void **state)
{
	char dir[] = "/tmp/backup_test.XXXXXX";
	char path[256], conf[2048];
	struct cfg *cfg = NULL;
	struct cfg_errors errs;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pass", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("secret\r\n", fp);
	fclose(fp);
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/key", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("k\n", fp);
	fclose(fp);
	chmod(path, 0644);
	snprintf(conf, sizeof(conf),
	    "[b2]\nkey-id = x\nkey-file = %s/key\nbucket = b\n"
	    "[backup]\npassphrase-file = %s/pass\nschedule = 25:00\n"
	    "paths = relative/path\nexclude = nope\ncolour = red\n"
	    "verify-schedule = Sunday 08:20\n",
	    dir, dir);
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string(conf, "t.conf", &cfg, &errs), 0);
	assert_int_equal(backup_config_check(cfg, &errs), -1);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&buf, &len);

		cfg_errors_print(&errs, mem);
		fclose(mem);
		assert_non_null(strstr(buf,
		    "t.conf:10: unknown key 'colour' "
		    "in [backup]"));
		assert_non_null(strstr(buf, "t.conf:6: passphrase-file: "));
		assert_non_null(strstr(buf, "CR"));
		assert_non_null(strstr(buf, "t.conf:7: schedule: '25:00'"));
		assert_non_null(
		    strstr(buf, "t.conf:8: paths: 'relative/path'"));
		assert_non_null(strstr(buf, "t.conf:9: exclude: 'nope'"));
		assert_non_null(strstr(buf, "t.conf:3: key-file: "));
		assert_non_null(strstr(buf,
		    "t.conf:11: verify-schedule: 'Sunday 08:20' is not "
		    "DAY HH:MM[:SS] (DAY Mon..Sun), HH:MM[:SS] or off (UTC)"));
		free(buf);
	}
	cfg_errors_free(&errs);
	cfg_free(cfg);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* [backup] without [b2]: the B2 access is missing. */
static void
test_config_needs_b2(void **state)
{
	struct cfg *cfg = NULL;
	struct cfg_errors errs;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string("[backup]\nschedule = 07:20\n",
			     "n.conf", &cfg, &errs),
	    0);
	assert_int_equal(backup_config_check(cfg, &errs), -1);
	mem = open_memstream(&buf, &len);
	cfg_errors_print(&errs, mem);
	fclose(mem);
	assert_non_null(strstr(buf, "n.conf:1: passphrase-file is required"));
	assert_non_null(strstr(buf, "n.conf:1: [backup] needs a [b2] section"));
	free(buf);
	cfg_errors_free(&errs);
	cfg_free(cfg);
	/* No [backup]: nothing to check. */
	cfg_errors_init(&errs);
	assert_int_equal(
	    cfg_load_string("[global]\n", "g.conf", &cfg, &errs), 0);
	assert_int_equal(backup_config_check(cfg, &errs), 0);
	assert_int_equal(cfg_errors_total(&errs), 0);
	cfg_errors_free(&errs);
	cfg_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_parse),
		cmocka_unit_test(test_next_run),
		cmocka_unit_test(test_verify_schedule_parse),
		cmocka_unit_test(test_next_weekly),
		cmocka_unit_test(test_object_base),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_parse_errors),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_config_needs_b2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
