/*
 * Clock jumps and suspend, with the collector's replaceable clocks
 * (sched_mono, sched_wall in collector/runtime.h):
 *  - the monotonic clock leaps an hour (a resume from suspend, or a loop
 *    stalled that long): every check runs once, not once per missed
 *    interval (no storm);
 *  - the wall clock steps back an hour mid-run: checks keep their 1 s
 *    cadence (scheduling is monotonic), no run is lost or bunched;
 *  - the status page never shows a negative age when a result's time is
 *    ahead of the wall clock (after a step back).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "loop.h"
#include "runtime.h"
#include "util.h"
#include "web.h"

static atomic_int runs_a, runs_b;
static atomic_long mono_leap; /* seconds added to the monotonic clock */
static atomic_long wall_step; /* seconds added to the wall clock */
static char dir[64];

static double
fake_mono(void)
{
	return clock_monotonic_now() + (double)atomic_load(&mono_leap);
}

static time_t
fake_wall(void)
{
	return time(NULL) + (time_t)atomic_load(&wall_step);
}

static int
count_a(const struct probe_run *run, struct probe_result *res)
{
	(void)run;
	atomic_fetch_add(&runs_a, 1);
	result_set(res, STATE_OK, REASON_NONE, "a");
	return 0;
}

static int
count_b(const struct probe_run *run, struct probe_result *res)
{
	(void)run;
	atomic_fetch_add(&runs_b, 1);
	result_set(res, STATE_OK, REASON_NONE, "b");
	return 0;
}

static const struct probe probe_a = { .name = "exec", .run = count_a };
static const struct probe probe_b = { .name = "exec", .run = count_b };

static struct collector_conf *
conf_two_checks(void)
{
	char text[1024];
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;

	snprintf(text, sizeof(text),
	    "[global]\nrrd-dir = %s/rrd\ngraph-dir = %s/www\n"
	    "state-dir = %s/state\ninterval = 1\ntimeout = 0.5\n"
	    "status-interval = 3600\ngraph-interval = 86400\n"
	    "[check a]\nprobe = exec\ncommand = /bin/true\n"
	    "[check b]\nprobe = exec\ncommand = /bin/true\n",
	    dir, dir, dir);
	cfg_errors_init(&errs);
	assert_int_equal(
	    collector_conf_load_text("clock.conf", text, &conf, &errs), 0);
	cfg_errors_free(&errs);
	conf->checks[0]->probe = &probe_a;
	conf->checks[1]->probe = &probe_b;
	return conf;
}

/* The script of one run: after `at` seconds apply the leap or step, and
 * stop the collector (SIGTERM to ourselves) at `stop`. */
struct script {
	double at, stop;
	long leap, step;
};

static void *
script_thread(void *arg)
{
	const struct script *s = arg;

	usleep((useconds_t)(s->at * 1e6));
	atomic_store(&mono_leap, s->leap);
	atomic_store(&wall_step, s->step);
	usleep((useconds_t)((s->stop - s->at) * 1e6));
	kill(getpid(), SIGTERM);
	return NULL;
}

static int
run_script(struct script *s)
{
	double (*saved_mono)(void) = sched_mono;
	time_t (*saved_wall)(void) = sched_wall;
	pthread_t t;
	int rc;

	atomic_store(&runs_a, 0);
	atomic_store(&runs_b, 0);
	atomic_store(&mono_leap, 0);
	atomic_store(&wall_step, 0);
	sched_mono = fake_mono;
	sched_wall = fake_wall;
	assert_int_equal(pthread_create(&t, NULL, script_thread, s), 0);
	rc = collector_run_conf(conf_two_checks(), NULL, false);
	pthread_join(t, NULL);
	sched_mono = saved_mono;
	sched_wall = saved_wall;
	return rc;
}

static void
test_suspend_leap_no_storm(void **state)
{
	/* 1.5 s of normal running, then the monotonic clock leaps an hour
	 * (3600 missed intervals), then 2 s more. */
	struct script s = { 1.5, 3.5, 3600, 0 };
	int a, b;

	(void)state;
	assert_int_equal(run_script(&s), 0);
	a = atomic_load(&runs_a);
	b = atomic_load(&runs_b);
	/* About 4 runs each (one per second, first spread over a second);
	 * a storm would be thousands. */
	assert_in_range(a, 2, 6);
	assert_in_range(b, 2, 6);
}

static void
test_wall_step_back_keeps_cadence(void **state)
{
	struct script s = { 1.2, 4.0, 0, -3600 };
	int a;

	(void)state;
	assert_int_equal(run_script(&s), 0);
	a = atomic_load(&runs_a);
	/* 4 s at 1 s: 4 runs give or take the spread start; a loop that
	 * waited for the wall clock to catch up would have stopped at 2. */
	assert_in_range(a, 3, 5);
	assert_in_range(atomic_load(&runs_b), 3, 5);
}

static void
test_wall_step_forward_no_burst(void **state)
{
	struct script s = { 1.2, 4.0, 0, 7200 };

	(void)state;
	assert_int_equal(run_script(&s), 0);
	assert_in_range(atomic_load(&runs_a), 3, 5);
}

static void
test_age_never_negative(void **state)
{
	char buf[32];

	(void)state;
	/* The result is an hour "in the future" after a step back. */
	web_format_age(buf, sizeof(buf), 1700000000, 1700003600);
	assert_string_equal(buf, "0s");
	web_format_age(buf, sizeof(buf), 1700000000, 1699999990);
	assert_string_equal(buf, "10s");
	web_format_age(buf, sizeof(buf), 1700000000, 0);
	assert_string_equal(buf, "never");
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/osemon-clock-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_suspend_leap_no_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_wall_step_back_keeps_cadence, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_wall_step_forward_no_burst, setup, teardown),
		cmocka_unit_test(test_age_never_negative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
