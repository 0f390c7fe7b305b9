/*
 * The http probe: one HTTP(S) request with libcurl under the run's deadline,
 * the response checked against status, content, size and time ranges, and
 * the server's certificate chain inspected with openssl while libcurl
 * verifies it (chain and host name verified by default, unlike check_http).
 *
 * Thread-safe: everything lives in a struct http_ctx per run; the TLS
 * callbacks find it through the SSL_CTX's app data, and libcurl creates one
 * SSL_CTX per connection.  curl_global_init is the binary's job.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "http_cert.h"
#include "http_trust.h"
#include "http_url.h"
#include "probe.h"
#include "util.h"

#define HTTP_BODY_CAP (1024 * 1024) /* bytes kept for -s / -r */
#define HTTP_HEADERS_CAP (64 * 1024) /* final response headers kept for -d */
#define HTTP_STATUS_LINE_MAX 160
#define HTTP_REDIRECTS_MAX 1024
#define HTTP_PROBLEMS_MAX 400
#define HTTP_SECRET_MAX 512

static const struct option_spec http_options[] = {
	{ "url", 'u', OPT_STRING, "URL", NULL, 0, 0,
	    "URL to fetch (http:// or https://), or a path like check_http's "
	    "-u" },
	{ "hostname", 'H', OPT_STRING, "HOST[:PORT]", NULL, 0, 0,
	    "host name (Host header, SNI and certificate name)" },
	{ "port", 'p', OPT_INT, "PORT", NULL, 1, 65535,
	    "TCP port (default 80, or 443 with -S/-C)" },
	{ "ssl", 'S', OPT_FLAG, NULL, NULL, 0, 0, "use https" },
	{ "path", 0, OPT_STRING, "PATH", NULL, 0, 0,
	    "path and query to request with -H (default /)" },
	{ "resolve", 'I', OPT_STRING, "ADDR", NULL, 0, 0,
	    "connect to this IP address instead of resolving the host name "
	    "(Host and SNI stay the host name)" },
	{ "ipv4", '4', OPT_FLAG, NULL, NULL, 0, 0, "use IPv4 only" },
	{ "ipv6", '6', OPT_FLAG, NULL, NULL, 0, 0, "use IPv6 only" },
	{ "method", 'j', OPT_STRING, "METHOD", NULL, 0, 0,
	    "request method (default GET, or POST with -P)" },
	{ "post", 'P', OPT_STRING, "DATA", NULL, 0, 0, "request body" },
	{ "header", 'k', OPT_MULTI, "'NAME: VALUE'", NULL, 0, 0,
	    "extra request header (repeatable; no commas inside)" },
	{ "useragent", 'A', OPT_STRING, "AGENT", NULL, 0, 0,
	    "User-Agent header" },
	{ "auth-file", 0, OPT_STRING, "FILE", NULL, 0, 0,
	    "basic auth 'user:password' read from FILE (mode 0600)" },
	{ "http2", 0, OPT_FLAG, NULL, NULL, 0, 0,
	    "use HTTP/2 (WARNING when the server does not)" },
	{ "http1.1", 0, OPT_FLAG, NULL, NULL, 0, 0, "use HTTP/1.1 (default)" },
	{ "expect", 'e', OPT_LIST, "CODES", NULL, 0, 0,
	    "expected status codes, e.g. 200,301; any other is CRITICAL" },
	{ "string", 's', OPT_STRING, "STRING", NULL, 0, 0,
	    "string the body must contain (CRITICAL when missing)" },
	{ "regex", 'r', OPT_STRING, "REGEX", NULL, 0, 0,
	    "POSIX extended regex the body must match" },
	{ "invert-regex", 0, OPT_FLAG, NULL, NULL, 0, 0,
	    "CRITICAL when -r matches instead" },
	{ "header-string", 'd', OPT_STRING, "STRING", NULL, 0, 0,
	    "string the response headers must contain" },
	{ "pagesize", 'm', OPT_STRING, "MIN[:MAX]", NULL, 0, 0,
	    "body size in bytes outside MIN..MAX is WARNING" },
	{ "warning", 'w', OPT_RANGE, "RANGE", NULL, 0, 0,
	    "response time in seconds (total) for WARNING" },
	{ "critical", 'c', OPT_RANGE, "RANGE", NULL, 0, 0,
	    "response time in seconds (total) for CRITICAL" },
	{ "onredirect", 'f', OPT_STRING, "ok|warning|critical|follow", "ok", 0,
	    0, "state for a 3xx answer, or follow it" },
	{ "max-redirs", 0, OPT_INT, "N", "15", 0, 100,
	    "redirects followed at most with -f follow" },
	{ "insecure", 0, OPT_FLAG, NULL, NULL, 0, 0,
	    "do not verify the certificate chain and host name" },
	{ "ca-file", 0, OPT_STRING, "FILE", NULL, 0, 0,
	    "PEM file of trusted CAs (instead of the system store)" },
	{ "certificate", 'C', OPT_STRING, "WARN[,CRIT]", NULL, 0, 0,
	    "days left on the certificate chain for WARNING, CRITICAL; "
	    "checks only the certificate unless --continue-after-certificate" },
	{ "continue-after-certificate", 0, OPT_FLAG, NULL, NULL, 0, 0,
	    "with -C, also make the HTTP request and check it" },
	{ "min-tls", 0, OPT_STRING, "1.0|1.1|1.2|1.3", NULL, 0, 0,
	    "lowest TLS version accepted" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

enum redirect_mode { REDIR_OK, REDIR_WARNING, REDIR_CRITICAL, REDIR_FOLLOW };

/* Options once validated. */
struct http_conf {
	struct http_target target;
	const char *method, *post, *agent, *auth_file, *ca_file;
	const char *string, *regex_text, *header_string, *min_tls;
	bool ipv4, ipv6, http2, insecure, invert, cert_mode, cert_continue;
	bool have_regex, have_size, have_days;
	long size_min, size_max, days_warn, days_crit, max_redirs;
	enum redirect_mode redirect;
	struct range warn, crit;
	regex_t regex;
};

/* One run's transfer state; callbacks reach it as user data. */
struct http_ctx {
	bool trust; /* CA store from http_trust, not libcurl */
	char ca_path[HTTP_URL_MAX];
	char ca_error[HTTP_ERR_MAX];
	char url[HTTP_URL_MAX];
	char host[HTTP_HOST_MAX];
	long port;
	bool https;
	bool keep_body;

	char status_line[HTTP_STATUS_LINE_MAX];
	long cur_status;
	char *headers;
	size_t headers_len;
	char *body;
	size_t body_len;
	size_t size;
	char redirects[HTTP_REDIRECTS_MAX];
	size_t redirects_len;

	struct http_tls_seen seen;
	bool name_checked, name_ok;
	char tls_version[16];
	char cipher[64];
};

/* The verdict so far: the worst state, its reason and what was wrong. */
struct verdict {
	enum probe_state state;
	enum probe_reason reason;
	char text[HTTP_PROBLEMS_MAX];
	size_t len;
};

static void verdict_add(struct verdict *v, enum probe_state st,
    enum probe_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
verdict_add(struct verdict *v, enum probe_state st, enum probe_reason reason,
    const char *fmt, ...)
{
	va_list ap;
	char part[HTTP_PROBLEMS_MAX];

	va_start(ap, fmt);
	vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	str_appendf(v->text, sizeof(v->text), &v->len, "%s%s",
	    v->len ? " - " : "", part);
	if (state_severity(st) > state_severity(v->state)) {
		v->state = st;
		v->reason = reason;
	}
}

/* ---- libcurl callbacks ---- */

/* The status code of a status line "HTTP/x yyy reason", 0 when none. */
static long
status_code_of(const char *line)
{
	const char *sp = strchr(line, ' ');
	char num[4];
	long code;

	if (sp == NULL || strlen(sp + 1) < 3)
		return 0;
	memcpy(num, sp + 1, 3);
	num[3] = '\0';
	return parse_long(num, 100, 999, &code) == 0 ? code : 0;
}

/* Copy len bytes of peer text to dst at *dlen, control bytes as '?'. */
static void
copy_clean(char *dst, size_t size, size_t *dlen, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && *dlen + 1 < size; i++)
		dst[(*dlen)++] = (unsigned char)src[i] < 0x20 ? '?' : src[i];
	dst[*dlen] = '\0';
}

static size_t
header_cb(char *buf, size_t size, size_t n, void *ud)
{
	struct http_ctx *ctx = ud;
	size_t len = size * n, l = len, sl = 0;

	while (l > 0 &&
	    (buf[l - 1] == '\n' || buf[l - 1] == '\r' || buf[l - 1] == ' '))
		l--;
	if (l >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* a new response (after 1xx or a followed redirect) */
		copy_clean(
		    ctx->status_line, sizeof(ctx->status_line), &sl, buf, l);
		ctx->cur_status = status_code_of(ctx->status_line);
		ctx->headers_len = 0;
	} else if (ctx->cur_status >= 300 && ctx->cur_status < 400 && l > 9 &&
	    strncasecmp(buf, "location:", 9) == 0) {
		const char *v = buf + 9;
		size_t vl = l - 9;

		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		str_appendf(ctx->redirects, sizeof(ctx->redirects),
		    &ctx->redirects_len, "%s%ld -> ",
		    ctx->redirects_len ? ", " : "", ctx->cur_status);
		copy_clean(ctx->redirects, sizeof(ctx->redirects),
		    &ctx->redirects_len, v, vl);
	}
	if (ctx->headers != NULL && ctx->headers_len + len < HTTP_HEADERS_CAP) {
		memcpy(ctx->headers + ctx->headers_len, buf, len);
		ctx->headers_len += len;
		ctx->headers[ctx->headers_len] = '\0';
	}
	return len;
}

static size_t
write_cb(char *buf, size_t size, size_t n, void *ud)
{
	struct http_ctx *ctx = ud;
	size_t len = size * n, room;

	ctx->size += len;
	if (ctx->keep_body && ctx->body != NULL) {
		room = HTTP_BODY_CAP - ctx->body_len;
		if (len < room)
			room = len;
		memcpy(ctx->body + ctx->body_len, buf, room);
		ctx->body_len += room;
		ctx->body[ctx->body_len] = '\0';
	}
	return len;
}

static struct http_ctx *
ctx_of_ssl(const SSL *ssl)
{
	if (ssl == NULL)
		return NULL;
	return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

/* Record what openssl saw; keep its verdict (libcurl decides). */
static int
verify_cb(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl;
	struct http_ctx *ctx;
	X509 *cert = X509_STORE_CTX_get_current_cert(sctx);
	int depth = X509_STORE_CTX_get_error_depth(sctx);

	ssl = X509_STORE_CTX_get_ex_data(
	    sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	ctx = ctx_of_ssl(ssl);
	if (ctx == NULL)
		return ok;
	http_tls_record(&ctx->seen, cert, depth,
	    ok ? X509_V_OK : X509_STORE_CTX_get_error(sctx));
	if (depth == 0 && cert != NULL && !ctx->name_checked) {
		/* the name libcurl sent as SNI: after a redirect to another
		 * host it is that host's name, not the first one's */
		const char *sni =
		    SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

		ctx->name_checked = true;
		ctx->name_ok =
		    http_cert_matches_host(cert, sni != NULL ? sni : ctx->host);
	}
	return ok;
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
	struct http_ctx *ctx;
	X509 *peer;

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE) || (ctx = ctx_of_ssl(ssl)) == NULL)
		return;
	str_copy(
	    ctx->tls_version, SSL_get_version(ssl), sizeof(ctx->tls_version));
	str_copy(ctx->cipher, SSL_get_cipher_name(ssl), sizeof(ctx->cipher));
	peer = SSL_get0_peer_certificate(ssl);
	if (peer != NULL && !ctx->seen.chain[0].present) {
		http_tls_record(&ctx->seen, peer, 0, X509_V_OK);
		ctx->name_checked = true;
		ctx->name_ok = http_cert_matches_host(peer, ctx->host);
	}
}

static CURLcode
ssl_ctx_cb(CURL *curl, void *sslctx, void *ud)
{
	SSL_CTX *sctx = sslctx;
	struct http_ctx *ctx = ud;

	(void)curl;
	/* a new connection (first one, or a redirect to another origin):
	 * report the chain of the last one */
	http_tls_seen_init(&ctx->seen);
	ctx->name_checked = false;
	ctx->name_ok = false;
	ctx->tls_version[0] = ctx->cipher[0] = '\0';
	if (ctx->trust) {
		X509_STORE *store = http_trust_get(
		    ctx->ca_path, ctx->ca_error, sizeof(ctx->ca_error));

		if (store == NULL)
			return CURLE_SSL_CACERT_BADFILE;
		SSL_CTX_set1_cert_store(sctx, store); /* takes its own ref */
		X509_STORE_free(store);
	}
	SSL_CTX_set_app_data(sctx, ud);
	SSL_CTX_set_verify(sctx, SSL_CTX_get_verify_mode(sctx), verify_cb);
	SSL_CTX_set_info_callback(sctx, info_cb);
	return CURLE_OK;
}

/* ---- options ---- */

static int
conf_load(const struct args *a, struct http_conf *cf, char *err, size_t errlen)
{
	const char *s;
	size_t i, n;
	long code;
	int rc;

	memset(cf, 0, sizeof(*cf));
	cf->target.url = args_string(a, "url");
	cf->target.host = args_string(a, "hostname");
	cf->target.path = args_string(a, "path");
	cf->target.address = args_string(a, "resolve");
	cf->target.port = args_given(a, "port") ? args_int(a, "port") : 0;
	cf->method = args_string(a, "method");
	cf->post = args_string(a, "post");
	cf->agent = args_string(a, "useragent");
	cf->auth_file = args_string(a, "auth-file");
	cf->ca_file = args_string(a, "ca-file");
	cf->string = args_string(a, "string");
	cf->regex_text = args_string(a, "regex");
	cf->header_string = args_string(a, "header-string");
	cf->min_tls = args_string(a, "min-tls");
	cf->ipv4 = args_flag(a, "ipv4");
	cf->ipv6 = args_flag(a, "ipv6");
	cf->http2 = args_flag(a, "http2");
	cf->insecure = args_flag(a, "insecure");
	cf->invert = args_flag(a, "invert-regex");
	cf->cert_continue = args_flag(a, "continue-after-certificate");
	cf->max_redirs = args_int(a, "max-redirs");
	args_range(a, "warning", &cf->warn);
	args_range(a, "critical", &cf->crit);

	if (cf->ipv4 && cf->ipv6) {
		str_copy(err, "-4 and -6 exclude each other", errlen);
		return -1;
	}
	if (cf->http2 && args_flag(a, "http1.1")) {
		str_copy(
		    err, "--http2 and --http1.1 exclude each other", errlen);
		return -1;
	}
	if (cf->method != NULL && !http_method_valid(cf->method)) {
		str_copy(err, "invalid method in -j", errlen);
		return -1;
	}
	n = args_list_count(a, "header");
	for (i = 0; i < n; i++) {
		if (!http_header_valid(args_list_item(a, "header", i))) {
			str_copy(err,
			    "invalid header in -k: want 'Name: value'", errlen);
			return -1;
		}
	}
	if (cf->agent != NULL && strpbrk(cf->agent, "\r\n") != NULL) {
		str_copy(err, "invalid user agent in -A", errlen);
		return -1;
	}
	n = args_list_count(a, "expect");
	for (i = 0; i < n; i++) {
		if (http_status_parse(args_list_item(a, "expect", i), &code) !=
		    0) {
			snprintf(err, errlen, "invalid status code '%s' in -e",
			    args_list_item(a, "expect", i));
			return -1;
		}
	}
	if ((s = args_string(a, "pagesize")) != NULL) {
		if (http_pagesize_parse(s, &cf->size_min, &cf->size_max) != 0) {
			str_copy(
			    err, "invalid -m: want MIN[:MAX] bytes", errlen);
			return -1;
		}
		cf->have_size = true;
	}
	if ((s = args_string(a, "certificate")) != NULL) {
		if (http_certdays_parse(s, &cf->days_warn, &cf->days_crit) !=
		    0) {
			str_copy(err,
			    "invalid -C: want WARN[,CRIT] days, "
			    "CRIT <= WARN",
			    errlen);
			return -1;
		}
		cf->have_days = true;
		cf->cert_mode = !cf->cert_continue;
		cf->target.ssl = true;
	}
	cf->target.ssl = cf->target.ssl || args_flag(a, "ssl");
	if (cf->ca_file != NULL && access(cf->ca_file, R_OK) != 0) {
		snprintf(err, errlen, "cannot read --ca-file %s: %s",
		    cf->ca_file, strerror(errno));
		return -1;
	}
	if (cf->min_tls != NULL && http_tls_version_parse(cf->min_tls) < 0) {
		str_copy(err, "invalid --min-tls: want 1.0, 1.1, 1.2 or 1.3",
		    errlen);
		return -1;
	}
	s = args_string(a, "onredirect");
	if (s == NULL || strcmp(s, "ok") == 0)
		cf->redirect = REDIR_OK;
	else if (strcmp(s, "warning") == 0)
		cf->redirect = REDIR_WARNING;
	else if (strcmp(s, "critical") == 0)
		cf->redirect = REDIR_CRITICAL;
	else if (strcmp(s, "follow") == 0)
		cf->redirect = REDIR_FOLLOW;
	else {
		str_copy(err,
		    "invalid -f: want ok, warning, critical or follow", errlen);
		return -1;
	}
	if (cf->regex_text != NULL) {
		rc = regcomp(&cf->regex, cf->regex_text,
		    REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (rc != 0) {
			char why[128];

			regerror(rc, &cf->regex, why, sizeof(why));
			snprintf(err, errlen, "invalid regex in -r: %s", why);
			return -1;
		}
		cf->have_regex = true;
	}
	return 0;
}

/* ---- the transfer ---- */

/* Trusted CAs come from the shared cache (ssl_ctx_cb installs them);
 * libcurl loads nothing itself, unless it knows no default bundle. */
static void
set_trust(CURL *curl, const struct http_conf *cf, struct http_ctx *ctx)
{
	const char *ca = cf->ca_file;

	ctx->trust = false;
	if (ca == NULL &&
	    (curl_easy_getinfo(curl, CURLINFO_CAINFO, &ca) != CURLE_OK ||
		ca == NULL))
		return;
	if (str_copy(ctx->ca_path, ca, sizeof(ctx->ca_path)) >=
	    sizeof(ctx->ca_path)) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
		return;
	}
	ctx->trust = true;
	curl_easy_setopt(curl, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
}

static int
set_request(CURL *curl, const struct args *a, const struct http_conf *cf,
    struct http_ctx *ctx, struct curl_slist **headers,
    struct curl_slist **resolve, double left, char *err, size_t errlen)
{
	char secret[HTTP_SECRET_MAX];
	char line[HTTP_HOST_MAX * 2 + 32];
	struct curl_slist *tmp;
	size_t i, n;
	long ms;
	int tls, rc = -1;

	secret[0] = '\0';
	ms = left > 86400.0 ? 86400000L : (long)ceil(left * 1000.0);
	if (ms < 1)
		ms = 1;
	curl_easy_setopt(curl, CURLOPT_URL, ctx->url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	/* Nothing learnt by an earlier transfer of the same multi handle (the
	 * collector's) may answer for this one: no resumed TLS session (its
	 * chain was verified then), no cached CA store (libcurl would keep
	 * the first store ssl_ctx_cb installed, not a CA file's new one), no
	 * cached address. */
	curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(curl, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
#if LIBCURL_VERSION_NUM >= 0x075700 /* 7.87.0 */
	curl_easy_setopt(curl, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, ctx);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, ctx);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, ctx);
	curl_easy_setopt(curl, CURLOPT_USERAGENT,
	    cf->agent != NULL ? cf->agent
			      : "osemon/" OSEMON_VERSION " (http probe)");
	if (cf->ipv4)
		curl_easy_setopt(curl, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V4);
	if (cf->ipv6)
		curl_easy_setopt(curl, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V6);
	if (cf->target.address != NULL &&
	    strcmp(cf->target.address, ctx->host) != 0) {
		const char *addr = cf->target.address;
		bool v6 = strchr(addr, ':') != NULL && addr[0] != '[';

		snprintf(line, sizeof(line), "%s:%ld:%s%s%s", ctx->host,
		    ctx->port, v6 ? "[" : "", addr, v6 ? "]" : "");
		if ((*resolve = curl_slist_append(NULL, line)) == NULL)
			goto out;
		curl_easy_setopt(curl, CURLOPT_RESOLVE, *resolve);
	}
	if (cf->insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	set_trust(curl, cf, ctx);
	tls = cf->min_tls != NULL ? http_tls_version_parse(cf->min_tls) : 10;
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    tls == 13       ? CURL_SSLVERSION_TLSv1_3
		: tls == 12 ? CURL_SSLVERSION_TLSv1_2
		: tls == 11 ? CURL_SSLVERSION_TLSv1_1
			    : CURL_SSLVERSION_TLSv1_0);
	if (cf->http2)
		curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
		    ctx->https ? CURL_HTTP_VERSION_2TLS
			       : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	else
		curl_easy_setopt(
		    curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	if (cf->cert_mode) {
		curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
		rc = 0;
		goto out;
	}
	if (cf->redirect == REDIR_FOLLOW) {
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_MAXREDIRS, cf->max_redirs);
	}
	if (cf->post != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(cf->post));
		curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, cf->post);
	}
	if (cf->method != NULL) {
		if (strcmp(cf->method, "HEAD") == 0)
			curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		else
			curl_easy_setopt(
			    curl, CURLOPT_CUSTOMREQUEST, cf->method);
	}
	n = args_list_count(a, "header");
	for (i = 0; i < n; i++) {
		tmp =
		    curl_slist_append(*headers, args_list_item(a, "header", i));
		if (tmp == NULL)
			goto out;
		*headers = tmp;
	}
	if (*headers != NULL)
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
	if (cf->auth_file != NULL) {
		if (secret_read(cf->auth_file, secret, sizeof(secret), err,
			errlen) != 0)
			goto out;
		if (strchr(secret, ':') == NULL) {
			str_copy(
			    err, "auth file must hold 'user:password'", errlen);
			goto out;
		}
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		/* libcurl keeps its own copy */
		curl_easy_setopt(curl, CURLOPT_USERPWD, secret);
	}
	rc = 0;
out:
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

/* ---- evaluation ---- */

static double
info_seconds(CURL *curl, CURLINFO what)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(curl, what, &us) != CURLE_OK || us < 0)
		return 0.0;
	return (double)us / 1e6;
}

static const char *
cert_label(const struct http_cert_info *ci)
{
	return ci->common_name[0] != '\0' ? ci->common_name : ci->subject;
}

/* The TLS problem that made verification fail, in words. */
static bool
tls_problem_text(const struct http_ctx *ctx, char *buf, size_t size)
{
	const struct http_tls_seen *s = &ctx->seen;
	int d = s->first_error_depth >= 0 ? s->first_error_depth : 0;
	const struct http_cert_info *ci = &s->chain[d];
	enum http_tls_problem p = http_tls_problem_of(s->first_error);
	char where[32] = "";

	if (d > 0)
		snprintf(where, sizeof(where), " (chain depth %d)", d);
	if (s->first_error != 0) {
		switch (p) {
		case TLS_PROBLEM_EXPIRED:
			snprintf(buf, size,
			    "certificate '%s'%s expired %ld "
			    "day(s) ago (notAfter %s)",
			    cert_label(ci), where, ci->days_expired,
			    ci->not_after);
			return true;
		case TLS_PROBLEM_NOT_YET_VALID:
			snprintf(buf, size,
			    "certificate '%s'%s not yet valid "
			    "(notBefore %s)",
			    cert_label(ci), where, ci->not_before);
			return true;
		case TLS_PROBLEM_SELF_SIGNED:
			snprintf(buf, size,
			    "certificate '%s'%s is self-signed "
			    "and not trusted",
			    cert_label(ci), where);
			return true;
		case TLS_PROBLEM_UNTRUSTED:
			snprintf(buf, size,
			    "certificate '%s'%s is untrusted: "
			    "%s (issuer %s)",
			    cert_label(ci), where,
			    X509_verify_cert_error_string(s->first_error),
			    ci->issuer);
			return true;
		default:
			snprintf(buf, size, "certificate '%s'%s is invalid: %s",
			    cert_label(ci), where,
			    X509_verify_cert_error_string(s->first_error));
			return true;
		}
	}
	if (ctx->name_checked && !ctx->name_ok) {
		snprintf(buf, size,
		    "certificate '%s' does not match host name "
		    "'%s' (SANs: %s)",
		    cert_label(&s->chain[0]), ctx->host,
		    s->chain[0].sans[0] ? s->chain[0].sans : "none");
		return true;
	}
	return false;
}

static void
long_tls(struct probe_result *res, const struct http_ctx *ctx)
{
	const struct http_tls_seen *s = &ctx->seen;
	const struct http_cert_info *ci;
	int d;

	if (ctx->tls_version[0] != '\0')
		result_long(
		    res, "TLS: %s, cipher %s", ctx->tls_version, ctx->cipher);
	for (d = 0; d <= s->depth_max && d < HTTP_CHAIN_MAX; d++) {
		ci = &s->chain[d];
		if (!ci->present)
			continue;
		if (d == 0) {
			result_long(
			    res, "certificate subject: %s", ci->subject);
			result_long(res, "certificate issuer: %s", ci->issuer);
			result_long(res, "certificate SANs: %s",
			    ci->sans[0] ? ci->sans : "none");
			result_long(
			    res, "certificate notBefore: %s", ci->not_before);
			result_long(res,
			    "certificate notAfter: %s (%ld days "
			    "left)",
			    ci->not_after, ci->days_left);
		} else {
			result_long(res,
			    "chain depth %d: %s, notAfter %s (%ld "
			    "days left)",
			    d, ci->subject, ci->not_after, ci->days_left);
		}
	}
}

static double
tls_version_number(const char *v)
{
	if (strcmp(v, "TLSv1.3") == 0)
		return 1.3;
	if (strcmp(v, "TLSv1.2") == 0)
		return 1.2;
	if (strcmp(v, "TLSv1.1") == 0)
		return 1.1;
	if (strcmp(v, "TLSv1") == 0)
		return 1.0;
	return 0.0;
}

/* Certificate metrics and the -C verdict, when a chain was seen. */
static void
check_cert(const struct http_conf *cf, const struct http_ctx *ctx,
    struct probe_result *res, struct verdict *v)
{
	const struct http_tls_seen *s = &ctx->seen;
	const struct http_cert_info *leaf = &s->chain[0], *worst;
	struct metric *m;
	char text[32];
	int e;
	long days;

	if (!leaf->present || !leaf->dates_ok)
		return;
	e = http_tls_earliest(s);
	worst = e >= 0 ? &s->chain[e] : leaf;
	days = worst->days_left;
	m = result_metric(
	    res, "cert_days_left", (double)leaf->days_left, "", DS_GAUGE);
	if (m != NULL && cf->have_days) {
		snprintf(text, sizeof(text), "@~:%ld", cf->days_warn);
		range_parse(text, &m->warn);
		snprintf(text, sizeof(text), "@~:%ld", cf->days_crit);
		range_parse(text, &m->crit);
	}
	if (e > 0)
		result_metric(
		    res, "cert_chain_days_left", (double)days, "", DS_GAUGE);
	if (ctx->tls_version[0] != '\0')
		result_metric(res, "tls_version",
		    tls_version_number(ctx->tls_version), "", DS_GAUGE);
	if (!cf->have_days)
		return;
	if (days < 0 || worst->days_to_valid > 0)
		return; /* verification (or --insecure) already spoke */
	if (days <= cf->days_crit)
		verdict_add(v, STATE_CRITICAL, REASON_TLS,
		    "certificate '%s'%s expires in %ld day(s) (%s)",
		    cert_label(worst), e > 0 ? " in the chain" : "", days,
		    worst->not_after);
	else if (days <= cf->days_warn)
		verdict_add(v, STATE_WARNING, REASON_TLS,
		    "certificate '%s'%s expires in %ld day(s) (%s)",
		    cert_label(worst), e > 0 ? " in the chain" : "", days,
		    worst->not_after);
	else if (cf->cert_mode)
		verdict_add(v, STATE_OK, REASON_NONE,
		    "certificate '%s' will expire on %s (%ld days)",
		    cert_label(leaf), leaf->not_after, leaf->days_left);
}

/* Expired or not yet valid certificates accepted with --insecure still
 * fail a -C check. */
static void
check_cert_dates_insecure(
    const struct http_conf *cf, const struct http_ctx *ctx, struct verdict *v)
{
	const struct http_cert_info *leaf = &ctx->seen.chain[0];

	if (!cf->have_days || !leaf->present || !leaf->dates_ok)
		return;
	if (leaf->days_left < 0)
		verdict_add(v, STATE_CRITICAL, REASON_TLS,
		    "certificate '%s' expired %ld day(s) ago (notAfter %s)",
		    cert_label(leaf), leaf->days_expired, leaf->not_after);
	else if (leaf->days_to_valid > 0)
		verdict_add(v, STATE_CRITICAL, REASON_TLS,
		    "certificate '%s' not yet valid (notBefore %s)",
		    cert_label(leaf), leaf->not_before);
}

static void
check_status(const struct args *a, const struct http_conf *cf, long code,
    struct verdict *v)
{
	size_t i, n = args_list_count(a, "expect");
	long want;
	char list[128];
	size_t len = 0;

	if (n > 0) {
		for (i = 0; i < n; i++) {
			if (http_status_parse(
				args_list_item(a, "expect", i), &want) == 0 &&
			    want == code)
				return;
			str_appendf(list, sizeof(list), &len, "%s%s",
			    i ? "," : "", args_list_item(a, "expect", i));
		}
		verdict_add(v, STATE_CRITICAL, REASON_STATUS,
		    "status %ld not in expected %s", code, list);
		return;
	}
	if (code < 100 || code > 599)
		verdict_add(v, STATE_CRITICAL, REASON_STATUS,
		    "invalid status %ld", code);
	else if (code >= 500)
		verdict_add(v, STATE_CRITICAL, REASON_STATUS, "server error");
	else if (code >= 400)
		verdict_add(v, STATE_WARNING, REASON_STATUS, "client error");
	else if (code >= 300 && cf->redirect == REDIR_WARNING)
		verdict_add(v, STATE_WARNING, REASON_STATUS, "redirect");
	else if (code >= 300 && cf->redirect == REDIR_CRITICAL)
		verdict_add(v, STATE_CRITICAL, REASON_STATUS, "redirect");
}

static void
check_content(
    const struct http_conf *cf, const struct http_ctx *ctx, struct verdict *v)
{
	int m;

	if (cf->string != NULL &&
	    (ctx->body == NULL ||
		memmem(ctx->body, ctx->body_len, cf->string,
		    strlen(cf->string)) == NULL))
		verdict_add(v, STATE_CRITICAL, REASON_CONTENT,
		    "string '%s' not found", cf->string);
	if (cf->have_regex) {
		m = ctx->body != NULL &&
		    regexec(&cf->regex, ctx->body, 0, NULL, 0) == 0;
		if (m && cf->invert)
			verdict_add(v, STATE_CRITICAL, REASON_CONTENT,
			    "pattern '%s' found", cf->regex_text);
		else if (!m && !cf->invert)
			verdict_add(v, STATE_CRITICAL, REASON_CONTENT,
			    "pattern '%s' not found", cf->regex_text);
	}
	if (cf->header_string != NULL &&
	    (ctx->headers == NULL ||
		memmem(ctx->headers, ctx->headers_len, cf->header_string,
		    strlen(cf->header_string)) == NULL))
		verdict_add(v, STATE_CRITICAL, REASON_CONTENT,
		    "header string '%s' not found", cf->header_string);
	if (cf->have_size && (double)ctx->size < (double)cf->size_min)
		verdict_add(v, STATE_WARNING, REASON_THRESHOLD,
		    "page size %zu too small", ctx->size);
	else if (cf->have_size && cf->size_max >= 0 &&
	    (double)ctx->size > (double)cf->size_max)
		verdict_add(v, STATE_WARNING, REASON_THRESHOLD,
		    "page size %zu too large", ctx->size);
}

static enum probe_reason
curl_reason(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return REASON_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return REASON_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_USE_SSL_FAILED:
		return REASON_TLS;
	case CURLE_TOO_MANY_REDIRECTS:
		return REASON_STATUS;
	case CURLE_LOGIN_DENIED:
		return REASON_AUTH;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
		return REASON_INTERNAL;
	default:
		return REASON_PROTOCOL;
	}
}

static void
add_time_metrics(CURL *curl, const struct http_conf *cf, bool https,
    struct probe_result *res, double *total)
{
	double dns, conn, app, ttfb;
	struct metric *m;

	dns = info_seconds(curl, CURLINFO_NAMELOOKUP_TIME_T);
	conn = info_seconds(curl, CURLINFO_CONNECT_TIME_T);
	app = info_seconds(curl, CURLINFO_APPCONNECT_TIME_T);
	ttfb = info_seconds(curl, CURLINFO_STARTTRANSFER_TIME_T);
	*total = info_seconds(curl, CURLINFO_TOTAL_TIME_T);
	if ((m = result_metric(res, "time_dns", dns, "s", DS_GAUGE)) != NULL)
		m->has_min = true;
	if ((m = result_metric(res, "time_connect",
		 conn > dns ? conn - dns : 0.0, "s", DS_GAUGE)) != NULL)
		m->has_min = true;
	if (https &&
	    (m = result_metric(res, "time_tls", app > conn ? app - conn : 0.0,
		 "s", DS_GAUGE)) != NULL)
		m->has_min = true;
	if (!cf->cert_mode &&
	    (m = result_metric(res, "time_ttfb", ttfb, "s", DS_GAUGE)) != NULL)
		m->has_min = true;
	if ((m = result_metric(res, "time_total", *total, "s", DS_GAUGE)) !=
	    NULL) {
		m->has_min = true;
		m->warn = cf->warn;
		m->crit = cf->crit;
	}
}

/* One request from set-up to verdict; start() and finish() bracket the
 * transfer, which curl_easy_perform or the collector's loop runs. */
struct probe_transfer {
	const struct args *args;
	struct http_conf cf;
	bool conf_ok;
	struct http_ctx *ctx;
	CURL *curl;
	struct curl_slist *headers, *resolve;
	char errbuf[CURL_ERROR_SIZE];
};

static void
transfer_end(struct probe_transfer *t, struct probe_result *res)
{
	/* A TLS opt-out shows wherever the result goes (status page, mail). */
	if (t->conf_ok && t->cf.insecure && t->ctx != NULL && t->ctx->https) {
		size_t mlen = strlen(res->message);

		str_appendf(res->message, sizeof(res->message), &mlen,
		    " (TLS not verified: insecure)");
	}
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->resolve);
	if (t->curl != NULL)
		curl_easy_cleanup(t->curl);
	if (t->conf_ok && t->cf.have_regex)
		regfree(&t->cf.regex);
	if (t->ctx != NULL) {
		free(t->ctx->headers);
		free(t->ctx->body);
		free(t->ctx);
	}
	free(t);
}

static struct probe_transfer *
http_start(const struct probe_run *run, struct probe_result *res, void **easy)
{
	struct probe_transfer *t = calloc(1, sizeof(*t));
	struct http_ctx *ctx;
	char err[HTTP_ERR_MAX];
	double left;

	err[0] = '\0';
	if (t == NULL) {
		result_set(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		return NULL;
	}
	t->args = run->args;
	if (conf_load(run->args, &t->cf, err, sizeof(err)) != 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG, "%s", err);
		goto fail;
	}
	t->conf_ok = true;
	if ((ctx = t->ctx = calloc(1, sizeof(*ctx))) == NULL) {
		result_set(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		goto fail;
	}
	http_tls_seen_init(&ctx->seen);
	if (http_url_build(&t->cf.target, ctx->url, sizeof(ctx->url), ctx->host,
		sizeof(ctx->host), &ctx->port, &ctx->https, err,
		sizeof(err)) != 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG, "%s", err);
		goto fail;
	}
	if (t->cf.cert_mode && !ctx->https) {
		result_set(
		    res, STATE_UNKNOWN, REASON_CONFIG, "-C needs an https URL");
		goto fail;
	}
	ctx->keep_body = t->cf.string != NULL || t->cf.have_regex;
	ctx->headers = malloc(HTTP_HEADERS_CAP + 1);
	if (ctx->keep_body)
		ctx->body = malloc(HTTP_BODY_CAP + 1);
	if (ctx->headers == NULL || (ctx->keep_body && ctx->body == NULL) ||
	    (t->curl = curl_easy_init()) == NULL) {
		result_set(res, STATE_UNKNOWN, REASON_INTERNAL,
		    "cannot allocate the transfer");
		goto fail;
	}
	ctx->headers[0] = '\0';
	if (ctx->body != NULL)
		ctx->body[0] = '\0';
	left = deadline_left(run->deadline);
	if (left <= 0.0) {
		result_set(res, STATE_CRITICAL, REASON_TIMEOUT,
		    "timeout before the request started");
		goto fail;
	}
	curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf);
	if (set_request(t->curl, run->args, &t->cf, ctx, &t->headers,
		&t->resolve, left, err, sizeof(err)) != 0) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG, "%s",
		    err[0] ? err : "cannot set up the request");
		goto fail;
	}
	result_long(res, "URL: %s", ctx->url);
	*easy = t->curl;
	return t;
fail:
	transfer_end(t, res);
	return NULL;
}

/* The transfer failed: why, in the words a sysadmin acts on. */
static void
judge_failure(struct probe_transfer *t, CURLcode rc, double total,
    struct probe_result *res)
{
	const struct http_ctx *ctx = t->ctx;
	enum probe_reason reason = curl_reason(rc);
	const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	char tlsmsg[400];

	if (ctx->ca_error[0] != '\0') {
		result_set(
		    res, STATE_UNKNOWN, REASON_CONFIG, "%s", ctx->ca_error);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		result_set(res, STATE_CRITICAL, reason,
		    "timeout after %.3f seconds: %s", total, why);
	} else if (reason == REASON_TLS &&
	    tls_problem_text(ctx, tlsmsg, sizeof(tlsmsg))) {
		result_set(res, STATE_CRITICAL, reason, "%s", tlsmsg);
	} else if (rc == CURLE_OUT_OF_MEMORY &&
	    info_seconds(t->curl, CURLINFO_STARTTRANSFER_TIME_T) > 0) {
		/* libcurl's answer to a header line over its cap */
		result_set(res, STATE_CRITICAL, REASON_PROTOCOL,
		    "invalid HTTP response: headers over libcurl's "
		    "size limit");
	} else {
		result_set(res, STATE_CRITICAL, reason, "%s%s",
		    reason == REASON_TLS            ? "TLS handshake failed: "
			: reason == REASON_PROTOCOL ? "invalid HTTP response: "
						    : "",
		    why);
	}
	if (ctx->seen.chain[0].present) {
		/* metrics only: the failure above is the verdict */
		struct verdict ignored;

		memset(&ignored, 0, sizeof(ignored));
		check_cert(&t->cf, ctx, res, &ignored);
	}
	long_tls(res, ctx);
}

static void
http_finish(struct probe_transfer *t, int code, struct probe_result *res)
{
	const struct http_conf *cf = &t->cf;
	const struct http_ctx *ctx = t->ctx;
	CURLcode rc = (CURLcode)code;
	struct verdict v;
	struct metric *m;
	char tlsmsg[400];
	double total = 0.0;
	long status = 0, hver = 0;

	memset(&v, 0, sizeof(v));
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->curl, CURLINFO_HTTP_VERSION, &hver);
	add_time_metrics(t->curl, cf, ctx->https, res, &total);
	if (rc != CURLE_OK) {
		judge_failure(t, rc, total, res);
		goto out;
	}

	if (ctx->seen.chain[0].present) {
		if (cf->insecure &&
		    tls_problem_text(ctx, tlsmsg, sizeof(tlsmsg)))
			result_long(
			    res, "not verified (--insecure): %s", tlsmsg);
		if (cf->insecure)
			check_cert_dates_insecure(cf, ctx, &v);
		check_cert(cf, ctx, res, &v);
	}
	if (cf->cert_mode) {
		long_tls(res, ctx);
		if (v.len == 0)
			verdict_add(&v, STATE_OK, REASON_NONE,
			    "TLS handshake OK (%s)", ctx->tls_version);
		result_set(res, v.state, v.reason, "%s", v.text);
		goto out;
	}

	check_status(t->args, cf, status, &v);
	check_content(cf, ctx, &v);
	if (cf->http2 && hver != CURL_HTTP_VERSION_2_0)
		verdict_add(&v, STATE_WARNING, REASON_PROTOCOL,
		    "server did not negotiate HTTP/2");
	if (range_alerts(&cf->crit, total))
		verdict_add(&v, STATE_CRITICAL, REASON_THRESHOLD,
		    "response time %.3f s over %s", total, cf->crit.text);
	else if (range_alerts(&cf->warn, total))
		verdict_add(&v, STATE_WARNING, REASON_THRESHOLD,
		    "response time %.3f s over %s", total, cf->warn.text);

	if ((m = result_metric(
		 res, "size", (double)ctx->size, "B", DS_GAUGE)) != NULL) {
		m->has_min = true;
		if (cf->have_size)
			range_from_bounds(&m->warn, (double)cf->size_min,
			    cf->size_max >= 0 ? (double)cf->size_max
					      : INFINITY);
	}
	result_metric(res, "status", (double)status, "", DS_GAUGE);

	result_set(res, v.state, v.reason,
	    "%s%s%s - %zu bytes in %.3f second "
	    "response time",
	    ctx->status_line[0] ? ctx->status_line : "no status line",
	    v.len ? " - " : "", v.text, ctx->size, total);
	if (ctx->redirects_len > 0)
		result_long(res, "redirects: %s", ctx->redirects);
	result_long(res, "HTTP version: %s",
	    hver == CURL_HTTP_VERSION_2_0       ? "2"
		: hver == CURL_HTTP_VERSION_1_0 ? "1.0"
		: hver == CURL_HTTP_VERSION_3   ? "3"
						: "1.1");
	long_tls(res, ctx);
out:
	transfer_end(t, res);
}

/* A regex runs over up to 1 MiB of a server's body: not on the loop. */
static bool
http_loop_transfer(const struct args *args)
{
	return args_string(args, "regex") == NULL;
}

static int
http_run(const struct probe_run *run, struct probe_result *res)
{
	void *easy = NULL;
	struct probe_transfer *t = http_start(run, res, &easy);

	if (t != NULL)
		http_finish(t, curl_easy_perform(easy), res);
	return 0;
}

const struct probe probe_http = {
	.name = "http",
	.summary = "HTTP(S) request: status, content, timings, TLS certificate",
	.usage = "-u URL | -H HOST [-p PORT] [-S] [--path PATH] [-I ADDR] "
	    "[-e CODES] [-s STRING] [-r REGEX] [-w SECS] [-c SECS] "
	    "[-C WARN[,CRIT]] [-f follow] [--ca-file FILE]",
	.options = http_options,
	.munin = {
		.title = "HTTP response",
		.category = "network",
		.vlabel = "seconds",
		.args = "--base 1000 -l 0",
	},
	.run = http_run,
	.start = http_start,
	.finish = http_finish,
	.loop_transfer = http_loop_transfer,
};
