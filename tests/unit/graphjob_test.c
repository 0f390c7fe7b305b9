/*
 * The graph thread's contract: a hand-off returns at once even while the
 * renderer is blocked, a second hand-off during a rendering is refused
 * (busy), the snapshot belongs to the thread (the caller's checks may
 * change meanwhile), and the librrd lock serves waiters in arrival order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graphjob.h"
#include "rrdlock.h"
#include "util.h"

static void
wait_for(bool (*cond)(void *), void *arg)
{
	double until = clock_monotonic_now() + 5.0;

	while (!cond(arg) && clock_monotonic_now() < until)
		usleep(1000);
}

static bool
is_busy(void *arg)
{
	return graph_job_busy(arg);
}

static bool
done_one(void *arg)
{
	return graph_job_done(arg) >= 1 && !graph_job_busy(arg);
}

static bool
done_two(void *arg)
{
	return graph_job_done(arg) >= 2 && !graph_job_busy(arg);
}

static void
test_submit_never_waits(void **unused)
{
	struct collector_conf conf;
	struct check c, *checks[1] = { &c };
	struct probe_result res;
	struct graph_job *gj;
	char err[256];
	double t0;

	(void)unused;
	memset(&conf, 0, sizeof(conf));
	memset(&c, 0, sizeof(c));
	result_init(&res);
	str_copy(conf.rrd_dir, "/nonexistent/osemon-rrd", sizeof(conf.rrd_dir));
	str_copy(
	    conf.graph_dir, "/nonexistent/osemon-www", sizeof(conf.graph_dir));
	c.name = strdup("web");
	assert_non_null(c.name);
	res.metric_count = 1;
	str_copy(res.metrics[0].name, "time", sizeof(res.metrics[0].name));
	c.result = &res;
	conf.checks = checks;
	conf.count = 1;

	gj = graph_job_new();
	assert_non_null(gj);
	assert_false(graph_job_busy(gj));
	/* The renderer blocks on the librrd lock held here. */
	rrd_lock();
	t0 = clock_monotonic_now();
	assert_int_equal(graph_job_submit(gj, &conf, err, sizeof(err)), 0);
	wait_for(is_busy, gj);
	assert_true(graph_job_busy(gj));
	/* A second hand-off while it runs: refused at once, not queued. */
	assert_int_equal(graph_job_submit(gj, &conf, err, sizeof(err)), 1);
	assert_true(clock_monotonic_now() - t0 < 1.0);
	/* The snapshot is the thread's: change the caller's check. */
	free(c.name);
	c.name = strdup("changed");
	res.metric_count = 0;
	rrd_unlock();
	wait_for(done_one, gj);
	assert_int_equal(graph_job_done(gj), 1);
	assert_false(graph_job_busy(gj));
	/* Free to take the next one. */
	assert_int_equal(graph_job_submit(gj, &conf, err, sizeof(err)), 0);
	wait_for(done_two, gj);
	assert_int_equal(graph_job_done(gj), 2);
	graph_job_free(gj);
	graph_job_free(NULL);
	free(c.name);
}

/* Ticket order: who asked first gets the lock first. */
static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static int order[3], order_n;

static void *
locker(void *arg)
{
	rrd_lock();
	pthread_mutex_lock(&order_lock);
	order[order_n++] = (int)(intptr_t)arg;
	pthread_mutex_unlock(&order_lock);
	rrd_unlock();
	return NULL;
}

static void
test_lock_fifo(void **unused)
{
	pthread_t t[3];

	(void)unused;
	rrd_lock();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    pthread_create(&t[i], NULL, locker, (void *)(intptr_t)i),
		    0);
		usleep(50000); /* each queues before the next starts */
	}
	rrd_unlock();
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(order_n, 3);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_never_waits),
		cmocka_unit_test(test_lock_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
