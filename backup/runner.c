/*
 * `osemon backup run`: lock, rotate, dump, tar | gpg into sync/ while the
 * parts already written go to B2's large-file API, finish only when every
 * child exited successfully, encrypted file list, pruning, result record.
 * See backup.h for the whole pipeline and docs/backup.md for the steps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "b2.h"
#include "backup.h"
#include "bproc.h"
#include "brun.h"
#include "forecast.h"
#include "util.h"

#define READ_CHUNK (1024 * 1024)
#define HASH_CHUNK (1024 * 1024)
#define FOLLOW_TICK_MS 50
/* How gpg reports a failed write of its output (the archive file). */
#define WRITE_ERROR "[stdout]: write error: "
#define MAX_TAR_ARGS 256

/* The uploader thread and the main thread share this. */
struct uploader {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long long written; /* bytes in the local file (or buffers) so far */
	bool ended; /* no more bytes will come */
	/* owned by the thread until joined */
	struct brun *r;
	int fd;
	long long part;
	int parts_done;
	struct b2_large *large;
	bool failed;
	char err[B2_ERROR_MAX + 64];
	/*
	 * SHA-256 of the archive and SHA1 of every part, computed from the
	 * file by the uploader as it grows (page cache, off gpg's path),
	 * then by the main thread for the rest: bytes [0, hashed) are in
	 * them (-1: a read failed; no digest rather than a wrong one).  A
	 * part's upload then reads the data only once.
	 */
	EVP_MD_CTX *sha;
	EVP_MD_CTX *part_sha; /* the part being hashed */
	long long hashed;
	char (*sha1)[B2_SHA1_HEX]; /* parts_hashed entries */
	int sha1_cap;
	int parts_hashed;
	char *hbuf; /* HASH_CHUNK bytes */
	/* keep-local = no: the parts live in two buffers instead of a file;
	 * the reader fills mbuf[fill], the uploader sends mbuf[ready]. */
	bool mem;
	bool part_known; /* part is set (or failed) */
	char *mbuf[2];
	size_t mlen[2];
	int fill;
	int ready; /* -1 when no buffer waits */
};

/* The part being hashed is complete: keep its SHA1, start the next. */
static int
part_sha_end(struct uploader *u)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	static const char digits[] = "0123456789abcdef";
	char *hex;

	if (u->parts_hashed == u->sha1_cap) {
		int cap = u->sha1_cap ? 2 * u->sha1_cap : 64;
		char(*v)[B2_SHA1_HEX] =
		    reallocarray(u->sha1, (size_t)cap, sizeof(*v));

		if (v == NULL)
			return -1;
		u->sha1 = v;
		u->sha1_cap = cap;
	}
	if (EVP_DigestFinal_ex(u->part_sha, md, NULL) != 1 ||
	    EVP_DigestInit_ex(u->part_sha, EVP_sha1(), NULL) != 1)
		return -1;
	hex = u->sha1[u->parts_hashed++];
	for (int i = 0; i < 20; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[40] = '\0';
	return 0;
}

/*
 * Hash the file's bytes [hashed, to) into the archive's SHA-256 and, once
 * the part size is known, the parts' SHA1s.  Called by the uploader while
 * it runs, then by the main thread.  0, or -1 (hashed becomes -1).
 */
static int
hash_forward(struct uploader *u, long long to)
{
	while (u->hashed >= 0 && u->hashed < to) {
		long long end = to;
		ssize_t n;

		if (u->part > 0 &&
		    (long long)(u->parts_hashed + 1) * u->part < end)
			end = (long long)(u->parts_hashed + 1) * u->part;
		if (end - u->hashed > HASH_CHUNK)
			end = u->hashed + HASH_CHUNK;
		n = pread(u->fd, u->hbuf, (size_t)(end - u->hashed),
		    (off_t)u->hashed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 ||
		    EVP_DigestUpdate(u->sha, u->hbuf, (size_t)n) != 1 ||
		    (u->part > 0 &&
			EVP_DigestUpdate(u->part_sha, u->hbuf, (size_t)n) != 1))
			goto fail;
		u->hashed += n;
		if (u->part > 0 &&
		    u->hashed == (long long)(u->parts_hashed + 1) * u->part &&
		    part_sha_end(u) != 0)
			goto fail;
	}
	return u->hashed >= 0 ? 0 : -1;
fail:
	u->hashed = -1;
	return -1;
}

/* The SHA1 of part n when it is known (NULL: b2 computes it). */
static const char *
part_sha1(const struct uploader *u, int n)
{
	return u->hashed >= 0 && n <= u->parts_hashed ? u->sha1[n - 1] : NULL;
}

/* SIGTERM/SIGINT/SIGHUP: end the run early but still write its record. */
static volatile sig_atomic_t got_stop;

static void
on_stop(int sig)
{
	got_stop = sig;
}

void
brun_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop; /* no SA_RESTART: blocking calls return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	bproc_set_stop_flag(&got_stop);
}

const volatile sig_atomic_t *
brun_stop_flag(void)
{
	return &got_stop;
}

int
brun_check_stop(struct brun *r)
{
	if (!got_stop)
		return 0;
	brun_fail(r, NULL, "stopped by signal %d", (int)got_stop);
	return -1;
}

static int list_gpg_start(struct brun *r);
static void list_gpg_stop(struct brun *r);
static int list_feed(struct brun *r);

void
brun_log(struct brun *r, const char *fmt, ...)
{
	char line[2048];
	size_t len = 0;
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n;

	gmtime_r(&now, &tm);
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len += (size_t)n < sizeof(line) - len - 1 ? (size_t)n
						  : sizeof(line) - len - 2;
	line[len++] = '\n';
	if (r->log_fd >= 0)
		(void)!write(r->log_fd, line, len);
	if (r->tty)
		(void)!write(STDERR_FILENO, line, len);
}

void
brun_step(struct brun *r, const char *step)
{
	r->step = step;
	r->step_t0 = clock_monotonic_now();
}

void
brun_step_done(struct brun *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	brun_log(r, "%s: ok%s%s (%.2f s)", r->step, msg[0] ? ", " : "", msg,
	    clock_monotonic_now() - r->step_t0);
}

void
brun_fail(struct brun *r, const char *tail, const char *fmt, ...)
{
	va_list ap;

	if (!r->rec.ok)
		return; /* the first failure is the cause */
	r->rec.ok = false;
	str_copy(r->rec.failed_step, r->step ? r->step : "start",
	    sizeof(r->rec.failed_step));
	va_start(ap, fmt);
	vsnprintf(r->rec.error, sizeof(r->rec.error), fmt, ap);
	va_end(ap);
	if (tail != NULL)
		str_copy(r->rec.stderr_tail, tail, sizeof(r->rec.stderr_tail));
	brun_log(r, "%s: FAILED: %s (%.2f s)", r->rec.failed_step, r->rec.error,
	    clock_monotonic_now() - r->step_t0);
	if (tail != NULL && *tail != '\0')
		brun_log(r, "%s: stderr: %s", r->rec.failed_step, tail);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

int
brun_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A pipe holding "passphrase\n"; returns the read end or -1. */
int
brun_pass_fd(struct brun *r)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if (write(p[1], r->pass, r->pass_len) != (ssize_t)r->pass_len ||
	    write(p[1], "\n", 1) != 1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

/* gpg's common arguments into argv (at most 16 entries used). */
size_t
brun_gpg_args(struct brun *r, const char **argv)
{
	size_t n = 0;

	argv[n++] = args_string(&r->bc->opt, "gpg");
	argv[n++] = "--homedir";
	argv[n++] = r->gnupg_home;
	argv[n++] = "--batch";
	argv[n++] = "--yes";
	argv[n++] = "--no-tty";
	argv[n++] = "--quiet";
	argv[n++] = "--pinentry-mode";
	argv[n++] = "loopback";
	argv[n++] = "--passphrase-fd";
	argv[n++] = "3";
	argv[n++] = "--no-symkey-cache";
	/* GnuPG 2.2's default count, given explicitly: otherwise gpg starts
	 * an agent and asks it to calibrate one, a second or more of CPU. */
	argv[n++] = "--s2k-count";
	argv[n++] = "65011712";
	return n;
}

int
brun_gpg_home(struct brun *r)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	/*
	 * A private GNUPGHOME kept in state-dir (mode 0700): gpg's first run
	 * in a fresh home seeds its random pool and keybox for seconds, so it
	 * is made once.  It holds no secret (symmetric only, no passphrase
	 * cache).  gpg needs no agent here (passphrase on fd 3, an explicit
	 * S2K count, no symkey cache), so none is started.  An agent's
	 * socket path must stay short (108 bytes): with a long state-dir, a
	 * temporary home instead.
	 */
	r->gnupg_temp = false;
	if (strlen(r->bc->state_dir) < 80) {
		snprintf(r->gnupg_home, sizeof(r->gnupg_home), "%s/gnupg",
		    r->bc->state_dir);
		if ((mkdir(r->gnupg_home, 0700) == 0 || errno == EEXIST) &&
		    lstat(r->gnupg_home, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == geteuid() && chmod(r->gnupg_home, 0700) == 0)
			return 0;
	}
	snprintf(r->gnupg_home, sizeof(r->gnupg_home), "%s/osemon-gpg.XXXXXX",
	    tmp != NULL && *tmp == '/' && strlen(tmp) < 60 ? tmp : "/tmp");
	if (mkdtemp(r->gnupg_home) == NULL) {
		r->gnupg_home[0] = '\0';
		return -1;
	}
	r->gnupg_temp = true;
	return 0;
}

/* Stop a gpg-agent running in the private GNUPGHOME (one that an older
 * osemon started, or gpg itself) and remove a temporary home. */
void
brun_gpg_cleanup(struct brun *r)
{
	char *argv[] = { (char *)(uintptr_t) "gpgconf",
		(char *)(uintptr_t) "--homedir", r->gnupg_home,
		(char *)(uintptr_t) "--kill", (char *)(uintptr_t) "gpg-agent",
		NULL };
	char sock[PATH_MAX + 16];
	struct bproc p;
	struct stat st;
	pid_t pg = 0;
	char err[256];

	if (r->gnupg_home[0] == '\0')
		return;
	snprintf(sock, sizeof(sock), "%s/S.gpg-agent", r->gnupg_home);
	if (lstat(sock, &st) == 0 &&
	    bproc_start(
		&p, "gpgconf", argv, -1, -1, -1, &pg, err, sizeof(err)) == 0) {
		(void)bproc_wait(&p, pg, clock_monotonic_now() + 10);
		bproc_close(&p);
	}
	if (r->gnupg_temp)
		(void)brun_rm_rf(r->gnupg_home);
	r->gnupg_home[0] = '\0';
}

/* Authorise and find the bucket: the b2 client for the rest of the run. */
int
brun_b2_open(struct brun *r, char *err, size_t errlen)
{
	char key[1024];
	struct b2_options opt = { 0 };
	const char *bucket = args_string(&r->bc->b2, "bucket");

	if (r->c != NULL)
		return 0;
	if (secret_read(r->bc->key_file, key, sizeof(key), err, errlen) != 0)
		return -1;
	opt.ca_file = args_string(&r->bc->b2, "ca-file");
	r->c = b2_client_new(args_string(&r->bc->b2, "api-url"),
	    args_string(&r->bc->b2, "key-id"), key, &opt);
	explicit_bzero(key, sizeof(key));
	if (r->c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b2_client_set_deadline(r->c, r->deadline);
	if (b2_bucket_id(r->c, bucket, r->bucket_id, sizeof(r->bucket_id)) !=
	    0) {
		snprintf(err, errlen, "%s", b2_client_error(r->c));
		return -1;
	}
	return 0;
}

/* Start the large file on the first part (called unlocked). */
static void
uploader_start_large(struct uploader *u)
{
	struct brun *r = u->r;

	if (u->large != NULL)
		return;
	u->large = b2_large_start(
	    r->c, r->bucket_id, r->object, "application/pgp-encrypted");
	if (u->large != NULL)
		brun_log(r,
		    "upload: large file %s started, parts of %lld bytes",
		    b2_large_file_id(u->large), u->part);
}

/* keep-local = no: send each buffer the reader hands over (u->lock held
 * on entry and exit). */
static void
uploader_mem_loop(struct uploader *u)
{
	for (;;) {
		int idx, n = u->parts_done + 1, rc;

		while (u->ready < 0 && !u->ended)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->ready < 0)
			return;
		idx = u->ready;
		pthread_mutex_unlock(&u->lock);
		uploader_start_large(u);
		rc = u->large == NULL ? -1
				      : b2_large_upload_part(u->large, n,
					    u->mbuf[idx], -1, 0, u->mlen[idx]);
		pthread_mutex_lock(&u->lock);
		if (rc != 0) {
			u->failed = true;
			snprintf(u->err, sizeof(u->err), "part %d: %s", n,
			    b2_client_error(u->r->c));
			pthread_cond_broadcast(&u->cond);
			return;
		}
		u->parts_done = n;
		u->ready = -1;
		pthread_cond_broadcast(&u->cond);
	}
}

/* keep-local = yes: hash what the file gained, send every complete part
 * (u->lock held on entry and exit). */
static void
uploader_file_loop(struct uploader *u)
{
	for (;;) {
		long long off = (long long)u->parts_done * u->part;
		int n = u->parts_done + 1;
		int rc;

		if (u->hashed >= 0 && u->hashed < u->written) {
			long long to = u->written;

			pthread_mutex_unlock(&u->lock);
			(void)hash_forward(u, to);
			pthread_mutex_lock(&u->lock);
			continue;
		}
		/* A part goes only when a byte follows it: the last part is
		 * sent after the pipeline succeeded (B2 needs >= 2 parts). */
		if (u->written <= off + u->part) {
			if (u->ended)
				return;
			pthread_cond_wait(&u->cond, &u->lock);
			continue;
		}
		pthread_mutex_unlock(&u->lock);
		uploader_start_large(u);
		rc = u->large == NULL
		    ? -1
		    : b2_large_upload_part_sha1(u->large, n, NULL, u->fd,
			  (off_t)off, (size_t)u->part, part_sha1(u, n));
		pthread_mutex_lock(&u->lock);
		if (rc != 0) {
			u->failed = true;
			snprintf(u->err, sizeof(u->err), "part %d: %s", n,
			    b2_client_error(u->r->c));
			return;
		}
		u->parts_done = n;
	}
}

static void *
uploader_main(void *arg)
{
	struct uploader *u = arg;
	struct brun *r = u->r;
	char err[B2_ERROR_MAX];

	if (brun_b2_open(r, err, sizeof(err)) != 0) {
		pthread_mutex_lock(&u->lock);
		u->failed = true;
		u->part_known = true;
		snprintf(u->err, sizeof(u->err), "%s", err);
		pthread_cond_broadcast(&u->cond);
		pthread_mutex_unlock(&u->lock);
		return NULL;
	}
	pthread_mutex_lock(&u->lock);
	u->part = r->bc->part_size > 0 ? r->bc->part_size : b2_part_size(r->c);
	if (u->part < b2_min_part_size(r->c))
		u->part = b2_min_part_size(r->c);
	/* B2 allows 10000 parts: leave room for twice the last archive. */
	if (u->part < (2 * r->rec.last_success_bytes + 9999) / 10000)
		u->part = (2 * r->rec.last_success_bytes + 9999) / 10000;
	u->part_known = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	/* While gpg derives its key: the upload URL the file list will
	 * need at the end. */
	(void)b2_upload_url_prefetch(r->c, r->bucket_id);
	pthread_mutex_lock(&u->lock);
	if (u->mem)
		uploader_mem_loop(u);
	else
		uploader_file_loop(u);
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
progress(struct brun *r, long long bytes, double t0, int parts, bool last)
{
	double dt = clock_monotonic_now() - t0;

	if (!r->tty)
		return;
	fprintf(stderr, "\rbackup: %.1f MiB, %.1f MiB/s, %d parts uploaded%s",
	    (double)bytes / 1048576.0,
	    dt > 0 ? (double)bytes / 1048576.0 / dt : 0.0, parts,
	    last ? "\n" : "   ");
}

/* tar's argv: anchored excludes before the operands (GNU tar 1.34). */
static int
tar_argv(struct brun *r, bool with_dump, const char **argv, char **owned,
    size_t *nowned)
{
	static const char *const def_paths[] = { "/etc", "/home", "/var/log",
		"/root", "/var/www" };
	const struct args *o = &r->bc->opt;
	size_t n = 0, npaths = args_list_count(o, "paths");
	size_t operands = 0;
	char *s;

	*nowned = 0;
	argv[n++] = args_string(o, "tar");
	argv[n++] = "--create";
	argv[n++] = "--file=-";
	argv[n++] = "--verbose";
	if (asprintf(&s, "--index-file=%s", r->list_path) < 0)
		return -1;
	owned[(*nowned)++] = s;
	argv[n++] = s;
	argv[n++] = "--anchored";
	/* The local copies themselves, wherever local-dir is. */
	if (asprintf(&s, "--exclude=%s/sync*", r->bc->local_dir + 1) < 0)
		return -1;
	owned[(*nowned)++] = s;
	argv[n++] = s;
	for (size_t i = 0;
	     i < args_list_count(o, "exclude") && n < MAX_TAR_ARGS - 16; i++) {
		const char *p = args_list_item(o, "exclude", i);

		while (*p == '/')
			p++;
		if (asprintf(&s, "--exclude=%s", p) < 0)
			return -1;
		owned[(*nowned)++] = s;
		argv[n++] = s;
	}
	argv[n++] = "--directory=/";
	for (size_t i = 0;
	     i < (npaths > 0 ? npaths : 5) && n < MAX_TAR_ARGS - 8; i++) {
		const char *p =
		    npaths > 0 ? args_list_item(o, "paths", i) : def_paths[i];
		struct stat st;

		if (lstat(p, &st) != 0) {
			brun_log(
			    r, "archive: skipping %s: %s", p, strerror(errno));
			continue;
		}
		while (*p == '/')
			p++;
		argv[n++] = p;
		operands++;
	}
	if (with_dump) {
		if (asprintf(&s, "--directory=%s", r->sync_dir) < 0)
			return -1;
		owned[(*nowned)++] = s;
		argv[n++] = s;
		argv[n++] = BACKUP_DUMP_NAME;
		operands++;
	}
	argv[n] = NULL;
	return operands > 0 ? 0 : 1;
}

static int
step_dump(struct brun *r)
{
	const struct args *o = &r->bc->opt;
	char *defaults = NULL;
	char desc[128];
	const char *argv[12];
	struct bproc p;
	pid_t pg = 0;
	int fd = -1, rc = -1;
	struct stat st;

	brun_step(r, "dump");
	if (asprintf(&defaults, "--defaults-file=%s", r->bc->mysql_defaults) <
	    0)
		goto out;
	argv[0] = args_string(o, "mysqldump");
	argv[1] = defaults;
	argv[2] = "--all-databases";
	argv[3] = "--single-transaction";
	argv[4] = "--routines";
	argv[5] = "--events";
	argv[6] = "--triggers";
	argv[7] = NULL;
	fd = open(r->dump_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		brun_fail(r, NULL, "%s: %s", r->dump_path, strerror(errno));
		goto out;
	}
	if (bproc_start(&p, argv[0], (char *const *)(uintptr_t)argv, -1, fd, -1,
		&pg, desc, sizeof(desc)) != 0) {
		brun_fail(r, NULL, "%s", desc);
		goto out;
	}
	close(fd);
	fd = -1;
	if (bproc_wait(&p, pg, r->deadline) != 0) {
		brun_fail(
		    r, bproc_tail(&p), "%s killed at the deadline", argv[0]);
		bproc_close(&p);
		goto out;
	}
	bproc_close(&p);
	if (bproc_exit_code(&p) != 0) {
		bproc_describe(&p, desc, sizeof(desc));
		brun_fail(r, bproc_tail(&p), "%s", desc);
		goto out;
	}
	if (stat(r->dump_path, &st) == 0)
		r->rec.sql_bytes = (long long)st.st_size;
	brun_step_done(r, "%lld bytes of SQL", r->rec.sql_bytes);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(defaults);
	return rc;
}

static long long
count_lines(const char *path)
{
	FILE *fp = fopen(path, "re");
	long long n = 0;
	int ch;

	if (fp == NULL)
		return 0;
	while ((ch = getc(fp)) != EOF)
		if (ch == '\n')
			n++;
	fclose(fp);
	return n;
}

/*
 * keep-local = no: copy gpg's output into the part buffers, handing a
 * full buffer to the uploader once a byte follows it (so the last part is
 * always sent by upload_finish).  Waits while both buffers are busy.
 * Returns -1 when the upload failed (nothing can be kept then).
 */
static int
mem_consume(struct uploader *u, const char *buf, size_t len)
{
	while (len > 0) {
		int idx = u->fill;
		size_t room = (size_t)u->part - u->mlen[idx], n;

		if (room == 0) {
			pthread_mutex_lock(&u->lock);
			while (u->ready >= 0 && !u->failed)
				pthread_cond_wait(&u->cond, &u->lock);
			if (u->failed) {
				pthread_mutex_unlock(&u->lock);
				return -1;
			}
			u->ready = idx;
			u->fill = 1 - idx;
			u->mlen[u->fill] = 0;
			pthread_cond_broadcast(&u->cond);
			pthread_mutex_unlock(&u->lock);
			continue;
		}
		n = len < room ? len : room;
		memcpy(u->mbuf[idx] + u->mlen[idx], buf, n);
		u->mlen[idx] += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Upload what the uploader left: the last part(s) and finish, or the
 * whole archive in one b2_upload_file when it fits a part. */
static int
upload_finish(struct brun *r, struct uploader *u, long long total)
{
	struct b2_file f;

	if (u->mem && u->large == NULL && u->parts_done > 0) {
		brun_fail(r, NULL, "parts sent without a large file");
		return -1;
	}
	if (u->large == NULL) {
		if (b2_upload_file(r->c, r->bucket_id, r->object,
			u->mem ? u->mbuf[u->fill] : NULL, u->fd, 0,
			(size_t)total, &f) != 0) {
			brun_fail(r, NULL, "%s: %s", r->object,
			    b2_client_error(r->c));
			return -1;
		}
		brun_step_done(
		    r, "%s, %lld bytes in one upload", r->object, total);
		return 0;
	}
	if (u->mem && u->mlen[u->fill] > 0) {
		if (b2_large_upload_part(u->large, u->parts_done + 1,
			u->mbuf[u->fill], -1, 0, u->mlen[u->fill]) != 0) {
			brun_fail(r, NULL, "part %d: %s", u->parts_done + 1,
			    b2_client_error(r->c));
			return -1;
		}
		u->parts_done++;
	}
	while (!u->mem && (long long)u->parts_done * u->part < total) {
		long long off = (long long)u->parts_done * u->part;
		long long len = total - off < u->part ? total - off : u->part;

		if (b2_large_upload_part_sha1(u->large, u->parts_done + 1, NULL,
			u->fd, (off_t)off, (size_t)len,
			part_sha1(u, u->parts_done + 1)) != 0) {
			brun_fail(r, NULL, "part %d: %s", u->parts_done + 1,
			    b2_client_error(r->c));
			return -1;
		}
		u->parts_done++;
	}
	if (b2_large_finish(u->large, &f) != 0) {
		brun_fail(r, NULL, "finish: %s", b2_client_error(r->c));
		return -1;
	}
	r->rec.parts = u->parts_done;
	brun_step_done(
	    r, "%s, %lld bytes in %d parts", r->object, total, u->parts_done);
	return 0;
}

/* The children's stderr pipes (those still open) into pf from *n. */
static void
poll_stderr(
    struct pollfd *pf, nfds_t *n, const struct bproc *a, const struct bproc *b)
{
	if (a->err_fd >= 0) {
		pf[*n].fd = a->err_fd;
		pf[(*n)++].events = POLLIN;
	}
	if (b->err_fd >= 0) {
		pf[*n].fd = b->err_fd;
		pf[(*n)++].events = POLLIN;
	}
}

/* Tell the uploader how many bytes exist now. */
static void
uploader_written(struct uploader *u, long long total)
{
	pthread_mutex_lock(&u->lock);
	u->written = total;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

/* On a terminal, the progress line once a second. */
static void
progress_tick(struct brun *r, struct uploader *u, long long total, double t0,
    double *last)
{
	if (!r->tty || clock_monotonic_now() - *last < 1.0)
		return;
	pthread_mutex_lock(&u->lock);
	progress(r, total, t0, u->parts_done, false);
	pthread_mutex_unlock(&u->lock);
	*last = clock_monotonic_now();
}

/* Kill the pipeline: the run passed its deadline or was stopped. */
static void
archive_stop(struct brun *r, pid_t pg, const char *what)
{
	(void)kill(-pg, SIGKILL);
	if (got_stop)
		brun_fail(r, NULL, "stopped by signal %d while %s",
		    (int)got_stop, what);
	else
		brun_fail(r, NULL, "the run passed its timeout (%g s) while %s",
		    r->bc->timeout, what);
}

/*
 * keep-local = yes: gpg writes the archive file itself (its stdout, as in
 * `tar | gpg > FILE`); follow the file's size every FOLLOW_TICK_MS so the
 * uploader can hash and send complete parts while gpg goes on, until both
 * children are collected.  Returns the final size, or -1 when the
 * pipeline was killed.
 */
static long long
archive_follow(struct brun *r, struct uploader *u, struct bproc *tar,
    struct bproc *gpg, pid_t pg, double t0)
{
	double last_progress = t0;
	long long total = 0;
	struct stat st;

	for (;;) {
		struct pollfd pf[2];
		nfds_t n = 0;
		double left = deadline_left(r->deadline);
		bool tar_done, gpg_done;
		int ms = FOLLOW_TICK_MS;

		if (left <= 0 || got_stop) {
			archive_stop(r, pg, "archiving");
			return -1;
		}
		/* Collected first, so that the size read after them is
		 * final. */
		tar_done = bproc_reap(tar);
		gpg_done = bproc_reap(gpg);
		if (fstat(u->fd, &st) == 0 && (long long)st.st_size > total) {
			total = (long long)st.st_size;
			uploader_written(u, total);
		}
		if (tar_done && gpg_done)
			break;
		poll_stderr(pf, &n, tar, gpg);
		/* A child whose stderr closed is exiting: look again soon. */
		if ((!tar_done && tar->err_fd < 0) ||
		    (!gpg_done && gpg->err_fd < 0))
			ms = 1;
		if (left * 1000 < ms)
			ms = (int)(left * 1000) + 1;
		(void)poll(pf, n, ms);
		bproc_drain(tar);
		bproc_drain(gpg);
		progress_tick(r, u, total, t0, &last_progress);
	}
	return total;
}

/*
 * keep-local = no: read gpg's output from a pipe into the two part
 * buffers (hashing it on the way).  Returns the bytes read, or -1 when
 * the pipeline was killed.
 */
static long long
archive_read(struct brun *r, struct uploader *u, struct bproc *tar,
    struct bproc *gpg, pid_t pg, int in, double t0)
{
	double last_progress = t0;
	long long total = 0;
	char *buf = malloc(READ_CHUNK);

	if (buf == NULL) {
		(void)kill(-pg, SIGKILL);
		brun_fail(r, NULL, "out of memory");
		return -1;
	}
	for (;;) {
		struct pollfd pf[3];
		nfds_t n = 0;
		ssize_t got;
		double left = deadline_left(r->deadline);

		if (left <= 0 || got_stop) {
			archive_stop(r, pg, "archiving");
			total = -1;
			break;
		}
		pf[n].fd = in;
		pf[n++].events = POLLIN;
		poll_stderr(pf, &n, tar, gpg);
		(void)poll(pf, n, left > 1 ? 1000 : (int)(left * 1000) + 1);
		bproc_drain(tar);
		bproc_drain(gpg);
		progress_tick(r, u, total, t0, &last_progress);
		if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		got = read(in, buf, READ_CHUNK);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			brun_fail(r, NULL, "reading gpg's output: %s",
			    strerror(errno));
			(void)kill(-pg, SIGKILL);
			total = -1;
			break;
		}
		if (got == 0)
			break;
		(void)EVP_DigestUpdate(u->sha, buf, (size_t)got);
		if (mem_consume(u, buf, (size_t)got) != 0) {
			r->step = "upload";
			brun_fail(r, NULL, "%s", u->err);
			(void)kill(-pg, SIGKILL);
			total = -1;
			break;
		}
		total += got;
		uploader_written(u, total);
	}
	free(buf);
	return total;
}

/* tar | gpg -> sync/NAME.tar.gpg, uploading parts as they are written. */
static int
step_archive(struct brun *r, bool with_dump)
{
	const char *targv[MAX_TAR_ARGS], *gargv[32];
	char *owned[MAX_TAR_ARGS];
	size_t nowned = 0, g;
	int tar_gpg[2] = { -1, -1 }, gpg_out[2] = { -1, -1 }, pass = -1;
	int fd = -1, rc = -1, trc;
	struct bproc tar, gpg;
	bool tar_started = false, gpg_started = false, thread = false;
	bool killed = false;
	pid_t pg = 0;
	struct uploader u;
	EVP_MD_CTX *sha = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char desc[256];
	long long total = 0;
	double t0 = clock_monotonic_now();

	memset(&u, 0, sizeof(u));
	pthread_mutex_init(&u.lock, NULL);
	pthread_cond_init(&u.cond, NULL);
	u.r = r;
	u.fd = -1;
	u.ready = -1;
	u.mem = !args_flag(&r->bc->opt, "keep-local");
	brun_step(r, "archive");
	trc = tar_argv(r, with_dump, targv, owned, &nowned);
	if (trc != 0) {
		brun_fail(r, NULL,
		    trc < 0 ? "out of memory"
			    : "nothing to archive: no configured path exists");
		goto out;
	}
	g = brun_gpg_args(r, gargv);
	gargv[g++] = "--symmetric";
	gargv[g++] = "--cipher-algo";
	gargv[g++] = "AES256";
	gargv[g++] = "--output";
	gargv[g++] = "-";
	gargv[g] = NULL;
	sha = EVP_MD_CTX_new();
	u.sha = sha;
	u.part_sha = EVP_MD_CTX_new();
	u.hbuf = u.mem ? NULL : malloc(HASH_CHUNK);
	if (sha == NULL || u.part_sha == NULL || (!u.mem && u.hbuf == NULL) ||
	    EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(u.part_sha, EVP_sha1(), NULL) != 1) {
		brun_fail(r, NULL, "out of memory");
		goto out;
	}
	if (!u.mem) {
		/* gpg's stdout: it writes the archive itself. */
		fd = open(r->archive_path,
		    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			brun_fail(r, NULL, "%s: %s", r->archive_path,
			    strerror(errno));
			goto out;
		}
	}
	u.fd = fd;
	pass = brun_pass_fd(r);
	if (pass < 0 || pipe2(tar_gpg, O_CLOEXEC) != 0 ||
	    (u.mem && pipe2(gpg_out, O_CLOEXEC) != 0)) {
		brun_fail(r, NULL, "pipe: %s", strerror(errno));
		goto out;
	}
	/* Bigger pipes: fewer wake-ups between tar, gpg and the reader. */
	(void)fcntl(tar_gpg[1], F_SETPIPE_SZ, 1024 * 1024);
	if (u.mem)
		(void)fcntl(gpg_out[1], F_SETPIPE_SZ, 1024 * 1024);
	if (bproc_start(&tar, "tar", (char *const *)(uintptr_t)targv, -1,
		tar_gpg[1], -1, &pg, desc, sizeof(desc)) != 0) {
		brun_fail(r, NULL, "%s", desc);
		goto out;
	}
	tar_started = true;
	if (bproc_start(&gpg, "gpg", (char *const *)(uintptr_t)gargv,
		tar_gpg[0], u.mem ? gpg_out[1] : fd, pass, &pg, desc,
		sizeof(desc)) != 0) {
		brun_fail(r, NULL, "%s", desc);
		goto out;
	}
	gpg_started = true;
	if (list_gpg_start(r) != 0)
		goto out;
	close(tar_gpg[0]);
	close(tar_gpg[1]);
	close(pass);
	tar_gpg[0] = tar_gpg[1] = pass = -1;
	if (gpg_out[1] >= 0)
		close(gpg_out[1]);
	gpg_out[1] = -1;
	if (pthread_create(&r->upload_thread, NULL, uploader_main, &u) == 0)
		thread = true;
	else
		u.failed = u.part_known = true;
	if (u.mem) {
		/* The buffers need the part size: B2 tells it. */
		pthread_mutex_lock(&u.lock);
		while (!u.part_known)
			pthread_cond_wait(&u.cond, &u.lock);
		pthread_mutex_unlock(&u.lock);
		if (!u.failed) {
			u.mbuf[0] = malloc((size_t)u.part);
			u.mbuf[1] = malloc((size_t)u.part);
		}
		if (u.failed || u.mbuf[0] == NULL || u.mbuf[1] == NULL) {
			(void)kill(-pg, SIGKILL);
			killed = true;
			r->step = "upload";
			brun_fail(r, NULL, "%s",
			    u.failed ? u.err : "out of memory for the parts");
		}
	}
	if (!killed) {
		total = u.mem
		    ? archive_read(r, &u, &tar, &gpg, pg, gpg_out[0], t0)
		    : archive_follow(r, &u, &tar, &gpg, pg, t0);
		killed = total < 0;
		if (killed)
			total = 0;
	}
	if (gpg_out[0] >= 0)
		close(gpg_out[0]);
	gpg_out[0] = -1;
	/* Collect both, whatever happened (pipefail). */
	(void)bproc_wait(&tar, pg, r->deadline);
	(void)bproc_wait(&gpg, pg, r->deadline + 5);
	tar_started = gpg_started = false;
	bproc_close(&tar);
	bproc_close(&gpg);
	/* The file list is complete once tar succeeded: its gpg encrypts it
	 * while the last part goes up. */
	if (!killed && bproc_exit_code(&gpg) == 0 &&
	    (bproc_exit_code(&tar) == 0 || bproc_exit_code(&tar) == 1))
		r->list_feed_err = list_feed(r);
	pthread_mutex_lock(&u.lock);
	u.written = total;
	u.ended = true;
	pthread_cond_signal(&u.cond);
	pthread_mutex_unlock(&u.lock);
	if (thread)
		pthread_join(r->upload_thread, NULL);
	thread = false;
	progress(r, total, t0, u.parts_done, true);
	r->rec.bytes = total;
	if (!u.mem && hash_forward(&u, total) == 0 && u.part > 0 &&
	    (long long)u.parts_hashed * u.part < total && part_sha_end(&u) != 0)
		u.hashed = -1;
	if ((u.mem || u.hashed == total) &&
	    EVP_DigestFinal_ex(sha, md, &mdlen) == 1)
		for (unsigned int i = 0; i < mdlen && i < 32; i++)
			snprintf(r->rec.sha256 + 2 * i, 3, "%02x", md[i]);
	if (with_dump)
		(void)unlink(r->dump_path); /* plaintext: only in the tar */
	if (!killed) {
		int tc = bproc_exit_code(&tar), gc = bproc_exit_code(&gpg);

		/* gpg first: when it dies, tar only sees SIGPIPE. */
		if (gc != 0 && !u.mem &&
		    strstr(bproc_tail(&gpg), WRITE_ERROR) != NULL) {
			/* It writes the archive itself: a full disk. */
			const char *why =
			    strstr(bproc_tail(&gpg), WRITE_ERROR) +
			    strlen(WRITE_ERROR);

			r->step = "write";
			brun_fail(r, bproc_tail(&gpg), "%s: %.*s",
			    r->archive_path, (int)strcspn(why, "\n"), why);
		} else if (gc != 0) {
			r->step = "encrypt";
			bproc_describe(&gpg, desc, sizeof(desc));
			brun_fail(r, bproc_tail(&gpg), "%s", desc);
		} else if (tc != 0 && tc != 1) {
			bproc_describe(&tar, desc, sizeof(desc));
			brun_fail(r, bproc_tail(&tar), "%s", desc);
		} else {
			if (tc == 1)
				brun_log(r,
				    "archive: tar exited 1 (a file "
				    "changed while read): %s",
				    bproc_tail(&tar));
			r->rec.files = count_lines(r->list_path);
			brun_step_done(r,
			    "%lld files, %lld bytes encrypted, "
			    "sha256 %s",
			    r->rec.files, total, r->rec.sha256);
		}
	}
	if (!r->rec.ok) {
		/* A partial archive is no backup: keep sync.old intact. */
		list_gpg_stop(r);
		(void)unlink(r->archive_path);
		(void)unlink(r->list_path);
		(void)unlink(r->list_gpg_path);
		goto cancel;
	}
	brun_step(r, "upload");
	r->step_t0 = t0;
	if (got_stop) {
		brun_fail(r, NULL, "stopped by signal %d", (int)got_stop);
		goto cancel;
	}
	if (u.failed && fd >= 0 && r->c != NULL &&
	    b2_client_error_kind(r->c) != B2_ERR_AUTH &&
	    b2_client_error_kind(r->c) != B2_ERR_REQUEST &&
	    deadline_left(r->deadline) > 0) {
		struct b2_file f;

		/* A large file can stay pinned to a busy vault: cancel it and
		 * upload the finished local copy once more from the start
		 * (tar and gpg are not run again). */
		brun_log(r, "upload: %s; retrying the whole archive from %s",
		    u.err, r->archive_path);
		if (u.large != NULL && b2_large_cancel(u.large) == 0)
			brun_log(r, "upload: large file %s cancelled",
			    b2_large_file_id(u.large));
		b2_large_free(u.large);
		u.large = NULL;
		if (b2_upload_fd(r->c, r->bucket_id, r->object, fd,
			(size_t)total, &f) == 0) {
			r->rec.parts = total > u.part && u.part > 0
			    ? (total + u.part - 1) / u.part
			    : 0;
			brun_step_done(r,
			    "%s, %lld bytes, uploaded again from "
			    "the local copy",
			    r->object, total);
			goto uploaded;
		}
		brun_fail(r, NULL, "%s (and again from the local copy: %s)",
		    u.err, b2_client_error(r->c));
		goto cancel;
	}
	if (u.failed) {
		brun_fail(r, NULL, "%s", u.err);
		goto cancel;
	}
	if (upload_finish(r, &u, total) != 0)
		goto cancel;
uploaded:
	str_copy(r->rec.objects[r->rec.object_count++], r->object,
	    sizeof(r->rec.objects[0]));
	rc = 0;
	goto out;
cancel:
	if (u.large != NULL) {
		if (b2_large_cancel(u.large) == 0)
			brun_log(r, "upload: large file %s cancelled",
			    b2_large_file_id(u.large));
		else
			brun_log(r,
			    "upload: cancelling large file %s failed: "
			    "%s (lifecycle rules cancel it later)",
			    b2_large_file_id(u.large), b2_client_error(r->c));
	}
out:
	if (tar_started || gpg_started)
		(void)kill(-pg, SIGKILL);
	if (tar_started) {
		(void)bproc_wait(&tar, pg, 0);
		bproc_close(&tar);
	}
	if (gpg_started) {
		(void)bproc_wait(&gpg, pg, 0);
		bproc_close(&gpg);
	}
	if (thread) {
		pthread_mutex_lock(&u.lock);
		u.ended = true;
		pthread_cond_signal(&u.cond);
		pthread_mutex_unlock(&u.lock);
		pthread_join(r->upload_thread, NULL);
	}
	b2_large_free(u.large);
	for (int i = 0; i < 2; i++) {
		if (tar_gpg[i] >= 0)
			close(tar_gpg[i]);
		if (gpg_out[i] >= 0)
			close(gpg_out[i]);
	}
	if (pass >= 0)
		close(pass);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	EVP_MD_CTX_free(sha);
	EVP_MD_CTX_free(u.part_sha);
	free(u.sha1);
	free(u.hbuf);
	free(u.mbuf[0]);
	free(u.mbuf[1]);
	pthread_mutex_destroy(&u.lock);
	pthread_cond_destroy(&u.cond);
	return rc;
}

/* Start gpg for the file list (stdin: a pipe fed by step_list). */
static int
list_gpg_start(struct brun *r)
{
	const char *argv[32];
	char desc[256];
	int in[2] = { -1, -1 }, pass = -1, rc = -1;
	size_t g;

	g = brun_gpg_args(r, argv);
	argv[g++] = "--symmetric";
	argv[g++] = "--cipher-algo";
	argv[g++] = "AES256";
	argv[g++] = "--output";
	argv[g++] = r->list_gpg_path;
	argv[g] = NULL;
	pass = brun_pass_fd(r);
	if (pass < 0 || pipe2(in, O_CLOEXEC) != 0) {
		brun_fail(r, NULL, "pipe: %s", strerror(errno));
		goto out;
	}
	r->list_pg = 0;
	if (bproc_start(&r->list_gpg, "gpg", (char *const *)(uintptr_t)argv,
		in[0], -1, pass, &r->list_pg, desc, sizeof(desc)) != 0) {
		brun_fail(r, NULL, "%s", desc);
		goto out;
	}
	r->list_in = in[1];
	in[1] = -1;
	rc = 0;
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (pass >= 0)
		close(pass);
	return rc;
}

/* Kill the list's gpg when the run ends before it was fed. */
static void
list_gpg_stop(struct brun *r)
{
	/* Kill before closing its input: on EOF it would write an empty
	 * list into sync/, which the next rotation would take for a run. */
	if (r->list_gpg.pid > 0 && !r->list_gpg.done) {
		(void)kill(-r->list_pg, SIGKILL);
		(void)bproc_wait(&r->list_gpg, r->list_pg, 0);
	}
	if (r->list_in >= 0)
		close(r->list_in);
	r->list_in = -1;
	bproc_close(&r->list_gpg);
}

static int
copy_to_fd(const char *path, int out)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (write_all(out, buf, (size_t)n) != 0) {
			rc = -1;
			break;
		}
	}
	close(fd);
	return rc;
}

/* Give the complete file list to its gpg and close its input: 0, or the
 * errno of the failure. */
static int
list_feed(struct brun *r)
{
	int rc = 0;

	if (r->list_in < 0)
		return EPIPE;
	if (copy_to_fd(r->list_path, r->list_in) != 0) {
		rc = errno != 0 ? errno : EIO;
		/* Before its input ends: no partial list in sync/. */
		if (r->list_gpg.pid > 0 && !r->list_gpg.done)
			(void)kill(-r->list_pg, SIGKILL);
	}
	close(r->list_in);
	r->list_in = -1;
	return rc;
}

/* The file list, encrypted like the archive, uploaded beside it. */
static int
step_list(struct brun *r)
{
	char desc[256];
	int fd = -1, rc = -1;
	struct stat st;

	brun_step(r, "list");
	if (got_stop) {
		brun_fail(r, NULL, "stopped by signal %d", (int)got_stop);
		goto out;
	}
	if (r->list_gpg.pid <= 0) {
		brun_fail(r, NULL, "gpg for the file list is not running");
		goto out;
	}
	if (r->list_in >= 0)
		r->list_feed_err = list_feed(r);
	if (r->list_feed_err != 0) {
		brun_fail(r, NULL, "feeding the file list to gpg: %s",
		    strerror(r->list_feed_err));
		goto out;
	}
	(void)bproc_wait(&r->list_gpg, r->list_pg, r->deadline);
	if (bproc_exit_code(&r->list_gpg) != 0) {
		bproc_describe(&r->list_gpg, desc, sizeof(desc));
		brun_fail(r, bproc_tail(&r->list_gpg), "%s", desc);
		goto out;
	}
	fd = open(r->list_gpg_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		brun_fail(r, NULL, "%s: %s", r->list_gpg_path, strerror(errno));
		goto out;
	}
	if (b2_upload_fd(r->c, r->bucket_id, r->list_object, fd,
		(size_t)st.st_size, NULL) != 0) {
		brun_fail(
		    r, NULL, "%s: %s", r->list_object, b2_client_error(r->c));
		goto out;
	}
	str_copy(r->rec.objects[r->rec.object_count++], r->list_object,
	    sizeof(r->rec.objects[0]));
	brun_step_done(
	    r, "%s, %lld bytes", r->list_object, (long long)st.st_size);
	rc = 0;
out:
	list_gpg_stop(r);
	if (fd >= 0)
		close(fd);
	return rc;
}

static bool
dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			found = true;
	closedir(d);
	return found;
}

static void *
trash_main(void *arg)
{
	struct brun *r = arg;

	r->trash_errno = brun_rm_rf(r->trash_dir) == 0 ? 0 : errno;
	return NULL;
}

/* Delete what the rotation set aside, in a thread of its own so that the
 * dump and the archive start at once (without a thread: now). */
static void
trash_start(struct brun *r)
{
	r->trash_thread = r->trash_pending &&
	    pthread_create(&r->trash_tid, NULL, trash_main, r) == 0;
	if (r->trash_pending && !r->trash_thread)
		trash_main(r);
	r->trash_pending = false;
}

/* Wait for that deletion (at the end of the run). */
static void
trash_remove(struct brun *r)
{
	if (r->trash_thread)
		pthread_join(r->trash_tid, NULL);
	r->trash_thread = false;
	if (r->trash_errno != 0)
		brun_log(r, "rotate: cannot remove %s: %s", r->trash_dir,
		    strerror(r->trash_errno));
	r->trash_errno = 0;
}

/* sync/ -> sync.old/ (only when sync/ holds the previous run's files). */
static int
step_rotate(struct brun *r)
{
	bool has_files;

	brun_step(r, "rotate");
	if (mkdir_p(r->bc->local_dir, 0700) != 0) {
		brun_fail(r, NULL, "%s: %s", r->bc->local_dir, strerror(errno));
		return -1;
	}
	has_files = dir_has_entries(r->sync_dir);
	if (has_files) {
		/* The archive before the previous one is only renamed here
		 * (sync.old.delete, a leftover of a crash removed first) and
		 * deleted beside the dump and the archive: unlinking
		 * gigabytes takes a while. */
		if (brun_rm_rf(r->trash_dir) != 0 ||
		    (rename(r->old_dir, r->trash_dir) != 0 &&
			errno != ENOENT) ||
		    rename(r->sync_dir, r->old_dir) != 0) {
			brun_fail(r, NULL, "%s -> %s: %s", r->sync_dir,
			    r->old_dir, strerror(errno));
			return -1;
		}
		r->trash_pending = true;
		trash_start(r);
	}
	if (mkdir(r->sync_dir, 0700) != 0 && errno != EEXIST) {
		brun_fail(r, NULL, "%s: %s", r->sync_dir, strerror(errno));
		return -1;
	}
	brun_step_done(r, "%s",
	    has_files ? "sync/ moved to sync.old/" : "nothing to rotate");
	return 0;
}

int
brun_begin(struct brun *r, struct backup_conf *bc, const char *kind, bool lock,
    bool pass)
{
	char path[PATH_MAX + 32];
	char err[512];

	memset(r, 0, sizeof(*r));
	r->bc = bc;
	r->log_fd = r->lock_fd = r->list_in = -1;
	r->tty = isatty(STDERR_FILENO) == 1;
	r->deadline = clock_monotonic_now() + bc->timeout;
	r->rec.ok = true;
	r->rec.start = (long long)time(NULL);
	str_copy(r->rec.kind, kind, sizeof(r->rec.kind));
	str_copy(r->rec.host, bc->host, sizeof(r->rec.host));
	if (mkdir_p(bc->state_dir, 0700) != 0) {
		fprintf(stderr, "osemon: backup: %s: %s\n", bc->state_dir,
		    strerror(errno));
		return -1;
	}
	r->log_fd =
	    open(bc->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (r->log_fd < 0)
		fprintf(stderr, "osemon: backup: log %s: %s\n", bc->log_file,
		    strerror(errno));
	if (lock) {
		snprintf(path, sizeof(path), "%s/%s", bc->state_dir,
		    BACKUP_LOCK_NAME);
		r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (r->lock_fd < 0 ||
		    flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			brun_log(r, "%s: another backup holds %s", kind, path);
			fprintf(stderr,
			    "osemon: backup: another backup is "
			    "running (lock %s)\n",
			    path);
			return -1;
		}
		/* Who holds it, for the backup probe: "PID START KIND". */
		if (ftruncate(r->lock_fd, 0) == 0)
			(void)!dprintf(r->lock_fd, "%d %lld %s\n",
			    (int)getpid(), r->rec.start, kind);
	}
	if (pass) {
		if (secret_read(bc->passphrase_file, r->pass, sizeof(r->pass),
			err, sizeof(err)) != 0) {
			brun_step(r, "passphrase");
			brun_fail(r, NULL, "%s", err);
			return 0; /* a recorded failure */
		}
		r->pass_len = strlen(r->pass);
		if (brun_gpg_home(r) != 0) {
			brun_step(r, "passphrase");
			brun_fail(
			    r, NULL, "private GNUPGHOME: %s", strerror(errno));
		}
	}
	return 0;
}

void
brun_end(struct brun *r, const char *record_path)
{
	char err[512];

	r->rec.end = (long long)time(NULL);
	r->rec.exit_status = r->rec.ok ? 0 : 1;
	if (record_path != NULL &&
	    backup_record_write(record_path, &r->rec, err, sizeof(err)) != 0)
		brun_log(r, "record: %s", err);
	brun_gpg_cleanup(r);
	explicit_bzero(r->pass, sizeof(r->pass));
	b2_client_free(r->c);
	r->c = NULL;
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	if (r->log_fd >= 0)
		close(r->log_fd);
	r->lock_fd = r->log_fd = -1;
}

/* VmHWM of this process (the runner alone, not tar or gpg). */
static long
peak_rss_kib(void)
{
	char *text = NULL, *p;
	size_t len = 0;
	long kib = -1;

	if (file_read_capped("/proc/self/status", 65536, &text, &len) != 0)
		return -1;
	p = strstr(text, "VmHWM:");
	if (p != NULL)
		kib = strtol(p + 6, NULL, 10);
	free(text);
	return kib;
}

static int
set_names(struct brun *r, time_t now)
{
	struct backup_conf *bc = r->bc;
	size_t n = sizeof(r->archive_path);

	if (backup_object_base(bc->host, now, r->base, sizeof(r->base)) != 0)
		return -1;
	snprintf(r->object, sizeof(r->object), "%s.tar.gpg", r->base);
	snprintf(
	    r->list_object, sizeof(r->list_object), "%s.files.gpg", r->base);
	if ((size_t)snprintf(r->sync_dir, sizeof(r->sync_dir), "%s/sync",
		bc->local_dir) >= sizeof(r->sync_dir))
		return -1;
	snprintf(r->old_dir, sizeof(r->old_dir), "%s/sync.old", bc->local_dir);
	snprintf(r->trash_dir, sizeof(r->trash_dir), "%s/sync.old.delete",
	    bc->local_dir);
	if ((size_t)snprintf(
		r->archive_path, n, "%s/%s", r->sync_dir, r->object) >= n)
		return -1;
	snprintf(r->list_path, sizeof(r->list_path), "%s/%s.files", r->sync_dir,
	    r->base);
	snprintf(r->list_gpg_path, sizeof(r->list_gpg_path), "%s/%s",
	    r->sync_dir, r->list_object);
	snprintf(r->dump_path, sizeof(r->dump_path), "%s/%s", r->sync_dir,
	    BACKUP_DUMP_NAME);
	return 0;
}

int
backup_run(struct backup_conf *bc)
{
	struct brun r;
	struct backup_record prev;
	char record[PATH_MAX + 32], err[256];
	bool with_dump = bc->mysql_defaults[0] != '\0';
	double t0 = clock_monotonic_now();

	brun_catch_stop();
	(void)umask(077); /* the file list and the dump are private */
	if (brun_begin(&r, bc, "run", true, true) != 0) {
		brun_end(&r, NULL);
		return 1;
	}
	snprintf(
	    record, sizeof(record), "%s/%s", bc->state_dir, BACKUP_RECORD_NAME);
	if (backup_record_read(record, &prev, err, sizeof(err)) == 0) {
		r.rec.last_success = prev.ok && strcmp(prev.kind, "run") == 0
		    ? prev.end
		    : prev.last_success;
		r.rec.last_success_bytes =
		    prev.ok ? prev.bytes : prev.last_success_bytes;
	}
	brun_log(&r, "run: start on %s, pid %d", bc->host, (int)getpid());
	if (!r.rec.ok)
		goto out;
	if (set_names(&r, (time_t)r.rec.start) != 0) {
		brun_step(&r, "start");
		brun_fail(&r, NULL, "local-dir or host name too long");
		goto out;
	}
	if (step_rotate(&r) != 0)
		goto out;
	/* pre-flight: room for another archive like the last one + 10 % */
	if (forecast_backup_space_ok(bc->local_dir, r.rec.last_success_bytes,
		0.1, err, sizeof(err)) == 0)
		brun_log(&r, "warning: %s", err);
	if (with_dump && step_dump(&r) != 0) {
		(void)unlink(r.dump_path);
		goto out;
	}
	if (step_archive(&r, with_dump) != 0)
		goto out;
	if (step_list(&r) != 0)
		goto out;
	if (args_int(&bc->opt, "keep-daily") > 0 ||
	    args_int(&bc->opt, "keep-monthly") > 0) {
		brun_step(&r, "prune");
		if (backup_prune_with(&r, false) != 0)
			brun_log(&r,
			    "prune: failed (the backup itself is "
			    "fine)");
	}
	if (!args_flag(&bc->opt, "keep-local")) {
		(void)unlink(r.archive_path);
		(void)unlink(r.list_gpg_path);
		brun_log(&r,
		    "keep-local: no: the archive went from memory to B2, "
		    "none kept here");
	}
out:
	list_gpg_stop(&r);
	trash_remove(&r);
	if (r.rec.ok) {
		r.rec.last_success = (long long)time(NULL);
		r.rec.last_success_bytes = r.rec.bytes;
	}
	brun_log(&r, "run: %s in %.2f s%s%s, peak RSS %ld KiB",
	    r.rec.ok ? "success" : "FAILED", clock_monotonic_now() - t0,
	    r.rec.ok ? "" : " at step ", r.rec.ok ? "" : r.rec.failed_step,
	    peak_rss_kib());
	if (!r.rec.ok && !r.tty)
		fprintf(stderr, "osemon: backup failed at step %s: %s\n",
		    r.rec.failed_step, r.rec.error);
	brun_end(&r, record);
	return r.rec.ok ? 0 : 1;
}
