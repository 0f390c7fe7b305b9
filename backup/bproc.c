/* Children of the backup pipeline; see bproc.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bproc.h"
#include "util.h"

/* In the child: move fd out of the way of 0..3 (keeps it open). */
static int
lift(int fd)
{
	if (fd < 0)
		return -1;
	return fcntl(fd, F_DUPFD, 10);
}

static void
child(char *const argv[], int in_fd, int out_fd, int err_fd, int extra_fd,
    pid_t pgid)
{
	struct sigaction sa;
	int null_fd;

	(void)setpgid(0, pgid);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	in_fd = lift(in_fd >= 0 ? in_fd : null_fd);
	out_fd = lift(out_fd >= 0 ? out_fd : null_fd);
	err_fd = lift(err_fd >= 0 ? err_fd : null_fd);
	extra_fd = lift(extra_fd);
	if (in_fd < 0 || out_fd < 0 || err_fd < 0 || dup2(in_fd, 0) < 0 ||
	    dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
	if (extra_fd >= 0 && dup2(extra_fd, 3) < 0)
		_exit(126);
	closefrom(extra_fd >= 0 ? 4 : 3);
	execvp(argv[0], argv);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
bproc_start(struct bproc *p, const char *name, char *const argv[], int in_fd,
    int out_fd, int extra_fd, pid_t *pgid, char *err, size_t errlen)
{
	int ep[2] = { -1, -1 };
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->err_fd = -1;
	if (pipe2(ep, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "%s: pipe: %s", name, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "%s: fork: %s", name, strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	if (pid == 0)
		child(argv, in_fd, out_fd, ep[1], extra_fd, *pgid);
	/* Also in the parent: no race with a kill(-pgid). */
	(void)setpgid(pid, *pgid != 0 ? *pgid : pid);
	if (*pgid == 0)
		*pgid = pid;
	close(ep[1]);
	(void)fcntl(ep[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->err_fd = ep[0];
	return 0;
}

static void
tail_add(struct bproc *p, const char *buf, size_t n)
{
	size_t cap = sizeof(p->tail) - 1;

	if (n >= cap) {
		memcpy(p->tail, buf + n - cap, cap);
		p->tail_len = cap;
		return;
	}
	if (p->tail_len + n > cap) {
		size_t drop = p->tail_len + n - cap;

		memmove(p->tail, p->tail + drop, p->tail_len - drop);
		p->tail_len -= drop;
	}
	memcpy(p->tail + p->tail_len, buf, n);
	p->tail_len += n;
}

void
bproc_drain(struct bproc *p)
{
	char buf[4096];
	ssize_t n;

	while (p->err_fd >= 0) {
		n = read(p->err_fd, buf, sizeof(buf));
		if (n > 0) {
			tail_add(p, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			close(p->err_fd);
			p->err_fd = -1;
		}
		break;
	}
}

static int
reap(struct bproc *p, bool block)
{
	int st;
	pid_t r;

	if (p->done || p->pid <= 0)
		return 1;
	do
		r = waitpid(p->pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		p->done = true;
		p->status = st;
		return 1;
	}
	if (r < 0) { /* not our child any more: count it as lost */
		p->done = true;
		p->status = 0x7f00;
		return 1;
	}
	return 0;
}

bool
bproc_reap(struct bproc *p)
{
	return reap(p, false) == 1;
}

static const volatile sig_atomic_t *stop_flag;

void
bproc_set_stop_flag(const volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

/* Sleep until the child may have exited: its stderr closing wakes the
 * poll at once; without one, short naps that grow to 20 ms. */
static void
nap(struct bproc *p, int *ms)
{
	struct pollfd pf;

	if (p->err_fd >= 0) {
		pf.fd = p->err_fd;
		pf.events = POLLIN;
		pf.revents = 0;
		(void)poll(&pf, 1, 20);
		return;
	}
	(void)poll(NULL, 0, *ms);
	if (*ms < 20)
		*ms *= 2;
}

int
bproc_wait(struct bproc *p, pid_t pgid, double deadline)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	double kill_at;
	int ms = 1;

	while (!reap(p, false)) {
		bproc_drain(p);
		if (deadline_left(deadline) <= 0 ||
		    (stop_flag != NULL && *stop_flag))
			goto kill;
		nap(p, &ms);
	}
	bproc_drain(p);
	return 0;
kill:
	(void)kill(-pgid, SIGTERM);
	kill_at = clock_monotonic_now() + 2.0;
	while (!reap(p, false)) {
		if (clock_monotonic_now() > kill_at) {
			(void)kill(-pgid, SIGKILL);
			(void)reap(p, true);
			break;
		}
		nanosleep(&ts, NULL);
	}
	bproc_drain(p);
	return -1;
}

int
bproc_exit_code(const struct bproc *p)
{
	if (!p->done || !WIFEXITED(p->status))
		return -1;
	return WEXITSTATUS(p->status);
}

void
bproc_describe(const struct bproc *p, char *buf, size_t size)
{
	if (!p->done)
		snprintf(buf, size, "%s did not finish", p->name);
	else if (WIFEXITED(p->status))
		snprintf(
		    buf, size, "%s exited %d", p->name, WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, size, "%s killed by signal %d", p->name,
		    WTERMSIG(p->status));
	else
		snprintf(buf, size, "%s: unknown status", p->name);
}

const char *
bproc_tail(struct bproc *p)
{
	while (p->tail_len > 0 &&
	    (p->tail[p->tail_len - 1] == '\n' ||
		p->tail[p->tail_len - 1] == '\r'))
		p->tail_len--;
	p->tail[p->tail_len] = '\0';
	return p->tail;
}

void
bproc_close(struct bproc *p)
{
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->err_fd = -1;
}
