/* Nagios performance data, formatted and parsed per the plugin guidelines. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "perfdata.h"
#include "util.h"

static const char *const valid_units[] = { "", "s", "ms", "us", "%", "B", "KB",
	"MB", "GB", "TB", "c", NULL };

int
perfdata_unit_valid(const char *unit)
{
	for (size_t i = 0; valid_units[i]; i++)
		if (strcmp(unit, valid_units[i]) == 0)
			return 1;
	return 0;
}

static int
label_needs_quotes(const char *label)
{
	for (const char *p = label; *p; p++)
		if (isspace((unsigned char)*p) || *p == '=' || *p == '\'' ||
		    *p == ';' || *p == '|')
			return 1;
	return 0;
}

size_t
perfdata_format(const struct metric *m, char *buf, size_t size)
{
	char value[64], min[64] = "", max[64] = "";
	char out[PERFDATA_ITEM_MAX * 2];
	size_t len = 0;

	if (label_needs_quotes(m->name)) {
		str_appendf(out, sizeof(out), &len, "'");
		for (const char *p = m->name; *p; p++) {
			if (*p == '\'')
				str_appendf(out, sizeof(out), &len, "''");
			else /* '|' would end the perfdata for Nagios */
				str_appendf(out, sizeof(out), &len, "%c",
				    (*p == '|' || *p == '\n' || *p == '\r')
					? '_'
					: *p);
		}
		str_appendf(out, sizeof(out), &len, "'");
	} else {
		str_appendf(out, sizeof(out), &len, "%s", m->name);
	}
	if (m->unknown || isnan(m->value))
		str_copy(value, "U", sizeof(value));
	else
		format_number(value, sizeof(value), m->value);
	if (m->has_min)
		format_number(min, sizeof(min), m->min);
	if (m->has_max)
		format_number(max, sizeof(max), m->max);
	str_appendf(out, sizeof(out), &len, "=%s%s;%s;%s;%s;%s", value,
	    m->unknown ? "" : m->unit, m->warn.set ? m->warn.text : "",
	    m->crit.set ? m->crit.text : "", min, max);
	/* Trailing empty fields may be dropped. */
	while (len > 0 && out[len - 1] == ';')
		out[--len] = '\0';
	return str_copy(buf, out, size);
}

/* Read a label at *p (quoted or not) into name; advances *p past '='. */
static int
parse_label(const char **p, char *name, size_t size, char *err, size_t errlen)
{
	const char *s = *p;
	size_t len = 0;

	if (*s == '\'') {
		s++;
		for (;;) {
			if (*s == '\0') {
				snprintf(
				    err, errlen, "unterminated quoted label");
				return -1;
			}
			if (*s == '\'' && s[1] == '\'') {
				s += 2;
				if (len + 1 < size)
					name[len++] = '\'';
				continue;
			}
			if (*s == '\'')
				break;
			if (len + 1 < size)
				name[len++] = *s;
			s++;
		}
		s++;
		if (*s != '=') {
			snprintf(err, errlen, "expected '=' after label");
			return -1;
		}
	} else {
		while (*s && *s != '=' && !isspace((unsigned char)*s)) {
			if (len + 1 < size)
				name[len++] = *s;
			s++;
		}
		if (*s != '=') {
			snprintf(err, errlen, "'%.*s' has no '='",
			    (int)(len > 40 ? 40 : len), name);
			return -1;
		}
	}
	name[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "empty label");
		return -1;
	}
	*p = s + 1;
	return 0;
}

/* Split "12.5MB" into number and unit; "U" is unknown; "1,5" is 1.5. */
static int
parse_value(const char *field, struct metric *m, char *err, size_t errlen)
{
	char num[64];
	size_t n = 0, i = 0;

	if (strcmp(field, "U") == 0) {
		m->unknown = true;
		m->value = NAN;
		return 0;
	}
	while (field[i] &&
	    (isdigit((unsigned char)field[i]) ||
		strchr("+-.,eE", field[i]) != NULL)) {
		/* an 'e' not followed by a digit or sign starts no exponent */
		if ((field[i] == 'e' || field[i] == 'E') &&
		    !(isdigit((unsigned char)field[i + 1]) ||
			field[i + 1] == '-' || field[i + 1] == '+'))
			break;
		if (n + 1 >= sizeof(num))
			break;
		num[n++] = field[i] == ',' ? '.' : field[i];
		i++;
	}
	num[n] = '\0';
	if (n == 0 || parse_double(num, &m->value) != 0) {
		snprintf(err, errlen, "'%s' is not a number", field);
		return -1;
	}
	if (strlen(field + i) >= sizeof(m->unit) ||
	    !perfdata_unit_valid(field + i)) {
		snprintf(err, errlen, "'%s' has an invalid unit", field);
		return -1;
	}
	str_copy(m->unit, field + i, sizeof(m->unit));
	return 0;
}

static int
parse_number_field(const char *field, bool *has, double *out, const char *what,
    char *err, size_t errlen)
{
	char num[64];
	size_t n = 0;

	if (*field == '\0')
		return 0;
	for (const char *p = field; *p && n + 1 < sizeof(num); p++)
		num[n++] = *p == ',' ? '.' : *p;
	num[n] = '\0';
	if (parse_double(num, out) != 0) {
		snprintf(err, errlen, "%s '%s' is not a number", what, field);
		return -1;
	}
	*has = true;
	return 0;
}

/* Parse "value;warn;crit;min;max" (item already split off). */
static int
parse_fields(char *rest, struct metric *m, char *err, size_t errlen)
{
	char *fields[5] = { NULL };
	size_t count = 0;
	char *p = rest;

	fields[count++] = p;
	while ((p = strchr(p, ';')) != NULL) {
		*p++ = '\0';
		if (count == 5) {
			snprintf(err, errlen, "too many ';' fields");
			return -1;
		}
		fields[count++] = p;
	}
	if (parse_value(fields[0], m, err, errlen) != 0)
		return -1;
	if (count > 1 && *fields[1] && range_parse(fields[1], &m->warn) != 0) {
		snprintf(err, errlen, "warning '%s': Range format incorrect",
		    fields[1]);
		return -1;
	}
	if (count > 2 && *fields[2] && range_parse(fields[2], &m->crit) != 0) {
		snprintf(err, errlen, "critical '%s': Range format incorrect",
		    fields[2]);
		return -1;
	}
	if (count > 3 &&
	    parse_number_field(
		fields[3], &m->has_min, &m->min, "min", err, errlen) != 0)
		return -1;
	if (count > 4 &&
	    parse_number_field(
		fields[4], &m->has_max, &m->max, "max", err, errlen) != 0)
		return -1;
	return 0;
}

int
perfdata_parse(const char *text, struct metric *out, size_t max, size_t *count,
    char *err, size_t errlen)
{
	const char *p = text;
	char field[PERFDATA_ITEM_MAX];
	char label_err[128];

	*count = 0;
	for (;;) {
		struct metric m;
		size_t len = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return 0;
		memset(&m, 0, sizeof(m));
		m.ds = DS_GAUGE;
		if (parse_label(&p, m.name, sizeof(m.name), label_err,
			sizeof(label_err)) != 0) {
			snprintf(err, errlen, "perfdata item %zu: %s",
			    *count + 1, label_err);
			return -1;
		}
		while (*p && !isspace((unsigned char)*p)) {
			if (len + 1 >= sizeof(field)) {
				snprintf(err, errlen,
				    "perfdata '%s': item too long", m.name);
				return -1;
			}
			field[len++] = *p++;
		}
		field[len] = '\0';
		if (parse_fields(field, &m, label_err, sizeof(label_err)) !=
		    0) {
			snprintf(err, errlen, "perfdata '%s': %s", m.name,
			    label_err);
			return -1;
		}
		if (strcmp(m.unit, "c") == 0)
			m.ds = DS_DERIVE;
		if (*count >= max) {
			snprintf(
			    err, errlen, "more than %zu perfdata items", max);
			return -1;
		}
		out[(*count)++] = m;
	}
}
