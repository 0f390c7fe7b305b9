/* libFuzzer: the munin face's output for metrics whose names came from
 * outside (a Nagios plugin's perfdata through the exec probe): field names
 * must be valid, unique and not "root", and no label may inject a line. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "faces.h"
#include "local_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct probe probe_exec;

static void
check_lines(const char *buf, size_t len, size_t metrics, const char *suffix)
{
	size_t lines = 0;

	for (const char *p = buf; p < buf + len;) {
		const char *nl = memchr(p, '\n', (size_t)(buf + len - p));

		if (nl == NULL)
			__builtin_trap(); /* every line ends */
		if (suffix != NULL) {
			const char *dot = memchr(p, '.', (size_t)(nl - p));

			if (dot == NULL ||
			    strncmp(dot, suffix, strlen(suffix)) != 0)
				__builtin_trap();
			lines++;
		}
		for (const char *c = p; c < nl; c++)
			if (*c == '\r' || *c == '\0')
				__builtin_trap();
		p = nl + 1;
	}
	if (suffix != NULL && lines != metrics)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_result res;
	static char names[PROBE_METRICS_MAX][MUNIN_FIELD_MAX];
	static char buf[256 * 1024];
	char first[PROBE_MESSAGE_MAX], err[256];
	size_t len;

	if (size > 65536)
		return 0;
	result_init(&res);
	(void)exec_output_parse((const char *)data, size, &res, first,
	    sizeof(first), err, sizeof(err));
	munin_field_names(&res, names);
	for (size_t i = 0; i < res.metric_count; i++) {
		const char *n = names[i];

		if (n[0] == '\0' || strlen(n) >= MUNIN_FIELD_MAX ||
		    isdigit((unsigned char)n[0]) || strcmp(n, "root") == 0)
			__builtin_trap();
		for (const char *c = n; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_')
				__builtin_trap();
		for (size_t j = 0; j < i; j++)
			if (strcmp(n, names[j]) == 0)
				__builtin_trap();
	}
	len = munin_format_config(&probe_exec, &res, buf, sizeof(buf));
	if (len >= sizeof(buf))
		__builtin_trap();
	check_lines(buf, len, res.metric_count, NULL);
	len = munin_format_values(&res, buf, sizeof(buf));
	if (len >= sizeof(buf))
		__builtin_trap();
	check_lines(buf, len, res.metric_count, ".value ");
	return 0;
}
