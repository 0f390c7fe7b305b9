/*
 * The collector's web output in graph-dir: PNG graphs per metric
 * (day/week/month/year), index.html, one page per check and status.json,
 * every file replaced atomically.  nginx serves the folder
 * (contrib/nginx/osemon.conf).
 */
#ifndef OSEMON_WEB_H
#define OSEMON_WEB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "probe.h"

struct web_check {
	const char *name, *probe;
	enum probe_state state;
	bool hard;
	int attempt, max_attempts;
	bool flapping;
	time_t last_check, last_change;
	unsigned interval;
	const struct probe_result *result; /* NULL before the first run */
	bool page_current; /* its page on disk shows this already: skip */
};

struct web_config {
	const char *graph_dir, *rrd_dir, *hostname, *graph_url;
};

/*
 * Render GRAPH_DIR/CHECK/METRIC-{day,week,month,year}.png for every
 * metric of every check that has an RRD, skipping a PNG newer than its
 * RRD.  Returns 0, or -1 with err naming the first failure (the others
 * are still rendered).
 */
int web_render_graphs(const struct web_config *cfg,
    const struct web_check *checks, size_t n, char *err, size_t errlen);
/*
 * The same for one check's metrics (the collector's graph thread calls it
 * with a snapshot).  Each PNG is drawn under rrd_lock(); when stop is not
 * NULL and becomes true, returns before the next PNG.
 */
int web_render_check_graphs(const struct web_config *cfg, const char *check,
    const struct metric *metrics, size_t count, const atomic_bool *stop,
    char *err, size_t errlen);
/*
 * Write GRAPH_DIR/index.html, GRAPH_DIR/CHECK/index.html (per check, with
 * the graphs that exist) and GRAPH_DIR/status.json, each atomically.
 * CHECK and METRIC in file names are rrd_metric_filename() forms.
 * Returns 0 or -1 with err.
 */
int web_write_status(const struct web_config *cfg,
    const struct web_check *checks, size_t n, time_t now, char *err,
    size_t errlen);

/* The pieces, for tests.  Pages append to b; 0, or -1 when b failed. */
struct html_buf;
int web_index_html(const struct web_config *cfg, const struct web_check *checks,
    size_t n, time_t now, struct html_buf *b);
/* A check's page shows absolute times: it is rewritten per result only. */
int web_check_html(const struct web_config *cfg, const struct web_check *c,
    struct html_buf *b);
/* status.json text (malloc'd, caller frees), or NULL. */
char *web_status_json(const struct web_config *cfg,
    const struct web_check *checks, size_t n, time_t now);
/* "42s", "3m 2s", "2h 5m", "3d 4h" or "never" (then <= 0). */
void web_format_age(char *buf, size_t size, time_t now, time_t then);

#endif
