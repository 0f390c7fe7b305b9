#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "util.h"

/* The next ';'-separated field of [p, end) into buf. */
static int
alert_cmd_field(const char **p, const char *end, char *buf, size_t size)
{
	const char *semi = memchr(*p, ';', (size_t)(end - *p));
	size_t n;

	if (semi == NULL)
		return -1;
	n = (size_t)(semi - *p);
	if (n >= size)
		return -1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = semi + 1;
	return 0;
}

static int
alert_cmd_epoch(const char *s, time_t *out)
{
	long v;

	if (parse_long(s, 0, 253402300799L, &v) != 0) /* year 9999 */
		return -1;
	*out = (time_t)v;
	return 0;
}

int
alert_cmd_parse(const char *line, size_t len, struct alert_cmd *cmd, char *err,
    size_t errlen)
{
	const char *p = line, *end = line + len, *rb;
	char word[32], a[32], b[32], num[32];

	memset(cmd, 0, sizeof(*cmd));
	if (len == 0 || len >= ALERT_CMD_LINE_MAX) {
		snprintf(err, errlen, "empty or too long line");
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			snprintf(err, errlen, "control character in line");
			return -1;
		}
	if (*p != '[' || (rb = memchr(p, ']', len)) == NULL ||
	    (size_t)(rb - p - 1) >= sizeof(num)) {
		snprintf(err, errlen, "line does not start with [EPOCH]");
		return -1;
	}
	memcpy(num, p + 1, (size_t)(rb - p - 1));
	num[rb - p - 1] = '\0';
	if (alert_cmd_epoch(num, &cmd->issued) != 0) {
		snprintf(err, errlen, "bad time '%s'", num);
		return -1;
	}
	p = rb + 1;
	if (p < end && *p == ' ')
		p++;
	if (alert_cmd_field(&p, end, word, sizeof(word)) != 0) {
		snprintf(err, errlen, "no command word");
		return -1;
	}
	if (strcmp(word, "ACKNOWLEDGE") == 0)
		cmd->type = ALERT_CMD_ACK;
	else if (strcmp(word, "DOWNTIME") == 0)
		cmd->type = ALERT_CMD_DOWNTIME;
	else {
		snprintf(err, errlen, "unknown command '%s'", word);
		return -1;
	}
	if (alert_cmd_field(&p, end, cmd->check, sizeof(cmd->check)) != 0 ||
	    cmd->check[0] == '\0' ||
	    alert_cmd_field(&p, end, a, sizeof(a)) != 0 ||
	    alert_cmd_field(&p, end, b, sizeof(b)) != 0) {
		snprintf(err, errlen, "%s: missing or too long fields", word);
		return -1;
	}
	if ((size_t)(end - p) >= sizeof(cmd->text)) {
		snprintf(err, errlen, "%s: text too long", word);
		return -1;
	}
	memcpy(cmd->text, p, (size_t)(end - p));
	cmd->text[end - p] = '\0';
	if (cmd->type == ALERT_CMD_ACK) {
		if (strcmp(a, "0") != 0 && strcmp(a, "1") != 0) {
			snprintf(err, errlen,
			    "ACKNOWLEDGE: sticky must be 0 "
			    "or 1");
			return -1;
		}
		cmd->sticky = a[0] == '1';
		if (alert_cmd_epoch(b, &cmd->expire) != 0) {
			snprintf(err, errlen, "ACKNOWLEDGE: bad expire time");
			return -1;
		}
	} else {
		if (alert_cmd_epoch(a, &cmd->start) != 0 ||
		    alert_cmd_epoch(b, &cmd->end) != 0) {
			snprintf(err, errlen, "DOWNTIME: bad start or end");
			return -1;
		}
		if (cmd->end <= cmd->start) {
			snprintf(err, errlen, "DOWNTIME: end before start");
			return -1;
		}
	}
	return 0;
}

int
alert_cmd_format(const struct alert_cmd *cmd, char *buf, size_t size)
{
	int n;

	if (cmd->check[0] == '\0' || strchr(cmd->check, ';') != NULL)
		return -1;
	for (const char *s = cmd->check; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return -1;
	for (const char *s = cmd->text; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return -1;
	if (cmd->type == ALERT_CMD_ACK)
		n = snprintf(buf, size, "[%lld] ACKNOWLEDGE;%s;%d;%lld;%s\n",
		    (long long)cmd->issued, cmd->check, cmd->sticky ? 1 : 0,
		    (long long)cmd->expire, cmd->text);
	else
		n = snprintf(buf, size, "[%lld] DOWNTIME;%s;%lld;%lld;%s\n",
		    (long long)cmd->issued, cmd->check, (long long)cmd->start,
		    (long long)cmd->end, cmd->text);
	if (n < 0 || (size_t)n >= size || (size_t)n >= ALERT_CMD_LINE_MAX)
		return -1;
	return 0;
}

int
alert_parse_duration(const char *text, long *out)
{
	char num[32];
	size_t n = strlen(text);
	long mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	str_copy(num, text, sizeof(num));
	switch (num[n - 1]) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		n++;
		break;
	}
	num[n - 1] = '\0';
	if (parse_long(num, 0, 100L * 365 * 86400 / mult, &v) != 0)
		return -1;
	*out = v * mult;
	return 0;
}

int
alert_parse_time(const char *text, time_t now, time_t *out)
{
	struct tm tm;
	const char *end;
	long v;

	if (strcmp(text, "now") == 0) {
		*out = now;
		return 0;
	}
	if (text[0] == '+') {
		if (alert_parse_duration(text + 1, &v) != 0)
			return -1;
		*out = now + v;
		return 0;
	}
	if (parse_long(text, 0, 253402300799L, &v) == 0) {
		*out = (time_t)v;
		return 0;
	}
	static const char *const formats[] = {
		"%Y-%m-%d %H:%M:%S",
		"%Y-%m-%dT%H:%M:%S",
		"%Y-%m-%d %H:%M",
		"%Y-%m-%dT%H:%M",
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, formats[i], &tm);
		if (end != NULL && *end == '\0') {
			tm.tm_isdst = -1;
			*out = mktime(&tm);
			return *out == (time_t)-1 ? -1 : 0;
		}
	}
	return -1;
}
