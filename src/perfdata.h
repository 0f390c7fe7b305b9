/*
 * Nagios performance data: 'label'=value[UOM];warn;crit;min;max
 * Formatting always uses the C locale; parsing is strict and bounded.
 */
#ifndef OSEMON_PERFDATA_H
#define OSEMON_PERFDATA_H

#include <stddef.h>

#include "probe.h"

#define PERFDATA_ITEM_MAX 256

/* True for "", s, ms, us, %, B, KB, MB, GB, TB, c. */
int perfdata_unit_valid(const char *unit);
/* Format one metric; returns the length it needed (truncates like snprintf). */
size_t perfdata_format(const struct metric *m, char *buf, size_t size);
/*
 * Parse a perfdata string (the part after '|', possibly several lines
 * joined with spaces) into at most max metrics.  Returns 0, or -1 with a
 * message naming the offending item in err.
 */
int perfdata_parse(const char *text, struct metric *out, size_t max,
    size_t *count, char *err, size_t errlen);

#endif
