/*
 * disk: used and free bytes, used % and inode used % of each local
 * filesystem (from /proc/self/mounts) or of the paths given with -p.
 *
 * statvfs() on a dead NFS server blocks in the kernel and cannot be
 * interrupted, so such a statvfs runs through call_with_deadline(): a hung
 * mount is reported as timed out and the probe still returns in time.  A
 * path that only crosses local filesystems and no symlink is statvfs'ed
 * directly: a thread hand-off costs a plugin start-up about a millisecond
 * on a busy machine, as much as the whole of check_disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

#define DISK_MOUNTS_CAP (1024 * 1024)
#define DISK_MOUNTS_MAX 64
#define DISK_TYPE_MAX 64

/* Filesystems that hold no user data; tmpfs and overlay can be asked for
 * with --include-type. */
static const char *const disk_pseudo_types[] = {
	"proc",
	"sysfs",
	"devtmpfs",
	"devpts",
	"tmpfs",
	"cgroup",
	"cgroup2",
	"securityfs",
	"pstore",
	"debugfs",
	"tracefs",
	"configfs",
	"fusectl",
	"mqueue",
	"hugetlbfs",
	"bpf",
	"autofs",
	"binfmt_misc",
	"overlay",
	"squashfs",
	"nsfs",
	"rpc_pipefs",
	"efivarfs",
	"ramfs",
	"selinuxfs",
	"nfsd",
	"fuse.lxcfs",
	"fuse.gvfsd-fuse",
	"fuse.portal",
	"none",
	NULL,
};

/* Filesystems whose statvfs cannot block on a network or a user-space
 * server; anything else (nfs, cifs, fuse.*, autofs, ceph...) runs in a
 * worker thread under the deadline. */
static const char *const disk_local_types[] = {
	"ext2",
	"ext3",
	"ext4",
	"xfs",
	"btrfs",
	"zfs",
	"f2fs",
	"vfat",
	"exfat",
	"msdos",
	"ntfs",
	"ntfs3",
	"jfs",
	"reiserfs",
	"nilfs2",
	"bcachefs",
	"hfs",
	"hfsplus",
	"iso9660",
	"udf",
	"squashfs",
	"erofs",
	"overlay",
	"tmpfs",
	"ramfs",
	"devtmpfs",
	"proc",
	"sysfs",
	"devpts",
	"cgroup",
	"cgroup2",
	"securityfs",
	"pstore",
	"debugfs",
	"tracefs",
	"configfs",
	"fusectl",
	"mqueue",
	"hugetlbfs",
	"bpf",
	"binfmt_misc",
	"nsfs",
	"efivarfs",
	"selinuxfs",
	NULL,
};

/* The mounts table, unescaped in place in its own text. */
struct disk_mount {
	const char *path;
	const char *type;
};

struct disk_mounts {
	char *text; /* owned */
	struct disk_mount *v; /* owned */
	size_t n;
};

/* A collector check's memory: the mounts table, read again only when
 * the kernel says it changed (poll on /proc/self/mounts gives POLLPRI
 * after a mount or umount, see proc(5)). */
struct disk_cache {
	int fd; /* -1: read the table every run */
	bool loaded;
	bool changed; /* poll saw a change the table does not have yet */
	bool all_direct; /* the last run statvfs'ed every target directly */
	struct disk_mounts mt;
};

static const struct option_spec disk_options[] = {
	{ "path", 'p', OPT_LIST, "PATH", NULL, 0, -1,
	    "check only PATH; default: every local filesystem" },
	{ "exclude", 'x', OPT_LIST, "PATH", NULL, 0, -1,
	    "skip the filesystem mounted at PATH" },
	{ "exclude-type", 'X', OPT_LIST, "TYPE", NULL, 0, -1,
	    "skip filesystems of TYPE, e.g. nfs4" },
	{ "include-type", 0, OPT_LIST, "TYPE", NULL, 0, -1,
	    "also check pseudo filesystems of TYPE, e.g. tmpfs" },
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when used % is outside RANGE (e.g. 80)" },
	{ "critical", 'c', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when used % is outside RANGE (e.g. 90)" },
	{ "inode-warning", 'W', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when inode used % is outside RANGE" },
	{ "inode-critical", 'K', OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when inode used % is outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* Copied into and out of the worker thread by call_with_deadline. */
struct disk_statvfs_call {
	char path[PATH_MAX];
	struct statvfs st;
	int rc;
	int err;
};

struct disk_target {
	char path[PATH_MAX];
	char type[DISK_TYPE_MAX];
};

static void
disk_statvfs_worker(void *arg)
{
	struct disk_statvfs_call *call = arg;

	call->rc = statvfs(call->path, &call->st);
	call->err = call->rc == 0 ? 0 : errno;
}

static bool
disk_in_list(const struct args *a, const char *opt, const char *word)
{
	size_t i, n;

	n = args_list_count(a, opt);
	for (i = 0; i < n; i++) {
		if (strcmp(args_list_item(a, opt, i), word) == 0)
			return true;
	}
	return false;
}

static bool
disk_is_pseudo(const char *type)
{
	size_t i;

	for (i = 0; disk_pseudo_types[i] != NULL; i++) {
		if (strcmp(disk_pseudo_types[i], type) == 0)
			return true;
	}
	return false;
}

/* Undo the octal escapes (\040 for a space...) of /proc/self/mounts into
 * dst; returns -1 when the field does not fit. */
static int
disk_unescape(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = src[i];

		if (c == '\\' && i + 3 < len && src[i + 1] >= '0' &&
		    src[i + 1] <= '3' && src[i + 2] >= '0' &&
		    src[i + 2] <= '7' && src[i + 3] >= '0' &&
		    src[i + 3] <= '7') {
			c = (char)((src[i + 1] - '0') * 64 +
			    (src[i + 2] - '0') * 8 + (src[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= size)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

/* Split the next space-separated field of a mounts line. */
static const char *
disk_field(const char *p, const char *end, size_t *len)
{
	const char *start;

	while (p < end && *p == ' ')
		p++;
	start = p;
	while (p < end && *p != ' ')
		p++;
	*len = (size_t)(p - start);
	return start;
}

/* Find the next space-separated field of [p, end): start and length. */
static const char *
disk_next_field(const char *p, const char *end, size_t *len)
{
	while (p < end && *p == ' ')
		p++;
	return disk_field(p, end, len);
}

static void
disk_mounts_free(struct disk_mounts *mt)
{
	free(mt->text);
	free(mt->v);
	memset(mt, 0, sizeof(*mt));
}

/* Read /proc/self/mounts: mount point and type of every line. */
static int
disk_mounts_load(struct disk_mounts *mt, char *err, size_t errlen)
{
	size_t len = 0, lines = 0, i;
	char *p, *end, *eol, *text = NULL;

	memset(mt, 0, sizeof(*mt));
	/* Read into a local: the analyzer then still knows mt->n is 0. */
	if (file_read_capped(
		"/proc/self/mounts", DISK_MOUNTS_CAP, &text, &len) == -1) {
		snprintf(err, errlen, "cannot read /proc/self/mounts: %s",
		    strerror(errno));
		return -1;
	}
	mt->text = text;
	for (i = 0; i < len; i++)
		lines += mt->text[i] == '\n';
	mt->v = calloc(lines + 1, sizeof(*mt->v));
	if (mt->v == NULL) {
		snprintf(err, errlen, "out of memory");
		disk_mounts_free(mt);
		return -1;
	}
	end = mt->text + len;
	for (p = mt->text; p < end && mt->n <= lines; p = eol + 1) {
		const char *f;
		size_t dlen, mlen, tlen;
		char *mnt, *type;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		f = disk_next_field(p, eol, &dlen); /* device */
		f = disk_next_field(f + dlen, eol, &mlen);
		mnt = p + (f - p);
		f = disk_next_field(mnt + mlen, eol, &tlen);
		type = p + (f - p);
		if (mlen == 0 || tlen == 0 || tlen >= DISK_TYPE_MAX)
			continue;
		/* Unescaping only shrinks a field: do it in place, after all
		 * fields of the line were found. */
		if (disk_unescape(mnt, mlen, mnt, mlen + 1) == -1 ||
		    disk_unescape(type, tlen, type, tlen + 1) == -1)
			continue;
		mt->v[mt->n].path = mnt;
		mt->v[mt->n].type = type;
		mt->n++;
	}
	return 0;
}

static void
disk_cache_free(void *state)
{
	struct disk_cache *dc = state;

	if (dc == NULL)
		return;
	if (dc->fd >= 0)
		close(dc->fd);
	disk_mounts_free(&dc->mt);
	free(dc);
}

/* The check's cached table, or NULL outside the collector. */
static struct disk_cache *
disk_cache_get(const struct probe_run *run)
{
	struct disk_cache *dc;

	if (run->face != FACE_COLLECTOR || run->check_state == NULL)
		return NULL;
	if (*run->check_state != NULL)
		return *run->check_state;
	if ((dc = calloc(1, sizeof(*dc))) == NULL)
		return NULL;
	/* opened before the first read: a change in between shows */
	dc->fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC);
	*run->check_state = dc;
	return dc;
}

/* Has the mount table changed since it was read?  poll() reports a
 * change once, so it is remembered until the next read. */
static bool
disk_cache_stale(struct disk_cache *dc)
{
	struct pollfd pfd = { .fd = dc->fd, .events = POLLPRI };

	if (!dc->loaded || dc->fd < 0)
		return true;
	if (!dc->changed && poll(&pfd, 1, 0) != 0)
		dc->changed = true;
	return dc->changed;
}

static int
disk_cache_refresh(struct disk_cache *dc, char *err, size_t errlen)
{
	if (!disk_cache_stale(dc))
		return 0;
	if (dc->loaded)
		disk_mounts_free(&dc->mt);
	dc->changed = false;
	dc->loaded = disk_mounts_load(&dc->mt, err, errlen) == 0;
	return dc->loaded ? 0 : -1;
}

static bool
disk_is_local(const char *type)
{
	size_t i;

	for (i = 0; disk_local_types[i] != NULL; i++) {
		if (strcmp(disk_local_types[i], type) == 0)
			return true;
	}
	return false;
}

/* Type of the filesystem a path lies on, by the longest mount point that
 * is a prefix of it (the last listed wins: it is mounted on top). */
static const char *
disk_mount_type(const struct disk_mounts *mt, const char *path, size_t len)
{
	const char *type = NULL;
	size_t best = 0, i, mlen;

	for (i = 0; i < mt->n; i++) {
		mlen = strlen(mt->v[i].path);
		if (strcmp(mt->v[i].path, "/") == 0)
			mlen = 0;
		else if (mlen > len || memcmp(mt->v[i].path, path, mlen) != 0 ||
		    (mlen < len && path[mlen] != '/'))
			continue;
		if (mlen >= best) {
			best = mlen;
			type = mt->v[i].type;
		}
	}
	return type;
}

/*
 * Can statvfs(path) block on a network or user-space filesystem?  Yes
 * unless the path is absolute and plain (no "." or ".."), and each prefix
 * lies on a local filesystem and is no symlink.  Each prefix's mount is
 * checked before it is lstat'ed, so this never touches a remote mount.
 */
static bool
disk_may_hang(const struct disk_mounts *mt, const char *path)
{
	const char *type, *p, *comp;
	char prefix[PATH_MAX];
	struct stat st;
	size_t len;

	if (mt == NULL || path[0] != '/' || strlen(path) >= sizeof(prefix))
		return true;
	type = disk_mount_type(mt, "/", 1);
	if (type == NULL || !disk_is_local(type))
		return true;
	for (p = path;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return false;
		comp = p;
		while (*p != '\0' && *p != '/')
			p++;
		if ((p - comp == 1 && comp[0] == '.') ||
		    (p - comp == 2 && comp[0] == '.' && comp[1] == '.'))
			return true;
		len = (size_t)(p - path);
		memcpy(prefix, path, len);
		prefix[len] = '\0';
		type = disk_mount_type(mt, prefix, len);
		if (type == NULL || !disk_is_local(type))
			return true;
		if (lstat(prefix, &st) == -1 || S_ISLNK(st.st_mode))
			return true;
	}
}

/*
 * The mounts to check by default.  A mount point listed twice (a mount on
 * top of another) is kept once, as the last entry.
 */
static void
disk_select_mounts(const struct args *a, const struct disk_mounts *mt,
    struct disk_target *targets, size_t *count)
{
	size_t n = 0, i, k;

	for (k = 0; k < mt->n; k++) {
		const char *mnt = mt->v[k].path, *type = mt->v[k].type;

		if (disk_is_pseudo(type) &&
		    !disk_in_list(a, "include-type", type))
			continue;
		if (disk_in_list(a, "exclude-type", type) ||
		    disk_in_list(a, "exclude", mnt))
			continue;
		for (i = 0; i < n; i++) {
			if (strcmp(targets[i].path, mnt) == 0)
				break;
		}
		if (i == n) {
			if (n == DISK_MOUNTS_MAX)
				continue;
			n++;
		}
		str_copy(targets[i].path, mnt, sizeof(targets[i].path));
		str_copy(targets[i].type, type, sizeof(targets[i].type));
	}
	*count = n;
}

static struct metric *
disk_metric(struct probe_result *res, const char *path, const char *suffix,
    double value, const char *unit)
{
	char name[METRIC_NAME_MAX];

	metric_name_for_path(name, sizeof(name), path, suffix);
	return result_metric(res, name, value, unit, DS_GAUGE);
}

/* The message: failures first, then the summary of each mount. */
struct disk_text {
	char problems[PROBE_MESSAGE_MAX];
	size_t problems_len;
	char summary[PROBE_MESSAGE_MAX];
	size_t summary_len;
};

static void disk_problem(struct probe_result *, struct disk_text *,
    enum probe_reason, const char *, ...) __attribute__((format(printf, 4, 5)));

static void
disk_problem(struct probe_result *res, struct disk_text *text,
    enum probe_reason reason, const char *fmt, ...)
{
	char line[PROBE_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	result_raise(res, STATE_CRITICAL, reason, "%s", line);
	result_long(res, "%s", line);
	str_appendf(text->problems, sizeof(text->problems), &text->problems_len,
	    "%s%s", text->problems_len ? "; " : "", line);
}

/* Check one path; returns -1 only when the deadline has passed. */
static int
disk_check_one(const struct probe_run *run, struct probe_result *res,
    const char *path, bool direct, struct disk_text *text)
{
	struct disk_statvfs_call call;
	struct metric *m;
	double frsize, total, used, avail, pct, ipct = 0;
	char hfree[32], htotal[32];

	memset(&call, 0, sizeof(call));
	if (str_copy(call.path, path, sizeof(call.path)) >= sizeof(call.path)) {
		disk_problem(res, text, REASON_NOT_FOUND,
		    "%s is not accessible: %s", path, strerror(ENAMETOOLONG));
		return 0;
	}
	if (direct)
		disk_statvfs_worker(&call);
	else if (call_with_deadline(disk_statvfs_worker, &call, sizeof(call),
		     run->deadline) == -1) {
		disk_problem(
		    res, text, REASON_TIMEOUT, "%s: statvfs timed out", path);
		return -1;
	}
	if (call.rc != 0) {
		disk_problem(res, text, REASON_NOT_FOUND,
		    "%s is not accessible: %s", path, strerror(call.err));
		return 0;
	}
	frsize = call.st.f_frsize ? (double)call.st.f_frsize
				  : (double)call.st.f_bsize;
	total = (double)call.st.f_blocks * frsize;
	used = (double)(call.st.f_blocks - call.st.f_bfree) * frsize;
	avail = (double)call.st.f_bavail * frsize;
	/* Like df and check_disk: the root-reserved blocks count as neither
	 * used nor available. */
	pct = used + avail > 0 ? used * 100.0 / (used + avail) : 0;
	if (call.st.f_files > 0)
		ipct = (double)(call.st.f_files - call.st.f_ffree) * 100.0 /
		    (double)call.st.f_files;

	if ((m = disk_metric(res, path, "used", used, "B")) != NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = total;
	}
	if ((m = disk_metric(res, path, "free", avail, "B")) != NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = total;
	}
	if ((m = disk_metric(res, path, "used_pct", pct, "%")) != NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = 100;
		args_range(run->args, "warning", &m->warn);
		args_range(run->args, "critical", &m->crit);
	}
	if ((m = disk_metric(res, path, "inodes_pct", ipct, "%")) != NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = 100;
		args_range(run->args, "inode-warning", &m->warn);
		args_range(run->args, "inode-critical", &m->crit);
	}
	format_bytes(hfree, sizeof(hfree), avail);
	format_bytes(htotal, sizeof(htotal), total);
	str_appendf(text->summary, sizeof(text->summary), &text->summary_len,
	    "%s%s %.1f%% used (%s free of %s), inodes %.1f%%",
	    text->summary_len ? "; " : "", path, pct, hfree, htotal, ipct);
	result_long(res,
	    "%s: used %.0f B, free %.0f B, total %.0f B, "
	    "%.2f%% used, inodes %.2f%% used",
	    path, used, avail, total, pct, ipct);
	return 0;
}

static int
disk_run(const struct probe_run *run, struct probe_result *res)
{
	struct disk_target *targets = NULL;
	struct disk_cache *dc = disk_cache_get(run);
	struct disk_mounts own, *mtp = dc != NULL ? &dc->mt : &own;
	struct disk_text text;
	size_t count = 0, i;
	char err[256];
	bool have_mounts, all_direct = false;

	memset(&text, 0, sizeof(text));
	have_mounts = dc != NULL
	    ? disk_cache_refresh(dc, err, sizeof(err)) == 0
	    : disk_mounts_load(&own, err, sizeof(err)) == 0;
	/* as many as can be checked (a target is 4 KiB: 64 would be an
	 * mmap'd, zeroed quarter MiB per run) */
	count = args_list_count(run->args, "path");
	if (count == 0 && have_mounts)
		count = mtp->n;
	if (count > DISK_MOUNTS_MAX)
		count = DISK_MOUNTS_MAX;
	targets = malloc((count ? count : 1) * sizeof(*targets));
	count = 0;
	if (targets == NULL) {
		result_set(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		goto out;
	}
	if (args_list_count(run->args, "path") > 0) {
		count = args_list_count(run->args, "path");
		if (count > DISK_MOUNTS_MAX)
			count = DISK_MOUNTS_MAX;
		for (i = 0; i < count; i++)
			str_copy(targets[i].path,
			    args_list_item(run->args, "path", i),
			    sizeof(targets[i].path));
	} else if (!have_mounts) {
		result_set(res, STATE_UNKNOWN, REASON_INTERNAL, "%s", err);
		goto out;
	} else {
		disk_select_mounts(run->args, mtp, targets, &count);
	}
	if (count == 0) {
		result_set(res, STATE_UNKNOWN, REASON_NOT_FOUND,
		    "no filesystem to check");
		goto out;
	}
	all_direct = true;
	for (i = 0; i < count; i++) {
		bool direct =
		    !disk_may_hang(have_mounts ? mtp : NULL, targets[i].path);

		all_direct = all_direct && direct;
		if (disk_check_one(run, res, targets[i].path, direct, &text) ==
		    -1) {
			for (i++; i < count; i++)
				result_long(res, "%s: not checked (deadline)",
				    targets[i].path);
			break;
		}
	}
	result_apply_thresholds(res);
	/* Failures (not accessible, timed out) first, then every mount. */
	if (text.problems_len > 0 && text.summary_len > 0)
		str_appendf(text.problems, sizeof(text.problems),
		    &text.problems_len, "; ");
	str_appendf(text.problems, sizeof(text.problems), &text.problems_len,
	    "%s", text.summary);
	str_copy(res->message, text.problems, sizeof(res->message));
out:
	if (dc != NULL)
		dc->all_direct = all_direct;
	free(targets);
	if (dc == NULL && have_mounts)
		disk_mounts_free(&own);
	return 0;
}

/* The collector may run the check on its own thread when the last run
 * statvfs'ed every target directly and no mount came or went since (the
 * new one may be remote).  A path turned into a symlink to a remote mount
 * in between still cannot stall the loop past the check's timeout. */
static bool
disk_runs_inline(const struct args *args, void *state)
{
	struct disk_cache *dc = state;

	(void)args;
	return dc != NULL && dc->all_direct && !disk_cache_stale(dc);
}

const struct probe probe_disk = {
	.name = "disk",
	.summary = "used and free space and inodes of local filesystems",
	.usage = "[-p PATH]... [-x PATH]... [-X TYPE]... [--include-type TYPE]... "
	    "[-w RANGE] [-c RANGE] [-W RANGE] [-K RANGE]",
	.options = disk_options,
	.munin = {
		.title = "Disk usage",
		.category = "disk",
		.vlabel = "bytes / %",
		.args = "--base 1024 -l 0",
	},
	.run = disk_run,
	.state_free = disk_cache_free,
	.runs_inline = disk_runs_inline,
};
