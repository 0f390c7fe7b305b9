/*
 * Children of the backup pipeline (mariadb-dump, tar, gpg): fork/exec
 * without a shell, fds wired as given, every other fd closed, stderr kept
 * as a bounded tail, all children in one process group killed together
 * at the deadline.  The C equivalent of `set -o pipefail`: every child is
 * collected and its own status judged.
 */
#ifndef OSEMON_BPROC_H
#define OSEMON_BPROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "backup.h"

struct bproc {
	const char *name; /* "tar", "gpg"... for messages */
	pid_t pid; /* 0 when not started */
	int err_fd; /* read end of its stderr, -1 when closed */
	char tail[BACKUP_TAIL_MAX];
	size_t tail_len;
	bool done;
	int status; /* wait status, valid when done */
};

/*
 * Start argv with stdin in_fd and stdout out_fd (-1: /dev/null); extra_fd
 * (-1: none) becomes fd 3 in the child.  The child joins process group
 * *pgid (0: a new group whose id is stored in *pgid).  Returns 0 or -1
 * with err filled.
 */
int bproc_start(struct bproc *p, const char *name, char *const argv[],
    int in_fd, int out_fd, int extra_fd, pid_t *pgid, char *err, size_t errlen);
/* Read what the child wrote to stderr so far (non-blocking). */
void bproc_drain(struct bproc *p);
/* Wait for the child until deadline (or until the stop flag is set),
 * then kill the group (SIGTERM, SIGKILL) and wait.  Returns 0 when it
 * exited by itself. */
int bproc_wait(struct bproc *p, pid_t pgid, double deadline);
/* Collect the child if it has exited, without waiting; true when done. */
bool bproc_reap(struct bproc *p);
/* A flag (set by a SIGTERM handler) that makes bproc_wait stop waiting
 * and kill the group as at its deadline; NULL: none. */
void bproc_set_stop_flag(const volatile sig_atomic_t *flag);
/* Exit code, or -1 when killed by a signal or not done. */
int bproc_exit_code(const struct bproc *p);
/* "exited 2" / "killed by signal 9" into buf. */
void bproc_describe(const struct bproc *p, char *buf, size_t size);
/* The last line(s) of stderr, NUL-ended, trailing newlines trimmed. */
const char *bproc_tail(struct bproc *p);
void bproc_close(struct bproc *p);

#endif
