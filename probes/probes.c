/*
 * The one table of probes, in three tiers so that a plugin run loads only
 * the libraries it needs: the light front (OSEMON_LIGHT) carries the probes
 * that need nothing beyond libc, osemon-probes (OSEMON_PROBES) adds the
 * network probes (libcurl, openssl, jansson, libmariadb), and osemon-full
 * carries them all, including probes that read the collector's config.
 */
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
#endif
#if !defined(OSEMON_LIGHT) && !defined(OSEMON_PROBES)
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
#endif
#if !defined(OSEMON_LIGHT) && !defined(OSEMON_PROBES)
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
