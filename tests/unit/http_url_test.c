/* Unit tests of the http probe's pure helpers: URL building, option
 * values, certificate days and problem classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "http_cert.h"
#include "http_url.h"

struct url_case {
	const char *url, *host, *path, *address;
	long port;
	bool ssl;
	int rc;
	const char *want_url, *want_host;
	long want_port;
	bool want_https;
};

static const struct url_case url_cases[] = {
	{ "http://example.com/", NULL, NULL, NULL, 0, false, 0,
	    "http://example.com/", "example.com", 80, false },
	{ "https://example.com:8443/a?b=c", NULL, NULL, NULL, 0, false, 0,
	    "https://example.com:8443/a?b=c", "example.com", 8443, true },
	{ "HTTPS://example.com", NULL, NULL, NULL, 0, false, 0,
	    "HTTPS://example.com", "example.com", 443, true },
	{ "http://[::1]:8080/x", NULL, NULL, NULL, 0, false, 0,
	    "http://[::1]:8080/x", "::1", 8080, false },
	{ NULL, "example.com", NULL, NULL, 0, false, 0, "http://example.com/",
	    "example.com", 80, false },
	{ NULL, "example.com", "/status?full", NULL, 8080, true, 0,
	    "https://example.com:8080/status?full", "example.com", 8080, true },
	{ NULL, "example.com:8081", NULL, NULL, 0, false, 0,
	    "http://example.com:8081/", "example.com", 8081, false },
	{ NULL, "example.com", NULL, NULL, 443, true, 0, "https://example.com/",
	    "example.com", 443, true },
	{ "/health", "example.com", NULL, NULL, 0, false, 0,
	    "http://example.com/health", "example.com", 80, false },
	{ NULL, NULL, NULL, "127.0.0.1", 0, false, 0, "http://127.0.0.1/",
	    "127.0.0.1", 80, false },
	{ NULL, "::1", NULL, NULL, 0, false, 0, "http://[::1]/", "::1", 80,
	    false },
	{ NULL, "[::1]:81", NULL, NULL, 0, false, 0, "http://[::1]:81/", "::1",
	    81, false },
	/* refused */
	{ "ftp://example.com/", NULL, NULL, NULL, 0, false, -1, NULL, NULL, 0,
	    false },
	{ "http://u:p@example.com/", NULL, NULL, NULL, 0, false, -1, NULL, NULL,
	    0, false },
	{ "http://example.com:0/", NULL, NULL, NULL, 0, false, -1, NULL, NULL,
	    0, false },
	{ "http://example.com:65536/", NULL, NULL, NULL, 0, false, -1, NULL,
	    NULL, 0, false },
	{ "http:///x", NULL, NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ "http://exa mple.com/", NULL, NULL, NULL, 0, false, -1, NULL, NULL, 0,
	    false },
	{ "http://example.com/", "example.com", NULL, NULL, 0, false, -1, NULL,
	    NULL, 0, false },
	{ "example.com", NULL, NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, NULL, NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, "example.com", "noslash", NULL, 0, false, -1, NULL, NULL, 0,
	    false },
	{ "/a", "example.com", "/b", NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, "exa/mple", NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, "[::1", NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, "host:", NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, "host:12x", NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
	{ NULL, "[::1]x", NULL, NULL, 0, false, -1, NULL, NULL, 0, false },
};

static void
test_url_build(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		const struct url_case *c = &url_cases[i];
		struct http_target t = { c->url, c->host, c->path, c->address,
			c->port, c->ssl };
		char out[HTTP_URL_MAX], host[HTTP_HOST_MAX], err[HTTP_ERR_MAX];
		long port = -1;
		bool https = false;
		int rc;

		err[0] = '\0';
		rc = http_url_build(&t, out, sizeof(out), host, sizeof(host),
		    &port, &https, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("case %zu: rc %d, wanted %d (%s)", i, rc,
			    c->rc, err);
		if (rc != 0) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_string_equal(out, c->want_url);
		assert_string_equal(host, c->want_host);
		assert_int_equal(port, c->want_port);
		assert_int_equal(https, c->want_https);
	}
}

static void
test_url_too_long(void **state)
{
	char path[HTTP_URL_MAX + 10], out[HTTP_URL_MAX], host[HTTP_HOST_MAX];
	char err[HTTP_ERR_MAX];
	struct http_target t = { NULL, "h", path, NULL, 0, false };
	long port;
	bool https;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(http_url_build(&t, out, sizeof(out), host,
			     sizeof(host), &port, &https, err, sizeof(err)),
	    -1);
}

static void
test_option_values(void **state)
{
	long a, b;

	(void)state;
	assert_int_equal(http_status_parse("200", &a), 0);
	assert_int_equal(a, 200);
	assert_int_equal(http_status_parse("99", &a), -1);
	assert_int_equal(http_status_parse("600", &a), -1);
	assert_int_equal(http_status_parse("2xx", &a), -1);
	assert_int_equal(http_status_parse("", &a), -1);

	assert_int_equal(http_pagesize_parse("100", &a, &b), 0);
	assert_int_equal(a, 100);
	assert_int_equal(b, -1);
	assert_int_equal(http_pagesize_parse("100:2000", &a, &b), 0);
	assert_int_equal(b, 2000);
	assert_int_equal(http_pagesize_parse(":2000", &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(http_pagesize_parse("100:", &a, &b), 0);
	assert_int_equal(b, -1);
	assert_int_equal(http_pagesize_parse("10:5", &a, &b), -1);
	assert_int_equal(http_pagesize_parse(":", &a, &b), -1);
	assert_int_equal(http_pagesize_parse("", &a, &b), -1);
	assert_int_equal(http_pagesize_parse("-1", &a, &b), -1);
	assert_int_equal(http_pagesize_parse("1:2:3", &a, &b), -1);

	assert_int_equal(http_certdays_parse("30,14", &a, &b), 0);
	assert_int_equal(a, 30);
	assert_int_equal(b, 14);
	assert_int_equal(http_certdays_parse("30", &a, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(http_certdays_parse("14,30", &a, &b), -1);
	assert_int_equal(http_certdays_parse(",3", &a, &b), -1);
	assert_int_equal(http_certdays_parse("30,", &a, &b), -1);
	assert_int_equal(http_certdays_parse("x", &a, &b), -1);

	assert_int_equal(http_tls_version_parse("1.2"), 12);
	assert_int_equal(http_tls_version_parse("1.3"), 13);
	assert_int_equal(http_tls_version_parse("1.4"), -1);
	assert_int_equal(http_tls_version_parse("TLSv1.2"), -1);

	assert_true(http_header_valid("X-A: b"));
	assert_true(http_header_valid("X-A:"));
	assert_false(http_header_valid("X A: b"));
	assert_false(http_header_valid(": b"));
	assert_false(http_header_valid("X-A b"));
	assert_false(http_header_valid("X-A: b\r\nX-Evil: 1"));

	assert_true(http_method_valid("GET"));
	assert_true(http_method_valid("PROPFIND"));
	assert_false(http_method_valid("GET /"));
	assert_false(http_method_valid(""));
}

/* A certificate with notBefore/notAfter offsets in seconds from now. */
static X509 *
make_cert(long before, long after, const char *cn, const char *san)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), before);
	X509_gmtime_adj(X509_getm_notAfter(x), after);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(
	    name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (san != NULL) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, key, EVP_sha256());
	EVP_PKEY_free(key);
	return x;
}

static void
test_cert_describe(void **state)
{
	struct http_cert_info ci;
	X509 *x;

	(void)state;
	x = make_cert(-86400, 10 * 86400 + 3600, "www.test",
	    "DNS:www.test, DNS:*.w.test, IP:10.1.2.3, IP:::1");
	http_cert_describe(x, &ci);
	assert_true(ci.present);
	assert_true(ci.dates_ok);
	assert_int_equal(ci.days_left, 10);
	assert_int_equal(ci.days_to_valid, 0);
	assert_string_equal(ci.common_name, "www.test");
	assert_string_equal(ci.subject, "CN=www.test");
	assert_string_equal(ci.sans,
	    "DNS:www.test, DNS:*.w.test, IP:10.1.2.3, IP:0:0:0:0:0:0:0:1");
	assert_true(http_cert_matches_host(x, "www.test"));
	assert_true(http_cert_matches_host(x, "api.w.test"));
	assert_false(http_cert_matches_host(x, "a.b.w.test"));
	assert_false(http_cert_matches_host(x, "www.other"));
	assert_true(http_cert_matches_host(x, "10.1.2.3"));
	assert_true(http_cert_matches_host(x, "::1"));
	assert_false(http_cert_matches_host(x, "10.1.2.4"));
	X509_free(x);

	/* expired 5 days and an hour ago */
	x = make_cert(-90 * 86400, -5 * 86400 - 3600, "old", NULL);
	http_cert_describe(x, &ci);
	assert_int_equal(ci.days_left, -6);
	assert_int_equal(ci.days_expired, 5);
	assert_string_equal(ci.sans, "");
	X509_free(x);

	/* valid from 3 days on */
	x = make_cert(3 * 86400 - 60, 90 * 86400, "new", NULL);
	http_cert_describe(x, &ci);
	assert_int_equal(ci.days_to_valid, 3);
	X509_free(x);

	http_cert_describe(NULL, &ci);
	assert_false(ci.present);
}

static void
test_tls_record(void **state)
{
	struct http_tls_seen seen;
	X509 *leaf, *inter;

	(void)state;
	leaf = make_cert(-86400, 80 * 86400, "leaf", "DNS:leaf");
	inter = make_cert(-86400, 20 * 86400 + 60, "inter", NULL);
	http_tls_seen_init(&seen);
	assert_int_equal(http_tls_earliest(&seen), -1);
	http_tls_record(&seen, inter, 1, X509_V_OK);
	http_tls_record(&seen, leaf, 0, X509_V_ERR_CERT_HAS_EXPIRED);
	http_tls_record(&seen, leaf, 0, X509_V_ERR_HOSTNAME_MISMATCH);
	http_tls_record(&seen, leaf, 99, X509_V_OK); /* ignored */
	assert_int_equal(seen.depth_max, 1);
	assert_int_equal(seen.first_error, X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(seen.first_error_depth, 0);
	assert_true(seen.problems & (1u << TLS_PROBLEM_EXPIRED));
	assert_true(seen.problems & (1u << TLS_PROBLEM_BAD_NAME));
	assert_int_equal(http_tls_earliest(&seen), 1);
	assert_int_equal(seen.chain[1].days_left, 20);
	X509_free(leaf);
	X509_free(inter);
}

static void
test_problem_classes(void **state)
{
	static const struct {
		int err;
		enum http_tls_problem p;
	} cases[] = {
		{ X509_V_OK, TLS_PROBLEM_NONE },
		{ X509_V_ERR_CERT_HAS_EXPIRED, TLS_PROBLEM_EXPIRED },
		{ X509_V_ERR_CERT_NOT_YET_VALID, TLS_PROBLEM_NOT_YET_VALID },
		{ X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
		    TLS_PROBLEM_SELF_SIGNED },
		{ X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
		    TLS_PROBLEM_SELF_SIGNED },
		{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
		    TLS_PROBLEM_UNTRUSTED },
		{ X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
		    TLS_PROBLEM_UNTRUSTED },
		{ X509_V_ERR_HOSTNAME_MISMATCH, TLS_PROBLEM_BAD_NAME },
		{ X509_V_ERR_CERT_REVOKED, TLS_PROBLEM_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(http_tls_problem_of(cases[i].err), cases[i].p);
	assert_string_equal(
	    http_tls_problem_name(TLS_PROBLEM_SELF_SIGNED), "self-signed");
	assert_string_equal(
	    http_tls_problem_name(TLS_PROBLEM_COUNT), "invalid");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_build),
		cmocka_unit_test(test_url_too_long),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_cert_describe),
		cmocka_unit_test(test_tls_record),
		cmocka_unit_test(test_problem_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
