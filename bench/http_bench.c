/*
 * CPU per check of the http probe run in-process the way the collector's
 * workers run it (probe->run with FACE_COLLECTOR, a deadline and the
 * check's probe memory kept between runs, the process's CA store cache
 * warm; a fresh libcurl handle, connection and TLS handshake per check) against exec'ing a plugin per
 * check the way Nagios does.  Built by bench/http.sh against build/full.
 *
 *   http_bench inproc N [http probe options...]
 *   http_bench exec N PROGRAM [ARGS...]
 *
 * Prints "cpu_us <CPU per check, children included>", "wall_ms <wall per
 * check>", "server_us <server CPU per check>" when BENCH_SERVER_PID names
 * the server process, and "bad <checks that were not OK>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <curl/curl.h>

#include "faces.h"
#include "probe.h"
#include "util.h"

extern const struct probe probe_http;

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

/* utime + stime of the server process (fields 14 and 15 of stat). */
static double
server_cpu(void)
{
	const char *pid = getenv("BENCH_SERVER_PID");
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *fp;
	size_t n;
	int field;

	if (pid == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	ut = strtoull(p + 1, &p, 10);
	st = strtoull(p + 1, NULL, 10);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
run_inproc(long n, int argc, char **argv)
{
	struct args args;
	struct face_opts fo;
	struct probe_result *res = NULL;
	struct probe_run run;
	char err[256];
	void *pstate =
	    NULL; /* the check's probe memory, as the collector keeps it */
	long i, bad = 0;

	args_init(&args, probe_http.options);
	if (face_parse_argv(
		&probe_http, argc, argv, &args, &fo, err, sizeof(err)) != 0) {
		fprintf(stderr, "http_bench: %s\n", err);
		return 1;
	}
	if ((res = malloc(sizeof(*res))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		memset(&run, 0, sizeof(run));
		run.args = &args;
		run.deadline = clock_monotonic_now() + fo.timeout;
		run.face = FACE_COLLECTOR;
		run.check_state = &pstate;
		result_init(res);
		probe_http.run(&run, res);
		if (res->state != STATE_OK) {
			if (bad == 0)
				fprintf(
				    stderr, "http_bench: %s\n", res->message);
			bad++;
		}
	}
	if (pstate != NULL && probe_http.state_free != NULL)
		probe_http.state_free(pstate);
	free(res);
	args_free(&args);
	return (int)(bad > 0 ? bad : 0);
}

static long
run_exec(long n, char **argv)
{
	long i, bad = 0;
	pid_t pid;
	int st, devnull;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			devnull = open("/dev/null", 1);
			if (devnull >= 0) {
				dup2(devnull, 1);
				dup2(devnull, 2);
			}
			execv(argv[0], argv);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) < 0)
			return -1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	double c0, c1, w0, w1, s0, s1;
	long n, bad;

	if (argc < 4 || parse_long(argv[2], 1, 1000000, &n) != 0) {
		fprintf(stderr, "usage: http_bench inproc|exec N ARGS...\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s0 = server_cpu();
	w0 = clock_monotonic_now();
	c0 = cpu_now();
	if (strcmp(argv[1], "inproc") == 0) {
		/* argv[2] stands in as the probe name for face_parse_argv */
		bad = run_inproc(n, argc - 2, argv + 2);
	} else {
		bad = run_exec(n, argv + 3);
	}
	c1 = cpu_now();
	w1 = clock_monotonic_now();
	s1 = server_cpu();
	printf("cpu_us %.1f\n", (c1 - c0) * 1e6 / (double)n);
	printf("wall_ms %.3f\n", (w1 - w0) * 1e3 / (double)n);
	if (s0 >= 0 && s1 >= 0)
		printf("server_us %.1f\n", (s1 - s0) * 1e6 / (double)n);
	printf("bad %ld\n", bad);
	curl_global_cleanup();
	return 0;
}
