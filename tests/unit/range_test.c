/* Threshold ranges: every vector of the plugin guidelines and of
 * monitoring-plugin-perl's Range/Threshold tests. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "range.h"

struct range_case {
	const char *text;
	double value;
	bool alerts;
};

static const struct range_case alert_cases[] = {
	/* "10": alert when < 0 or > 10 */
	{ "10", -1, true },
	{ "10", 0, false },
	{ "10", 10, false },
	{ "10", 10.1, true },
	{ "10", 11, true },
	/* "10:": alert when < 10 */
	{ "10:", 9.99, true },
	{ "10:", 10, false },
	{ "10:", 1e9, false },
	/* "~:10": alert when > 10 */
	{ "~:10", -1e9, false },
	{ "~:10", 10, false },
	{ "~:10", 10.01, true },
	/* "10:20": outside */
	{ "10:20", 9, true },
	{ "10:20", 10, false },
	{ "10:20", 20, false },
	{ "10:20", 21, true },
	/* "@10:20": inside, inclusive */
	{ "@10:20", 9, false },
	{ "@10:20", 10, true },
	{ "@10:20", 15, true },
	{ "@10:20", 20, true },
	{ "@10:20", 20.5, false },
	/* ":5.75": 0..5.75 */
	{ ":5.75", -0.1, true },
	{ ":5.75", 5.75, false },
	{ ":5.75", 5.76, true },
	/* negatives and decimals */
	{ "-7:23", -7, false },
	{ "-7:23", -7.01, true },
	{ "-7:23", 23, false },
	{ "~:-95.99", -95.999, false },
	{ "~:-95.99", -95.99, false },
	{ "~:-95.99", -95.98, true },
	{ "-10:-2", -11, true },
	{ "-10:-2", -5, false },
	{ "-10:-2", -1, true },
	/* 1:1 and @1:1 */
	{ "1:1", 1, false },
	{ "1:1", 0.9, true },
	{ "@1:1", 1, true },
	{ "@1:1", 2, false },
	/* a bare N: upstream 3.0 gets this wrong (6 alerts at 6) */
	{ "6", 6, false },
	{ "6", -1, true },
	/* "010" is decimal ten, not octal eight */
	{ "010", 9, false },
	{ "010", 10, false },
	{ "010", 10.5, true },
	/* percentages are ignored */
	{ "1:12%", 12, false },
	{ "1:12%", 13, true },
	/* large starts are kept, not clamped */
	{ "12345678901234567890:", 1e19, true },
	{ "12345678901234567890:", 2e19, false },
	/* ~: covers everything */
	{ "~:", -1e300, false },
	{ "~:", 1e300, false },
};

static const char *const invalid_cases[] = {
	"",
	":",
	"1:~",
	"foo",
	"1-10",
	"10:~",
	"1-10:2.4",
	"1,10",
	"2:1",
	"@",
	"~",
	"10:20:30",
	"abc:5",
	"nan",
	"inf:",
	"@:",
	"--1",
	"1..2",
	" 10",
	"10 ",
	"1e3",
	"0x10",
	"@@1",
	"%",
	"-5",
};

static void
test_range_alerts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(alert_cases) / sizeof(alert_cases[0]);
	     i++) {
		const struct range_case *c = &alert_cases[i];
		struct range r;

		if (range_parse(c->text, &r) != 0)
			fail_msg("'%s' should parse", c->text);
		if (range_alerts(&r, c->value) != c->alerts)
			fail_msg("'%s' at %g: wanted alerts=%d", c->text,
			    c->value, c->alerts);
	}
}

static void
test_range_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]);
	     i++) {
		struct range r;

		if (range_parse(invalid_cases[i], &r) == 0)
			fail_msg("'%s' should be rejected", invalid_cases[i]);
	}
}

static void
test_range_bounds(void **state)
{
	struct range r;

	(void)state;
	assert_int_equal(range_parse("~:10", &r), 0);
	assert_true(isinf(r.start) && r.start < 0);
	assert_true(r.end == 10);
	assert_false(r.inside);
	assert_int_equal(range_parse("@5:", &r), 0);
	assert_true(r.inside);
	assert_true(r.start == 5 && isinf(r.end));
	assert_string_equal(r.text, "@5:");
}

static void
test_range_unset_never_alerts(void **state)
{
	struct range r = { 0 };

	(void)state;
	assert_false(range_alerts(&r, 1e300));
	assert_false(range_alerts(NULL, -1));
}

static void
test_range_from_bounds(void **state)
{
	struct range r;

	(void)state;
	range_from_bounds(&r, 0, 90);
	assert_string_equal(r.text, "90");
	assert_true(range_alerts(&r, 90.5));
	range_from_bounds(&r, 14, INFINITY);
	assert_string_equal(r.text, "14:");
	assert_true(range_alerts(&r, 13));
	range_from_bounds(&r, -INFINITY, 2.5);
	assert_string_equal(r.text, "~:2.5");
	assert_false(range_alerts(&r, -5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_alerts),
		cmocka_unit_test(test_range_invalid),
		cmocka_unit_test(test_range_bounds),
		cmocka_unit_test(test_range_unset_never_alerts),
		cmocka_unit_test(test_range_from_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
