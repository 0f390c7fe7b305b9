/*
 * Configuration of the alerts module and the spool delivery run.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerts.h"
#include "config.h"
#include "deliver.h"
#include "spool.h"
#include "util.h"

const struct option_spec alerts_smtp_options[] = {
	{ "server", 0, OPT_LIST, "HOST:PORT", NULL, 0, -1,
	    "SMTP submission server (port 587 when omitted); repeat or "
	    "comma-list for failover, tried in order" },
	{ "starttls", 0, OPT_STRING, "MODE", "required", 0, -1,
	    "required (verified certificate chain and host name), optional "
	    "(TLS when offered, still verified) or off" },
	{ "user", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "AUTH PLAIN/LOGIN user; no AUTH when unset" },
	{ "password-file", 0, OPT_STRING, "PATH", NULL, 0, -1,
	    "file holding the AUTH password (mode 0600 or stricter, owned "
	    "by the collector's user)" },
	{ "ca-file", 0, OPT_STRING, "PATH", NULL, 0, -1,
	    "PEM CA bundle to verify the server with (default: the system "
	    "store)" },
	{ "from", 0, OPT_STRING, "ADDRESS", NULL, 0, -1,
	    "sender address (default osemon@HOSTNAME)" },
	{ "to", 0, OPT_LIST, "ADDRESS", NULL, 0, -1,
	    "recipients of every notification (comma list or repeated)" },
	{ "timeout", 0, OPT_DOUBLE, "SECONDS", "30", 1, 600,
	    "hard deadline of one delivery run; the delivering child is "
	    "killed when it passes" },
	{ "helo", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "EHLO name (default: this machine's host name)" },
	{ "retry-min", 0, OPT_INT, "SECONDS", "30", 1, 86400,
	    "delay before the first retry of a mail; doubles per failure" },
	{ "retry-max", 0, OPT_INT, "SECONDS", "3600", 1, 604800,
	    "longest delay between two retries" },
	{ "spool-max", 0, OPT_INT, "N", "1000", 1, 1000000,
	    "mails kept in the spool; older ones beyond are dropped and "
	    "the count is reported in the next mail" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

const struct option_spec alerts_global_options[] = {
	{ "renotify", 0, OPT_INT, "SECONDS", "7200", 0, 31536000,
	    "re-notify an open problem every SECONDS of wall time (0: once)" },
	{ "first-notification-delay", 0, OPT_INT, "SECONDS", "0", 0, 31536000,
	    "hold a new problem's first notification back this "
	    "long (a problem that recovers meanwhile is never mailed)" },
	{ "group-window", 0, OPT_INT, "SECONDS", "30", 0, 3600,
	    "hard changes within this window go out as one mail (0: off)" },
	{ "max-per-hour", 0, OPT_INT, "N", "20", 0, 10000,
	    "at most N mails per hour (0: no cap); the next mail says how "
	    "many notifications were held back" },
	{ "notify-states", 0, OPT_STRING, "LIST", "w,c,u,r,f", 0, -1,
	    "what is notified: w(arning), c(ritical), u(nknown), "
	    "r(ecovery), f(lapping), all or none" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

const struct option_spec alerts_check_options[] = {
	{ "renotify", 0, OPT_INT, "SECONDS", NULL, 0, 31536000,
	    "this check's re-notification interval (0: once)" },
	{ "first-notification-delay", 0, OPT_INT, "SECONDS", NULL, 0, 31536000,
	    "this check's first-notification delay" },
	{ "notify-states", 0, OPT_STRING, "LIST", NULL, 0, -1,
	    "this check's notification filter (see [global])" },
	{ "to", 0, OPT_LIST, "ADDRESS", NULL, 0, -1,
	    "extra recipients for this check's notifications" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static void
conf_errors_text(const struct cfg_errors *errs, char *err, size_t errlen)
{
	size_t len = 0;

	err[0] = '\0';
	for (size_t i = 0; i < errs->count; i++)
		str_appendf(
		    err, errlen, &len, "%s%s", i ? "; " : "", errs->msgs[i]);
}

static int
conf_add_rcpt(
    char list[][SMTP_ADDR_MAX], size_t *n, size_t max, const char *addr)
{
	if (*n >= max || strlen(addr) >= SMTP_ADDR_MAX ||
	    strchr(addr, '@') == NULL || strpbrk(addr, " <>,\"\r\n\t") != NULL)
		return -1;
	str_copy(list[(*n)++], addr, SMTP_ADDR_MAX);
	return 0;
}

static int
conf_path(const struct cfg *cfg, const char *value, char *buf, size_t size)
{
	if (value == NULL || value[0] == '\0') {
		buf[0] = '\0';
		return 0;
	}
	return cfg_path(cfg, value, buf, size);
}

static void
conf_smtp(const struct cfg *cfg, const struct cfg_section *sec,
    struct alerts_conf *conf, struct cfg_errors *errs)
{
	struct smtp_conf *s = &conf->smtp;
	struct args a;
	const char *v;
	size_t n;

	if (cfg_section_to_args(
		sec, alerts_smtp_options, &a, cfg->name, errs) != 0)
		goto out;
	n = args_list_count(&a, "server");
	if (n == 0)
		cfg_errors_add(errs, cfg->name, sec->line,
		    "[smtp] needs at least one 'server = HOST:PORT'");
	for (size_t i = 0; i < n; i++) {
		const char *srv = args_list_item(&a, "server", i);
		char host[SMTP_ADDR_MAX];

		if (s->nservers == SMTP_SERVERS_MAX ||
		    smtp_server_host(srv, host, sizeof(host)) != 0) {
			cfg_errors_add(errs, cfg->name, sec->line,
			    "server: bad or too many servers ('%s')", srv);
			continue;
		}
		if (strchr(srv + strlen(host), ':') == NULL)
			snprintf(s->servers[s->nservers++], SMTP_ADDR_MAX,
			    "%s:587", srv);
		else
			str_copy(s->servers[s->nservers++], srv, SMTP_ADDR_MAX);
	}
	v = args_string(&a, "starttls");
	if (strcmp(v, "required") == 0)
		s->starttls = SMTP_STARTTLS_REQUIRED;
	else if (strcmp(v, "optional") == 0)
		s->starttls = SMTP_STARTTLS_OPTIONAL;
	else if (strcmp(v, "off") == 0)
		s->starttls = SMTP_STARTTLS_OFF;
	else
		cfg_errors_add(errs, cfg->name, sec->line,
		    "starttls: '%s' is not required, optional or off", v);
	v = args_string(&a, "user");
	str_copy(s->user, v != NULL ? v : "", sizeof(s->user));
	if (conf_path(cfg, args_string(&a, "password-file"), s->password_file,
		sizeof(s->password_file)) != 0 ||
	    conf_path(cfg, args_string(&a, "ca-file"), s->ca_file,
		sizeof(s->ca_file)) != 0)
		cfg_errors_add(errs, cfg->name, sec->line, "path too long");
	if (s->user[0] != '\0' && s->password_file[0] == '\0')
		cfg_errors_add(errs, cfg->name, sec->line,
		    "[smtp] user is set but password-file is not");
	v = args_string(&a, "from");
	if (v != NULL)
		str_copy(s->from, v, sizeof(s->from));
	else
		snprintf(s->from, sizeof(s->from), "osemon@%s", conf->host);
	v = args_string(&a, "helo");
	str_copy(s->helo, v != NULL ? v : "", sizeof(s->helo));
	s->timeout = args_double(&a, "timeout");
	conf->retry_min = args_int(&a, "retry-min");
	conf->retry_max = args_int(&a, "retry-max");
	if (conf->retry_max < conf->retry_min)
		conf->retry_max = conf->retry_min;
	conf->spool_max = args_int(&a, "spool-max");
	n = args_list_count(&a, "to");
	for (size_t i = 0; i < n; i++)
		if (conf_add_rcpt(conf->to, &conf->nto, SMTP_RCPTS_MAX / 2,
			args_list_item(&a, "to", i)) != 0)
			cfg_errors_add(errs, cfg->name, sec->line,
			    "to: bad address or too many ('%s')",
			    args_list_item(&a, "to", i));
	if (conf->nto == 0)
		cfg_errors_add(errs, cfg->name, sec->line,
		    "[smtp] needs at least one 'to = ADDRESS'");
out:
	args_free(&a);
}

static void
conf_policy(const struct cfg *cfg, const struct cfg_section *sec,
    const struct args *a, struct notify_policy *pol, bool all)
{
	(void)cfg;
	(void)sec;
	if (all || args_given(a, "renotify"))
		pol->renotify = args_int(a, "renotify");
	if (all || args_given(a, "first-notification-delay"))
		pol->first_delay = args_int(a, "first-notification-delay");
}

static void
conf_states(const struct cfg *cfg, const struct cfg_section *sec,
    const struct args *a, struct notify_policy *pol, bool all,
    struct cfg_errors *errs)
{
	const char *v;

	if (!all && !args_given(a, "notify-states"))
		return;
	v = args_string(a, "notify-states");
	if (v != NULL && notify_parse_states(v, &pol->states) != 0)
		cfg_errors_add(errs, cfg->name, sec->line,
		    "notify-states: '%s' is not a list of w,c,u,r,f", v);
}

int
alerts_conf_read(const struct cfg *cfg, const char *state_dir,
    struct alerts_conf *conf, char *err, size_t errlen)
{
	const struct cfg_section *g, *smtp;
	struct cfg_errors errs;
	struct args ga;
	const char *v;
	size_t nchecks = 0;
	int rc = -1;

	memset(conf, 0, sizeof(*conf));
	cfg_errors_init(&errs);
	args_init(&ga, alerts_global_options);
	g = cfg_find(cfg, "global", NULL);
	smtp = cfg_find(cfg, "smtp", NULL);
	if (g != NULL)
		(void)cfg_section_pick(
		    g, alerts_global_options, &ga, cfg->name, &errs);
	v = cfg_value(g, "hostname");
	if (v != NULL && v[0] != '\0')
		str_copy(conf->host, v, sizeof(conf->host));
	else if (gethostname(conf->host, sizeof(conf->host) - 1) != 0)
		str_copy(conf->host, "localhost", sizeof(conf->host));
	conf->host[sizeof(conf->host) - 1] = '\0';
	v = cfg_value(g, "graph-url");
	str_copy(conf->graph_url, v != NULL ? v : "", sizeof(conf->graph_url));
	if (state_dir != NULL) {
		str_copy(conf->state_dir, state_dir, sizeof(conf->state_dir));
	} else {
		v = cfg_value(g, "state-dir");
		if (cfg_path(cfg, v != NULL ? v : "state", conf->state_dir,
			sizeof(conf->state_dir)) != 0)
			cfg_errors_add(
			    &errs, cfg->name, 0, "state-dir: path too long");
	}
	conf->group_window = args_int(&ga, "group-window");
	conf->max_per_hour = args_int(&ga, "max-per-hour");
	conf->defaults.states = NOTIFY_ON_ALL;
	conf_policy(cfg, g, &ga, &conf->defaults, true);
	if (g != NULL)
		conf_states(cfg, g, &ga, &conf->defaults, true, &errs);
	conf->retry_min = 30;
	conf->retry_max = 3600;
	conf->spool_max = 1000;
	if (smtp != NULL) {
		conf->enabled = true;
		conf_smtp(cfg, smtp, conf, &errs);
	}
	for (size_t i = 0; i < cfg->count; i++)
		if (strcmp(cfg->sections[i].type, "check") == 0 &&
		    cfg->sections[i].label != NULL)
			nchecks++;
	if (nchecks > 0) {
		conf->checks = calloc(nchecks, sizeof(*conf->checks));
		if (conf->checks == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < cfg->count; i++) {
		const struct cfg_section *sec = &cfg->sections[i];
		struct alerts_check_conf *cc;
		struct args ca;
		size_t n;

		if (strcmp(sec->type, "check") != 0 || sec->label == NULL)
			continue;
		cc = &conf->checks[conf->nchecks++];
		str_copy(cc->name, sec->label, sizeof(cc->name));
		cc->pol = conf->defaults;
		(void)cfg_section_pick(
		    sec, alerts_check_options, &ca, cfg->name, &errs);
		conf_policy(cfg, sec, &ca, &cc->pol, false);
		conf_states(cfg, sec, &ca, &cc->pol, false, &errs);
		n = args_list_count(&ca, "to");
		for (size_t k = 0; k < n; k++)
			if (conf_add_rcpt(cc->to, &cc->nto, SMTP_RCPTS_MAX / 2,
				args_list_item(&ca, "to", k)) != 0)
				cfg_errors_add(&errs, cfg->name, sec->line,
				    "to: bad address or too many ('%s')",
				    args_list_item(&ca, "to", k));
		args_free(&ca);
	}
	if (cfg_errors_total(&errs) > 0) {
		conf_errors_text(&errs, err, errlen);
		goto out;
	}
	rc = 0;
out:
	args_free(&ga);
	cfg_errors_free(&errs);
	return rc;
}

int
alerts_config_check(const struct cfg *cfg, struct cfg_errors *errs)
{
	const struct cfg_section *smtp = cfg_find(cfg, "smtp", NULL);
	size_t before = cfg_errors_total(errs);
	struct alerts_conf *conf;

	if (smtp == NULL)
		return 0;
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL)
		return -1;
	conf_smtp(cfg, smtp, conf, errs);
	free(conf);
	return cfg_errors_total(errs) > before ? -1 : 0;
}

void
alerts_conf_free(struct alerts_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->checks);
	conf->checks = NULL;
	conf->nchecks = 0;
}

static void deliver_report(FILE *report, const char *prefix, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
deliver_report(FILE *report, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	if (report == NULL)
		return;
	fputs(prefix != NULL ? prefix : "", report);
	va_start(ap, fmt);
	vfprintf(report, fmt, ap);
	va_end(ap);
	fputc('\n', report);
	fflush(report);
}

static void
deliver_mark_bad(const char *dir, const char *name)
{
	char from[SMTP_PATH_MAX], to[SMTP_PATH_MAX];

	if (snprintf(from, sizeof(from), "%s/%s", dir, name) <
		(int)sizeof(from) &&
	    snprintf(to, sizeof(to), "%s/%s.bad", dir, name) < (int)sizeof(to))
		(void)rename(from, to);
}

int
deliver_spool(const struct alerts_conf *conf, const char *spool_dir, time_t now,
    bool force, const char *only, double deadline, FILE *report,
    const char *prefix, struct deliver_stats *stats)
{
	static struct smtp_rcpt rcpts[SMTP_RCPTS_MAX];
	char password[SMTP_PASSWORD_MAX], perr[256];
	char **names = NULL;
	long n;
	bool have_password = false, password_failed = false;
	bool unreachable = false;
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	password[0] = '\0';
	perr[0] = '\0';
	n = spool_list(spool_dir, &names);
	if (n < 0) {
		deliver_report(report, prefix, "spool %s: cannot read: %s",
		    spool_dir, strerror(errno));
		return -1;
	}
	for (long i = 0; i < n; i++) {
		struct spool_meta meta;
		struct smtp_outcome out;
		char path[SMTP_PATH_MAX];
		char *mail = NULL;
		size_t len = 0, nr = 0;

		if (only != NULL && strcmp(names[i], only) != 0)
			continue;
		if (deadline_left(deadline) <= 0 || unreachable) {
			stats->pending++;
			rc = 1;
			continue;
		}
		if (spool_meta_read(spool_dir, names[i], &meta) != 0)
			memset(&meta, 0, sizeof(meta));
		if (!force && meta.next_try > now) {
			stats->skipped++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", spool_dir, names[i]);
		if (file_read_capped(path, SPOOL_MAIL_MAX, &mail, &len) != 0) {
			deliver_report(report, prefix,
			    "%s: unreadable, left "
			    "aside as %s.bad",
			    names[i], names[i]);
			deliver_mark_bad(spool_dir, names[i]);
			continue;
		}
		memset(rcpts, 0, sizeof(rcpts));
		if (meta.has_rcpts) {
			for (size_t k = 0; k < meta.nrcpts; k++)
				str_copy(rcpts[nr++].addr, meta.rcpts[k],
				    SMTP_ADDR_MAX);
		} else {
			char(*list)[SMTP_ADDR_MAX] =
			    calloc(SMTP_RCPTS_MAX, SMTP_ADDR_MAX);
			int got = list != NULL ? spool_rcpts_from_mail(mail,
						     len, list, SMTP_RCPTS_MAX)
					       : -1;

			for (int k = 0; k < got; k++)
				str_copy(
				    rcpts[nr++].addr, list[k], SMTP_ADDR_MAX);
			free(list);
		}
		if (nr == 0) {
			deliver_report(report, prefix,
			    "%s: no recipient, left "
			    "aside as %s.bad",
			    names[i], names[i]);
			deliver_mark_bad(spool_dir, names[i]);
			free(mail);
			continue;
		}
		if (conf->smtp.user[0] != '\0' && !have_password &&
		    !password_failed) {
			if (secret_read(conf->smtp.password_file, password,
				sizeof(password), perr, sizeof(perr)) == 0)
				have_password = true;
			else
				password_failed = true;
		}
		/* Pessimistic bookkeeping first: a kill at the deadline still
		 * leaves the backoff in place. */
		meta.attempts++;
		meta.next_try = now +
		    spool_backoff(
			meta.attempts, conf->retry_min, conf->retry_max);
		meta.nrcpts = 0;
		for (size_t k = 0; k < nr; k++)
			str_copy(meta.rcpts[meta.nrcpts++], rcpts[k].addr,
			    SMTP_ADDR_MAX);
		if (password_failed) {
			snprintf(meta.error, sizeof(meta.error),
			    "password-file: %s", perr);
			(void)spool_meta_write(spool_dir, names[i], &meta);
			deliver_report(report, prefix,
			    "auth: FAILED: cannot "
			    "read password-file: %s",
			    perr);
			deliver_report(report, prefix,
			    "%s: kept in spool, "
			    "retry in %llds",
			    names[i], (long long)(meta.next_try - now));
			stats->pending++;
			rc = 1;
			free(mail);
			continue;
		}
		(void)spool_meta_write(spool_dir, names[i], &meta);
		deliver_report(report, prefix,
		    "%s: delivering to %zu "
		    "recipient(s), attempt %u",
		    names[i], nr, meta.attempts);
		if (smtp_send(&conf->smtp, have_password ? password : NULL,
			mail, len, rcpts, nr, deadline, report, prefix,
			&out) == 0) {
			spool_remove(spool_dir, names[i]);
			stats->delivered++;
			for (size_t k = 0; k < nr; k++)
				if (rcpts[k].result == SMTP_RCPT_REFUSED)
					stats->refused++;
			deliver_report(report, prefix,
			    "%s: delivered via %s, "
			    "removed from spool",
			    names[i], out.server);
		} else {
			meta.nrcpts = 0;
			for (size_t k = 0; k < nr; k++) {
				if (rcpts[k].result == SMTP_RCPT_REFUSED)
					stats->refused++;
				if (rcpts[k].result == SMTP_RCPT_PENDING)
					str_copy(meta.rcpts[meta.nrcpts++],
					    rcpts[k].addr, SMTP_ADDR_MAX);
			}
			str_copy(meta.error, out.error, sizeof(meta.error));
			(void)spool_meta_write(spool_dir, names[i], &meta);
			stats->pending++;
			rc = 1;
			deliver_report(report, prefix,
			    "%s: NOT delivered: %s; "
			    "kept in spool, retry in %llds",
			    names[i], out.error,
			    (long long)(meta.next_try - now));
			/* No server answered: the other mails wait for the
			 * next run instead of each timing out in turn. */
			if (!out.connected)
				unreachable = true;
		}
		free(mail);
	}
	explicit_bzero(password, sizeof(password));
	spool_names_free(names, n);
	if (rc == 0 && stats->refused > 0)
		rc = 2;
	return rc;
}

static void
deliver_child_run(const struct alerts_conf *conf, const char *spool_dir,
    bool force, const char *only, FILE *report, const char *prefix)
{
	struct deliver_stats stats;
	double deadline = clock_monotonic_now() + conf->smtp.timeout;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = deliver_spool(conf, spool_dir, time(NULL), force, only, deadline,
	    report, prefix, &stats);
	if (report != NULL)
		fflush(report);
	_exit(rc < 0 ? 1 : rc);
}

pid_t
deliver_spool_start(const struct alerts_conf *conf, const char *spool_dir,
    FILE *report, const char *prefix)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (report != NULL)
		fflush(report);
	pid = fork();
	if (pid == 0)
		deliver_child_run(conf, spool_dir, false, NULL, report, prefix);
	return pid;
}

int
deliver_spool_child(const struct alerts_conf *conf, const char *spool_dir,
    bool force, const char *only, FILE *report, const char *prefix)
{
	double deadline = clock_monotonic_now() + conf->smtp.timeout + 1.0;
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		deliver_child_run(conf, spool_dir, force, only, report, prefix);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (deadline_left(deadline) <= 0) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			deliver_report(report, prefix,
			    "timeout: delivery "
			    "killed after %.0f s (mail stays spooled)",
			    conf->smtp.timeout);
			return -1;
		}
		usleep(20000);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}
