/* libFuzzer: the backup result record parser (backup/record.c) on
 * arbitrary bytes; whatever it accepts must format and parse again to the
 * same record. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backup_record a, b;
	char err[256];
	char *text;

	if (size > BACKUP_RECORD_CAP)
		return 0;
	if (backup_record_parse(
		(const char *)data, size, &a, err, sizeof(err)) != 0)
		return 0;
	text = backup_record_format(&a);
	if (text == NULL)
		return 0;
	if (backup_record_parse(text, strlen(text), &b, err, sizeof(err)) !=
		0 ||
	    a.ok != b.ok || a.start != b.start || a.bytes != b.bytes ||
	    a.object_count != b.object_count ||
	    strcmp(a.failed_step, b.failed_step) != 0 ||
	    strcmp(a.error, b.error) != 0)
		abort();
	free(text);
	return 0;
}
