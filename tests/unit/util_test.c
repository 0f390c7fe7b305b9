/* Core helpers: secrets, atomic files, strict number parsing, deadlines,
 * and running programs without a shell. */
#include <fcntl.h>
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

#include "spawn.h"
#include "util.h"

static char tmpdir[] = "/tmp/osemon-util-XXXXXX";

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static void
test_secret_read(void **state)
{
	char path[256], buf[64], err[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/key", tmpdir);
	write_file(path, "s3cret\n", 0600);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "s3cret");

	chmod(path, 0640);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(
	    strstr(err, "accessible by group or others (mode 640)"));
	assert_null(strstr(err, "s3cret"));

	write_file(path, "pass\r\n", 0600);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line break"));
	assert_null(strstr(err, "pass"));

	write_file(path, "", 0600);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));

	/* a FIFO is refused at once, not waited on */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));

	/* a symlink is not followed */
	snprintf(path, sizeof(path), "%s/link", tmpdir);
	assert_int_equal(symlink("key", path), 0);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(
	    secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

static void
test_file_write_atomic(void **state)
{
	char path[256], err[256], *data = NULL;
	size_t len;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	assert_int_equal(
	    file_write_atomic(path, "{\"a\":1}", 7, 0640, err, sizeof(err)), 0);
	assert_int_equal(file_read_capped(path, 1024, &data, &len), 0);
	assert_int_equal(len, 7);
	assert_string_equal(data, "{\"a\":1}");
	free(data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* capped read */
	assert_int_equal(file_read_capped(path, 3, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(data, "{\"a");
	free(data);
	/* no temp file left behind; failure names the path */
	snprintf(path, sizeof(path), "%s/nodir/x", tmpdir);
	assert_int_equal(
	    file_write_atomic(path, "x", 1, 0600, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nodir/x.tmp."));
}

static void
test_parse_numbers(void **state)
{
	double d;
	long l;

	(void)state;
	assert_int_equal(parse_double("1.5", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(parse_double("-2e3", &d), 0);
	assert_true(d == -2000);
	assert_int_equal(parse_double("0x10", &d), -1);
	assert_int_equal(parse_double("inf", &d), -1);
	assert_int_equal(parse_double("nan", &d), -1);
	assert_int_equal(parse_double("1.5s", &d), -1);
	assert_int_equal(parse_double(" 1", &d), -1);
	assert_int_equal(parse_double("", &d), -1);
	assert_int_equal(parse_long("42", 0, 100, &l), 0);
	assert_int_equal(l, 42);
	assert_int_equal(parse_long("101", 0, 100, &l), -1);
	assert_int_equal(parse_long("4 2", 0, 100, &l), -1);
	assert_int_equal(parse_long("99999999999999999999", 0, 100, &l), -1);
}

static void
test_format_number(void **state)
{
	char buf[64];

	(void)state;
	format_number(buf, sizeof(buf), 12);
	assert_string_equal(buf, "12");
	format_number(buf, sizeof(buf), 0.5);
	assert_string_equal(buf, "0.5");
	format_number(buf, sizeof(buf), 0.005067);
	assert_string_equal(buf, "0.005067");
	format_number(buf, sizeof(buf), -95.99);
	assert_string_equal(buf, "-95.99");
	format_number(buf, sizeof(buf), 1e20);
	assert_string_equal(buf, "1e+20");
}

static void
sleepy(void *arg)
{
	int *secs = arg;

	sleep((unsigned)*secs);
	*secs = -1;
}

static void
test_call_with_deadline(void **state)
{
	int secs = 0;
	double t0;

	(void)state;
	assert_int_equal(call_with_deadline(sleepy, &secs, sizeof(secs),
			     clock_monotonic_now() + 2),
	    0);
	assert_int_equal(secs, -1);
	secs = 3;
	t0 = clock_monotonic_now();
	assert_int_equal(call_with_deadline(sleepy, &secs, sizeof(secs),
			     clock_monotonic_now() + 0.2),
	    -1);
	assert_true(clock_monotonic_now() - t0 < 1.0);
	assert_int_equal(secs, 3); /* abandoned: arg untouched */
}

static void
test_spawn(void **state)
{
	char *const echo[] = { (char *)(uintptr_t) "echo",
		(char *)(uintptr_t) "hi", NULL };
	char *const sh_err[] = { (char *)(uintptr_t) "/bin/sh",
		(char *)(uintptr_t) "-c",
		(char *)(uintptr_t) "echo oops >&2; exit 7", NULL };
	char *const hang[] = { (char *)(uintptr_t) "/bin/sh",
		(char *)(uintptr_t) "-c",
		(char *)(uintptr_t) "sleep 30 & sleep 30", NULL };
	char *const big[] = { (char *)(uintptr_t) "/bin/sh",
		(char *)(uintptr_t) "-c",
		(char *)(uintptr_t) "yes | head -c 100000", NULL };
	char *const fds[] = { (char *)(uintptr_t) "/bin/sh",
		(char *)(uintptr_t) "-c",
		(char *)(uintptr_t) "ls /proc/self/fd | wc -l", NULL };
	char *const missing[] = { (char *)(uintptr_t) "no-such-program-xyz",
		NULL };
	struct spawn_opts opts = { .out_cap = 1000 };
	struct spawn_result r;
	double t0;
	int extra_fd = open("/dev/null", O_RDONLY); /* must not leak */

	(void)state;
	assert_int_equal(
	    spawn_run(echo, clock_monotonic_now() + 5, NULL, &r), 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out, "hi\n");
	spawn_result_free(&r);

	assert_int_equal(
	    spawn_run(sh_err, clock_monotonic_now() + 5, NULL, &r), 0);
	assert_int_equal(r.exit_code, 7);
	assert_string_equal(r.err_tail, "oops\n");
	spawn_result_free(&r);

	t0 = clock_monotonic_now();
	assert_int_equal(
	    spawn_run(hang, clock_monotonic_now() + 0.3, NULL, &r), 0);
	assert_true(r.timed_out);
	assert_false(r.exited);
	assert_true(clock_monotonic_now() - t0 < 2.0);
	spawn_result_free(&r);

	assert_int_equal(
	    spawn_run(big, clock_monotonic_now() + 5, &opts, &r), 0);
	assert_int_equal(r.out_len, 1000);
	assert_true(r.out_truncated);
	spawn_result_free(&r);

	/* stdin, stdout, stderr and the fd ls itself opens: nothing else */
	assert_int_equal(
	    spawn_run(fds, clock_monotonic_now() + 5, NULL, &r), 0);
	assert_string_equal(r.out, "4\n");
	spawn_result_free(&r);

	assert_int_equal(
	    spawn_run(missing, clock_monotonic_now() + 5, NULL, &r), -1);
	assert_int_equal(r.spawn_errno, 2);
	spawn_result_free(&r);
	close(extra_fd);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_read),
		cmocka_unit_test(test_file_write_atomic),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_format_number),
		cmocka_unit_test(test_call_with_deadline),
		cmocka_unit_test(test_spawn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
