/*
 * osemon: one multi-call binary.  `osemon COMMAND ...`, or a symlink
 * named osemon_PROBE for munin.  Built three times (see probes/probes.c):
 * the light front links only libc, osemon-probes adds the network
 * libraries, osemon-full has everything; each hands what it lacks on.
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(OSEMON_LIGHT) || defined(OSEMON_PROBES)
#define OSEMON_TIER 1 /* a plugin tier: no command table */
#endif
#ifndef OSEMON_LIGHT
#include <curl/curl.h>
#endif

#include "commands.h"
#include "probe.h"
#include "util.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/lib/osemon"
#endif

static char **saved_argv;

/* Exec NAME from beside this binary, else from LIBEXECDIR. */
static int
exec_sibling(const char *name, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX];
	ssize_t n;

	if (argv == NULL)
		argv = saved_argv;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
		if (access(path, X_OK) == 0)
			execv(path, argv);
	}
	snprintf(path, sizeof(path), "%s/%s", LIBEXECDIR, name);
	execv(path, argv);
	fprintf(stderr, "osemon: cannot run %s (looked beside %s and in %s)\n",
	    name, n > 0 ? self : "osemon", LIBEXECDIR);
	return 3;
}

int
exec_full(char **argv)
{
	return exec_sibling("osemon-full", argv);
}

int
exec_probe_tier(void)
{
#ifdef OSEMON_LIGHT
	return exec_sibling("osemon-probes", NULL);
#else
	return exec_sibling("osemon-full", NULL);
#endif
}

#ifndef OSEMON_TIER
static void
usage(FILE *f)
{
	fprintf(f, "osemon %s: monitoring and alerting collector\n\n",
	    OSEMON_VERSION);
	fprintf(f, "Usage:\n");
	fprintf(f, "  osemon check PROBE [options]      Nagios plugin face\n");
	fprintf(
	    f, "  osemon munin PROBE [config|autoconf]  munin plugin face\n");
	for (size_t i = 0; command_table[i].name; i++)
		fprintf(f, "  osemon %-26s %s\n", command_table[i].usage,
		    command_table[i].summary);
	fprintf(f, "\nProbes:");
	for (size_t i = 0; probe_table[i]; i++)
		fprintf(f, " %s", probe_table[i]->name);
	fprintf(f, "\n");
}
#endif

static int
dispatch(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	/* munin's wildcard convention: osemon_disk [config|autoconf] */
	if (strncmp(base, "osemon_", 7) == 0) {
		static char munin_word[] = "munin";
		char *margv[4] = { munin_word, argv[0] + (base - argv[0]) + 7,
			argc > 1 ? argv[1] : NULL, NULL };

		return munin_main(argc > 1 ? 3 : 2, margv);
	}
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
#ifdef OSEMON_TIER
		return exec_full(argv); /* it knows every command and probe */
#else
		usage(stdout);
		return argc < 2 ? 3 : 0;
#endif
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("osemon %s\n", OSEMON_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0)
		return nagios_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "munin") == 0)
		return munin_main(argc - 1, argv + 1);
#ifdef OSEMON_TIER
	return exec_full(argv);
#else
	for (size_t i = 0; command_table[i].name; i++)
		if (strcmp(argv[1], command_table[i].name) == 0)
			return command_table[i].main(argc - 1, argv + 1);
	fprintf(stderr, "osemon: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
#endif
}

int
main(int argc, char **argv)
{
	int rc;

	saved_argv = argv;
	if (argc < 1)
		return 3;
	/* A closed pipe is an error to handle, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
#ifndef OSEMON_LIGHT
	curl_global_init(CURL_GLOBAL_DEFAULT);
#endif
	rc = dispatch(argc, argv);
	fflush(stdout);
#ifndef OSEMON_LIGHT
	curl_global_cleanup();
#endif
	return rc;
}
