/*
 * Parsers of outside input used by the local probes (memory, exec),
 * exposed so that unit tests and fuzz targets can reach them
 * (tests/unit/local_parse_test.c, tests/fuzz/fuzz_meminfo.c,
 * tests/fuzz/fuzz_plugin_output.c).  Everything else in those probes is
 * static.
 */
#ifndef OSEMON_LOCAL_PARSE_H
#define OSEMON_LOCAL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

enum meminfo_key {
	MI_TOTAL = 0,
	MI_FREE,
	MI_AVAILABLE,
	MI_BUFFERS,
	MI_CACHED,
	MI_SWAP_TOTAL,
	MI_SWAP_FREE,
	MI_COUNT,
};

struct meminfo {
	uint64_t v[MI_COUNT]; /* bytes */
	bool have[MI_COUNT];
};

/*
 * Parse the text of /proc/meminfo (len bytes, need not be NUL-ended):
 * lines "Key:   123 kB".  Fills every value in bytes; MemAvailable is
 * estimated on old kernels; available <= total and swap free <= swap
 * total hold afterwards.  Returns 0, or -1 with a cause in err.
 */
int meminfo_parse(
    const char *text, size_t len, struct meminfo *mi, char *err, size_t errlen);

/*
 * Split a Nagios plugin's stdout (len bytes) per the plugin API: the text
 * of line 1 goes to first, the long text lines to res's long output, and
 * the perfdata (after '|' on line 1, and everything after the first '|' in
 * the long lines) is parsed into res's metrics.  Returns 0, or -1 with a
 * message in err when the perfdata is not valid.
 */
int exec_output_parse(const char *out, size_t len, struct probe_result *res,
    char *first, size_t firstsize, char *err, size_t errlen);

#endif
