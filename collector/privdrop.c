/*
 * [global] user = NAME: folders for NAME, the root backup helper, the
 * drop itself (privdrop.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "backup.h"
#include "privdrop.h"
#include "util.h"

#define PRIV_REPLY_WAIT_MS 5000

/* What the helper may start: `backup CMD`, CMD by index. */
static const char *const priv_cmds[] = { "run", "verify" };
#define PRIV_CMDS (sizeof(priv_cmds) / sizeof(priv_cmds[0]))

enum priv_type {
	PRIV_RUN = 1, /* collector -> helper: value = index in priv_cmds */
	PRIV_SIGNAL, /* collector -> helper: value = SIGTERM/SIGKILL */
	PRIV_STARTED, /* helper -> collector: pid */
	PRIV_FAILED, /* helper -> collector: value = errno */
	PRIV_EXITED, /* helper -> collector: pid, value = wait status */
};

struct priv_msg {
	int type;
	int pid;
	int value;
};

static bool priv_dropped;
static int priv_sock = -1; /* collector's end; -1: no helper */
static pid_t priv_helper_pid;
static char priv_user[64]; /* the user dropped to */
/* Exits reported by the helper, not yet asked for (one per child). */
static struct {
	pid_t pid; /* 0: free */
	int status;
} priv_exits[PRIV_CMDS];

/* Ownership fixes inside a folder NAME owns: nftw has no argument. */
static uid_t fix_uid;
static gid_t fix_gid;
static size_t fix_count;
static int fix_errors;

bool
privdrop_dropped(void)
{
	return priv_dropped;
}

static int
priv_fix_entry(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (sb->st_uid != 0)
		return 0;
	if (lchown(path, fix_uid, fix_gid) == 0)
		fix_count++;
	else
		fix_errors++;
	return 0;
}

/*
 * A folder for NAME: created (and given to NAME) when missing; in one NAME
 * already owns, root's leftovers (a run as root before user = was set)
 * are given to NAME too.  A folder owned by someone else is left alone:
 * the check after the drop says whether NAME can write it.
 */
static int
priv_prepare_dir(const char *key, const char *dir, uid_t uid, gid_t gid)
{
	struct stat sb;

	if (dir[0] == '\0')
		return 0;
	if (stat(dir, &sb) == -1) {
		if (errno != ENOENT || mkdir_p(dir, 0755) == -1 ||
		    chown(dir, uid, gid) == -1) {
			collector_log(LOG_ERR, "user: %s %s: %s", key, dir,
			    strerror(errno));
			return -1;
		}
		collector_log(LOG_INFO, "user: created %s %s for uid %u", key,
		    dir, (unsigned)uid);
		return 0;
	}
	if (sb.st_uid != uid)
		return 0;
	fix_uid = uid;
	fix_gid = gid;
	fix_count = 0;
	fix_errors = 0;
	(void)nftw(dir, priv_fix_entry, 16, FTW_PHYS | FTW_MOUNT);
	if (fix_count > 0 || fix_errors > 0)
		collector_log(fix_errors ? LOG_WARNING : LOG_NOTICE,
		    "user: %s %s: gave %zu root-owned entr%s to uid %u%s", key,
		    dir, fix_count, fix_count == 1 ? "y" : "ies", (unsigned)uid,
		    fix_errors ? " (some failed)" : "");
	return 0;
}

static int
priv_send(int fd, int type, int pid, int value)
{
	struct priv_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.pid = pid;
	m.value = value;
	return send(fd, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0
									   : -1;
}

/* The helper: root, single-threaded, serves one socket until EOF. */
static void
priv_helper_main(int sock, const char *self, const char *config)
{
	struct sigaction sa;
	struct priv_msg m;
	struct pollfd pfd;
	pid_t child[PRIV_CMDS] = { 0 };
	bool busy;
	ssize_t n;
	int st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	(void)prctl(PR_SET_NAME, "osemon-backupd", 0, 0, 0);
	if (dup2(sock, 3) != 3)
		_exit(1);
	sock = 3;
	closefrom(4);
	for (;;) {
		busy = false;
		for (size_t i = 0; i < PRIV_CMDS; i++)
			busy = busy || child[i] > 0;
		pfd.fd = sock;
		pfd.events = POLLIN;
		pfd.revents = 0;
		(void)poll(&pfd, 1, busy ? 200 : 1000);
		for (size_t i = 0; i < PRIV_CMDS; i++)
			if (child[i] > 0 &&
			    waitpid(child[i], &st, WNOHANG) == child[i]) {
				(void)priv_send(
				    sock, PRIV_EXITED, (int)child[i], st);
				child[i] = 0;
			}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(sock, &m, sizeof(m), 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break; /* the collector is gone */
		if (n != (ssize_t)sizeof(m))
			continue;
		if (m.type == PRIV_RUN) {
			size_t k = (size_t)m.value;

			if (m.value < 0 || k >= PRIV_CMDS) {
				(void)priv_send(sock, PRIV_FAILED, 0, EINVAL);
				continue;
			}
			if (child[k] > 0) {
				(void)priv_send(sock, PRIV_FAILED, 0, EBUSY);
				continue;
			}
			child[k] = fork();
			if (child[k] == 0)
				backup_job_exec(self, priv_cmds[k], config);
			if (child[k] < 0) {
				(void)priv_send(sock, PRIV_FAILED, 0, errno);
				child[k] = 0;
				continue;
			}
			(void)setpgid(child[k], child[k]);
			(void)priv_send(sock, PRIV_STARTED, (int)child[k], 0);
		} else if (m.type == PRIV_SIGNAL &&
		    (m.value == SIGTERM || m.value == SIGKILL)) {
			for (size_t i = 0; i < PRIV_CMDS; i++)
				if (child[i] > 0 && m.pid == (int)child[i])
					(void)kill(-child[i], m.value);
		}
	}
	/* A backup still running carries on, as when the collector
	 * exits without a helper. */
	_exit(0);
}

static int
priv_helper_fork(const char *config_path)
{
	char self[PATH_MAX], config[PATH_MAX];
	int sv[2];
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		collector_log(LOG_ERR, "user: cannot find my own binary: %s",
		    strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if (realpath(config_path, config) == NULL) {
		collector_log(
		    LOG_ERR, "user: %s: %s", config_path, strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		collector_log(LOG_ERR, "user: socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		collector_log(LOG_ERR, "user: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		priv_helper_main(sv[1], self, config);
	}
	close(sv[1]);
	priv_sock = sv[0];
	priv_helper_pid = pid;
	collector_log(
	    LOG_INFO, "user: backup helper pid %d keeps root", (int)pid);
	return 0;
}

static int
priv_check_writable(const char *key, const char *dir, const char *name)
{
	if (dir[0] == '\0' || access(dir, W_OK | X_OK) == 0)
		return 0;
	collector_log(LOG_ERR,
	    "user: %s %s is not writable by %s (%s): chown -R %s it", key, dir,
	    name, strerror(errno), name);
	return -1;
}

int
privdrop_apply(
    const struct collector_conf *conf, const char *config_path, bool once)
{
	const char *name = args_string(&conf->global, "user");
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int rc;

	if (name == NULL || name[0] == '\0')
		return 0;
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &pwp);
	if (pwp == NULL) {
		collector_log(LOG_ERR, "user: %s: %s", name,
		    rc != 0 ? strerror(rc) : "no such user");
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw.pw_uid)
			return 0; /* already NAME */
		collector_log(LOG_ERR,
		    "user: switching to %s needs root (running as uid %u)",
		    name, (unsigned)geteuid());
		return -1;
	}
	if (pw.pw_uid == 0) {
		collector_log(
		    LOG_ERR, "user: %s is root: nothing to drop", name);
		return -1;
	}
	if (priv_prepare_dir(
		"state-dir", conf->state_dir, pw.pw_uid, pw.pw_gid) != 0 ||
	    priv_prepare_dir("rrd-dir", conf->rrd_dir, pw.pw_uid, pw.pw_gid) !=
		0 ||
	    priv_prepare_dir(
		"graph-dir", conf->graph_dir, pw.pw_uid, pw.pw_gid) != 0)
		return -1;
	if (!once && config_path != NULL &&
	    cfg_find(conf->cfg, "backup", NULL) != NULL &&
	    priv_helper_fork(config_path) != 0)
		return -1;
	if (initgroups(name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 ||
	    setuid(pw.pw_uid) != 0) {
		collector_log(LOG_ERR, "user: cannot switch to %s: %s", name,
		    strerror(errno));
		return -1;
	}
	/* Verify: every id is NAME's and root cannot come back. */
	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0 || ruid != pw.pw_uid ||
	    euid != pw.pw_uid || suid != pw.pw_uid || rgid != pw.pw_gid ||
	    egid != pw.pw_gid || sgid != pw.pw_gid || setuid(0) != -1 ||
	    seteuid(0) != -1 || setgid(0) != -1) {
		collector_log(LOG_ERR,
		    "user: the switch to %s is reversible: "
		    "refusing to run",
		    name);
		return -1;
	}
	priv_dropped = true;
	str_copy(priv_user, name, sizeof(priv_user));
	if (priv_check_writable("state-dir", conf->state_dir, name) != 0 ||
	    priv_check_writable("rrd-dir", conf->rrd_dir, name) != 0 ||
	    priv_check_writable("graph-dir", conf->graph_dir, name) != 0)
		return -1;
	collector_log(LOG_NOTICE, "running as %s (uid %u, gid %u)", name,
	    (unsigned)pw.pw_uid, (unsigned)pw.pw_gid);
	return 0;
}

/* Read one message from the helper; wait_ms < 0: do not wait.  An
 * PRIV_EXITED is kept for privdrop_backup_wait.  1 read, 0 none, -1 the
 * helper is gone. */
static int
priv_read(struct priv_msg *m, int wait_ms)
{
	struct pollfd pfd;
	ssize_t n;

	pfd.fd = priv_sock;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, wait_ms < 0 ? 0 : wait_ms) <= 0)
		return 0;
	n = recv(priv_sock, m, sizeof(*m), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		collector_log(LOG_ERR, "user: the backup helper is gone");
		close(priv_sock);
		priv_sock = -1;
		if (priv_helper_pid > 0)
			(void)waitpid(priv_helper_pid, NULL, WNOHANG);
		return -1;
	}
	if (n != (ssize_t)sizeof(*m))
		return 0;
	if (m->type == PRIV_EXITED) {
		size_t i = 0;

		while (i < PRIV_CMDS - 1 && priv_exits[i].pid != 0 &&
		    priv_exits[i].pid != (pid_t)m->pid)
			i++;
		priv_exits[i].pid = (pid_t)m->pid;
		priv_exits[i].status = m->value;
	}
	return 1;
}

int
privdrop_backup_start(const char *cmd, pid_t *pid, char *err, size_t errlen)
{
	struct priv_msg m;
	double until = clock_monotonic_now() + PRIV_REPLY_WAIT_MS / 1000.0;
	size_t k = 0;
	int r;

	while (k < PRIV_CMDS && strcmp(priv_cmds[k], cmd) != 0)
		k++;
	if (k == PRIV_CMDS) {
		snprintf(err, errlen, "root helper: no command %s", cmd);
		return -1;
	}
	if (priv_sock < 0) {
		snprintf(err, errlen,
		    "no root helper (it is started when [backup] is in the "
		    "config at start-up: restart osemon)");
		return -1;
	}
	if (priv_send(priv_sock, PRIV_RUN, 0, (int)k) != 0) {
		snprintf(err, errlen, "root helper: %s", strerror(errno));
		return -1;
	}
	while (clock_monotonic_now() < until) {
		r = priv_read(&m, 200);
		if (r < 0)
			break;
		if (r == 0 || m.type == PRIV_EXITED)
			continue;
		if (m.type == PRIV_STARTED) {
			*pid = (pid_t)m.pid;
			for (size_t i = 0; i < PRIV_CMDS; i++)
				if (priv_exits[i].pid == *pid)
					priv_exits[i].pid = 0; /* reused */
			return 0;
		}
		if (m.type == PRIV_FAILED) {
			snprintf(
			    err, errlen, "root helper: %s", strerror(m.value));
			return -1;
		}
	}
	snprintf(err, errlen, "root helper: %s",
	    priv_sock < 0 ? "gone" : "no answer");
	return -1;
}

pid_t
privdrop_backup_wait(pid_t pid, int *status)
{
	struct priv_msg m;
	int r;

	while ((r = priv_read(&m, -1)) > 0)
		;
	for (size_t i = 0; i < PRIV_CMDS; i++)
		if (priv_exits[i].pid == pid && pid > 0) {
			priv_exits[i].pid = 0;
			*status = priv_exits[i].status;
			return pid;
		}
	if (r < 0 || priv_sock < 0) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

int
privdrop_backup_kill(pid_t pid, int sig)
{
	if (priv_sock < 0)
		return -1;
	return priv_send(priv_sock, PRIV_SIGNAL, (int)pid, sig);
}

void
privdrop_reload_check(const struct collector_conf *conf)
{
	const char *name = args_string(&conf->global, "user");

	if (!priv_dropped) {
		if (name != NULL && name[0] != '\0' && geteuid() == 0)
			collector_log(LOG_WARNING,
			    "user = %s: takes effect at the next start", name);
		return;
	}
	if (name == NULL || strcmp(name, priv_user) != 0)
		collector_log(LOG_WARNING,
		    "user: still running as %s (a change of user = takes a "
		    "restart)",
		    priv_user);
}
