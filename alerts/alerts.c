/*
 * The collector-facing side of alerts: policy (notify.c) fed by hard
 * changes and ticks, mails spooled at once (mail.c, spool.c), delivery by
 * a child process the tick reaps or kills (deliver.c), commands from the
 * command file (command.c), state in STATE_DIR/alerts.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "abuf.h"
#include "alerts.h"
#include "collector.h"
#include "command.h"
#include "config.h"
#include "deliver.h"
#include "mail.h"
#include "notify.h"
#include "runtime.h"
#include "spool.h"
#include "util.h"

struct alerts_limiter {
	bool failing;
	time_t last; /* last logged */
	unsigned long skipped; /* failures not logged since */
	char note[80];
};

struct alerts {
	struct alerts_conf conf;
	struct notify *nt;
	char spool_dir[PATH_MAX];
	char state_path[PATH_MAX];
	char cmd_path[PATH_MAX];
	char cmd_work[PATH_MAX];
	pid_t child;
	double child_deadline;
	time_t next_scan;
	unsigned long dropped; /* not yet reported in a mail */
	time_t *last_check; /* per conf check: last result seen */
	FILE *log; /* delivery reports -> collector_log */
	struct alerts_limiter spool_err, save_err;
};

static void alerts_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A failure that repeats every second (a full disk) is logged when it
 * starts, then at most once a minute, and once more when it ends. */
static bool
alerts_limit(struct alerts_limiter *l, time_t now)
{
	if (!l->failing || now - l->last >= 60 || now < l->last) {
		l->failing = true;
		l->last = now;
		return true;
	}
	l->skipped++;
	return false;
}

/* " (N more failures since the last log line)" or "". */
static const char *
alerts_limit_note(struct alerts_limiter *l)
{
	if (l->skipped == 0)
		return "";
	snprintf(l->note, sizeof(l->note),
	    " (%lu more failures since the last log line)", l->skipped);
	l->skipped = 0;
	return l->note;
}

static void
alerts_limit_ok(struct alerts_limiter *l, const char *what)
{
	if (!l->failing)
		return;
	alerts_log(LOG_NOTICE, "%s", what);
	memset(l, 0, sizeof(*l));
}

static void
alerts_log(int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	collector_log(priority, "alerts: %s", msg);
}

/*
 * The delivery child reports to a FILE; this one turns each line into a
 * collector log line, so stderr or syslog get them like the rest.
 */
struct alerts_log_cookie {
	char line[1024];
	size_t len;
};

static void
alerts_log_line(struct alerts_log_cookie *c)
{
	int prio = LOG_INFO;

	c->line[c->len] = '\0';
	if (strstr(c->line, "NOT ") != NULL ||
	    strstr(c->line, "FAILED") != NULL ||
	    strstr(c->line, "REFUSED") != NULL ||
	    strstr(c->line, "killed") != NULL)
		prio = LOG_WARNING;
	if (c->len > 0)
		collector_log(prio, "alerts: %s", c->line);
	c->len = 0;
}

static ssize_t
alerts_log_write(void *cookie, const char *buf, size_t size)
{
	struct alerts_log_cookie *c = cookie;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || c->len == sizeof(c->line) - 1)
			alerts_log_line(c);
		if (buf[i] != '\n')
			c->line[c->len++] = buf[i];
	}
	return (ssize_t)size;
}

static int
alerts_log_close(void *cookie)
{
	alerts_log_line(cookie);
	free(cookie);
	return 0;
}

static FILE *
alerts_log_stream(void)
{
	static const cookie_io_functions_t io = {
		.write = alerts_log_write,
		.close = alerts_log_close,
	};
	struct alerts_log_cookie *c = calloc(1, sizeof(*c));
	FILE *fp;

	if (c == NULL)
		return NULL;
	fp = fopencookie(c, "w", io);
	if (fp == NULL)
		free(c);
	return fp;
}

static const struct alerts_check_conf *
alerts_check_conf(const struct alerts *al, const char *name)
{
	for (size_t i = 0; i < al->conf.nchecks; i++)
		if (strcmp(al->conf.checks[i].name, name) == 0)
			return &al->conf.checks[i];
	return NULL;
}

static void
alerts_make_id(void *arg, char *buf, size_t size)
{
	struct alerts *al = arg;

	mail_message_id(al->conf.host, buf, size);
}

/* To: the [smtp] list plus every event's per-check extra recipients. */
static void
alerts_to_list(const struct alerts *al, const struct mail_event *ev, size_t n,
    char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < al->conf.nto; i++)
		str_appendf(
		    buf, size, &len, "%s%s", len ? ", " : "", al->conf.to[i]);
	for (size_t i = 0; i < n; i++) {
		const struct alerts_check_conf *cc =
		    alerts_check_conf(al, ev[i].check);

		for (size_t k = 0; cc != NULL && k < cc->nto; k++) {
			const char *a = cc->to[k];
			const char *p = strstr(buf, a);
			size_t l = strlen(a);

			/* Skip an address already listed. */
			if (p != NULL && (p == buf || p[-1] == ' ') &&
			    (p[l] == '\0' || p[l] == ','))
				continue;
			str_appendf(
			    buf, size, &len, "%s%s", len ? ", " : "", a);
		}
	}
}

static int
alerts_emit(void *arg, const struct mail_event *ev, size_t n, const char *msgid,
    unsigned long suppressed)
{
	struct alerts *al = arg;
	struct mail_ctx ctx;
	char to[4096], subject[1024], name[SPOOL_NAME_MAX], err[256];
	char *mail = NULL;
	size_t len = 0;
	unsigned long dropped;

	alerts_to_list(al, ev, n, to, sizeof(to));
	memset(&ctx, 0, sizeof(ctx));
	ctx.host = al->conf.host;
	ctx.from = al->conf.smtp.from;
	ctx.to = to;
	ctx.graph_url = al->conf.graph_url;
	ctx.now = time(NULL);
	ctx.suppressed = suppressed;
	ctx.dropped = al->dropped;
	mail_subject(&ctx, ev, n, subject, sizeof(subject));
	if (mail_format(&ctx, ev, n, msgid, &mail, &len) != 0) {
		alerts_log(
		    LOG_ERR, "cannot format mail '%s': out of memory", subject);
		return -1;
	}
	if (spool_write(al->spool_dir, mail, len, name, sizeof(name), err,
		sizeof(err)) != 0) {
		if (alerts_limit(&al->spool_err, ctx.now))
			alerts_log(LOG_ERR,
			    "cannot spool mail '%s': %s (kept, tried again "
			    "with a backoff%s)",
			    subject, err, alerts_limit_note(&al->spool_err));
		free(mail);
		return -1;
	}
	free(mail);
	alerts_limit_ok(&al->spool_err, "the spool takes mail again");
	al->dropped = 0;
	alerts_log(LOG_NOTICE, "spooled %s: %s", name, subject);
	dropped = spool_enforce_limit(al->spool_dir, al->conf.spool_max);
	if (dropped > 0) {
		al->dropped += dropped;
		alerts_log(LOG_WARNING,
		    "spool over spool-max %ld: dropped the %lu oldest "
		    "mails",
		    al->conf.spool_max, dropped);
	}
	al->next_scan = 0; /* deliver at the next tick */
	return 0;
}

static void
alerts_save(struct alerts *al)
{
	char *text;
	char err[256];

	if (al->nt == NULL || !notify_dirty(al->nt))
		return;
	text = notify_save(al->nt);
	if (text == NULL) {
		alerts_log(LOG_ERR, "cannot serialise the alerts state");
		return;
	}
	if (file_write_atomic(al->state_path, text, strlen(text), 0600, err,
		sizeof(err)) != 0) {
		notify_touch(al->nt); /* written at a later tick */
		if (alerts_limit(&al->save_err, time(NULL)))
			alerts_log(LOG_ERR, "cannot write %s: %s%s",
			    al->state_path, err,
			    alerts_limit_note(&al->save_err));
	} else {
		alerts_limit_ok(&al->save_err, "alerts.json written again");
	}
	free(text);
}

static void
alerts_load(struct alerts *al)
{
	char *text = NULL;
	size_t len = 0;
	char err[256];

	if (access(al->state_path, F_OK) != 0)
		return;
	if (file_read_capped(al->state_path, 64u << 20, &text, &len) != 0) {
		alerts_log(LOG_ERR, "cannot read %s: %s", al->state_path,
		    strerror(errno));
		return;
	}
	if (notify_load(al->nt, text, err, sizeof(err)) != 0) {
		char bad[PATH_MAX + 8];

		snprintf(bad, sizeof(bad), "%s.bad", al->state_path);
		alerts_log(LOG_ERR, "%s: %s; kept as %s, starting afresh",
		    al->state_path, err, bad);
		(void)rename(al->state_path, bad);
	}
	free(text);
}

struct alerts *
alerts_new(
    const struct cfg *cfg, const char *state_dir, char *err, size_t errlen)
{
	struct alerts *al = NULL;

	al = calloc(1, sizeof(*al));
	if (al == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (alerts_conf_read(cfg, state_dir, &al->conf, err, errlen) != 0)
		goto fail;
	if (!al->conf.enabled)
		return al;
	/* Every TLS opt-out is said out loud. */
	if (al->conf.smtp.starttls != SMTP_STARTTLS_REQUIRED)
		collector_log(LOG_WARNING,
		    "alerts: [smtp] starttls = %s: mail may travel without TLS",
		    al->conf.smtp.starttls == SMTP_STARTTLS_OFF ? "off"
								: "optional");
	if (snprintf(al->spool_dir, sizeof(al->spool_dir), "%s/spool",
		al->conf.state_dir) >= (int)sizeof(al->spool_dir) ||
	    snprintf(al->state_path, sizeof(al->state_path), "%s/alerts.json",
		al->conf.state_dir) >= (int)sizeof(al->state_path) ||
	    snprintf(al->cmd_path, sizeof(al->cmd_path), "%s/alerts.cmd",
		al->conf.state_dir) >= (int)sizeof(al->cmd_path) ||
	    snprintf(al->cmd_work, sizeof(al->cmd_work), "%s/alerts.cmd.work",
		al->conf.state_dir) >= (int)sizeof(al->cmd_work)) {
		snprintf(err, errlen, "state-dir path too long");
		goto fail;
	}
	if (mkdir_p(al->spool_dir, 0700) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", al->spool_dir,
		    strerror(errno));
		goto fail;
	}
	/* A writer killed mid-write leaves NAME.tmp.PID; one a minute old
	 * is nobody's any more. */
	(void)spool_clean_temp(al->spool_dir, "", time(NULL), 60);
	(void)spool_clean_temp(al->conf.state_dir, "alerts.", time(NULL), 60);
	al->nt = notify_new(al->conf.group_window, al->conf.max_per_hour,
	    &al->conf.defaults, alerts_emit, alerts_make_id, al);
	if (al->nt == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	alerts_load(al);
	if (al->conf.nchecks > 0) {
		const char **names = calloc(al->conf.nchecks, sizeof(*names));

		if (names == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < al->conf.nchecks; i++)
			names[i] = al->conf.checks[i].name;
		/* No reminders for checks removed from the config. */
		notify_retain(al->nt, names, al->conf.nchecks);
		free(names);
	}
	for (size_t i = 0; i < al->conf.nchecks; i++)
		notify_set_policy(
		    al->nt, al->conf.checks[i].name, &al->conf.checks[i].pol);
	al->log = alerts_log_stream();
	if (al->conf.nchecks > 0) {
		al->last_check =
		    calloc(al->conf.nchecks, sizeof(*al->last_check));
		if (al->last_check == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return al;
fail:
	alerts_free(al);
	return NULL;
}

static char *
alerts_details(const struct check *check)
{
	return check->result != NULL ? mail_details_from_result(check->result)
				     : NULL;
}

void
alerts_hard_change(struct alerts *al, const struct check *check,
    enum probe_state old_state, time_t when)
{
	char *details;

	if (al == NULL || !al->conf.enabled || check == NULL)
		return;
	details = alerts_details(check);
	if (check->events & CHECK_EVENT_FLAP_START)
		notify_flapping(al->nt, check->name, true, check->st.last_hard,
		    details, when);
	if (check->events & CHECK_EVENT_HARD_CHANGE)
		notify_hard_change(al->nt, check->name, old_state,
		    check->st.last_hard, check->st.attempt,
		    check->policy.max_attempts, details, when);
	if (check->events & CHECK_EVENT_FLAP_STOP)
		notify_flapping(al->nt, check->name, false, check->st.last_hard,
		    details, when);
	free(details);
	alerts_save(al);
}

static void
alerts_apply_command(struct alerts *al, const struct alert_cmd *cmd, time_t now)
{
	char err[256];

	if (cmd->type == ALERT_CMD_ACK) {
		if (notify_ack(al->nt, cmd->check, cmd->sticky, cmd->expire,
			cmd->text, now, err, sizeof(err)) != 0)
			alerts_log(LOG_WARNING, "ack ignored: %s", err);
		else
			alerts_log(LOG_NOTICE, "check %s acknowledged%s: %s",
			    cmd->check, cmd->sticky ? " (sticky)" : "",
			    cmd->text);
		return;
	}
	if (notify_downtime(al->nt, cmd->check, cmd->start, cmd->end, cmd->text,
		now, err, sizeof(err)) != 0)
		alerts_log(LOG_WARNING, "downtime ignored: %s", err);
	else
		alerts_log(LOG_NOTICE, "check %s: downtime %lld..%lld: %s",
		    cmd->check, (long long)cmd->start, (long long)cmd->end,
		    cmd->text);
}

/* Consume STATE_DIR/alerts.cmd (renamed aside first, so that writers
 * appending meanwhile start a fresh file). */
static void
alerts_commands(struct alerts *al, time_t now)
{
	char *text = NULL;
	size_t len = 0;

	if (access(al->cmd_work, F_OK) != 0) {
		if (access(al->cmd_path, F_OK) != 0)
			return;
		if (rename(al->cmd_path, al->cmd_work) != 0) {
			alerts_log(LOG_ERR, "cannot rename %s: %s",
			    al->cmd_path, strerror(errno));
			return;
		}
	}
	if (file_read_capped(al->cmd_work, ALERT_CMD_FILE_MAX, &text, &len) !=
	    0) {
		alerts_log(LOG_ERR, "cannot read %s: %s", al->cmd_work,
		    strerror(errno));
		(void)unlink(al->cmd_work);
		return;
	}
	for (const char *p = text; p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n =
		    nl != NULL ? (size_t)(nl - p) : (size_t)(text + len - p);
		struct alert_cmd cmd;
		char err[256];

		if (n > 0) {
			if (alert_cmd_parse(p, n, &cmd, err, sizeof(err)) == 0)
				alerts_apply_command(al, &cmd, now);
			else
				alerts_log(LOG_WARNING, "%s: bad command: %s",
				    al->cmd_work, err);
		}
		p = nl != NULL ? nl + 1 : text + len;
	}
	free(text);
	alerts_save(al);
	(void)unlink(al->cmd_work);
}

static void
alerts_delivery(struct alerts *al, time_t now)
{
	char **names = NULL;
	long n;
	bool due = false;
	time_t earliest;

	if (al->child > 0) {
		int status;
		pid_t r = waitpid(al->child, &status, WNOHANG);

		if (r == al->child || (r < 0 && errno == ECHILD)) {
			al->child = 0;
			al->next_scan = 0; /* its bookkeeping changed */
		} else if (clock_monotonic_now() >= al->child_deadline) {
			kill(al->child, SIGKILL);
			(void)waitpid(al->child, &status, 0);
			al->child = 0;
			al->next_scan = 0;
			alerts_log(LOG_WARNING,
			    "delivery killed after %.0f s; its mails "
			    "stay spooled",
			    al->conf.smtp.timeout);
		} else {
			return;
		}
	}
	/* The spool is read only when a mail can be due: after a new mail,
	 * after a delivery run, at the earliest next-try, at least every
	 * minute (and at once when the wall clock went back). */
	if (now < al->next_scan && al->next_scan <= now + 60)
		return;
	earliest = now + 60;
	n = spool_list(al->spool_dir, &names);
	for (long i = 0; i < n && !due; i++) {
		struct spool_meta meta;

		if (spool_meta_read(al->spool_dir, names[i], &meta) != 0 ||
		    meta.next_try <= now)
			due = true;
		else if (meta.next_try < earliest)
			earliest = meta.next_try;
	}
	spool_names_free(names, n < 0 ? 0 : n);
	al->next_scan = due ? now + 1 : earliest;
	if (!due)
		return;
	al->child = deliver_spool_start(&al->conf, al->spool_dir,
	    al->log != NULL ? al->log : stderr,
	    al->log != NULL ? "" : "alerts: ");
	if (al->child < 0) {
		alerts_log(LOG_ERR, "cannot fork the delivery child: %s",
		    strerror(errno));
		al->child = 0;
		return;
	}
	al->child_deadline =
	    clock_monotonic_now() + al->conf.smtp.timeout + 2.0;
}

void
alerts_tick(
    struct alerts *al, struct check *const *checks, size_t n, time_t now)
{
	if (al == NULL || !al->conf.enabled)
		return;
	alerts_commands(al, now);
	for (size_t i = 0; i < n; i++) {
		const struct check *c = checks[i];
		const struct notify_check *rec = notify_get(al->nt, c->name);

		/* A collector that reports flapping only through the check's
		 * flag is still heard. */
		if (rec != NULL && rec->flapping != c->st.flapping) {
			char *d = alerts_details(c);

			notify_flapping(al->nt, c->name, c->st.flapping,
			    c->st.last_hard, d, now);
			free(d);
		}
		/* Reminders carry the latest result of an open problem. */
		if (rec != NULL && rec->state != STATE_OK &&
		    rec->problem_notified && i < al->conf.nchecks &&
		    al->last_check != NULL &&
		    strcmp(al->conf.checks[i].name, c->name) == 0 &&
		    al->last_check[i] != c->st.last_check) {
			char *d = alerts_details(c);

			al->last_check[i] = c->st.last_check;
			if (d != NULL)
				notify_update_details(al->nt, c->name, d);
			free(d);
		}
	}
	notify_tick(al->nt, now);
	alerts_save(al);
	alerts_delivery(al, now);
}

void
alerts_free(struct alerts *al)
{
	if (al == NULL)
		return;
	if (al->child > 0) {
		int status;

		/* A final chance for a delivery already under way. */
		for (int i = 0; i < 50; i++) {
			if (waitpid(al->child, &status, WNOHANG) != 0)
				break;
			usleep(20000);
		}
		if (waitpid(al->child, &status, WNOHANG) == 0) {
			kill(al->child, SIGKILL);
			(void)waitpid(al->child, &status, 0);
		}
	}
	if (al->nt != NULL)
		alerts_save(al);
	notify_free(al->nt);
	if (al->log != NULL)
		fclose(al->log);
	alerts_conf_free(&al->conf);
	free(al->last_check);
	free(al);
}
