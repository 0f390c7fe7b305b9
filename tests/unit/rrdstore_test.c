/*
 * RRD layout and storage: rows per archive from the step, file names, and
 * real RRDs written in a temp folder, read back with rrdtool info/fetch;
 * PNG graphs checked with file(1); rrdcached path with a real daemon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "graph.h"
#include "rrdstore.h"
#include "util.h"
#include "web.h"

#define OUT_MAX 65536

static const struct {
	unsigned step;
	struct rrd_rra_spec want[RRD_RRA_COUNT];
} layout_cases[] = {
	{ 300, { { 1, 576 }, { 6, 432 }, { 24, 540 }, { 288, 450 } } },
	{ 60, { { 1, 2880 }, { 30, 432 }, { 120, 540 }, { 1440, 450 } } },
	{ 1, { { 1, 172800 }, { 1800, 432 }, { 7200, 540 }, { 86400, 450 } } },
	{ 3600, { { 1, 48 }, { 1, 216 }, { 2, 540 }, { 24, 450 } } },
	{ 7, { { 1, 24686 }, { 257, 433 }, { 1029, 540 }, { 12343, 450 } } },
};

static void
test_layout(void **state)
{
	struct rrd_rra_spec got[RRD_RRA_COUNT];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(layout_cases) / sizeof(layout_cases[0]); i++) {
		assert_int_equal(rrd_layout(layout_cases[i].step, got), 0);
		for (j = 0; j < RRD_RRA_COUNT; j++) {
			assert_int_equal(got[j].pdp_per_row,
			    layout_cases[i].want[j].pdp_per_row);
			assert_int_equal(
			    got[j].rows, layout_cases[i].want[j].rows);
		}
	}
	assert_int_equal(rrd_layout(0, got), -1);
}

static const struct {
	const char *in, *out;
} name_cases[] = {
	{ "load1", "load1" },
	{ "/", "_" },
	{ "/var/log", "_var_log" },
	{ "a b:c", "a_b_c" },
	{ ".hidden", "_hidden" },
	{ "..", "_." },
	{ "time-ms.total_2", "time-ms.total_2" },
	{ "", "_" },
	{ "caf\xc3\xa9", "caf__" },
	{ "<script>", "_script_" },
};

static void
test_filename(void **state)
{
	char buf[64], small[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		assert_int_equal(
		    rrd_metric_filename(name_cases[i].in, buf, sizeof(buf)), 0);
		assert_string_equal(buf, name_cases[i].out);
	}
	assert_int_equal(rrd_metric_filename("abcd", small, sizeof(small)), -1);
	assert_int_equal(
	    rrd_metric_path("/r", "web 1", "/var", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/web_1/_var.rrd");
	assert_int_equal(
	    graph_png_path("/g", "web 1", "/var", GRAPH_WEEK, buf, sizeof(buf)),
	    0);
	assert_string_equal(buf, "/g/web_1/_var-week.png");
}

/* Run a command line (paths are our own temp names) and capture stdout. */
static void
run_capture(char *out, size_t size, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	pclose(f);
}

static void
remove_tree(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void
make_result(struct probe_result *res, double used, double requests)
{
	struct metric *m;

	result_init(res);
	result_set(res, STATE_OK, REASON_NONE, "fine");
	m = result_metric(res, "used %", used, "%", DS_GAUGE);
	assert_non_null(m);
	m->has_min = m->has_max = true;
	m->min = 0;
	m->max = 100;
	assert_int_equal(range_parse("80", &m->warn), 0);
	assert_int_equal(range_parse("90", &m->crit), 0);
	m = result_metric(res, "requests", requests, "c", DS_DERIVE);
	assert_non_null(m);
	m = result_metric(res, "gone", 0, "", DS_GAUGE);
	assert_non_null(m);
	m->unknown = true;
}

static bool
dir_has_temp(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp") != NULL)
			found = true;
	closedir(d);
	return found;
}

/* A temp folder with RRD_DIR inside, a command-output buffer, a result. */
struct store_fixture {
	char dir[32];
	char rrd_dir[256];
	char *out;
	struct probe_result *res;
};

static void
store_fixture_open(struct store_fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/rrdstore_test.XXXXXX");
	f->out = malloc(OUT_MAX);
	f->res = malloc(sizeof(*f->res));
	assert_non_null(f->out);
	assert_non_null(f->res);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rrd_dir, sizeof(f->rrd_dir), "%s/rrd", f->dir);
}

static void
store_fixture_close(struct store_fixture *f)
{
	remove_tree(f->dir);
	free(f->res);
	free(f->out);
}

/* The last update time of path, from rrdtool lastupdate's last line. */
static long long
last_update(char *out, const char *path)
{
	char *line;

	run_capture(out, OUT_MAX, "rrdtool lastupdate '%s'", path);
	line = strrchr(out, '\n');
	while (line != NULL && line > out && line[1] == '\0') {
		*line = '\0';
		line = strrchr(out, '\n');
	}
	return line != NULL ? strtoll(line + 1, NULL, 10) : -1;
}

/* Write-behind: values wait until the oldest is flush-interval old, then
 * go in one write; free flushes the rest; none lost or doubled. */
static void
test_store_write_behind(void **state)
{
	struct store_fixture f;
	char path[512], err[512];
	struct rrd_store *st;
	time_t t0 = time(NULL);

	(void)state;
	store_fixture_open(&f);
	snprintf(path, sizeof(path), "%s/web_1/used__.rrd", f.rrd_dir);
	t0 -= t0 % 60 + 3600;

	st = rrd_store_new(f.rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	rrd_store_set_flush_interval(st, 100);
	for (int i = 0; i < 3; i++) {
		make_result(f.res, 10 + i, 1000 + 60 * i);
		assert_int_equal(rrd_store_queue(st, "web 1", 60, t0 + 60 * i,
				     f.res, 500.0 + i, err, sizeof(err)),
		    0);
	}
	/* the same second again is dropped quietly: librrd would refuse it */
	assert_int_equal(rrd_store_queue(st, "web 1", 60, t0 + 120, f.res,
			     503.0, err, sizeof(err)),
	    0);
	/* the file exists at once, still empty */
	assert_int_equal(last_update(f.out, path), (long long)(t0 - 60));
	assert_int_equal(
	    rrd_store_flush(st, 599.9, false, err, sizeof(err)), 0);
	assert_int_equal(last_update(f.out, path), (long long)(t0 - 60));
	assert_int_equal(
	    rrd_store_flush(st, 600.0, false, err, sizeof(err)), 0);
	assert_int_equal(last_update(f.out, path), (long long)(t0 + 120));
	run_capture(f.out, OUT_MAX,
	    "rrdtool fetch '%s' AVERAGE -r 60 -s %lld -e %lld", path,
	    (long long)(t0 - 60), (long long)(t0 + 120));
	assert_non_null(strstr(f.out, "1.0000000000e+01"));
	assert_non_null(strstr(f.out, "1.1000000000e+01"));
	assert_non_null(strstr(f.out, "1.2000000000e+01"));
	/* a value that has not waited long is written by free */
	make_result(f.res, 13, 1180);
	assert_int_equal(rrd_store_queue(st, "web 1", 60, t0 + 180, f.res,
			     700.0, err, sizeof(err)),
	    0);
	assert_int_equal(
	    rrd_store_flush(st, 701.0, false, err, sizeof(err)), 0);
	assert_int_equal(last_update(f.out, path), (long long)(t0 + 120));
	rrd_store_free(st);
	assert_int_equal(last_update(f.out, path), (long long)(t0 + 180));

	/* a file removed while its values wait is made again at the flush */
	st = rrd_store_new(f.rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	rrd_store_set_flush_interval(st, 100);
	make_result(f.res, 14, 1240);
	assert_int_equal(rrd_store_queue(st, "web 1", 60, t0 + 240, f.res,
			     800.0, err, sizeof(err)),
	    0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rrd_store_flush(st, 0, true, err, sizeof(err)), 0);
	assert_int_equal(last_update(f.out, path), (long long)(t0 + 240));
	rrd_store_free(st);
	store_fixture_close(&f);
}

static void
test_store_direct(void **state)
{
	struct store_fixture f;
	char path[512], err[512];
	struct rrd_store *st;
	time_t t0 = time(NULL);

	(void)state;
	store_fixture_open(&f);
	t0 -= t0 % 60 + 600;

	st = rrd_store_new(f.rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	make_result(f.res, 42.5, 1000);
	assert_int_equal(
	    rrd_store_update(st, "web 1", 60, t0, f.res, err, sizeof(err)), 0);
	make_result(f.res, 50, 1600.4);
	assert_int_equal(
	    rrd_store_update(st, "web 1", 60, t0 + 60, f.res, err, sizeof(err)),
	    0);
	/* Same second again: refused, named in err, the others still tried. */
	assert_int_equal(
	    rrd_store_update(st, "web 1", 60, t0 + 60, f.res, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "used"));

	snprintf(path, sizeof(path), "%s/web_1/used__.rrd", f.rrd_dir);
	run_capture(f.out, OUT_MAX, "rrdtool info '%s'", path);
	assert_non_null(strstr(f.out, "step = 60\n"));
	assert_non_null(strstr(f.out, "ds[value].type = \"GAUGE\""));
	assert_non_null(strstr(f.out, "ds[value].minimal_heartbeat = 120\n"));
	assert_non_null(strstr(f.out, "ds[value].min = 0.0000000000e+00"));
	assert_non_null(strstr(f.out, "ds[value].max = 1.0000000000e+02"));
	assert_non_null(strstr(f.out, "rra[0].cf = \"AVERAGE\""));
	assert_non_null(strstr(f.out, "rra[1].cf = \"MIN\""));
	assert_non_null(strstr(f.out, "rra[2].cf = \"MAX\""));
	assert_non_null(strstr(f.out, "rra[0].rows = 2880\n"));
	assert_non_null(strstr(f.out, "rra[3].pdp_per_row = 30\n"));
	assert_non_null(strstr(f.out, "rra[6].rows = 540\n"));
	assert_non_null(strstr(f.out, "rra[11].pdp_per_row = 1440\n"));
	assert_null(strstr(f.out, "rra[12]"));
	run_capture(f.out, OUT_MAX,
	    "rrdtool fetch '%s' AVERAGE -r 60 -s %lld "
	    "-e %lld",
	    path, (long long)t0, (long long)(t0 + 60));
	assert_non_null(strstr(f.out, "5.0000000000e+01"));

	snprintf(path, sizeof(path), "%s/web_1/requests.rrd", f.rrd_dir);
	run_capture(f.out, OUT_MAX, "rrdtool info '%s'", path);
	assert_non_null(strstr(f.out, "ds[value].type = \"DERIVE\""));
	assert_non_null(strstr(f.out, "ds[value].min = 0.0000000000e+00"));
	/* 1000 -> 1600 (integer) in 60 s: 10 per second. */
	run_capture(f.out, OUT_MAX,
	    "rrdtool fetch '%s' AVERAGE -r 60 -s %lld "
	    "-e %lld",
	    path, (long long)t0, (long long)(t0 + 60));
	assert_non_null(strstr(f.out, "1.0000000000e+01"));

	snprintf(path, sizeof(path), "%s/web_1/gone.rrd", f.rrd_dir);
	run_capture(f.out, OUT_MAX, "rrdtool lastupdate '%s'", path);
	assert_non_null(strstr(f.out, ": U"));

	snprintf(path, sizeof(path), "%s/web_1", f.rrd_dir);
	assert_false(dir_has_temp(path));
	rrd_store_free(st);

	/* A second store on the same folder keeps the files and appends. */
	st = rrd_store_new(f.rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	make_result(f.res, 60, 2200);
	assert_int_equal(rrd_store_update(st, "web 1", 60, t0 + 120, f.res, err,
			     sizeof(err)),
	    0);
	rrd_store_free(st);
	rrd_store_free(NULL);
	snprintf(path, sizeof(path), "%s/web_1/used__.rrd", f.rrd_dir);
	run_capture(f.out, OUT_MAX, "rrdtool lastupdate '%s'", path);
	assert_non_null(strstr(f.out, ": 60"));

	store_fixture_close(&f);
}

static void
test_graphs(void **state)
{
	char dir[] = "/tmp/rrdgraph_test.XXXXXX";
	char rrd_dir[256], graph_dir[256], png[512], err[1024];
	char *out;
	struct probe_result *res;
	struct rrd_store *st;
	struct web_check check;
	struct web_config cfg;
	struct stat before, after, week_before, week_after;
	time_t t0 = time(NULL);
	int i;

	(void)state;
	out = malloc(OUT_MAX);
	res = malloc(sizeof(*res));
	assert_non_null(out);
	assert_non_null(res);
	assert_non_null(mkdtemp(dir));
	snprintf(rrd_dir, sizeof(rrd_dir), "%s/rrd", dir);
	snprintf(graph_dir, sizeof(graph_dir), "%s/www", dir);
	t0 -= t0 % 60 + 3600;
	st = rrd_store_new(rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	for (i = 0; i < 50; i++) {
		make_result(res, 40 + 30 * sin(i / 5.0), 1000.0 + i * 600);
		assert_int_equal(rrd_store_update(st, "disk", 60, t0 + i * 60,
				     res, err, sizeof(err)),
		    0);
	}

	memset(&check, 0, sizeof(check));
	check.name = "disk";
	check.probe = "disk";
	check.state = STATE_OK;
	check.hard = true;
	check.interval = 60;
	check.result = res;
	check.last_check = t0 + 49 * 60;
	memset(&cfg, 0, sizeof(cfg));
	cfg.graph_dir = graph_dir;
	cfg.rrd_dir = rrd_dir;
	cfg.hostname = "host:1";
	assert_int_equal(
	    web_render_graphs(&cfg, &check, 1, err, sizeof(err)), 0);
	for (i = 0; i < GRAPH_PERIOD_COUNT; i++) {
		assert_int_equal(graph_png_path(graph_dir, "disk", "used %",
				     (enum graph_period)i, png, sizeof(png)),
		    0);
		run_capture(out, OUT_MAX, "file -b '%s'", png);
		assert_non_null(strstr(out, "PNG image data, 497 x"));
	}
	assert_int_equal(graph_png_path(graph_dir, "disk", "requests",
			     GRAPH_DAY, png, sizeof(png)),
	    0);
	run_capture(out, OUT_MAX, "file -b '%s'", png);
	assert_non_null(strstr(out, "PNG image data"));
	snprintf(png, sizeof(png), "%s/disk", graph_dir);
	assert_false(dir_has_temp(png));

	/* Unchanged data: nothing is redrawn. */
	assert_int_equal(graph_png_path(graph_dir, "disk", "used %", GRAPH_DAY,
			     png, sizeof(png)),
	    0);
	assert_int_equal(stat(png, &before), 0);
	assert_int_equal(
	    graph_needs_render("/nonexistent.rrd", png, GRAPH_DAY, time(NULL)),
	    -1);
	usleep(20000);
	assert_int_equal(
	    web_render_graphs(&cfg, &check, 1, err, sizeof(err)), 0);
	assert_int_equal(stat(png, &after), 0);
	assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);

	/* New data: the day graph follows, the young week graph waits. */
	assert_int_equal(graph_png_path(graph_dir, "disk", "used %", GRAPH_WEEK,
			     out, OUT_MAX),
	    0);
	assert_int_equal(stat(out, &week_before), 0);
	usleep(20000);
	make_result(res, 10, 99999);
	assert_int_equal(rrd_store_update(st, "disk", 60, t0 + 50 * 60, res,
			     err, sizeof(err)),
	    0);
	assert_int_equal(
	    web_render_graphs(&cfg, &check, 1, err, sizeof(err)), 0);
	assert_int_equal(stat(png, &after), 0);
	assert_false(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
	assert_int_equal(stat(out, &week_after), 0);
	assert_true(week_before.st_mtim.tv_nsec == week_after.st_mtim.tv_nsec);

	/* The check page shows the graphs that exist. */
	assert_int_equal(
	    web_write_status(&cfg, &check, 1, t0 + 3000, err, sizeof(err)), 0);
	snprintf(png, sizeof(png), "%s/disk/index.html", graph_dir);
	run_capture(out, OUT_MAX, "cat '%s'", png);
	assert_non_null(strstr(out, "<img src=\"used__-day.png\""));
	assert_non_null(strstr(out, "<img src=\"requests-year.png\""));
	assert_non_null(strstr(out, "<img src=\"gone-day.png\""));

	rrd_store_free(st);
	remove_tree(dir);
	free(res);
	free(out);
}

/* rrdtool's argument grammar must not see probe text or folder names:
 * ':' in the RRD path, ':' '%' '\\' and newlines in the metric name. */
static void
test_graph_odd_names(void **state)
{
	char dir[] = "/tmp/rrd:odd%s.XXXXXX";
	char rrd_dir[256], graph_dir[256], png[512], err[1024];
	char *out;
	struct probe_result *res;
	struct rrd_store *st;
	struct graph_spec spec;
	struct metric *m;
	time_t t0 = time(NULL);
	int i;

	(void)state;
	out = malloc(OUT_MAX);
	res = malloc(sizeof(*res));
	assert_non_null(out);
	assert_non_null(res);
	assert_non_null(mkdtemp(dir));
	snprintf(rrd_dir, sizeof(rrd_dir), "%s/rrd", dir);
	snprintf(graph_dir, sizeof(graph_dir), "%s/www", dir);
	t0 -= t0 % 60 + 600;
	st = rrd_store_new(rrd_dir, NULL, err, sizeof(err));
	assert_non_null(st);
	for (i = 0; i < 5; i++) {
		result_init(res);
		m = result_metric(res, "t: 50%s\\l\nDEF:x", i, "ms", DS_GAUGE);
		assert_non_null(m);
		assert_int_equal(range_parse("@1:2", &m->warn), 0);
		assert_int_equal(range_parse("~:3", &m->crit), 0);
		assert_int_equal(rrd_store_update(st, "odd:check", 60,
				     t0 + i * 60, res, err, sizeof(err)),
		    0);
	}
	assert_int_equal(rrd_metric_path(rrd_dir, "odd:check",
			     res->metrics[0].name, out, OUT_MAX),
	    0);
	assert_int_equal(graph_png_path(graph_dir, "odd:check",
			     res->metrics[0].name, GRAPH_DAY, png, sizeof(png)),
	    0);
	snprintf(err, sizeof(err), "%s/odd_check", graph_dir);
	assert_int_equal(mkdir_p(err, 0755), 0);
	spec.rrd_path = out;
	spec.png_path = png;
	spec.host = "h:o%st";
	spec.check = "odd:check";
	spec.metric = &res->metrics[0];
	if (graph_render(&spec, GRAPH_DAY, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	run_capture(out, OUT_MAX, "file -b '%s'", png);
	assert_non_null(strstr(out, "PNG image data, 497 x"));
	rrd_store_free(st);
	remove_tree(dir);
	free(res);
	free(out);
}

static void
test_store_rrdcached(void **state)
{
	char dir[] = "/tmp/rrdcached_test.XXXXXX";
	char rrd_dir[256], sock[300], addr[320], journal[300], pidf[300];
	char path[512], err[512];
	char *out;
	struct probe_result *res;
	struct rrd_store *st;
	pid_t pid;
	time_t t0 = time(NULL);
	int i;

	(void)state;
	if (access("/usr/bin/rrdcached", X_OK) == -1)
		skip();
	out = malloc(OUT_MAX);
	res = malloc(sizeof(*res));
	assert_non_null(out);
	assert_non_null(res);
	assert_non_null(mkdtemp(dir));
	snprintf(rrd_dir, sizeof(rrd_dir), "%s/rrd", dir);
	snprintf(sock, sizeof(sock), "%s/rrdcached.sock", dir);
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", dir);
	assert_int_equal(mkdir(journal, 0700), 0);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* -g foreground, long -w so only FLUSH writes the files. */
		execl("/usr/bin/rrdcached", "rrdcached", "-g", "-l", addr, "-p",
		    pidf, "-j", journal, "-w", "3600", "-f", "7200",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sock, F_OK) == -1; i++)
		usleep(20000);
	assert_int_equal(access(sock, F_OK), 0);

	t0 -= t0 % 60 + 600;
	st = rrd_store_new(rrd_dir, addr, err, sizeof(err));
	assert_non_null(st);
	for (i = 0; i < 3; i++) {
		make_result(res, 10 + i, 100 + 60 * i);
		assert_int_equal(rrd_store_update(st, "cached", 60, t0 + 60 * i,
				     res, err, sizeof(err)),
		    0);
	}
	snprintf(path, sizeof(path), "%s/cached/used__.rrd", rrd_dir);
	/* Still in the daemon's cache: the file has only its first value. */
	run_capture(out, OUT_MAX, "rrdtool lastupdate '%s'", path);
	assert_null(strstr(out, ": 12"));
	/* Through the daemon (which flushes first) the last value shows. */
	run_capture(
	    out, OUT_MAX, "rrdtool lastupdate --daemon '%s' '%s'", addr, path);
	assert_non_null(strstr(out, ": 12"));
	rrd_store_free(st);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	/* Flushed on exit. */
	run_capture(out, OUT_MAX, "rrdtool lastupdate '%s'", path);
	assert_non_null(strstr(out, ": 12"));

	/* A daemon that is gone: an error, not a crash or a hang. */
	st = rrd_store_new(rrd_dir, addr, err, sizeof(err));
	assert_non_null(st);
	make_result(res, 1, 1);
	assert_int_equal(
	    rrd_store_update(st, "cached", 60, t0 + 600, res, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "rrdcached"));
	rrd_store_free(st);

	remove_tree(dir);
	free(res);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_store_direct),
		cmocka_unit_test(test_store_write_behind),
		cmocka_unit_test(test_graphs),
		cmocka_unit_test(test_graph_odd_names),
		cmocka_unit_test(test_store_rrdcached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
