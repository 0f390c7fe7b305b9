/* The Nagios state machine (collector/state.c) and the state file round
 * trip (collector/statefile.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "collector.h"
#include "loop.h"
#include "runtime.h"
#include "util.h"

#define O STATE_OK
#define W STATE_WARNING
#define C STATE_CRITICAL
#define U STATE_UNKNOWN
#define HC CHECK_EVENT_HARD_CHANGE
#define SO CHECK_EVENT_SOFT
#define CH CHECK_EVENT_CHANGE
#define FS CHECK_EVENT_FLAP_START
#define FE CHECK_EVENT_FLAP_STOP

struct step {
	enum probe_state in;
	unsigned events;
	enum probe_state current;
	bool hard;
	int attempt;
	enum probe_state last_hard;
};

static const struct check_policy pol3 = { 3, false, 20, 30 };
static const struct check_policy pol1 = { 1, false, 20, 30 };

static void
run_steps(const struct check_policy *pol, const struct step *steps, size_t n)
{
	struct check_state st;

	check_state_init(&st);
	for (size_t i = 0; i < n; i++) {
		unsigned ev = check_state_apply(
		    &st, pol, steps[i].in, (time_t)(1000 + i * 60));

		if (ev != steps[i].events || st.current != steps[i].current ||
		    st.hard != steps[i].hard ||
		    st.attempt != steps[i].attempt ||
		    st.last_hard != steps[i].last_hard)
			fail_msg("step %zu: events %#x/%#x current %d/%d hard "
				 "%d/%d attempt %d/%d last_hard %d/%d",
			    i, ev, steps[i].events, st.current,
			    steps[i].current, st.hard, steps[i].hard,
			    st.attempt, steps[i].attempt, st.last_hard,
			    steps[i].last_hard);
	}
}

/* What the collector writes at once: state, type, attempt, change times,
 * flapping; not the last check time, history or percent change. */
static void
test_state_differs(void **state)
{
	struct check_state a, b;

	(void)state;
	check_state_init(&a);
	b = a;
	assert_false(check_state_differs(&a, &b));
	b.last_check = 1234;
	b.percent_change = 12.5;
	assert_false(check_state_differs(&a, &b));
	(void)check_state_apply(&b, &pol3, STATE_OK, 1000);
	assert_true(check_state_differs(&a, &b)); /* checked: first result */
	a = b;
	(void)check_state_apply(&b, &pol3, STATE_OK, 1060);
	assert_false(check_state_differs(&a, &b)); /* OK again */
	(void)check_state_apply(&b, &pol3, STATE_CRITICAL, 1120);
	assert_true(check_state_differs(&a, &b)); /* SOFT 1 */
	a = b;
	(void)check_state_apply(&b, &pol3, STATE_CRITICAL, 1180);
	assert_true(check_state_differs(&a, &b)); /* SOFT 2: attempt */
	a = b;
	(void)check_state_apply(&b, &pol3, STATE_CRITICAL, 1240);
	assert_true(check_state_differs(&a, &b)); /* HARD */
	a = b;
	(void)check_state_apply(&b, &pol3, STATE_CRITICAL, 1300);
	/* still HARD CRITICAL: only the history moved */
	assert_false(check_state_differs(&a, &b));
	b.flapping = true;
	assert_true(check_state_differs(&a, &b));
}

static void
test_soft_then_hard(void **state)
{
	static const struct step steps[] = {
		{ O, 0, O, true, 1, O },
		{ C, CH | SO, C, false, 1, O },
		{ C, SO, C, false, 2, O },
		{ C, HC, C, true, 3, C },
		{ C, 0, C, true, 3, C },
		{ O, CH | HC, O, true, 1, O },
		{ O, 0, O, true, 1, O },
	};

	(void)state;
	run_steps(&pol3, steps, sizeof(steps) / sizeof(steps[0]));
}

static void
test_soft_recovery_and_mixed_soft(void **state)
{
	static const struct step steps[] = {
		{ W, CH | SO, W, false, 1, O },
		{ C, CH | SO, C, false, 2, O },
		/* soft recovery: no hard change, type SOFT */
		{ O, CH, O, false, 1, O },
		{ O, 0, O, true, 1, O },
		{ U, CH | SO, U, false, 1, O },
		{ U, SO, U, false, 2, O },
		{ W, CH | HC, W, true, 3, W },
	};

	(void)state;
	run_steps(&pol3, steps, sizeof(steps) / sizeof(steps[0]));
}

static void
test_hard_nonok_change_at_once(void **state)
{
	static const struct step steps[] = {
		{ W, CH | SO, W, false, 1, O },
		{ W, SO, W, false, 2, O },
		{ W, HC, W, true, 3, W },
		/* WARNING -> CRITICAL while HARD: hard at once */
		{ C, CH | HC, C, true, 3, C },
		{ U, CH | HC, U, true, 3, U },
		{ U, 0, U, true, 3, U },
		{ O, CH | HC, O, true, 1, O },
	};

	(void)state;
	run_steps(&pol3, steps, sizeof(steps) / sizeof(steps[0]));
}

static void
test_one_attempt_is_hard(void **state)
{
	static const struct step steps[] = {
		{ C, CH | HC, C, true, 1, C },
		{ C, 0, C, true, 1, C },
		{ O, CH | HC, O, true, 1, O },
	};

	(void)state;
	run_steps(&pol1, steps, sizeof(steps) / sizeof(steps[0]));
}

static void
test_percent_change_vectors(void **state)
{
	struct check_state st;

	(void)state;
	check_state_init(&st);
	assert_true(fabs(check_state_percent_change(&st)) < 1e-9);
	/* one newest change: weight 1.25 -> 6.25 % */
	st.history[CHECK_HISTORY - 1] = C;
	assert_true(fabs(check_state_percent_change(&st) - 6.25) < 1e-9);
	/* one oldest change: weight 0.75 -> 3.75 % */
	check_state_init(&st);
	st.history[0] = C;
	assert_true(fabs(check_state_percent_change(&st) - 3.75) < 1e-9);
	/* every entry alternating: 100 % */
	for (size_t i = 0; i < CHECK_HISTORY; i++)
		st.history[i] = i % 2 ? O : C;
	assert_true(fabs(check_state_percent_change(&st) - 100.0) < 1e-9);
	/* a short (old) history is padded with its oldest state */
	check_state_init(&st);
	st.history_len = 2;
	st.history[0] = O;
	st.history[1] = W;
	assert_true(fabs(check_state_percent_change(&st) - 6.25) < 1e-9);
}

/* C,O,C,O,C,O then OK: PSC 6.25 12.37 18.36 24.21 29.93 35.53 (start,
 * >= 30) ... 24.47 20.07 15.79 (stop, <= 20) at result 22. */
static void
test_flapping_start_stop(void **state)
{
	static const double psc[] = {
		6.25,
		12.3684,
		18.3553,
		24.2105,
		29.9342,
		35.5263,
		34.7368,
	};
	struct check_policy pol = { 1, true, 20, 30 };
	struct check_state st;
	unsigned ev;

	(void)state;
	check_state_init(&st);
	for (int i = 1; i <= 30; i++) {
		enum probe_state in = i <= 6 && i % 2 ? C : O;

		ev = check_state_apply(&st, &pol, in, 1000 + i);
		if (i <= 7)
			assert_true(
			    fabs(st.percent_change - psc[i - 1]) < 1e-4);
		if (i == 6)
			assert_int_equal(ev & (FS | FE), FS);
		else if (i == 22)
			assert_int_equal(ev & (FS | FE), FE);
		else
			assert_int_equal(ev & (FS | FE), 0);
		assert_int_equal(st.flapping, i >= 6 && i < 22);
	}
}

/* Soft non-OK results do not enter the history; soft recoveries do. */
static void
test_history_records_hard_and_soft_recovery(void **state)
{
	struct check_policy pol = { 3, true, 20, 30 };
	struct check_state st;

	(void)state;
	check_state_init(&st);
	check_state_apply(&st, &pol, C, 1); /* soft: not recorded */
	assert_int_equal(st.history[CHECK_HISTORY - 1], O);
	assert_true(st.percent_change == 0.0);
	check_state_apply(&st, &pol, O, 2); /* soft recovery: recorded */
	assert_int_equal(st.history[CHECK_HISTORY - 1], O);
	check_state_apply(&st, &pol, C, 3);
	check_state_apply(&st, &pol, C, 4);
	check_state_apply(&st, &pol, C, 5); /* hard: recorded */
	assert_int_equal(st.history[CHECK_HISTORY - 1], C);
	assert_int_equal(st.history[CHECK_HISTORY - 2], O);
	assert_true(fabs(st.percent_change - 6.25) < 1e-9);
}

static void
test_times_and_wall_clock_jump(void **state)
{
	struct check_state st;

	(void)state;
	check_state_init(&st);
	check_state_apply(&st, &pol3, O, 5000);
	assert_int_equal(st.last_check, 5000);
	assert_int_equal(st.last_change, 5000);
	/* the wall clock steps back an hour: times follow it, the state
	 * machine counts results, not seconds */
	check_state_apply(&st, &pol3, C, 1400);
	assert_int_equal(st.last_check, 1400);
	assert_int_equal(st.last_change, 1400);
	assert_int_equal(st.attempt, 1);
	check_state_apply(&st, &pol3, C, 1460);
	check_state_apply(&st, &pol3, C, 1520);
	assert_true(st.hard);
	assert_int_equal(st.last_hard_change, 1520);
	assert_int_equal(st.last_change, 1400);
}

static void
test_next_delay(void **state)
{
	struct check c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.interval = 300;
	c.retry_interval = 60;
	c.policy = pol3;
	check_state_init(&c.st);
	assert_int_equal(check_next_delay(&c), 300);
	check_state_apply(&c.st, &c.policy, C, 1);
	assert_int_equal(check_next_delay(&c), 60); /* soft: retry */
	check_state_apply(&c.st, &c.policy, C, 2);
	check_state_apply(&c.st, &c.policy, C, 3);
	assert_int_equal(check_next_delay(&c), 300); /* hard */
}

static struct check *
new_check(const char *name, int max)
{
	struct check *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->name = strdup(name);
	c->probe = probe_find("disk");
	assert_non_null(c->probe);
	c->interval = 60;
	c->policy.max_attempts = max;
	c->policy.flap_detection = true;
	c->policy.low_flap = 20;
	c->policy.high_flap = 30;
	check_state_init(&c->st);
	return c;
}

/* A restart keeps a hard problem: the same result again is no new
 * problem, and OK is a recovery. */
static void
test_restart_round_trip(void **state)
{
	struct check *a = new_check("web", 3), *b = new_check("web", 3);
	struct check *other = new_check("other", 3);
	struct check *list[2];
	struct metric *m;
	char err[256];
	char *text;
	unsigned ev;

	(void)state;
	for (int i = 0; i < 3; i++)
		check_state_apply(&a->st, &a->policy, C, 100 + i);
	a->result = malloc(sizeof(*a->result));
	result_init(a->result);
	result_set(a->result, C, REASON_CONNECT, "connection refused");
	result_long(a->result, "line one");
	m = result_metric(a->result, "time", 0.25, "s", DS_GAUGE);
	range_parse("1", &m->warn);
	m = result_metric(a->result, "bytes", 0, "B", DS_DERIVE);
	m->unknown = true;
	list[0] = a;
	text = statefile_dump(list, 1, 999);
	assert_non_null(text);

	list[0] = other;
	list[1] = b;
	assert_int_equal(
	    statefile_parse(text, strlen(text), list, 2, err, sizeof(err)), 0);
	assert_false(other->st.checked); /* not in the file */
	assert_true(b->st.checked);
	assert_int_equal(b->st.current, C);
	assert_true(b->st.hard);
	assert_int_equal(b->st.attempt, 3);
	assert_int_equal(b->st.last_hard, C);
	assert_int_equal(b->st.last_hard_change, 102);
	assert_memory_equal(
	    b->st.history, a->st.history, sizeof(a->st.history));
	assert_non_null(b->result);
	assert_string_equal(b->result->message, "connection refused");
	assert_string_equal(b->result->long_output, a->result->long_output);
	assert_int_equal(b->result->reason, REASON_CONNECT);
	assert_int_equal(b->result->metric_count, 2);
	assert_string_equal(b->result->metrics[0].name, "time");
	assert_true(b->result->metrics[0].warn.set);
	assert_true(b->result->metrics[1].unknown);
	assert_int_equal(b->result->metrics[1].ds, DS_DERIVE);

	ev = check_state_apply(&b->st, &b->policy, C, 2000);
	assert_int_equal(ev & HC, 0);
	ev = check_state_apply(&b->st, &b->policy, O, 2060);
	assert_int_equal(ev & HC, HC);

	free(text);
	check_free(a);
	check_free(b);
	check_free(other);
}

static void
test_restart_soft_and_bad_files(void **state)
{
	struct check *a = new_check("db", 5), *b = new_check("db", 2);
	struct check *list[1];
	char err[256];
	char *text;
	unsigned ev;

	(void)state;
	check_state_apply(&a->st, &a->policy, W, 10);
	check_state_apply(&a->st, &a->policy, W, 20);
	check_state_apply(&a->st, &a->policy, W, 30); /* soft 3/5 */
	list[0] = a;
	text = statefile_dump(list, 1, 40);
	/* retries lowered to 2 since: one more attempt, then hard */
	list[0] = b;
	assert_int_equal(
	    statefile_parse(text, strlen(text), list, 1, err, sizeof(err)), 0);
	assert_false(b->st.hard);
	assert_int_equal(b->st.attempt, 1);
	ev = check_state_apply(&b->st, &b->policy, W, 50);
	assert_int_equal(ev & HC, HC);
	free(text);

	check_state_init(&b->st);
	assert_int_equal(
	    statefile_parse("{", 1, list, 1, err, sizeof(err)), -1);
	assert_int_equal(
	    statefile_parse("[]", 2, list, 1, err, sizeof(err)), -1);
	text =
	    strdup("{\"version\":1,\"checks\":[{\"name\":\"db\","
		   "\"probe\":\"disk\",\"checked\":true,\"state\":\"BAD\"}]}");
	assert_int_equal(
	    statefile_parse(text, strlen(text), list, 1, err, sizeof(err)), -1);
	assert_false(b->st.checked); /* left fresh */
	free(text);
	/* same name, another probe: starts afresh */
	text = strdup(
	    "{\"version\":1,\"checks\":[{\"name\":\"db\","
	    "\"probe\":\"mysql\",\"checked\":true,\"state\":\"CRITICAL\"}]}");
	assert_int_equal(
	    statefile_parse(text, strlen(text), list, 1, err, sizeof(err)), 0);
	assert_false(b->st.checked);
	free(text);
	check_free(a);
	check_free(b);
}

/* Probes for the loop tests: one ignores its deadline (a hung statfs),
 * one answers at once. */
static int
hang_run(const struct probe_run *run, struct probe_result *res)
{
	(void)run;
	usleep(2500 * 1000);
	result_set(res, STATE_OK, REASON_NONE, "too late");
	return 0;
}

static int
warn_run(const struct probe_run *run, struct probe_result *res)
{
	struct metric *m;

	(void)run;
	result_set(res, STATE_WARNING, REASON_THRESHOLD, "meh");
	m = result_metric(res, "v", 7, "", DS_GAUGE);
	(void)m;
	return 0;
}

static const struct probe probe_hang = { .name = "exec", .run = hang_run };
static const struct probe probe_warn = { .name = "exec", .run = warn_run };

static char loop_dir[64];

static struct collector_conf *
loop_conf(void)
{
	char text[1024];
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;

	snprintf(text, sizeof(text),
	    "[global]\nrrd-dir = %s/rrd\ngraph-dir = %s/www\n"
	    "state-dir = %s/state\ntimeout = 0.5\ntimeout-state = unknown\n"
	    "retries = 3\n"
	    "[check hang]\nprobe = exec\ncommand = /bin/true\n"
	    "[check warn]\nprobe = exec\ncommand = /bin/true\n",
	    loop_dir, loop_dir, loop_dir);
	cfg_errors_init(&errs);
	assert_int_equal(
	    collector_conf_load_text("loop.conf", text, &conf, &errs), 0);
	cfg_errors_free(&errs);
	conf->checks[0]->probe = &probe_hang;
	conf->checks[1]->probe = &probe_warn;
	return conf;
}

static int
loop_setup(void **state)
{
	(void)state;
	snprintf(loop_dir, sizeof(loop_dir), "/tmp/osemon-loop-XXXXXX");
	return mkdtemp(loop_dir) == NULL ? -1 : 0;
}

static int
loop_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", loop_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A probe that ignores its deadline: --once answers timeout-state after
 * timeout + grace and moves on; the stuck worker is abandoned. */
static void
test_loop_abandons_hung_probe(void **state)
{
	struct collector_conf *conf = loop_conf(), *after = loop_conf();
	double start = clock_monotonic_now();
	char path[128], err[256];
	int rc;

	(void)state;
	rc = collector_run_conf(conf, NULL, true);
	assert_int_equal(rc, STATE_UNKNOWN); /* worst of UNKNOWN, WARNING */
	assert_true(clock_monotonic_now() - start < 2.0);
	snprintf(path, sizeof(path), "%s/state/state.json", loop_dir);
	assert_int_equal(
	    statefile_load(path, after->checks, after->count, err, sizeof(err)),
	    0);
	assert_int_equal(after->checks[0]->st.current, STATE_UNKNOWN);
	assert_int_equal(after->checks[0]->result->reason, REASON_TIMEOUT);
	assert_string_equal(
	    after->checks[0]->result->message, "check timed out after 0.5 s");
	assert_int_equal(after->checks[1]->st.current, STATE_WARNING);
	assert_int_equal(after->checks[1]->st.attempt, 1);
	collector_conf_free(after);
}

static time_t fake_now;

static time_t
fake_wall(void)
{
	return fake_now;
}

/* The wall clock jumps back an hour between two runs: the times follow
 * the (fake) clock, attempts go on, nothing breaks. */
static void
test_loop_fake_clock_jump(void **state)
{
	struct collector_conf *after = loop_conf();
	time_t (*saved)(void) = sched_wall;
	char path[128], err[256];

	(void)state;
	sched_wall = fake_wall;
	fake_now = 1700003600;
	assert_int_equal(
	    collector_run_conf(loop_conf(), NULL, true), STATE_UNKNOWN);
	fake_now = 1700000000;
	assert_int_equal(
	    collector_run_conf(loop_conf(), NULL, true), STATE_UNKNOWN);
	snprintf(path, sizeof(path), "%s/state/state.json", loop_dir);
	assert_int_equal(
	    statefile_load(path, after->checks, after->count, err, sizeof(err)),
	    0);
	assert_int_equal(after->checks[1]->st.last_check, 1700000000);
	assert_int_equal(after->checks[1]->st.attempt, 2);
	assert_int_equal(after->checks[1]->st.last_change, 1700003600);
	collector_conf_free(after);
	sched_wall = saved;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_differs),
		cmocka_unit_test(test_soft_then_hard),
		cmocka_unit_test(test_soft_recovery_and_mixed_soft),
		cmocka_unit_test(test_hard_nonok_change_at_once),
		cmocka_unit_test(test_one_attempt_is_hard),
		cmocka_unit_test(test_percent_change_vectors),
		cmocka_unit_test(test_flapping_start_stop),
		cmocka_unit_test(test_history_records_hard_and_soft_recovery),
		cmocka_unit_test(test_times_and_wall_clock_jump),
		cmocka_unit_test(test_next_delay),
		cmocka_unit_test(test_restart_round_trip),
		cmocka_unit_test(test_restart_soft_and_bad_files),
		cmocka_unit_test_setup_teardown(
		    test_loop_abandons_hung_probe, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(
		    test_loop_fake_clock_jump, loop_setup, loop_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
