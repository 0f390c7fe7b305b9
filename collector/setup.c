/*
 * From a config file to checks: the [global] and [check NAME] option
 * tables (one table serves the parser, `config check` and docs/config.md),
 * probe lookup, folder resolution and the embedded default config.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "alerts.h"
#include "backup.h"
#include "forecast.h"
#include "passive.h"
#include "runtime.h"
#include "util.h"

const struct option_spec collector_global_options[] = {
	{ "interval", 0, OPT_INT, "SECONDS", "60", 1, 86400,
	    "default seconds between two runs of a check" },
	{ "retries", 0, OPT_INT, "N", "3", 1, 100,
	    "default attempts before a problem is HARD (Nagios "
	    "max_check_attempts; 1 = hard at once)" },
	{ "retry-interval", 0, OPT_INT, "SECONDS", "60", 1, 86400,
	    "default seconds between attempts while a problem is SOFT" },
	{ "timeout", 0, OPT_DOUBLE, "SECONDS", "10", 0.1, 3600,
	    "default deadline of one run of a check" },
	{ "timeout-state", 0, OPT_STRING, "STATE", "critical", 0, -1,
	    "state of a check that overran its deadline: critical or "
	    "unknown" },
	{ "concurrency", 0, OPT_INT, "N", "4", 1, 64,
	    "checks running at once in worker threads or as HTTP "
	    "transfers (memory, load and local disk checks do not count)" },
	{ "rrd-dir", 0, OPT_STRING, "PATH", "rrd", 0, -1,
	    "RRD files, RRD_DIR/CHECK/METRIC.rrd (relative to the config "
	    "file's folder)" },
	{ "graph-dir", 0, OPT_STRING, "PATH", "www", 0, -1,
	    "graphs, index.html and status.json served by nginx" },
	{ "state-dir", 0, OPT_STRING, "PATH", "state", 0, -1,
	    "state file (state.json), alert spool and command input" },
	{ "rrdcached", 0, OPT_STRING, "ADDRESS", NULL, 0, -1,
	    "send RRD updates through rrdcached: unix:PATH or HOST:PORT" },
	{ "hostname", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "host name in pages and mails (default: this machine's)" },
	{ "graph-url", 0, OPT_STRING, "URL", NULL, 0, -1,
	    "public URL of graph-dir, for links in mails" },
	{ "graph-interval", 0, OPT_INT, "SECONDS", "300", 10, 86400,
	    "seconds between two renderings of the graphs" },
	{ "status-interval", 0, OPT_INT, "SECONDS", "30", 1, 3600,
	    "status page rewrite when only check times and outputs changed "
	    "(a state change shows within a second)" },
	{ "state-interval", 0, OPT_INT, "SECONDS", "60", 1, 3600,
	    "state file rewrite when only check times and outputs changed "
	    "(a state change is written within a second)" },
	{ "rrd-flush-interval", 0, OPT_INT, "SECONDS", "300", 0, 3600,
	    "values wait in memory this long, then go to each RRD file in "
	    "one write; graphs, SIGHUP and SIGTERM flush first (0: write "
	    "every value at once; ignored with rrdcached)" },
	{ "log", 0, OPT_STRING, "WHERE", "stderr", 0, -1, "stderr or syslog" },
	{ "user", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "started as root, run as this user once the folders are made "
	    "(the backup keeps root through a helper)" },
	{ "flap-detection", 0, OPT_FLAG, NULL, "yes", 0, -1,
	    "detect flapping checks (Nagios' weighted percent state change)" },
	{ "low-flap-threshold", 0, OPT_DOUBLE, "PERCENT", "20", 0, 100,
	    "a flapping check stops flapping at or below this change" },
	{ "high-flap-threshold", 0, OPT_DOUBLE, "PERCENT", "30", 0, 100,
	    "a check starts flapping at or above this change" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* Defaults come from [global], so none here. */
const struct option_spec collector_check_options[] = {
	{ "probe", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "the probe this check runs (required)" },
	{ "command", 0, OPT_STRING, "COMMAND", NULL, 0, -1,
	    "exec probe: the plugin and its arguments, split like a shell "
	    "would ('...', \"...\", backslash) and run without one" },
	{ "interval", 0, OPT_INT, "SECONDS", NULL, 1, 86400,
	    "seconds between two runs" },
	{ "retries", 0, OPT_INT, "N", NULL, 1, 100,
	    "attempts before a problem is HARD" },
	{ "retry-interval", 0, OPT_INT, "SECONDS", NULL, 1, 86400,
	    "seconds between attempts while SOFT" },
	{ "timeout", 0, OPT_DOUBLE, "SECONDS", NULL, 0.1, 3600,
	    "deadline of one run" },
	{ "timeout-state", 0, OPT_STRING, "STATE", NULL, 0, -1,
	    "critical or unknown" },
	{ "flap-detection", 0, OPT_FLAG, NULL, NULL, 0, -1, "detect flapping" },
	{ "low-flap-threshold", 0, OPT_DOUBLE, "PERCENT", NULL, 0, 100,
	    "stop flapping at or below" },
	{ "high-flap-threshold", 0, OPT_DOUBLE, "PERCENT", NULL, 0, 100,
	    "start flapping at or above" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static double
mono_default(void)
{
	return clock_monotonic_now();
}

static time_t
wall_default(void)
{
	return time(NULL);
}

double (*sched_mono)(void) = mono_default;
time_t (*sched_wall)(void) = wall_default;

static bool log_syslog;

void
collector_log_open(bool use_syslog)
{
	log_syslog = use_syslog;
	if (use_syslog)
		openlog("osemon", LOG_PID, LOG_DAEMON);
}

void
collector_log(int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(priority, "%s", msg);
		return;
	}
	fprintf(stderr, "osemon: %s%s\n",
	    priority <= LOG_ERR           ? "error: "
		: priority == LOG_WARNING ? "warning: "
					  : "",
	    msg);
}

int
args_clone(struct args *dst, const struct args *src)
{
	args_init(dst, src->specs);
	for (size_t i = 0; i < src->count; i++) {
		char *t = strdup(src->values[i].text);

		if (t == NULL)
			goto fail;
		dst->values[dst->count].spec = src->values[i].spec;
		dst->values[dst->count].text = t;
		dst->count++;
	}
	for (size_t i = 0; i < src->rest_count; i++)
		if (args_add_rest(dst, src->rest[i]) != 0)
			goto fail;
	return 0;
fail:
	args_free(dst);
	return -1;
}

static int
parse_timeout_state(const char *v, enum probe_state *out)
{
	if (strcmp(v, "critical") == 0)
		*out = STATE_CRITICAL;
	else if (strcmp(v, "unknown") == 0)
		*out = STATE_UNKNOWN;
	else
		return -1;
	return 0;
}

/*
 * Split a command line into words the way sh does for quoting only:
 * blanks separate words, '...' is literal, "..." keeps blanks and takes
 * backslash before " \\ $ `, a backslash outside quotes escapes the next
 * character.  No expansion of any kind.  Returns 0, or -1 with err.
 */
int
collector_split_command(const char *s, struct args *a, char *err, size_t errlen)
{
	char word[4096];
	size_t len = 0;
	bool in_word = false;
	size_t words = 0;

	for (;;) {
		char ch = *s;

		if (ch == '\0' || ch == ' ' || ch == '\t') {
			if (in_word) {
				word[len] = '\0';
				if (args_add_rest(a, word) != 0) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
				words++;
				len = 0;
				in_word = false;
			}
			if (ch == '\0')
				break;
			s++;
			continue;
		}
		in_word = true;
		if (ch == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (end == NULL) {
				snprintf(err, errlen, "unterminated '");
				return -1;
			}
			for (s++; s < end; s++) {
				if (len + 1 >= sizeof(word))
					goto toolong;
				word[len++] = *s;
			}
			s++;
			continue;
		}
		if (ch == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					snprintf(
					    err, errlen, "unterminated \"");
					return -1;
				}
				if (*s == '\\' && s[1] != '\0' &&
				    strchr("\"\\$`", s[1]) != NULL)
					s++;
				if (len + 1 >= sizeof(word))
					goto toolong;
				word[len++] = *s;
			}
			s++;
			continue;
		}
		if (ch == '\\') {
			if (s[1] == '\0') {
				snprintf(err, errlen, "backslash at the end");
				return -1;
			}
			s++;
		}
		if (len + 1 >= sizeof(word))
			goto toolong;
		word[len++] = *s++;
	}
	if (words == 0) {
		snprintf(err, errlen, "empty command");
		return -1;
	}
	return 0;
toolong:
	snprintf(err, errlen, "a word longer than %zu bytes", sizeof(word) - 1);
	return -1;
}

static int
entry_line(const struct cfg_section *sec, const char *key)
{
	int line = sec->line;

	for (size_t i = 0; i < sec->count; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			line = sec->entries[i].line;
	return line;
}

/* The canonical text of a check: reload keeps state when it is equal. */
static char *
check_signature(const struct cfg_section *sec, const struct args *global)
{
	char *buf = NULL;
	size_t size = 256, len = 0;

	for (size_t i = 0; i < sec->count; i++)
		size += strlen(sec->entries[i].key) +
		    strlen(sec->entries[i].value) + 2;
	buf = malloc(size);
	if (buf == NULL)
		return NULL;
	buf[0] = '\0';
	str_appendf(buf, size, &len, "%ld/%ld/%ld/%g/%s\n",
	    args_int(global, "interval"), args_int(global, "retries"),
	    args_int(global, "retry-interval"), args_double(global, "timeout"),
	    args_string(global, "timeout-state"));
	for (size_t i = 0; i < sec->count; i++)
		str_appendf(buf, size, &len, "%s=%s\n", sec->entries[i].key,
		    sec->entries[i].value);
	return buf;
}

/*
 * A section named after a probe ([b2]) holds defaults shared by every check
 * of that probe and by other users of the same service (the backup runner):
 * its keys that are options of the probe apply unless the check gives them.
 */
static int
apply_shared_section(const struct cfg *cfg, const struct probe *probe,
    struct args *args, const char *file, struct cfg_errors *errs)
{
	const struct cfg_section *shared = cfg_find(cfg, probe->name, NULL);
	char err[ARGS_ERROR_MAX];
	int rc = 0;

	for (size_t i = 0; shared != NULL && i < shared->count; i++) {
		const struct cfg_entry *e = &shared->entries[i];
		const struct option_spec *spec =
		    args_spec(probe->options, e->key);

		if (spec == NULL || args_given(args, e->key))
			continue;
		if (args_set(args, spec, e->value, err, sizeof(err)) != 0) {
			cfg_errors_add(errs, file, e->line, "%s", err);
			rc = -1;
		}
	}
	return rc;
}

static struct check *
build_check(const struct cfg *cfg, const struct cfg_section *sec,
    const struct args *global, const char *file, struct cfg_errors *errs)
{
	struct check *c = NULL;
	struct args own;
	const char *probe_name, *ts;
	bool ok = true;
	const struct option_spec *tables[4];

	args_init(&own, collector_check_options);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto oom;
	args_init(&c->args, NULL);
	c->name = strdup(sec->label);
	if (c->name == NULL)
		goto oom;
	if (cfg_section_pick(sec, collector_check_options, &own, file, errs) !=
	    0)
		ok = false;
	probe_name = args_string(&own, "probe");
	if (probe_name == NULL || *probe_name == '\0') {
		cfg_errors_add(errs, file, sec->line,
		    "[check %s] has no 'probe =' key", sec->label);
		ok = false;
	} else if ((c->probe = probe_find(probe_name)) == NULL) {
		cfg_errors_add(errs, file, entry_line(sec, "probe"),
		    "probe: unknown probe '%s'", probe_name);
		ok = false;
	}
	tables[0] = collector_check_options;
	tables[1] = c->probe ? c->probe->options : NULL;
	tables[2] = alerts_check_options;
	tables[3] = forecast_options_for(c->probe); /* disk checks only */
	if (c->probe != NULL) {
		if (cfg_section_unknown(sec, tables, 4, file, errs) != 0)
			ok = false;
		if (forecast_check_config(sec, c->probe, file, errs) != 0)
			ok = false;
		if (cfg_section_pick(
			sec, c->probe->options, &c->args, file, errs) != 0)
			ok = false;
		if (apply_shared_section(cfg, c->probe, &c->args, file, errs) !=
		    0)
			ok = false;
	}
	struct args al;
	if (cfg_section_pick(sec, alerts_check_options, &al, file, errs) != 0)
		ok = false;
	args_free(&al);
#define OWN_OR_GLOBAL_INT(key) \
	(args_given(&own, key) ? args_int(&own, key) : args_int(global, key))
	c->interval = (unsigned)OWN_OR_GLOBAL_INT("interval");
	/* du of big trees: hourly unless the check says otherwise */
	if (!args_given(&own, "interval") && c->probe != NULL &&
	    strcmp(c->probe->name, "dirsize") == 0)
		c->interval = 3600;
	c->retry_interval = (unsigned)OWN_OR_GLOBAL_INT("retry-interval");
	c->policy.max_attempts = (int)OWN_OR_GLOBAL_INT("retries");
#undef OWN_OR_GLOBAL_INT
	if (args_given(&own, "command")) {
		char err[256];

		if (c->probe != NULL && strcmp(c->probe->name, "exec") != 0) {
			cfg_errors_add(errs, file, entry_line(sec, "command"),
			    "command: probe '%s' takes no command",
			    c->probe->name);
			ok = false;
		} else if (collector_split_command(args_string(&own, "command"),
			       &c->args, err, sizeof(err)) != 0) {
			cfg_errors_add(errs, file, entry_line(sec, "command"),
			    "command: %s", err);
			ok = false;
		}
	} else if (c->probe != NULL && strcmp(c->probe->name, "exec") == 0) {
		cfg_errors_add(errs, file, sec->line,
		    "[check %s] needs 'command ='", sec->label);
		ok = false;
	}
	c->timeout = args_given(&own, "timeout")
	    ? args_double(&own, "timeout")
	    : args_double(global, "timeout");
	c->policy.flap_detection = args_given(&own, "flap-detection")
	    ? args_flag(&own, "flap-detection")
	    : args_flag(global, "flap-detection");
	c->policy.low_flap = args_given(&own, "low-flap-threshold")
	    ? args_double(&own, "low-flap-threshold")
	    : args_double(global, "low-flap-threshold");
	c->policy.high_flap = args_given(&own, "high-flap-threshold")
	    ? args_double(&own, "high-flap-threshold")
	    : args_double(global, "high-flap-threshold");
	if ((args_given(&own, "low-flap-threshold") ||
		args_given(&own, "high-flap-threshold")) &&
	    c->policy.low_flap > c->policy.high_flap) {
		cfg_errors_add(errs, file, sec->line,
		    "[check %s]: low-flap-threshold %g is above "
		    "high-flap-threshold %g",
		    sec->label, c->policy.low_flap, c->policy.high_flap);
		ok = false;
	}
	ts = args_given(&own, "timeout-state")
	    ? args_string(&own, "timeout-state")
	    : args_string(global, "timeout-state");
	if (parse_timeout_state(ts, &c->timeout_state) != 0) {
		/* a bad [global] value is reported once, by the caller */
		if (args_given(&own, "timeout-state")) {
			cfg_errors_add(errs, file,
			    entry_line(sec, "timeout-state"),
			    "timeout-state: '%s' is not critical or unknown",
			    ts);
			ok = false;
		}
		c->timeout_state = STATE_CRITICAL;
	}
	c->signature = check_signature(sec, global);
	if (c->signature == NULL)
		goto oom;
	check_state_init(&c->st);
	args_free(&own);
	if (!ok) {
		check_free(c);
		return NULL;
	}
	return c;
oom:
	cfg_errors_add(errs, file, sec->line, "out of memory");
	args_free(&own);
	check_free(c);
	return NULL;
}

static int
entry_line_global(const struct cfg *cfg, const char *key)
{
	const struct cfg_section *g = cfg_find(cfg, "global", NULL);

	return g == NULL ? 0 : entry_line(g, key);
}

static int
resolve_dir(const struct collector_conf *conf, const char *key, char *buf,
    size_t size, struct cfg_errors *errs)
{
	const char *v = args_string(&conf->global, key);

	if (v == NULL || *v == '\0' || cfg_path(conf->cfg, v, buf, size) != 0) {
		cfg_errors_add(errs, conf->cfg->name,
		    entry_line_global(conf->cfg, key),
		    "%s: path too long or empty", key);
		return -1;
	}
	return 0;
}

void
collector_conf_free(struct collector_conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; conf->checks != NULL && i < conf->count; i++)
		check_free(conf->checks[i]);
	free(conf->checks);
	args_free(&conf->global);
	cfg_free(conf->cfg);
	free(conf);
}

int
collector_conf_load(
    const char *path, struct collector_conf **out, struct cfg_errors *errs)
{
	return collector_conf_load_text(path, NULL, out, errs);
}

int
collector_conf_load_text(const char *path, const char *text_in,
    struct collector_conf **out, struct cfg_errors *errs)
{
	struct collector_conf *conf = NULL;
	const struct cfg_section *g;
	char *text = NULL;
	size_t before = cfg_errors_total(errs);
	enum probe_state ts;
	const char *v;
	size_t nchecks = 0;

	*out = NULL;
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL)
		return -1;
	args_init(&conf->global, collector_global_options);
	if (text_in != NULL) {
		(void)cfg_load_string(
		    text_in, path ? path : "<string>", &conf->cfg, errs);
	} else if (path == NULL) {
		text = collector_default_config();
		if (text == NULL)
			goto fail;
		(void)cfg_load_string(text, "<default>", &conf->cfg, errs);
	} else {
		(void)cfg_load_file(path, &conf->cfg, errs);
	}
	if (conf->cfg == NULL)
		goto fail;
	g = cfg_find(conf->cfg, "global", NULL);
	if (g != NULL) {
		const struct option_spec *const tables[] = {
			collector_global_options,
			alerts_global_options,
		};

		(void)cfg_section_unknown(g, tables, 2, conf->cfg->name, errs);
		(void)cfg_section_pick(g, collector_global_options,
		    &conf->global, conf->cfg->name, errs);
		/* alerts/ reads these itself; validated here to be reported
		 * with every other error. */
		struct args al;
		(void)cfg_section_pick(
		    g, alerts_global_options, &al, conf->cfg->name, errs);
		args_free(&al);
	}
	(void)alerts_config_check(conf->cfg, errs); /* [smtp] */
	g = cfg_find(conf->cfg, "nagios", NULL);
	if (g != NULL) {
		struct args na;

		(void)cfg_section_to_args(
		    g, passive_nagios_options, &na, conf->cfg->name, errs);
		args_free(&na);
	}
	(void)backup_config_check(conf->cfg, errs); /* [backup], [b2] */
	/* Without [backup], [b2] still feeds b2 checks: validate it here. */
	g = cfg_find(conf->cfg, "b2", NULL);
	if (g != NULL && cfg_find(conf->cfg, "backup", NULL) == NULL) {
		struct args b2;

		(void)cfg_section_to_args(
		    g, backup_b2_options, &b2, conf->cfg->name, errs);
		args_free(&b2);
	}
	if (parse_timeout_state(
		args_string(&conf->global, "timeout-state"), &ts) != 0)
		cfg_errors_add(errs, conf->cfg->name,
		    entry_line_global(conf->cfg, "timeout-state"),
		    "timeout-state: '%s' is not critical or unknown",
		    args_string(&conf->global, "timeout-state"));
	v = args_string(&conf->global, "log");
	if (strcmp(v, "stderr") == 0)
		conf->use_syslog = false;
	else if (strcmp(v, "syslog") == 0)
		conf->use_syslog = true;
	else
		cfg_errors_add(errs, conf->cfg->name,
		    entry_line_global(conf->cfg, "log"),
		    "log: '%s' is not stderr or syslog", v);
	if (args_double(&conf->global, "low-flap-threshold") >
	    args_double(&conf->global, "high-flap-threshold"))
		cfg_errors_add(errs, conf->cfg->name,
		    entry_line_global(conf->cfg, "low-flap-threshold"),
		    "low-flap-threshold %g is above high-flap-threshold %g",
		    args_double(&conf->global, "low-flap-threshold"),
		    args_double(&conf->global, "high-flap-threshold"));
	(void)resolve_dir(
	    conf, "rrd-dir", conf->rrd_dir, sizeof(conf->rrd_dir), errs);
	(void)resolve_dir(
	    conf, "graph-dir", conf->graph_dir, sizeof(conf->graph_dir), errs);
	if (resolve_dir(conf, "state-dir", conf->state_dir,
		sizeof(conf->state_dir), errs) == 0 &&
	    snprintf(conf->state_file, sizeof(conf->state_file),
		"%s/state.json",
		conf->state_dir) >= (int)sizeof(conf->state_file))
		cfg_errors_add(
		    errs, conf->cfg->name, 0, "state-dir: path too long");
	conf->rrdcached = args_string(&conf->global, "rrdcached");
	if (conf->rrdcached != NULL && *conf->rrdcached == '\0')
		conf->rrdcached = NULL;
	v = args_string(&conf->global, "hostname");
	if (v != NULL && *v != '\0')
		str_copy(conf->hostname, v, sizeof(conf->hostname));
	else if (gethostname(conf->hostname, sizeof(conf->hostname) - 1) != 0)
		str_copy(conf->hostname, "localhost", sizeof(conf->hostname));
	conf->graph_url = args_string(&conf->global, "graph-url");
	conf->graph_interval =
	    (unsigned)args_int(&conf->global, "graph-interval");
	conf->status_interval =
	    (unsigned)args_int(&conf->global, "status-interval");
	conf->state_interval =
	    (unsigned)args_int(&conf->global, "state-interval");
	conf->rrd_flush_interval =
	    (unsigned)args_int(&conf->global, "rrd-flush-interval");
	conf->concurrency = (int)args_int(&conf->global, "concurrency");

	for (size_t i = 0; i < conf->cfg->count; i++)
		if (strcmp(conf->cfg->sections[i].type, "check") == 0)
			nchecks++;
	conf->checks = calloc(nchecks + 1, sizeof(*conf->checks));
	if (conf->checks == NULL)
		goto fail;
	for (size_t i = 0; i < conf->cfg->count; i++) {
		const struct cfg_section *sec = &conf->cfg->sections[i];
		struct check *c;

		if (strcmp(sec->type, "check") != 0)
			continue;
		c = build_check(
		    conf->cfg, sec, &conf->global, conf->cfg->name, errs);
		if (c != NULL)
			conf->checks[conf->count++] = c;
	}
	if (nchecks == 0)
		cfg_errors_add(
		    errs, conf->cfg->name, 0, "no [check NAME] section");
	if (cfg_errors_total(errs) > before)
		goto fail;
	free(text);
	*out = conf;
	return 0;
fail:
	if (cfg_errors_total(errs) == before)
		cfg_errors_add(
		    errs, path ? path : "<default>", 0, "out of memory");
	free(text);
	collector_conf_free(conf);
	return -1;
}

/* Is a process with this comm running?  Scans /proc once per call. */
static bool
process_running(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		char path[300], comm[64];
		FILE *fp;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		if (fgets(comm, sizeof(comm), fp) != NULL) {
			comm[strcspn(comm, "\n")] = '\0';
			found = strcmp(comm, name) == 0;
		}
		fclose(fp);
	}
	closedir(d);
	return found;
}

char *
collector_default_config(void)
{
	static const char *const services[] = {
		"varnishd",
		"mariadbd",
		"mysqld",
		"apache2",
		"httpd",
		"nginx",
		NULL,
	};
	size_t size = 4096, len = 0;
	char *buf = malloc(size);

	if (buf == NULL)
		return NULL;
	buf[0] = '\0';
	str_appendf(buf, size, &len,
	    "# osemon's embedded default config: this machine.\n"
	    "[global]\n"
	    "interval = 60\n"
	    "rrd-dir = osemon-data/rrd\n"
	    "graph-dir = osemon-data/www\n"
	    "state-dir = osemon-data/state\n"
	    "\n[check disk]\nprobe = disk\n"
	    "\n[check memory]\nprobe = memory\n"
	    "\n[check load]\nprobe = load\n");
	for (size_t i = 0; services[i]; i++)
		if (process_running(services[i]))
			str_appendf(buf, size, &len,
			    "\n[check proc-%s]\nprobe = proc\nname = %s\n",
			    services[i], services[i]);
	return buf;
}
