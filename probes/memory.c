/*
 * memory: RAM and swap from /proc/meminfo.  Used RAM is MemTotal minus
 * MemAvailable (the kernel's estimate of what can be allocated without
 * swapping), not MemTotal minus MemFree, which counts the page cache as
 * used.  A machine without swap is normal and reports swap used 0 %.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local_parse.h"
#include "probe.h"
#include "util.h"

#define MEMINFO_CAP (64 * 1024)

static const struct option_spec memory_options[] = {
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when RAM used % (from MemAvailable) is outside RANGE" },
	{ "critical", 'c', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when RAM used % is outside RANGE" },
	{ "swap-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when swap used % is outside RANGE" },
	{ "swap-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when swap used % is outside RANGE" },
	{ "meminfo", 0, OPT_STRING, "FILE", "/proc/meminfo", 0, -1,
	    "read FILE instead of /proc/meminfo (for tests)" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static const char *const meminfo_names[MI_COUNT] = {
	"MemTotal",
	"MemFree",
	"MemAvailable",
	"Buffers",
	"Cached",
	"SwapTotal",
	"SwapFree",
};

/*
 * Parse the text of /proc/meminfo: lines "Key:   123 kB" (or without a
 * unit).  Unknown keys are ignored; a line we need that does not parse is
 * an error.  Returns 0, or -1 with err filled.
 */
int
meminfo_parse(
    const char *text, size_t len, struct meminfo *mi, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *eol;
	size_t k;

	memset(mi, 0, sizeof(*mi));
	for (; p < end; p = eol + 1) {
		const char *colon, *q;
		size_t keylen;
		uint64_t v = 0;
		int digits = 0;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			continue;
		keylen = (size_t)(colon - p);
		for (k = 0; k < MI_COUNT; k++) {
			if (strlen(meminfo_names[k]) == keylen &&
			    memcmp(meminfo_names[k], p, keylen) == 0)
				break;
		}
		if (k == MI_COUNT)
			continue;
		q = colon + 1;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		for (; q < eol && *q >= '0' && *q <= '9'; q++, digits++) {
			if (v > (UINT64_MAX - 9) / 10)
				goto bad;
			v = v * 10 + (uint64_t)(*q - '0');
		}
		if (digits == 0)
			goto bad;
		while (q < eol && *q == ' ')
			q++;
		if (eol - q == 2 && memcmp(q, "kB", 2) == 0) {
			if (v > UINT64_MAX / 1024)
				goto bad;
			v *= 1024;
		} else if (q != eol) {
			goto bad;
		}
		mi->v[k] = v;
		mi->have[k] = true;
		continue;
	bad:
		snprintf(err, errlen, "bad %s line", meminfo_names[k]);
		return -1;
	}
	if (!mi->have[MI_TOTAL] || mi->v[MI_TOTAL] == 0) {
		snprintf(err, errlen, "no MemTotal");
		return -1;
	}
	if (!mi->have[MI_AVAILABLE]) {
		/* Kernels before 3.14: the usual estimate. */
		if (!mi->have[MI_FREE]) {
			snprintf(err, errlen, "no MemAvailable nor MemFree");
			return -1;
		}
		mi->v[MI_AVAILABLE] =
		    mi->v[MI_FREE] + mi->v[MI_BUFFERS] + mi->v[MI_CACHED];
	}
	if (mi->v[MI_AVAILABLE] > mi->v[MI_TOTAL])
		mi->v[MI_AVAILABLE] = mi->v[MI_TOTAL];
	if (mi->v[MI_SWAP_FREE] > mi->v[MI_SWAP_TOTAL])
		mi->v[MI_SWAP_FREE] = mi->v[MI_SWAP_TOTAL];
	return 0;
}

static struct metric *
memory_bytes(
    struct probe_result *res, const char *name, uint64_t v, uint64_t max)
{
	struct metric *m;

	m = result_metric(res, name, (double)v, "B", DS_GAUGE);
	if (m != NULL) {
		m->has_min = true;
		m->min = 0;
		if (max > 0) {
			m->has_max = true;
			m->max = (double)max;
		}
	}
	return m;
}

static struct metric *
memory_pct(struct probe_result *res, const char *name, double v)
{
	struct metric *m;

	m = result_metric(res, name, v, "%", DS_GAUGE);
	if (m != NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = 100;
	}
	return m;
}

static int
memory_run(const struct probe_run *run, struct probe_result *res)
{
	const char *path = args_string(run->args, "meminfo");
	int *fd = probe_fd_state(run), own_fd = -1;
	char *text = NULL, err[128];
	size_t len = 0;
	struct meminfo mi;
	uint64_t used, swap_used;
	double pct, swap_pct;
	struct metric *m;

	if (file_reread_capped(path, fd != NULL ? fd : &own_fd, MEMINFO_CAP,
		&text, &len) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_NOT_FOUND,
		    "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (meminfo_parse(text, len, &mi, err, sizeof(err)) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "cannot parse %s: %s", path, err);
		goto out;
	}
	used = mi.v[MI_TOTAL] - mi.v[MI_AVAILABLE];
	swap_used = mi.v[MI_SWAP_TOTAL] - mi.v[MI_SWAP_FREE];
	pct = (double)used * 100.0 / (double)mi.v[MI_TOTAL];
	swap_pct = mi.v[MI_SWAP_TOTAL] > 0
	    ? (double)swap_used * 100.0 / (double)mi.v[MI_SWAP_TOTAL]
	    : 0;

	memory_bytes(res, "total", mi.v[MI_TOTAL], 0);
	memory_bytes(res, "available", mi.v[MI_AVAILABLE], mi.v[MI_TOTAL]);
	memory_bytes(res, "used", used, mi.v[MI_TOTAL]);
	memory_bytes(res, "buffers", mi.v[MI_BUFFERS], mi.v[MI_TOTAL]);
	memory_bytes(res, "cached", mi.v[MI_CACHED], mi.v[MI_TOTAL]);
	memory_bytes(res, "swap_total", mi.v[MI_SWAP_TOTAL], 0);
	memory_bytes(res, "swap_used", swap_used, mi.v[MI_SWAP_TOTAL]);
	if ((m = memory_pct(res, "used_pct", pct)) != NULL) {
		args_range(run->args, "warning", &m->warn);
		args_range(run->args, "critical", &m->crit);
	}
	if ((m = memory_pct(res, "swap_used_pct", swap_pct)) != NULL) {
		args_range(run->args, "swap-warning", &m->warn);
		args_range(run->args, "swap-critical", &m->crit);
	}
	result_apply_thresholds(res);
	if (mi.v[MI_SWAP_TOTAL] > 0)
		snprintf(res->message, sizeof(res->message),
		    "RAM %.1f%% used (%.0f of %.0f MiB), swap %.1f%% used "
		    "(%.0f of %.0f MiB)",
		    pct, (double)used / 1048576.0,
		    (double)mi.v[MI_TOTAL] / 1048576.0, swap_pct,
		    (double)swap_used / 1048576.0,
		    (double)mi.v[MI_SWAP_TOTAL] / 1048576.0);
	else
		snprintf(res->message, sizeof(res->message),
		    "RAM %.1f%% used (%.0f of %.0f MiB), no swap", pct,
		    (double)used / 1048576.0,
		    (double)mi.v[MI_TOTAL] / 1048576.0);
out:
	if (own_fd >= 0)
		close(own_fd);
	free(text);
	return 0;
}

/* Reading /proc/meminfo cannot block; a file given for tests might. */
static bool
memory_runs_inline(const struct args *args, void *state)
{
	(void)state;
	return !args_given(args, "meminfo");
}

const struct probe probe_memory = {
	.name = "memory",
	.summary = "RAM used (from MemAvailable) and swap used",
	.usage = "[-w RANGE] [-c RANGE] [--swap-warning RANGE] "
	    "[--swap-critical RANGE]",
	.options = memory_options,
	.munin = {
		.title = "Memory usage",
		.category = "system",
		.vlabel = "bytes / %",
		.args = "--base 1024 -l 0",
	},
	.run = memory_run,
	.state_free = probe_fd_free,
	.runs_inline = memory_runs_inline,
};
