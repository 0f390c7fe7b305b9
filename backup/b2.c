/*
 * Backblaze B2 native API client: see b2.h for the contract and
 * /work/shared/research/b2-backup.md §1 and §3 for the reasons.
 */
#include "b2.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "util.h"

#define B2_RESPONSE_CAP (16L * 1024 * 1024) /* JSON answers */
#define B2_URL_MAX 4096
#define B2_TOKEN_MAX 512
#define B2_LIST_PAGE 1000
#define B2_BACKOFF_CAP 30.0
#define B2_MAX_PARTS 10000

struct b2_client {
	char *api_url;
	char *key_id;
	char *key;
	char *ca_file;
	char *user_agent;
	long connect_timeout_ms;
	long low_speed_time_s;
	CURL *curl;
	bool authorized;
	struct b2_auth auth;
	/* one cached upload URL for b2_upload_file */
	char upload_bucket[B2_ID_MAX];
	char upload_url[B2_URL_MAX];
	char upload_token[B2_TOKEN_MAX];
	double deadline;
	const volatile sig_atomic_t *stop;
	double server_time;
	enum b2_error_kind kind;
	int err_status;
	char err_code[64];
	char err[B2_ERROR_MAX];
};

struct b2_large {
	struct b2_client *c;
	char file_id[B2_ID_MAX];
	char name[B2_NAME_MAX + 1];
	char upload_url[B2_URL_MAX];
	char upload_token[B2_TOKEN_MAX];
	int part_count; /* highest part number uploaded */
	char (*sha1)[B2_SHA1_HEX]; /* B2_MAX_PARTS entries */
};

/* One HTTP exchange. */
struct http_io {
	/* request body: buf, or fd from off (pread) */
	const unsigned char *body;
	int body_fd;
	off_t body_off;
	size_t body_len;
	size_t body_pos;
	bool has_body;
	/* response */
	long status;
	char *resp;
	size_t resp_len;
	size_t resp_cap_used;
	bool overflow;
	int out_fd; /* download target for status 200 */
	bool out_error;
	EVP_MD_CTX *sha; /* download hash, NULL otherwise */
	long long written;
	char retry_after[32];
	char content_sha1[B2_SHA1_HEX + 16];
	char file_id[B2_ID_MAX];
	char upload_ts[32];
	struct b2_client *c;
	CURLcode cc;
	char curl_err[CURL_ERROR_SIZE];
};

static void b2_set_error(struct b2_client *c, enum b2_error_kind kind,
    int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
b2_set_error(struct b2_client *c, enum b2_error_kind kind, int status,
    const char *code, const char *fmt, ...)
{
	va_list ap;

	c->kind = kind;
	c->err_status = status;
	str_copy(c->err_code, code != NULL ? code : "", sizeof(c->err_code));
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static void
b2_clear_error(struct b2_client *c)
{
	c->kind = B2_OK;
	c->err_status = 0;
	c->err_code[0] = '\0';
	c->err[0] = '\0';
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

struct b2_client *
b2_client_new(const char *api_url, const char *key_id, const char *key,
    const struct b2_options *opt)
{
	struct b2_client *c = NULL;
	static const struct b2_options defaults = { 0 };
	size_t n;

	if (key_id == NULL || key == NULL)
		return NULL;
	if (opt == NULL)
		opt = &defaults;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->api_url =
	    strdup(api_url != NULL && api_url[0] != '\0' ? api_url
							 : B2_DEFAULT_API_URL);
	c->key_id = strdup(key_id);
	c->key = strdup(key);
	c->ca_file = dup_or_null(opt->ca_file);
	c->user_agent =
	    strdup(opt->user_agent != NULL ? opt->user_agent
					   : "osemon/" OSEMON_VERSION);
	c->connect_timeout_ms =
	    opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 10000;
	c->low_speed_time_s =
	    opt->low_speed_time_s > 0 ? opt->low_speed_time_s : 30;
	c->curl = curl_easy_init();
	if (c->api_url == NULL || c->key_id == NULL || c->key == NULL ||
	    (opt->ca_file != NULL && c->ca_file == NULL) ||
	    c->user_agent == NULL || c->curl == NULL)
		goto fail;
	/* A trailing slash would make "//b2api". */
	n = strlen(c->api_url);
	while (n > 0 && c->api_url[n - 1] == '/')
		c->api_url[--n] = '\0';
	return c;
fail:
	b2_client_free(c);
	return NULL;
}

void
b2_client_free(struct b2_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->api_url);
	free(c->key_id);
	free_secret(c->key);
	free(c->ca_file);
	free(c->user_agent);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

void
b2_client_set_stop(struct b2_client *c, const volatile sig_atomic_t *flag)
{
	c->stop = flag;
}

/* Abort a transfer once the stop flag is set. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const struct b2_client *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return c->stop != NULL && *c->stop ? 1 : 0;
}

void
b2_client_set_deadline(struct b2_client *c, double deadline)
{
	c->deadline = deadline;
}

const char *
b2_client_error(const struct b2_client *c)
{
	return c->err;
}

enum b2_error_kind
b2_client_error_kind(const struct b2_client *c)
{
	return c->kind;
}

int
b2_client_error_status(const struct b2_client *c)
{
	return c->err_status;
}

const char *
b2_client_error_code(const struct b2_client *c)
{
	return c->err_code;
}

double
b2_client_server_time(const struct b2_client *c)
{
	return c->server_time;
}

/* ---- pure helpers ---------------------------------------------------- */

int
b2_percent_encode(const char *in, char *out, size_t outsize)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char keep[] = "-._~!$'()*;=:@/";
	const unsigned char *p;
	size_t o = 0;

	if (outsize == 0)
		return -1;
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if ((*p < 0x80 && isalnum(*p)) ||
		    (*p != '\0' && strchr(keep, *p) != NULL)) {
			if (o + 1 >= outsize)
				goto fail;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outsize)
				goto fail;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0x0f];
		}
	}
	out[o] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

double
b2_parse_retry_after(const char *value)
{
	double d;
	char buf[32];
	size_t n;

	if (value == NULL || value[0] == '\0')
		return -1;
	n = str_copy(buf, value, sizeof(buf));
	if (n >= sizeof(buf))
		return -1;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (parse_double(buf, &d) != 0 || !isfinite(d) || d < 0)
		return -1;
	return d;
}

/* Copy a JSON string member; NULL/absent gives "". -1 when the member has
 * the wrong type or does not fit. */
static int
json_str(
    const json_t *obj, const char *key, char *out, size_t size, bool required)
{
	const json_t *v = json_object_get(obj, key);

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	if (json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1; /* too long, or an embedded NUL */
	str_copy(out, json_string_value(v), size);
	return 0;
}

/* Integer member: absent/null gives def; -1 on a wrong type. */
static int
json_ll(const json_t *obj, const char *key, long long def, long long *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = def;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = (long long)json_integer_value(v);
	return 0;
}

static bool
is_http_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static json_t *
load_object(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(json, len, 0, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "invalid JSON (%s at byte %d)", jerr.text,
		    jerr.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "JSON answer is not an object");
		json_decref(root);
		return NULL;
	}
	return root;
}

int
b2_parse_authorize(
    const char *json, size_t len, struct b2_auth *out, char *err, size_t errlen)
{
	json_t *root = NULL;
	const json_t *api, *allowed, *buckets;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	root = load_object(json, len, err, errlen);
	if (root == NULL)
		goto out;
	if (json_str(root, "accountId", out->account_id,
		sizeof(out->account_id), true) != 0 ||
	    json_str(root, "authorizationToken", out->token, sizeof(out->token),
		true) != 0 ||
	    out->token[0] == '\0') {
		snprintf(err, errlen,
		    "authorize answer lacks accountId or "
		    "authorizationToken");
		goto out;
	}
	api = json_object_get(json_object_get(root, "apiInfo"), "storageApi");
	if (json_is_object(api)) {
		/* v3/v4: apiInfo.storageApi */
		allowed = json_object_get(api, "allowed");
	} else {
		/* v2: flat, with "allowed" */
		api = root;
		allowed = json_object_get(root, "allowed");
	}
	if (json_str(api, "apiUrl", out->api_url, sizeof(out->api_url), true) !=
		0 ||
	    json_str(api, "downloadUrl", out->download_url,
		sizeof(out->download_url), true) != 0 ||
	    !is_http_url(out->api_url) || !is_http_url(out->download_url)) {
		snprintf(err, errlen,
		    "authorize answer lacks a valid apiUrl "
		    "or downloadUrl");
		goto out;
	}
	if (json_ll(api, "recommendedPartSize", 100000000,
		&out->recommended_part_size) != 0 ||
	    json_ll(api, "absoluteMinimumPartSize", 5000000,
		&out->minimum_part_size) != 0 ||
	    out->minimum_part_size < 1 || out->recommended_part_size < 1) {
		snprintf(err, errlen, "authorize answer has bad part sizes");
		goto out;
	}
	if (out->recommended_part_size < out->minimum_part_size)
		out->recommended_part_size = out->minimum_part_size;
	/* The bucket a restricted key is limited to. */
	if (json_str(api, "bucketId", out->bucket_id, sizeof(out->bucket_id),
		false) != 0 ||
	    json_str(api, "bucketName", out->bucket_name,
		sizeof(out->bucket_name), false) != 0)
		goto bad_bucket;
	if (out->bucket_id[0] == '\0' && json_is_object(allowed)) {
		buckets = json_object_get(allowed, "buckets");
		if (json_is_array(buckets) && json_array_size(buckets) == 1) {
			if (json_str(json_array_get(buckets, 0), "id",
				out->bucket_id, sizeof(out->bucket_id),
				false) ||
			    json_str(json_array_get(buckets, 0), "name",
				out->bucket_name, sizeof(out->bucket_name),
				false))
				goto bad_bucket;
		} else if (json_str(allowed, "bucketId", out->bucket_id,
			       sizeof(out->bucket_id), false) != 0 ||
		    json_str(allowed, "bucketName", out->bucket_name,
			sizeof(out->bucket_name), false) != 0)
			goto bad_bucket;
	}
	rc = 0;
	goto out;
bad_bucket:
	snprintf(err, errlen, "authorize answer has a bad bucketId/bucketName");
out:
	json_decref(root);
	return rc;
}

static int
file_from_json(const json_t *f, struct b2_file *out, char *err, size_t errlen)
{
	long long v1size;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(f)) {
		snprintf(err, errlen, "file entry is not an object");
		return -1;
	}
	if (json_str(f, "fileName", out->name, sizeof(out->name), true) != 0) {
		snprintf(err, errlen, "file entry has no valid fileName");
		return -1;
	}
	if (json_str(f, "fileId", out->id, sizeof(out->id), false) != 0 ||
	    json_str(f, "action", out->action, sizeof(out->action), false) !=
		0 ||
	    json_str(f, "contentSha1", out->sha1, sizeof(out->sha1), false) !=
		0 ||
	    json_ll(f, "uploadTimestamp", 0, &out->upload_ms) != 0 ||
	    json_ll(f, "size", -1, &v1size) != 0 ||
	    json_ll(f, "contentLength", v1size, &out->size) != 0) {
		snprintf(err, errlen,
		    "file entry has a field of the wrong "
		    "type");
		return -1;
	}
	if (out->action[0] == '\0')
		str_copy(out->action, "upload", sizeof(out->action));
	if (out->size < 0)
		out->size = 0;
	return 0;
}

int
b2_parse_file(
    const char *json, size_t len, struct b2_file *out, char *err, size_t errlen)
{
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = load_object(json, len, err, errlen);
	if (root == NULL)
		return -1;
	rc = file_from_json(root, out, err, errlen);
	json_decref(root);
	return rc;
}

int
b2_parse_list(const char *json, size_t len, b2_file_cb cb, void *arg,
    char *next_name, size_t next_name_size, char *next_id, size_t next_id_size,
    char *err, size_t errlen)
{
	json_t *root = NULL;
	const json_t *files;
	struct b2_file *f = NULL;
	size_t i;
	int rc = -1, r;

	next_name[0] = '\0';
	if (next_id != NULL && next_id_size > 0)
		next_id[0] = '\0';
	root = load_object(json, len, err, errlen);
	if (root == NULL)
		goto out;
	files = json_object_get(root, "files");
	if (!json_is_array(files)) {
		snprintf(err, errlen, "listing has no files array");
		goto out;
	}
	if (json_str(root, "nextFileName", next_name, next_name_size, false) !=
		0 ||
	    (next_id != NULL &&
		json_str(root, "nextFileId", next_id, next_id_size, false) !=
		    0)) {
		snprintf(err, errlen, "listing has a bad nextFileName/Id");
		goto out;
	}
	f = malloc(sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < json_array_size(files); i++) {
		if (file_from_json(json_array_get(files, i), f, err, errlen) !=
		    0)
			goto out;
		r = cb(f, arg);
		if (r < 0) {
			snprintf(err, errlen, "listing callback failed");
			goto out;
		}
		if (r > 0) {
			rc = 1;
			goto out;
		}
	}
	rc = 0;
out:
	free(f);
	json_decref(root);
	return rc;
}

void
b2_parse_error(const char *json, size_t len, char *code, size_t code_size,
    char *message, size_t message_size)
{
	json_t *root;
	json_error_t jerr;

	code[0] = '\0';
	message[0] = '\0';
	if (json == NULL || len == 0)
		return;
	root = json_loadb(json, len, 0, &jerr);
	if (json_is_object(root)) {
		if (json_str(root, "code", code, code_size, false) != 0)
			code[0] = '\0';
		if (json_str(root, "message", message, message_size, false) !=
		    0) {
			/* too long: keep what fits */
			const json_t *m = json_object_get(root, "message");

			message[0] = '\0';
			if (json_is_string(m))
				str_copy(message, json_string_value(m),
				    message_size);
		}
	}
	json_decref(root);
	/* Control characters from a peer never reach a log line. */
	for (char *p = message; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (char *p = code; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '?';
}

/* ---- HTTP ------------------------------------------------------------ */

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_io *io = arg;
	size_t n = size * nmemb;
	char line[512];
	char *v;
	size_t len;

	len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
	memcpy(line, data, len);
	line[len] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue): forget the last. */
		io->retry_after[0] = '\0';
		io->content_sha1[0] = '\0';
		io->file_id[0] = '\0';
		io->upload_ts[0] = '\0';
		v = strchr(line, ' ');
		io->status = 0;
		if (v != NULL) {
			long st = 0;
			char code[4] = { 0 };

			memcpy(code, v + 1, strnlen(v + 1, 3));
			if (parse_long(code, 100, 599, &st) == 0)
				io->status = st;
		}
		return n;
	}
	v = strchr(line, ':');
	if (v == NULL)
		return n;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcasecmp(line, "Retry-After") == 0)
		str_copy(io->retry_after, v, sizeof(io->retry_after));
	else if (strcasecmp(line, "X-Bz-Content-Sha1") == 0)
		str_copy(io->content_sha1, v, sizeof(io->content_sha1));
	else if (strcasecmp(line, "X-Bz-File-Id") == 0)
		str_copy(io->file_id, v, sizeof(io->file_id));
	else if (strcasecmp(line, "X-Bz-Upload-Timestamp") == 0)
		str_copy(io->upload_ts, v, sizeof(io->upload_ts));
	else if (strcasecmp(line, "Date") == 0) {
		time_t t = curl_getdate(v, NULL);

		if (t > 0)
			io->c->server_time = (double)t;
	}
	return n;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_io *io = arg;
	size_t n = size * nmemb, done = 0;
	char *p;

	if (io->out_fd >= 0 && io->status == 200) {
		if (io->sha != NULL)
			EVP_DigestUpdate(io->sha, data, n);
		while (done < n) {
			ssize_t w = write(io->out_fd, data + done, n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				io->out_error = true;
				return 0;
			}
			done += (size_t)w;
		}
		io->written += (long long)n;
		return n;
	}
	if (io->resp_len + n + 1 > (size_t)B2_RESPONSE_CAP) {
		io->overflow = true;
		return 0;
	}
	if (io->resp_len + n + 1 > io->resp_cap_used) {
		size_t cap = io->resp_cap_used ? io->resp_cap_used : 4096;

		while (cap < io->resp_len + n + 1)
			cap *= 2;
		p = realloc(io->resp, cap);
		if (p == NULL)
			return 0;
		io->resp = p;
		io->resp_cap_used = cap;
	}
	memcpy(io->resp + io->resp_len, data, n);
	io->resp_len += n;
	io->resp[io->resp_len] = '\0';
	return n;
}

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct http_io *io = arg;
	size_t want = size * nmemb, left = io->body_len - io->body_pos;
	ssize_t r;

	if (want > left)
		want = left;
	if (want == 0)
		return 0;
	if (io->body != NULL) {
		memcpy(buf, io->body + io->body_pos, want);
		io->body_pos += want;
		return want;
	}
	do
		r = pread(
		    io->body_fd, buf, want, io->body_off + (off_t)io->body_pos);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	io->body_pos += (size_t)r;
	return (size_t)r;
}

static int
on_seek(void *arg, curl_off_t offset, int origin)
{
	struct http_io *io = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > io->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	io->body_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static void
io_reset(struct http_io *io, struct b2_client *c)
{
	free(io->resp);
	EVP_MD_CTX_free(io->sha);
	memset(io, 0, sizeof(*io));
	io->c = c;
	io->out_fd = -1;
	io->body_fd = -1;
}

/*
 * One request.  Returns 0 when an HTTP answer arrived (any status), -1 on
 * a transport failure with the error set (kind TIMEOUT when the deadline
 * passed, CONNECT for connect/TLS failures, BUSY otherwise: retryable).
 */
static int
http_do(struct b2_client *c, const char *what, const char *method,
    const char *url, struct curl_slist *headers, struct http_io *io,
    bool basic_auth)
{
	CURL *h = c->curl;
	double left = 1e9;
	long total_ms, connect_ms;

	if (c->deadline > 0) {
		left = deadline_left(c->deadline);
		if (left <= 0) {
			b2_set_error(c, B2_ERR_TIMEOUT, 0, "",
			    "%s: deadline "
			    "passed before the request",
			    what);
			return -1;
		}
	}
	total_ms = left > 1e6 ? 0 : (long)ceil(left * 1000);
	connect_ms = c->connect_timeout_ms;
	if (total_ms > 0 && connect_ms > total_ms)
		connect_ms = total_ms;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, io->curl_err);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, io);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, io);
	if (c->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->stop != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (basic_auth) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->key_id);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->key);
	}
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, io);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, io);
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)io->body_len);
	}
	io->curl_err[0] = '\0';
	io->cc = curl_easy_perform(h);
	if (basic_auth) {
		/* Do not leave the key in the handle for the next request. */
		curl_easy_setopt(h, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(h, CURLOPT_PASSWORD, NULL);
	}
	if (io->cc == CURLE_OK) {
		long st = 0;

		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		io->status = st;
		return 0;
	}
	if (io->cc == CURLE_WRITE_ERROR && io->out_error) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "",
		    "%s: cannot write the "
		    "download: %s",
		    what, strerror(errno));
		return -1;
	}
	if (io->cc == CURLE_ABORTED_BY_CALLBACK && c->stop != NULL &&
	    *c->stop) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "%s: stopped", what);
		return -1;
	}
	if (io->overflow) {
		b2_set_error(c, B2_ERR_PROTOCOL, 0, "",
		    "%s: answer larger "
		    "than %ld bytes",
		    what, B2_RESPONSE_CAP);
		return -1;
	}
	if (io->cc == CURLE_OPERATION_TIMEDOUT && c->deadline > 0 &&
	    deadline_left(c->deadline) <= 0.05) {
		b2_set_error(c, B2_ERR_TIMEOUT, 0, "",
		    "%s: no answer from "
		    "B2 before the deadline",
		    what);
		return -1;
	}
	switch (io->cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		b2_set_error(c, B2_ERR_CONNECT, 0, "", "%s: %s", what,
		    io->curl_err[0] != '\0' ? io->curl_err
					    : curl_easy_strerror(io->cc));
		return -1;
	default:
		b2_set_error(c, B2_ERR_BUSY, 0, "", "%s: %s", what,
		    io->curl_err[0] != '\0' ? io->curl_err
					    : curl_easy_strerror(io->cc));
		return -1;
	}
}

/* Sleep before retry number attempt (0-based); honours Retry-After. Fails
 * (keeping the last error, kind TIMEOUT) when the wait passes the
 * deadline. */
static int
backoff(struct b2_client *c, int attempt, double retry_after)
{
	double d = retry_after >= 0 ? retry_after : 0.25 * (1 << attempt);
	struct timespec ts;
	char last[B2_ERROR_MAX];

	if (d > B2_BACKOFF_CAP)
		d = B2_BACKOFF_CAP;
	if (c->deadline > 0 && deadline_left(c->deadline) <= d) {
		str_copy(last, c->err, sizeof(last));
		b2_set_error(c, B2_ERR_TIMEOUT, c->err_status, c->err_code,
		    "%s (retrying in %gs would pass the deadline)", last, d);
		return -1;
	}
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0;
}

/* Record B2's error from a non-200 answer. */
static void
set_http_error(struct b2_client *c, const char *what, struct http_io *io)
{
	char code[64], message[256];
	enum b2_error_kind kind;

	b2_parse_error(io->resp, io->resp_len, code, sizeof(code), message,
	    sizeof(message));
	if (io->status == 401)
		kind = B2_ERR_AUTH;
	else if (io->status == 429 || io->status == 408 || io->status >= 500)
		kind = B2_ERR_BUSY;
	else
		kind = B2_ERR_REQUEST;
	b2_set_error(c, kind, (int)io->status, code, "%s: HTTP %ld%s%s%s%s",
	    what, io->status, code[0] ? " " : "", code, message[0] ? ": " : "",
	    message);
}

static bool
retryable_status(long st)
{
	return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 ||
	    st == 504;
}

int
b2_authorize(struct b2_client *c)
{
	struct http_io io = { 0 };
	char url[B2_URL_MAX];
	char err[256];
	int attempt, rc = -1;

	io_reset(&io, c);
	c->authorized = false;
	if ((size_t)snprintf(url, sizeof(url),
		"%s/b2api/v3/"
		"b2_authorize_account",
		c->api_url) >= sizeof(url)) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "API URL too long");
		goto out;
	}
	for (attempt = 0;; attempt++) {
		io_reset(&io, c);
		if (http_do(c, "b2_authorize_account", "GET", url, NULL, &io,
			true) != 0) {
			if (c->kind != B2_ERR_BUSY ||
			    attempt + 1 >= B2_API_TRIES ||
			    backoff(c, attempt, -1) != 0)
				goto out;
			continue;
		}
		if (io.status == 200)
			break;
		set_http_error(c, "b2_authorize_account", &io);
		if (io.status == 401) {
			/* Never retried: the key itself is wrong. */
			b2_set_error(c, B2_ERR_AUTH, 401, c->err_code,
			    "B2 refused key ID %s and its application key "
			    "(HTTP 401 %s): check key-id and key-file",
			    c->key_id,
			    c->err_code[0] ? c->err_code : "unauthorized");
			goto out;
		}
		if (!retryable_status(io.status) ||
		    attempt + 1 >= B2_API_TRIES ||
		    backoff(c, attempt, b2_parse_retry_after(io.retry_after)) !=
			0)
			goto out;
	}
	if (b2_parse_authorize(
		io.resp, io.resp_len, &c->auth, err, sizeof(err)) != 0) {
		b2_set_error(c, B2_ERR_PROTOCOL, 200, "",
		    "b2_authorize_account: %s", err);
		goto out;
	}
	c->authorized = true;
	b2_clear_error(c);
	rc = 0;
out:
	free(io.resp);
	return rc;
}

const struct b2_auth *
b2_client_auth(struct b2_client *c)
{
	if (!c->authorized && b2_authorize(c) != 0)
		return NULL;
	return &c->auth;
}

/*
 * POST apiUrl/b2api/v3/NAME with body; on 200 *resp gets the answer
 * (caller frees).  Re-authorises once on a bad/expired token, backs off
 * on 408/429/5xx and network errors.
 */
static int
api_call(struct b2_client *c, const char *name, json_t *body, char **resp,
    size_t *resp_len)
{
	struct http_io io = { 0 };
	struct curl_slist *hdr = NULL, *tmp;
	char url[B2_URL_MAX], auth[B2_TOKEN_MAX + 32];
	char *text = NULL;
	bool reauthed = false;
	int attempt, rc = -1;

	*resp = NULL;
	*resp_len = 0;
	io_reset(&io, c);
	text = json_dumps(body, JSON_COMPACT);
	if (text == NULL) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "",
		    "%s: cannot encode the "
		    "request",
		    name);
		goto out;
	}
	for (attempt = 0;; attempt++) {
		if (!c->authorized && b2_authorize(c) != 0)
			goto out;
		curl_slist_free_all(hdr);
		hdr = NULL;
		if ((size_t)snprintf(url, sizeof(url), "%s/b2api/v3/%s",
			c->auth.api_url, name) >= sizeof(url)) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "", "URL too long");
			goto out;
		}
		snprintf(
		    auth, sizeof(auth), "Authorization: %s", c->auth.token);
		tmp = curl_slist_append(hdr, auth);
		if (tmp != NULL)
			hdr = tmp;
		tmp = tmp ? curl_slist_append(hdr,
				"Content-Type: "
				"application/json")
			  : NULL;
		if (tmp == NULL) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
			goto out;
		}
		io_reset(&io, c);
		io.body = (const unsigned char *)text;
		io.body_len = strlen(text);
		io.has_body = true;
		if (http_do(c, name, "POST", url, hdr, &io, false) != 0) {
			if (c->kind != B2_ERR_BUSY ||
			    attempt + 1 >= B2_API_TRIES ||
			    backoff(c, attempt, -1) != 0)
				goto out;
			continue;
		}
		if (io.status == 200)
			break;
		set_http_error(c, name, &io);
		if (io.status == 401 && !reauthed &&
		    (c->err_code[0] == '\0' ||
			strcmp(c->err_code, "bad_auth_token") == 0 ||
			strcmp(c->err_code, "expired_auth_token") == 0)) {
			reauthed = true;
			c->authorized = false;
			continue;
		}
		if (!retryable_status(io.status) ||
		    attempt + 1 >= B2_API_TRIES ||
		    backoff(c, attempt, b2_parse_retry_after(io.retry_after)) !=
			0)
			goto out;
	}
	*resp = io.resp;
	*resp_len = io.resp_len;
	io.resp = NULL;
	b2_clear_error(c);
	rc = 0;
out:
	explicit_bzero(auth, sizeof(auth));
	curl_slist_free_all(hdr);
	free(io.resp);
	free(text);
	return rc;
}

int
b2_bucket_id(
    struct b2_client *c, const char *bucket_name, char *id, size_t idlen)
{
	json_t *body = NULL;
	json_t *root = NULL;
	const json_t *buckets, *b;
	char *resp = NULL;
	size_t len, i;
	char err[256];
	char name[B2_ID_MAX];
	int rc = -1;

	id[0] = '\0';
	if (!c->authorized && b2_authorize(c) != 0)
		goto out;
	if (c->auth.bucket_id[0] != '\0') {
		if (c->auth.bucket_name[0] != '\0' &&
		    strcmp(c->auth.bucket_name, bucket_name) != 0) {
			b2_set_error(c, B2_ERR_AUTH, 0, "",
			    "the key is "
			    "restricted to bucket %s, not %s",
			    c->auth.bucket_name, bucket_name);
			goto out;
		}
		str_copy(id, c->auth.bucket_id, idlen);
		rc = 0;
		goto out;
	}
	body = json_pack("{s:s, s:s}", "accountId", c->auth.account_id,
	    "bucketName", bucket_name);
	if (body == NULL) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
		goto out;
	}
	if (api_call(c, "b2_list_buckets", body, &resp, &len) != 0)
		goto out;
	root = load_object(resp, len, err, sizeof(err));
	buckets = json_object_get(root, "buckets");
	if (root == NULL || !json_is_array(buckets)) {
		b2_set_error(c, B2_ERR_PROTOCOL, 200, "", "b2_list_buckets: %s",
		    root == NULL ? err : "no buckets array");
		goto out;
	}
	for (i = 0; i < json_array_size(buckets); i++) {
		b = json_array_get(buckets, i);
		if (json_str(b, "bucketName", name, sizeof(name), true) != 0)
			continue;
		if (strcmp(name, bucket_name) == 0 &&
		    json_str(b, "bucketId", id, idlen, true) == 0 &&
		    id[0] != '\0') {
			rc = 0;
			goto out;
		}
	}
	b2_set_error(
	    c, B2_ERR_REQUEST, 0, "", "bucket %s not found", bucket_name);
out:
	json_decref(root);
	json_decref(body);
	free(resp);
	return rc;
}

static int
list_files(struct b2_client *c, const char *call, bool versions,
    const char *bucket_id, const char *prefix, b2_file_cb cb, void *arg)
{
	json_t *body = NULL;
	char *resp = NULL;
	size_t len;
	char next[B2_NAME_MAX + 1] = "", next_id[B2_ID_MAX] = "";
	char prev[B2_NAME_MAX + 1], prev_id[B2_ID_MAX];
	char err[256];
	int rc = -1, r;

	for (;;) {
		json_decref(body);
		body = json_pack("{s:s, s:i}", "bucketId", bucket_id,
		    "maxFileCount", B2_LIST_PAGE);
		if (body == NULL ||
		    json_object_set_new(body, "prefix",
			prefix != NULL && prefix[0] != '\0'
			    ? json_string(prefix)
			    : json_null()) ||
		    json_object_set_new(body, "startFileName",
			next[0] ? json_string(next) : json_null()) ||
		    (versions &&
			json_object_set_new(body, "startFileId",
			    next_id[0] ? json_string(next_id) : json_null()))) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
			goto out;
		}
		free(resp);
		resp = NULL;
		if (api_call(c, call, body, &resp, &len) != 0)
			goto out;
		str_copy(prev, next, sizeof(prev));
		str_copy(prev_id, next_id, sizeof(prev_id));
		r = b2_parse_list(resp, len, cb, arg, next, sizeof(next),
		    versions ? next_id : NULL, sizeof(next_id), err,
		    sizeof(err));
		if (r < 0) {
			b2_set_error(
			    c, B2_ERR_PROTOCOL, 200, "", "%s: %s", call, err);
			goto out;
		}
		if (r > 0 || next[0] == '\0')
			break;
		if (strcmp(next, prev) == 0 && strcmp(next_id, prev_id) == 0) {
			b2_set_error(c, B2_ERR_PROTOCOL, 200, "",
			    "%s: the "
			    "listing does not advance",
			    call);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(body);
	free(resp);
	return rc;
}

int
b2_list_file_names(struct b2_client *c, const char *bucket_id,
    const char *prefix, b2_file_cb cb, void *arg)
{
	return list_files(
	    c, "b2_list_file_names", false, bucket_id, prefix, cb, arg);
}

int
b2_list_file_versions(struct b2_client *c, const char *bucket_id,
    const char *prefix, b2_file_cb cb, void *arg)
{
	return list_files(
	    c, "b2_list_file_versions", true, bucket_id, prefix, cb, arg);
}

/* ---- uploads ---------------------------------------------------------- */

static void
sha1_hex(const unsigned char *md, char hex[B2_SHA1_HEX])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 20; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[40] = '\0';
}

static int
sha1_source(struct b2_client *c, const void *buf, int fd, off_t offset,
    size_t len, char hex[B2_SHA1_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char chunk[65536];
	EVP_MD_CTX *ctx = NULL;
	size_t done = 0;
	ssize_t r;
	int rc = -1;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "cannot start SHA1");
		goto out;
	}
	if (buf != NULL) {
		EVP_DigestUpdate(ctx, buf, len);
	} else {
		while (done < len) {
			size_t want = len - done < sizeof(chunk)
			    ? len - done
			    : sizeof(chunk);

			r = pread(fd, chunk, want, offset + (off_t)done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				b2_set_error(c, B2_ERR_LOCAL, 0, "",
				    "cannot "
				    "read the upload source: %s",
				    r == 0 ? "unexpected end of file"
					   : strerror(errno));
				goto out;
			}
			EVP_DigestUpdate(ctx, chunk, (size_t)r);
			done += (size_t)r;
		}
	}
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "cannot end SHA1");
		goto out;
	}
	sha1_hex(md, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Fetch an upload URL (for a bucket, or a large file's part URL). */
static int
get_upload_url(struct b2_client *c, bool part, const char *target, char *url,
    size_t url_size, char *token, size_t token_size)
{
	json_t *body = NULL, *root = NULL;
	char *resp = NULL;
	size_t len;
	char err[256];
	int rc = -1;

	body = json_pack("{s:s}", part ? "fileId" : "bucketId", target);
	if (body == NULL) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
		goto out;
	}
	if (api_call(c, part ? "b2_get_upload_part_url" : "b2_get_upload_url",
		body, &resp, &len) != 0)
		goto out;
	root = load_object(resp, len, err, sizeof(err));
	if (root == NULL ||
	    json_str(root, "uploadUrl", url, url_size, true) != 0 ||
	    json_str(root, "authorizationToken", token, token_size, true) !=
		0 ||
	    !is_http_url(url)) {
		b2_set_error(c, B2_ERR_PROTOCOL, 200, "", "%s: %s",
		    part ? "b2_get_upload_part_url" : "b2_get_upload_url",
		    root == NULL ? err : "no uploadUrl/authorizationToken");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	json_decref(body);
	free(resp);
	return rc;
}

/*
 * POST one body to an upload URL, getting a new URL whenever B2 says so.
 * name != NULL: b2_upload_file; else an upload_part of large l, part n.
 * On success the answer is in *resp.
 */
static int
upload_with_retries(struct b2_client *c, struct b2_large *l, int part,
    const char *bucket_id, const char *name, const void *buf, int fd,
    off_t offset, size_t len, const char sha1[B2_SHA1_HEX], char **resp,
    size_t *resp_len)
{
	struct http_io io = { 0 };
	struct curl_slist *hdr = NULL;
	char line[B2_NAME_MAX * 3 + 64];
	char enc[B2_NAME_MAX * 3 + 1];
	char *url = l != NULL ? l->upload_url : c->upload_url;
	char *token = l != NULL ? l->upload_token : c->upload_token;
	const char *what = l != NULL ? "b2_upload_part" : "b2_upload_file";
	int attempt, rc = -1;
	bool ok;

	*resp = NULL;
	io_reset(&io, c);
	if (l == NULL && b2_percent_encode(name, enc, sizeof(enc)) != 0) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "file name too long");
		goto out;
	}
	if (l == NULL && strcmp(c->upload_bucket, bucket_id) != 0)
		url[0] = '\0';
	for (attempt = 0; attempt < B2_UPLOAD_TRIES; attempt++) {
		if (url[0] == '\0') {
			if (get_upload_url(c, l != NULL,
				l != NULL ? l->file_id : bucket_id, url,
				B2_URL_MAX, token, B2_TOKEN_MAX) != 0)
				goto out;
			if (l == NULL)
				str_copy(c->upload_bucket, bucket_id,
				    sizeof(c->upload_bucket));
		}
		curl_slist_free_all(hdr);
		hdr = NULL;
		snprintf(line, sizeof(line), "Authorization: %s", token);
		ok = (hdr = curl_slist_append(hdr, line)) != NULL;
		snprintf(line, sizeof(line), "X-Bz-Content-Sha1: %s", sha1);
		ok = ok && curl_slist_append(hdr, line) != NULL;
		if (l != NULL) {
			snprintf(
			    line, sizeof(line), "X-Bz-Part-Number: %d", part);
		} else {
			snprintf(line, sizeof(line), "X-Bz-File-Name: %s", enc);
			ok = ok &&
			    curl_slist_append(hdr,
				"Content-Type: "
				"application/octet-stream") != NULL;
		}
		ok = ok && curl_slist_append(hdr, line) != NULL;
		if (!ok) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
			goto out;
		}
		io_reset(&io, c);
		io.body = buf;
		io.body_fd = fd;
		io.body_off = offset;
		io.body_len = len;
		io.has_body = true;
		if (http_do(c, what, "POST", url, hdr, &io, false) != 0) {
			/* Broken connection or stall: a fresh URL, since the
			 * server may still hold this one. */
			url[0] = '\0';
			if (c->kind != B2_ERR_BUSY && c->kind != B2_ERR_CONNECT)
				goto out;
			continue;
		}
		if (io.status == 200) {
			*resp = io.resp;
			*resp_len = io.resp_len;
			io.resp = NULL;
			b2_clear_error(c);
			rc = 0;
			goto out;
		}
		set_http_error(c, what, &io);
		if ((io.status == 401 &&
			strcmp(c->err_code, "unauthorized") != 0) ||
		    io.status == 408 || io.status >= 500 ||
		    (io.status == 400 &&
			strstr(c->err, "more than one upload") != NULL)) {
			url[0] = '\0';
			continue;
		}
		if (io.status == 429) {
			url[0] = '\0';
			if (backoff(c, attempt,
				b2_parse_retry_after(io.retry_after)) != 0)
				goto out;
			continue;
		}
		goto out;
	}
	/* Tries spent: keep the last error, say how often we tried. */
	{
		char last[B2_ERROR_MAX];

		str_copy(last, c->err, sizeof(last));
		b2_set_error(c, c->kind, c->err_status, c->err_code,
		    "%s (after %d upload URLs)", last, B2_UPLOAD_TRIES);
	}
out:
	explicit_bzero(line, sizeof(line));
	curl_slist_free_all(hdr);
	free(io.resp);
	return rc;
}

int
b2_upload_url_prefetch(struct b2_client *c, const char *bucket_id)
{
	if (c->upload_url[0] != '\0' &&
	    strcmp(c->upload_bucket, bucket_id) == 0)
		return 0;
	if (get_upload_url(c, false, bucket_id, c->upload_url, B2_URL_MAX,
		c->upload_token, B2_TOKEN_MAX) != 0) {
		c->upload_url[0] = '\0';
		b2_clear_error(c);
		return -1;
	}
	str_copy(c->upload_bucket, bucket_id, sizeof(c->upload_bucket));
	return 0;
}

int
b2_upload_file(struct b2_client *c, const char *bucket_id, const char *name,
    const void *buf, int fd, off_t offset, size_t len, struct b2_file *out)
{
	char sha1[B2_SHA1_HEX];
	char err[256];
	char *resp = NULL;
	size_t rlen = 0;
	struct b2_file tmp;
	int rc = -1;

	if (strlen(name) > B2_NAME_MAX || name[0] == '\0') {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "bad file name");
		goto out;
	}
	if (sha1_source(c, buf, fd, offset, len, sha1) != 0)
		goto out;
	if (upload_with_retries(c, NULL, 0, bucket_id, name, buf, fd, offset,
		len, sha1, &resp, &rlen) != 0)
		goto out;
	if (b2_parse_file(
		resp, rlen, out != NULL ? out : &tmp, err, sizeof(err)) != 0) {
		b2_set_error(
		    c, B2_ERR_PROTOCOL, 200, "", "b2_upload_file: %s", err);
		goto out;
	}
	rc = 0;
out:
	free(resp);
	return rc;
}

long long
b2_part_size(struct b2_client *c)
{
	if (!c->authorized && b2_authorize(c) != 0)
		return -1;
	return c->auth.recommended_part_size;
}

long long
b2_min_part_size(struct b2_client *c)
{
	if (!c->authorized && b2_authorize(c) != 0)
		return -1;
	return c->auth.minimum_part_size;
}

struct b2_large *
b2_large_start(struct b2_client *c, const char *bucket_id, const char *name,
    const char *content_type)
{
	struct b2_large *l = NULL;
	json_t *body = NULL;
	char *resp = NULL;
	size_t len;
	struct b2_file f;
	char err[256];

	if (strlen(name) > B2_NAME_MAX || name[0] == '\0') {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "bad file name");
		goto fail;
	}
	l = calloc(1, sizeof(*l));
	if (l != NULL)
		l->sha1 = calloc(B2_MAX_PARTS, sizeof(*l->sha1));
	/* The name goes plain in JSON, not percent-encoded. */
	body = json_pack("{s:s, s:s, s:s, s:{}}", "bucketId", bucket_id,
	    "fileName", name, "contentType",
	    content_type != NULL ? content_type : "application/octet-stream",
	    "fileInfo");
	if (l == NULL || l->sha1 == NULL || body == NULL) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
		goto fail;
	}
	l->c = c;
	str_copy(l->name, name, sizeof(l->name));
	if (api_call(c, "b2_start_large_file", body, &resp, &len) != 0)
		goto fail;
	if (b2_parse_file(resp, len, &f, err, sizeof(err)) != 0 ||
	    f.id[0] == '\0') {
		b2_set_error(c, B2_ERR_PROTOCOL, 200, "",
		    "b2_start_large_file:"
		    " %s",
		    f.id[0] == '\0' ? "no fileId" : err);
		goto fail;
	}
	str_copy(l->file_id, f.id, sizeof(l->file_id));
	json_decref(body);
	free(resp);
	return l;
fail:
	json_decref(body);
	free(resp);
	b2_large_free(l);
	return NULL;
}

const char *
b2_large_file_id(const struct b2_large *l)
{
	return l->file_id;
}

int
b2_large_upload_part(struct b2_large *l, int n, const void *buf, int fd,
    off_t offset, size_t len)
{
	return b2_large_upload_part_sha1(l, n, buf, fd, offset, len, NULL);
}

static bool
is_sha1_hex(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[40] == '\0';
}

int
b2_large_upload_part_sha1(struct b2_large *l, int n, const void *buf, int fd,
    off_t offset, size_t len, const char *sha1)
{
	struct b2_client *c = l->c;
	char *resp = NULL;
	size_t rlen;
	int rc = -1;

	if (n < 1 || n > B2_MAX_PARTS || len == 0 ||
	    (sha1 != NULL && !is_sha1_hex(sha1))) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "",
		    "bad part number %d, empty part or bad SHA1", n);
		goto out;
	}
	if (sha1 != NULL)
		memcpy(l->sha1[n - 1], sha1, B2_SHA1_HEX);
	else if (sha1_source(c, buf, fd, offset, len, l->sha1[n - 1]) != 0)
		goto out;
	if (upload_with_retries(c, l, n, NULL, NULL, buf, fd, offset, len,
		l->sha1[n - 1], &resp, &rlen) != 0)
		goto out;
	if (n > l->part_count)
		l->part_count = n;
	rc = 0;
out:
	free(resp);
	return rc;
}

int
b2_large_finish(struct b2_large *l, struct b2_file *out)
{
	struct b2_client *c = l->c;
	json_t *body = NULL, *arr = NULL;
	char *resp = NULL;
	size_t len;
	struct b2_file tmp;
	char err[256];
	int i, rc = -1;

	arr = json_array();
	for (i = 0; arr != NULL && i < l->part_count; i++) {
		if (l->sha1[i][0] == '\0') {
			b2_set_error(c, B2_ERR_LOCAL, 0, "",
			    "part %d was not "
			    "uploaded",
			    i + 1);
			goto out;
		}
		if (json_array_append_new(arr, json_string(l->sha1[i])) != 0)
			goto oom;
	}
	if (arr == NULL)
		goto oom;
	body =
	    json_pack("{s:s, s:O}", "fileId", l->file_id, "partSha1Array", arr);
	if (body == NULL)
		goto oom;
	if (api_call(c, "b2_finish_large_file", body, &resp, &len) != 0)
		goto out;
	if (b2_parse_file(
		resp, len, out != NULL ? out : &tmp, err, sizeof(err)) != 0) {
		b2_set_error(c, B2_ERR_PROTOCOL, 200, "",
		    "b2_finish_large_"
		    "file: %s",
		    err);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
out:
	json_decref(arr);
	json_decref(body);
	free(resp);
	return rc;
}

int
b2_cancel_large_file(struct b2_client *c, const char *file_id)
{
	json_t *body;
	char *resp = NULL;
	size_t len;
	int rc = -1;

	body = json_pack("{s:s}", "fileId", file_id);
	if (body == NULL) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
		return -1;
	}
	rc = api_call(c, "b2_cancel_large_file", body, &resp, &len);
	json_decref(body);
	free(resp);
	return rc;
}

int
b2_large_cancel(struct b2_large *l)
{
	return b2_cancel_large_file(l->c, l->file_id);
}

void
b2_large_free(struct b2_large *l)
{
	if (l == NULL)
		return;
	free(l->sha1);
	explicit_bzero(l->upload_token, sizeof(l->upload_token));
	free(l);
}

/* One attempt at a large file; cancelled (parts freed) on failure. */
static int
upload_large(struct b2_client *c, const char *bucket_id, const char *name,
    int fd, size_t len, long long part, long long minp, struct b2_file *out)
{
	struct b2_large *l = NULL;
	size_t off = 0, n;
	int i = 0, rc = -1;
	char saved[B2_ERROR_MAX];
	enum b2_error_kind kind;
	int status;

	l = b2_large_start(c, bucket_id, name, NULL);
	if (l == NULL)
		return -1;
	while (off < len) {
		n = len - off > (size_t)part ? (size_t)part : len - off;
		/* Never leave a last part smaller than the minimum when it
		 * can be merged into this one. */
		if (len - off - n > 0 && (long long)(len - off - n) < minp &&
		    (long long)(len - off) <= 5000000000LL)
			n = len - off;
		if (++i > B2_MAX_PARTS) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "",
			    "file needs more "
			    "than %d parts",
			    B2_MAX_PARTS);
			goto fail;
		}
		if (b2_large_upload_part(l, i, NULL, fd, (off_t)off, n) != 0)
			goto fail;
		off += n;
	}
	if (i < 2) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "",
		    "large file with one "
		    "part");
		goto fail;
	}
	if (b2_large_finish(l, out) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	/* Do not leave billed parts behind; keep the first error. */
	str_copy(saved, c->err, sizeof(saved));
	kind = c->kind;
	status = c->err_status;
	(void)b2_large_cancel(l);
	b2_set_error(c, kind, status, "", "%s", saved);
out:
	b2_large_free(l);
	return rc;
}

int
b2_upload_fd(struct b2_client *c, const char *bucket_id, const char *name,
    int fd, size_t len, struct b2_file *out)
{
	long long part, minp;

	part = b2_part_size(c);
	minp = b2_min_part_size(c);
	if (part < 1 || minp < 1)
		return -1;
	/* One part, or a last part below the minimum: a single upload. */
	if ((long long)len <= part || (long long)len < 2 * minp)
		return b2_upload_file(
		    c, bucket_id, name, NULL, fd, 0, len, out);
	if (upload_large(c, bucket_id, name, fd, len, part, minp, out) == 0)
		return 0;
	/* A large file is pinned to one vault: when that vault stays busy
	 * ("No uploads available in vault"), only a new large file helps.
	 * Restart once. */
	if (c->kind != B2_ERR_BUSY)
		return -1;
	return upload_large(c, bucket_id, name, fd, len, part, minp, out);
}

/* ---- download / delete ------------------------------------------------ */

int
b2_download(struct b2_client *c, const char *bucket_name, const char *name,
    int fd, struct b2_file *out)
{
	struct http_io io = { 0 };
	struct curl_slist *hdr = NULL;
	char enc_b[B2_ID_MAX * 3], enc_n[B2_NAME_MAX * 3 + 1];
	char url[B2_URL_MAX + sizeof(enc_n)], auth[B2_TOKEN_MAX + 32];
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[B2_SHA1_HEX];
	off_t start;
	bool reauthed = false;
	int attempt, rc = -1;
	long ts;

	io_reset(&io, c);
	if (b2_percent_encode(bucket_name, enc_b, sizeof(enc_b)) != 0 ||
	    b2_percent_encode(name, enc_n, sizeof(enc_n)) != 0) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "name too long");
		goto out;
	}
	start = lseek(fd, 0, SEEK_CUR);
	for (attempt = 0;; attempt++) {
		if (!c->authorized && b2_authorize(c) != 0)
			goto out;
		snprintf(url, sizeof(url), "%s/file/%s/%s",
		    c->auth.download_url, enc_b, enc_n);
		snprintf(
		    auth, sizeof(auth), "Authorization: %s", c->auth.token);
		curl_slist_free_all(hdr);
		hdr = curl_slist_append(NULL, auth);
		if (hdr == NULL) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
			goto out;
		}
		if (attempt > 0) {
			/* Start the file over; a pipe cannot be rewound. */
			if (start < 0 || lseek(fd, start, SEEK_SET) < 0 ||
			    ftruncate(fd, start) != 0) {
				goto out; /* keeps the last error */
			}
		}
		io_reset(&io, c);
		io.out_fd = fd;
		io.sha = EVP_MD_CTX_new();
		if (io.sha == NULL ||
		    EVP_DigestInit_ex(io.sha, EVP_sha1(), NULL) != 1) {
			b2_set_error(c, B2_ERR_LOCAL, 0, "",
			    "cannot start "
			    "SHA1");
			goto out;
		}
		if (http_do(c, "download", "GET", url, hdr, &io, false) != 0) {
			if (c->kind != B2_ERR_BUSY ||
			    attempt + 1 >= B2_API_TRIES ||
			    backoff(c, attempt, -1) != 0)
				goto out;
			continue;
		}
		if (io.status == 200)
			break;
		set_http_error(c, "download", &io);
		if (io.status == 401 && !reauthed &&
		    strcmp(c->err_code, "unauthorized") != 0) {
			reauthed = true;
			c->authorized = false;
			continue;
		}
		if (!retryable_status(io.status) ||
		    attempt + 1 >= B2_API_TRIES ||
		    backoff(c, attempt, b2_parse_retry_after(io.retry_after)) !=
			0)
			goto out;
	}
	if (EVP_DigestFinal_ex(io.sha, md, NULL) != 1) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "cannot end SHA1");
		goto out;
	}
	sha1_hex(md, hex);
	if (io.content_sha1[0] != '\0' && strcmp(io.content_sha1, "none") &&
	    strcasecmp(io.content_sha1 +
		    (strncmp(io.content_sha1, "unverified:", 11) == 0 ? 11 : 0),
		hex) != 0) {
		b2_set_error(c, B2_ERR_PROTOCOL, 200, "",
		    "download: SHA1 of "
		    "%s does not match X-Bz-Content-Sha1",
		    name);
		goto out;
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		str_copy(out->name, name, sizeof(out->name));
		str_copy(out->id, io.file_id, sizeof(out->id));
		str_copy(out->action, "upload", sizeof(out->action));
		str_copy(out->sha1, io.content_sha1, sizeof(out->sha1));
		out->size = io.written;
		if (parse_long(io.upload_ts, 0, 0x7fffffffffffffffL, &ts) == 0)
			out->upload_ms = ts;
	}
	b2_clear_error(c);
	rc = 0;
out:
	explicit_bzero(auth, sizeof(auth));
	curl_slist_free_all(hdr);
	free(io.resp);
	EVP_MD_CTX_free(io.sha);
	return rc;
}

int
b2_delete_file_version(
    struct b2_client *c, const char *name, const char *file_id)
{
	json_t *body;
	char *resp = NULL;
	size_t len;
	int rc;

	body = json_pack("{s:s, s:s}", "fileName", name, "fileId", file_id);
	if (body == NULL) {
		b2_set_error(c, B2_ERR_LOCAL, 0, "", "out of memory");
		return -1;
	}
	rc = api_call(c, "b2_delete_file_version", body, &resp, &len);
	json_decref(body);
	free(resp);
	return rc;
}
