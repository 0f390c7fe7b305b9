/*
 * Pure helpers of the http probe: target URL building and the parsing of
 * its option values.  No libcurl state, no I/O, so they are unit-tested and
 * fuzzed on their own (tests/unit/http_url_test.c, tests/fuzz/fuzz_http_url.c).
 */
#ifndef OSEMON_HTTP_URL_H
#define OSEMON_HTTP_URL_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_URL_MAX 2048
#define HTTP_HOST_MAX 256
#define HTTP_ERR_MAX 256

/* Where to send the request, as the options gave it. */
struct http_target {
	const char *url; /* -u: full URL, or a path when it starts with '/' */
	const char *host; /* -H: host, host:port or [v6]:port */
	const char *path; /* --path */
	const char *address; /* -I: connect here instead of resolving host */
	long port; /* -p, 0 when not given */
	bool ssl; /* -S or -C: https when no scheme given */
};

/*
 * Build the absolute URL of t into out.  Fills host (without brackets)
 * and port (the effective one, 80/443 by default) for --resolve and the
 * certificate's name check.  Returns 0, or -1 with a message in err.
 */
int http_url_build(const struct http_target *t, char *out, size_t outlen,
    char *host, size_t hostlen, long *port, bool *https, char *err,
    size_t errlen);

/* Split "host", "host:port", "[v6]" or "[v6]:port"; *port is 0 when
 * absent.  Returns 0 or -1 (empty host, bad port, junk). */
int http_hostport_split(const char *in, char *host, size_t hostlen, long *port);

/* One -e item: an HTTP status code 100..599.  Returns 0 or -1. */
int http_status_parse(const char *text, long *code);

/* -m "MIN[:MAX]" bytes (MAX may be empty); *max is -1 when unbounded. */
int http_pagesize_parse(const char *text, long *min, long *max);

/* -C "WARN[,CRIT]" days; crit is 0 when omitted (check_http). */
int http_certdays_parse(const char *text, long *warn, long *crit);

/* --min-tls "1.0|1.1|1.2|1.3" as 10..13; -1 when invalid. */
int http_tls_version_parse(const char *text);

/* A request header "Name: value" with a token name and no CR/LF. */
bool http_header_valid(const char *text);

/* A method token (RFC 9110 tchar), at most 32 characters. */
bool http_method_valid(const char *text);

#endif
