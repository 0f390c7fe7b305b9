/* Small helpers every module uses: clocks, bounded strings, files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

double
clock_monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
deadline_left(double deadline)
{
	return deadline - clock_monotonic_now();
}

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void
str_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= size - *len)
		*len = size - 1;
	else
		*len += (size_t)n;
}

/* strtod honours LC_NUMERIC; osemon never calls setlocale, but a library
 * might, so parse with a C locale object of our own. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int
parse_double(const char *s, double *out)
{
	char *end = NULL;
	double v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t')
		return -1;
	pthread_once(&c_locale_once, c_locale_init);
	errno = 0;
	v = c_locale ? strtod_l(s, &end, c_locale) : strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
		return -1;
	/* strtod accepts hex floats and "inf"/"nan": plain decimals only. */
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
			*p == '+' || *p == 'e' || *p == 'E'))
			return -1;
	*out = v;
	return 0;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') ||
			(p == s && (*p == '-' || *p == '+'))))
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
format_number(char *buf, size_t size, double v)
{
	char *dot, *p;

	if (isnan(v)) {
		str_copy(buf, "U", size);
		return;
	}
	if (fabs(v) >= 1e15 || (v != 0 && fabs(v) < 1e-6)) {
		snprintf(buf, size, "%g", v);
		return;
	}
	if (v == floor(v)) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	snprintf(buf, size, "%.6f", v);
	dot = strchr(buf, '.');
	if (dot == NULL)
		return;
	p = buf + strlen(buf) - 1;
	while (p > dot && *p == '0')
		*p-- = '\0';
	if (p == dot)
		*p = '\0';
}

void
format_bytes(char *buf, size_t size, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
		"PiB" };
	size_t u = 0;

	while (bytes >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
}

/* The rule for a secret file: regular, owner only, owned by us. */
static int
secret_stat_ok(
    const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		    "%s: secret file is accessible by group or others "
		    "(mode %03o); chmod 600 it",
		    path, (unsigned)(st->st_mode & 0777));
		return -1;
	}
	if (st->st_uid != geteuid()) {
		snprintf(err, errlen, "%s: secret file is not owned by uid %u",
		    path, (unsigned)geteuid());
		return -1;
	}
	return 0;
}

int
secret_check_mode(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return secret_stat_ok(path, &st, err, errlen);
}

int
secret_read(const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	struct stat st;
	int fd = -1, rc = -1;
	ssize_t n;
	size_t len;

	if (size == 0)
		goto out;
	/* Check the file we opened, not the name: no swap in between.  A
	 * FIFO must not block us: O_NONBLOCK, then refused as not regular. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (secret_stat_ok(path, &st, err, errlen) != 0)
		goto out;
	n = read(fd, buf, size);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((size_t)n >= size) {
		snprintf(err, errlen, "%s: secret longer than %zu bytes", path,
		    size - 1);
		goto out;
	}
	len = (size_t)n;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\r', len) != NULL || memchr(buf, '\n', len) != NULL) {
		snprintf(err, errlen,
		    "%s: secret contains a line break "
		    "(CRLF or several lines)",
		    path);
		goto out;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s: secret file is empty", path);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && size > 0)
		explicit_bzero(buf, size);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
fsync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	str_copy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash == NULL)
		str_copy(dir, ".", sizeof(dir));
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Temp file + rename; durable: fsync the file and its folder too. */
static int
file_write_renamed(const char *path, const void *data, size_t len, mode_t mode,
    bool durable, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd = -1, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
		(long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", tmp,
			    n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (durable && fsync(fd) != 0) {
		snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "%s: close: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto out;
	}
	if (durable)
		fsync_parent_dir(path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	return file_write_renamed(path, data, len, mode, true, err, errlen);
}

int
file_write_replace(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	return file_write_renamed(path, data, len, mode, false, err, errlen);
}

/* Read fd to its end or cap into a new string; positional: from offset 0
 * whatever was read before. */
static int
fd_read_capped(int fd, bool positional, size_t cap, char **out, size_t *len)
{
	char *buf = malloc(cap + 1);
	size_t used = 0;

	*out = NULL;
	*len = 0;
	if (buf == NULL)
		return -1;
	while (used < cap) {
		ssize_t n = positional
		    ? pread(fd, buf + used, cap - used, (off_t)used)
		    : read(fd, buf + used, cap - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}

int
file_read_capped(const char *path, size_t cap, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	rc = fd_read_capped(fd, false, cap, out, len);
	close(fd);
	return rc;
}

int
file_reread_capped(
    const char *path, int *fdp, size_t cap, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (*fdp < 0)
		*fdp = open(path, O_RDONLY | O_CLOEXEC);
	if (*fdp < 0)
		return -1;
	return fd_read_capped(*fdp, true, cap, out, len);
}

int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = str_copy(buf, path, sizeof(buf));

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* A call handed to a thread; freed by whoever finishes last. */
struct deadline_call {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	int refs;
	bool done;
	void (*fn)(void *);
	size_t size;
	unsigned char arg[];
};

static void
deadline_call_unref(struct deadline_call *c)
{
	int left;

	pthread_mutex_lock(&c->lock);
	left = --c->refs;
	pthread_mutex_unlock(&c->lock);
	if (left == 0) {
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->done_cond);
		free(c);
	}
}

static void *
deadline_call_thread(void *p)
{
	struct deadline_call *c = p;

	c->fn(c->arg);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_signal(&c->done_cond);
	pthread_mutex_unlock(&c->lock);
	deadline_call_unref(c);
	return NULL;
}

int
call_with_deadline(
    void (*fn)(void *arg), void *arg, size_t arg_size, double deadline)
{
	struct deadline_call *c;
	pthread_attr_t attr;
	pthread_t tid;
	struct timespec abs;
	double left;
	int rc = -1;

	c = calloc(1, sizeof(*c) + arg_size);
	if (c == NULL)
		return -1;
	pthread_mutex_init(&c->lock, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&c->done_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	c->refs = 2;
	c->fn = fn;
	c->size = arg_size;
	memcpy(c->arg, arg, arg_size);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, deadline_call_thread, c) != 0) {
		pthread_attr_destroy(&attr);
		c->refs = 1;
		deadline_call_unref(c);
		return -1;
	}
	pthread_attr_destroy(&attr);

	left = deadline_left(deadline);
	if (left < 0)
		left = 0;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec += (time_t)left;
	abs.tv_nsec += (long)((left - floor(left)) * 1e9);
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	while (!c->done) {
		if (pthread_cond_timedwait(&c->done_cond, &c->lock, &abs) ==
		    ETIMEDOUT)
			break;
	}
	if (c->done) {
		memcpy(arg, c->arg, arg_size);
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	deadline_call_unref(c);
	return rc;
}
