/*
 * Driver for bench/rrd.sh and bench/graph.sh, linked against the built
 * project objects.  Prints "key value" lines; CPU is user+system seconds
 * of this process, its children (exec mode) and, when given a pid, an
 * rrdcached daemon.
 *
 *   rrd_bench update DIR METRICS ROUNDS [rrdcached-address daemon-pid]
 *   rrd_bench exec DIR METRICS ROUNDS          (rrdtool update per value)
 *   rrd_bench graph DIR METRICS                (all, unchanged, incremental)
 *   rrd_bench graph-exec DIR METRICS           (rrdtool graph per PNG)
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "graph.h"
#include "rrdstore.h"
#include "util.h"
#include "web.h"

#define STEP 60

static double
cpu_self_children(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return s.ru_utime.tv_sec + s.ru_utime.tv_usec / 1e6 +
	    s.ru_stime.tv_sec + s.ru_stime.tv_usec / 1e6 + c.ru_utime.tv_sec +
	    c.ru_utime.tv_usec / 1e6 + c.ru_stime.tv_sec +
	    c.ru_stime.tv_usec / 1e6;
}

/* utime+stime of another process from /proc/PID/stat. */
static double
cpu_of(long pid)
{
	char path[64], *data = NULL, *p;
	size_t len = 0;
	double v = 0;
	int field;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (file_read_capped(path, 4096, &data, &len) == -1)
		return 0;
	p = strrchr(data, ')');
	for (field = 2; p != NULL && field < 15; field++) {
		p = strchr(p + 1, ' ');
		if (p != NULL && (field == 13 || field == 14))
			v += strtod(p + 1, NULL);
	}
	free(data);
	return v / (double)sysconf(_SC_CLK_TCK);
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fill(struct probe_result *res, size_t metrics, long round)
{
	char name[32];
	size_t i;
	struct metric *m;

	result_init(res);
	result_set(res, STATE_OK, REASON_NONE, "bench");
	for (i = 0; i < metrics; i++) {
		snprintf(name, sizeof(name), "m%zu", i);
		m = result_metric(res, name,
		    50 + 40 * sin((double)round / 9.0 + (double)i),
		    i % 2 ? "B" : "%", i % 5 == 4 ? DS_DERIVE : DS_GAUGE);
		if (m != NULL && m->ds == DS_DERIVE)
			m->value = (double)(round * 1000 + (long)i);
		if (m != NULL && i % 3 == 0) {
			range_parse("80", &m->warn);
			range_parse("90", &m->crit);
		}
	}
}

static int
bench_update(const char *dir, size_t metrics, long rounds, const char *daemon,
    long daemon_pid)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct rrd_store *st;
	char err[1024];
	time_t t0 = time(NULL);
	double c0, d0, w0, c1, d1, w1;
	long r;

	if (res == NULL)
		return 1;
	t0 -= t0 % STEP + (rounds + 2) * STEP;
	if ((st = rrd_store_new(dir, daemon, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* Creation is not what we measure: make every file first. */
	fill(res, metrics, 0);
	if (rrd_store_update(st, "bench", STEP, t0, res, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	c0 = cpu_self_children();
	d0 = cpu_of(daemon_pid);
	w0 = wall_now();
	for (r = 1; r <= rounds; r++) {
		fill(res, metrics, r);
		if (rrd_store_update(st, "bench", STEP, t0 + r * STEP, res, err,
			sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	if (daemon != NULL) {
		/* Count the daemon's writing too: flush everything now. */
		char real[4096], path[4200];
		size_t i;

		if (realpath(dir, real) == NULL)
			return 1;
		for (i = 0; i < metrics; i++) {
			rrd_metric_path(real, "bench", res->metrics[i].name,
			    path, sizeof(path));
			if (rrdc_flush(path) != 0)
				fprintf(stderr, "flush %s failed\n", path);
		}
	}
	rrd_store_free(st);
	c1 = cpu_self_children();
	d1 = cpu_of(daemon_pid);
	w1 = wall_now();
	printf("updates %ld\ncpu %.4f\ndaemon_cpu %.4f\nwall %.4f\n",
	    (long)metrics * rounds, c1 - c0, d1 - d0, w1 - w0);
	free(res);
	return 0;
}

static int
bench_exec(const char *dir, size_t metrics, long rounds)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct rrd_store *st;
	char err[1024], path[4096], value[64];
	time_t t0 = time(NULL);
	double c0, w0;
	long r;
	size_t i;
	pid_t pid;
	int status;

	if (res == NULL)
		return 1;
	t0 -= t0 % STEP + (rounds + 2) * STEP;
	if ((st = rrd_store_new(dir, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	fill(res, metrics, 0);
	if (rrd_store_update(st, "bench", STEP, t0, res, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	c0 = cpu_self_children();
	w0 = wall_now();
	for (r = 1; r <= rounds; r++) {
		fill(res, metrics, r);
		for (i = 0; i < metrics; i++) {
			rrd_metric_path(dir, "bench", res->metrics[i].name,
			    path, sizeof(path));
			snprintf(value, sizeof(value), "%lld:%.17g",
			    (long long)(t0 + r * STEP), res->metrics[i].value);
			if ((pid = fork()) == 0) {
				execlp("rrdtool", "rrdtool", "update", path,
				    value, (char *)NULL);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &status, 0) == -1 ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "rrdtool update failed\n");
				return 1;
			}
		}
	}
	printf("updates %ld\ncpu %.4f\ndaemon_cpu 0\nwall %.4f\n",
	    (long)metrics * rounds, cpu_self_children() - c0, wall_now() - w0);
	rrd_store_free(st);
	free(res);
	return 0;
}

static void
rm_pngs(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/www'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "rm failed\n");
}

/* A store with a day of history at STEP, then the renderings. */
static int
bench_graph(const char *dir, size_t metrics, int exec_mode)
{
	struct probe_result *res = malloc(sizeof(*res));
	struct rrd_store *st;
	struct web_check c;
	struct web_config cfg;
	char err[1024], rrd[4096], www[4096], png[4096];
	time_t t0 = time(NULL);
	double c0, w0;
	long r, rounds = 1440;
	size_t i, pngs = 0;
	int p;
	pid_t pid;
	int status;

	if (res == NULL)
		return 1;
	snprintf(rrd, sizeof(rrd), "%s/rrd", dir);
	snprintf(www, sizeof(www), "%s/www", dir);
	t0 -= t0 % STEP + rounds * STEP;
	if ((st = rrd_store_new(rrd, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		fill(res, metrics, r);
		if (rrd_store_update(st, "bench", STEP, t0 + r * STEP, res, err,
			sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	memset(&c, 0, sizeof(c));
	c.name = c.probe = "bench";
	c.interval = STEP;
	c.result = res;
	c.hard = true;
	memset(&cfg, 0, sizeof(cfg));
	cfg.graph_dir = www;
	cfg.rrd_dir = rrd;
	cfg.hostname = "bench";
	rm_pngs(dir);
	mkdir_p(www, 0755);
	snprintf(png, sizeof(png), "%s/bench", www);
	mkdir_p(png, 0755);

	c0 = cpu_self_children();
	w0 = wall_now();
	if (!exec_mode) {
		if (web_render_graphs(&cfg, &c, 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		pngs = metrics * GRAPH_PERIOD_COUNT;
	} else {
		static const char *const starts[] = { "-2000m", "-12000m",
			"-48000m", "-400d" };
		char a[8][4200];

		for (i = 0; i < metrics; i++)
			for (p = 0; p < GRAPH_PERIOD_COUNT; p++) {
				snprintf(a[0], sizeof(a[0]),
				    "%s/rrd/bench/m%zu.rrd", dir, i);
				snprintf(a[1], sizeof(a[1]),
				    "%s/bench/m%zu-%d.png", www, i, p);
				snprintf(a[2], sizeof(a[2]),
				    "DEF:avg=%s:value:"
				    "AVERAGE",
				    a[0]);
				snprintf(a[3], sizeof(a[3]),
				    "DEF:lo=%s:value:"
				    "MIN",
				    a[0]);
				snprintf(a[4], sizeof(a[4]),
				    "DEF:hi=%s:value:"
				    "MAX",
				    a[0]);
				if ((pid = fork()) == 0) {
					execlp("rrdtool", "rrdtool", "graph",
					    a[1], "--start", starts[p],
					    "--title", "bench", "--width",
					    "400", "--height", "175",
					    "--slope-mode", a[2], a[3], a[4],
					    "CDEF:band=hi,lo,-",
					    "VDEF:vlast=avg,LAST",
					    "VDEF:vmin=lo,MINIMUM",
					    "VDEF:vavg=avg,AVERAGE",
					    "VDEF:vmax=hi,MAXIMUM", "AREA:lo",
					    "AREA:band#00CC0033::STACK",
					    "LINE1:avg#00A000:m\\l",
					    "GPRINT:vlast:Cur\\:%8.2lf%s",
					    "GPRINT:vmin:Min\\:%8.2lf%s",
					    "GPRINT:vavg:Avg\\:%8.2lf%s",
					    "GPRINT:vmax:Max\\:%8.2lf%s\\l",
					    "HRULE:80#FFAA00:warning",
					    "HRULE:90#FF0000:critical",
					    (char *)NULL);
					_exit(127);
				}
				if (pid < 0 || waitpid(pid, &status, 0) == -1 ||
				    !WIFEXITED(status) ||
				    WEXITSTATUS(status) != 0) {
					fprintf(
					    stderr, "rrdtool graph failed\n");
					return 1;
				}
				pngs++;
			}
	}
	printf("pngs %zu\ncpu_all %.4f\nwall_all %.4f\n", pngs,
	    cpu_self_children() - c0, wall_now() - w0);
	if (exec_mode)
		goto out;

	/* Nothing changed: every graph is skipped. */
	c0 = cpu_self_children();
	w0 = wall_now();
	web_render_graphs(&cfg, &c, 1, err, sizeof(err));
	printf("cpu_unchanged %.4f\n", cpu_self_children() - c0);

	/* One new value per metric: only the day graphs are redrawn. */
	sleep(1);
	fill(res, metrics, rounds);
	rrd_store_update(
	    st, "bench", STEP, t0 + rounds * STEP, res, err, sizeof(err));
	c0 = cpu_self_children();
	w0 = wall_now();
	web_render_graphs(&cfg, &c, 1, err, sizeof(err));
	printf("cpu_incremental %.4f\nwall_incremental %.4f\n",
	    cpu_self_children() - c0, wall_now() - w0);
out:
	rrd_store_free(st);
	free(res);
	return 0;
}

int
main(int argc, char **argv)
{
	long n = 0, rounds = 0, pid = 0;

	if (argc < 4 || parse_long(argv[3], 1, 100000, &n) == -1)
		goto usage;
	if (strcmp(argv[1], "graph") == 0)
		return bench_graph(argv[2], (size_t)n, 0);
	if (strcmp(argv[1], "graph-exec") == 0)
		return bench_graph(argv[2], (size_t)n, 1);
	if (argc < 5 || parse_long(argv[4], 1, 10000000, &rounds) == -1)
		goto usage;
	if (n > PROBE_METRICS_MAX)
		goto usage;
	if (strcmp(argv[1], "exec") == 0)
		return bench_exec(argv[2], (size_t)n, rounds);
	if (strcmp(argv[1], "update") == 0) {
		if (argc > 6 && parse_long(argv[6], 1, 1 << 30, &pid) == -1)
			goto usage;
		return bench_update(
		    argv[2], (size_t)n, rounds, argc > 5 ? argv[5] : NULL, pid);
	}
usage:
	fprintf(stderr,
	    "usage: rrd_bench update|exec DIR METRICS ROUNDS "
	    "[ADDRESS PID] | graph|graph-exec DIR METRICS\n");
	return 2;
}
