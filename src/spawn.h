/*
 * Run an external program without a shell: fork, close every fd but the
 * pipes, exec, collect capped output, and kill its whole process group
 * when the deadline passes.
 */
#ifndef OSEMON_SPAWN_H
#define OSEMON_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct spawn_result {
	char *out; /* stdout, NUL-ended, at most out_cap bytes; owned */
	size_t out_len;
	bool out_truncated;
	char err_tail[1024]; /* last bytes of stderr */
	int exit_code; /* valid when exited */
	bool exited;
	int signal; /* valid when signalled */
	bool timed_out; /* killed at the deadline */
	int spawn_errno; /* exec failed (ENOENT...) */
};

struct spawn_opts {
	size_t out_cap; /* 0: 64 KiB */
	char *const *envp; /* NULL: inherit */
	const char *stdin_path; /* NULL: /dev/null */
};

/* argv[0] is searched in PATH when it has no '/'.  Returns 0 when the
 * program ran (whatever its status), -1 when it could not be started. */
int spawn_run(char *const argv[], double deadline,
    const struct spawn_opts *opts, struct spawn_result *res);
void spawn_result_free(struct spawn_result *res);

#endif
