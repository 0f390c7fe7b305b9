/*
 * Certificate inspection for the http probe, with openssl: what a server's
 * chain says (names, dates, days left) and why verification failed, in a
 * closed set of problems.  Pure functions of the certificates given, so the
 * fuzz target (tests/fuzz/fuzz_http_cert.c) feeds them arbitrary DER.
 */
#ifndef OSEMON_HTTP_CERT_H
#define OSEMON_HTTP_CERT_H

#include <stdbool.h>

#include <openssl/x509.h>

#define HTTP_CERT_NAME_MAX 256
#define HTTP_CERT_SANS_MAX 512
#define HTTP_CERT_DATE_MAX 48
#define HTTP_CHAIN_MAX 10

/* Why a chain is not trusted, most telling first. */
enum http_tls_problem {
	TLS_PROBLEM_NONE = 0,
	TLS_PROBLEM_EXPIRED,
	TLS_PROBLEM_NOT_YET_VALID,
	TLS_PROBLEM_SELF_SIGNED,
	TLS_PROBLEM_UNTRUSTED,
	TLS_PROBLEM_BAD_NAME,
	TLS_PROBLEM_OTHER,
	TLS_PROBLEM_COUNT
};

struct http_cert_info {
	bool present;
	bool dates_ok; /* both dates parsed */
	char subject[HTTP_CERT_NAME_MAX]; /* one-line RFC 2253 */
	char issuer[HTTP_CERT_NAME_MAX];
	char common_name[HTTP_CERT_NAME_MAX];
	char sans[HTTP_CERT_SANS_MAX]; /* "DNS:a, IP:1.2.3.4" */
	char not_before[HTTP_CERT_DATE_MAX]; /* "Jan  2 03:04:05 2027 GMT" */
	char not_after[HTTP_CERT_DATE_MAX];
	long days_left; /* floor of days until notAfter; < 0 expired */
	long days_expired; /* whole days since notAfter, when expired */
	long days_to_valid; /* > 0 while not yet valid */
};

/* What verification saw, filled by http_tls_record for each callback. */
struct http_tls_seen {
	struct http_cert_info chain[HTTP_CHAIN_MAX]; /* by depth, 0 = leaf */
	int depth_max; /* highest depth seen, -1 for none */
	unsigned problems; /* bit (1u << enum http_tls_problem) */
	int first_error; /* first X509_V_ERR_* seen, 0 for none */
	int first_error_depth;
};

void http_tls_seen_init(struct http_tls_seen *seen);
/* Record one verify-callback call: cert at depth, X509_V_ERR_* err. */
void http_tls_record(
    struct http_tls_seen *seen, X509 *cert, int depth, int err);
/* Fill ci from x; never fails (fields stay empty when absent). */
void http_cert_describe(X509 *x, struct http_cert_info *ci);
/* Floor of days from now until t; -1 when t does not parse. */
int http_cert_days_until(const ASN1_TIME *t, long *days);
enum http_tls_problem http_tls_problem_of(int x509_err);
const char *http_tls_problem_name(enum http_tls_problem p);
/* Does the leaf match host (DNS name or IP literal)? */
bool http_cert_matches_host(X509 *x, const char *host);
/* The chain member (depth) expiring first; -1 when none. */
int http_tls_earliest(const struct http_tls_seen *seen);

#endif
