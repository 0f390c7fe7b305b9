#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abuf.h"
#include "spool.h"
#include "util.h"

static int
spool_path(char *buf, size_t size, const char *dir, const char *name,
    const char *suffix)
{
	int n = snprintf(buf, size, "%s/%s%s", dir, name, suffix);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
spool_write(const char *dir, const char *data, size_t len, char *name,
    size_t namesize, char *err, size_t errlen)
{
	static unsigned long seq;
	char path[SMTP_PATH_MAX];
	uint32_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)(clock_monotonic_now() * 1e6);
	snprintf(name, namesize, "%012lld-%07ld-%06lu-%08x.eml",
	    (long long)time(NULL), (long)getpid(), ++seq % 1000000,
	    (unsigned)rnd);
	if (spool_path(path, sizeof(path), dir, name, "") != 0) {
		snprintf(err, errlen, "spool path too long");
		return -1;
	}
	if (mkdir_p(dir, 0700) != 0) {
		snprintf(
		    err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return file_write_atomic(path, data, len, 0600, err, errlen);
}

static int
spool_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
spool_is_mail(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && n < SPOOL_NAME_MAX && name[0] != '.' &&
	    strcmp(name + n - 4, ".eml") == 0;
}

long
spool_list(const char *dir, char ***names)
{
	DIR *d = NULL;
	struct dirent *de;
	char **v = NULL, **p;
	long n = 0, cap = 0;

	*names = NULL;
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (!spool_is_mail(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			p = realloc(v, (size_t)cap * sizeof(*v));
			if (p == NULL)
				goto fail;
			v = p;
		}
		v[n] = strdup(de->d_name);
		if (v[n] == NULL)
			goto fail;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), spool_name_cmp);
	*names = v;
	return n;
fail:
	closedir(d);
	spool_names_free(v, n);
	return -1;
}

void
spool_names_free(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
spool_remove(const char *dir, const char *name)
{
	char path[SMTP_PATH_MAX];

	if (spool_path(path, sizeof(path), dir, name, "") == 0)
		unlink(path);
	if (spool_path(path, sizeof(path), dir, name, ".meta") == 0)
		unlink(path);
}

unsigned long
spool_enforce_limit(const char *dir, long max)
{
	char **names = NULL;
	long n = spool_list(dir, &names);
	unsigned long dropped = 0;

	if (max <= 0 || n <= max) {
		spool_names_free(names, n < 0 ? 0 : n);
		return 0;
	}
	for (long i = 0; i < n - max; i++) {
		spool_remove(dir, names[i]);
		dropped++;
	}
	spool_names_free(names, n);
	return dropped;
}

unsigned long
spool_clean_temp(const char *dir, const char *prefix, time_t now, long max_age)
{
	DIR *d;
	struct dirent *de;
	unsigned long removed = 0;

	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[SMTP_PATH_MAX];
		struct stat st;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    strstr(de->d_name, ".tmp.") == NULL ||
		    spool_path(path, sizeof(path), dir, de->d_name, "") != 0 ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    now - st.st_mtime < max_age)
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static bool
spool_addr_ok(const char *a)
{
	size_t n = strlen(a);

	if (n == 0 || n >= SMTP_ADDR_MAX || strchr(a, '@') == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' ||
		    c == ',' || c == '"')
			return false;
	}
	return true;
}

int
spool_meta_parse(const char *text, size_t len, struct spool_meta *m)
{
	const char *p = text, *end = text + len;

	memset(m, 0, sizeof(*m));
	if (len > SPOOL_META_MAX)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		char line[SMTP_ADDR_MAX + 300];
		char *val;
		long v;

		if (n >= sizeof(line))
			return -1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL)
			return -1;
		p = nl != NULL ? nl + 1 : end;
		if (line[0] == '\0')
			continue;
		val = strchr(line, ' ');
		if (val == NULL)
			return -1;
		*val++ = '\0';
		if (strcmp(line, "attempts") == 0) {
			if (parse_long(val, 0, 1000000, &v) != 0)
				return -1;
			m->attempts = (unsigned)v;
		} else if (strcmp(line, "next-try") == 0) {
			if (parse_long(val, 0, INT64_MAX / 2, &v) != 0)
				return -1;
			m->next_try = (time_t)v;
		} else if (strcmp(line, "error") == 0) {
			str_copy(m->error, val, sizeof(m->error));
		} else if (strcmp(line, "rcpt") == 0) {
			if (!spool_addr_ok(val))
				return -1;
			m->has_rcpts = true;
			if (m->nrcpts < SMTP_RCPTS_MAX)
				str_copy(
				    m->rcpts[m->nrcpts++], val, SMTP_ADDR_MAX);
		}
	}
	return 0;
}

int
spool_meta_read(const char *dir, const char *name, struct spool_meta *m)
{
	char path[SMTP_PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if (spool_path(path, sizeof(path), dir, name, ".meta") != 0)
		return -1;
	if (access(path, F_OK) != 0)
		return errno == ENOENT ? 0 : -1;
	if (file_read_capped(path, SPOOL_META_MAX, &text, &len) != 0)
		return -1;
	rc = spool_meta_parse(text, len, m);
	free(text);
	return rc;
}

int
spool_meta_write(const char *dir, const char *name, const struct spool_meta *m)
{
	char path[SMTP_PATH_MAX], err[256], errline[256];
	struct abuf b;
	int rc;

	if (spool_path(path, sizeof(path), dir, name, ".meta") != 0)
		return -1;
	str_copy(errline, m->error, sizeof(errline));
	for (size_t i = 0; errline[i] != '\0'; i++)
		if ((unsigned char)errline[i] < 0x20)
			errline[i] = ' ';
	abuf_init(&b);
	abuf_addf(&b, "attempts %u\nnext-try %lld\n", m->attempts,
	    (long long)m->next_try);
	if (errline[0] != '\0')
		abuf_addf(&b, "error %s\n", errline);
	for (size_t i = 0; i < m->nrcpts; i++)
		abuf_addf(&b, "rcpt %s\n", m->rcpts[i]);
	if (b.failed) {
		abuf_free(&b);
		return -1;
	}
	rc = file_write_atomic(path, b.data, b.len, 0600, err, sizeof(err));
	abuf_free(&b);
	return rc;
}

/* Split one address-list header value into rcpts. */
static void
spool_split_addrs(const char *v, size_t vlen, char rcpts[][SMTP_ADDR_MAX],
    size_t max, size_t *count)
{
	size_t i = 0;

	while (i < vlen) {
		size_t start = i, s, e;
		bool quoted = false;
		char addr[SMTP_ADDR_MAX];
		const char *lt, *gt;

		while (i < vlen && (quoted || v[i] != ',')) {
			if (v[i] == '"')
				quoted = !quoted;
			i++;
		}
		s = start;
		e = i;
		i++; /* skip ',' */
		lt = memchr(v + s, '<', e - s);
		if (lt != NULL) {
			gt = memchr(lt, '>', (size_t)(v + e - lt));
			if (gt == NULL)
				continue;
			s = (size_t)(lt + 1 - v);
			e = (size_t)(gt - v);
		}
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == 0 || e - s >= sizeof(addr))
			continue;
		memcpy(addr, v + s, e - s);
		addr[e - s] = '\0';
		if (!spool_addr_ok(addr) || *count >= max)
			continue;
		str_copy(rcpts[(*count)++], addr, SMTP_ADDR_MAX);
	}
}

int
spool_rcpts_from_mail(
    const char *data, size_t len, char rcpts[][SMTP_ADDR_MAX], size_t max)
{
	const char *p = data, *end = data + len;
	struct abuf val;
	size_t count = 0;
	bool in_list = false, body = false;

	abuf_init(&val);
	val.limit = 65536;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			body = true;
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			if (in_list)
				abuf_add(&val, p, n);
		} else {
			if (in_list) {
				spool_split_addrs(
				    val.data != NULL ? val.data : "", val.len,
				    rcpts, max, &count);
				abuf_free(&val);
				abuf_init(&val);
				val.limit = 65536;
			}
			in_list = (n >= 3 &&
			    (strncasecmp(p, "To:", 3) == 0 ||
				strncasecmp(p, "Cc:", 3) == 0));
			if (in_list)
				abuf_add(&val, p + 3, n - 3);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (in_list && !val.failed)
		spool_split_addrs(val.data != NULL ? val.data : "", val.len,
		    rcpts, max, &count);
	abuf_free(&val);
	if (!body || count == 0)
		return -1;
	return (int)count;
}

long
spool_backoff(unsigned attempts, long min, long max)
{
	long d = min > 0 ? min : 1;

	for (unsigned i = 1; i < attempts && d < max; i++)
		d *= 2;
	return d > max ? max : d;
}
