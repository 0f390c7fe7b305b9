/*
 * cpurun: the CPU and memory a benchmark needs to know about a program,
 * measured from outside, the way the kernel accounts them.
 *
 *   cpurun loop N PROG [ARG]...
 *	run PROG N times one after the other (fork, exec, wait: the way
 *	Nagios runs a plugin per check); prints "cpu_us" (user + system CPU
 *	of the children per run, from wait4), "wall_ms" per run, "maxrss_kib"
 *	(largest child) and "bad" (runs that did not exit 0).  With
 *	CPURUN_PACE_S=S in the environment a run starts every S seconds
 *	instead, the machine idle in between, as a scheduler spreads checks.
 *
 *   cpurun daemon WARM SECONDS PROG [ARG]...
 *	start PROG (a daemon in the foreground), let it warm up WARM
 *	seconds, then watch it for SECONDS: "cpu_s" is utime + stime +
 *	cutime + cstime of /proc/PID/stat over the window, "anon_kib"
 *	(Anonymous: heap, stacks, relocated library data; the issue's
 *	"private (anonymous) RSS"), "priv_kib" (Private_Clean +
 *	Private_Dirty, which also counts library text no other process
 *	maps at the moment) and "pss_kib" the medians of
 *	/proc/PID/smaps_rollup sampled every 0.5 s, "priv_max_kib" the
 *	largest; then SIGTERM (SIGKILL 5 s later), and "life_cpu_s" (whole
 *	life, from wait4), "task_cpu_s" the window's CPU of the threads
 *	from /proc/PID/task/TID/schedstat (nanoseconds: for costs below the
 *	10 ms tick of cpu_s).
 *
 * stdout and stderr of PROG go to /dev/null (daemon: to $CPURUN_LOG when
 * set).  Kept libc-only so that it builds with `cc` anywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLES_MAX 4096

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double
tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static pid_t
start(char **argv, const char *log)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid != 0)
		return pid;
	fd = open(log != NULL ? log : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* utime + stime + cutime + cstime (fields 14-17) in seconds, -1 on error */
static double
stat_cpu(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long v, sum = 0;
	size_t n;
	FILE *fp;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	for (field = 14; field <= 17 && p != NULL; field++) {
		v = strtoull(p + 1, &p, 10);
		sum += v;
	}
	return (double)sum / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of the live threads of pid from /proc/PID/task/TID/schedstat
 * (nanoseconds, no tick granularity); -1 when unavailable.  A thread that
 * exits in between takes its time with it (the collector's do not). */
static double
task_cpu(pid_t pid)
{
	char path[300];
	unsigned long long ns, sum = 0;
	struct dirent *d;
	DIR *dir;
	FILE *fp;
	int seen = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/schedstat",
		    (long)pid, d->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(fp, "%llu", &ns) == 1) {
			sum += ns;
			seen = 1;
		}
		fclose(fp);
	}
	closedir(dir);
	return seen ? (double)sum / 1e9 : -1;
}

struct mem {
	long anon, priv, pss; /* KiB */
};

/* Anonymous, Private_Clean + Private_Dirty and Pss of smaps_rollup */
static int
smaps(pid_t pid, struct mem *m)
{
	char path[64], line[256], *end;
	FILE *fp;
	long v;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		v = strtol(colon + 1, &end, 10);
		if (strncmp(line, "Private_Clean:", 14) == 0 ||
		    strncmp(line, "Private_Dirty:", 14) == 0)
			m->priv += v;
		else if (strncmp(line, "Pss:", 4) == 0)
			m->pss = v;
		else if (strncmp(line, "Anonymous:", 10) == 0)
			m->anon = v;
	}
	fclose(fp);
	return 0;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static long
median(long *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_long);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
loop(long n, char **argv)
{
	struct rusage ru;
	const char *pace_env = getenv("CPURUN_PACE_S");
	double cpu = 0, w0, pace = pace_env ? atof(pace_env) : 0;
	long i, bad = 0, maxrss = 0;
	int st;
	pid_t pid;

	w0 = now_s();
	for (i = 0; i < n; i++) {
		if (pace > 0 && w0 + pace * (double)i > now_s())
			sleep_s(w0 + pace * (double)i - now_s());
		if ((pid = start(argv, NULL)) < 0) {
			perror("fork");
			return 1;
		}
		if (wait4(pid, &st, 0, &ru) < 0) {
			perror("wait4");
			return 1;
		}
		cpu += tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	printf("cpu_us %.1f\n", cpu * 1e6 / (double)n);
	printf("wall_ms %.3f\n", (now_s() - w0) * 1e3 / (double)n);
	printf("maxrss_kib %ld\n", maxrss);
	printf("bad %ld\n", bad);
	return 0;
}

static int
daemon_run(double warm, double secs, char **argv)
{
	static long anons[SAMPLES_MAX], privs[SAMPLES_MAX], psss[SAMPLES_MAX];
	struct rusage ru;
	struct mem m;
	double c0, c1, k0, k1, t0, t1, next;
	long priv_max = 0;
	size_t ns = 0;
	pid_t pid;
	int st, i, gone = 0;

	if ((pid = start(argv, getenv("CPURUN_LOG"))) < 0) {
		perror("fork");
		return 1;
	}
	sleep_s(warm);
	c0 = stat_cpu(pid);
	k0 = task_cpu(pid);
	t0 = now_s();
	if (c0 < 0 || waitpid(pid, &st, WNOHANG) != 0) {
		fprintf(stderr, "cpurun: %s died during warm-up\n", argv[0]);
		return 1;
	}
	for (next = t0; next < t0 + secs; next += 0.5) {
		sleep_s(next - now_s());
		if (smaps(pid, &m) != 0) {
			gone = 1;
			break;
		}
		if (ns < SAMPLES_MAX) {
			anons[ns] = m.anon;
			privs[ns] = m.priv;
			psss[ns] = m.pss;
			ns++;
		}
		if (m.priv > priv_max)
			priv_max = m.priv;
	}
	sleep_s(t0 + secs - now_s());
	c1 = stat_cpu(pid);
	k1 = task_cpu(pid);
	t1 = now_s();
	kill(pid, SIGTERM);
	memset(&ru, 0, sizeof(ru));
	for (i = 0; i < 500 && wait4(pid, &st, WNOHANG, &ru) == 0; i++)
		sleep_s(0.01);
	if (i == 500) {
		kill(pid, SIGKILL);
		if (wait4(pid, &st, 0, &ru) < 0)
			memset(&ru, 0, sizeof(ru));
	}
	if (gone || c1 < 0) {
		fprintf(stderr, "cpurun: %s died while measured\n", argv[0]);
		return 1;
	}
	printf("cpu_s %.3f\n", c1 - c0);
	printf("window_s %.3f\n", t1 - t0);
	if (k0 >= 0 && k1 >= 0)
		printf("task_cpu_s %.6f\n", k1 - k0);
	printf("anon_kib %ld\n", median(anons, ns));
	printf("priv_kib %ld\n", median(privs, ns));
	printf("pss_kib %ld\n", median(psss, ns));
	printf("priv_max_kib %ld\n", priv_max);
	printf("life_cpu_s %.3f\n", tv_s(ru.ru_utime) + tv_s(ru.ru_stime));
	return 0;
}

static int
number(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno != 0 || end == s || *end != '\0' || *out < lo || *out > hi
	    ? -1
	    : 0;
}

int
main(int argc, char **argv)
{
	double a, b;

	if (argc >= 4 && strcmp(argv[1], "loop") == 0 &&
	    number(argv[2], 1, 1e7, &a) == 0)
		return loop((long)a, argv + 3);
	if (argc >= 5 && strcmp(argv[1], "daemon") == 0 &&
	    number(argv[2], 0, 3600, &a) == 0 &&
	    number(argv[3], 0.1, 86400, &b) == 0)
		return daemon_run(a, b, argv + 4);
	fprintf(stderr,
	    "usage: cpurun loop N PROG [ARG]...\n"
	    "       cpurun daemon WARM SECONDS PROG [ARG]...\n");
	return 2;
}
