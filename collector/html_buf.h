/*
 * A growable text buffer for the status pages, with HTML escaping.
 * A failed allocation latches: later appends do nothing and
 * html_buf_failed() reports it, so callers check once at the end.
 */
#ifndef OSEMON_HTML_BUF_H
#define OSEMON_HTML_BUF_H

#include <stdbool.h>
#include <stddef.h>

#define HTML_BUF_CAP (64UL * 1024 * 1024) /* a page never grows past */

struct html_buf {
	char *data; /* NUL-terminated; owned */
	size_t len, size;
	bool failed;
};

void html_buf_init(struct html_buf *b);
void html_buf_free(struct html_buf *b);
bool html_buf_failed(const struct html_buf *b);
void html_buf_append(struct html_buf *b, const char *s, size_t n);
void html_buf_puts(struct html_buf *b, const char *s);
void html_buf_printf(struct html_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s with & < > " ' escaped (text and attribute safe). */
void html_buf_escape(struct html_buf *b, const char *s);
/* Escape s into buf (truncating on a character boundary of the
 * escaped form); returns 0, or -1 when it was truncated. */
int html_escape(const char *s, char *buf, size_t size);

#endif
