/*
 * The commands of the multi-call binary: `osemon NAME ...`.  One table
 * (src/commands.c) lists them; main() dispatches on it.  The light front
 * (OSEMON_LIGHT) and osemon-probes (OSEMON_PROBES) have only `check` and
 * `munin` for their probes and hand everything else on with the same argv.
 */
#ifndef OSEMON_COMMANDS_H
#define OSEMON_COMMANDS_H

struct command {
	const char *name;
	const char *usage; /* e.g. "run [-c FILE] [--once]" */
	const char *summary;
	/* argv[0] is the command name itself; returns the process exit code. */
	int (*main)(int argc, char **argv);
};

extern const struct command command_table[]; /* NULL-name terminated */

int nagios_main(int argc, char **argv); /* osemon check PROBE ... */
int munin_main(
    int argc, char **argv); /* osemon munin PROBE [config|autoconf] */

/* Exec osemon-full with argv (NULL: main's argv); returns only on failure.
 * exec_probe_tier hands a probe this binary lacks to the next tier:
 * osemon -> osemon-probes -> osemon-full. */
int exec_full(char **argv);
int exec_probe_tier(void);

#endif
