/*
 * The collector's configuration file: a generic INI model read with inih.
 *
 * Sections keep file order; [check NAME] gives type "check" and label
 * "NAME", every other header "[type]" gives a NULL label.  Repeated keys
 * stay as separate entries in order (a repeatable option may be repeated
 * or comma-listed).  Every section and entry remembers its line so that
 * every error names file:line.  Errors are collected, never printed here:
 * the caller reports all of them before exiting 1.
 *
 * Error message format (exact, tests compare them):
 *   FILE:LINE: CAUSE
 * e.g. "osemon.conf:12: unknown key 'colour' in [check web]".
 */
#ifndef OSEMON_CONFIG_H
#define OSEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "args.h"

#define CFG_ERRORS_MAX 200 /* further errors are counted, not kept */
#define CFG_ERROR_LEN 512
#define CFG_LINE_MAX 4096 /* longer lines are an error */

struct cfg_entry {
	char *key; /* lower-case-dashed, as written */
	char *value; /* trimmed; "" allowed */
	int line;
};

struct cfg_section {
	char *type; /* "global","smtp","b2","backup","nagios","check" */
	char *label; /* NAME of [check NAME], else NULL */
	int line;
	struct cfg_entry *entries;
	size_t count;
};

struct cfg {
	char *name; /* file name as given (or "<default>") */
	char *dir; /* folder that relative paths start from */
	struct cfg_section *sections;
	size_t count;
};

struct cfg_errors {
	char **msgs; /* "FILE:LINE: cause", owned */
	int *lines; /* LINE of each message, for sorting */
	size_t count; /* kept messages */
	size_t dropped; /* beyond CFG_ERRORS_MAX */
};

void cfg_errors_init(struct cfg_errors *errs);
void cfg_errors_free(struct cfg_errors *errs);
/* Add "FILE:LINE: cause" (line <= 0 gives "FILE: cause"). */
void cfg_errors_add(struct cfg_errors *errs, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Print every message, one a line, in line order (stable); returns the
 * number printed. */
size_t cfg_errors_print(const struct cfg_errors *errs, FILE *fp);
size_t cfg_errors_total(const struct cfg_errors *errs);

/*
 * Parse a file or a string into *out (caller frees with cfg_free).
 * Syntax errors (line without '=' outside a comment, bad section header,
 * unknown section type, [check] without a name, duplicate [check NAME] or
 * single section, too long line) go into errs.  Returns 0 when errs got
 * nothing, -1 otherwise (*out is still filled when the file could be read,
 * so the caller can go on validating and report everything).
 * For cfg_load_string, relative paths start from the current directory.
 */
int cfg_load_file(const char *path, struct cfg **out, struct cfg_errors *errs);
int cfg_load_string(const char *text, const char *name, struct cfg **out,
    struct cfg_errors *errs);
void cfg_free(struct cfg *cfg);

/* The first section of type (and label, when not NULL), or NULL. */
const struct cfg_section *cfg_find(
    const struct cfg *cfg, const char *type, const char *label);
/* The last value of key in the section, or NULL (sec may be NULL). */
const char *cfg_value(const struct cfg_section *sec, const char *key);

/*
 * Resolve a path value against the config file's folder (absolute values
 * are kept).  Returns 0, or -1 when it does not fit in size.
 */
int cfg_path(const struct cfg *cfg, const char *value, char *buf, size_t size);

/*
 * Validate every key of sec against specs and store the values in *out
 * (args_init'd here; the caller args_free's it even on error).  An unknown
 * key gives "FILE:LINE: unknown key 'KEY' in [TYPE]" (or "[check NAME]");
 * a bad value gives "FILE:LINE: KEY: CAUSE" where CAUSE is args_set's
 * message.  Returns 0, or -1 when an error was added.
 */
int cfg_section_to_args(const struct cfg_section *sec,
    const struct option_spec *specs, struct args *out, const char *file,
    struct cfg_errors *errs);

/*
 * The two halves of cfg_section_to_args, for sections whose keys belong to
 * several tables (a [check] section holds the collector's keys, the
 * probe's options and the alerts' keys): cfg_section_pick stores the keys
 * specs knows (bad values are errors) and ignores the others;
 * cfg_section_unknown reports every key that none of the n tables knows.
 */
int cfg_section_pick(const struct cfg_section *sec,
    const struct option_spec *specs, struct args *out, const char *file,
    struct cfg_errors *errs);
int cfg_section_unknown(const struct cfg_section *sec,
    const struct option_spec *const *tables, size_t n, const char *file,
    struct cfg_errors *errs);

/* "[global]" or "[check NAME]" for messages. */
void cfg_section_title(const struct cfg_section *sec, char *buf, size_t size);

#endif
