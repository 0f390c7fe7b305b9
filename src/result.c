/* Filling a probe result: bounded, never fails, never prints. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

static const char *const state_names[] = {
	[STATE_OK] = "OK",
	[STATE_WARNING] = "WARNING",
	[STATE_CRITICAL] = "CRITICAL",
	[STATE_UNKNOWN] = "UNKNOWN",
};

static const char *const reason_names[] = {
	[REASON_NONE] = "none",
	[REASON_THRESHOLD] = "threshold",
	[REASON_NOT_FOUND] = "not-found",
	[REASON_TIMEOUT] = "timeout",
	[REASON_CONNECT] = "connect",
	[REASON_PROTOCOL] = "protocol",
	[REASON_TLS] = "tls",
	[REASON_STATUS] = "status",
	[REASON_CONTENT] = "content",
	[REASON_AUTH] = "auth",
	[REASON_PLUGIN] = "plugin",
	[REASON_BAD_OUTPUT] = "bad-output",
	[REASON_CONFIG] = "config",
	[REASON_INTERNAL] = "internal",
};

const char *
state_name(enum probe_state state)
{
	if ((unsigned)state > STATE_UNKNOWN)
		return "UNKNOWN";
	return state_names[state];
}

const char *
reason_name(enum probe_reason reason)
{
	if ((unsigned)reason >= sizeof(reason_names) / sizeof(reason_names[0]))
		return "internal";
	return reason_names[reason];
}

int
state_severity(enum probe_state state)
{
	switch (state) {
	case STATE_OK:
		return 0;
	case STATE_WARNING:
		return 1;
	case STATE_UNKNOWN:
		return 2;
	case STATE_CRITICAL:
		return 3;
	}
	return 2;
}

enum probe_state
state_worst(enum probe_state a, enum probe_state b)
{
	return state_severity(a) >= state_severity(b) ? a : b;
}

void
result_init(struct probe_result *res)
{
	res->state = STATE_OK;
	res->reason = REASON_NONE;
	res->message[0] = '\0';
	res->long_output[0] = '\0';
	res->long_len = 0;
	res->metric_count = 0;
}

static void
set_message(struct probe_result *res, const char *fmt, va_list ap)
{
	int n = vsnprintf(res->message, sizeof(res->message), fmt, ap);

	if (n >= (int)sizeof(res->message))
		memcpy(res->message + sizeof(res->message) - 4, "...", 4);
	/* One line only; '|' would start perfdata. */
	for (char *p = res->message; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '|')
			*p = *p == '|' ? '/' : ' ';
}

void
result_set(struct probe_result *res, enum probe_state state,
    enum probe_reason reason, const char *fmt, ...)
{
	va_list ap;

	res->state = state;
	res->reason = reason;
	va_start(ap, fmt);
	set_message(res, fmt, ap);
	va_end(ap);
}

void
result_raise(struct probe_result *res, enum probe_state state,
    enum probe_reason reason, const char *fmt, ...)
{
	va_list ap;

	if (state_severity(state) <= state_severity(res->state))
		return;
	res->state = state;
	res->reason = reason;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	set_message(res, fmt, ap);
	va_end(ap);
}

void
result_long(struct probe_result *res, const char *fmt, ...)
{
	va_list ap;
	size_t start = res->long_len;
	int n;

	if (res->long_len + 2 >= sizeof(res->long_output))
		return;
	va_start(ap, fmt);
	n = vsnprintf(res->long_output + res->long_len,
	    sizeof(res->long_output) - res->long_len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(res->long_output) - res->long_len - 1)
		res->long_len = sizeof(res->long_output) - 2;
	else
		res->long_len += (size_t)n;
	for (size_t i = start; i < res->long_len; i++)
		if (res->long_output[i] == '|' || res->long_output[i] == '\r')
			res->long_output[i] =
			    res->long_output[i] == '|' ? '/' : ' ';
	res->long_output[res->long_len++] = '\n';
	res->long_output[res->long_len] = '\0';
}

struct metric *
result_metric(struct probe_result *res, const char *name, double value,
    const char *unit, enum metric_ds ds)
{
	struct metric *m;

	if (res->metric_count >= PROBE_METRICS_MAX)
		return NULL;
	m = &res->metrics[res->metric_count++];
	memset(m, 0, sizeof(*m));
	str_copy(m->name, name, sizeof(m->name));
	str_copy(m->unit, unit ? unit : "", sizeof(m->unit));
	m->value = value;
	m->unknown = isnan(value);
	m->ds = ds;
	return m;
}

void
metric_name_for_path(
    char *buf, size_t size, const char *path, const char *suffix)
{
	size_t plen = strlen(path), room = size - strlen(suffix) - 2;
	size_t len = 0;

	buf[0] = '\0';
	if (plen > room)
		path += plen - room;
	str_appendf(buf, size, &len, "%s_%s", path, suffix);
}

void
result_apply_thresholds(struct probe_result *res)
{
	for (size_t i = 0; i < res->metric_count; i++) {
		const struct metric *m = &res->metrics[i];

		if (m->unknown)
			continue;
		if (range_alerts(&m->crit, m->value))
			result_raise(
			    res, STATE_CRITICAL, REASON_THRESHOLD, NULL);
		else if (range_alerts(&m->warn, m->value))
			result_raise(
			    res, STATE_WARNING, REASON_THRESHOLD, NULL);
	}
}

void
result_explain_thresholds(struct probe_result *res)
{
	char msg[PROBE_MESSAGE_MAX], num[32];
	size_t len = 0;

	if (res->reason != REASON_THRESHOLD)
		return;
	msg[0] = '\0';
	for (size_t i = 0; i < res->metric_count; i++) {
		const struct metric *m = &res->metrics[i];
		const struct range *r = NULL;
		const char *level = NULL;

		if (m->unknown)
			continue;
		if (range_alerts(&m->crit, m->value)) {
			r = &m->crit;
			level = "critical";
		} else if (range_alerts(&m->warn, m->value)) {
			r = &m->warn;
			level = "warning";
		}
		if (r == NULL)
			continue;
		format_number(num, sizeof(num), m->value);
		str_appendf(msg, sizeof(msg), &len, "%s %s%s outside %s (%s), ",
		    m->name, num, m->unit, r->text, level);
	}
	str_appendf(msg, sizeof(msg), &len, "%s", res->message);
	str_copy(res->message, msg, sizeof(res->message));
}

int *
probe_fd_state(const struct probe_run *run)
{
	if (run->face != FACE_COLLECTOR || run->check_state == NULL)
		return NULL;
	if (*run->check_state == NULL &&
	    (*run->check_state = malloc(sizeof(int))) != NULL)
		*(int *)*run->check_state = -1;
	return *run->check_state;
}

void
probe_fd_free(void *state)
{
	int *fd = state;

	if (fd != NULL && *fd >= 0)
		close(*fd);
	free(fd);
}
