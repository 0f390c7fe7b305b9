/* The one table of probes.  The light front carries only those that
 * need nothing beyond libc; osemon-full carries them all. */
#include <string.h>

#include "probe.h"

extern const struct probe probe_disk;
extern const struct probe probe_memory;
extern const struct probe probe_proc;
extern const struct probe probe_load;
extern const struct probe probe_exec;
extern const struct probe probe_dirsize;
#ifndef OSEMON_LIGHT
extern const struct probe probe_http;
extern const struct probe probe_varnish;
extern const struct probe probe_mysql;
extern const struct probe probe_b2;
extern const struct probe probe_backup;
#endif

const struct probe *const probe_table[] = {
	&probe_disk,
	&probe_memory,
	&probe_proc,
	&probe_load,
	&probe_exec,
	&probe_dirsize,
#ifndef OSEMON_LIGHT
	&probe_http,
	&probe_varnish,
	&probe_mysql,
	&probe_b2,
	&probe_backup,
#endif
	NULL,
};

const struct probe *
probe_find(const char *name)
{
	for (size_t i = 0; probe_table[i]; i++)
		if (strcmp(probe_table[i]->name, name) == 0)
			return probe_table[i];
	return NULL;
}
