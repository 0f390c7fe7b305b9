/*
 * A Backblaze B2 native-API client (libcurl + jansson + openssl SHA1),
 * shared by the b2 probe and the backup runner.
 *
 * Every URL but the authorize base comes from B2's answers, so pointing
 * api_url at a local server is all a test needs.  Every request runs under
 * the client's deadline (b2_client_set_deadline) plus connect and
 * low-speed limits, so a stalled server never hangs the caller.
 *
 * Errors follow Backblaze's documented semantics:
 *   - 401 bad/expired token on an API call: re-authorise once, replay;
 *   - upload 401/408/429/5xx/"more than one upload"/broken connection:
 *     drop the upload URL, get a new one, retry (at most B2_UPLOAD_TRIES);
 *   - 429/503 (and 500/408 on API calls): back off, honouring Retry-After,
 *     never past the deadline;
 *   - 400/403/other 401: fail with B2's code and message.
 * The application key is never written to an error, log or argv.
 *
 * Functions return 0 or -1; after -1, b2_client_error() describes the
 * failure and b2_client_error_kind() classifies it.
 */
#ifndef OSEMON_B2_H
#define OSEMON_B2_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define B2_DEFAULT_API_URL "https://api.backblazeb2.com"
#define B2_NAME_MAX 1024 /* bytes of a UTF-8 file name */
#define B2_ID_MAX 256
#define B2_SHA1_HEX 41 /* 40 hex digits + NUL */
#define B2_ERROR_MAX 384
#define B2_UPLOAD_TRIES 5
#define B2_API_TRIES 5

enum b2_error_kind {
	B2_OK = 0,
	B2_ERR_AUTH, /* credentials or capability refused */
	B2_ERR_REQUEST, /* 400/403/404: B2 refused the request */
	B2_ERR_BUSY, /* 429/5xx persisted beyond the retries */
	B2_ERR_TIMEOUT, /* the deadline passed */
	B2_ERR_CONNECT, /* cannot resolve / connect / TLS */
	B2_ERR_PROTOCOL, /* invalid or unexpected answer */
	B2_ERR_LOCAL, /* memory, file or argument error */
};

struct b2_options {
	const char *ca_file; /* NULL: the system's CA store */
	long connect_timeout_ms; /* 0: 10000 */
	long low_speed_time_s; /* abort below 1 byte/s for this long; 0: 30 */
	const char *user_agent; /* NULL: "osemon/VERSION" */
};

/* What b2_authorize learnt (v3 storageApi or v2 flat layout). */
struct b2_auth {
	char account_id[B2_ID_MAX];
	char token[512];
	char api_url[512];
	char download_url[512];
	long long recommended_part_size;
	long long minimum_part_size;
	char bucket_id[B2_ID_MAX]; /* "" unless the key is restricted */
	char bucket_name[B2_ID_MAX];
};

/* One entry of a listing (or an upload's answer). */
struct b2_file {
	char name[B2_NAME_MAX + 1];
	char id[B2_ID_MAX];
	char action[16]; /* upload, hide, start, folder */
	long long size; /* contentLength */
	long long upload_ms; /* uploadTimestamp, ms since epoch */
	char sha1[B2_SHA1_HEX + 16]; /* "none", hex, or "unverified:hex" */
};

struct b2_client;
struct b2_large;

/* key is the application key itself (read with secret_read); copied.
 * api_url NULL means B2_DEFAULT_API_URL.  opt may be NULL. */
struct b2_client *b2_client_new(const char *api_url, const char *key_id,
    const char *key, const struct b2_options *opt);
void b2_client_free(struct b2_client *c);
/* Absolute deadline on clock_monotonic_now(); 0 means none. */
void b2_client_set_deadline(struct b2_client *c, double deadline);
/* A flag (set by a signal handler) that aborts a transfer in progress
 * (B2_ERR_LOCAL "stopped"); NULL: none. */
void b2_client_set_stop(struct b2_client *c, const volatile sig_atomic_t *flag);
const char *b2_client_error(const struct b2_client *c);
enum b2_error_kind b2_client_error_kind(const struct b2_client *c);
/* HTTP status and B2 code of the last failure (0 / "" when none). */
int b2_client_error_status(const struct b2_client *c);
const char *b2_client_error_code(const struct b2_client *c);
/* Server clock from the last Date header (seconds since epoch), or 0. */
double b2_client_server_time(const struct b2_client *c);
/* The authorization in use (authorises first when needed), or NULL. */
const struct b2_auth *b2_client_auth(struct b2_client *c);

int b2_authorize(struct b2_client *c);
/* Bucket name -> id: the restricted key's bucket, else b2_list_buckets. */
int b2_bucket_id(
    struct b2_client *c, const char *bucket_name, char *id, size_t idlen);

/* Listing callback: return 0 to go on, 1 to stop early, -1 to fail. */
typedef int (*b2_file_cb)(const struct b2_file *f, void *arg);
/* Pages through to the end (prefix may be NULL). */
int b2_list_file_names(struct b2_client *c, const char *bucket_id,
    const char *prefix, b2_file_cb cb, void *arg);
int b2_list_file_versions(struct b2_client *c, const char *bucket_id,
    const char *prefix, b2_file_cb cb, void *arg);

/* Upload len bytes as one file (b2_get_upload_url + b2_upload_file).
 * Data comes from buf, or when buf is NULL from fd at offset (pread, so a
 * retry re-reads).  out may be NULL. */
int b2_upload_file(struct b2_client *c, const char *bucket_id, const char *name,
    const void *buf, int fd, off_t offset, size_t len, struct b2_file *out);

/* Get (and keep) the upload URL the next b2_upload_file to bucket_id
 * needs, ahead of time; a failure only means that b2_upload_file asks
 * then.  0 or -1 (no error is kept). */
int b2_upload_url_prefetch(struct b2_client *c, const char *bucket_id);

/* Large files.  Part sizes: b2_part_size() (recommendedPartSize) for all
 * but the last part, never below b2_min_part_size(). */
long long b2_part_size(struct b2_client *c);
long long b2_min_part_size(struct b2_client *c);
struct b2_large *b2_large_start(struct b2_client *c, const char *bucket_id,
    const char *name, const char *content_type);
const char *b2_large_file_id(const struct b2_large *l);
/* Upload part number n (1-based, in order or not); buf or fd as above. */
int b2_large_upload_part(struct b2_large *l, int n, const void *buf, int fd,
    off_t offset, size_t len);
/* The same with the part's SHA1 (40 lower-case hex digits) already known,
 * e.g. hashed while the data was being written: the data is then read
 * once, by the upload itself.  sha1 NULL: computed here. */
int b2_large_upload_part_sha1(struct b2_large *l, int n, const void *buf,
    int fd, off_t offset, size_t len, const char *sha1);
/* Finish with the SHA1s of parts 1..N; frees nothing. */
int b2_large_finish(struct b2_large *l, struct b2_file *out);
int b2_large_cancel(struct b2_large *l);
/* Cancel an unfinished large file by id (e.g. one a crashed run left:
 * b2_list_file_versions shows it with action "start"). */
int b2_cancel_large_file(struct b2_client *c, const char *file_id);
void b2_large_free(struct b2_large *l);

/* Upload the len bytes of fd from offset 0: one b2_upload_file when they
 * fit one part, else a large file in b2_part_size() parts (cancelled on
 * failure). */
int b2_upload_fd(struct b2_client *c, const char *bucket_id, const char *name,
    int fd, size_t len, struct b2_file *out);

/* GET downloadUrl/file/BUCKET/NAME into fd; checks X-Bz-Content-Sha1
 * unless it is "none".  out (may be NULL) gets name, id, size, time. */
int b2_download(struct b2_client *c, const char *bucket_name, const char *name,
    int fd, struct b2_file *out);
int b2_delete_file_version(
    struct b2_client *c, const char *name, const char *file_id);

/* ---- pure helpers (unit-tested and fuzzed) ---- */

/* B2's percent-encoding for X-Bz-File-Name / X-Bz-Info-*: keeps
 * A-Z a-z 0-9 - . _ ~ ! $ ' ( ) * ; = : @ / and encodes every other byte
 * as %XX.  Returns 0, or -1 when out is too small. */
int b2_percent_encode(const char *in, char *out, size_t outsize);
/* Parse b2_authorize_account's answer (v3 apiInfo.storageApi, or v2). */
int b2_parse_authorize(const char *json, size_t len, struct b2_auth *out,
    char *err, size_t errlen);
/* Parse a list_file_names/versions page: calls cb per file and fills
 * next_name/next_id ("" at the end).  Returns 0, 1 (cb stopped), -1. */
int b2_parse_list(const char *json, size_t len, b2_file_cb cb, void *arg,
    char *next_name, size_t next_name_size, char *next_id, size_t next_id_size,
    char *err, size_t errlen);
/* Parse one file object (upload/finish answers). */
int b2_parse_file(const char *json, size_t len, struct b2_file *out, char *err,
    size_t errlen);
/* Parse an error body {"code","message","status"}; tolerates junk (then
 * code and message are ""). */
void b2_parse_error(const char *json, size_t len, char *code, size_t code_size,
    char *message, size_t message_size);
/* Retry-After header value in seconds; -1 when absent or invalid. */
double b2_parse_retry_after(const char *value);

#endif
