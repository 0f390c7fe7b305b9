/*
 * libFuzzer: what passive results take from outside.  The first byte
 * picks the target: Icinga's answer to a POST (server input), or a
 * plugin's text as message and long output, formatted as a command-file
 * line and as an Icinga request body (invalid UTF-8, control characters,
 * huge text).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct probe fuzz_probe = { .name = "exec" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	char err[256], line[PASSIVE_LINE_MAX];
	struct probe_result *res;

	if (size < 1 || size > 16384)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1) {
		passive_icinga_answer(
		    text, data[0] & 2 ? 200 : 500, err, sizeof(err));
		if (strlen(err) >= sizeof(err))
			__builtin_trap();
		free(text);
		return 0;
	}
	res = calloc(1, sizeof(*res));
	if (res != NULL) {
		const char *nl = strchr(text, '\n');
		char *body;
		int n;

		result_init(res);
		result_set(res, (enum probe_state)(data[0] >> 1 & 3),
		    REASON_PLUGIN, "%.*s",
		    (int)(nl ? (size_t)(nl - text) : strlen(text)), text);
		if (nl != NULL)
			result_long(res, "%s", nl + 1);
		(void)result_metric(res, "m", 1, "", DS_GAUGE);
		n = passive_format(
		    line, sizeof(line), 1, text, "svc", &fuzz_probe, res);
		/* one line, newline-terminated, within PIPE_BUF */
		if (n > 0 &&
		    (line[n - 1] != '\n' ||
			strchr(line, '\n') != line + n - 1 ||
			(size_t)n >= sizeof(line)))
			__builtin_trap();
		body = passive_icinga_body(
		    text, "svc", "src", &fuzz_probe, res, 60);
		free(body);
		free(res);
	}
	free(text);
	return 0;
}
