/* libFuzzer: varnishstat -j parsing (both layouts) and the raw u64 scan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varnish_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct varnish_stats *st;
	char err[256];
	const char *text = (const char *)data;
	uint64_t v;
	size_t i;

	if ((st = malloc(sizeof(*st))) == NULL)
		return 0;
	/* Not NUL-terminated on purpose: the parser must respect size. */
	if (varnish_stats_parse(text, size, st, err, sizeof(err)) == 0) {
		if (st->storage_count > VARNISH_STORAGE_MAX ||
		    st->backend_count > VARNISH_BACKEND_MAX)
			__builtin_trap();
		for (i = 0; i < VC_COUNT; i++)
			if (st->have[i] && !(st->counter[i] >= 0))
				__builtin_trap();
		for (i = 0; i < st->backend_count; i++)
			(void)varnish_backend_sick(&st->backend[i]);
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		__builtin_trap();
	}
	(void)varnish_raw_u64(text, size, "VBE.boot.default.happy", &v);
	(void)varnish_raw_u64(text, size, "a", &v);
	free(st);
	return 0;
}
