/*
 * Nagios threshold ranges, exactly as the plugin guidelines and
 * monitoring-plugin-perl define them: [@]start:end, inclusive bounds,
 * "N" means 0:N, "~" is minus infinity, an omitted end is plus infinity.
 */
#ifndef OSEMON_RANGE_H
#define OSEMON_RANGE_H

#include <stdbool.h>

#define RANGE_TEXT_MAX 48

struct range {
	bool set;
	bool inside; /* '@': alert when start <= x <= end */
	double start; /* -INFINITY for '~' */
	double end; /* INFINITY when omitted */
	char text[RANGE_TEXT_MAX]; /* as given, for perfdata */
};

/* Parse text into r.  Returns 0, or -1 ("Range format incorrect") for
 * anything the Perl grammar rejects.  A trailing '%' is accepted. */
int range_parse(const char *text, struct range *r);
/* True when x alerts under r; an unset range never alerts. */
bool range_alerts(const struct range *r, double x);
/* Build a range "start:end" from numbers, for probes that derive one. */
void range_from_bounds(struct range *r, double start, double end);

#endif
