/*
 * load: the 1, 5 and 15 minute load averages from /proc/loadavg, also
 * divided by the number of online CPUs.  -w/-c take three ranges like
 * check_load ("-w 5,4,3"); one range applies to all three.  With -r the
 * ranges apply to the per-CPU values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

#define LOADAVG_CAP 4096

static const struct option_spec load_options[] = {
	{ "warning", 'w', OPT_STRING, "R1,R5,R15", NULL, 0, -1,
	    "WARNING ranges for the 1, 5 and 15 minute load (one range: all)" },
	{ "critical", 'c', OPT_STRING, "R1,R5,R15", NULL, 0, -1,
	    "CRITICAL ranges for the 1, 5 and 15 minute load" },
	{ "percpu", 'r', OPT_FLAG, NULL, NULL, 0, -1,
	    "apply the ranges to the load divided by the number of CPUs" },
	{ "loadavg", 0, OPT_STRING, "FILE", "/proc/loadavg", 0, -1,
	    "read FILE instead of /proc/loadavg (for tests)" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/*
 * Split "R1,R5,R15" (or one range for all three) into ranges.  Returns 0,
 * or -1 when the list or a range is malformed.
 */
static int
load_ranges(const char *text, struct range r[3])
{
	char item[RANGE_TEXT_MAX];
	const char *p = text, *comma;
	int n = 0;
	size_t len;

	memset(r, 0, 3 * sizeof(r[0]));
	if (text == NULL)
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 3 || len == 0 || len >= sizeof(item))
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (range_parse(item, &r[n]) == -1)
			return -1;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (n == 2)
		return -1;
	for (; n < 3; n++)
		r[n] = r[0];
	return 0;
}

/* "0.52 0.58 0.59 1/234 5678": the first three numbers. */
static int
load_parse(const char *text, double v[3])
{
	char word[32];
	const char *p = text, *start;
	int i;

	for (i = 0; i < 3; i++) {
		while (*p == ' ')
			p++;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\n')
			p++;
		if (p == start || (size_t)(p - start) >= sizeof(word))
			return -1;
		memcpy(word, start, (size_t)(p - start));
		word[p - start] = '\0';
		if (parse_double(word, &v[i]) == -1 || v[i] < 0)
			return -1;
	}
	return 0;
}

static int
load_run(const struct probe_run *run, struct probe_result *res)
{
	static const char *const names[3] = { "load1", "load5", "load15" };
	static const char *const cpu_names[3] = { "load1_per_cpu",
		"load5_per_cpu", "load15_per_cpu" };
	const char *path = args_string(run->args, "loadavg");
	int *fd = probe_fd_state(run), own_fd = -1;
	bool percpu = args_flag(run->args, "percpu");
	struct range warn[3], crit[3];
	char *text = NULL;
	size_t len = 0;
	double v[3];
	long cpus;
	int i;

	if (load_ranges(args_string(run->args, "warning"), warn) == -1 ||
	    load_ranges(args_string(run->args, "critical"), crit) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "Range format incorrect: -w/-c take RANGE or R1,R5,R15");
		goto out;
	}
	if (file_reread_capped(path, fd != NULL ? fd : &own_fd, LOADAVG_CAP,
		&text, &len) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_NOT_FOUND,
		    "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (load_parse(text, v) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "cannot parse %s", path);
		goto out;
	}
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	for (i = 0; i < 3; i++) {
		struct metric *m;

		if ((m = result_metric(res, names[i], v[i], "", DS_GAUGE)) !=
		    NULL) {
			m->has_min = true;
			m->min = 0;
			if (!percpu) {
				m->warn = warn[i];
				m->crit = crit[i];
			}
		}
	}
	for (i = 0; i < 3; i++) {
		struct metric *m;

		if ((m = result_metric(res, cpu_names[i], v[i] / (double)cpus,
			 "", DS_GAUGE)) != NULL) {
			m->has_min = true;
			m->min = 0;
			if (percpu) {
				m->warn = warn[i];
				m->crit = crit[i];
			}
		}
	}
	result_apply_thresholds(res);
	snprintf(res->message, sizeof(res->message),
	    "load average: %.2f, %.2f, %.2f (%ld CPU%s%s)", v[0], v[1], v[2],
	    cpus, cpus == 1 ? "" : "s", percpu ? ", ranges per CPU" : "");
out:
	if (own_fd >= 0)
		close(own_fd);
	free(text);
	return 0;
}

/* Reading /proc/loadavg cannot block; a file given for tests might. */
static bool
load_runs_inline(const struct args *args, void *state)
{
	(void)state;
	return !args_given(args, "loadavg");
}

const struct probe probe_load = {
	.name = "load",
	.summary = "1, 5 and 15 minute load average, total and per CPU",
	.usage = "[-r] [-w R1,R5,R15] [-c R1,R5,R15]",
	.options = load_options,
	.munin = {
		.title = "Load average",
		.category = "system",
		.vlabel = "load",
		.args = "-l 0",
	},
	.run = load_run,
	.state_free = probe_fd_free,
	.runs_inline = load_runs_inline,
};
