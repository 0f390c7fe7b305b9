/*
 * The command file STATE_DIR/alerts.cmd: `osemon ack` and `osemon
 * downtime` append one line each (a single write(2) below PIPE_BUF with
 * O_APPEND, so concurrent writers never interleave); the collector renames
 * the file aside, applies every line and deletes it.  Lines, in the style
 * of Nagios' external commands:
 *
 *   [EPOCH] ACKNOWLEDGE;CHECK;STICKY(0|1);EXPIRE(epoch, 0 = never);TEXT
 *   [EPOCH] DOWNTIME;CHECK;START(epoch);END(epoch);TEXT
 *
 * TEXT is the rest of the line (it may hold ';').  CHECK holds no ';'.
 */
#ifndef OSEMON_COMMAND_H
#define OSEMON_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "notify.h"

#define ALERT_CMD_LINE_MAX 1024
#define ALERT_CMD_FILE_MAX (1u << 20)

enum alert_cmd_type {
	ALERT_CMD_ACK = 0,
	ALERT_CMD_DOWNTIME,
};

struct alert_cmd {
	enum alert_cmd_type type;
	time_t issued;
	char check[MAIL_CHECK_MAX];
	bool sticky;
	time_t expire;
	time_t start, end;
	char text[NOTIFY_TEXT_MAX];
};

/* Parse one line (without its '\n'); 0 or -1 with err. */
int alert_cmd_parse(const char *line, size_t len, struct alert_cmd *cmd,
    char *err, size_t errlen);
/* Format cmd as one '\n'-terminated line; 0 or -1 when it cannot be
 * represented (';' or control characters in CHECK, too long). */
int alert_cmd_format(const struct alert_cmd *cmd, char *buf, size_t size);

/*
 * A time for the CLI: "now", "+30m" / "+2h" / "+1d" / "+90" (seconds)
 * relative to now, an epoch ("1767225600"), or local "YYYY-MM-DD HH:MM"
 * (also with 'T' and ":SS").  0 or -1.
 */
int alert_parse_time(const char *text, time_t now, time_t *out);
/* "30", "30s", "5m", "2h", "1d" as seconds; 0 or -1. */
int alert_parse_duration(const char *text, long *out);

#endif
