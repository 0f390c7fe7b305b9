/* Unit tests of the http probe's shared CA store cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http_trust.h"

static char dir[64];

/* Write n self-signed certificates to path as PEM. */
static void
write_certs(const char *path, int n)
{
	FILE *fp = fopen(path, "w");
	int i;

	assert_non_null(fp);
	for (i = 0; i < n; i++) {
		EVP_PKEY *key = EVP_EC_gen("P-256");
		X509 *x = X509_new();
		char cn[32];

		snprintf(cn, sizeof(cn), "ca%d", i);
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), i + 1);
		X509_gmtime_adj(X509_getm_notBefore(x), -60);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400);
		X509_set_pubkey(x, key);
		X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
		    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
		X509_set_issuer_name(x, X509_get_subject_name(x));
		X509_sign(x, key, EVP_sha256());
		PEM_write_X509(fp, x);
		X509_free(x);
		EVP_PKEY_free(key);
	}
	fclose(fp);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/osemon-trust.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	http_trust_flush();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_shared_and_reloaded(void **state)
{
	char a[128], b[128], err[256];
	X509_STORE *s1, *s2, *s3, *s4;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.pem", dir);
	snprintf(b, sizeof(b), "%s/b.pem", dir);
	write_certs(a, 2);
	write_certs(b, 1);

	s1 = http_trust_get(a, err, sizeof(err));
	s2 = http_trust_get(a, err, sizeof(err));
	assert_non_null(s1);
	assert_ptr_equal(s1, s2); /* parsed once, shared */
	s3 = http_trust_get(b, err, sizeof(err));
	assert_non_null(s3);
	assert_ptr_not_equal(s1, s3); /* one store per file */

	write_certs(a, 3); /* the file changes: reloaded */
	s4 = http_trust_get(a, err, sizeof(err));
	assert_non_null(s4);
	assert_ptr_not_equal(s4, s1);
	/* the old store stays valid for whoever still holds it */
	assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(s1)), 2);
	assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(s4)), 3);
	X509_STORE_free(s1);
	X509_STORE_free(s2);
	X509_STORE_free(s3);
	X509_STORE_free(s4);
}

static void
test_errors(void **state)
{
	char path[128], err[256];
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.pem", dir);
	err[0] = '\0';
	assert_null(http_trust_get(path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read CA file"));

	snprintf(path, sizeof(path), "%s/garbage.pem", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("not a certificate\n", fp);
	fclose(fp);
	err[0] = '\0';
	assert_null(http_trust_get(path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot load CA certificates"));
}

static void
test_slots_bounded(void **state)
{
	char path[128], err[256];
	X509_STORE *first, *again;
	int i;

	(void)state;
	http_trust_flush();
	snprintf(path, sizeof(path), "%s/f0.pem", dir);
	write_certs(path, 1);
	first = http_trust_get(path, err, sizeof(err));
	assert_non_null(first);
	/* more files than slots: the least recently used goes */
	for (i = 1; i <= HTTP_TRUST_SLOTS; i++) {
		X509_STORE *s;

		snprintf(path, sizeof(path), "%s/f%d.pem", dir, i);
		write_certs(path, 1);
		s = http_trust_get(path, err, sizeof(err));
		assert_non_null(s);
		X509_STORE_free(s);
	}
	snprintf(path, sizeof(path), "%s/f0.pem", dir);
	again = http_trust_get(path, err, sizeof(err));
	assert_non_null(again);
	assert_ptr_not_equal(again, first); /* was evicted, parsed again */
	X509_STORE_free(first);
	X509_STORE_free(again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_and_reloaded),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_slots_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
