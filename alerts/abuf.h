/* A growable byte buffer for the alerts module; errors are sticky. */
#ifndef OSEMON_ABUF_H
#define OSEMON_ABUF_H

#include <stdbool.h>
#include <stddef.h>

struct abuf {
	char *data; /* NUL-terminated when not failed */
	size_t len;
	size_t cap;
	size_t limit; /* 0: 4 MiB */
	bool failed; /* allocation failed or limit reached */
};

void abuf_init(struct abuf *b);
void abuf_free(struct abuf *b);
void abuf_add(struct abuf *b, const char *data, size_t len);
void abuf_adds(struct abuf *b, const char *s);
void abuf_addf(struct abuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (NULL when failed); b is reset. */
char *abuf_take(struct abuf *b, size_t *len);

#endif
