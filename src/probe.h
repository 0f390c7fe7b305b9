/*
 * The probe interface: every probe is one const struct probe in probes/,
 * listed once in probes/probes.c.  A probe takes parsed options, runs under
 * a deadline and fills a struct probe_result.  It never prints: the Nagios
 * face, the munin face and the collector all read the same result.
 */
#ifndef OSEMON_PROBE_H
#define OSEMON_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "range.h"

enum probe_state {
	STATE_OK = 0,
	STATE_WARNING = 1,
	STATE_CRITICAL = 2,
	STATE_UNKNOWN = 3,
};

/* Why a probe ended in its state; tests assert on these, not on prose. */
enum probe_reason {
	REASON_NONE = 0, /* all thresholds passed */
	REASON_THRESHOLD, /* a metric crossed a -w/-c range */
	REASON_NOT_FOUND, /* path, process, object or service missing */
	REASON_TIMEOUT, /* the deadline passed */
	REASON_CONNECT, /* could not connect / resolve */
	REASON_PROTOCOL, /* the peer answered something we cannot use */
	REASON_TLS, /* certificate or handshake problem */
	REASON_STATUS, /* unexpected HTTP status or exit code */
	REASON_CONTENT, /* expected content missing / unexpected present */
	REASON_AUTH, /* credentials refused */
	REASON_PLUGIN, /* state reported by an external plugin */
	REASON_BAD_OUTPUT, /* a plugin or tool printed garbage */
	REASON_CONFIG, /* bad option value or unreadable secret file */
	REASON_INTERNAL, /* fork, memory, or similar failure */
};

enum metric_ds {
	DS_GAUGE = 0,
	DS_DERIVE,
};

#define METRIC_NAME_MAX 64
#define METRIC_UNIT_MAX 4
#define PROBE_MESSAGE_MAX 512
#define PROBE_LONG_MAX 8192
#define PROBE_METRICS_MAX 256

struct metric {
	char name[METRIC_NAME_MAX]; /* perfdata label; RRD/munin names derive from it */
	char unit[METRIC_UNIT_MAX]; /* "", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c" */
	double value;
	bool unknown; /* value is 'U' */
	bool has_min, has_max;
	double min, max;
	struct range warn, crit; /* unset ranges never alert */
	enum metric_ds ds;
};

struct probe_result {
	enum probe_state state;
	enum probe_reason reason;
	char message[PROBE_MESSAGE_MAX];
	char long_output[PROBE_LONG_MAX]; /* '\n'-separated lines */
	size_t long_len;
	size_t metric_count;
	struct metric metrics[PROBE_METRICS_MAX];
};

/* Which face runs the probe: a few probes report differently (e.g. varnish
 * hit ratio since start vs over the last interval). */
enum probe_face {
	FACE_NAGIOS = 0,
	FACE_MUNIN,
	FACE_COLLECTOR,
};

struct probe_run {
	const struct args *args; /* parsed and validated options */
	double deadline; /* absolute, on clock_monotonic_now() */
	enum probe_face face;
	void **check_state; /* per-check memory owned by the caller;
					 * a probe may keep one allocation here
					 * and must free it with state_free */
};

/* One prepared transfer, the probe's own (see struct probe's start). */
struct probe_transfer;

/* The munin graph a probe describes; field lines come from the metrics. */
struct probe_munin {
	const char *title;
	const char *category;
	const char *vlabel;
	const char *args;
};

struct probe {
	const char *name;
	const char *summary; /* one line for --help and docs */
	const char *usage; /* synopsis after "osemon check NAME" */
	const struct option_spec *options; /* NULL-name terminated */
	struct probe_munin munin;
	int (*run)(const struct probe_run *run, struct probe_result *res);
	void (*state_free)(void *state);
	/* Whether run() with these options returns in microseconds without
	 * blocking (no network, child or file that may hang), given the
	 * check's probe state (NULL before its first run): the collector
	 * then runs it on its own thread instead of handing it to a worker
	 * and back.  NULL: never. */
	bool (*runs_inline)(const struct args *args, void *state);
	/* A probe that is one libcurl transfer splits run() in two, so that
	 * the collector can drive the transfer from its own loop (libcurl's
	 * multi interface) instead of a worker thread: start() prepares it
	 * and hands back its CURL easy handle in *easy, or fills res and
	 * returns NULL; finish() judges the transfer's CURLcode into res and
	 * frees the transfer.  run->args must live until finish().  With
	 * loop_transfer(args) false (finish() may take long), or these NULL,
	 * the check runs in a worker. */
	struct probe_transfer *(*start)(
	    const struct probe_run *run, struct probe_result *res, void **easy);
	void (*finish)(
	    struct probe_transfer *t, int code, struct probe_result *res);
	bool (*loop_transfer)(const struct args *args);
};

/* Per-check state that is one open file (the /proc file a probe reads):
 * its descriptor, -1 until opened; NULL outside the collector or out of
 * memory.  probe_fd_free is the probe's state_free. */
int *probe_fd_state(const struct probe_run *run);
void probe_fd_free(void *state);

/* The table of every probe built into this binary (probes/probes.c). */
extern const struct probe *const probe_table[];
const struct probe *probe_find(const char *name);

/* Result helpers: bounded, never fail, truncate with "...". */
void result_init(struct probe_result *res);
void result_set(struct probe_result *res, enum probe_state state,
    enum probe_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Raise the state only if worse in Nagios' order (see state_severity);
 * a NULL fmt keeps the message. */
void result_raise(struct probe_result *res, enum probe_state state,
    enum probe_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void result_long(struct probe_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Add a metric; returns it for filling ranges/min/max, or NULL when full. */
struct metric *result_metric(struct probe_result *res, const char *name,
    double value, const char *unit, enum metric_ds ds);
/* "PATH_suffix" as a metric name; a path too long keeps its tail, so
 * that names of different paths stay apart. */
void metric_name_for_path(
    char *buf, size_t size, const char *path, const char *suffix);
/* Evaluate every metric's ranges and raise the state with REASON_THRESHOLD. */
void result_apply_thresholds(struct probe_result *res);
/* When the state came from thresholds, prefix the message with each metric
 * that crossed its range: "hit_ratio 12.5% outside 50: (warning), ...". */
void result_explain_thresholds(struct probe_result *res);

const char *state_name(enum probe_state state);
const char *reason_name(enum probe_reason reason);
/* Nagios' order of badness: OK < WARNING < UNKNOWN < CRITICAL. */
int state_severity(enum probe_state state);
enum probe_state state_worst(enum probe_state a, enum probe_state b);

#endif
