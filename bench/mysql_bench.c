/*
 * CPU per check of the mysql and varnish probes run in-process (as the
 * collector runs them) against exec'ing a plugin per check (as Nagios
 * runs check_mysql).  Built by bench/mysql.sh against build/full objects.
 *
 *   mysql_bench inproc-mysql N DEFAULTS_FILE SOCKET
 *   mysql_bench inproc-varnish N INSTANCE
 *   mysql_bench exec N PROGRAM [ARGS...]
 *
 * Prints "cpu_us <client CPU per check, children included>",
 * "server_us <server CPU per check>" when BENCH_SERVER_PID is set, and
 * "wall_ms <wall time per check>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "probe.h"
#include "spawn.h"
#include "util.h"

extern const struct probe probe_mysql;
extern const struct probe probe_varnish;

static double
cpu_now(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 +
	    (double)self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6 +
	    (double)kids.ru_utime.tv_sec + kids.ru_utime.tv_usec / 1e6 +
	    (double)kids.ru_stime.tv_sec + kids.ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process, in seconds; -1 when unreadable. */
static double
proc_cpu(const char *pid)
{
	char path[64], *text = NULL, *p;
	size_t len;
	unsigned long long ut, st;
	double v = -1;
	int field;

	if (pid == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (file_read_capped(path, 4096, &text, &len) == -1)
		return -1;
	/* Fields after the ")" of comm: state is 3, utime 14, stime 15. */
	if ((p = strrchr(text, ')')) == NULL)
		goto out;
	for (field = 2; field < 13 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		goto out;
	ut = strtoull(p + 1, &p, 10);
	st = strtoull(p + 1, NULL, 10);
	v = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
out:
	free(text);
	return v;
}

static int
set_opt(
    struct args *a, const struct probe *p, const char *name, const char *value)
{
	char err[ARGS_ERROR_MAX];

	if (args_set(a, args_spec(p->options, name), value, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "mysql_bench: %s\n", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct probe *p = NULL;
	struct probe_result *res = NULL;
	struct probe_run run;
	struct spawn_result sr;
	struct args a;
	void *state = NULL;
	const char *server = getenv("BENCH_SERVER_PID");
	double c0, c1, w0, w1, s0, s1;
	long n, i;
	int rc = 1, bad = 0;

	if (argc < 4 || parse_long(argv[2], 1, 1000000, &n) == -1) {
		fprintf(stderr,
		    "usage: mysql_bench inproc-mysql N FILE SOCKET"
		    " | inproc-varnish N INSTANCE | exec N PROGRAM [ARGS]\n");
		return 2;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return 1;
	if (strcmp(argv[1], "inproc-mysql") == 0 && argc == 5) {
		p = &probe_mysql;
		args_init(&a, p->options);
		if (set_opt(&a, p, "defaults-file", argv[3]) == -1 ||
		    set_opt(&a, p, "socket", argv[4]) == -1)
			goto out;
	} else if (strcmp(argv[1], "inproc-varnish") == 0 && argc == 4) {
		p = &probe_varnish;
		args_init(&a, p->options);
		if (set_opt(&a, p, "instance", argv[3]) == -1)
			goto out;
	} else if (strcmp(argv[1], "exec") != 0) {
		fprintf(stderr, "mysql_bench: unknown mode %s\n", argv[1]);
		goto out;
	}

	s0 = proc_cpu(server);
	w0 = clock_monotonic_now();
	c0 = cpu_now();
	for (i = 0; i < n; i++) {
		if (p != NULL) {
			memset(&run, 0, sizeof(run));
			run.args = &a;
			run.deadline = clock_monotonic_now() + 10;
			run.face = FACE_COLLECTOR;
			run.check_state = &state;
			result_init(res);
			p->run(&run, res);
			bad += res->state != STATE_OK;
		} else {
			memset(&sr, 0, sizeof(sr));
			if (spawn_run(argv + 3, clock_monotonic_now() + 10,
				NULL, &sr) == -1 ||
			    !sr.exited || sr.exit_code != 0)
				bad++;
			spawn_result_free(&sr);
		}
	}
	c1 = cpu_now();
	w1 = clock_monotonic_now();
	s1 = proc_cpu(server);
	if (bad > 0)
		fprintf(stderr, "mysql_bench: %d of %ld checks not OK%s%s\n",
		    bad, n, p != NULL ? ": " : "",
		    p != NULL ? res->message : "");
	printf("cpu_us %.1f\n", (c1 - c0) * 1e6 / (double)n);
	if (s0 >= 0 && s1 >= 0)
		printf("server_us %.1f\n", (s1 - s0) * 1e6 / (double)n);
	printf("wall_ms %.3f\n", (w1 - w0) * 1e3 / (double)n);
	rc = bad > 0 ? 1 : 0;
out:
	if (p != NULL) {
		if (p->state_free != NULL)
			p->state_free(state);
		args_free(&a);
	}
	free(res);
	return rc;
}
