/* Options as data: store validated option values, read them back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "util.h"

void
args_init(struct args *a, const struct option_spec *specs)
{
	memset(a, 0, sizeof(*a));
	a->specs = specs;
}

void
args_free(struct args *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->count; i++)
		free(a->values[i].text);
	for (size_t i = 0; i < a->rest_count; i++)
		free(a->rest[i]);
	free(a->rest);
	a->count = 0;
	a->rest = NULL;
	a->rest_count = 0;
}

const struct option_spec *
args_spec(const struct option_spec *specs, const char *name)
{
	for (const struct option_spec *s = specs; s && s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

const struct option_spec *
args_spec_short(const struct option_spec *specs, char short_name)
{
	for (const struct option_spec *s = specs; s && s->name; s++)
		if (short_name != 0 && s->short_name == short_name)
			return s;
	return NULL;
}

static int
validate_value(
    const struct option_spec *spec, const char *text, char *err, size_t errlen)
{
	struct range r;
	double d;
	long l;
	bool bounded = spec->min <= spec->max;

	switch (spec->type) {
	case OPT_FLAG:
		if (strcmp(text, "yes") && strcmp(text, "no") &&
		    strcmp(text, "true") && strcmp(text, "false") &&
		    strcmp(text, "1") && strcmp(text, "0") &&
		    strcmp(text, "on") && strcmp(text, "off")) {
			snprintf(err, errlen, "--%s: '%s' is not yes or no",
			    spec->name, text);
			return -1;
		}
		return 0;
	case OPT_INT:
		if (parse_long(text, bounded ? (long)spec->min : -2147483647L,
			bounded ? (long)spec->max : 2147483647L, &l) != 0) {
			if (bounded)
				snprintf(err, errlen,
				    "--%s: '%s' is not a whole "
				    "number from %g to %g",
				    spec->name, text, spec->min, spec->max);
			else
				snprintf(err, errlen,
				    "--%s: '%s' is not a whole "
				    "number",
				    spec->name, text);
			return -1;
		}
		return 0;
	case OPT_DOUBLE:
		if (parse_double(text, &d) != 0 ||
		    (bounded && (d < spec->min || d > spec->max))) {
			if (bounded)
				snprintf(err, errlen,
				    "--%s: '%s' is not a number "
				    "from %g to %g",
				    spec->name, text, spec->min, spec->max);
			else
				snprintf(err, errlen,
				    "--%s: '%s' is not a number", spec->name,
				    text);
			return -1;
		}
		return 0;
	case OPT_RANGE:
		if (range_parse(text, &r) != 0) {
			snprintf(err, errlen,
			    "--%s: Range format incorrect: '%s'", spec->name,
			    text);
			return -1;
		}
		return 0;
	case OPT_STRING:
	case OPT_LIST:
	case OPT_MULTI:
		if (*text == '\0' && spec->type != OPT_STRING) {
			snprintf(err, errlen, "--%s: empty value", spec->name);
			return -1;
		}
		return 0;
	}
	return 0;
}

static int
args_store(struct args *a, const struct option_spec *spec, const char *text,
    char *err, size_t errlen)
{
	char *copy;

	if (validate_value(spec, text, err, errlen) != 0)
		return -1;
	if (spec->type != OPT_LIST && spec->type != OPT_MULTI) {
		/* A repeated single-valued option: the last one wins. */
		for (size_t i = 0; i < a->count; i++) {
			if (a->values[i].spec != spec)
				continue;
			copy = strdup(text);
			if (copy == NULL)
				goto nomem;
			free(a->values[i].text);
			a->values[i].text = copy;
			return 0;
		}
	}
	if (a->count >= ARGS_MAX) {
		snprintf(err, errlen, "--%s: too many options (at most %d)",
		    spec->name, ARGS_MAX);
		return -1;
	}
	copy = strdup(text);
	if (copy == NULL)
		goto nomem;
	a->values[a->count].spec = spec;
	a->values[a->count].text = copy;
	a->count++;
	return 0;
nomem:
	snprintf(err, errlen, "--%s: out of memory", spec->name);
	return -1;
}

int
args_set(struct args *a, const struct option_spec *spec, const char *text,
    char *err, size_t errlen)
{
	char item[1024];
	const char *p = text;

	if (spec->type != OPT_LIST)
		return args_store(a, spec, text, err, errlen);
	/* A list option may be repeated or comma-listed. */
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len >= sizeof(item)) {
			snprintf(
			    err, errlen, "--%s: value too long", spec->name);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (args_store(a, spec, item, err, errlen) != 0)
			return -1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

int
args_add_rest(struct args *a, const char *word)
{
	char **grown;
	char *copy;

	copy = strdup(word);
	if (copy == NULL)
		return -1;
	grown = realloc(a->rest, (a->rest_count + 2) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	a->rest = grown;
	a->rest[a->rest_count++] = copy;
	a->rest[a->rest_count] = NULL;
	return 0;
}

static const char *
args_first(const struct args *a, const char *name)
{
	const struct option_spec *spec = args_spec(a->specs, name);

	if (spec == NULL)
		return NULL;
	for (size_t i = 0; i < a->count; i++)
		if (a->values[i].spec == spec)
			return a->values[i].text;
	return spec->def;
}

bool
args_given(const struct args *a, const char *name)
{
	const struct option_spec *spec = args_spec(a->specs, name);

	for (size_t i = 0; spec && i < a->count; i++)
		if (a->values[i].spec == spec)
			return true;
	return false;
}

bool
args_flag(const struct args *a, const char *name)
{
	const char *v = args_first(a, name);

	if (v == NULL)
		return false;
	return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0 || strcmp(v, "on") == 0;
}

const char *
args_string(const struct args *a, const char *name)
{
	return args_first(a, name);
}

long
args_int(const struct args *a, const char *name)
{
	const char *v = args_first(a, name);
	long l = 0;

	if (v != NULL && parse_long(v, -2147483647L, 2147483647L, &l) != 0)
		l = 0;
	return l;
}

double
args_double(const struct args *a, const char *name)
{
	const char *v = args_first(a, name);
	double d = 0;

	if (v != NULL && parse_double(v, &d) != 0)
		d = 0;
	return d;
}

void
args_range(const struct args *a, const char *name, struct range *r)
{
	const char *v = args_first(a, name);

	memset(r, 0, sizeof(*r));
	if (v != NULL && range_parse(v, r) != 0)
		memset(r, 0, sizeof(*r));
}

size_t
args_list_count(const struct args *a, const char *name)
{
	const struct option_spec *spec = args_spec(a->specs, name);
	size_t n = 0;

	for (size_t i = 0; spec && i < a->count; i++)
		if (a->values[i].spec == spec)
			n++;
	if (n == 0 && spec && spec->def)
		n = 1;
	return n;
}

const char *
args_list_item(const struct args *a, const char *name, size_t idx)
{
	const struct option_spec *spec = args_spec(a->specs, name);
	size_t n = 0;

	for (size_t i = 0; spec && i < a->count; i++) {
		if (a->values[i].spec != spec)
			continue;
		if (n++ == idx)
			return a->values[i].text;
	}
	if (n == 0 && idx == 0 && spec)
		return spec->def;
	return NULL;
}
