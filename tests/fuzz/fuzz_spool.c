/* libFuzzer: the alert spool's outside text: a NAME.meta bookkeeping file
 * and the To:/Cc: headers of a NAME.eml mail (envelope recipients).  The
 * first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spool_meta m;
	static char rcpts[SMTP_RCPTS_MAX][SMTP_ADDR_MAX];
	const char *text = (const char *)data + 1;
	long n;

	if (size < 1 || size > SPOOL_META_MAX * 2)
		return 0;
	if (data[0] & 1) {
		memset(&m, 0, sizeof(m));
		if (spool_meta_parse(text, size - 1, &m) == 0) {
			if (m.nrcpts > SMTP_RCPTS_MAX ||
			    strlen(m.error) >= sizeof(m.error))
				__builtin_trap();
			for (size_t i = 0; i < m.nrcpts; i++)
				if (strlen(m.rcpts[i]) >= SMTP_ADDR_MAX)
					__builtin_trap();
		}
	} else {
		n = spool_rcpts_from_mail(
		    text, size - 1, rcpts, SMTP_RCPTS_MAX);
		if (n > SMTP_RCPTS_MAX)
			__builtin_trap();
		for (long i = 0; i < n; i++) {
			size_t l = strlen(rcpts[i]);

			if (l == 0 || l >= SMTP_ADDR_MAX ||
			    strpbrk(rcpts[i], "\r\n<>,") != NULL)
				__builtin_trap();
		}
	}
	return 0;
}
