/*
 * The backup as the collector's supervised child: at [backup] schedule
 * (UTC) fork/exec `osemon-full backup run -c FILE` in its own process
 * group, reap it without blocking, kill the group when it overruns its
 * timeout.  The run itself writes the result record that the backup probe
 * turns into a state, so failures reach the alert path as a check.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "privdrop.h"
#include "runtime.h"
#include "util.h"

void
backup_job_exec(const char *self, const char *cmd, const char *config)
{
	struct sigaction sa;
	int fd = open("/dev/null", O_RDWR);

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (fd >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
	}
	closefrom(3);
	execl(self, "osemon-full", "backup", cmd, "-c", config, (char *)NULL);
	_exit(127);
}

#define JOB_KILL_GRACE 60 /* seconds past timeout before SIGTERM */

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static char job_config[PATH_MAX];
static char job_config_given[PATH_MAX]; /* what job_config resolves */

/* The run and the verify: each at its own schedule, never both at once
 * (they share the backup lock). */
enum job_kind { JOB_RUN, JOB_VERIFY, JOB_KINDS };

static const char *const job_cmd[JOB_KINDS] = { "run", "verify" };
/* Log prefix: "backup: ..." as before the verify existed. */
static const char *const job_name[JOB_KINDS] = { "backup", "backup verify" };

static struct job {
	pid_t pid;
	time_t started;
	time_t next; /* 0: not computed yet (or no schedule) */
	char schedule[32];
	bool pending; /* due while the other one ran: starts after it */
	bool wait_logged;
	bool term_sent;
	time_t term_at;
} jobs[JOB_KINDS];

void
backup_job_config_path(char *buf, size_t size)
{
	pthread_mutex_lock(&job_lock);
	str_copy(buf, job_config, size);
	pthread_mutex_unlock(&job_lock);
}

static void
job_spawn(enum job_kind k, const char *config, time_t now)
{
	struct job *j = &jobs[k];
	char self[PATH_MAX];
	ssize_t n;
	pid_t pid;

	j->pending = false;
	/* This binary; when it was replaced on disk since the collector
	 * started (an upgrade, a rebuild), the running one by its inode. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0)
		self[n] = '\0';
	if (n <= 0 || strstr(self, " (deleted)") != NULL ||
	    access(self, X_OK) != 0)
		str_copy(self, "/proc/self/exe", sizeof(self));
	if (privdrop_dropped()) {
		/* [global] user: the root helper starts it (privdrop.h) */
		char err[256];

		if (privdrop_backup_start(job_cmd[k], &pid, err, sizeof(err)) !=
		    0) {
			collector_log(LOG_ERR, "%s: %s", job_name[k], err);
			return;
		}
		j->pid = pid;
		j->started = now;
		j->term_sent = false;
		collector_log(LOG_NOTICE, "%s: started pid %d as root",
		    job_name[k], (int)pid);
		return;
	}
	pid = fork();
	if (pid < 0) {
		collector_log(
		    LOG_ERR, "%s: fork: %s", job_name[k], strerror(errno));
		return;
	}
	if (pid == 0)
		backup_job_exec(self, job_cmd[k], config);
	(void)setpgid(pid, pid);
	j->pid = pid;
	j->started = now;
	j->term_sent = false;
	collector_log(LOG_NOTICE, "%s: started pid %d", job_name[k], (int)pid);
}

static void
job_reap(enum job_kind k, double timeout, time_t now)
{
	struct job *j = &jobs[k];
	int st;
	pid_t r = privdrop_dropped() ? privdrop_backup_wait(j->pid, &st)
				     : waitpid(j->pid, &st, WNOHANG);

	if (r == j->pid || (r < 0 && errno == ECHILD)) {
		if (r < 0)
			collector_log(LOG_WARNING, "%s: pid %d lost",
			    job_name[k], (int)j->pid);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			collector_log(LOG_NOTICE, "%s: finished in %lld s",
			    job_name[k], (long long)(now - j->started));
		else
			collector_log(LOG_ERR,
			    "%s: failed (%s %d) after "
			    "%lld s; see the backup log and record",
			    job_name[k], WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			    (long long)(now - j->started));
		j->pid = 0;
		return;
	}
	if (!j->term_sent &&
	    (double)(now - j->started) > timeout + JOB_KILL_GRACE) {
		collector_log(LOG_ERR,
		    "%s: pid %d overran its timeout "
		    "(%g s): killing it",
		    job_name[k], (int)j->pid, timeout);
		(void)(privdrop_dropped()
			? privdrop_backup_kill(j->pid, SIGTERM)
			: kill(-j->pid, SIGTERM));
		j->term_sent = true;
		j->term_at = now;
	} else if (j->term_sent && now - j->term_at > 10) {
		(void)(privdrop_dropped()
			? privdrop_backup_kill(j->pid, SIGKILL)
			: kill(-j->pid, SIGKILL));
	}
}

/* Whether the job is due now by its schedule (wday -2: none, -1: every
 * day, else that weekday).  Invalid schedules count as none: config
 * check reports them. */
static bool
job_due(
    struct job *j, const char *sched, int wday, int h, int m, int s, time_t now)
{
	if (wday == -2) {
		j->next = 0;
		j->pending = j->wait_logged = false;
		j->schedule[0] = '\0';
		return false;
	}
	if (j->next == 0 || strcmp(j->schedule, sched) != 0) {
		str_copy(j->schedule, sched, sizeof(j->schedule));
		j->next = backup_next_weekly(now, wday, h, m, s);
		return false;
	}
	if (now < j->next)
		return false;
	j->next = backup_next_weekly(now, wday, h, m, s);
	return true;
}

/* Due now: pending, or skipped while the last one still goes. */
static void
job_fire(enum job_kind k, bool due)
{
	if (!due)
		return;
	if (jobs[k].pid > 0)
		collector_log(LOG_WARNING,
		    "%s: previous %s (pid %d) still going at the schedule; "
		    "skipped",
		    job_name[k], job_cmd[k], (int)jobs[k].pid);
	else
		jobs[k].pending = true;
}

void
backup_job_tick(
    const struct cfg *cfg, const char *config_path, bool once, time_t now)
{
	const struct cfg_section *bs;
	const char *sched, *v;
	double timeout = 21600;
	int wday, h, m, s;

	/* resolved once per path, not every second (realpath reads links) */
	pthread_mutex_lock(&job_lock);
	if (config_path == NULL)
		job_config[0] = job_config_given[0] = '\0';
	else if (strcmp(config_path, job_config_given) != 0) {
		if (realpath(config_path, job_config) == NULL)
			str_copy(job_config, config_path, sizeof(job_config));
		str_copy(
		    job_config_given, config_path, sizeof(job_config_given));
	}
	pthread_mutex_unlock(&job_lock);
	bs = cfg != NULL ? cfg_find(cfg, "backup", NULL) : NULL;
	v = cfg_value(bs, "timeout");
	if (v != NULL && parse_double(v, &timeout) != 0)
		timeout = 21600;
	for (int k = 0; k < JOB_KINDS; k++)
		if (jobs[k].pid > 0)
			job_reap((enum job_kind)k, timeout, now);
	if (once || bs == NULL || config_path == NULL)
		return;

	sched = cfg_value(bs, "schedule");
	if (sched == NULL)
		sched = "07:20";
	if (backup_parse_schedule(sched, &h, &m, &s) != 0)
		wday = -2;
	else
		wday = -1;
	job_fire(JOB_RUN, job_due(&jobs[JOB_RUN], sched, wday, h, m, s, now));
	sched = cfg_value(bs, "verify-schedule");
	if (sched == NULL)
		sched = BACKUP_VERIFY_DEFAULT;
	if (backup_parse_verify_schedule(sched, &wday, &h, &m, &s) != 0)
		wday = -2; /* off */
	job_fire(
	    JOB_VERIFY, job_due(&jobs[JOB_VERIFY], sched, wday, h, m, s, now));

	/* One at a time (the backup lock): the run first. */
	for (int k = 0; k < JOB_KINDS; k++) {
		struct job *j = &jobs[k], *other = &jobs[1 - k];

		if (!j->pending || j->pid > 0)
			continue;
		if (other->pid > 0) {
			if (!j->wait_logged)
				collector_log(LOG_NOTICE,
				    "%s: due while %s (pid %d) is going; "
				    "starts after it",
				    job_name[k], job_name[1 - k],
				    (int)other->pid);
			j->wait_logged = true;
			continue;
		}
		j->wait_logged = false;
		job_spawn((enum job_kind)k, job_config, now);
	}
}
