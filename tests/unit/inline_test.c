/*
 * Which checks the collector may run on its own thread (probe
 * runs_inline, or a libcurl transfer in its multi handle: probe start,
 * finish, loop_transfer), and the /proc re-read those probes keep open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"
#include "util.h"

extern const struct probe probe_disk, probe_memory, probe_load, probe_http,
    probe_proc;

/* args of probe with one "name=value" option (NULL: none) */
static void
args_with(const struct probe *probe, struct args *a, const char *opt,
    const char *value)
{
	char err[256];

	args_init(a, probe->options);
	if (opt != NULL)
		assert_int_equal(args_set(a, args_spec(probe->options, opt),
				     value, err, sizeof(err)),
		    0);
}

/* One collector-face run of probe with "name=value" options; the check's
 * state stays in *state.  Returns the result's state. */
static enum probe_state
run_collector(const struct probe *probe, void **state, const char *opt,
    const char *value, struct args *a)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct probe_run run;
	enum probe_state st;

	assert_non_null(res);
	args_with(probe, a, opt, value);
	memset(&run, 0, sizeof(run));
	run.args = a;
	run.deadline = clock_monotonic_now() + 5;
	run.face = FACE_COLLECTOR;
	run.check_state = state;
	result_init(res);
	assert_int_equal(probe->run(&run, res), 0);
	st = res->state;
	free(res);
	return st;
}

static void
test_network_probes_never_inline(void **unused)
{
	(void)unused;
	assert_null(probe_http.runs_inline);
	/* /proc/PID/cmdline can block on a process stuck in the kernel */
	assert_null(probe_proc.runs_inline);
}

static bool
http_on_loop(const char *opt, const char *value)
{
	struct args a;
	bool yes;

	args_with(&probe_http, &a, opt, value);
	yes = probe_http.loop_transfer(&a);
	args_free(&a);
	return yes;
}

static void
test_transfer_probes(void **unused)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct probe_run run;
	struct args a;
	void *easy = NULL;
	char err[256];

	(void)unused;
	assert_non_null(probe_http.start);
	assert_non_null(probe_http.finish);
	assert_true(http_on_loop(NULL, NULL));
	assert_true(http_on_loop("string", "hello"));
	/* a regex over a 1 MiB body is no work for the loop's thread */
	assert_false(http_on_loop("regex", "h(e|a)llo"));
	assert_null(probe_proc.start);
	assert_null(probe_disk.start);

	/* options judged in start(): no transfer, the result filled */
	assert_non_null(res);
	args_with(&probe_http, &a, "certificate", "30,14");
	assert_int_equal(args_set(&a, args_spec(probe_http.options, "url"),
			     "http://127.0.0.1/", err, sizeof(err)),
	    0);
	memset(&run, 0, sizeof(run));
	run.args = &a;
	run.deadline = clock_monotonic_now() + 5;
	run.face = FACE_COLLECTOR;
	result_init(res);
	assert_null(probe_http.start(&run, res, &easy));
	assert_null(easy);
	assert_int_equal(res->state, STATE_UNKNOWN);
	assert_int_equal(res->reason, REASON_CONFIG);
	assert_string_equal(res->message, "-C needs an https URL");
	args_free(&a);
	free(res);
}

/* After one collector run of probe with the option (NULL: none), may the
 * check run inline? */
static bool
inline_after_run(const struct probe *probe, const char *opt, const char *value)
{
	struct args a;
	void *state = NULL;
	bool yes;

	run_collector(probe, &state, opt, value, &a);
	yes = probe->runs_inline(&a, state);
	args_free(&a);
	probe->state_free(state);
	return yes;
}

static void
test_memory_and_load(void **unused)
{
	(void)unused;
	assert_true(inline_after_run(&probe_memory, NULL, NULL));
	assert_true(inline_after_run(&probe_load, NULL, NULL));
	/* a file given for tests may be a FIFO or on a hung mount */
	assert_false(
	    inline_after_run(&probe_memory, "meminfo", "/proc/meminfo"));
	assert_false(inline_after_run(&probe_load, "loadavg", "/proc/loadavg"));
}

static void
test_disk(void **unused)
{
	char dir[] = "/tmp/osemon-inline-XXXXXX", link[64];
	struct args a;
	void *state = NULL;

	(void)unused;
	/* before the first run nothing is known about the mounts */
	args_init(&a, probe_disk.options);
	assert_false(probe_disk.runs_inline(&a, NULL));
	args_free(&a);

	assert_int_equal(
	    run_collector(&probe_disk, &state, "path", "/", &a), STATE_OK);
	assert_true(probe_disk.runs_inline(&a, state));
	args_free(&a);
	probe_disk.state_free(state);
	state = NULL;

	/* a symlink may lead to a remote mount: always a worker */
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("/", link), 0);
	run_collector(&probe_disk, &state, "path", link, &a);
	assert_false(probe_disk.runs_inline(&a, state));
	args_free(&a);
	probe_disk.state_free(state);
	unlink(link);
	rmdir(dir);
}

/* The re-read keeps one descriptor and sees the file as it is now. */
static void
test_reread(void **unused)
{
	char path[] = "/tmp/osemon-reread-XXXXXX";
	int wfd = mkstemp(path), fd = -1, first;
	char *text = NULL;
	size_t len = 0;

	(void)unused;
	assert_true(wfd >= 0);
	assert_int_equal(write(wfd, "one two", 7), 7);
	assert_int_equal(file_reread_capped(path, &fd, 64, &text, &len), 0);
	assert_string_equal(text, "one two");
	free(text);
	first = fd;
	assert_true(first >= 0);
	assert_int_equal(pwrite(wfd, "ONE", 3, 0), 3);
	assert_int_equal(file_reread_capped(path, &fd, 64, &text, &len), 0);
	assert_int_equal(fd, first);
	assert_string_equal(text, "ONE two");
	assert_int_equal(len, 7);
	free(text);
	/* capped */
	assert_int_equal(file_reread_capped(path, &fd, 3, &text, &len), 0);
	assert_string_equal(text, "ONE");
	free(text);
	close(fd);
	close(wfd);
	unlink(path);
	fd = -1;
	assert_int_equal(file_reread_capped(path, &fd, 64, &text, &len), -1);
	assert_int_equal(fd, -1);
	assert_null(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_probes_never_inline),
		cmocka_unit_test(test_transfer_probes),
		cmocka_unit_test(test_memory_and_load),
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_reread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
