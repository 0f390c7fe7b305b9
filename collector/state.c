/*
 * The Nagios state machine for one check (research/alerting.md 2.2, 2.4),
 * kept pure so the unit tests drive it with any sequence and any time.
 */
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "forecast.h"

void
check_state_init(struct check_state *st)
{
	memset(st, 0, sizeof(*st));
	st->current = STATE_OK;
	st->hard = true;
	st->last_hard = STATE_OK;
	st->attempt = 1;
	/* Nagios fills the history with the initial state. */
	for (size_t i = 0; i < CHECK_HISTORY; i++)
		st->history[i] = STATE_OK;
	st->history_len = CHECK_HISTORY;
}

double
check_state_percent_change(const struct check_state *st)
{
	const double low = 0.75, high = 1.25;
	enum probe_state full[CHECK_HISTORY] = { STATE_OK };
	size_t pad, n = st->history_len;
	double changes = 0.0;

	if (n == 0)
		return 0.0;
	if (n > CHECK_HISTORY)
		n = CHECK_HISTORY;
	/* A short history (old state file) is padded with its oldest
	 * state, as Nagios' initial fill would have done. */
	pad = CHECK_HISTORY - n;
	for (size_t i = 0; i < pad; i++)
		full[i] = st->history[0];
	for (size_t i = 0; i < n; i++)
		full[pad + i] = st->history[i];
	for (size_t x = 1; x < CHECK_HISTORY; x++)
		if (full[x] != full[x - 1])
			changes += (double)(x - 1) * (high - low) /
				(double)(CHECK_HISTORY - 2) +
			    low;
	return changes * 100.0 / (double)(CHECK_HISTORY - 1);
}

static void
history_push(struct check_state *st, enum probe_state s)
{
	if (st->history_len < CHECK_HISTORY) {
		st->history[st->history_len++] = s;
		return;
	}
	memmove(&st->history[0], &st->history[1],
	    (CHECK_HISTORY - 1) * sizeof(st->history[0]));
	st->history[CHECK_HISTORY - 1] = s;
}

bool
check_state_differs(const struct check_state *a, const struct check_state *b)
{
	return a->checked != b->checked || a->current != b->current ||
	    a->hard != b->hard || a->last_hard != b->last_hard ||
	    a->attempt != b->attempt || a->last_change != b->last_change ||
	    a->last_hard_change != b->last_hard_change ||
	    a->flapping != b->flapping;
}

unsigned
check_state_apply(struct check_state *st, const struct check_policy *pol,
    enum probe_state state, time_t now)
{
	enum probe_state prev = st->current;
	bool prev_hard = st->hard;
	int max = pol->max_attempts < 1 ? 1 : pol->max_attempts;
	unsigned ev = CHECK_EVENT_NONE;
	bool record;

	if ((int)state < STATE_OK || (int)state > STATE_UNKNOWN)
		state = STATE_UNKNOWN;
	if (!st->checked) {
		st->checked = true;
		st->last_change = now;
		if (st->last_hard_change == 0)
			st->last_hard_change = now;
	}
	if (state != prev) {
		ev |= CHECK_EVENT_CHANGE;
		st->last_change = now;
	}
	st->current = state;
	st->last_check = now;

	if (state == STATE_OK) {
		st->attempt = 1;
		if (prev != STATE_OK && prev_hard) {
			/* hard recovery */
			st->hard = true;
		} else if (prev != STATE_OK) {
			/* soft recovery: no notification */
			st->hard = false;
		} else {
			st->hard = true;
		}
		if (st->last_hard != STATE_OK && st->hard) {
			st->last_hard = STATE_OK;
			st->last_hard_change = now;
			ev |= CHECK_EVENT_HARD_CHANGE;
		}
	} else if (prev == STATE_OK || !prev_hard) {
		/* a first problem, or a further soft attempt */
		st->attempt = prev == STATE_OK ? 1 : st->attempt + 1;
		if (st->attempt >= max) {
			st->attempt = max;
			st->hard = true;
			if (state != st->last_hard) {
				st->last_hard = state;
				st->last_hard_change = now;
				ev |= CHECK_EVENT_HARD_CHANGE;
			}
		} else {
			st->hard = false;
			ev |= CHECK_EVENT_SOFT;
		}
	} else {
		/* hard non-OK: another non-OK state changes hard at once */
		st->hard = true;
		st->attempt = max;
		if (state != st->last_hard) {
			st->last_hard = state;
			st->last_hard_change = now;
			ev |= CHECK_EVENT_HARD_CHANGE;
		}
	}

	/* Only hard states and soft recoveries enter the history. */
	record = st->hard || state == STATE_OK;
	if (record) {
		history_push(st, state);
		if (pol->flap_detection) {
			st->percent_change = check_state_percent_change(st);
			if (!st->flapping &&
			    st->percent_change >= pol->high_flap) {
				st->flapping = true;
				ev |= CHECK_EVENT_FLAP_START;
			} else if (st->flapping &&
			    st->percent_change <= pol->low_flap) {
				st->flapping = false;
				ev |= CHECK_EVENT_FLAP_STOP;
			}
		} else if (st->flapping) {
			st->flapping = false;
			ev |= CHECK_EVENT_FLAP_STOP;
		}
	}
	return ev;
}

unsigned
check_next_delay(const struct check *c)
{
	if (c->st.checked && c->st.current != STATE_OK && !c->st.hard &&
	    c->retry_interval > 0)
		return c->retry_interval;
	return c->interval;
}

int
check_state_from_name(const char *name, enum probe_state *out)
{
	static const enum probe_state all[] = {
		STATE_OK,
		STATE_WARNING,
		STATE_CRITICAL,
		STATE_UNKNOWN,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(state_name(all[i]), name) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

void
check_free(struct check *c)
{
	if (c == NULL)
		return;
	if (c->probe_state != NULL && c->probe != NULL &&
	    c->probe->state_free != NULL)
		c->probe->state_free(c->probe_state);
	args_free(&c->args);
	forecast_cache_free(c->forecast);
	free(c->result);
	free(c->signature);
	free(c->name);
	free(c);
}
