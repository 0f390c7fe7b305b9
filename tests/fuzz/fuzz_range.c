/* libFuzzer: Nagios range parsing and evaluation. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[128];
	struct range r;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (range_parse(text, &r) == 0) {
		/* A parsed range is ordered and evaluates without trouble. */
		if (r.start > r.end)
			__builtin_trap();
		(void)range_alerts(&r, 0);
		(void)range_alerts(&r, r.start);
		(void)range_alerts(&r, r.end);
	}
	return 0;
}
