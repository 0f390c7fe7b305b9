/* libFuzzer: the alert command file STATE_DIR/alerts.cmd (`osemon ack`,
 * `osemon downtime` lines) and the CLI's time and duration parsers.  A
 * parsed command must format back into one line that parses the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_roundtrip(const struct alert_cmd *cmd)
{
	struct alert_cmd again;
	char line[ALERT_CMD_LINE_MAX * 2], err[256];
	size_t n;

	if (strlen(cmd->check) >= sizeof(cmd->check) ||
	    strlen(cmd->text) >= sizeof(cmd->text))
		__builtin_trap();
	if (alert_cmd_format(cmd, line, sizeof(line)) != 0)
		return;
	n = strlen(line);
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		__builtin_trap();
	memset(&again, 0, sizeof(again));
	if (alert_cmd_parse(line, n - 1, &again, err, sizeof(err)) != 0)
		return; /* e.g. text too long to round-trip: not a crash */
	if (again.type != cmd->type || strcmp(again.check, cmd->check) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert_cmd cmd;
	char *text = NULL, err[256];
	time_t t;
	long d;

	if (size > ALERT_CMD_LINE_MAX * 4)
		return 0;
	memset(&cmd, 0, sizeof(cmd));
	/* The line is not NUL-ended in the file buffer: pass it exactly. */
	if (alert_cmd_parse((const char *)data, size, &cmd, err, sizeof(err)) ==
	    0)
		check_roundtrip(&cmd);
	if (strlen(err) >= sizeof(err))
		__builtin_trap();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)alert_parse_time(text, (time_t)1767225600, &t);
	if (alert_parse_duration(text, &d) == 0 && d < 0)
		__builtin_trap();
	free(text);
	return 0;
}
