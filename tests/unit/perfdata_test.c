/* Perfdata formatting and parsing: quoting, units, 'U', exponents,
 * comma decimals and garbage (vectors after monitoring-plugin-perl's
 * Monitoring-Plugin-Performance.t). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "perfdata.h"

static struct metric
make_metric(const char *name, double v, const char *unit)
{
	struct metric m;

	memset(&m, 0, sizeof(m));
	strncpy(m.name, name, sizeof(m.name) - 1);
	strncpy(m.unit, unit, sizeof(m.unit) - 1);
	m.value = v;
	return m;
}

static void
test_format_plain(void **state)
{
	struct metric m = make_metric("time", 0.005067, "s");
	char buf[256];

	(void)state;
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "time=0.005067s");
	range_parse("0.5", &m.warn);
	range_parse("1", &m.crit);
	m.has_min = true;
	m.min = 0;
	m.has_max = true;
	m.max = 10;
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "time=0.005067s;0.5;1;0;10");
}

static void
test_format_quotes(void **state)
{
	struct metric m = make_metric("/ (inodes)", 416118, "");
	char buf[256];

	(void)state;
	m.has_min = true;
	m.has_max = true;
	m.max = 16777216;
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "'/ (inodes)'=416118;;;0;16777216");
	m = make_metric("it's", 1, "");
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "'it''s'=1");
	/* found by fuzz_perfdata: a label of pipes must not become empty */
	m = make_metric("||", 2, "");
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "'__'=2");
	/* found by fuzz_perfdata: any white space forces quotes */
	m = make_metric("a\vb", 3, "");
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "'a\vb'=3");
}

static void
test_format_unknown_and_big(void **state)
{
	struct metric m = make_metric("x", NAN, "B");
	char buf[256];

	(void)state;
	m.unknown = true;
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "x=U");
	m = make_metric("used", 270552530944.0, "B");
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "used=270552530944B");
	m = make_metric("tiny", -0.25, "");
	perfdata_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "tiny=-0.25");
}

struct parse_case {
	const char *text;
	size_t count;
	const char *name0;
	double value0;
	const char *unit0;
};

static const struct parse_case good_cases[] = {
	{ "/=382MB;15264;15269;0;32768", 1, "/", 382, "MB" },
	{ "'var log'=10%;80;90 time=1s", 2, "var log", 10, "%" },
	{ "'with: colon'=3", 1, "with: colon", 3, "" },
	{ "x=U", 1, "x", NAN, "" },
	{ "e=1.4e+04B", 1, "e", 14000, "B" },
	{ "c=12,5ms", 1, "c", 12.5, "ms" },
	{ "load1=0.32;5;10;0 load5=0.2;4;6;0 load15=0.1;3;4;0", 3, "load1",
	    0.32, "" },
	{ "  a=1   b=2  ", 2, "a", 1, "" },
	{ "'it''s'=4c", 1, "it's", 4, "c" },
	{ "t=5;~:10;@1:2", 1, "t", 5, "" },
	{ "", 0, NULL, 0, NULL },
};

static const char *const bad_cases[] = {
	"garbage",
	"x=",
	"x=abc",
	"x=1;foo",
	"x=1;;1-10",
	"x=1;;;zero",
	"'unterminated=1",
	"=1",
	"x=1zz",
	"x=1;1;2;3;4;5",
	"'a'b=1",
};

static void
test_parse_good(void **state)
{
	struct metric m[8];
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]);
	     i++) {
		const struct parse_case *c = &good_cases[i];
		size_t n = 99;

		if (perfdata_parse(c->text, m, 8, &n, err, sizeof(err)) != 0)
			fail_msg("'%s' should parse: %s", c->text, err);
		assert_int_equal(n, c->count);
		if (n == 0)
			continue;
		assert_string_equal(m[0].name, c->name0);
		if (isnan(c->value0))
			assert_true(m[0].unknown);
		else
			assert_true(fabs(m[0].value - c->value0) < 1e-9);
		assert_string_equal(m[0].unit, c->unit0);
	}
}

static void
test_parse_fields(void **state)
{
	struct metric m[4];
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(perfdata_parse("/=382MB;15264;15269;0;32768", m, 4, &n,
			     err, sizeof(err)),
	    0);
	assert_true(m[0].warn.set && m[0].warn.end == 15264);
	assert_true(m[0].crit.set && m[0].crit.end == 15269);
	assert_true(m[0].has_min && m[0].min == 0);
	assert_true(m[0].has_max && m[0].max == 32768);
	assert_int_equal(perfdata_parse("c=5c", m, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(m[0].ds, DS_DERIVE);
}

static void
test_parse_bad(void **state)
{
	struct metric m[8];
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		size_t n;

		err[0] = '\0';
		if (perfdata_parse(bad_cases[i], m, 8, &n, err, sizeof(err)) ==
		    0)
			fail_msg("'%s' should be rejected", bad_cases[i]);
		assert_true(err[0] != '\0');
	}
}

static void
test_parse_cap(void **state)
{
	struct metric m[2];
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(
	    perfdata_parse("a=1 b=2 c=3", m, 2, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 2"));
}

static void
test_roundtrip(void **state)
{
	struct metric in = make_metric("disk /var", 12.5, "%");
	struct metric out[1];
	char buf[256], err[256];
	size_t n;

	(void)state;
	range_parse("@80:90", &in.warn);
	range_parse("~:95", &in.crit);
	perfdata_format(&in, buf, sizeof(buf));
	assert_int_equal(perfdata_parse(buf, out, 1, &n, err, sizeof(err)), 0);
	assert_string_equal(out[0].name, "disk /var");
	assert_true(out[0].value == 12.5);
	assert_string_equal(out[0].warn.text, "@80:90");
	assert_string_equal(out[0].crit.text, "~:95");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_plain),
		cmocka_unit_test(test_format_quotes),
		cmocka_unit_test(test_format_unknown_and_big),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_cap),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
