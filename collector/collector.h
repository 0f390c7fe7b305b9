/*
 * The running collector's check model and its Nagios state machine.
 *
 * A check is one [check NAME] section: a probe, its parsed options and the
 * scheduling knobs.  Its state follows Nagios Core (research/alerting.md
 * section 2): a non-OK result after OK starts SOFT attempts at
 * retry-interval; after max_attempts non-OK results in a row the state is
 * HARD; a change between non-OK states while HARD is a hard change at once;
 * OK after a HARD problem is a hard recovery, after a SOFT one a soft
 * recovery.  Flap detection keeps the last 21 hard states and soft
 * recoveries and computes Nagios' weighted percent state change with
 * low/high hysteresis.
 *
 * Hand-off to alerts: after each result the collector sets check->events
 * and, when it has CHECK_EVENT_HARD_CHANGE, CHECK_EVENT_FLAP_START or
 * CHECK_EVENT_FLAP_STOP, calls alerts_hard_change(alerts, check,
 * old_hard_state, when).
 */
#ifndef OSEMON_COLLECTOR_H
#define OSEMON_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "args.h"
#include "probe.h"

#define CHECK_HISTORY 21 /* Nagios MAX_STATE_HISTORY_ENTRIES */
#define CHECK_NAME_MAX 128

/* What the last result did (bit set, reset on every result). */
enum check_event {
	CHECK_EVENT_NONE = 0,
	CHECK_EVENT_CHANGE = 1 << 0, /* state differs from previous result */
	CHECK_EVENT_HARD_CHANGE = 1
	    << 1, /* problem, recovery or non-OK change */
	CHECK_EVENT_SOFT = 1 << 2, /* a soft attempt (non-OK, not hard) */
	CHECK_EVENT_FLAP_START = 1 << 3,
	CHECK_EVENT_FLAP_STOP = 1 << 4,
};

/* The state that survives a restart (the state file holds it). */
struct check_state {
	bool checked; /* at least one result so far */
	enum probe_state current; /* state of the last result */
	bool hard; /* state type of current */
	enum probe_state last_hard; /* last hard state (OK at start) */
	int attempt; /* 1..max_attempts */
	time_t last_check; /* wall time of the last result */
	time_t last_change; /* last change of current */
	time_t last_hard_change; /* last change of last_hard */
	bool flapping;
	double percent_change; /* last computed, 0..100 */
	/* Recorded hard states and soft recoveries, oldest first. */
	enum probe_state history[CHECK_HISTORY];
	size_t history_len;
};

/* Knobs the state machine needs (from [global] and [check NAME]). */
struct check_policy {
	int max_attempts; /* "retries": attempts before HARD, >= 1 */
	bool flap_detection;
	double low_flap, high_flap; /* percent, Nagios defaults 20/30 */
};

struct check {
	char *name; /* [check NAME] */
	const struct probe *probe;
	struct args args; /* the probe's options */
	unsigned interval; /* seconds between runs */
	unsigned retry_interval; /* seconds while SOFT non-OK */
	double timeout; /* seconds per run */
	enum probe_state timeout_state; /* CRITICAL (default) or UNKNOWN */
	struct check_policy policy;
	char *signature; /* canonical config text: reload keeps
					 * the state when it is unchanged */

	struct check_state st;
	struct probe_result *result; /* last result, NULL before the first */
	unsigned events; /* enum check_event bits of last result */
	enum probe_state old_hard; /* last_hard before the last result */

	/* Scheduler (monotonic seconds); owned by the collector loop. */
	double next_run;
	bool running;
	bool ran; /* since the start: its first run was spread */
	void *probe_state; /* the probe's per-check memory */
	struct forecast_cache *forecast; /* disk checks, collector only */
	/* Its web page shows a result in state page_st (when page_valid). */
	bool page_valid;
	struct check_state page_st;
};

/* Initialise a fresh state (OK, hard, attempt 1, empty history). */
void check_state_init(struct check_state *st);
/*
 * Apply one result's state at wall time now.  Returns enum check_event
 * bits.  Pure: no I/O, no clock.
 */
unsigned check_state_apply(struct check_state *st,
    const struct check_policy *pol, enum probe_state state, time_t now);
/* Whether a and b differ in what a restart must not forget: state, type,
 * attempt, their change times, flapping (not the time of the last check,
 * nor the history that only feeds the percent change). */
bool check_state_differs(
    const struct check_state *a, const struct check_state *b);
/* Nagios' weighted percent state change over the recorded history. */
double check_state_percent_change(const struct check_state *st);
/* Seconds until the next run after a result: retry_interval while SOFT
 * non-OK, interval otherwise. */
unsigned check_next_delay(const struct check *c);

/* Free a check and everything it owns (NULL is fine). */
void check_free(struct check *c);

/* Parse a state name ("OK", "WARNING"...); -1 when unknown. */
int check_state_from_name(const char *name, enum probe_state *out);

/* Commands (src/commands.c table). */
int collector_run_main(int argc, char **argv); /* run */
int collector_status_main(int argc, char **argv); /* status */
int collector_config_main(int argc, char **argv); /* config check */
int collector_graph_main(int argc, char **argv); /* graph */

#endif
