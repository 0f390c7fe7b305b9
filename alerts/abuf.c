#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuf.h"

#define ABUF_DEFAULT_LIMIT (4u << 20)

void
abuf_init(struct abuf *b)
{
	memset(b, 0, sizeof(*b));
}

void
abuf_free(struct abuf *b)
{
	free(b->data);
	abuf_init(b);
}

static int
abuf_reserve(struct abuf *b, size_t more)
{
	size_t limit = b->limit ? b->limit : ABUF_DEFAULT_LIMIT;
	size_t want, ncap;
	char *p;

	if (b->failed)
		return -1;
	if (more > limit || b->len + more + 1 > limit) {
		b->failed = true;
		return -1;
	}
	want = b->len + more + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap *= 2;
	if (ncap > limit)
		ncap = limit;
	p = realloc(b->data, ncap);
	if (p == NULL) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
abuf_add(struct abuf *b, const char *data, size_t len)
{
	if (abuf_reserve(b, len) == -1)
		return;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
abuf_adds(struct abuf *b, const char *s)
{
	abuf_add(b, s, strlen(s));
}

void
abuf_addf(struct abuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (abuf_reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
abuf_take(struct abuf *b, size_t *len)
{
	char *p = NULL;

	if (!b->failed && b->data == NULL)
		abuf_reserve(b, 0);
	if (!b->failed) {
		p = b->data;
		if (len != NULL)
			*len = b->len;
		b->data = NULL;
	}
	abuf_free(b);
	return p;
}
