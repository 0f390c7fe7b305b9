/*
 * Notification policy.  See notify.h for the rules; the comments here say
 * why a rule is shaped the way it is.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "notify.h"
#include "util.h"

#define NOTIFY_HOUR 3600

struct notify {
	long group_window;
	long max_per_hour;
	struct notify_policy defaults;
	notify_emit_fn emit;
	notify_id_fn make_id;
	void *arg;

	struct notify_check *checks;
	size_t count, cap;

	struct mail_event *queue; /* changes waiting for the window */
	size_t qlen, qcap;
	time_t qfirst;

	time_t *sent; /* mail times within the last hour */
	size_t sent_len, sent_cap;
	unsigned long suppressed; /* held back since the last mail */
	bool dirty;

	/* The spool could not take a mail (disk full...): its events wait in
	 * the queue and are tried again with a backoff. */
	unsigned emit_failures;
	time_t hold_until;
};

struct notify *
notify_new(long group_window, long max_per_hour,
    const struct notify_policy *defaults, notify_emit_fn emit,
    notify_id_fn make_id, void *arg)
{
	struct notify *nt = NULL;

	nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		return NULL;
	nt->group_window = group_window < 0 ? 0 : group_window;
	nt->max_per_hour = max_per_hour < 0 ? 0 : max_per_hour;
	if (nt->max_per_hour > NOTIFY_CAP_MAX)
		nt->max_per_hour = NOTIFY_CAP_MAX;
	nt->defaults = *defaults;
	nt->emit = emit;
	nt->make_id = make_id;
	nt->arg = arg;
	return nt;
}

void
notify_free(struct notify *nt)
{
	if (nt == NULL)
		return;
	for (size_t i = 0; i < nt->count; i++)
		free(nt->checks[i].details);
	for (size_t i = 0; i < nt->qlen; i++)
		mail_event_clear(&nt->queue[i]);
	free(nt->checks);
	free(nt->queue);
	free(nt->sent);
	free(nt);
}

static struct notify_check *
notify_find(const struct notify *nt, const char *name)
{
	for (size_t i = 0; i < nt->count; i++)
		if (strcmp(nt->checks[i].name, name) == 0)
			return &nt->checks[i];
	return NULL;
}

static struct notify_check *
notify_find_or_add(struct notify *nt, const char *name)
{
	struct notify_check *c = notify_find(nt, name);

	if (c != NULL)
		return c;
	if (nt->count == nt->cap) {
		size_t ncap = nt->cap ? nt->cap * 2 : 16;
		struct notify_check *p;

		p = realloc(nt->checks, ncap * sizeof(*p));
		if (p == NULL)
			return NULL;
		nt->checks = p;
		nt->cap = ncap;
	}
	c = &nt->checks[nt->count++];
	memset(c, 0, sizeof(*c));
	str_copy(c->name, name, sizeof(c->name));
	c->pol = nt->defaults;
	c->state = STATE_OK;
	c->prev = STATE_OK;
	return c;
}

const struct notify_check *
notify_get(const struct notify *nt, const char *check)
{
	return notify_find(nt, check);
}

void
notify_set_policy(
    struct notify *nt, const char *check, const struct notify_policy *pol)
{
	struct notify_check *c = notify_find_or_add(nt, check);

	if (c != NULL)
		c->pol = *pol;
}

static void
notify_set_details(struct notify_check *c, const char *details)
{
	char *d;

	if (details == NULL)
		return;
	d = strdup(details);
	if (d == NULL)
		return;
	free(c->details);
	c->details = d;
}

void
notify_update_details(struct notify *nt, const char *check, const char *details)
{
	struct notify_check *c = notify_find(nt, check);

	if (c != NULL)
		notify_set_details(c, details);
}

static bool
notify_allowed(const struct notify_check *c, enum probe_state state)
{
	switch (state) {
	case STATE_OK:
		return (c->pol.states & NOTIFY_ON_RECOVERY) != 0;
	case STATE_WARNING:
		return (c->pol.states & NOTIFY_ON_WARNING) != 0;
	case STATE_CRITICAL:
		return (c->pol.states & NOTIFY_ON_CRITICAL) != 0;
	case STATE_UNKNOWN:
		return (c->pol.states & NOTIFY_ON_UNKNOWN) != 0;
	}
	return false;
}

static bool
notify_in_downtime(const struct notify_check *c, time_t now)
{
	for (size_t i = 0; i < c->dt_count; i++)
		if (c->dt[i].start <= now && now < c->dt[i].end)
			return true;
	return false;
}

static bool
notify_silenced(const struct notify_check *c, time_t now)
{
	return c->flapping || notify_in_downtime(c, now);
}

static void
notify_reset_problem(struct notify_check *c)
{
	c->problem_notified = false;
	c->number = 0;
	c->last_notification = 0;
	c->first_due = 0;
	c->first_id[0] = '\0';
}

static void
notify_event_from(struct mail_event *ev, const struct notify_check *c,
    enum notify_type type, const char *note)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	str_copy(ev->check, c->name, sizeof(ev->check));
	ev->state = c->state;
	ev->old_state = c->prev;
	ev->since = c->since;
	ev->attempt = c->attempt;
	ev->max_attempts = c->max_attempts;
	ev->number = c->number;
	str_copy(ev->first_id, c->first_id, sizeof(ev->first_id));
	if (note != NULL)
		str_copy(ev->note, note, sizeof(ev->note));
	if (c->details != NULL)
		ev->details = strdup(c->details);
}

/* Append a copy of src to the queue; 0 or -1 (counted as suppressed). */
static int
notify_queue_push(struct notify *nt, const struct mail_event *src, time_t now)
{
	if (nt->qlen == NOTIFY_QUEUE_MAX)
		goto full;
	if (nt->qlen == nt->qcap) {
		size_t ncap = nt->qcap ? nt->qcap * 2 : 8;
		struct mail_event *p;

		p = realloc(nt->queue, ncap * sizeof(*p));
		if (p == NULL)
			goto full;
		nt->queue = p;
		nt->qcap = ncap;
	}
	if (mail_event_copy(&nt->queue[nt->qlen], src) != 0) {
		mail_event_clear(&nt->queue[nt->qlen]);
		goto full;
	}
	if (nt->qlen == 0)
		nt->qfirst = now;
	nt->qlen++;
	nt->dirty = true;
	return 0;
full:
	nt->suppressed++;
	nt->dirty = true;
	return -1;
}

static bool
notify_held(const struct notify *nt, time_t now)
{
	/* A wall clock gone back does not hold mails for long. */
	return now < nt->hold_until && nt->hold_until <= now + 120;
}

static void
notify_enqueue(struct notify *nt, const struct notify_check *c,
    enum notify_type type, const char *note, time_t now)
{
	struct mail_event ev;

	notify_event_from(&ev, c, type, note);
	(void)notify_queue_push(nt, &ev, now);
	mail_event_clear(&ev);
}

/* Withdraw queued PROBLEMs of a check; returns how many. */
static size_t
notify_withdraw(struct notify *nt, const char *check)
{
	size_t removed = 0, j = 0;

	for (size_t i = 0; i < nt->qlen; i++) {
		if (nt->queue[i].type == NOTIFY_PROBLEM &&
		    strcmp(nt->queue[i].check, check) == 0) {
			mail_event_clear(&nt->queue[i]);
			removed++;
			continue;
		}
		nt->queue[j++] = nt->queue[i];
	}
	nt->qlen = j;
	if (removed > 0)
		nt->dirty = true;
	return removed;
}

static void
notify_prune_sent(struct notify *nt, time_t now)
{
	size_t j = 0;

	for (size_t i = 0; i < nt->sent_len; i++)
		if (nt->sent[i] > now - NOTIFY_HOUR && nt->sent[i] <= now)
			nt->sent[j++] = nt->sent[i];
	nt->sent_len = j;
}

static void
notify_record_sent(struct notify *nt, time_t now)
{
	if (nt->sent_len == nt->sent_cap) {
		size_t ncap = nt->sent_cap ? nt->sent_cap * 2 : 16;
		time_t *p;

		p = realloc(nt->sent, ncap * sizeof(*p));
		if (p == NULL)
			return;
		nt->sent = p;
		nt->sent_cap = ncap;
	}
	nt->sent[nt->sent_len++] = now;
}

/*
 * Send ev[0..n) as one mail, through the hourly cap.  A check's record
 * changes only once the mail is spooled, so a suppressed or failed PROBLEM
 * is never followed by a RECOVERY for a problem nobody heard of.
 */
static void
notify_send(struct notify *nt, struct mail_event *ev, size_t n, time_t now)
{
	char msgid[MAIL_ID_MAX];

	if (n == 0)
		return;
	nt->dirty = true;
	notify_prune_sent(nt, now);
	if (nt->max_per_hour > 0 && nt->sent_len >= (size_t)nt->max_per_hour) {
		nt->suppressed += n;
		/* Reminders wait a full interval again instead of retrying
		 * every tick against the cap. */
		for (size_t i = 0; i < n; i++) {
			struct notify_check *c = notify_find(nt, ev[i].check);

			if (c != NULL && ev[i].reminder)
				c->last_notification = now;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct notify_check *c = notify_find(nt, ev[i].check);

		if (ev[i].type == NOTIFY_PROBLEM && c != NULL) {
			ev[i].number = c->number + 1;
			for (size_t j = 0; j < i; j++)
				if (ev[j].type == NOTIFY_PROBLEM &&
				    strcmp(ev[j].check, ev[i].check) == 0)
					ev[i].number++;
		}
	}
	nt->make_id(nt->arg, msgid, sizeof(msgid));
	if (nt->emit(nt->arg, ev, n, msgid, nt->suppressed) != 0) {
		/* Not spooled: nothing is lost, the events wait in the queue
		 * and go out once the spool takes mail again (1, 2, 4... s,
		 * at most a minute apart). */
		unsigned shift = nt->emit_failures < 6 ? nt->emit_failures : 6;

		nt->emit_failures++;
		nt->hold_until = now + (1L << shift);
		for (size_t i = 0; i < n; i++) {
			struct notify_check *c = notify_find(nt, ev[i].check);

			if (c != NULL && ev[i].reminder)
				c->last_notification = now;
			(void)notify_queue_push(nt, &ev[i], now);
		}
		return;
	}
	nt->emit_failures = 0;
	nt->hold_until = 0;
	notify_record_sent(nt, now);
	nt->suppressed = 0;
	for (size_t i = 0; i < n; i++) {
		struct notify_check *c = notify_find(nt, ev[i].check);

		if (c == NULL || ev[i].type != NOTIFY_PROBLEM)
			continue;
		c->number++;
		c->last_notification = now;
		if (c->state != STATE_OK) {
			c->problem_notified = true;
			if (c->first_id[0] == '\0')
				str_copy(
				    c->first_id, msgid, sizeof(c->first_id));
		}
	}
}

static void
notify_flush_queue(struct notify *nt, time_t now)
{
	struct mail_event *q = nt->queue;
	size_t n = nt->qlen;

	if (n == 0 || notify_held(nt, now))
		return;
	nt->queue = NULL;
	nt->qlen = nt->qcap = 0;
	if (nt->group_window <= 0) {
		for (size_t i = 0; i < n; i++) {
			if (notify_held(nt, now))
				(void)notify_queue_push(nt, &q[i], now);
			else
				notify_send(nt, &q[i], 1, now);
		}
	} else {
		/* By check name (stable: one check's changes keep their
		 * order), so that a group's subject does not depend on which
		 * probe finished first. */
		for (size_t i = 1; i < n; i++) {
			struct mail_event tmp = q[i];
			size_t j = i;

			for (; j > 0 && strcmp(q[j - 1].check, tmp.check) > 0;
			     j--)
				q[j] = q[j - 1];
			q[j] = tmp;
		}
		notify_send(nt, q, n, now);
	}
	for (size_t i = 0; i < n; i++)
		mail_event_clear(&q[i]);
	free(q);
	nt->dirty = true;
}

/* After a silence (downtime, flapping) ends: say where things stand. */
static void
notify_announce(
    struct notify *nt, struct notify_check *c, const char *note, time_t now)
{
	if (c->state != STATE_OK) {
		if (notify_allowed(c, c->state) && !c->ack.active)
			notify_enqueue(nt, c, NOTIFY_PROBLEM, note, now);
	} else if (c->problem_notified) {
		if (notify_allowed(c, STATE_OK))
			notify_enqueue(nt, c, NOTIFY_RECOVERY, note, now);
		notify_reset_problem(c);
	}
}

void
notify_hard_change(struct notify *nt, const char *check,
    enum probe_state old_state, enum probe_state state, int attempt,
    int max_attempts, const char *details, time_t when)
{
	struct notify_check *c = notify_find_or_add(nt, check);

	if (c == NULL)
		return;
	/* The collector's state file may lag alerts.json by a second: after
	 * a crash in between, the same OK -> problem change comes again.  It
	 * was mailed already (tests/integration/rel_kill9.sh). */
	if (state != STATE_OK && old_state == STATE_OK && c->problem_notified &&
	    c->state == state)
		return;
	nt->dirty = true;
	if (c->ack.active && (!c->ack.sticky || state == STATE_OK))
		memset(&c->ack, 0, sizeof(c->ack));
	c->prev = old_state;
	c->state = state;
	c->since = when;
	c->attempt = attempt;
	c->max_attempts = max_attempts;
	notify_set_details(c, details);
	if (state != STATE_OK) {
		if (old_state == STATE_OK && !c->problem_notified)
			notify_reset_problem(c);
		/* A change of problem state is notified at once. */
		c->first_due = 0;
		if (notify_silenced(c, when) || !notify_allowed(c, state))
			goto out;
		if (c->pol.first_delay > 0 && !c->problem_notified) {
			c->first_due = when + c->pol.first_delay;
			goto out;
		}
		notify_enqueue(nt, c, NOTIFY_PROBLEM, NULL, when);
		goto out;
	}
	c->first_due = 0;
	if (notify_withdraw(nt, check) > 0 && !c->problem_notified) {
		/* The problem never left the group window: no mail at all. */
		notify_reset_problem(c);
		goto out;
	}
	if (!c->problem_notified)
		goto out;
	if (notify_silenced(c, when))
		goto out; /* announced when the silence ends */
	if (notify_allowed(c, STATE_OK))
		notify_enqueue(nt, c, NOTIFY_RECOVERY, NULL, when);
	notify_reset_problem(c);
out:
	if (nt->group_window <= 0)
		notify_flush_queue(nt, when);
}

void
notify_flapping(struct notify *nt, const char *check, bool start,
    enum probe_state state, const char *details, time_t when)
{
	struct notify_check *c = notify_find_or_add(nt, check);
	bool tell;

	if (c == NULL || c->flapping == start)
		return;
	nt->dirty = true;
	notify_set_details(c, details);
	c->flapping = start;
	tell = (c->pol.states & NOTIFY_ON_FLAPPING) &&
	    !notify_in_downtime(c, when);
	if (start) {
		c->state = state;
		if (tell)
			notify_enqueue(nt, c, NOTIFY_FLAPPINGSTART, NULL, when);
	} else {
		if (tell)
			notify_enqueue(nt, c, NOTIFY_FLAPPINGSTOP, NULL, when);
		if (!notify_in_downtime(c, when) &&
		    (c->state == STATE_OK || !c->problem_notified))
			notify_announce(nt, c, "flapping stopped", when);
	}
	if (nt->group_window <= 0)
		notify_flush_queue(nt, when);
}

int
notify_ack(struct notify *nt, const char *check, bool sticky, time_t expire,
    const char *text, time_t now, char *err, size_t errlen)
{
	struct notify_check *c = notify_find(nt, check);

	if (c == NULL) {
		snprintf(err, errlen, "unknown check '%s'", check);
		return -1;
	}
	if (c->state == STATE_OK) {
		snprintf(err, errlen,
		    "check '%s' is OK: nothing to acknowledge", check);
		return -1;
	}
	if (expire != 0 && expire <= now) {
		snprintf(err, errlen, "ack for '%s' already expired", check);
		return -1;
	}
	c->ack.active = true;
	c->ack.sticky = sticky;
	c->ack.expire = expire;
	str_copy(c->ack.text, text != NULL ? text : "", sizeof(c->ack.text));
	nt->dirty = true;
	return 0;
}

int
notify_downtime(struct notify *nt, const char *check, time_t start, time_t end,
    const char *text, time_t now, char *err, size_t errlen)
{
	struct notify_check *c = notify_find_or_add(nt, check);
	struct notify_downtime *d;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (end <= start || end <= now) {
		snprintf(err, errlen,
		    "downtime for '%s' ends before it starts "
		    "or is over",
		    check);
		return -1;
	}
	if (c->dt_count == NOTIFY_DOWNTIMES_MAX) {
		snprintf(err, errlen, "too many downtimes for '%s' (max %d)",
		    check, NOTIFY_DOWNTIMES_MAX);
		return -1;
	}
	d = &c->dt[c->dt_count++];
	d->start = start;
	d->end = end;
	str_copy(d->text, text != NULL ? text : "", sizeof(d->text));
	nt->dirty = true;
	return 0;
}

void
notify_tick(struct notify *nt, time_t now)
{
	struct mail_event *rem = NULL;
	size_t nrem = 0;

	if (nt->count > 0)
		rem = calloc(nt->count, sizeof(*rem));
	for (size_t i = 0; i < nt->count; i++) {
		struct notify_check *c = &nt->checks[i];
		size_t j = 0;
		bool in;

		if (c->ack.active && c->ack.expire != 0 &&
		    now >= c->ack.expire) {
			memset(&c->ack, 0, sizeof(c->ack));
			nt->dirty = true;
		}
		for (size_t k = 0; k < c->dt_count; k++)
			if (c->dt[k].end > now)
				c->dt[j++] = c->dt[k];
		if (j != c->dt_count)
			nt->dirty = true;
		c->dt_count = j;
		in = notify_in_downtime(c, now);
		if (c->in_downtime != in) {
			c->in_downtime = in;
			nt->dirty = true;
			if (!in && !c->flapping)
				notify_announce(
				    nt, c, "still open after downtime", now);
		}
		if (c->first_due != 0 && now >= c->first_due) {
			c->first_due = 0;
			nt->dirty = true;
			/* Acknowledged while held back: never mailed. */
			if (c->state != STATE_OK && !c->problem_notified &&
			    !c->ack.active && !notify_silenced(c, now) &&
			    notify_allowed(c, c->state))
				notify_enqueue(
				    nt, c, NOTIFY_PROBLEM, NULL, now);
		}
		if (rem != NULL && c->problem_notified &&
		    c->state != STATE_OK && c->pol.renotify > 0 &&
		    !c->ack.active && !notify_silenced(c, now) &&
		    notify_allowed(c, c->state) &&
		    now >= c->last_notification + c->pol.renotify) {
			notify_event_from(&rem[nrem], c, NOTIFY_PROBLEM, NULL);
			rem[nrem].reminder = true;
			nrem++;
		}
	}
	/* Every due reminder goes out in one digest. */
	if (nrem > 0 && !notify_held(nt, now))
		notify_send(nt, rem, nrem, now);
	for (size_t i = 0; i < nrem; i++)
		mail_event_clear(&rem[i]);
	free(rem);
	if (nt->qlen > 0 &&
	    (nt->group_window <= 0 || now >= nt->qfirst + nt->group_window ||
		now < nt->qfirst))
		notify_flush_queue(nt, now);
}

void
notify_retain(struct notify *nt, const char *const *names, size_t n)
{
	size_t j = 0, q = 0;

	for (size_t i = 0; i < nt->count; i++) {
		bool keep = false;

		for (size_t k = 0; k < n && !keep; k++)
			keep = strcmp(nt->checks[i].name, names[k]) == 0;
		if (!keep) {
			free(nt->checks[i].details);
			nt->dirty = true;
			continue;
		}
		nt->checks[j++] = nt->checks[i];
	}
	nt->count = j;
	for (size_t i = 0; i < nt->qlen; i++) {
		if (notify_find(nt, nt->queue[i].check) == NULL) {
			mail_event_clear(&nt->queue[i]);
			nt->dirty = true;
			continue;
		}
		nt->queue[q++] = nt->queue[i];
	}
	nt->qlen = q;
}

void
notify_touch(struct notify *nt)
{
	nt->dirty = true;
}

bool
notify_dirty(const struct notify *nt)
{
	return nt->dirty;
}

unsigned long
notify_suppressed(const struct notify *nt)
{
	return nt->suppressed;
}

size_t
notify_queued(const struct notify *nt)
{
	return nt->qlen;
}

int
notify_parse_states(const char *text, unsigned *out)
{
	static const struct {
		const char *word;
		unsigned bit;
	} words[] = {
		{ "w", NOTIFY_ON_WARNING },
		{ "warning", NOTIFY_ON_WARNING },
		{ "c", NOTIFY_ON_CRITICAL },
		{ "critical", NOTIFY_ON_CRITICAL },
		{ "u", NOTIFY_ON_UNKNOWN },
		{ "unknown", NOTIFY_ON_UNKNOWN },
		{ "r", NOTIFY_ON_RECOVERY },
		{ "recovery", NOTIFY_ON_RECOVERY },
		{ "ok", NOTIFY_ON_RECOVERY },
		{ "f", NOTIFY_ON_FLAPPING },
		{ "flapping", NOTIFY_ON_FLAPPING },
		{ "all", NOTIFY_ON_ALL },
		{ "none", 0 },
	};
	unsigned mask = 0;
	const char *p = text;

	while (*p != '\0') {
		char word[32];
		size_t n, k;
		bool found = false;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ", ");
		if (n == 0)
			break;
		if (n >= sizeof(word))
			return -1;
		for (k = 0; k < n; k++) {
			char ch = p[k];

			word[k] =
			    (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
		}
		word[n] = '\0';
		for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if (strcmp(word, words[k].word) == 0) {
				mask |= words[k].bit;
				found = true;
			}
		if (!found)
			return -1;
		p += n;
	}
	*out = mask;
	return 0;
}

/* --- persistence --- */

static json_t *
notify_event_json(const struct mail_event *ev)
{
	return json_pack("{s:i, s:s, s:i, s:i, s:I, s:i, s:i, s:i, s:b, s:s, "
			 "s:s, s:s*}",
	    "type", (int)ev->type, "check", ev->check, "state", (int)ev->state,
	    "old_state", (int)ev->old_state, "since", (json_int_t)ev->since,
	    "attempt", ev->attempt, "max_attempts", ev->max_attempts, "number",
	    (int)ev->number, "reminder", ev->reminder, "note", ev->note,
	    "first_id", ev->first_id, "details", ev->details);
}

char *
notify_save(struct notify *nt)
{
	json_t *root = NULL, *checks, *queue, *sent;
	char *text = NULL;

	root = json_pack("{s:i, s:I, s:I}", "version", 1, "suppressed",
	    (json_int_t)nt->suppressed, "queue_first", (json_int_t)nt->qfirst);
	checks = json_object();
	queue = json_array();
	sent = json_array();
	if (root == NULL || checks == NULL || queue == NULL || sent == NULL) {
		json_decref(checks);
		json_decref(queue);
		json_decref(sent);
		goto out;
	}
	json_object_set_new(root, "checks", checks);
	json_object_set_new(root, "queue", queue);
	json_object_set_new(root, "sent", sent);
	for (size_t i = 0; i < nt->sent_len; i++)
		json_array_append_new(sent, json_integer(nt->sent[i]));
	for (size_t i = 0; i < nt->qlen; i++)
		json_array_append_new(queue, notify_event_json(&nt->queue[i]));
	for (size_t i = 0; i < nt->count; i++) {
		const struct notify_check *c = &nt->checks[i];
		json_t *o, *dts;

		dts = json_array();
		for (size_t k = 0; dts != NULL && k < c->dt_count; k++)
			json_array_append_new(dts,
			    json_pack("{s:I, s:I, s:s}", "start",
				(json_int_t)c->dt[k].start, "end",
				(json_int_t)c->dt[k].end, "text",
				c->dt[k].text));
		o = json_pack("{s:i, s:i, s:I, s:i, s:i, s:b, s:i, s:I, s:I, "
			      "s:s, s:b, s:b, s:o, s:s*}",
		    "state", (int)c->state, "prev", (int)c->prev, "since",
		    (json_int_t)c->since, "attempt", c->attempt, "max_attempts",
		    c->max_attempts, "problem_notified", c->problem_notified,
		    "number", (int)c->number, "last_notification",
		    (json_int_t)c->last_notification, "first_due",
		    (json_int_t)c->first_due, "first_id", c->first_id,
		    "in_downtime", c->in_downtime, "flapping", c->flapping,
		    "downtimes", dts != NULL ? dts : json_array(), "details",
		    c->details);
		if (o != NULL && c->ack.active)
			json_object_set_new(o, "ack",
			    json_pack("{s:b, s:I, s:s}", "sticky",
				c->ack.sticky, "expire",
				(json_int_t)c->ack.expire, "text",
				c->ack.text));
		if (o != NULL)
			json_object_set_new(checks, c->name, o);
	}
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text != NULL)
		nt->dirty = false;
out:
	json_decref(root);
	return text;
}

static bool
notify_state_ok(json_int_t v)
{
	return v >= STATE_OK && v <= STATE_UNKNOWN;
}

static int
notify_event_load(json_t *o, struct mail_event *ev)
{
	json_int_t type = 0, state = 0, old = 0, since = 0, number = 0;
	int attempt = 0, max = 0, reminder = 0;
	const char *check = NULL, *note = "", *first = "", *details = NULL;
	json_t *jd = NULL;

	memset(ev, 0, sizeof(*ev));
	if (json_unpack(o,
		"{s:I, s:s, s:I, s:I, s:I, "
		"s?i, s?i, s?I, s?b, s?s, s?s, s?o}",
		"type", &type, "check", &check, "state", &state, "old_state",
		&old, "since", &since, "attempt", &attempt, "max_attempts",
		&max, "number", &number, "reminder", &reminder, "note", &note,
		"first_id", &first, "details", &jd) != 0)
		return -1;
	if (json_is_string(jd))
		details = json_string_value(jd);
	if (type < NOTIFY_PROBLEM || type > NOTIFY_TEST ||
	    !notify_state_ok(state) || !notify_state_ok(old) || number < 0)
		return -1;
	ev->type = (enum notify_type)type;
	str_copy(ev->check, check, sizeof(ev->check));
	ev->state = (enum probe_state)state;
	ev->old_state = (enum probe_state)old;
	ev->since = (time_t)since;
	ev->attempt = attempt;
	ev->max_attempts = max;
	ev->number = (unsigned)number;
	ev->reminder = reminder != 0;
	str_copy(ev->note, note, sizeof(ev->note));
	str_copy(ev->first_id, first, sizeof(ev->first_id));
	if (details != NULL && (ev->details = strdup(details)) == NULL)
		return -1;
	return 0;
}

static int
notify_check_load(struct notify *nt, const char *name, json_t *o)
{
	json_int_t state = 0, prev = 0, since = 0, number = 0, last = 0;
	json_int_t due = 0;
	int attempt = 0, max = 0, notified = 0, indt = 0, flap = 0;
	const char *first = "", *details = NULL;
	json_t *dts = NULL, *ack = NULL, *jd = NULL;
	struct notify_check *c;
	size_t k;
	json_t *d;

	if (json_unpack(o,
		"{s:I, s?I, s?I, s?i, s?i, "
		"s?b, s?I, s?I, s?I, s?s, s?b, s?b, s?o, s?o, s?o}",
		"state", &state, "prev", &prev, "since", &since, "attempt",
		&attempt, "max_attempts", &max, "problem_notified", &notified,
		"number", &number, "last_notification", &last, "first_due",
		&due, "first_id", &first, "in_downtime", &indt, "flapping",
		&flap, "downtimes", &dts, "details", &jd, "ack", &ack) != 0)
		return -1;
	if (json_is_string(jd))
		details = json_string_value(jd);
	if (!notify_state_ok(state) || !notify_state_ok(prev) || number < 0)
		return -1;
	c = notify_find_or_add(nt, name);
	if (c == NULL)
		return -1;
	c->state = (enum probe_state)state;
	c->prev = (enum probe_state)prev;
	c->since = (time_t)since;
	c->attempt = attempt;
	c->max_attempts = max;
	c->problem_notified = notified != 0;
	c->number = (unsigned)number;
	c->last_notification = (time_t)last;
	c->first_due = (time_t)due;
	str_copy(c->first_id, first, sizeof(c->first_id));
	c->in_downtime = indt != 0;
	c->flapping = flap != 0;
	notify_set_details(c, details);
	c->dt_count = 0;
	if (json_is_array(dts))
		json_array_foreach(dts, k, d)
		{
			json_int_t s = 0, e = 0;
			const char *t = "";

			if (c->dt_count == NOTIFY_DOWNTIMES_MAX)
				break;
			if (json_unpack(d, "{s:I, s:I, s?s}", "start", &s,
				"end", &e, "text", &t) != 0)
				continue;
			c->dt[c->dt_count].start = (time_t)s;
			c->dt[c->dt_count].end = (time_t)e;
			str_copy(c->dt[c->dt_count].text, t,
			    sizeof(c->dt[c->dt_count].text));
			c->dt_count++;
		}
	memset(&c->ack, 0, sizeof(c->ack));
	if (json_is_object(ack)) {
		int sticky = 0;
		json_int_t expire = 0;
		const char *t = "";

		if (json_unpack(ack, "{s?b, s?I, s?s}", "sticky", &sticky,
			"expire", &expire, "text", &t) == 0) {
			c->ack.active = true;
			c->ack.sticky = sticky != 0;
			c->ack.expire = (time_t)expire;
			str_copy(c->ack.text, t, sizeof(c->ack.text));
		}
	}
	return 0;
}

int
notify_load(struct notify *nt, const char *text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *checks, *queue, *sent, *v;
	const char *name;
	size_t i;
	int rc = -1;

	root = json_loads(text, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		snprintf(err, errlen, "alerts state: line %d: %s", jerr.line,
		    root == NULL ? jerr.text : "not an object");
		goto out;
	}
	v = json_object_get(root, "suppressed");
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		nt->suppressed = (unsigned long)json_integer_value(v);
	checks = json_object_get(root, "checks");
	if (json_is_object(checks))
		json_object_foreach(
		    checks, name, v) if (notify_check_load(nt, name, v) != 0)
		{
			snprintf(err, errlen,
			    "alerts state: bad record "
			    "for check '%s'",
			    name);
			goto out;
		}
	sent = json_object_get(root, "sent");
	if (json_is_array(sent))
		json_array_foreach(sent, i,
		    v) if (json_is_integer(v) && nt->sent_len < NOTIFY_CAP_MAX)
		    notify_record_sent(nt, (time_t)json_integer_value(v));
	queue = json_object_get(root, "queue");
	if (json_is_array(queue))
		json_array_foreach(queue, i, v)
		{
			struct mail_event ev;

			if (notify_event_load(v, &ev) != 0) {
				mail_event_clear(&ev);
				snprintf(err, errlen,
				    "alerts state: bad queued "
				    "event %zu",
				    i);
				goto out;
			}
			if (notify_find_or_add(nt, ev.check) != NULL)
				(void)notify_queue_push(nt, &ev, 0);
			mail_event_clear(&ev);
		}
	v = json_object_get(root, "queue_first");
	if (json_is_integer(v))
		nt->qfirst = (time_t)json_integer_value(v);
	nt->dirty = false;
	rc = 0;
out:
	json_decref(root);
	return rc;
}
