/*
 * Run a program without a shell, under a deadline, with capped output.
 * The child gets its own process group so a plugin's own children die
 * with it when the deadline passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

#define SPAWN_DEFAULT_CAP (64 * 1024)

/* Resolve argv0 in PATH before fork: execvp may allocate in the child. */
static int
resolve_program(const char *name, char *path, size_t size)
{
	const char *env, *p;

	if (strchr(name, '/') != NULL)
		return str_copy(path, name, size) < size ? 0 : -1;
	env = getenv("PATH");
	if (env == NULL)
		env = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	for (p = env;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		int n = snprintf(
		    path, size, "%.*s/%s", (int)len, len ? p : ".", name);

		if (n > 0 && (size_t)n < size && access(path, X_OK) == 0)
			return 0;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	return -1;
}

static void
child_exec(const char *path, char *const argv[], char *const envp[],
    const char *stdin_path, int out_fd, int err_fd)
{
	sigset_t none;
	int in_fd;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	in_fd = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
	if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		_exit(127);
	closefrom(3);
	if (envp)
		execve(path, argv, envp);
	else
		execv(path, argv);
	_exit(127);
}

/* Keep the last bytes of stderr: the end usually says why. */
static void
keep_tail(char *tail, size_t size, const char *data, size_t n)
{
	size_t have = strlen(tail);

	if (n >= size - 1) {
		memcpy(tail, data + n - (size - 1), size - 1);
		tail[size - 1] = '\0';
		return;
	}
	if (have + n >= size) {
		size_t drop = have + n - (size - 1);
		memmove(tail, tail + drop, have - drop);
		have -= drop;
	}
	memcpy(tail + have, data, n);
	tail[have + n] = '\0';
}

static int
poll_timeout_ms(double deadline)
{
	double left = deadline_left(deadline);

	if (left <= 0)
		return 0;
	if (left > 3600)
		return 3600 * 1000;
	return (int)(left * 1000) + 1;
}

static void
collect_output(pid_t pid, int out_fd, int err_fd, double deadline, size_t cap,
    struct spawn_result *res)
{
	struct pollfd fds[2] = {
		{ .fd = out_fd, .events = POLLIN },
		{ .fd = err_fd, .events = POLLIN },
	};
	char buf[4096];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int n = poll(fds, 2, poll_timeout_ms(deadline));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			res->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			got = read(fds[i].fd, buf, sizeof(buf));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				fds[i].fd = -1;
				continue;
			}
			if (i == 1) {
				keep_tail(res->err_tail, sizeof(res->err_tail),
				    buf, (size_t)got);
				continue;
			}
			if (res->out_len + (size_t)got > cap) {
				res->out_truncated = true;
				got = (ssize_t)(cap - res->out_len);
			}
			memcpy(res->out + res->out_len, buf, (size_t)got);
			res->out_len += (size_t)got;
		}
	}
	res->out[res->out_len] = '\0';
}

static void
reap(pid_t pid, double deadline, struct spawn_result *res)
{
	int status;

	/* Output closed but the child may linger: wait until the deadline. */
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return;
		if (r == 0 && deadline_left(deadline) <= 0) {
			res->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		if (r == 0)
			usleep(2000);
	}
	if (WIFEXITED(status)) {
		res->exited = true;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	/* Kill what the child left behind in its group. */
	kill(-pid, SIGKILL);
}

int
spawn_run(char *const argv[], double deadline, const struct spawn_opts *opts,
    struct spawn_result *res)
{
	size_t cap = opts && opts->out_cap ? opts->out_cap : SPAWN_DEFAULT_CAP;
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	char path[PATH_MAX];
	pid_t pid;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->out = malloc(cap + 1);
	if (res->out == NULL) {
		res->spawn_errno = ENOMEM;
		return -1;
	}
	res->out[0] = '\0';
	if (argv == NULL || argv[0] == NULL ||
	    resolve_program(argv[0], path, sizeof(path)) != 0) {
		res->spawn_errno = ENOENT;
		goto out;
	}
	if (access(path, X_OK) != 0) {
		res->spawn_errno = errno;
		goto out;
	}
	if (pipe2(out_pipe, O_CLOEXEC) != 0 ||
	    pipe2(err_pipe, O_CLOEXEC) != 0) {
		res->spawn_errno = errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		res->spawn_errno = errno;
		goto out;
	}
	if (pid == 0)
		child_exec(path, argv, opts ? opts->envp : NULL,
		    opts ? opts->stdin_path : NULL, out_pipe[1], err_pipe[1]);
	setpgid(pid, pid); /* also in the parent: no race with kill(-pid) */
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	collect_output(pid, out_pipe[0], err_pipe[0], deadline, cap, res);
	reap(pid, deadline, res);
	if (res->exited && res->exit_code == 127 && res->out_len == 0 &&
	    res->err_tail[0] == '\0')
		res->spawn_errno = ENOEXEC;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	return rc;
}

void
spawn_result_free(struct spawn_result *res)
{
	if (res == NULL)
		return;
	free(res->out);
	res->out = NULL;
}
