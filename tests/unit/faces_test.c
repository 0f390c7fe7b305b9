/* The plugin faces: option parsing from the option table, Nagios output,
 * munin field names, ranges and config/fetch output. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "faces.h"

static const struct option_spec fake_options[] = {
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 1, 0, "warn" },
	{ "critical", 'c', OPT_RANGE, "RANGE", "95", 1, 0, "crit" },
	{ "path", 'p', OPT_LIST, "PATH", NULL, 1, 0, "paths" },
	{ "count", 'n', OPT_INT, "N", "3", 1, 10, "count" },
	{ "insecure", 0, OPT_FLAG, NULL, NULL, 1, 0, "no TLS check" },
	{ "header", 'k', OPT_MULTI, "H", NULL, 1, 0, "headers" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static int
fake_run(const struct probe_run *run, struct probe_result *res)
{
	struct metric *m =
	    result_metric(res, "/var/log used", 42, "%", DS_GAUGE);

	args_range(run->args, "warning", &m->warn);
	args_range(run->args, "critical", &m->crit);
	result_set(res, STATE_OK, REASON_NONE, "used 42%%");
	result_apply_thresholds(res);
	return 0;
}

static const struct probe fake_probe = {
	.name = "fake",
	.summary = "a probe for tests",
	.options = fake_options,
	.munin = { .title = "Fake", .category = "disk", .vlabel = "%" },
	.run = fake_run,
};

static int
parse(struct args *a, struct face_opts *fo, char *err, int argc, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	argv[0] = (char *)(uintptr_t) "fake";
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	args_init(a, fake_options);
	memset(fo, 0, sizeof(*fo));
	return face_parse_argv(&fake_probe, argc, argv, a, fo, err, 256);
}

static void
test_parse_forms(void **state)
{
	struct args a;
	struct face_opts fo;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, &fo, err, 9, "-w80", "--critical=90", "-p",
			     "/,/var", "--path", "/home", "-t", "2.5"),
	    0);
	assert_string_equal(args_string(&a, "warning"), "80");
	assert_string_equal(args_string(&a, "critical"), "90");
	assert_int_equal(args_list_count(&a, "path"), 3);
	assert_string_equal(args_list_item(&a, "path", 1), "/var");
	assert_string_equal(args_list_item(&a, "path", 2), "/home");
	assert_true(fo.timeout == 2.5);
	assert_int_equal(args_int(&a, "count"), 3); /* default */
	assert_false(args_flag(&a, "insecure"));
	args_free(&a);
	assert_int_equal(
	    parse(&a, &fo, err, 5, "-k", "Accept: a, b", "-k", "X: 1"), 0);
	assert_int_equal(args_list_count(&a, "header"), 2); /* no split */
	assert_string_equal(args_list_item(&a, "header", 0), "Accept: a, b");
	args_free(&a);
	assert_int_equal(parse(&a, &fo, err, 4, "--insecure", "-v", "-v"), 0);
	assert_true(args_flag(&a, "insecure"));
	assert_int_equal(fo.verbose, 2);
	args_free(&a);
}

static void
test_parse_rest(void **state)
{
	struct args a;
	struct face_opts fo;
	char err[256];

	(void)state;
	assert_int_equal(
	    parse(&a, &fo, err, 6, "-n", "4", "--", "/bin/echo", "-w"), 0);
	assert_int_equal(a.rest_count, 2);
	assert_string_equal(a.rest[0], "/bin/echo");
	assert_string_equal(a.rest[1], "-w");
	assert_null(a.rest[2]);
	args_free(&a);
}

struct bad_case {
	const char *opt, *value, *message;
};

static const struct bad_case bad_cases[] = {
	{ "-w", "foo", "--warning: Range format incorrect: 'foo'" },
	{ "-w", "2:1", "--warning: Range format incorrect: '2:1'" },
	{ "-c", "1,10", "--critical: Range format incorrect: '1,10'" },
	{ "-n", "11", "--count: '11' is not a whole number from 1 to 10" },
	{ "-n", "3x", "--count: '3x' is not a whole number from 1 to 10" },
	{ "-t", "0", "--timeout: '0' is not a number of seconds" },
	{ "--bogus", "1", "unknown option '--bogus'" },
	{ "-Z", "1", "unknown option '-Z'" },
	{ "stray", "1", "unexpected argument 'stray'" },
};

static void
test_parse_errors(void **state)
{
	struct args a;
	struct face_opts fo;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		assert_int_equal(parse(&a, &fo, err, 3, bad_cases[i].opt,
				     bad_cases[i].value),
		    -1);
		assert_string_equal(err, bad_cases[i].message);
		args_free(&a);
	}
	assert_int_equal(parse(&a, &fo, err, 2, "-w"), -1);
	assert_string_equal(err, "--warning needs a value");
	args_free(&a);
	assert_int_equal(parse(&a, &fo, err, 2, "--insecure=yes"), -1);
	assert_string_equal(err, "--insecure takes no value");
	args_free(&a);
}

static void
test_nagios_format(void **state)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct args a;
	struct face_opts fo;
	char err[256], out[1024];

	(void)state;
	assert_int_equal(parse(&a, &fo, err, 3, "-w", "40"), 0);
	face_run_probe(&fake_probe, &a, 5, FACE_NAGIOS, NULL, res);
	assert_int_equal(res->state, STATE_WARNING);
	assert_int_equal(res->reason, REASON_THRESHOLD);
	result_long(res, "line one");
	result_long(res, "a | pipe");
	nagios_format(&fake_probe, res, 1, out, sizeof(out));
	assert_string_equal(out,
	    "FAKE WARNING: used 42% | "
	    "'/var/log used'=42%;40;95\nline one\na / pipe\nreason: "
	    "threshold\n");
	args_free(&a);
	free(res);
}

static void
test_munin_names(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	char names[6][MUNIN_FIELD_MAX];

	(void)state;
	result_init(res);
	result_metric(res, "/var/log used", 1, "", DS_GAUGE);
	result_metric(res, "9lives", 1, "", DS_GAUGE);
	result_metric(res, "a_very_long_metric_name_one", 1, "", DS_GAUGE);
	result_metric(res, "a_very_long_metric_name_two", 1, "", DS_GAUGE);
	result_metric(res, "root", 1, "", DS_GAUGE);
	result_metric(res, "/var/log_used", 1, "", DS_GAUGE);
	munin_field_names(res, names);
	assert_string_equal(names[0], "_var_log_used");
	assert_string_equal(names[1], "_9lives");
	assert_string_equal(names[2], "a_very_long_metric_");
	assert_int_equal(strlen(names[3]), 19);
	assert_string_not_equal(names[3], names[2]);
	assert_string_not_equal(names[4], "root");
	assert_string_not_equal(names[5], names[0]);
	free(res);
}

static void
test_munin_range(void **state)
{
	struct range r;
	char buf[64];

	(void)state;
	range_parse("90", &r);
	assert_int_equal(munin_range(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0:90");
	range_parse("10:", &r);
	munin_range(&r, buf, sizeof(buf));
	assert_string_equal(buf, "10:");
	range_parse("~:5.5", &r);
	munin_range(&r, buf, sizeof(buf));
	assert_string_equal(buf, ":5.5");
	range_parse("@1:2", &r);
	assert_int_equal(munin_range(&r, buf, sizeof(buf)), -1);
}

static void
test_munin_output(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	struct metric *m;
	char out[2048];

	(void)state;
	result_init(res);
	m = result_metric(res, "requests", 1234.7, "c", DS_DERIVE);
	m = result_metric(res, "ratio", 0.25, "", DS_GAUGE);
	m->has_min = m->has_max = true;
	m->max = 1;
	range_parse("0.5:", &m->warn);
	result_metric(res, "gone", NAN, "", DS_GAUGE);
	munin_format_config(&fake_probe, res, out, sizeof(out));
	assert_string_equal(out,
	    "graph_title Fake\ngraph_category disk\n"
	    "graph_vlabel %\n"
	    "requests.label requests (c)\nrequests.type DERIVE\nrequests.min "
	    "0\n"
	    "ratio.label ratio\nratio.type GAUGE\nratio.min 0\nratio.max 1\n"
	    "ratio.warning 0.5:\n"
	    "gone.label gone\ngone.type GAUGE\n");
	munin_format_values(res, out, sizeof(out));
	assert_string_equal(out,
	    "requests.value 1234\nratio.value 0.25\n"
	    "gone.value U\n");
	free(res);
}

static void
test_explain_thresholds(void **state)
{
	struct probe_result *res = calloc(1, sizeof(*res));
	struct metric *m;

	(void)state;
	result_init(res);
	m = result_metric(res, "hit_ratio", 12.5, "%", DS_GAUGE);
	range_parse("50:", &m->warn);
	m = result_metric(res, "threads", 900, "", DS_GAUGE);
	range_parse("800", &m->crit);
	m = result_metric(res, "fine", 1, "", DS_GAUGE);
	range_parse("10", &m->crit);
	result_set(res, STATE_OK, REASON_NONE, "uptime 3 d");
	result_explain_thresholds(res);
	assert_string_equal(res->message, "uptime 3 d"); /* not raised yet */
	result_apply_thresholds(res);
	assert_int_equal(res->state, STATE_CRITICAL);
	result_explain_thresholds(res);
	assert_string_equal(res->message,
	    "hit_ratio 12.5% outside 50: "
	    "(warning), threads 900 outside 800 (critical), uptime 3 d");
	free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_rest),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_nagios_format),
		cmocka_unit_test(test_munin_names),
		cmocka_unit_test(test_munin_range),
		cmocka_unit_test(test_munin_output),
		cmocka_unit_test(test_explain_thresholds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
