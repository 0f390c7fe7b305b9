/*
 * PNG graphs of one metric's RRD through librrd's rrd_graph_v, at munin's
 * four periods.  A PNG is rendered to a temp name and renamed into place.
 */
#ifndef OSEMON_GRAPH_H
#define OSEMON_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "probe.h"

enum graph_period {
	GRAPH_DAY = 0,
	GRAPH_WEEK,
	GRAPH_MONTH,
	GRAPH_YEAR,
};
#define GRAPH_PERIOD_COUNT 4

#define GRAPH_WIDTH 400 /* canvas, as munin */
#define GRAPH_HEIGHT 175

/* "day", "week", "month", "year". */
const char *graph_period_name(enum graph_period period);

struct graph_spec {
	const char *rrd_path;
	const char *png_path;
	const char *host; /* may be NULL */
	const char *check;
	const struct metric *metric; /* name, unit, ds, warn/crit */
};

/* "GRAPH_DIR/CHECK/METRIC-PERIOD.png" from raw names (file-name-safe
 * forms as rrd_metric_filename makes them); 0 or -1 when too long. */
int graph_png_path(const char *graph_dir, const char *check, const char *metric,
    enum graph_period period, char *buf, size_t size);
/*
 * Whether a PNG must be (re)drawn: it is missing, or its RRD is newer and
 * the PNG is older than the period's resolution (a day graph follows every
 * update; a year graph is redrawn at most daily).  1 yes, 0 no,
 * -1 when the RRD does not exist.
 */
int graph_needs_render(const char *rrd_path, const char *png_path,
    enum graph_period period, time_t now);
/* Render one PNG; 0, or -1 with err. */
int graph_render(const struct graph_spec *spec, enum graph_period period,
    char *err, size_t errlen);

#endif
