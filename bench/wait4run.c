/*
 * wait4run: run one command (stdout and stderr to /dev/null) and print
 * "WALL_US MAXRSS_KIB EXIT" from fork/exec/wait4, so that start-up time
 * and peak memory of a plugin are measured the way Nagios and munin pay
 * for them.  Kept tiny so that its own RSS (inherited by the child until
 * exec) stays under the peak of anything it measures.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int status, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: wait4run COMMAND [ARG]...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == -1) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1) {
		perror("wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld %ld %d\n",
	    (long)((t1.tv_sec - t0.tv_sec) * 1000000L +
		(t1.tv_nsec - t0.tv_nsec) / 1000L),
	    ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
