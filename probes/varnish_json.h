/*
 * Parsing of `varnishstat -j` output, apart from the probe so that it can
 * be unit-tested and fuzzed.  Both layouts are read by counter name:
 * Varnish >= 6.5 puts the counters under {"version":1,"counters":{...}},
 * older releases put them at the top level beside "timestamp".  Missing
 * counters are tolerated (their `have` bit stays false); a counter that is
 * present but not a non-negative number below 2^64 is an error.
 */
#ifndef OSEMON_VARNISH_JSON_H
#define OSEMON_VARNISH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The MAIN counters the probe reports, in the order of varnish_counter_names. */
enum varnish_counter {
	VC_UPTIME = 0,
	VC_CLIENT_REQ,
	VC_CACHE_HIT,
	VC_CACHE_HITPASS,
	VC_CACHE_MISS,
	VC_BACKEND_CONN,
	VC_BACKEND_FAIL,
	VC_BACKEND_UNHEALTHY,
	VC_N_OBJECT,
	VC_N_EXPIRED,
	VC_N_LRU_NUKED,
	VC_THREADS,
	VC_THREADS_FAILED,
	VC_SESS_DROPPED,
	VC_THREAD_QUEUE_LEN,
	VC_COUNT
};

/* "MAIN.uptime"... indexed by enum varnish_counter. */
extern const char *const varnish_counter_names[VC_COUNT];

#define VARNISH_NAME_MAX 96
#define VARNISH_STORAGE_MAX 16
#define VARNISH_BACKEND_MAX 32

struct varnish_storage {
	char kind[4]; /* "SMA" or "SMF" */
	char name[VARNISH_NAME_MAX]; /* "s0", "Transient"... */
	double used, free; /* g_bytes, g_space */
	bool has_used, has_free;
};

struct varnish_backend {
	char name[VARNISH_NAME_MAX]; /* "boot.default" */
	uint64_t happy; /* probe bitmap, bit 0 = last probe */
	bool has_happy;
	double fail, unhealthy;
	double fail_detail; /* sum of fail_econnrefused... */
};

struct varnish_stats {
	bool new_layout; /* {"version":1,"counters":...} */
	double counter[VC_COUNT];
	bool have[VC_COUNT];
	size_t storage_count;
	struct varnish_storage storage[VARNISH_STORAGE_MAX];
	size_t backend_count;
	struct varnish_backend backend[VARNISH_BACKEND_MAX];
};

/*
 * Parse len bytes of varnishstat -j output into st.  Returns 0, or -1 with
 * a one-line reason in err (truncated JSON, wrong types, out of range
 * numbers, no MAIN counters at all).
 */
int varnish_stats_parse(const char *text, size_t len, struct varnish_stats *st,
    char *err, size_t errlen);

/*
 * Exact value of the integer after "value": in the object of counter key
 * within text: jansson holds integers as signed 64-bit, and a probe bitmap
 * of 64 good probes does not fit.  Returns 0 or -1 when not found.
 */
int varnish_raw_u64(
    const char *text, size_t len, const char *key, uint64_t *out);

/* Failed connections of a backend: Varnish 7 counts some only in the
 * fail_* detail counters. */
double varnish_backend_failures(const struct varnish_backend *b);

/* A backend is sick when it has a probe history and its last three probes
 * failed: happy != 0 and (happy & 7) == 0. */
bool varnish_backend_sick(const struct varnish_backend *b);

#endif
