/* libFuzzer: B2 JSON answers (authorize v2/v3/v4, listings, file objects,
 * error bodies), Retry-After and the file-name percent-encoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_file(const struct b2_file *f, void *arg)
{
	(void)arg;
	if (strlen(f->name) > B2_NAME_MAX || f->size < 0 ||
	    strlen(f->action) >= sizeof(f->action))
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct b2_auth *a = NULL;
	struct b2_file *f = NULL;
	char next[B2_NAME_MAX + 1], next_id[B2_ID_MAX], err[256];
	char code[64], msg[256], *copy = NULL, *enc = NULL;
	size_t enc_size;

	a = malloc(sizeof(*a));
	f = malloc(sizeof(*f));
	if (a == NULL || f == NULL)
		goto out;
	/* Not NUL-terminated on purpose: the parsers must respect size. */
	if (b2_parse_authorize((const char *)data, size, a, err, sizeof(err)) ==
	    0) {
		if (a->token[0] == '\0' || a->minimum_part_size < 1 ||
		    a->recommended_part_size < a->minimum_part_size)
			__builtin_trap();
	}
	(void)b2_parse_list((const char *)data, size, check_file, NULL, next,
	    sizeof(next), next_id, sizeof(next_id), err, sizeof(err));
	if (b2_parse_file((const char *)data, size, f, err, sizeof(err)) == 0)
		(void)check_file(f, NULL);
	b2_parse_error(
	    (const char *)data, size, code, sizeof(code), msg, sizeof(msg));
	/* NUL-terminated copies for the string helpers */
	copy = malloc(size + 1);
	if (copy == NULL)
		goto out;
	memcpy(copy, data, size);
	copy[size] = '\0';
	(void)b2_parse_retry_after(copy);
	enc_size = 3 * strlen(copy) + 1;
	enc = malloc(enc_size);
	if (enc == NULL)
		goto out;
	if (b2_percent_encode(copy, enc, enc_size) != 0)
		__builtin_trap(); /* 3x always fits */
	if (strlen(copy) > 0 && b2_percent_encode(copy, enc, strlen(copy)) == 0)
		__builtin_trap(); /* and n bytes never hold n + NUL */
out:
	free(enc);
	free(copy);
	free(f);
	free(a);
	return 0;
}
