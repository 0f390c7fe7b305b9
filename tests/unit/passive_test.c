/* Passive check result lines (collector/passive.c): exact text, escaping,
 * and the PIPE_BUF cap (long output dropped first, then perfdata items). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "passive.h"

static const struct probe fake_disk = { .name = "disk" };

static void
test_format_basic(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	char buf[PASSIVE_LINE_MAX];
	struct metric *m;
	int n;

	(void)state;
	assert_non_null(res);
	result_init(res);
	result_set(res, STATE_WARNING, REASON_THRESHOLD, "/ 91%% used");
	m = result_metric(res, "/_used_pct", 91, "%", DS_GAUGE);
	assert_non_null(m);
	n = passive_format(
	    buf, sizeof(buf), 1700000000, "web1", "disk", &fake_disk, res);
	assert_string_equal(buf,
	    "[1700000000] PROCESS_SERVICE_CHECK_RESULT;"
	    "web1;disk;1;DISK WARNING: / 91% used|/_used_pct=91%\n");
	assert_int_equal(n, (int)strlen(buf));
	free(res);
}

static void
test_format_escapes(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	char buf[PASSIVE_LINE_MAX];

	(void)state;
	assert_non_null(res);
	result_init(res);
	result_set(res, STATE_CRITICAL, REASON_THRESHOLD, "a;b\rc");
	result_long(res, "line 1");
	result_long(res, "line 2");
	(void)passive_format(
	    buf, sizeof(buf), 5, "h;o\nst", "ch;eck", &fake_disk, res);
	/* ';' stays in the text (Nagios splits 4 fields only), not in
	 * names; long output lines are joined by a literal \n; the
	 * result helpers already turned CR into a space */
	assert_string_equal(buf,
	    "[5] PROCESS_SERVICE_CHECK_RESULT;h_o_st;"
	    "ch_eck;2;DISK CRITICAL: a;b c\\nline 1\\nline 2\n");
	free(res);
}

static void
test_format_cap(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	char buf[PASSIVE_LINE_MAX];
	char name[40];
	int n;

	(void)state;
	assert_non_null(res);
	result_init(res);
	result_set(res, STATE_OK, REASON_NONE, "many metrics");
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "metric_number_%03d", i);
		assert_non_null(
		    result_metric(res, name, 12345.5, "B", DS_GAUGE));
	}
	for (int i = 0; i < 100; i++)
		result_long(res, "a long output line number %d\n", i);
	n = passive_format(buf, sizeof(buf), 1, "h", "s", &fake_disk, res);
	assert_true(n > 0 && n < PASSIVE_LINE_MAX);
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	/* whole items only, no long output */
	assert_non_null(strstr(buf, "|metric_number_000=12345.5B "));
	assert_null(strstr(buf, "long output"));
	assert_true(buf[n - 2] == 'B');
	/* too small for the fixed fields */
	assert_int_equal(
	    passive_format(buf, 20, 1, "h", "s", &fake_disk, res), -1);
	free(res);
}

static void
test_icinga_body(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	json_t *o = NULL, *v;
	char *body;

	(void)state;
	assert_non_null(res);
	result_init(res);
	result_set(res, STATE_CRITICAL, REASON_THRESHOLD, "bad \xff byte");
	result_long(res, "detail");
	assert_non_null(result_metric(res, "used", 5, "B", DS_GAUGE));
	body = passive_icinga_body(
	    "web\"1", "disk", "collector", &fake_disk, res, 131);
	assert_non_null(body);
	o = json_loads(body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(
	    json_string_value(json_object_get(o, "type")), "Service");
	assert_string_equal(json_string_value(json_object_get(o, "filter")),
	    "host.name == osemon_host && service.name == osemon_service");
	v = json_object_get(o, "filter_vars");
	/* names travel as values, never spliced into the filter */
	assert_string_equal(
	    json_string_value(json_object_get(v, "osemon_host")), "web\"1");
	assert_string_equal(
	    json_string_value(json_object_get(v, "osemon_service")), "disk");
	assert_int_equal(
	    json_integer_value(json_object_get(o, "exit_status")), 2);
	/* invalid UTF-8 becomes '?'; long output after a newline */
	assert_string_equal(
	    json_string_value(json_object_get(o, "plugin_output")),
	    "DISK CRITICAL: bad ? byte\ndetail");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(o, "performance_data"), 0)),
	    "used=5B");
	assert_string_equal(
	    json_string_value(json_object_get(o, "check_source")), "collector");
	assert_int_equal(json_integer_value(json_object_get(o, "ttl")), 131);
	json_decref(o);
	free(body);
	/* ttl 0: none */
	body = passive_icinga_body("h", "s", "c", &fake_disk, res, 0);
	assert_non_null(body);
	o = json_loads(body, 0, NULL);
	assert_null(json_object_get(o, "ttl"));
	json_decref(o);
	free(body);
	free(res);
}

/* docs/nagios-icinga.md has a row for every [nagios] key and no other. */
static void
test_doc_keys(void **state)
{
	const char *src = getenv("SRC");
	char path[4096], line[1024];
	FILE *fp;
	size_t rows = 0, keys = 0;

	(void)state;
	snprintf(
	    path, sizeof(path), "%s/docs/nagios-icinga.md", src ? src : ".");
	fp = fopen(path, "r");
	assert_non_null(fp);
	for (const struct option_spec *o = passive_nagios_options; o->name;
	     o++) {
		char want[128];
		bool found = false;

		snprintf(want, sizeof(want), "| `%s` |", o->name);
		rewind(fp);
		while (fgets(line, sizeof(line), fp) != NULL)
			if (strncmp(line, want, strlen(want)) == 0)
				found = true;
		if (!found)
			fail_msg(
			    "docs/nagios-icinga.md: no row for %s", o->name);
		keys++;
	}
	/* rows of the key table: "| `key` | ..." between its header and
	 * the first line that is not a row */
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "| key | value | meaning |", 25) == 0)
			break;
	while (fgets(line, sizeof(line), fp) != NULL && line[0] == '|')
		if (strncmp(line, "| `", 3) == 0)
			rows++;
	fclose(fp);
	assert_int_equal(rows, keys);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_basic),
		cmocka_unit_test(test_format_escapes),
		cmocka_unit_test(test_format_cap),
		cmocka_unit_test(test_icinga_body),
		cmocka_unit_test(test_doc_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
