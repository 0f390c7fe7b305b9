/*
 * varnish: counters of a running varnishd, read with `varnishstat -j`
 * (run without a shell, under the deadline) and parsed by name from either
 * JSON layout (varnish_json.c), so a new Varnish release that adds or
 * renames counters degrades to missing metrics instead of a broken probe.
 *
 * Counters are DERIVE.  The hit ratio and the three alerting rates are
 * GAUGEs: since varnishd started in the Nagios and munin faces, over the
 * last interval in the collector, which keeps the previous counters in
 * the check's state.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "spawn.h"
#include "util.h"
#include "varnish_json.h"

/* Varnish 7 prints ~350 counters per VCL; many VCLs and backends add up. */
#define VARNISH_OUT_CAP (8 * 1024 * 1024)
/* How long varnishstat waits for varnishd's shared memory (-t). */
#define VARNISH_VSM_WAIT_MAX 2.0

static const struct option_spec varnish_options[] = {
	{ "instance", 'n', OPT_STRING, "NAME", NULL, 0, -1,
	    "varnishd instance name or working directory (varnishstat -n)" },
	{ "varnishstat", 0, OPT_STRING, "PATH", "varnishstat", 0, -1,
	    "the varnishstat program (searched in PATH)" },
	{ "hitratio-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when the hit ratio (%) is outside RANGE, e.g. 50:" },
	{ "hitratio-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when the hit ratio (%) is outside RANGE, e.g. 20:" },
	{ "backend-fail-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when backend connection failures per second are "
	    "outside RANGE" },
	{ "backend-fail-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when backend connection failures per second are "
	    "outside RANGE" },
	{ "lru-nuked-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when LRU nukes per second are outside RANGE" },
	{ "lru-nuked-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when LRU nukes per second are outside RANGE" },
	{ "sess-dropped-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when dropped sessions per second are outside RANGE" },
	{ "sess-dropped-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when dropped sessions per second are outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* One reported MAIN counter: its metric name, unit and data source. */
struct varnish_metric_def {
	enum varnish_counter counter;
	const char *name;
	const char *unit;
	enum metric_ds ds;
};

static const struct varnish_metric_def varnish_metric_defs[] = {
	{ VC_UPTIME, "uptime", "s", DS_GAUGE },
	{ VC_CLIENT_REQ, "client_req", "c", DS_DERIVE },
	{ VC_CACHE_HIT, "cache_hit", "c", DS_DERIVE },
	{ VC_CACHE_HITPASS, "cache_hitpass", "c", DS_DERIVE },
	{ VC_CACHE_MISS, "cache_miss", "c", DS_DERIVE },
	{ VC_BACKEND_CONN, "backend_conn", "c", DS_DERIVE },
	{ VC_BACKEND_FAIL, "backend_fail", "c", DS_DERIVE },
	{ VC_BACKEND_UNHEALTHY, "backend_unhealthy", "c", DS_DERIVE },
	{ VC_N_OBJECT, "n_object", "", DS_GAUGE },
	{ VC_N_EXPIRED, "n_expired", "c", DS_DERIVE },
	{ VC_N_LRU_NUKED, "n_lru_nuked", "c", DS_DERIVE },
	{ VC_THREADS, "threads", "", DS_GAUGE },
	{ VC_THREADS_FAILED, "threads_failed", "c", DS_DERIVE },
	{ VC_SESS_DROPPED, "sess_dropped", "c", DS_DERIVE },
	{ VC_THREAD_QUEUE_LEN, "thread_queue_len", "", DS_GAUGE },
};

/* The rates with alerting ranges: metric, counter, option prefix. */
struct varnish_rate_def {
	const char *name;
	enum varnish_counter counter;
	const char *warn_opt, *crit_opt;
};

static const struct varnish_rate_def varnish_rate_defs[] = {
	{ "backend_fail_rate", VC_BACKEND_FAIL, "backend-fail-warning",
	    "backend-fail-critical" },
	{ "lru_nuked_rate", VC_N_LRU_NUKED, "lru-nuked-warning",
	    "lru-nuked-critical" },
	{ "sess_dropped_rate", VC_SESS_DROPPED, "sess-dropped-warning",
	    "sess-dropped-critical" },
};

/* Only the counters used, so varnishstat prints ~4 KiB instead of ~50:
 * the globs work in every Varnish with JSON output (>= 4.1). */
static const char *const varnish_filters[] = {
	"MAIN.uptime",
	"MAIN.client_req",
	"MAIN.cache_hit",
	"MAIN.cache_hitpass",
	"MAIN.cache_miss",
	"MAIN.backend_conn",
	"MAIN.backend_fail",
	"MAIN.backend_unhealthy",
	"MAIN.n_object",
	"MAIN.n_expired",
	"MAIN.n_lru_nuked",
	"MAIN.threads",
	"MAIN.threads_failed",
	"MAIN.sess_dropped",
	"MAIN.thread_queue_len",
	"SM?.*.g_bytes",
	"SM?.*.g_space",
	"VBE.*.happy",
	"VBE.*.fail*",
	"VBE.*.unhealthy",
};
#define VARNISH_FILTERS (sizeof(varnish_filters) / sizeof(varnish_filters[0]))

/* Kept in the check's state by the collector face. */
struct varnish_prev {
	double when; /* clock_monotonic_now() */
	struct varnish_stats stats;
};

static void
varnish_state_free(void *state)
{
	free(state);
}

/* Lowercase [a-z0-9_] copy of a storage name for a metric label. */
static void
varnish_label(char *dst, size_t size, const char *src)
{
	size_t i;
	char c;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		c = src[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		dst[i] = c;
	}
	dst[i] = '\0';
}

/*
 * The window the ratios and rates are taken over: since start, or since
 * the previous run when the collector kept one from the same varnishd
 * (uptime did not go back and no counter shrank).
 */
static bool
varnish_use_prev(
    const struct varnish_stats *cur, const struct varnish_prev *prev)
{
	size_t i;

	if (prev == NULL || !cur->have[VC_UPTIME] ||
	    !prev->stats.have[VC_UPTIME] ||
	    cur->counter[VC_UPTIME] < prev->stats.counter[VC_UPTIME])
		return false;
	for (i = 0; i < VC_COUNT; i++) {
		if (cur->have[i] && prev->stats.have[i] &&
		    cur->counter[i] < prev->stats.counter[i])
			return false;
	}
	return true;
}

static double
varnish_delta(const struct varnish_stats *cur, const struct varnish_prev *prev,
    enum varnish_counter c)
{
	if (!cur->have[c])
		return NAN;
	if (prev == NULL)
		return cur->counter[c];
	if (!prev->stats.have[c])
		return NAN;
	return cur->counter[c] - prev->stats.counter[c];
}

static void
varnish_report(const struct probe_run *run, const struct varnish_stats *st,
    const struct varnish_prev *prev, double now, struct probe_result *res)
{
	const struct varnish_metric_def *d;
	const struct varnish_rate_def *r;
	const struct varnish_storage *s;
	struct metric *m;
	char label[METRIC_NAME_MAX], name[32];
	double hit, miss, pass, lookups, ratio, span;
	size_t i, sick = 0;

	for (i = 0;
	     i < sizeof(varnish_metric_defs) / sizeof(varnish_metric_defs[0]);
	     i++) {
		d = &varnish_metric_defs[i];
		if (!st->have[d->counter])
			continue;
		m = result_metric(
		    res, d->name, st->counter[d->counter], d->unit, d->ds);
		if (m != NULL) {
			m->has_min = true;
			m->min = 0;
		}
	}

	hit = varnish_delta(st, prev, VC_CACHE_HIT);
	miss = varnish_delta(st, prev, VC_CACHE_MISS);
	pass = varnish_delta(st, prev, VC_CACHE_HITPASS);
	if (isnan(pass))
		pass = 0;
	lookups = hit + miss + pass;
	ratio = lookups > 0 ? 100.0 * hit / lookups : NAN;
	if ((m = result_metric(res, "hit_ratio", ratio, "%", DS_GAUGE)) !=
	    NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = 100;
		args_range(run->args, "hitratio-warning", &m->warn);
		args_range(run->args, "hitratio-critical", &m->crit);
	}

	/* Rates per second over the same window. */
	if (prev != NULL)
		span = now - prev->when;
	else
		/* Uptime counts whole seconds: a fresh child says 0. */
		span =
		    st->have[VC_UPTIME] ? fmax(st->counter[VC_UPTIME], 1) : NAN;
	for (i = 0;
	     i < sizeof(varnish_rate_defs) / sizeof(varnish_rate_defs[0]);
	     i++) {
		r = &varnish_rate_defs[i];
		if (!st->have[r->counter])
			continue;
		m = result_metric(res, r->name,
		    span > 0 ? varnish_delta(st, prev, r->counter) / span : NAN,
		    "", DS_GAUGE);
		if (m == NULL)
			continue;
		m->has_min = true;
		m->min = 0;
		args_range(run->args, r->warn_opt, &m->warn);
		args_range(run->args, r->crit_opt, &m->crit);
	}

	for (i = 0; i < st->storage_count; i++) {
		s = &st->storage[i];
		varnish_label(name, sizeof(name), s->name);
		if (s->has_used) {
			snprintf(label, sizeof(label), "%s_%s_used",
			    s->kind[2] == 'A' ? "sma" : "smf", name);
			if ((m = result_metric(
				 res, label, s->used, "B", DS_GAUGE)) != NULL) {
				m->has_min = true;
				m->min = 0;
			}
		}
		if (s->has_free) {
			snprintf(label, sizeof(label), "%s_%s_free",
			    s->kind[2] == 'A' ? "sma" : "smf", name);
			if ((m = result_metric(
				 res, label, s->free, "B", DS_GAUGE)) != NULL) {
				m->has_min = true;
				m->min = 0;
			}
		}
	}

	for (i = 0; i < st->backend_count; i++) {
		if (varnish_backend_sick(&st->backend[i])) {
			sick++;
			result_long(res,
			    "backend %s: sick (last probes "
			    "failed, happy=0x%llx)",
			    st->backend[i].name,
			    (unsigned long long)st->backend[i].happy);
		} else {
			result_long(res,
			    "backend %s: %s, %.0f failed "
			    "connections",
			    st->backend[i].name,
			    st->backend[i].has_happy &&
				    st->backend[i].happy != 0
				? "healthy"
				: "no health probe",
			    varnish_backend_failures(&st->backend[i]));
		}
	}
	if ((m = result_metric(
		 res, "backends_sick", (double)sick, "", DS_GAUGE)) != NULL) {
		m->has_min = true;
		m->min = 0;
	}

	if (isnan(ratio))
		result_set(res, STATE_OK, REASON_NONE,
		    "%.0f client requests, "
		    "no cache lookups yet, %zu backends",
		    st->counter[VC_CLIENT_REQ], st->backend_count);
	else
		result_set(res, STATE_OK, REASON_NONE,
		    "%.0f client requests, "
		    "hit ratio %.1f%%%s, %zu backends",
		    st->counter[VC_CLIENT_REQ], ratio,
		    prev != NULL ? " (last interval)" : "", st->backend_count);
	result_apply_thresholds(res);
	result_explain_thresholds(res);
	if (sick > 0)
		result_raise(res, STATE_CRITICAL, REASON_CONNECT,
		    "%zu of %zu backends sick", sick, st->backend_count);
	if (prev != NULL && st->have[VC_BACKEND_UNHEALTHY] &&
	    prev->stats.have[VC_BACKEND_UNHEALTHY] &&
	    st->counter[VC_BACKEND_UNHEALTHY] >
		prev->stats.counter[VC_BACKEND_UNHEALTHY])
		result_raise(res, STATE_CRITICAL, REASON_CONNECT,
		    "%.0f fetches refused for unhealthy backends since the "
		    "last run",
		    st->counter[VC_BACKEND_UNHEALTHY] -
			prev->stats.counter[VC_BACKEND_UNHEALTHY]);
}

/* Keep the current counters for the next collector run. */
static void
varnish_keep(
    const struct probe_run *run, const struct varnish_stats *st, double now)
{
	struct varnish_prev *prev;

	if (run->check_state == NULL)
		return;
	prev = *run->check_state;
	if (prev == NULL) {
		if ((prev = calloc(1, sizeof(*prev))) == NULL)
			return;
		*run->check_state = prev;
	}
	prev->when = now;
	prev->stats = *st;
}

static int
varnish_run(const struct probe_run *run, struct probe_result *res)
{
	struct spawn_result sr;
	struct spawn_opts so;
	struct varnish_stats *st = NULL;
	struct varnish_prev *prev = NULL;
	const char *instance, *tail;
	char *argv[8 + 2 * VARNISH_FILTERS];
	char wait[32], err[256];
	double left, now;
	size_t n = 0, i;
	int rc = 0;

	memset(&sr, 0, sizeof(sr));
	memset(&so, 0, sizeof(so));
	so.out_cap = VARNISH_OUT_CAP;

	/* varnishstat waits 5 s for varnishd by default: bound it so "not
	 * running" is reported well before our own deadline. */
	left = deadline_left(run->deadline) - 0.5;
	if (left > VARNISH_VSM_WAIT_MAX)
		left = VARNISH_VSM_WAIT_MAX;
	if (left < 0)
		left = 0;
	format_number(wait, sizeof(wait), left);

	argv[n++] = (char *)(uintptr_t)args_string(run->args, "varnishstat");
	argv[n++] = (char *)(uintptr_t) "-j";
	argv[n++] = (char *)(uintptr_t) "-t";
	argv[n++] = wait;
	instance = args_string(run->args, "instance");
	if (instance != NULL && instance[0] != '\0') {
		argv[n++] = (char *)(uintptr_t) "-n";
		argv[n++] = (char *)(uintptr_t)instance;
	}
	for (i = 0; i < VARNISH_FILTERS; i++) {
		argv[n++] = (char *)(uintptr_t) "-f";
		argv[n++] = (char *)(uintptr_t)varnish_filters[i];
	}
	argv[n] = NULL;

	if (spawn_run(argv, run->deadline, &so, &sr) == -1) {
		result_set(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "cannot run %s: %s", argv[0], strerror(sr.spawn_errno));
		goto out;
	}
	if (sr.timed_out) {
		result_set(res, STATE_CRITICAL, REASON_TIMEOUT,
		    "varnishstat did not answer before the deadline");
		goto out;
	}
	if (!sr.exited || sr.exit_code != 0) {
		/* "Could not get hold of varnishd, is it running?" */
		tail = sr.err_tail;
		while (*tail == '.' || *tail == ' ' || *tail == '\n')
			tail++;
		/* set_message folds the newlines of a multi-line message */
		result_set(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "varnishstat failed (%s %d): %.200s",
		    sr.exited ? "exit" : "signal",
		    sr.exited ? sr.exit_code : sr.signal,
		    tail[0] != '\0' ? tail : "no message");
		goto out;
	}
	if (sr.out_truncated) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "varnishstat output larger than %d bytes", VARNISH_OUT_CAP);
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		result_set(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		goto out;
	}
	if (varnish_stats_parse(sr.out, sr.out_len, st, err, sizeof(err)) ==
	    -1) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT, "%s", err);
		goto out;
	}
	now = clock_monotonic_now();
	if (run->face == FACE_COLLECTOR && run->check_state != NULL) {
		prev = *run->check_state;
		if (!varnish_use_prev(st, prev))
			prev = NULL;
	}
	varnish_report(run, st, prev, now, res);
	if (run->face == FACE_COLLECTOR)
		varnish_keep(run, st, now);
out:
	/* Strip the trailing newline varnishstat leaves in its message. */
	n = strlen(res->message);
	while (n > 0 &&
	    (res->message[n - 1] == '\n' || res->message[n - 1] == ' '))
		res->message[--n] = '\0';
	free(st);
	spawn_result_free(&sr);
	return rc;
}

const struct probe probe_varnish = {
	.name = "varnish",
	.summary = "varnishd counters: requests, hit ratio, backends, "
	    "storage, threads",
	.usage = "[-n INSTANCE] [--varnishstat PATH] "
	    "[--hitratio-warning RANGE] [--hitratio-critical RANGE] "
	    "[--backend-fail-warning RANGE] [--backend-fail-critical RANGE] "
	    "[--lru-nuked-warning RANGE] [--lru-nuked-critical RANGE] "
	    "[--sess-dropped-warning RANGE] [--sess-dropped-critical RANGE]",
	.options = varnish_options,
	.munin = {
		.title = "Varnish",
		.category = "varnish",
		.vlabel = "per ${graph_period}",
		.args = "--base 1000 -l 0",
	},
	.run = varnish_run,
	.state_free = varnish_state_free,
};
