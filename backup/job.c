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
backup_job_exec(const char *self, const char *config)
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
	execl(self, "osemon-full", "backup", "run", "-c", config, (char *)NULL);
	_exit(127);
}

#define JOB_KILL_GRACE 60 /* seconds past timeout before SIGTERM */

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static char job_config[PATH_MAX];

static struct {
	pid_t pid;
	time_t started;
	time_t next; /* 0: not computed yet */
	char schedule[32];
	bool term_sent;
	time_t term_at;
} job;

void
backup_job_config_path(char *buf, size_t size)
{
	pthread_mutex_lock(&job_lock);
	str_copy(buf, job_config, size);
	pthread_mutex_unlock(&job_lock);
}

static void
job_spawn(const char *config, time_t now)
{
	char self[PATH_MAX];
	ssize_t n;
	pid_t pid;

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

		if (privdrop_backup_start(&pid, err, sizeof(err)) != 0) {
			collector_log(LOG_ERR, "backup: %s", err);
			return;
		}
		job.pid = pid;
		job.started = now;
		job.term_sent = false;
		collector_log(
		    LOG_NOTICE, "backup: started pid %d as root", (int)pid);
		return;
	}
	pid = fork();
	if (pid < 0) {
		collector_log(LOG_ERR, "backup: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		backup_job_exec(self, config);
	(void)setpgid(pid, pid);
	job.pid = pid;
	job.started = now;
	job.term_sent = false;
	collector_log(LOG_NOTICE, "backup: started pid %d", (int)pid);
}

static void
job_reap(double timeout, time_t now)
{
	int st;
	pid_t r = privdrop_dropped() ? privdrop_backup_wait(job.pid, &st)
				     : waitpid(job.pid, &st, WNOHANG);

	if (r == job.pid || (r < 0 && errno == ECHILD)) {
		if (r < 0)
			collector_log(
			    LOG_WARNING, "backup: pid %d lost", (int)job.pid);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			collector_log(LOG_NOTICE, "backup: finished in %lld s",
			    (long long)(now - job.started));
		else
			collector_log(LOG_ERR,
			    "backup: failed (%s %d) after "
			    "%lld s; see the backup log and record",
			    WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			    (long long)(now - job.started));
		job.pid = 0;
		return;
	}
	if (!job.term_sent &&
	    (double)(now - job.started) > timeout + JOB_KILL_GRACE) {
		collector_log(LOG_ERR,
		    "backup: pid %d overran its timeout "
		    "(%g s): killing it",
		    (int)job.pid, timeout);
		(void)(privdrop_dropped()
			? privdrop_backup_kill(job.pid, SIGTERM)
			: kill(-job.pid, SIGTERM));
		job.term_sent = true;
		job.term_at = now;
	} else if (job.term_sent && now - job.term_at > 10) {
		(void)(privdrop_dropped()
			? privdrop_backup_kill(job.pid, SIGKILL)
			: kill(-job.pid, SIGKILL));
	}
}

void
backup_job_tick(
    const struct cfg *cfg, const char *config_path, bool once, time_t now)
{
	const struct cfg_section *bs;
	const char *sched, *v;
	double timeout = 21600;
	int h, m, s;

	pthread_mutex_lock(&job_lock);
	if (config_path == NULL)
		job_config[0] = '\0';
	else if (realpath(config_path, job_config) == NULL)
		str_copy(job_config, config_path, sizeof(job_config));
	pthread_mutex_unlock(&job_lock);
	bs = cfg != NULL ? cfg_find(cfg, "backup", NULL) : NULL;
	v = cfg_value(bs, "timeout");
	if (v != NULL && parse_double(v, &timeout) != 0)
		timeout = 21600;
	if (job.pid > 0)
		job_reap(timeout, now);
	if (once || bs == NULL || config_path == NULL)
		return;
	sched = cfg_value(bs, "schedule");
	if (sched == NULL)
		sched = "07:20";
	if (backup_parse_schedule(sched, &h, &m, &s) != 0)
		return; /* config check reports it */
	if (job.next == 0 || strcmp(job.schedule, sched) != 0) {
		str_copy(job.schedule, sched, sizeof(job.schedule));
		job.next = backup_next_run(now, h, m, s);
		return;
	}
	if (now < job.next)
		return;
	job.next = backup_next_run(now, h, m, s);
	if (job.pid > 0) {
		collector_log(LOG_WARNING,
		    "backup: previous run (pid %d) "
		    "still going at the schedule; skipped",
		    (int)job.pid);
		return;
	}
	job_spawn(job_config, now);
}
