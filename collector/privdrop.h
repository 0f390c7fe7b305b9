/*
 * Dropping root: [global] user = NAME.
 *
 * Started as root, the collector creates its folders (state-dir, rrd-dir,
 * graph-dir) and gives the ones it created to NAME (and, in folders NAME
 * already owns, the entries root left there), forks the backup helper when
 * a [backup] section exists, then drops to NAME (initgroups, setgid,
 * setuid) and checks that it cannot become root again, all before any
 * check runs or any thread starts.
 *
 * The backup helper is the one process that keeps root.  It only starts
 * `osemon-full backup run -c CONFIG` or `osemon-full backup verify -c
 * CONFIG` (CONFIG fixed when it was forked; at most one of each at a time)
 * on request over a socketpair, signals such a child's process group
 * (SIGTERM or SIGKILL only) and reports its exit; it accepts nothing else
 * and exits when the collector closes the socket.
 */
#ifndef OSEMON_PRIVDROP_H
#define OSEMON_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime.h"

/*
 * Apply [global] user (nothing when unset).  Returns 0, or -1 after
 * logging why (unknown user, not root, a folder NAME cannot write, a
 * failed or reversible drop): the collector must not start then.
 */
int privdrop_apply(
    const struct collector_conf *conf, const char *config_path, bool once);
/* After a reload: warn when user = changed (it takes a restart). */
void privdrop_reload_check(const struct collector_conf *conf);
/* Whether this process dropped root (backups then go through the
 * helper). */
bool privdrop_dropped(void);

/* The collector's side of the helper (backup/job.c).  Start `backup
 * CMD` (CMD "run" or "verify"): 0 with *pid, or -1 with err. */
int privdrop_backup_start(
    const char *cmd, pid_t *pid, char *err, size_t errlen);
/* Like waitpid(pid, status, WNOHANG): pid when it exited (status set),
 * 0 while it runs, -1 with errno ECHILD when the helper is gone. */
pid_t privdrop_backup_wait(pid_t pid, int *status);
/* Signal that child's process group (SIGTERM or SIGKILL); 0 or -1. */
int privdrop_backup_kill(pid_t pid, int sig);

#endif
