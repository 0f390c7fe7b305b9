/*
 * The nightly backup: `osemon backup run|verify|list|prune -c FILE`, the
 * [backup] configuration, the result record the `backup` probe reads and
 * the collector's scheduling of the run as a supervised child.
 *
 * Pipeline of a run (backup/runner.c):
 *   lock -> rotate sync/ to sync.old/ -> mariadb-dump into sync/ ->
 *   tar (anchored excludes, file list) | gpg (AES256, passphrase on a
 *   pipe) -> the runner reads gpg's output, writes sync/NAME.tar.gpg and
 *   uploads every complete part through B2's large-file API while the
 *   archive is still being written -> finish only when every child exited
 *   successfully (cancel otherwise) -> encrypted file list -> pruning ->
 *   result record (STATE_DIR/backup.json, written atomically).
 */
#ifndef OSEMON_BACKUP_H
#define OSEMON_BACKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "args.h"
#include "config.h"

#define BACKUP_RECORD_NAME "backup.json"
#define BACKUP_VERIFY_RECORD_NAME "backup-verify.json"
#define BACKUP_LOCK_NAME "backup.lock"
#define BACKUP_DUMP_NAME "mysql_all.sql"
#define BACKUP_TAIL_MAX 1024 /* stderr tail kept in the record */
#define BACKUP_OBJECTS_MAX 4
#define BACKUP_RECORD_CAP (256 * 1024) /* largest record accepted */

/* The [backup] keys and the [b2] keys the backup reads (NULL-ended). */
extern const struct option_spec backup_options[];
extern const struct option_spec backup_b2_options[];

/* Everything a run, verify or list needs, resolved from the config file. */
struct backup_conf {
	struct cfg *cfg; /* owned */
	struct args opt; /* [backup] */
	struct args b2; /* [b2] */
	char config_path[PATH_MAX];
	char host[256];
	char state_dir[PATH_MAX];
	char local_dir[PATH_MAX];
	char log_file[PATH_MAX];
	char passphrase_file[PATH_MAX];
	char mysql_defaults[PATH_MAX]; /* "" when no dump */
	char key_file[PATH_MAX];
	int sched_hour, sched_min, sched_sec; /* UTC */
	bool verify_off; /* verify-schedule = off */
	int verify_wday; /* 0 Sunday .. 6, -1 every day */
	int verify_hour, verify_min, verify_sec; /* UTC */
	double timeout; /* seconds */
	double grace; /* seconds */
	long long part_size; /* 0: the server's recommendation */
};

/*
 * Load path, validate [backup] and [b2] (errors into errs, each naming
 * file and line) and resolve folders against the config file's folder.
 * Returns 0, or -1 (then *out is NULL).
 */
int backup_conf_load(
    const char *path, struct backup_conf **out, struct cfg_errors *errs);
void backup_conf_free(struct backup_conf *bc);

/*
 * `osemon config check` hook: validate [backup] (and the [b2] keys it
 * uses) of an already parsed config, including the permissions of the
 * secret files.  Does nothing when there is no [backup] section.
 * Returns 0, or -1 when an error was added.
 */
int backup_config_check(const struct cfg *cfg, struct cfg_errors *errs);

/* "HH:MM" or "HH:MM:SS" (UTC) -> fields; 0 or -1. */
int backup_parse_schedule(const char *s, int *h, int *m, int *sec);
/* The first time strictly after `after` at which the daily schedule
 * fires (UTC). */
time_t backup_next_run(time_t after, int h, int m, int sec);
/* verify-schedule: "DAY HH:MM[:SS]" (DAY Sun..Sat, any case; *wday 0..6
 * as tm_wday), "HH:MM[:SS]" (every day, *wday -1) or "off".  Returns 0,
 * 1 for off, -1 when invalid. */
int backup_parse_verify_schedule(
    const char *s, int *wday, int *h, int *m, int *sec);
/* The first time strictly after `after` at which it fires (UTC). */
time_t backup_next_weekly(time_t after, int wday, int h, int m, int sec);
#define BACKUP_VERIFY_DEFAULT "Sun 08:20"
/* Days between two verifies by that schedule (7, or 1 when daily). */
#define BACKUP_VERIFY_PERIOD_DAYS(wday) ((wday) < 0 ? 1 : 7)
/* "daily_HOST_YYYYMMDD_HHMMSS" (or monthly_ on the first of the month,
 * UTC) into buf; 0 or -1 when it does not fit. */
int backup_object_base(const char *host, time_t when, char *buf, size_t size);

/* The result record of a run or a verify. */
struct backup_record {
	char kind[16]; /* "run" or "verify" */
	char host[256];
	long long start, end; /* seconds since the epoch */
	bool ok;
	int exit_status; /* the command's exit code */
	char failed_step[32]; /* "" when ok */
	char error[512];
	char stderr_tail[BACKUP_TAIL_MAX];
	long long bytes; /* archive bytes (encrypted) */
	long long files; /* entries in the file list */
	long long sql_bytes;
	long long parts; /* 0: simple upload */
	char sha256[65];
	char objects[BACKUP_OBJECTS_MAX][256];
	size_t object_count;
	long long last_success; /* end of the newest successful run, or 0 */
	long long last_success_bytes;
};

/* JSON text of rec (malloc'd, caller frees), or NULL. */
char *backup_record_format(const struct backup_record *rec);
/* Parse a record; unknown keys are ignored, wrong types are errors.
 * Returns 0 or -1 with err filled. */
int backup_record_parse(const char *text, size_t len, struct backup_record *rec,
    char *err, size_t errlen);
int backup_record_write(const char *path, const struct backup_record *rec,
    char *err, size_t errlen);
int backup_record_read(
    const char *path, struct backup_record *rec, char *err, size_t errlen);

/* The commands (backup/runner.c, backup/verify.c). */
int backup_run(struct backup_conf *bc);
int backup_verify(struct backup_conf *bc);
int backup_list(struct backup_conf *bc);
int backup_prune(struct backup_conf *bc, bool dry_run, bool quiet);
/* `osemon backup run|verify|list|prune -c FILE [--dry-run]`. */
int backup_main(int argc, char **argv);

/*
 * The collector's side (backup/job.c).  Called about once a second from
 * the collector loop with its config: starts `osemon-full backup run -c
 * FILE` at [backup] schedule and `osemon-full backup verify -c FILE` at
 * verify-schedule, each as a child in its own process group, never
 * blocking; reaps them, and kills one that overruns timeout.  The two
 * never run at once (they share the backup lock): one that falls due
 * while the other is going starts when it has ended, the run first.
 * With once set only the config path is remembered (for the backup
 * probe).
 */
/* In a forked child: default signals, its own process group, stdin and
 * stdout on /dev/null, then exec `SELF backup CMD -c CONFIG` (CMD "run" or
 * "verify"); never returns.  Used by the job and by the root helper of
 * collector/privdrop.c. */
void backup_job_exec(const char *self, const char *cmd, const char *config)
    __attribute__((noreturn));
void backup_job_tick(
    const struct cfg *cfg, const char *config_path, bool once, time_t now);
/* The config file the collector runs with (for the probe's default), or
 * "" when none; copies into buf. */
void backup_job_config_path(char *buf, size_t size);

#endif
