/*
 * Alerts: the collector's notification engine (issue 7).
 *
 * The collector owns the checks and their state machine; it tells this
 * module about every HARD state change and calls alerts_tick() once per
 * loop turn.  Everything else lives here: the notification policy
 * (renotify, first-notification-delay, acknowledgements, downtimes,
 * grouping, hourly cap, digests), the spool of complete RFC 5322 mails in
 * STATE_DIR/spool, and delivery with libesmtp from a forked child under a
 * hard deadline, so no call below ever blocks on the network.
 *
 * Policy state (what was notified, acks, downtimes, counters) is kept in
 * STATE_DIR/alerts.json, written atomically after every change, so a
 * restart neither forgets a notified problem nor re-sends one.
 *
 * `osemon ack` and `osemon downtime` append one line each to
 * STATE_DIR/alerts.cmd; alerts_tick() consumes that file.
 */
#ifndef OSEMON_ALERTS_H
#define OSEMON_ALERTS_H

#include <stddef.h>
#include <time.h>

#include "probe.h"

#include "args.h"

struct cfg; /* collector/config.h */
struct cfg_errors;
struct check; /* collector/collector.h */
struct alerts;

/*
 * Option tables (NULL-name terminated), for config validation:
 *  alerts_smtp_options   every key of [smtp] (transport);
 *  alerts_global_options notification keys allowed in [global] (renotify,
 *                       hostname, graph-url, group-window, max-per-hour,
 *                       first-notification-delay, notify-states, to);
 *  alerts_check_options  notification keys allowed in [check NAME]
 *                       (renotify, first-notification-delay,
 *                       notify-states, to: per-check `to` adds recipients).
 * The collector passes alerts_check_options / alerts_global_options as
 * "skip" keys when it validates its own sections; alerts_new validates
 * them itself.
 */
extern const struct option_spec alerts_smtp_options[];
extern const struct option_spec alerts_global_options[];
extern const struct option_spec alerts_check_options[];

/*
 * Read [smtp], [global] and [check NAME] notification keys from cfg and
 * prepare STATE_DIR (created when missing).  No [smtp] section: alerts are
 * disabled but the handle is valid and every call below is a no-op.
 * Returns NULL with err filled on a configuration or state-dir error.
 */
struct alerts *alerts_new(
    const struct cfg *cfg, const char *state_dir, char *err, size_t errlen);

/*
 * A check changed HARD state (old_state -> check's current state) at
 * `when` (the event time printed in the mail).  Call after the check's
 * state, attempt and last result are updated.  Never blocks.
 */
void alerts_hard_change(struct alerts *al, const struct check *check,
    enum probe_state old_state, time_t when);

/*
 * Periodic work, about once a second: consume ack/downtime commands,
 * notice flapping start/stop and downtime ends (from the checks' current
 * flags and states), send due re-notifications and group windows, reap
 * or kill the delivery child and start a new one for due spool files.
 * Never blocks longer than a few milliseconds.
 */
void alerts_tick(
    struct alerts *al, struct check *const *checks, size_t n, time_t now);

/* Commands (src/commands.c table); see alerts/alert_cmd.c. */
int alert_main(int argc, char **argv); /* alert test|flush|list */
int ack_main(int argc, char **argv); /* ack CHECK ... */
int downtime_main(int argc, char **argv); /* downtime CHECK START END */

/* Kill an in-flight delivery child (its mails stay spooled) and free. */
void alerts_free(struct alerts *al);

/* `config check`: every [smtp] error (unknown keys, bad values, no server,
 * no recipient...) into errs.  Returns 0 when there was none. */
int alerts_config_check(const struct cfg *cfg, struct cfg_errors *errs);

#endif
