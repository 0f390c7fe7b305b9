/*
 * Regression tests for what the reliability work found (docs/reliability.md):
 *  - a PROBLEM replayed after a crash (the state file a second behind
 *    alerts.json) is not mailed twice, and the thread goes on;
 *  - control bytes of a quoted perfdata label never reach munin's
 *    line protocol (found by fuzz_munin_output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faces.h"
#include "notify.h"
#include "probe.h"
#include "util.h"

#define T0 1800000000

extern const struct probe probe_exec;

struct box {
	size_t count;
	enum notify_type type[8];
	char first_id[8][64];
	unsigned number[8];
	unsigned ids;
};

static int
capture(void *arg, const struct mail_event *ev, size_t n, const char *msgid,
    unsigned long suppressed)
{
	struct box *b = arg;

	(void)msgid;
	(void)suppressed;
	assert_int_equal(n, 1);
	assert_true(b->count < 8);
	b->type[b->count] = ev[0].type;
	b->number[b->count] = ev[0].number;
	str_copy(b->first_id[b->count], ev[0].first_id, sizeof(b->first_id[0]));
	b->count++;
	return 0;
}

static void
make_id(void *arg, char *buf, size_t size)
{
	struct box *b = arg;

	snprintf(buf, size, "<id%u@test>", ++b->ids);
}

static struct notify *
new_nt(struct box *b)
{
	struct notify_policy pol = { 0, 0, NOTIFY_ON_ALL };

	return notify_new(0, 0, &pol, capture, make_id, b);
}

static void
test_replayed_problem_not_mailed_twice(void **unused)
{
	struct box b1, b2;
	struct notify *nt = NULL;
	char *saved = NULL, err[256];

	(void)unused;
	memset(&b1, 0, sizeof(b1));
	memset(&b2, 0, sizeof(b2));
	nt = new_nt(&b1);
	notify_hard_change(nt, "web", STATE_OK, STATE_CRITICAL, 1, 1, "x", T0);
	assert_int_equal(b1.count, 1);
	saved = notify_save(nt);
	assert_non_null(saved);
	notify_free(nt);

	/* Restart: alerts.json says mailed, the state file still said OK, so
	 * the collector reports the same change again. */
	b2.ids = b1.ids;
	nt = new_nt(&b2);
	assert_int_equal(notify_load(nt, saved, err, sizeof(err)), 0);
	notify_hard_change(
	    nt, "web", STATE_OK, STATE_CRITICAL, 1, 1, "x", T0 + 1);
	assert_int_equal(b2.count, 0);
	/* The recovery still threads to the first mail. */
	notify_hard_change(
	    nt, "web", STATE_CRITICAL, STATE_OK, 1, 1, "x", T0 + 60);
	assert_int_equal(b2.count, 1);
	assert_int_equal(b2.type[0], NOTIFY_RECOVERY);
	assert_string_equal(b2.first_id[0], "<id1@test>");
	/* A later problem is a new one. */
	notify_hard_change(
	    nt, "web", STATE_OK, STATE_CRITICAL, 1, 1, "x", T0 + 120);
	assert_int_equal(b2.count, 2);
	assert_int_equal(b2.type[1], NOTIFY_PROBLEM);
	assert_string_equal(b2.first_id[1], "");
	/* A different problem state after a replayed one is still mailed. */
	notify_hard_change(
	    nt, "web", STATE_CRITICAL, STATE_WARNING, 1, 1, "x", T0 + 180);
	assert_int_equal(b2.count, 3);
	notify_free(nt);
	free(saved);
}

static void
test_munin_label_control_bytes(void **unused)
{
	static struct probe_result res;
	static char buf[8192];
	size_t len;

	(void)unused;
	result_init(&res);
	assert_non_null(result_metric(&res, "a\rb\tc", 1, "", DS_GAUGE));
	len = munin_format_config(&probe_exec, &res, buf, sizeof(buf));
	assert_true(len > 0);
	assert_null(strchr(buf, '\r'));
	assert_null(strchr(buf, '\t'));
	assert_non_null(strstr(buf, ".label a b c\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replayed_problem_not_mailed_twice),
		cmocka_unit_test(test_munin_label_control_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
