/*
 * dirsize: bytes and file count below each directory given with -p, like
 * `du -sbx`: apparent sizes (st_size) of every entry including the
 * directories themselves, no symlink followed below the given path, no
 * descent into other filesystems, each hard-linked inode counted once.
 *
 * The walk checks the deadline between entries and stops with what it has
 * counted so far (UNKNOWN).  It runs in a worker thread through
 * call_with_deadline, a little longer than that, so that a system call
 * hung on a dead network filesystem cannot hang the probe either.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

#define DIRSIZE_DIRS_MAX 32
#define DIRSIZE_SEEN_MAX (8u * 1024 * 1024) /* hard-linked inodes remembered */
#define DIRSIZE_ERROR_MAX 256

static const struct option_spec dirsize_options[] = {
	{ "path", 'p', OPT_LIST, "DIR", NULL, 0, -1, "directory to measure" },
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when a directory's size in bytes is outside RANGE" },
	{ "critical", 'c', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when a directory's size in bytes is outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

struct dirsize_inode {
	uint64_t dev, ino;
};

/* Open-addressing set of (dev, ino) for inodes with more than one link. */
struct dirsize_seen {
	struct dirsize_inode *slots; /* owned; ino 0 marks an empty slot */
	size_t size, used; /* size is a power of two */
	bool full; /* hit DIRSIZE_SEEN_MAX: may over-count */
};

/* Copied into and out of the worker by call_with_deadline: plain data. */
struct dirsize_walk {
	char root[PATH_MAX];
	double deadline; /* the walk's own, before the call's */
	uint64_t bytes, files, dirs;
	uint64_t errors;
	uint64_t vanished;
	bool timed_out;
	bool seen_full;
	int root_errno; /* the root itself could not be opened */
	char first_error[DIRSIZE_ERROR_MAX];
};

struct dirsize_ctx {
	struct dirsize_walk *w;
	struct dirsize_seen seen;
	dev_t dev;
	unsigned tick;
	char path[PATH_MAX]; /* current directory, for error messages */
};

static uint64_t
dirsize_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h =
	    ino * 0x9e3779b97f4a7c15ull ^ (dev + 0x632be59bd9b4e019ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/* Returns true when (dev, ino) was seen before; remembers it otherwise. */
static bool
dirsize_seen_add(struct dirsize_seen *s, uint64_t dev, uint64_t ino)
{
	size_t i, mask;

	if (ino == 0)
		ino = UINT64_MAX; /* 0 marks empty slots */
	if (s->used * 2 >= s->size) {
		struct dirsize_inode *old = s->slots;
		size_t oldsize = s->size, nsize = oldsize ? oldsize * 2 : 1024;

		if (nsize > DIRSIZE_SEEN_MAX) {
			s->full = true;
			return false;
		}
		s->slots = calloc(nsize, sizeof(*s->slots));
		if (s->slots == NULL) {
			s->slots = old;
			s->full = true;
			return false;
		}
		s->size = nsize;
		s->used = 0;
		for (i = 0; i < oldsize; i++) {
			if (old[i].ino != 0)
				(void)dirsize_seen_add(
				    s, old[i].dev, old[i].ino);
		}
		free(old);
	}
	mask = s->size - 1;
	for (i = (size_t)dirsize_hash(dev, ino) & mask; s->slots[i].ino != 0;
	     i = (i + 1) & mask) {
		if (s->slots[i].dev == dev && s->slots[i].ino == ino)
			return true;
	}
	s->slots[i].dev = dev;
	s->slots[i].ino = ino;
	s->used++;
	return false;
}

static void
dirsize_error(struct dirsize_ctx *c, const char *name, int err)
{
	size_t len = 0;

	c->w->errors++;
	if (c->w->errors == 1)
		str_appendf(c->w->first_error, sizeof(c->w->first_error), &len,
		    "%s%s%s: %s", c->path, name ? "/" : "", name ? name : "",
		    strerror(err));
}

/* Count the entries of the open directory fd (taken over and closed). */
static void
dirsize_walk_dir(struct dirsize_ctx *c, int fd)
{
	DIR *d = NULL;
	struct dirent *de;
	size_t pathlen = strlen(c->path);

	d = fdopendir(fd);
	if (d == NULL) {
		dirsize_error(c, NULL, errno);
		close(fd);
		return;
	}
	for (;;) {
		struct stat st;
		int sub;

		if ((++c->tick & 63) == 0 &&
		    clock_monotonic_now() >= c->w->deadline)
			c->w->timed_out = true;
		if (c->w->timed_out)
			break;
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				dirsize_error(c, NULL, errno);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			if (errno == ENOENT)
				c->w->vanished++;
			else
				dirsize_error(c, de->d_name, errno);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (st.st_nlink > 1 &&
			    dirsize_seen_add(&c->seen, (uint64_t)st.st_dev,
				(uint64_t)st.st_ino))
				continue;
			c->w->bytes += (uint64_t)st.st_size;
			c->w->files++;
			continue;
		}
		if (st.st_dev != c->dev)
			continue; /* a mount point: another filesystem */
		c->w->bytes += (uint64_t)st.st_size;
		c->w->dirs++;
		sub = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1) {
			if (errno == ENOENT)
				c->w->vanished++;
			else
				dirsize_error(c, de->d_name, errno);
			continue;
		}
		if (pathlen + 1 + strlen(de->d_name) < sizeof(c->path)) {
			c->path[pathlen] = '/';
			str_copy(c->path + pathlen + 1, de->d_name,
			    sizeof(c->path) - pathlen - 1);
		}
		dirsize_walk_dir(c, sub);
		c->path[pathlen] = '\0';
	}
	closedir(d);
}

/* The worker: owns every allocation it makes, frees it before returning. */
static void
dirsize_worker(void *arg)
{
	struct dirsize_walk *w = arg;
	struct dirsize_ctx c;
	struct stat st;
	int fd;

	memset(&c, 0, sizeof(c));
	c.w = w;
	str_copy(c.path, w->root, sizeof(c.path));
	/* The given path may itself be a symlink (e.g. /var/www -> /srv). */
	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		w->root_errno = errno;
		return;
	}
	if (fstat(fd, &st) == -1) {
		w->root_errno = errno;
		close(fd);
		return;
	}
	c.dev = st.st_dev;
	w->bytes += (uint64_t)st.st_size;
	w->dirs++;
	dirsize_walk_dir(&c, fd);
	w->seen_full = c.seen.full;
	free(c.seen.slots);
}

/* Measure one directory; returns -1 when no time is left for others. */
static int
dirsize_one(const struct probe_run *run, struct probe_result *res,
    const char *path, char *msg, size_t msgsize, size_t *msglen)
{
	struct dirsize_walk *w = NULL;
	char name[METRIC_NAME_MAX], human[32];
	double left = deadline_left(run->deadline), margin;
	struct metric *m;
	int ret = 0;

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		result_raise(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		return -1;
	}
	if (str_copy(w->root, path, sizeof(w->root)) >= sizeof(w->root)) {
		result_raise(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "%s is not accessible: %s", path, strerror(ENAMETOOLONG));
		goto out;
	}
	/* Leave the walk time to stop by itself and hand back its counts. */
	margin = left > 2.0 ? 0.5 : left / 4;
	w->deadline = run->deadline - margin;
	if (call_with_deadline(dirsize_worker, w, sizeof(*w), run->deadline) ==
	    -1) {
		result_raise(res, STATE_UNKNOWN, REASON_TIMEOUT,
		    "%s: timed out in a system call (hung filesystem?)", path);
		str_appendf(msg, msgsize, msglen,
		    "%s%s: timed out in a system "
		    "call (hung filesystem?)",
		    *msglen ? "; " : "", path);
		ret = -1;
		goto out;
	}
	if (w->root_errno != 0) {
		result_raise(res, STATE_CRITICAL, REASON_NOT_FOUND,
		    "%s is not accessible: %s", path, strerror(w->root_errno));
		str_appendf(msg, msgsize, msglen, "%s%s is not accessible: %s",
		    *msglen ? "; " : "", path, strerror(w->root_errno));
		goto out;
	}
	metric_name_for_path(name, sizeof(name), path, "bytes");
	if ((m = result_metric(res, name, (double)w->bytes, "B", DS_GAUGE)) !=
	    NULL) {
		m->has_min = true;
		m->min = 0;
		args_range(run->args, "warning", &m->warn);
		args_range(run->args, "critical", &m->crit);
	}
	metric_name_for_path(name, sizeof(name), path, "files");
	if ((m = result_metric(res, name, (double)w->files, "", DS_GAUGE)) !=
	    NULL) {
		m->has_min = true;
		m->min = 0;
	}
	format_bytes(human, sizeof(human), (double)w->bytes);
	str_appendf(msg, msgsize, msglen, "%s%s %s in %llu files%s",
	    *msglen ? "; " : "", path, human, (unsigned long long)w->files,
	    w->timed_out ? " so far (timed out)" : "");
	result_long(res,
	    "%s: %llu bytes, %llu files, %llu directories, "
	    "%llu unreadable, %llu vanished",
	    path, (unsigned long long)w->bytes, (unsigned long long)w->files,
	    (unsigned long long)w->dirs, (unsigned long long)w->errors,
	    (unsigned long long)w->vanished);
	if (w->errors > 0) {
		result_raise(res, STATE_WARNING, REASON_NOT_FOUND, NULL);
		str_appendf(msg, msgsize, msglen,
		    " (%llu unreadable, first: %s)",
		    (unsigned long long)w->errors, w->first_error);
	}
	if (w->seen_full)
		result_long(res,
		    "%s: too many hard-linked files to remember; "
		    "some may be counted twice",
		    path);
	if (w->timed_out) {
		result_raise(res, STATE_UNKNOWN, REASON_TIMEOUT, NULL);
		ret = -1;
	}
out:
	free(w);
	return ret;
}

static int
dirsize_run(const struct probe_run *run, struct probe_result *res)
{
	char msg[PROBE_MESSAGE_MAX];
	size_t i, n, len = 0;

	n = args_list_count(run->args, "path");
	if (n == 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "no directory given (-p DIR)");
		return 0;
	}
	if (n > DIRSIZE_DIRS_MAX)
		n = DIRSIZE_DIRS_MAX;
	msg[0] = '\0';
	for (i = 0; i < n; i++) {
		if (dirsize_one(run, res, args_list_item(run->args, "path", i),
			msg, sizeof(msg), &len) == -1) {
			for (i++; i < n; i++)
				str_appendf(msg, sizeof(msg), &len,
				    "; %s not counted (deadline)",
				    args_list_item(run->args, "path", i));
			break;
		}
	}
	result_apply_thresholds(res);
	str_copy(res->message, msg, sizeof(res->message));
	return 0;
}

const struct probe probe_dirsize = {
	.name = "dirsize",
	.summary = "bytes and file count below directories (like du -sbx)",
	.usage = "-p DIR [-p DIR]... [-w RANGE] [-c RANGE]",
	.options = dirsize_options,
	.munin = {
		.title = "Directory sizes",
		.category = "disk",
		.vlabel = "bytes / files",
		.args = "--base 1024 -l 0",
	},
	.run = dirsize_run,
};
