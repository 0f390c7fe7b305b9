/* libFuzzer: certificate inspection of the http probe on arbitrary DER
 * (or PEM) certificates: names, SANs, odd dates, days left. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	struct http_tls_seen seen;
	struct http_cert_info ci;
	X509 *x = NULL;
	BIO *bio = NULL;

	if (size > 65536)
		return 0;
	if (size > 10 && memcmp(data, "-----BEGIN", 10) == 0) {
		bio = BIO_new_mem_buf(data, (int)size);
		if (bio != NULL)
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		x = d2i_X509(NULL, &p, (long)size);
	}
	if (x == NULL)
		return 0;
	http_cert_describe(x, &ci);
	if (strlen(ci.subject) >= sizeof(ci.subject) ||
	    strlen(ci.sans) >= sizeof(ci.sans) ||
	    strlen(ci.not_after) >= sizeof(ci.not_after))
		__builtin_trap();
	(void)http_cert_matches_host(x, "localhost");
	(void)http_cert_matches_host(x, "127.0.0.1");
	(void)http_cert_matches_host(x, "::1");
	http_tls_seen_init(&seen);
	http_tls_record(&seen, x, 0, X509_V_ERR_CERT_HAS_EXPIRED);
	http_tls_record(&seen, x, 1, X509_V_OK);
	(void)http_tls_earliest(&seen);
	X509_free(x);
	return 0;
}
