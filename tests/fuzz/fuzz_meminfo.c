/* libFuzzer: /proc/meminfo parsing (memory probe). */
#include <stddef.h>
#include <stdint.h>

#include "local_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meminfo mi;
	char err[128];

	if (meminfo_parse((const char *)data, size, &mi, err, sizeof(err)) ==
	    0) {
		/* What the probe relies on to compute used and percentages. */
		if (mi.v[MI_TOTAL] == 0 ||
		    mi.v[MI_AVAILABLE] > mi.v[MI_TOTAL] ||
		    mi.v[MI_SWAP_FREE] > mi.v[MI_SWAP_TOTAL])
			__builtin_trap();
	}
	return 0;
}
