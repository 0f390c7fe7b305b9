/*
 * RRD storage of probe metrics through librrd.
 *
 * Layout: RRD_DIR/CHECK/METRIC.rrd, one data source named "value" (GAUGE,
 * or DERIVE with min 0), step = the check's interval, heartbeat 2 x step,
 * AVERAGE/MIN/MAX archives at munin's resolutions: full resolution for
 * 2 days, 30 min for 9 days, 2 h for 45 days, 1 day for 450 days.
 * Files are created on the fly (temp name + rename, so no half-written
 * RRD is ever visible); a metric that disappears is left alone.
 * With rrdcached ("unix:PATH", "/PATH" or "HOST:PORT"), updates go through
 * librrd's rrdc_* client (one connection per process); a local socket's
 * files are created here in rrd_dir, a remote daemon creates them itself.
 *
 * Write-behind (rrd_store_queue): values wait in memory up to a flush
 * interval and then go to their file in one rrd_update_r call, which costs
 * about what one value costs: opening and mapping the file is the price,
 * not the value.  New files are still created at once.  collectd
 * (CacheTimeout) and rrdcached (-w) do the same; a crash loses at most
 * one interval of points.
 */
#ifndef OSEMON_RRDSTORE_H
#define OSEMON_RRDSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "probe.h"

#define RRD_DS_NAME "value"
#define RRD_RRA_COUNT 4 /* resolutions; x3 consolidation functions */

struct rrd_store;

/* Returns a store the caller frees with rrd_store_free, or NULL with err. */
struct rrd_store *rrd_store_new(const char *rrd_dir,
    const char *rrdcached_or_null, char *err, size_t errlen);
/*
 * Store every metric of res at time when (seconds since the epoch) under
 * RRD_DIR/check/.  step is the check interval in seconds (>= 1).  Unknown
 * metrics are stored as U; DERIVE values as integers.  Returns 0, or -1
 * with err naming the first failing metric (the others are still tried).
 * Not safe to call on one store from several threads at once.
 */
int rrd_store_update(struct rrd_store *store, const char *check, unsigned step,
    time_t when, const struct probe_result *res, char *err, size_t errlen);
/*
 * Write-behind: values queued with rrd_store_queue wait up to seconds
 * before rrd_store_flush writes them; 0 (the default) writes at once.
 * Ignored with rrdcached, which batches itself.
 */
void rrd_store_set_flush_interval(struct rrd_store *store, double seconds);
/*
 * As rrd_store_update, but the values may wait in memory (see above).
 * now is a monotonic clock reading in seconds.
 */
int rrd_store_queue(struct rrd_store *store, const char *check, unsigned step,
    time_t when, const struct probe_result *res, double now, char *err,
    size_t errlen);
/*
 * Write the files whose oldest waiting value is flush-interval old (all:
 * every file with waiting values).  Returns 0, or -1 with err naming the
 * first failure (its values are dropped; the others are still written).
 */
int rrd_store_flush(
    struct rrd_store *store, double now, bool all, char *err, size_t errlen);
/* Flushes every waiting value first (errors are lost: flush before). */
void rrd_store_free(struct rrd_store *store);

/*
 * The file-name-safe form of a metric (or check) name: [A-Za-z0-9_.-]
 * kept, everything else '_', a leading '.' becomes '_', never empty.
 * Returns 0, or -1 when it does not fit in size.
 */
int rrd_metric_filename(const char *metric_name, char *buf, size_t size);

/* The layout, exposed for tests and graphs. */
struct rrd_rra_spec {
	unsigned pdp_per_row; /* steps consolidated per row */
	unsigned long rows;
};
/* Fill the four resolutions for step; returns 0 or -1 on a bad step. */
int rrd_layout(unsigned step, struct rrd_rra_spec spec[RRD_RRA_COUNT]);
/* Build "RRD_DIR/CHECK/METRIC.rrd" from raw names; 0 or -1 if too long. */
int rrd_metric_path(const char *rrd_dir, const char *check, const char *metric,
    char *buf, size_t size);

#endif
