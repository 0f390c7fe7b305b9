/*
 * Nagios threshold ranges.  The grammar is monitoring-plugin-perl's:
 * ^@?(NUM|~)?(:(NUM)?)?$, with at least one digit or '~', and start <= end.
 * Upstream's C parser accepts "foo" as 0 and "1-10" as 1; we do not.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "range.h"
#include "util.h"

/* Parse a decimal number [+-]digits[.digits] of exactly len bytes. */
static int
parse_range_number(const char *s, size_t len, double *out)
{
	char buf[RANGE_TEXT_MAX];
	size_t i = 0;
	int digits = 0, dots = 0;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	if (s[0] == '-' || s[0] == '+')
		i++;
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && dots == 0)
			dots++;
		else
			return -1;
	}
	if (digits == 0)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return parse_double(buf, out);
}

int
range_parse(const char *text, struct range *r)
{
	struct range tmp = { .set = true, .start = 0, .end = INFINITY };
	const char *p = text, *colon;
	size_t len;

	if (text == NULL)
		return -1;
	len = strlen(text);
	if (len == 0 || len >= RANGE_TEXT_MAX)
		return -1;
	str_copy(tmp.text, text, sizeof(tmp.text));
	if (text[len - 1] == '%') /* "1:12%" is 1..12, as the C tests have it */
		len--;
	if (*p == '@') {
		tmp.inside = true;
		p++;
		len--;
	}
	if (len == 0)
		return -1;
	colon = memchr(p, ':', len);
	if (colon == NULL) {
		/* "N" alone is 0:N; "~" alone says nothing. */
		if (parse_range_number(p, len, &tmp.end) != 0)
			return -1;
	} else {
		size_t start_len = (size_t)(colon - p);
		size_t end_len = len - start_len - 1;

		if (start_len == 1 && p[0] == '~')
			tmp.start = -INFINITY;
		else if (start_len > 0 &&
		    parse_range_number(p, start_len, &tmp.start) != 0)
			return -1;
		if (end_len > 0 &&
		    parse_range_number(colon + 1, end_len, &tmp.end) != 0)
			return -1;
		/* ":" alone carries neither a digit nor '~'. */
		if (start_len == 0 && end_len == 0)
			return -1;
	}
	if (tmp.start > tmp.end)
		return -1;
	*r = tmp;
	return 0;
}

bool
range_alerts(const struct range *r, double x)
{
	bool inside;

	if (r == NULL || !r->set)
		return false;
	if (isnan(x))
		return false;
	inside = x >= r->start && x <= r->end;
	return r->inside ? inside : !inside;
}

void
range_from_bounds(struct range *r, double start, double end)
{
	char a[32] = "~", b[32] = "";

	memset(r, 0, sizeof(*r));
	r->set = true;
	r->start = start;
	r->end = end;
	if (!isinf(start))
		format_number(a, sizeof(a), start);
	if (!isinf(end))
		format_number(b, sizeof(b), end);
	if (start == 0 && !isinf(end))
		str_copy(r->text, b, sizeof(r->text));
	else
		snprintf(r->text, sizeof(r->text), "%s:%s", a, b);
}
