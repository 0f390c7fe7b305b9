/*
 * proc: count and summed resident memory of processes by name.  A process
 * matches NAME when its /proc/PID/comm or the basename of its argv[0] is
 * NAME (comm is cut at 15 characters, argv[0] is not).  One -n value may
 * list alternatives as "mariadbd|mysqld": they are counted together and
 * reported under the first name.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

#define PROC_GROUPS_MAX 32
#define PROC_NAME_MAX 64
#define PROC_FILE_CAP 4096

static const struct option_spec proc_options[] = {
	{ "name", 'n', OPT_LIST, "NAME", NULL, 0, -1,
	    "process name to look for (comma list; "
	    "\"a|b\" counts a and b together)" },
	{ "min-count", 0, OPT_INT, "N", "1", 0, 1000000,
	    "CRITICAL when fewer than N processes match a name" },
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when the summed RSS in bytes is outside RANGE" },
	{ "critical", 'c', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when the summed RSS in bytes is outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

struct proc_group {
	const char *spec; /* "a|b", borrowed from args */
	char label[PROC_NAME_MAX]; /* first alternative */
	long count;
	uint64_t rss;
};

/* Does name equal one of the '|'-separated alternatives of spec? */
static bool
proc_spec_matches(const char *spec, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = spec, *bar;

	if (nlen == 0)
		return false;
	for (;;) {
		bar = strchr(p, '|');
		if (bar == NULL)
			return strcmp(p, name) == 0;
		if ((size_t)(bar - p) == nlen && memcmp(p, name, nlen) == 0)
			return true;
		p = bar + 1;
	}
}

/* Read a small /proc file into buf (NUL-ended); returns its length or -1. */
static ssize_t
proc_read_small(const char *path, char *buf, size_t size)
{
	FILE *f = NULL;
	size_t n;

	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Resident pages: the second field of /proc/PID/statm. */
static int
proc_rss_pages(const char *pid, uint64_t *pages)
{
	char path[300], buf[256];
	const char *p;
	uint64_t v = 0;

	snprintf(path, sizeof(path), "/proc/%s/statm", pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = buf;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != ' ')
		return -1;
	p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pages = v;
	return 0;
}

/* comm and basename(argv[0]) of a process; either may come back empty. */
static void
proc_names(
    const char *pid, char *comm, size_t commsize, char *arg0, size_t arg0size)
{
	char path[300], buf[PROC_FILE_CAP];
	const char *base;
	ssize_t n;

	comm[0] = arg0[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	n = proc_read_small(
	    path, buf, commsize < sizeof(buf) ? commsize : sizeof(buf));
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		str_copy(comm, buf, commsize);
	}
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	/* argv[0] ends at the first NUL; the buffer is NUL-ended anyway. */
	if (proc_read_small(path, buf, sizeof(buf)) > 0) {
		base = strrchr(buf, '/');
		base = base != NULL ? base + 1 : buf;
		str_copy(arg0, base, arg0size);
	}
}

static bool
proc_is_pid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
proc_scan(struct proc_group *groups, size_t ngroups, char *err, size_t errlen)
{
	DIR *d = NULL;
	struct dirent *de;
	long page = sysconf(_SC_PAGESIZE);
	char self[32];
	size_t i;

	snprintf(self, sizeof(self), "%ld", (long)getpid());
	d = opendir("/proc");
	if (d == NULL) {
		snprintf(err, errlen, "cannot open /proc: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char comm[PROC_NAME_MAX], arg0[PROC_NAME_MAX];
		uint64_t pages = 0;
		bool rss_read = false;

		if (!proc_is_pid(de->d_name) || strcmp(de->d_name, self) == 0)
			continue;
		proc_names(de->d_name, comm, sizeof(comm), arg0, sizeof(arg0));
		for (i = 0; i < ngroups; i++) {
			if (!proc_spec_matches(groups[i].spec, comm) &&
			    !proc_spec_matches(groups[i].spec, arg0))
				continue;
			/* A process that exits now is simply not counted. */
			if (!rss_read) {
				if (proc_rss_pages(de->d_name, &pages) == -1)
					break;
				rss_read = true;
			}
			groups[i].count++;
			groups[i].rss +=
			    pages * (uint64_t)(page > 0 ? page : 4096);
		}
	}
	closedir(d);
	return 0;
}

static int
proc_run(const struct probe_run *run, struct probe_result *res)
{
	struct proc_group groups[PROC_GROUPS_MAX];
	size_t ngroups, i, len = 0;
	long min_count = args_int(run->args, "min-count");
	char msg[PROBE_MESSAGE_MAX], err[256];
	struct metric *m;

	ngroups = args_list_count(run->args, "name");
	if (ngroups == 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "no process name given (-n NAME)");
		return 0;
	}
	if (ngroups > PROC_GROUPS_MAX)
		ngroups = PROC_GROUPS_MAX;
	memset(groups, 0, sizeof(groups));
	for (i = 0; i < ngroups; i++) {
		const char *bar;

		groups[i].spec = args_list_item(run->args, "name", i);
		bar = strchr(groups[i].spec, '|');
		str_copy(groups[i].label, groups[i].spec,
		    bar != NULL &&
			    (size_t)(bar - groups[i].spec) <
				sizeof(groups[i].label)
			? (size_t)(bar - groups[i].spec) + 1
			: sizeof(groups[i].label));
	}
	if (proc_scan(groups, ngroups, err, sizeof(err)) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_INTERNAL, "%s", err);
		return 0;
	}
	msg[0] = '\0';
	for (i = 0; i < ngroups; i++) {
		char name[METRIC_NAME_MAX];

		snprintf(name, sizeof(name), "%s_count", groups[i].label);
		if ((m = result_metric(res, name, (double)groups[i].count, "",
			 DS_GAUGE)) != NULL) {
			m->has_min = true;
			m->min = 0;
		}
		snprintf(name, sizeof(name), "%s_rss", groups[i].label);
		if ((m = result_metric(res, name, (double)groups[i].rss, "B",
			 DS_GAUGE)) != NULL) {
			m->has_min = true;
			m->min = 0;
			if (groups[i].count > 0) {
				args_range(run->args, "warning", &m->warn);
				args_range(run->args, "critical", &m->crit);
			}
		}
		str_appendf(msg, sizeof(msg), &len,
		    "%s%s: %ld process%s, "
		    "%.1f MiB RSS",
		    i ? "; " : "", groups[i].spec, groups[i].count,
		    groups[i].count == 1 ? "" : "es",
		    (double)groups[i].rss / 1048576.0);
		if (groups[i].count < min_count)
			result_raise(
			    res, STATE_CRITICAL, REASON_NOT_FOUND, NULL);
	}
	result_apply_thresholds(res);
	/* Missing names first: they are what the reader must see. */
	if (res->reason == REASON_NOT_FOUND) {
		char missing[PROBE_MESSAGE_MAX];
		size_t mlen = 0;

		missing[0] = '\0';
		for (i = 0; i < ngroups; i++) {
			if (groups[i].count < min_count)
				str_appendf(missing, sizeof(missing), &mlen,
				    "%s%s", mlen ? ", " : "", groups[i].spec);
		}
		result_set(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "%s %s (want at least %ld each); %s",
		    min_count <= 1 ? "not running:" : "too few:", missing,
		    min_count, msg);
	} else {
		str_copy(res->message, msg, sizeof(res->message));
	}
	return 0;
}

const struct probe probe_proc = {
	.name = "proc",
	.summary = "count and resident memory of processes by name",
	.usage = "-n NAME[,NAME|ALT...]... [--min-count N] [-w RANGE] "
	    "[-c RANGE]",
	.options = proc_options,
	.munin = {
		.title = "Processes",
		.category = "processes",
		.vlabel = "bytes / count",
		.args = "--base 1024 -l 0",
	},
	.run = proc_run,
};
