/* Pieces of the Nagios and munin faces that tests and the collector reuse. */
#ifndef OSEMON_FACES_H
#define OSEMON_FACES_H

#include <stddef.h>

#include "probe.h"

#define FACE_DEFAULT_TIMEOUT 10.0

/*
 * Parse plugin-style arguments (argv[0] is the probe name) against the
 * probe's option table plus -t/--timeout and -v/--verbose.  -h and -V
 * set help/version.  Returns 0, or -1 with a message in err.
 */
struct face_opts {
	double timeout;
	int verbose;
	int help;
	int version;
};
int face_parse_argv(const struct probe *p, int argc, char **argv,
    struct args *args, struct face_opts *fo, char *err, size_t errlen);

/* Run a probe with a deadline timeout seconds from now. */
void face_run_probe(const struct probe *p, const struct args *args,
    double timeout, enum probe_face face, void **check_state,
    struct probe_result *res);

/* "DISK OK: text | perfdata\nlong lines...": the Nagios plugin output. */
size_t nagios_format(const struct probe *p, const struct probe_result *res,
    int verbose, char *buf, size_t size);

/* munin field names for every metric of res, unique, [a-zA-Z_][a-zA-Z0-9_]*,
 * at most 19 characters.  names must hold res->metric_count entries. */
#define MUNIN_FIELD_MAX 20
void munin_field_names(
    const struct probe_result *res, char (*names)[MUNIN_FIELD_MAX]);
/* A Nagios range as a munin warning/critical value ("min:max", ":max",
 * "min:"); returns -1 for ranges munin cannot express ('@'). */
int munin_range(const struct range *r, char *buf, size_t size);
size_t munin_format_config(const struct probe *p,
    const struct probe_result *res, char *buf, size_t size);
size_t munin_format_values(
    const struct probe_result *res, char *buf, size_t size);

#endif
