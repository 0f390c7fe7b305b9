/*
 * The B2 client against the local B2 server (tests/lib/b2server.py),
 * which this program starts itself on 127.0.0.1 with small part sizes:
 * small and large uploads (>= 2 parts, a 503 in mid-upload, parts with
 * their SHA1 given), an upload URL fetched ahead, downloads,
 * re-authorisation, Retry-After, stalls, wrong keys, B2's 400 errors.
 * SRC (exported by tests/run.sh) locates the server; default ".".
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "b2.h"
#include "util.h"

#define KEY_ID "0012testkeyid"
#define KEY "K001testapplicationkey"

struct server {
	pid_t pid;
	int port;
	char dir[64];
	char url[64];
};

static struct server v3srv, v2srv;

static int
server_start(struct server *s, const char *layout)
{
	const char *src = getenv("SRC");
	char script[1024], portfile[128], buf[16];
	int fd, i;
	ssize_t n;
	long port;

	snprintf(s->dir, sizeof(s->dir), "/tmp/osemon-b2c.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(script, sizeof(script), "%s/tests/lib/b2server.py",
	    src != NULL ? src : ".");
	snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		execl("/usr/bin/python3", "python3", script, "--port-file",
		    portfile, "--layout", layout, "--min-part-size", "1000",
		    "--part-size", "4000", "--key-id", KEY_ID, "--key", KEY,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		fd = open(portfile, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				buf[strcspn(buf, "\n")] = '\0';
				if (parse_long(buf, 1, 65535, &port) == 0) {
					s->port = (int)port;
					snprintf(s->url, sizeof(s->url),
					    "http://127.0.0.1:%d", s->port);
					return 0;
				}
			}
		}
		usleep(50000);
	}
	return -1;
}

static void
server_stop(struct server *s)
{
	char path[128];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	snprintf(path, sizeof(path), "%s/port", s->dir);
	unlink(path);
	rmdir(s->dir);
}

static size_t
sink(char *d, size_t sz, size_t n, void *arg)
{
	json_t **out = arg;
	json_error_t e;

	(void)d;
	*out = json_loadb(d, sz * n, 0, &e); /* answers are small */
	return sz * n;
}

/* POST/GET the control endpoint; returns the answer (GET) or NULL. */
static json_t *
control(const struct server *s, const char *json)
{
	CURL *h = curl_easy_init();
	json_t *out = NULL;
	char url[128];

	snprintf(url, sizeof(url), "%s/_control", s->url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	if (json != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	return out;
}

static long
call_count(const struct server *s, const char *call)
{
	json_t *st = control(s, NULL);
	long n;

	assert_non_null(st);
	n = (long)json_integer_value(
	    json_object_get(json_object_get(st, "counts"), call));
	json_decref(st);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	if (server_start(&v3srv, "v3") != 0 || server_start(&v2srv, "v2") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	server_stop(&v3srv);
	server_stop(&v2srv);
	return 0;
}

static struct b2_client *
client(const struct server *s, double seconds)
{
	struct b2_client *c = b2_client_new(s->url, KEY_ID, KEY, NULL);

	assert_non_null(c);
	b2_client_set_deadline(c, clock_monotonic_now() + seconds);
	return c;
}

static int
temp_file(size_t len, unsigned seed)
{
	char path[] = "/tmp/osemon-b2data.XXXXXX";
	unsigned char buf[4096];
	int fd = mkstemp(path);
	size_t done = 0, i;

	assert_true(fd >= 0);
	unlink(path);
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (unsigned char)(seed >> 16);
		}
		assert_true(write(fd, buf, n) == (ssize_t)n);
		done += n;
	}
	return fd;
}

static void
assert_same_content(int a, int b, size_t len)
{
	unsigned char x[4096], y[4096];
	size_t off = 0;

	while (off < len) {
		size_t n = len - off < sizeof(x) ? len - off : sizeof(x);

		assert_true(pread(a, x, n, (off_t)off) == (ssize_t)n);
		assert_true(pread(b, y, n, (off_t)off) == (ssize_t)n);
		assert_memory_equal(x, y, n);
		off += n;
	}
}

static int
count_cb(const struct b2_file *f, void *arg)
{
	long *n = arg;

	(void)f;
	(*n)++;
	return 0;
}

struct find {
	const char *name;
	struct b2_file f;
	int seen;
};

static int
find_cb(const struct b2_file *f, void *arg)
{
	struct find *fd = arg;

	if (strcmp(f->name, fd->name) == 0) {
		fd->f = *f;
		fd->seen++;
	}
	return 0;
}

static void
test_small_upload_roundtrip(void **state)
{
	struct b2_client *c = client(&v3srv, 20);
	char bid[B2_ID_MAX];
	/* a name that needs percent-encoding */
	const char *name = "dir/r\xc3\xa9sum\xc3\xa9 #1+x.txt";
	struct b2_file up, down;
	struct find fd;
	int src = temp_file(3000, 1), dst = temp_file(0, 0);

	(void)state;
	memset(&fd, 0, sizeof(fd));
	fd.name = name;
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	assert_int_equal(b2_upload_fd(c, bid, name, src, 3000, &up), 0);
	assert_string_equal(up.name, name);
	assert_true(up.size == 3000);
	assert_int_equal(strlen(up.sha1), 40);
	assert_int_equal(b2_list_file_names(c, bid, "dir/", find_cb, &fd), 0);
	assert_int_equal(fd.seen, 1);
	assert_string_equal(fd.f.id, up.id);
	assert_int_equal(b2_download(c, "backups", name, dst, &down), 0);
	assert_true(down.size == 3000);
	assert_string_equal(down.id, up.id);
	assert_same_content(src, dst, 3000);
	assert_int_equal(b2_delete_file_version(c, name, up.id), 0);
	fd.seen = 0;
	assert_int_equal(b2_list_file_names(c, bid, "dir/", find_cb, &fd), 0);
	assert_int_equal(fd.seen, 0);
	/* deleting twice is B2's 400 file_not_present, not retried */
	assert_int_equal(b2_delete_file_version(c, name, up.id), -1);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_REQUEST);
	assert_string_equal(b2_client_error_code(c), "file_not_present");
	assert_int_equal(b2_client_error_status(c), 400);
	close(src);
	close(dst);
	b2_client_free(c);
}

static void
test_large_upload_with_503(void **state)
{
	struct b2_client *c = client(&v3srv, 30);
	char bid[B2_ID_MAX];
	struct b2_file up, down;
	json_t *st;
	size_t len = 10500; /* parts of 4000, 4000, 2500 */
	int src = temp_file(len, 7), dst = temp_file(0, 0);
	long urls_before, parts_before, downloads;

	(void)state;
	assert_true(b2_part_size(c) == 4000);
	assert_true(b2_min_part_size(c) == 1000);
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	urls_before = call_count(&v3srv, "b2_get_upload_part_url");
	parts_before = call_count(&v3srv, "b2_upload_part");
	/* the second part upload gets "503 too busy" */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_upload_part\",\"status\":503,\"skip\":1,\"count\":1,"
	    "\"message\":\"c002_v0001118_t0002 is too busy\"}"));
	assert_int_equal(
	    b2_upload_fd(c, bid, "daily_big.tar.gpg", src, len, &up), 0);
	assert_string_equal(up.action, "upload");
	assert_true(up.size == (long long)len);
	assert_string_equal(up.sha1, "none");
	/* 3 parts + 1 retried; a fresh part URL after the 503 */
	assert_int_equal(
	    call_count(&v3srv, "b2_upload_part") - parts_before, 4);
	assert_int_equal(
	    call_count(&v3srv, "b2_get_upload_part_url") - urls_before, 2);
	assert_int_equal(
	    b2_download(c, "backups", "daily_big.tar.gpg", dst, &down), 0);
	assert_true(down.size == (long long)len);
	assert_same_content(src, dst, len);
	/* a download cut in the middle is started over */
	json_decref(control(
	    &v3srv, "{\"op\":\"truncate\",\"call\":\"download\",\"count\":1}"));
	downloads = call_count(&v3srv, "download");
	assert_int_equal(ftruncate(dst, 0), 0);
	assert_true(lseek(dst, 0, SEEK_SET) == 0);
	assert_int_equal(
	    b2_download(c, "backups", "daily_big.tar.gpg", dst, &down), 0);
	assert_true(down.size == (long long)len);
	assert_true(lseek(dst, 0, SEEK_END) == (off_t)len);
	assert_int_equal(call_count(&v3srv, "download") - downloads, 2);
	assert_same_content(src, dst, len);
	st = control(&v3srv, NULL);
	assert_non_null(st);
	json_decref(st);
	close(src);
	close(dst);
	b2_client_free(c);
}

static void
test_large_restart_when_vault_busy(void **state)
{
	struct b2_client *c = client(&v3srv, 30);
	char bid[B2_ID_MAX];
	struct b2_file up;
	size_t len = 9000;
	int src = temp_file(len, 3);
	long starts, cancels, n = 0;

	(void)state;
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	starts = call_count(&v3srv, "b2_start_large_file");
	cancels = call_count(&v3srv, "b2_cancel_large_file");
	/* part 2 fails on every one of the five upload URLs */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_upload_part\",\"status\":503,\"skip\":1,\"count\":5,"
	    "\"message\":\"No uploads available in vault 0001099\"}"));
	assert_int_equal(
	    b2_upload_fd(c, bid, "daily_vault.tar.gpg", src, len, &up), 0);
	assert_true(up.size == (long long)len);
	assert_int_equal(call_count(&v3srv, "b2_start_large_file") - starts, 2);
	assert_int_equal(
	    call_count(&v3srv, "b2_cancel_large_file") - cancels, 1);
	/* no unfinished large file is left behind */
	assert_int_equal(
	    b2_list_file_versions(c, bid, "daily_vault", count_cb, &n), 0);
	assert_int_equal(n, 1);
	close(src);
	b2_client_free(c);
}

static int
find_start(const struct b2_file *f, void *arg)
{
	if (strcmp(f->action, "start") == 0)
		str_copy(arg, f->id, B2_ID_MAX);
	return 0;
}

static void
test_large_api_rules(void **state)
{
	char fid[B2_ID_MAX] = "";
	struct b2_client *c = client(&v3srv, 20);
	char bid[B2_ID_MAX];
	struct b2_large *l;
	unsigned char part[1500];
	long n = 0;

	(void)state;
	memset(part, 'p', sizeof(part));
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	l = b2_large_start(c, bid, "daily_one.tar.gpg", NULL);
	assert_non_null(l);
	assert_int_equal(
	    b2_large_upload_part(l, 1, part, -1, 0, sizeof(part)), 0);
	/* B2 wants at least two parts */
	assert_int_equal(b2_large_finish(l, NULL), -1);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_REQUEST);
	assert_non_null(strstr(b2_client_error(c), "at least 2 parts"));
	/* the unfinished file shows in versions as "start", not in names */
	assert_int_equal(
	    b2_list_file_names(c, bid, "daily_one", count_cb, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	    b2_list_file_versions(c, bid, "daily_one", count_cb, &n), 0);
	assert_int_equal(n, 1);
	/* found again by listing, as a cleanup after a crash would */
	assert_int_equal(
	    b2_list_file_versions(c, bid, "daily_one", find_start, fid), 0);
	assert_string_equal(fid, b2_large_file_id(l));
	assert_int_equal(b2_cancel_large_file(c, fid), 0);
	assert_int_equal(b2_large_cancel(l), -1);
	assert_string_equal(b2_client_error_code(c), "bad_request");
	n = 0;
	assert_int_equal(
	    b2_list_file_versions(c, bid, "daily_one", count_cb, &n), 0);
	assert_int_equal(n, 0);
	b2_large_free(l);
	/* an unknown bucket id: B2's 400 with code and message */
	assert_null(b2_large_start(c, "nope", "x", NULL));
	assert_string_equal(b2_client_error_code(c), "bad_bucket_id");
	assert_non_null(strstr(b2_client_error(c), "does not exist"));
	b2_client_free(c);
}

/* Lower-case hex SHA1 of buf into hex. */
static void
sha1_of(const void *buf, size_t len, char hex[B2_SHA1_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];

	assert_int_equal(EVP_Digest(buf, len, md, NULL, EVP_sha1(), NULL), 1);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Parts whose SHA1 the caller already has (the runner hashes them while
 * the archive is written): sent as given, checked by B2; and the upload
 * URL fetched ahead serves the next b2_upload_file. */
static void
test_known_sha1_and_prefetch(void **state)
{
	struct b2_client *c = client(&v3srv, 20);
	char bid[B2_ID_MAX], hex[B2_SHA1_HEX], wrong[B2_SHA1_HEX];
	unsigned char part[150000];
	struct b2_large *l;
	struct b2_file f;
	long urls;

	(void)state;
	memset(part, 'k', sizeof(part));
	sha1_of(part, sizeof(part), hex);
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	l = b2_large_start(c, bid, "daily_known.tar.gpg", NULL);
	assert_non_null(l);
	assert_int_equal(
	    b2_large_upload_part_sha1(l, 1, part, -1, 0, sizeof(part), hex), 0);
	/* a well-formed but wrong SHA1 goes as given: B2 refuses it */
	memcpy(wrong, hex, sizeof(wrong));
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	assert_int_equal(
	    b2_large_upload_part_sha1(l, 2, part, -1, 0, sizeof(part), wrong),
	    -1);
	assert_non_null(strstr(b2_client_error(c), "Sha1 did not match"));
	/* not a SHA1 at all: refused before any request */
	assert_int_equal(
	    b2_large_upload_part_sha1(l, 2, part, -1, 0, sizeof(part), "ABC"),
	    -1);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_LOCAL);
	assert_int_equal(
	    b2_large_upload_part_sha1(l, 2, part, -1, 0, sizeof(part), hex), 0);
	assert_int_equal(b2_large_finish(l, &f), 0);
	assert_int_equal(f.size, 2 * (long long)sizeof(part));
	b2_large_free(l);

	urls = call_count(&v3srv, "b2_get_upload_url");
	assert_int_equal(b2_upload_url_prefetch(c, bid), 0);
	assert_int_equal(call_count(&v3srv, "b2_get_upload_url"), urls + 1);
	assert_int_equal(b2_upload_url_prefetch(c, bid), 0); /* kept */
	assert_int_equal(
	    b2_upload_file(c, bid, "list.files.gpg", part, -1, 0, 1000, &f), 0);
	assert_int_equal(call_count(&v3srv, "b2_get_upload_url"), urls + 1);
	/* an unknown bucket: no URL, no error kept */
	assert_int_equal(b2_upload_url_prefetch(c, "nope"), -1);
	assert_int_equal(b2_client_error_kind(c), B2_OK);
	b2_client_free(c);
}

static void
test_upload_retries(void **state)
{
	struct b2_client *c = client(&v3srv, 20);
	char bid[B2_ID_MAX];
	long urls;

	(void)state;
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	/* a 500, then a dropped connection: new upload URL each time */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_upload_file\",\"status\":500,\"count\":1}"));
	json_decref(control(&v3srv,
	    "{\"op\":\"close\",\"call\":"
	    "\"b2_upload_file\",\"count\":1}"));
	urls = call_count(&v3srv, "b2_get_upload_url");
	assert_int_equal(
	    b2_upload_file(c, bid, "r.txt", "hello", -1, 0, 5, NULL), 0);
	/* (curl itself replays a request whose reused connection died
	 * before any answer, so the drop may cost no new URL) */
	assert_in_range(call_count(&v3srv, "b2_get_upload_url") - urls, 2, 3);
	/* 401 on the upload token: a new URL, no re-authorisation needed */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_upload_file\",\"status\":401,\"code\":"
	    "\"expired_auth_token\",\"count\":1}"));
	assert_int_equal(
	    b2_upload_file(c, bid, "r.txt", "hello", -1, 0, 5, NULL), 0);
	/* five busy answers in a row: give up, saying so */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_upload_file\",\"status\":503,\"count\":5}"));
	assert_int_equal(
	    b2_upload_file(c, bid, "r.txt", "hello", -1, 0, 5, NULL), -1);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_BUSY);
	assert_non_null(strstr(b2_client_error(c), "503"));
	b2_client_free(c);
}

static void
test_reauth_and_backoff(void **state)
{
	struct b2_client *c = client(&v3srv, 20);
	char bid[B2_ID_MAX];
	long n = 0, auths;
	double t0;

	(void)state;
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	auths = call_count(&v3srv, "b2_authorize_account");
	/* the account token expires between two calls */
	json_decref(control(&v3srv, "{\"op\":\"expire_tokens\"}"));
	assert_int_equal(b2_list_file_names(c, bid, NULL, count_cb, &n), 0);
	assert_int_equal(call_count(&v3srv, "b2_authorize_account") - auths, 1);
	/* 429 with Retry-After: 1 is honoured, then success */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_list_file_names\",\"status\":429,\"retry_after\":1,"
	    "\"count\":1}"));
	t0 = clock_monotonic_now();
	assert_int_equal(b2_list_file_names(c, bid, NULL, count_cb, &n), 0);
	assert_true(clock_monotonic_now() - t0 >= 0.95);
	/* 401 twice in a row: re-authorise only once, then fail */
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_list_file_names\",\"status\":401,\"code\":"
	    "\"expired_auth_token\",\"count\":2}"));
	assert_int_equal(b2_list_file_names(c, bid, NULL, count_cb, &n), -1);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_AUTH);
	/* Retry-After beyond the deadline: fail at once, do not sleep */
	b2_client_set_deadline(c, clock_monotonic_now() + 2);
	json_decref(control(&v3srv,
	    "{\"op\":\"fault\",\"call\":"
	    "\"b2_list_file_names\",\"status\":503,\"retry_after\":30,"
	    "\"count\":1}"));
	t0 = clock_monotonic_now();
	assert_int_equal(b2_list_file_names(c, bid, NULL, count_cb, &n), -1);
	assert_true(clock_monotonic_now() - t0 < 1.0);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_TIMEOUT);
	b2_client_free(c);
}

static void
test_stall_and_wrong_key(void **state)
{
	struct b2_client *c = client(&v3srv, 1.5);
	char bid[B2_ID_MAX];
	double t0;

	(void)state;
	json_decref(control(&v3srv,
	    "{\"op\":\"stall\",\"call\":"
	    "\"b2_list_buckets\",\"seconds\":5,\"count\":1}"));
	t0 = clock_monotonic_now();
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), -1);
	assert_true(clock_monotonic_now() - t0 < 2.0);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_TIMEOUT);
	b2_client_free(c);

	c = b2_client_new(v3srv.url, KEY_ID, "wrong-secret-key", NULL);
	assert_non_null(c);
	b2_client_set_deadline(c, clock_monotonic_now() + 10);
	assert_int_equal(b2_authorize(c), -1);
	assert_int_equal(b2_client_error_kind(c), B2_ERR_AUTH);
	assert_int_equal(b2_client_error_status(c), 401);
	assert_null(strstr(b2_client_error(c), "wrong-secret-key"));
	assert_non_null(strstr(b2_client_error(c), "refused"));
	b2_client_free(c);
}

static void
test_expect_continue(void **state)
{
	struct b2_client *c = client(&v3srv, 20);
	char bid[B2_ID_MAX];
	size_t len = 1200 * 1000;
	unsigned char *buf = malloc(len);
	struct b2_file up;
	double t0;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'e', len);
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	/* curl sends "Expect: 100-continue" above 1 MiB; the server must
	 * answer it rather than let curl wait a second */
	t0 = clock_monotonic_now();
	assert_int_equal(
	    b2_upload_file(c, bid, "big-simple.bin", buf, -1, 0, len, &up), 0);
	assert_true(clock_monotonic_now() - t0 < 0.9);
	assert_true(up.size == (long long)len);
	free(buf);
	b2_client_free(c);
}

static void
test_v2_layout(void **state)
{
	struct b2_client *c = client(&v2srv, 20);
	const struct b2_auth *a;
	char bid[B2_ID_MAX];

	(void)state;
	a = b2_client_auth(c);
	assert_non_null(a);
	assert_string_equal(a->api_url, v2srv.url);
	assert_true(a->recommended_part_size == 4000);
	assert_int_equal(b2_bucket_id(c, "backups", bid, sizeof(bid)), 0);
	assert_int_equal(
	    b2_upload_file(c, bid, "v2.txt", "abc", -1, 0, 3, NULL), 0);
	assert_int_equal(b2_bucket_id(c, "nosuch", bid, sizeof(bid)), -1);
	assert_non_null(strstr(b2_client_error(c), "not found"));
	b2_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_upload_roundtrip),
		cmocka_unit_test(test_large_upload_with_503),
		cmocka_unit_test(test_large_restart_when_vault_busy),
		cmocka_unit_test(test_large_api_rules),
		cmocka_unit_test(test_known_sha1_and_prefetch),
		cmocka_unit_test(test_upload_retries),
		cmocka_unit_test(test_reauth_and_backoff),
		cmocka_unit_test(test_stall_and_wrong_key),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_v2_layout),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
