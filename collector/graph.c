/* Graphs of one metric through rrd_graph_v, munin's periods and look. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rrd.h>

#include "graph.h"
#include "rrdstore.h"
#include "util.h"

#define GRAPH_ARGC_MAX 40
#define GRAPH_ARG_MAX (PATH_MAX + 64)

static const struct {
	const char *name;
	const char *start; /* munin's --start */
	long resolution; /* seconds per pixel, as munin */
} graph_periods[GRAPH_PERIOD_COUNT] = {
	{ "day", "-2000m", 300 },
	{ "week", "-12000m", 1500 },
	{ "month", "-48000m", 7200 },
	{ "year", "-400d", 86400 },
};

const char *
graph_period_name(enum graph_period period)
{
	if ((unsigned)period >= GRAPH_PERIOD_COUNT)
		return "?";
	return graph_periods[period].name;
}

int
graph_png_path(const char *graph_dir, const char *check, const char *metric,
    enum graph_period period, char *buf, size_t size)
{
	char c[NAME_MAX + 1], m[NAME_MAX - 15];
	int n;

	if (rrd_metric_filename(check, c, sizeof(c)) == -1 ||
	    rrd_metric_filename(metric, m, sizeof(m)) == -1)
		return -1;
	n = snprintf(buf, size, "%s/%s/%s-%s.png", graph_dir, c, m,
	    graph_period_name(period));
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

int
graph_needs_render(const char *rrd_path, const char *png_path,
    enum graph_period period, time_t now)
{
	struct stat rs, ps;

	if (stat(rrd_path, &rs) == -1)
		return -1;
	if (stat(png_path, &ps) == -1)
		return 1;
	if (rs.st_mtime < ps.st_mtime)
		return 0;
	if (rs.st_mtime == ps.st_mtime &&
	    rs.st_mtim.tv_nsec <= ps.st_mtim.tv_nsec)
		return 0;
	if ((unsigned)period < GRAPH_PERIOD_COUNT && period != GRAPH_DAY &&
	    now - ps.st_mtime < graph_periods[period].resolution)
		return 0;
	return 1;
}

/*
 * rrdtool's argument grammar: ':' separates fields and '\\' escapes.  A
 * legend (text) also loses '%' and control characters; a path keeps them.
 */
static void
graph_escape(char *dst, size_t size, const char *src, bool text)
{
	size_t len = 0;

	for (; *src != '\0' && len + 3 < size; src++) {
		if (*src == ':' || *src == '\\') {
			dst[len++] = '\\';
			dst[len++] = *src;
		} else if (text && *src == '%')
			dst[len++] = '_';
		else if (text && (unsigned char)*src < 0x20)
			dst[len++] = ' ';
		else
			dst[len++] = *src;
	}
	dst[len] = '\0';
}

struct graph_args {
	char buf[GRAPH_ARGC_MAX][GRAPH_ARG_MAX];
	char *argv[GRAPH_ARGC_MAX + 1];
	int argc;
	bool overflow;
};

static void graph_arg(struct graph_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
graph_arg(struct graph_args *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->argc >= GRAPH_ARGC_MAX) {
		a->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->buf[a->argc], GRAPH_ARG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= GRAPH_ARG_MAX)
		a->overflow = true;
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
	a->argv[a->argc] = NULL;
}

/* A threshold line where a range's alerting edge is finite. */
static void
graph_hrules(struct graph_args *a, const struct range *r, const char *colour,
    const char *label)
{
	bool labelled = false;

	if (!r->set)
		return;
	if (isfinite(r->end)) {
		graph_arg(a, "HRULE:%.10g#%s:%s", r->end, colour, label);
		labelled = true;
	}
	if (isfinite(r->start) && (r->start != 0 || r->inside))
		graph_arg(a, "HRULE:%.10g#%s%s%s", r->start, colour,
		    labelled ? "" : ":", labelled ? "" : label);
}

static void
graph_vlabel(char *buf, size_t size, const struct metric *m)
{
	const char *unit = m->unit[0] != '\0' ? m->unit : "";

	if (m->ds == DS_DERIVE)
		snprintf(buf, size, "%s%sper second", unit,
		    unit[0] != '\0' ? " " : "");
	else if (strcmp(unit, "%") == 0)
		str_copy(buf, "percent", size);
	else if (unit[0] != '\0')
		str_copy(buf, unit, size);
	else
		str_copy(buf, m->name, size); /* keeps every PNG 497 wide */
}

int
graph_render(const struct graph_spec *spec, enum graph_period period, char *err,
    size_t errlen)
{
	struct graph_args *a = NULL;
	char tmp[PATH_MAX], def[PATH_MAX * 2], title[256], legend[128];
	char vlabel[64];
	const struct metric *m = spec->metric;
	rrd_info_t *info = NULL;
	int rc = -1, n;

	if ((unsigned)period >= GRAPH_PERIOD_COUNT) {
		snprintf(err, errlen, "bad graph period");
		return -1;
	}
	n = snprintf(
	    tmp, sizeof(tmp), "%s.tmp.%ld", spec->png_path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", spec->png_path);
		return -1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "graph: out of memory");
		return -1;
	}
	graph_escape(def, sizeof(def), spec->rrd_path, false);
	graph_escape(legend, sizeof(legend), m->name, true);
	if (spec->host != NULL && spec->host[0] != '\0')
		snprintf(title, sizeof(title), "%s / %s / %s - by %s",
		    spec->host, spec->check, m->name,
		    graph_periods[period].name);
	else
		snprintf(title, sizeof(title), "%s / %s - by %s", spec->check,
		    m->name, graph_periods[period].name);
	graph_vlabel(vlabel, sizeof(vlabel), m);

	graph_arg(a, "graph");
	graph_arg(a, "%s", tmp);
	graph_arg(a, "--imgformat=PNG");
	graph_arg(a, "--start=%s", graph_periods[period].start);
	graph_arg(a, "--end=now");
	graph_arg(a, "--title=%s", title);
	graph_arg(a, "--vertical-label=%s", vlabel);
	graph_arg(a, "--width=%d", GRAPH_WIDTH);
	graph_arg(a, "--height=%d", GRAPH_HEIGHT);
	graph_arg(a, "--slope-mode");
	if (strcmp(m->unit, "B") == 0 || strcmp(m->unit, "KB") == 0 ||
	    strcmp(m->unit, "MB") == 0 || strcmp(m->unit, "TB") == 0)
		graph_arg(a, "--base=1024");
	if (strcmp(m->unit, "%") == 0) {
		graph_arg(a, "--lower-limit=0");
		graph_arg(a, "--upper-limit=100");
	}
	graph_arg(a, "DEF:avg=%s:%s:AVERAGE", def, RRD_DS_NAME);
	graph_arg(a, "DEF:lo=%s:%s:MIN", def, RRD_DS_NAME);
	graph_arg(a, "DEF:hi=%s:%s:MAX", def, RRD_DS_NAME);
	graph_arg(a, "CDEF:band=hi,lo,-");
	graph_arg(a, "VDEF:vlast=avg,LAST");
	graph_arg(a, "VDEF:vmin=lo,MINIMUM");
	graph_arg(a, "VDEF:vavg=avg,AVERAGE");
	graph_arg(a, "VDEF:vmax=hi,MAXIMUM");
	graph_arg(a, "AREA:lo");
	graph_arg(a, "AREA:band#00CC0033::STACK");
	graph_arg(a, "LINE1:avg#00A000:%s\\l", legend);
	graph_arg(a, "GPRINT:vlast:  Cur\\:%%8.2lf%%s");
	graph_arg(a, "GPRINT:vmin:Min\\:%%8.2lf%%s");
	graph_arg(a, "GPRINT:vavg:Avg\\:%%8.2lf%%s");
	graph_arg(a, "GPRINT:vmax:Max\\:%%8.2lf%%s\\l");
	graph_hrules(a, &m->warn, "FFAA00", "warning");
	graph_hrules(a, &m->crit, "FF0000", "critical");
	if (a->overflow) {
		snprintf(err, errlen, "%s: graph arguments too long",
		    spec->png_path);
		goto out;
	}
	rrd_clear_error();
	info = rrd_graph_v(a->argc, a->argv);
	if (info == NULL || rrd_test_error()) {
		snprintf(err, errlen, "rrd graph %s: %s", spec->png_path,
		    rrd_test_error() ? rrd_get_error() : "failed");
		rrd_clear_error();
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, spec->png_path) == -1) {
		snprintf(
		    err, errlen, "%s: %s", spec->png_path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (info != NULL)
		rrd_info_free(info);
	free(a);
	return rc;
}

/*
 * librrd 1.7.2's rrd_graph_v leaks two small strings per call, and
 * fontconfig/pango/cairo keep caches for the life of the process.  Under
 * LeakSanitizer (sanitizer builds only) those are library leaks, not ours:
 * name them so the sanitized test suite reports only our own.
 */
#if defined(__SANITIZE_ADDRESS__)
#define GRAPH_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAPH_LSAN 1
#endif
#endif
#ifdef GRAPH_LSAN
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:librrd.so\n"
	       "leak:libfontconfig.so\n"
	       "leak:libpango\n"
	       "leak:libcairo.so\n"
	       "leak:libglib-2.0.so\n"
	       "leak:__vasprintf_internal\n";
}
#endif
