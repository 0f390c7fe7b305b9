/* libFuzzer: a Nagios plugin's stdout as the exec probe splits and parses it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "local_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_result res;
	char first[PROBE_MESSAGE_MAX], err[256];

	result_init(&res);
	(void)exec_output_parse((const char *)data, size, &res, first,
	    sizeof(first), err, sizeof(err));
	if (strlen(first) >= sizeof(first) ||
	    res.metric_count > PROBE_METRICS_MAX ||
	    res.long_len >= sizeof(res.long_output) ||
	    strchr(first, '\n') != NULL || strchr(first, '|') != NULL)
		__builtin_trap();
	return 0;
}
