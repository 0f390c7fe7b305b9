/*
 * Notification policy (issue 7), pure: no clock, no I/O.  Every call gets
 * the wall time; mails come out through the emit callback as a list of
 * events.  What it decides:
 *  - hard changes make PROBLEM / RECOVERY (the latter only when the
 *    problem was mailed) and FLAPPINGSTART/STOP notifications;
 *  - first-notification-delay holds the first PROBLEM back;
 *  - renotify (wall seconds, 0 = once) re-sends open problems; reminders
 *    due together fold into one digest mail;
 *  - acknowledgements stop reminders (normal: cleared on any change;
 *    sticky: cleared on OK; optional expiry);
 *  - downtimes suppress notifications and, when they end, announce the
 *    problems still open (and recoveries of problems mailed before);
 *  - group-window: changes within the window go out as one mail (0: one
 *    mail per change); a PROBLEM still waiting when its check recovers is
 *    simply withdrawn;
 *  - max-per-hour caps mails; the next mail says how many were held back;
 *  - a mail the emit callback could not spool (disk full) is kept in the
 *    queue and tried again after 1, 2, 4... s (at most 64 s apart).
 * notify_save/notify_load keep all of it (including the waiting group) in
 * a JSON text so that nothing is lost or re-sent across restarts.
 */
#ifndef OSEMON_NOTIFY_H
#define OSEMON_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mail.h"
#include "probe.h"

/* notify-states filter bits. */
#define NOTIFY_ON_WARNING (1u << 0)
#define NOTIFY_ON_CRITICAL (1u << 1)
#define NOTIFY_ON_UNKNOWN (1u << 2)
#define NOTIFY_ON_RECOVERY (1u << 3)
#define NOTIFY_ON_FLAPPING (1u << 4)
#define NOTIFY_ON_ALL 0x1fu

#define NOTIFY_DOWNTIMES_MAX 8
#define NOTIFY_TEXT_MAX 256
#define NOTIFY_QUEUE_MAX 512
#define NOTIFY_CAP_MAX 10000

struct notify_policy {
	long renotify; /* seconds; 0 = notify once */
	long first_delay; /* seconds */
	unsigned states; /* NOTIFY_ON_* */
};

struct notify_ack {
	bool active;
	bool sticky;
	time_t expire; /* 0: never */
	char text[NOTIFY_TEXT_MAX];
};

struct notify_downtime {
	time_t start, end;
	char text[NOTIFY_TEXT_MAX];
};

struct notify_check {
	char name[MAIL_CHECK_MAX];
	struct notify_policy pol;
	enum probe_state state; /* last hard state */
	enum probe_state prev; /* hard state before it */
	time_t since; /* time of the last hard change */
	int attempt, max_attempts;
	bool problem_notified; /* a PROBLEM mail went out */
	unsigned number; /* notifications of this problem */
	time_t last_notification;
	time_t first_due; /* delayed first PROBLEM, 0 none */
	char first_id[MAIL_ID_MAX]; /* first PROBLEM mail of this problem */
	struct notify_ack ack;
	struct notify_downtime dt[NOTIFY_DOWNTIMES_MAX];
	size_t dt_count;
	bool in_downtime; /* as of the last tick */
	bool flapping;
	char *details; /* last details text, owned */
};

struct notify;

/* Called for every mail; ev[0..n) are borrowed.  Return 0 when spooled. */
typedef int (*notify_emit_fn)(void *arg, const struct mail_event *ev, size_t n,
    const char *msgid, unsigned long suppressed);
/* Fills a fresh Message-ID. */
typedef void (*notify_id_fn)(void *arg, char *buf, size_t size);

struct notify *notify_new(long group_window, long max_per_hour,
    const struct notify_policy *defaults, notify_emit_fn emit,
    notify_id_fn make_id, void *arg);
void notify_free(struct notify *nt);

/* Per-check policy (creates the check's record when missing). */
void notify_set_policy(
    struct notify *nt, const char *check, const struct notify_policy *pol);
const struct notify_check *notify_get(
    const struct notify *nt, const char *check);

/* A HARD change of check to state at when; details is copied (may be NULL). */
void notify_hard_change(struct notify *nt, const char *check,
    enum probe_state old_state, enum probe_state state, int attempt,
    int max_attempts, const char *details, time_t when);
/* Flapping started (true) or stopped (false). */
void notify_flapping(struct notify *nt, const char *check, bool start,
    enum probe_state state, const char *details, time_t when);
/* Latest details of a check (for reminders), without a state change. */
void notify_update_details(
    struct notify *nt, const char *check, const char *details);

/* Returns 0, or -1 with err ("check is OK", "unknown check"...). */
int notify_ack(struct notify *nt, const char *check, bool sticky, time_t expire,
    const char *text, time_t now, char *err, size_t errlen);
int notify_downtime(struct notify *nt, const char *check, time_t start,
    time_t end, const char *text, time_t now, char *err, size_t errlen);

/* Timers: ack expiry, downtime ends, delayed first problems, reminders,
 * the group window. */
void notify_tick(struct notify *nt, time_t now);

/* Forget every check not in names[0..n) (removed from the config), with
 * its queued changes: no reminder for a check that no longer exists. */
void notify_retain(struct notify *nt, const char *const *names, size_t n);

/* Mark the state as changed (e.g. its last save could not be written). */
void notify_touch(struct notify *nt);
/* True when something changed since the last notify_save. */
bool notify_dirty(const struct notify *nt);
/* JSON text of the whole state (malloc'd), or NULL. */
char *notify_save(struct notify *nt);
/* Restore from notify_save's text; unknown checks are kept. 0 or -1. */
int notify_load(struct notify *nt, const char *text, char *err, size_t errlen);

/* Counters for tests and logs. */
unsigned long notify_suppressed(const struct notify *nt);
size_t notify_queued(const struct notify *nt);

/* Parse "w,c,u,r,f" / "warning,critical,unknown,recovery,flapping" /
 * "all" / "none".  0 or -1. */
int notify_parse_states(const char *text, unsigned *out);

#endif
