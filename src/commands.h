/*
 * The commands of the multi-call binary: `osemon NAME ...`.  One table
 * (src/commands.c) lists them; main() dispatches on it.  The light front
 * (built with OSEMON_LIGHT) has only `check` and `munin` for light probes
 * and hands everything else to osemon-full with the same argv.
 */
#ifndef OSEMON_COMMANDS_H
#define OSEMON_COMMANDS_H

struct command {
	const char *name;
	const char *usage;	/* e.g. "run [-c FILE] [--once]" */
	const char *summary;
	/* argv[0] is the command name itself; returns the process exit code. */
	int (*main)(int argc, char **argv);
};

extern const struct command command_table[];	/* NULL-name terminated */

int nagios_main(int argc, char **argv);	/* osemon check PROBE ... */
int munin_main(int argc, char **argv);	/* osemon munin PROBE [config|autoconf] */

/* Exec osemon-full with argv (light front only); returns only on failure. */
int exec_full(char **argv);

#endif
