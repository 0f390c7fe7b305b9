/*
 * exec: run any Nagios plugin as a probe.  The command after "--" runs
 * without a shell through spawn_run (extra fds closed, own process group
 * killed at the deadline, output capped).  Its exit code gives the state,
 * its first line the message, and its perfdata (after '|' on the first
 * line and after the first '|' in the long lines, per the plugin API) the
 * metrics.  With --metric NAME, that value is judged again with -w/-c and
 * the worse state wins.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local_parse.h"
#include "perfdata.h"
#include "probe.h"
#include "spawn.h"
#include "util.h"

#define EXEC_PERFDATA_MAX (32 * 1024)

static const struct option_spec exec_options[] = {
	{ "metric", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "judge the plugin's perfdata value NAME with -w/-c" },
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when the --metric value is outside RANGE" },
	{ "critical", 'c', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when the --metric value is outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* What the plugin printed, split per the plugin API. */
struct exec_output {
	char first[PROBE_MESSAGE_MAX]; /* text of line 1 */
	char *perf; /* every perfdata part, space-joined */
	size_t perf_len;
	bool perf_truncated;
};

static void
exec_trim(const char *s, size_t len, const char **start, size_t *outlen)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 &&
	    (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	*start = s;
	*outlen = len;
}

static void
exec_add_perf(struct exec_output *o, const char *s, size_t len)
{
	const char *t;
	size_t tlen;

	exec_trim(s, len, &t, &tlen);
	if (tlen == 0)
		return;
	if (o->perf_len + tlen + 2 > EXEC_PERFDATA_MAX) {
		o->perf_truncated = true;
		return;
	}
	if (o->perf_len > 0)
		o->perf[o->perf_len++] = ' ';
	memcpy(o->perf + o->perf_len, s + (t - s), tlen);
	o->perf_len += tlen;
	o->perf[o->perf_len] = '\0';
}

/*
 * Split the plugin's stdout: line 1 is "TEXT | PERFDATA"; the next lines
 * are long text until one holds a '|', after which everything is perfdata.
 * Long text lines go to the result's long output.
 */
static void
exec_split(const char *out, size_t len, struct exec_output *o,
    struct probe_result *res)
{
	const char *p = out, *end = out + len, *eol, *bar, *t;
	size_t tlen;
	bool in_perf = false;
	int line = 0;

	for (; p < end; p = eol + 1, line++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (in_perf) {
			exec_add_perf(o, p, (size_t)(eol - p));
			continue;
		}
		bar = memchr(p, '|', (size_t)(eol - p));
		exec_trim(
		    p, (size_t)((bar != NULL ? bar : eol) - p), &t, &tlen);
		if (line == 0) {
			if (tlen >= sizeof(o->first))
				tlen = sizeof(o->first) - 1;
			memcpy(o->first, t, tlen);
			o->first[tlen] = '\0';
		} else if (tlen > 0 || bar == NULL) {
			result_long(res, "%.*s", (int)tlen, t);
		}
		if (bar != NULL) {
			exec_add_perf(o, bar + 1, (size_t)(eol - bar - 1));
			if (line > 0)
				in_perf = true;
		}
	}
}

int
exec_output_parse(const char *out, size_t len, struct probe_result *res,
    char *first, size_t firstsize, char *err, size_t errlen)
{
	struct exec_output o;
	size_t n = 0;
	int ret = -1;

	memset(&o, 0, sizeof(o));
	if (firstsize > 0)
		first[0] = '\0';
	o.perf = malloc(EXEC_PERFDATA_MAX);
	if (o.perf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	o.perf[0] = '\0';
	exec_split(out, len, &o, res);
	str_copy(first, o.first, firstsize);
	if (o.perf_truncated)
		result_long(res, "(perfdata beyond %d bytes ignored)",
		    EXEC_PERFDATA_MAX);
	if (perfdata_parse(o.perf, res->metrics + res->metric_count,
		PROBE_METRICS_MAX - res->metric_count, &n, err, errlen) == -1)
		goto out;
	res->metric_count += n;
	ret = 0;
out:
	free(o.perf);
	return ret;
}

static void
exec_judge_metric(
    const struct probe_run *run, struct probe_result *res, const char *name)
{
	struct metric *m = NULL;
	char value[32], text[PROBE_MESSAGE_MAX];
	size_t i;

	/* result_raise formats into res->message: work from a copy. */
	str_copy(text, res->message, sizeof(text));

	for (i = 0; i < res->metric_count; i++) {
		if (strcmp(res->metrics[i].name, name) == 0) {
			m = &res->metrics[i];
			break;
		}
	}
	if (m == NULL) {
		result_raise(res, STATE_UNKNOWN, REASON_NOT_FOUND,
		    "metric '%s' not in the plugin's perfdata; %s", name, text);
		return;
	}
	if (m->unknown) {
		result_raise(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "metric '%s' has no value (U); %s", name, text);
		return;
	}
	/* Our ranges replace the plugin's, in the perfdata too. */
	args_range(run->args, "warning", &m->warn);
	args_range(run->args, "critical", &m->crit);
	format_number(value, sizeof(value), m->value);
	if (range_alerts(&m->crit, m->value))
		result_raise(res, STATE_CRITICAL, REASON_THRESHOLD,
		    "%s (%s=%s%s outside critical range %s)", text, name, value,
		    m->unit, m->crit.text);
	else if (range_alerts(&m->warn, m->value))
		result_raise(res, STATE_WARNING, REASON_THRESHOLD,
		    "%s (%s=%s%s outside warning range %s)", text, name, value,
		    m->unit, m->warn.text);
}

static int
exec_run(const struct probe_run *run, struct probe_result *res)
{
	const struct args *a = run->args;
	const char *metric = args_string(a, "metric");
	struct spawn_result sr;
	char first[PROBE_MESSAGE_MAX], err[256];
	size_t len;
	int parsed;

	memset(&sr, 0, sizeof(sr));
	if (a->rest_count == 0 || a->rest == NULL || a->rest[0] == NULL) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "no command given (osemon check exec -- COMMAND ARGS...)");
		goto out;
	}
	if (metric == NULL &&
	    (args_given(a, "warning") || args_given(a, "critical"))) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "-w/-c need --metric NAME");
		goto out;
	}
	if (spawn_run(a->rest, run->deadline, NULL, &sr) == -1 ||
	    sr.spawn_errno != 0) {
		result_set(res, STATE_UNKNOWN, REASON_NOT_FOUND,
		    "cannot run %s: %s", a->rest[0],
		    strerror(sr.spawn_errno ? sr.spawn_errno : ENOEXEC));
		goto out;
	}
	if (sr.timed_out) {
		result_set(res, STATE_UNKNOWN, REASON_TIMEOUT,
		    "%s timed out and was killed", a->rest[0]);
		goto out;
	}
	if (!sr.exited) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "%s was killed by signal %d (%s)", a->rest[0], sr.signal,
		    strsignal(sr.signal));
		goto out;
	}
	/* A line cut by the output cap would be garbage: drop it. */
	len = strlen(sr.out);
	if (sr.out_truncated) {
		while (len > 0 && sr.out[len - 1] != '\n')
			len--;
		result_long(res, "(output truncated at %zu bytes)", sr.out_len);
	}
	parsed = exec_output_parse(
	    sr.out, len, res, first, sizeof(first), err, sizeof(err));
	if (sr.exit_code > 3) {
		res->metric_count = 0;
		result_set(res, STATE_UNKNOWN, REASON_STATUS,
		    "%s exited with status %d: %s", a->rest[0], sr.exit_code,
		    first[0] ? first : sr.err_tail);
		goto out;
	}
	if (parsed == -1) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "bad perfdata from %s: %s", a->rest[0], err);
		goto out;
	}
	result_set(res, (enum probe_state)sr.exit_code,
	    sr.exit_code == 0 ? REASON_NONE : REASON_PLUGIN, "%s",
	    first[0] ? first : "(no output)");
	if (first[0] == '\0' && sr.err_tail[0] != '\0')
		result_long(res, "stderr: %s", sr.err_tail);
	if (metric != NULL)
		exec_judge_metric(run, res, metric);
out:
	spawn_result_free(&sr);
	return 0;
}

const struct probe probe_exec = {
	.name = "exec",
	.summary = "run a Nagios plugin; keep its state, text and perfdata",
	.usage = "[--metric NAME [-w RANGE] [-c RANGE]] -- COMMAND [ARG]...",
	.options = exec_options,
	.munin = {
		.title = "Plugin metrics",
		.category = "other",
		.vlabel = "value",
		.args = NULL,
	},
	.run = exec_run,
};
