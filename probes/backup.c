/*
 * backup: the backup job's last run, from its result record
 * (STATE_DIR/backup.json written by `osemon backup run`).
 *
 * A failed last run is CRITICAL with the failed step; no successful run
 * within a day plus [backup] grace is CRITICAL; a failed `backup verify`
 * (backup-verify.json) is CRITICAL too, and a verify older than its
 * verify-schedule's period plus grace (verifies stopped) WARNING.  Inside the collector the config
 * file defaults to the collector's own, so `[check backup] probe = backup`
 * needs no other key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "config.h"
#include "probe.h"
#include "util.h"

static const struct option_spec backup_probe_options[] = {
	{ "config", 'c', OPT_STRING, "FILE", NULL, 0, -1,
	    "osemon config file: the record is STATE_DIR/backup.json and the "
	    "age limit a day plus [backup] grace (inside the collector: its "
	    "own config)" },
	{ "record", 'r', OPT_STRING, "FILE", NULL, 0, -1,
	    "read this result record instead" },
	{ "max-age", 'a', OPT_DOUBLE, "HOURS", NULL, 0, 1e6,
	    "CRITICAL when the last successful run is older (default: 24 + "
	    "grace)" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* Record paths and the age limit from the config (no secret checks: the
 * probe may run as an unprivileged user). */
static int
backup_probe_paths(const char *config, char *record, char *verify, size_t size,
    double *max_age, double *verify_max_age, char *err, size_t errlen)
{
	struct cfg *cfg = NULL;
	struct cfg_errors errs;
	const char *v;
	char dir[PATH_MAX];
	double grace = 10800;
	int rc = -1, wday, h, m, sec;

	cfg_errors_init(&errs);
	if (cfg_load_file(config, &cfg, &errs) != 0 || cfg == NULL) {
		snprintf(err, errlen,
		    "%s: cannot load (osemon config check "
		    "-c %s)",
		    config, config);
		goto out;
	}
	v = cfg_value(cfg_find(cfg, "global", NULL), "state-dir");
	if (cfg_path(cfg, v != NULL ? v : "state", dir, sizeof(dir)) != 0) {
		snprintf(err, errlen, "state-dir: path too long");
		goto out;
	}
	v = cfg_value(cfg_find(cfg, "backup", NULL), "grace");
	if (v != NULL && (parse_double(v, &grace) != 0 || grace < 0)) {
		snprintf(
		    err, errlen, "[backup] grace: '%s' is not a number", v);
		goto out;
	}
	*max_age = 24.0 + grace / 3600.0;
	/* The collector verifies at verify-schedule: a verify older than
	 * its period plus grace means verifies stopped happening. */
	*verify_max_age = 0;
	v = cfg_value(cfg_find(cfg, "backup", NULL), "verify-schedule");
	if (backup_parse_verify_schedule(v != NULL ? v : BACKUP_VERIFY_DEFAULT,
		&wday, &h, &m, &sec) == 0)
		*verify_max_age =
		    24.0 * BACKUP_VERIFY_PERIOD_DAYS(wday) + grace / 3600.0;
	snprintf(record, size, "%s/%s", dir, BACKUP_RECORD_NAME);
	snprintf(verify, size, "%s/%s", dir, BACKUP_VERIFY_RECORD_NAME);
	rc = 0;
out:
	cfg_free(cfg);
	cfg_errors_free(&errs);
	return rc;
}

static void
backup_probe_when(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		str_copy(buf, "never", size);
}

/* A run or verify holding the lock: "(run, pid N, since T)" in the long
 * output.  Silent when the lock cannot be read (another user's file). */
static void
backup_probe_running(const char *record, struct probe_result *res)
{
	char path[PATH_MAX + 32], text[128], when[64];
	const char *slash = strrchr(record, '/');
	long pid = 0;
	long long start = 0;
	char *end;
	ssize_t n;
	int fd;

	if (slash == NULL)
		return;
	snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - record), record,
	    BACKUP_LOCK_NAME);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		close(fd);
		return;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	pid = strtol(text, &end, 10);
	if (end != text)
		start = strtoll(end, &end, 10);
	while (*end == ' ')
		end++;
	end[strcspn(end, "\n")] = '\0';
	backup_probe_when(start, when, sizeof(when));
	result_long(res, "in progress: %s, pid %ld, since %s",
	    *end != '\0' ? end : "backup", pid, when);
}

static int
backup_probe_run(const struct probe_run *run, struct probe_result *res)
{
	char config[PATH_MAX], record[PATH_MAX + 32], verify[PATH_MAX + 32];
	char err[512], when[64];
	const char *v;
	double max_age = 27.0, verify_max_age = 0, age = -1;
	double now = (double)time(NULL);
	struct backup_record rec, ver;
	struct metric *m;

	verify[0] = '\0';
	v = args_string(run->args, "config");
	if (v != NULL)
		str_copy(config, v, sizeof(config));
	else
		backup_job_config_path(config, sizeof(config));
	v = args_string(run->args, "record");
	if (config[0] != '\0' &&
	    backup_probe_paths(config, record, verify, sizeof(record), &max_age,
		&verify_max_age, err, sizeof(err)) != 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG, "%s", err);
		return 0;
	}
	if (v != NULL) {
		str_copy(record, v, sizeof(record));
		verify[0] = '\0';
	} else if (config[0] == '\0') {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "give the config file (-c FILE) or the record (-r FILE)");
		return 0;
	}
	if (args_given(run->args, "max-age"))
		max_age = args_double(run->args, "max-age");

	if (access(record, F_OK) != 0) {
		result_set(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "no backup record %s: the backup never ran", record);
		return 0;
	}
	if (backup_record_read(record, &rec, err, sizeof(err)) != 0) {
		result_set(res, STATE_UNKNOWN, REASON_BAD_OUTPUT,
		    "backup record %s: %s", record, err);
		return 0;
	}
	if (rec.last_success > 0)
		age = (now - (double)rec.last_success) / 3600.0;
	if (age < 0 && rec.last_success > 0)
		age = 0;

	if (rec.ok)
		result_set(res, STATE_OK, REASON_NONE,
		    "last run of %s succeeded: %lld "
		    "bytes, %lld files in %lld s, %.1f h ago",
		    rec.host, rec.bytes, rec.files, rec.end - rec.start, age);
	else
		result_set(res, STATE_CRITICAL, REASON_STATUS,
		    "last run of "
		    "%s FAILED at step %s: %s",
		    rec.host, rec.failed_step, rec.error);

	m = result_metric(res, "age_hours", age, "", DS_GAUGE);
	if (m != NULL) {
		m->unknown = rec.last_success <= 0;
		range_from_bounds(&m->crit, 0, max_age);
		m->has_min = true;
	}
	m = result_metric(
	    res, "duration", (double)(rec.end - rec.start), "s", DS_GAUGE);
	if (m != NULL)
		m->has_min = true;
	m = result_metric(res, "size",
	    (double)(rec.ok ? rec.bytes : rec.last_success_bytes), "B",
	    DS_GAUGE);
	if (m != NULL)
		m->has_min = true;
	m = result_metric(res, "files", (double)rec.files, "", DS_GAUGE);
	if (m != NULL)
		m->has_min = true;
	m = result_metric(res, "failed", rec.ok ? 0 : 1, "", DS_GAUGE);
	if (m != NULL) {
		m->has_min = m->has_max = true;
		m->max = 1;
	}

	if (rec.last_success <= 0)
		result_raise(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "no successful backup of %s on record", rec.host);
	else if (age > max_age)
		result_raise(res, STATE_CRITICAL, REASON_THRESHOLD,
		    "last successful backup of %s is %.1f h old (limit %g h)",
		    rec.host, age, max_age);

	backup_probe_when(rec.start, when, sizeof(when));
	result_long(res, "last run: %s, %s, exit %d", when,
	    rec.ok ? "success" : "failed", rec.exit_status);
	backup_probe_when(rec.last_success, when, sizeof(when));
	result_long(res, "last success: %s", when);
	for (size_t i = 0; i < rec.object_count; i++)
		result_long(res, "object: %s", rec.objects[i]);
	if (!rec.ok && rec.stderr_tail[0] != '\0')
		result_long(res, "stderr: %s", rec.stderr_tail);

	backup_probe_running(record, res);
	if (verify[0] != '\0' && access(verify, F_OK) == 0) {
		if (backup_record_read(verify, &ver, err, sizeof(err)) != 0) {
			result_long(res, "verify record: %s", err);
		} else {
			backup_probe_when(ver.start, when, sizeof(when));
			result_long(res, "last verify: %s, %s", when,
			    ver.ok ? "success" : "failed");
			if (!ver.ok)
				result_raise(res, STATE_CRITICAL,
				    REASON_CONTENT,
				    "backup verify FAILED at "
				    "step %s: %s",
				    ver.failed_step, ver.error);
			else if (verify_max_age > 0 &&
			    (now - (double)ver.start) / 3600.0 > verify_max_age)
				result_raise(res, STATE_WARNING,
				    REASON_THRESHOLD,
				    "last verify of %s is %.1f days old "
				    "(limit %.1f days)",
				    ver.host,
				    (now - (double)ver.start) / 86400.0,
				    verify_max_age / 24.0);
		}
	}
	return 0;
}

const struct probe probe_backup = {
	.name = "backup",
	.summary = "the backup job's last run: success, age, duration, size",
	.usage = "-c FILE | -r RECORD [-a HOURS]",
	.options = backup_probe_options,
	.munin = { .title = "Backup",
	    .category = "disk",
	    .vlabel = "hours",
	    .args = "--base 1000 -l 0" },
	.run = backup_probe_run,
};
