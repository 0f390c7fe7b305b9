/*
 * Inside a backup command (run, verify, list, prune): the log, the steps
 * and the helpers they share.  Only backup/ uses this header.
 */
#ifndef OSEMON_BRUN_H
#define OSEMON_BRUN_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "b2.h"
#include "backup.h"
#include "bproc.h"

struct brun {
	struct backup_conf *bc;
	int log_fd; /* the backup log, -1 when it cannot be opened */
	int lock_fd;
	bool tty; /* progress and log lines on stderr */
	double deadline; /* clock_monotonic_now() based */
	const char *step;
	double step_t0;
	struct backup_record rec;
	char sync_dir[PATH_MAX];
	char old_dir[PATH_MAX + 8];
	char trash_dir[PATH_MAX + 16]; /* sync.old.delete */
	bool trash_pending; /* set aside by the rotation, not yet deleted */
	bool trash_thread; /* trash_tid deletes it */
	pthread_t trash_tid;
	int trash_errno; /* its failure, 0 */
	char base[512]; /* daily_HOST_YYYYMMDD_HHMMSS */
	char object[600]; /* BASE.tar.gpg */
	char list_object[600]; /* BASE.files.gpg */
	char archive_path[PATH_MAX + 600];
	char list_path[PATH_MAX + 600];
	char list_gpg_path[PATH_MAX + 600];
	char dump_path[PATH_MAX + 64];
	char gnupg_home[PATH_MAX];
	bool gnupg_temp; /* removed at the end */
	char pass[1024];
	size_t pass_len;
	struct b2_client *c;
	char bucket_id[B2_ID_MAX];
	pthread_t upload_thread;
	/* gpg for the file list, started with the archive's so that its key
	 * derivation overlaps the archive; fed once tar has finished. */
	struct bproc list_gpg;
	pid_t list_pg;
	int list_in; /* write end of its stdin, -1 when closed */
	int list_feed_err; /* errno of a failed feed, 0 */
};

/* SIGTERM, SIGINT and SIGHUP set a flag (the command ends early but
 * still writes its record; children waited for with bproc_wait are
 * killed); SIGPIPE is ignored. */
void brun_catch_stop(void);
const volatile sig_atomic_t *brun_stop_flag(void);
/* After a stop signal: fail with "stopped by signal N" and return -1. */
int brun_check_stop(struct brun *r);
/* One line "YYYY-MM-DDTHH:MM:SSZ text" to the log (and stderr on a tty). */
void brun_log(struct brun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void brun_step(struct brun *r, const char *step);
/* "STEP: ok, TEXT (N.NN s)". */
void brun_step_done(struct brun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The first failure fills the record (step, error, stderr tail) and logs
 * "STEP: FAILED: TEXT (N.NN s)"; later ones are ignored. */
void brun_fail(struct brun *r, const char *tail, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int brun_rm_rf(const char *path);
/* A pipe holding the passphrase line; the read end, or -1. */
int brun_pass_fd(struct brun *r);
/* gpg's common arguments (private homedir, batch, loopback,
 * --passphrase-fd 3); returns how many were put in argv. */
size_t brun_gpg_args(struct brun *r, const char **argv);
int brun_gpg_home(struct brun *r);
void brun_gpg_cleanup(struct brun *r);
/* Authorise, find the bucket (r->c, r->bucket_id). */
int brun_b2_open(struct brun *r, char *err, size_t errlen);
/* Open the log, take the lock, read the passphrase: set up r for a
 * command.  Returns 0, or -1 after printing why. */
int brun_begin(struct brun *r, struct backup_conf *bc, const char *kind,
    bool lock, bool pass);
/* Client-side pruning (backup/verify.c): keep the newest keep-daily
 * daily_HOST_ and keep-monthly monthly_HOST_ backups, delete every
 * version of the older ones (archive and file list); dry_run only prints.
 * Never deletes the newest backup of a kind. */
int backup_prune_with(struct brun *r, bool dry_run);
/* Write the record (when path is not NULL), free everything. */
void brun_end(struct brun *r, const char *record_path);

#endif
