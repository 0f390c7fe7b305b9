/* libFuzzer: perfdata parsing, and format -> parse round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "perfdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metric m[16], back[1];
	char *text, err[256], buf[PERFDATA_ITEM_MAX];
	size_t n = 0, n2;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (perfdata_parse(text, m, 16, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++) {
			perfdata_format(&m[i], buf, sizeof(buf));
			/* what we print, we can read back */
			if (strlen(buf) + 1 < sizeof(buf) &&
			    perfdata_parse(
				buf, back, 1, &n2, err, sizeof(err)) != 0)
				__builtin_trap();
		}
	}
	free(text);
	return 0;
}
