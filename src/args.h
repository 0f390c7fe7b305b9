/*
 * Options as data.  Each probe declares a table of option_spec; the same
 * table drives getopt-style parsing in the plugin faces, the INI keys of a
 * [check] section in the collector, --help and the docs.  Values are
 * validated when they are stored, so every face reports the same errors.
 */
#ifndef OSEMON_ARGS_H
#define OSEMON_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "range.h"

enum option_type {
	OPT_FLAG = 0, /* no argument; "yes/no/true/false/1/0" in INI */
	OPT_STRING,
	OPT_INT, /* bounded by min/max */
	OPT_DOUBLE, /* bounded by min/max */
	OPT_RANGE, /* Nagios range */
	OPT_LIST, /* repeatable string; commas split in INI and argv */
	OPT_MULTI, /* repeatable string, taken whole (HTTP headers) */
};

struct option_spec {
	const char *name; /* long option and INI key, lower-case-dashed */
	char short_name; /* 0 when none */
	enum option_type type;
	const char *metavar; /* "PATH", "RANGE"... */
	const char *def; /* default as text, or NULL */
	double min, max; /* bounds for INT/DOUBLE (ignored when min > max) */
	const char *help;
};

#define ARGS_MAX 64
#define ARGS_ERROR_MAX 256

struct arg_value {
	const struct option_spec *spec;
	char *text; /* owned */
};

struct args {
	const struct option_spec *specs;
	size_t count;
	struct arg_value values[ARGS_MAX];
	char **rest; /* operands after "--" (exec), owned, NULL-ended */
	size_t rest_count;
};

void args_init(struct args *a, const struct option_spec *specs);
void args_free(struct args *a);
/* Find an option by long name or short letter; NULL when unknown. */
const struct option_spec *args_spec(
    const struct option_spec *specs, const char *name);
const struct option_spec *args_spec_short(
    const struct option_spec *specs, char short_name);
/* Validate and store one value (for lists, each comma-separated item).
 * On error writes a message naming the option and cause into err. */
int args_set(struct args *a, const struct option_spec *spec, const char *text,
    char *err, size_t errlen);
int args_add_rest(struct args *a, const char *word);

/* Accessors fall back to the spec's default; names must be in the table. */
bool args_flag(const struct args *a, const char *name);
const char *args_string(const struct args *a, const char *name);
long args_int(const struct args *a, const char *name);
double args_double(const struct args *a, const char *name);
/* Fills r (unset when neither given nor defaulted). */
void args_range(const struct args *a, const char *name, struct range *r);
/* Number of values of a list option, and the i-th. */
size_t args_list_count(const struct args *a, const char *name);
const char *args_list_item(const struct args *a, const char *name, size_t i);
bool args_given(const struct args *a, const char *name);

#endif
