/* Growable text buffer and HTML escaping for the status pages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_buf.h"

void
html_buf_init(struct html_buf *b)
{
	b->data = NULL;
	b->len = b->size = 0;
	b->failed = false;
}

void
html_buf_free(struct html_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	html_buf_init(b);
}

bool
html_buf_failed(const struct html_buf *b)
{
	return b->failed;
}

static int
html_buf_reserve(struct html_buf *b, size_t n)
{
	size_t want;
	char *p;

	if (b->failed)
		return -1;
	if (n > HTML_BUF_CAP || b->len + n + 1 > HTML_BUF_CAP) {
		b->failed = true;
		return -1;
	}
	if (b->len + n + 1 <= b->size)
		return 0;
	want = b->size ? b->size : 4096;
	while (want < b->len + n + 1)
		want *= 2;
	if ((p = realloc(b->data, want)) == NULL) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->size = want;
	return 0;
}

void
html_buf_append(struct html_buf *b, const char *s, size_t n)
{
	if (html_buf_reserve(b, n) == -1)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
html_buf_puts(struct html_buf *b, const char *s)
{
	html_buf_append(b, s, strlen(s));
}

void
html_buf_printf(struct html_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || html_buf_reserve(b, (size_t)n) == -1) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *
html_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void
html_buf_escape(struct html_buf *b, const char *s)
{
	const char *start = s, *e;

	for (; *s != '\0'; s++) {
		if ((e = html_entity(*s)) == NULL)
			continue;
		html_buf_append(b, start, (size_t)(s - start));
		html_buf_puts(b, e);
		start = s + 1;
	}
	html_buf_append(b, start, (size_t)(s - start));
}

int
html_escape(const char *s, char *buf, size_t size)
{
	size_t len = 0, n;
	const char *e;
	char one[2] = { 0, 0 };

	if (size == 0)
		return -1;
	buf[0] = '\0';
	for (; *s != '\0'; s++) {
		if ((e = html_entity(*s)) == NULL) {
			one[0] = *s;
			e = one;
		}
		n = strlen(e);
		if (len + n >= size)
			return -1;
		memcpy(buf + len, e, n);
		len += n;
		buf[len] = '\0';
	}
	return 0;
}
