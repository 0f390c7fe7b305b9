/*
 * Capacity forecast: "days until full" for every filesystem a disk check
 * watches (issue 12).
 *
 * After each disk result the collector reads the trend of MOUNT_used over
 * forecast-window (default 7 days) from the RRD it already keeps
 * (RRD_DIR/CHECK/MOUNT_used.rrd), takes the peak of each day (days counted
 * back from now), fits a Theil-Sen line through those daily peaks and
 * reports when that line reaches the filesystem's capacity (used + free,
 * i.e. full for unprivileged writers) as the metric MOUNT_days_until_full
 * (GAUGE, no unit) with the ranges forecast-warning (default "14:") and
 * forecast-critical (default "3:").  Flat or shrinking usage, or less than
 * a day of data, gives the metric as U (no forecast), never a made-up
 * number.  docs/capacity.md explains the choice of fit.
 */
#ifndef OSEMON_FORECAST_H
#define OSEMON_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "args.h"
#include "config.h"
#include "probe.h"

#define FORECAST_DAY 86400.0
/* Less data than this (seconds between first and last point) is too
 * little; a little under a day so an RRD row's rounding does not matter. */
#define FORECAST_MIN_SPAN (FORECAST_DAY - 1800.0)
/* A trend that needs longer than this to fill the disk is "flat". */
#define FORECAST_MAX_DAYS 3650.0
#define FORECAST_SUFFIX "_days_until_full"

enum forecast_status {
	FORECAST_OK = 0, /* days is the forecast */
	FORECAST_FLAT, /* flat or shrinking usage: no forecast */
	FORECAST_TOO_LITTLE, /* less than a day of data: no forecast */
	FORECAST_NO_DATA, /* RRD missing or unreadable: no forecast */
};

struct forecast_sample {
	double t; /* seconds since the epoch */
	double v; /* bytes used; NaN is skipped */
};

struct forecast {
	enum forecast_status status;
	double days; /* days until full (0 when already full); NaN
			 * unless status is FORECAST_OK */
	double slope; /* growth of the daily peaks, bytes per day */
	double level; /* fitted peak usage now, bytes */
	size_t points; /* daily peaks the fit used */
	double span; /* seconds between first and last sample */
};

/*
 * The pure fit: samples in (now - window, now] (others ignored, any
 * order), capacity in bytes.  Fills out; never fails.
 */
void forecast_fit(const struct forecast_sample *s, size_t n, double now,
    double window, double capacity, struct forecast *out);

/*
 * Read rrd_path's single data source over (now - window, now] at the
 * finest resolution that covers the window (MAX consolidation, AVERAGE
 * when the file has no MAX archive).  *out is malloc'd (caller frees),
 * NaN rows skipped.  Returns 0, or -1 with err.
 */
int forecast_rrd_read(const char *rrd_path, time_t now, double window,
    struct forecast_sample **out, size_t *n, char *err, size_t errlen);

/*
 * forecast_rrd_read + forecast_fit, with the current value (NaN: none)
 * added as a sample at now.  A missing or unreadable RRD gives
 * FORECAST_NO_DATA (err says why) unless the current value alone decides.
 */
void forecast_rrd(const char *rrd_path, time_t now, double window,
    double capacity, double current, struct forecast *out, char *err,
    size_t errlen);

/* Name of the status, for messages: "ok", "flat", "too little data",
 * "no data". */
const char *forecast_status_name(enum forecast_status st);

/*
 * The [check NAME] keys of a disk check: forecast (yes/no),
 * forecast-window (days), forecast-warning, forecast-critical.
 */
extern const struct option_spec forecast_check_options[];
/* forecast_check_options for a disk probe, NULL for any other. */
const struct option_spec *forecast_options_for(const struct probe *p);
/* Validate the forecast keys of sec (errors into errs, "FILE:LINE: KEY:
 * CAUSE"); 0, or -1 when one was added. */
int forecast_check_config(const struct cfg_section *sec, const struct probe *p,
    const char *file, struct cfg_errors *errs);

/*
 * The collector's hook, called with every result of check c before its
 * state is applied (main thread, same thread as the RRD updates): for a
 * disk check, adds MOUNT_days_until_full for each MOUNT_used metric and
 * raises c->result's state with REASON_THRESHOLD when a range alerts.
 * Reads the RRD written by the previous results; now is the wall clock.
 * conf and c are the collector's (runtime.h).
 */
struct collector_conf;
struct check;
/* A check's forecast memory: its parsed keys and each file's history,
 * re-read from the RRD once an hour. */
struct forecast_cache;
void forecast_cache_free(struct forecast_cache *fc);
void forecast_check_result(
    const struct collector_conf *conf, struct check *c, time_t now);

/*
 * The same for a bare result: rrd_dir/check is where its RRDs live,
 * rrdcached (NULL: none) is flushed for each file first, settings from
 * fargs (parsed with forecast_check_options; NULL: defaults).
 */
void forecast_result(struct probe_result *res, const char *rrd_dir,
    const char *check, const char *rrdcached, const struct args *fargs,
    time_t now);

/*
 * Backup pre-flight: is there room in local_dir for another archive of
 * last_archive_bytes plus margin (a fraction: 0.1 = 10 % more)?  Returns
 * 1 when there is, 0 when not (msg says how much is free and needed, for
 * a warning), -1 when the free space cannot be read (msg says why).
 * last_archive_bytes <= 0 (no archive yet) always fits.
 */
int forecast_backup_space_ok(const char *local_dir,
    long long last_archive_bytes, double margin, char *msg, size_t len);

#endif
