/*
 * `osemon backup verify|list|prune`: what is in B2, is the newest archive
 * restorable, and client-side pruning.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "b2.h"
#include "backup.h"
#include "bproc.h"
#include "brun.h"
#include "util.h"

#define ARCHIVE_SUFFIX ".tar.gpg"
#define LIST_SUFFIX ".files.gpg"
#define DUMP_TRAILER "-- Dump completed"

struct listing {
	struct b2_file *v;
	size_t n, cap;
	const char *suffix; /* only names ending so; NULL: every name */
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int
collect(const struct b2_file *f, void *arg)
{
	struct listing *l = arg;

	if (l->suffix != NULL && !ends_with(f->name, l->suffix))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct b2_file *v = reallocarray(l->v, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *f;
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const struct b2_file *x = a, *y = b;

	if (x->upload_ms != y->upload_ms)
		return x->upload_ms > y->upload_ms ? -1 : 1;
	return strcmp(y->name, x->name);
}

/* daily_ and monthly_ backups (of host, or of every host when NULL). */
static int
list_backups(struct brun *r, const char *host, bool versions, struct listing *l)
{
	static const char *const kinds[] = { "daily_", "monthly_" };
	char prefix[600];

	for (size_t i = 0; i < 2; i++) {
		snprintf(prefix, sizeof(prefix), "%s%s%s", kinds[i],
		    host != NULL ? host : "", host != NULL ? "_" : "");
		if ((versions ? b2_list_file_versions : b2_list_file_names)(
			r->c, r->bucket_id, prefix, collect, l) != 0)
			return -1;
	}
	qsort(l->v, l->n, sizeof(*l->v), newest_first);
	return 0;
}

static double
now_ms(struct brun *r)
{
	double server = r->c != NULL ? b2_client_server_time(r->c) : 0;

	return (server > 0 ? server : (double)time(NULL)) * 1000.0;
}

int
backup_list(struct backup_conf *bc)
{
	struct brun r;
	struct listing l = { NULL, 0, 0, ARCHIVE_SUFFIX };
	char err[B2_ERROR_MAX];
	int rc = 1;

	if (brun_begin(&r, bc, "list", false, false) != 0)
		goto out;
	if (brun_b2_open(&r, err, sizeof(err)) != 0 ||
	    list_backups(&r, NULL, false, &l) != 0) {
		fprintf(stderr, "osemon: backup list: %s\n",
		    r.c != NULL ? b2_client_error(r.c) : err);
		goto out;
	}
	printf("%-52s %14s %10s\n", "NAME", "BYTES", "AGE");
	for (size_t i = 0; i < l.n; i++) {
		double age =
		    (now_ms(&r) - (double)l.v[i].upload_ms) / 3600000.0;

		printf("%-52s %14lld %8.1f h\n", l.v[i].name, l.v[i].size,
		    age < 0 ? 0.0 : age);
	}
	printf(
	    "%zu backups in bucket %s\n", l.n, args_string(&bc->b2, "bucket"));
	rc = 0;
out:
	free(l.v);
	brun_end(&r, NULL);
	return rc;
}

static bool
is_kind(const char *name, const char *kind)
{
	return strncmp(name, kind, strlen(kind)) == 0;
}

/* Delete every version of base+suffix found in versions. */
static int
delete_versions(
    struct brun *r, const struct listing *all, const char *base, bool dry_run)
{
	char name[B2_NAME_MAX + 1];
	static const char *const suffixes[] = { ARCHIVE_SUFFIX, LIST_SUFFIX };
	int rc = 0;

	for (size_t s = 0; s < 2; s++) {
		snprintf(name, sizeof(name), "%s%s", base, suffixes[s]);
		for (size_t i = 0; i < all->n; i++) {
			if (strcmp(all->v[i].name, name) != 0)
				continue;
			if (dry_run) {
				printf("would delete %s (%s, %s)\n", name,
				    all->v[i].action, all->v[i].id);
				continue;
			}
			if (b2_delete_file_version(r->c, name, all->v[i].id) !=
			    0) {
				brun_log(r, "prune: deleting %s: %s", name,
				    b2_client_error(r->c));
				rc = -1;
				continue;
			}
			brun_log(
			    r, "prune: deleted %s (%s)", name, all->v[i].id);
		}
	}
	return rc;
}

int
backup_prune_with(struct brun *r, bool dry_run)
{
	struct listing all = { NULL, 0, 0, NULL };
	static const char *const kinds[] = { "daily_", "monthly_" };
	const char *keys[] = { "keep-daily", "keep-monthly" };
	char err[B2_ERROR_MAX];
	long deleted = 0;
	int rc = -1;

	if (brun_b2_open(r, err, sizeof(err)) != 0) {
		brun_log(r, "prune: %s", err);
		goto out;
	}
	if (list_backups(r, r->bc->host, true, &all) != 0) {
		brun_log(r, "prune: %s", b2_client_error(r->c));
		goto out;
	}
	rc = 0;
	for (size_t k = 0; k < 2; k++) {
		long keep = args_int(&r->bc->opt, keys[k]);
		long seen = 0;

		if (keep <= 0)
			continue; /* that kind is left to lifecycle rules */
		/* Newest first: each uploaded archive counts once. */
		for (size_t i = 0; i < all.n; i++) {
			char base[B2_NAME_MAX + 1];
			bool newer_seen = false;

			if (!is_kind(all.v[i].name, kinds[k]) ||
			    !ends_with(all.v[i].name, ARCHIVE_SUFFIX) ||
			    strcmp(all.v[i].action, "upload") != 0)
				continue;
			for (size_t j = 0; j < i; j++)
				if (strcmp(all.v[j].name, all.v[i].name) == 0 &&
				    strcmp(all.v[j].action, "upload") == 0)
					newer_seen = true;
			if (newer_seen)
				continue; /* an older version of a kept name */
			if (++seen <= keep)
				continue;
			str_copy(base, all.v[i].name, sizeof(base));
			base[strlen(base) - strlen(ARCHIVE_SUFFIX)] = '\0';
			if (delete_versions(r, &all, base, dry_run) != 0)
				rc = -1;
			deleted++;
		}
	}
	brun_log(r,
	    "prune: %s%ld backups beyond keep-daily %ld / "
	    "keep-monthly %ld",
	    dry_run ? "dry run, would delete " : "", deleted,
	    args_int(&r->bc->opt, "keep-daily"),
	    args_int(&r->bc->opt, "keep-monthly"));
	if (dry_run)
		printf("%ld backups would be deleted\n", deleted);
out:
	free(all.v);
	return rc;
}

int
backup_prune(struct backup_conf *bc, bool dry_run, bool quiet)
{
	struct brun r;
	int rc = 1;

	(void)quiet;
	if (brun_begin(&r, bc, "prune", !dry_run, false) != 0)
		goto out;
	if (args_int(&bc->opt, "keep-daily") <= 0 &&
	    args_int(&bc->opt, "keep-monthly") <= 0) {
		fprintf(stderr,
		    "osemon: backup prune: keep-daily and "
		    "keep-monthly are 0: lifecycle rules prune\n");
		goto out;
	}
	rc = backup_prune_with(&r, dry_run) == 0 ? 0 : 1;
out:
	brun_end(&r, NULL);
	return rc;
}

/* Download name into dir/name (mode 0600). */
static int
download(
    struct brun *r, const char *dir, const char *name, char *path, size_t size)
{
	struct b2_file f;
	int fd;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		brun_fail(r, NULL, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (b2_download(
		r->c, args_string(&r->bc->b2, "bucket"), name, fd, &f) != 0) {
		if (brun_check_stop(r) == 0)
			brun_fail(
			    r, NULL, "%s: %s", name, b2_client_error(r->c));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * gpg --decrypt in | tar ARGS... with tar's stdout to out_fd (or read
 * here when tail is not NULL: its last bytes are kept).  Both must exit 0.
 */
static int
decrypt_into_tar(struct brun *r, const char *in, const char *const *targs,
    int out_fd, char *tail, size_t tail_size)
{
	const char *gargv[32], *targv[16];
	struct bproc gpg, tar;
	bool g_started = false, t_started = false;
	int gt[2] = { -1, -1 }, to[2] = { -1, -1 }, pass = -1, rc = -1;
	size_t g, n = 0, tail_len = 0;
	pid_t pg = 0;
	char desc[256], buf[65536];

	g = brun_gpg_args(r, gargv);
	gargv[g++] = "--decrypt";
	gargv[g++] = in;
	gargv[g] = NULL;
	targv[n++] = args_string(&r->bc->opt, "tar");
	for (size_t i = 0; targs[i] != NULL && n < 15; i++)
		targv[n++] = targs[i];
	targv[n] = NULL;
	pass = brun_pass_fd(r);
	if (pass < 0 || pipe2(gt, O_CLOEXEC) != 0 ||
	    (tail != NULL && pipe2(to, O_CLOEXEC) != 0)) {
		brun_fail(r, NULL, "pipe: %s", strerror(errno));
		goto out;
	}
	if (bproc_start(&gpg, "gpg", (char *const *)(uintptr_t)gargv, -1, gt[1],
		pass, &pg, desc, sizeof(desc)) != 0) {
		brun_fail(r, NULL, "%s", desc);
		goto out;
	}
	g_started = true;
	if (bproc_start(&tar, "tar", (char *const *)(uintptr_t)targv, gt[0],
		tail != NULL ? to[1] : out_fd, -1, &pg, desc,
		sizeof(desc)) != 0) {
		brun_fail(r, NULL, "%s", desc);
		goto out;
	}
	/* tar runs; no path leaves before the waits below, which end
	 * both (t_started would be dead here: make analyze). */
	close(gt[0]);
	close(gt[1]);
	gt[0] = gt[1] = -1;
	if (tail != NULL) {
		close(to[1]);
		to[1] = -1;
		for (;;) {
			ssize_t got = read(to[0], buf, sizeof(buf));

			if (got < 0 && errno == EINTR && !*brun_stop_flag())
				continue;
			if (got <= 0)
				break;
			if ((size_t)got >= tail_size - 1) {
				memcpy(tail, buf + got - (tail_size - 1),
				    tail_size - 1);
				tail_len = tail_size - 1;
			} else {
				size_t keep = tail_size - 1 - (size_t)got;

				if (tail_len > keep) {
					memmove(
					    tail, tail + tail_len - keep, keep);
					tail_len = keep;
				}
				memcpy(tail + tail_len, buf, (size_t)got);
				tail_len += (size_t)got;
			}
			if (deadline_left(r->deadline) <= 0)
				break;
		}
		tail[tail_len] = '\0';
	}
	(void)bproc_wait(&gpg, pg, r->deadline);
	(void)bproc_wait(&tar, pg, r->deadline);
	g_started = t_started = false;
	if (brun_check_stop(r) != 0)
		goto out;
	if (bproc_exit_code(&gpg) != 0) {
		r->step = "decrypt";
		bproc_describe(&gpg, desc, sizeof(desc));
		brun_fail(r, bproc_tail(&gpg), "%s", desc);
		goto out;
	}
	if (bproc_exit_code(&tar) != 0) {
		bproc_describe(&tar, desc, sizeof(desc));
		brun_fail(r, bproc_tail(&tar), "%s", desc);
		goto out;
	}
	rc = 0;
out:
	if (g_started || t_started)
		(void)kill(-pg, SIGKILL);
	if (g_started)
		(void)bproc_wait(&gpg, pg, 0);
	if (t_started)
		(void)bproc_wait(&tar, pg, 0);
	if (g_started || t_started || pg != 0) {
		bproc_close(&gpg);
		bproc_close(&tar);
	}
	for (int i = 0; i < 2; i++) {
		if (gt[i] >= 0)
			close(gt[i]);
		if (to[i] >= 0)
			close(to[i]);
	}
	if (pass >= 0)
		close(pass);
	return rc;
}

static int
decrypt_file(struct brun *r, const char *in, const char *out)
{
	const char *argv[32];
	struct bproc p;
	pid_t pg = 0;
	int pass, rc = -1;
	size_t g;
	char desc[256];

	g = brun_gpg_args(r, argv);
	argv[g++] = "--output";
	argv[g++] = out;
	argv[g++] = "--decrypt";
	argv[g++] = in;
	argv[g] = NULL;
	pass = brun_pass_fd(r);
	if (pass < 0 ||
	    bproc_start(&p, "gpg", (char *const *)(uintptr_t)argv, -1, -1, pass,
		&pg, desc, sizeof(desc)) != 0) {
		brun_fail(r, NULL, "gpg: cannot start");
		goto out;
	}
	(void)bproc_wait(&p, pg, r->deadline);
	bproc_close(&p);
	if (brun_check_stop(r) != 0)
		goto out;
	if (bproc_exit_code(&p) != 0) {
		r->step = "decrypt";
		bproc_describe(&p, desc, sizeof(desc));
		brun_fail(r, bproc_tail(&p), "%s", desc);
		goto out;
	}
	rc = 0;
out:
	if (pass >= 0)
		close(pass);
	return rc;
}

/* Compare two name lists line by line; the first difference into r. */
static int
compare_lists(struct brun *r, const char *want_path, const char *got_path,
    long long *count)
{
	char *want = NULL, *got = NULL;
	size_t wl = 0, gl = 0;
	int rc = -1;

	*count = 0;
	if (file_read_capped(want_path, 512u << 20, &want, &wl) != 0 ||
	    file_read_capped(got_path, 512u << 20, &got, &gl) != 0) {
		brun_fail(r, NULL, "cannot read the file lists");
		goto out;
	}
	for (size_t i = 0; i < wl; i++)
		if (want[i] == '\n')
			(*count)++;
	if (wl != gl || memcmp(want, got, wl) != 0) {
		size_t i = 0, line = 1;

		while (i < wl && i < gl && want[i] == got[i])
			if (want[i++] == '\n')
				line++;
		brun_fail(r, NULL,
		    "the archive's contents differ from its "
		    "file list at line %zu",
		    line);
		goto out;
	}
	rc = 0;
out:
	free(want);
	free(got);
	return rc;
}

int
backup_verify(struct backup_conf *bc)
{
	struct brun r;
	struct listing l = { NULL, 0, 0, ARCHIVE_SUFFIX };
	char record[PATH_MAX + 32], dir[PATH_MAX + 16];
	char arch[PATH_MAX + 600], listg[PATH_MAX + 600];
	char list[PATH_MAX + 600], listing[PATH_MAX + 600];
	char base[B2_NAME_MAX + 1], name[B2_NAME_MAX + 1];
	char err[B2_ERROR_MAX], tail[512];
	const char *targs_t[] = { "--list", "--file=-", NULL };
	const char *targs_x[] = { "--extract", "--to-stdout", "--file=-",
		BACKUP_DUMP_NAME, NULL };
	bool has_dump = false;
	int fd = -1;

	snprintf(record, sizeof(record), "%s/%s", bc->state_dir,
	    BACKUP_VERIFY_RECORD_NAME);
	snprintf(dir, sizeof(dir), "%s/verify", bc->local_dir);
	/* The collector's timeout sends SIGTERM: end with a record. */
	brun_catch_stop();
	if (brun_begin(&r, bc, "verify", true, true) != 0) {
		brun_end(&r, NULL);
		return 1;
	}
	brun_log(&r, "verify: start");
	if (!r.rec.ok)
		goto out;
	brun_step(&r, "find");
	if (brun_b2_open(&r, err, sizeof(err)) != 0) {
		brun_fail(&r, NULL, "%s", err);
		goto out;
	}
	b2_client_set_stop(r.c, brun_stop_flag());
	if (list_backups(&r, bc->host, false, &l) != 0) {
		brun_fail(&r, NULL, "%s", b2_client_error(r.c));
		goto out;
	}
	if (l.n == 0) {
		brun_fail(&r, NULL, "no backup of %s in bucket %s", bc->host,
		    args_string(&bc->b2, "bucket"));
		goto out;
	}
	str_copy(name, l.v[0].name, sizeof(name));
	str_copy(base, name, sizeof(base));
	base[strlen(base) - strlen(ARCHIVE_SUFFIX)] = '\0';
	str_copy(r.rec.objects[r.rec.object_count++], name,
	    sizeof(r.rec.objects[0]));
	r.rec.bytes = l.v[0].size;
	brun_step_done(&r, "newest backup %s, %lld bytes", name, l.v[0].size);

	brun_step(&r, "download");
	if (brun_rm_rf(dir) != 0 || mkdir_p(dir, 0700) != 0) {
		brun_fail(&r, NULL, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(listg, sizeof(listg), "%s%s", base, LIST_SUFFIX);
	if (download(&r, dir, name, arch, sizeof(arch)) != 0)
		goto out;
	str_copy(err, listg, sizeof(err));
	if (download(&r, dir, err, listg, sizeof(listg)) != 0)
		goto out;
	brun_step_done(&r, "%s and its file list", name);

	brun_step(&r, "list");
	snprintf(list, sizeof(list), "%s/files.txt", dir);
	snprintf(listing, sizeof(listing), "%s/contents.txt", dir);
	if (decrypt_file(&r, listg, list) != 0)
		goto out;
	brun_step_done(&r, "file list decrypted");

	brun_step(&r, "read");
	fd = open(listing, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		brun_fail(&r, NULL, "%s: %s", listing, strerror(errno));
		goto out;
	}
	if (decrypt_into_tar(&r, arch, targs_t, fd, NULL, 0) != 0)
		goto out;
	close(fd);
	fd = -1;
	if (compare_lists(&r, list, listing, &r.rec.files) != 0)
		goto out;
	brun_step_done(&r,
	    "read to the end, %lld entries match the file "
	    "list",
	    r.rec.files);

	{
		char *text = NULL;
		size_t len = 0;

		if (file_read_capped(list, 512u << 20, &text, &len) == 0)
			has_dump = memmem(text, len, "\n" BACKUP_DUMP_NAME "\n",
				       strlen(BACKUP_DUMP_NAME) + 2) != NULL ||
			    strncmp(text, BACKUP_DUMP_NAME "\n",
				strlen(BACKUP_DUMP_NAME) + 1) == 0;
		free(text);
	}
	if (has_dump) {
		brun_step(&r, "sql");
		if (decrypt_into_tar(
			&r, arch, targs_x, -1, tail, sizeof(tail)) != 0)
			goto out;
		if (strstr(tail, DUMP_TRAILER) == NULL) {
			brun_fail(&r, NULL,
			    "%s has no '%s' trailer: the dump "
			    "is incomplete",
			    BACKUP_DUMP_NAME, DUMP_TRAILER);
			goto out;
		}
		brun_step_done(
		    &r, "%s ends with '%s'", BACKUP_DUMP_NAME, DUMP_TRAILER);
	}
out:
	if (fd >= 0)
		close(fd);
	(void)brun_rm_rf(dir);
	brun_log(&r, "verify: %s%s%s", r.rec.ok ? "success" : "FAILED at step ",
	    r.rec.ok ? "" : r.rec.failed_step, "");
	if (!r.rec.ok)
		fprintf(stderr, "osemon: backup verify failed at step %s: %s\n",
		    r.rec.failed_step, r.rec.error);
	else
		printf("verified %s: %lld entries, %lld bytes%s\n", name,
		    r.rec.files, r.rec.bytes,
		    has_dump ? ", SQL dump complete" : "");
	free(l.v);
	brun_end(&r, record);
	return r.rec.ok ? 0 : 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: osemon backup run|verify|list -c FILE\n"
	    "       osemon backup prune -c FILE [--dry-run]\n");
}

int
backup_main(int argc, char **argv)
{
	const char *config = NULL, *sub = NULL;
	bool dry_run = false;
	struct backup_conf *bc = NULL;
	struct cfg_errors errs;
	int rc = 2;

	cfg_errors_init(&errs);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				usage(stderr);
				goto out;
			}
			config = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			config = a + 9;
		} else if (strcmp(a, "--dry-run") == 0) {
			dry_run = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (sub == NULL && a[0] != '-') {
			sub = a;
		} else {
			fprintf(stderr,
			    "osemon: backup: unexpected argument "
			    "'%s'\n",
			    a);
			usage(stderr);
			goto out;
		}
	}
	if (sub == NULL || config == NULL ||
	    (dry_run && strcmp(sub, "prune") != 0)) {
		usage(stderr);
		goto out;
	}
	if (strcmp(sub, "run") != 0 && strcmp(sub, "verify") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "prune") != 0) {
		fprintf(stderr, "osemon: backup: unknown command '%s'\n", sub);
		usage(stderr);
		goto out;
	}
	if (backup_conf_load(config, &bc, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		goto out;
	}
	if (strcmp(sub, "run") == 0)
		rc = backup_run(bc);
	else if (strcmp(sub, "verify") == 0)
		rc = backup_verify(bc);
	else if (strcmp(sub, "list") == 0)
		rc = backup_list(bc);
	else
		rc = backup_prune(bc, dry_run, false);
out:
	backup_conf_free(bc);
	cfg_errors_free(&errs);
	return rc;
}
