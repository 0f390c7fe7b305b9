/* Certificate inspection for the http probe (openssl). */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "http_cert.h"
#include "util.h"

void
http_tls_seen_init(struct http_tls_seen *seen)
{
	memset(seen, 0, sizeof(*seen));
	seen->depth_max = -1;
	seen->first_error_depth = -1;
}

int
http_cert_days_until(const ASN1_TIME *t, long *days)
{
	int d = 0, s = 0;

	*days = 0;
	if (t == NULL || ASN1_TIME_check(t) != 1)
		return -1;
	if (ASN1_TIME_diff(&d, &s, NULL, t) != 1)
		return -1;
	/* d and s share a sign; round toward minus infinity */
	*days = d;
	if (d <= 0 && s < 0)
		*days -= 1;
	return 0;
}

static void
asn1_time_text(const ASN1_TIME *t, char *buf, size_t size)
{
	BIO *bio = NULL;
	int n;

	buf[0] = '\0';
	if (t == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (ASN1_TIME_print(bio, t) == 1) {
		n = BIO_read(bio, buf, (int)size - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
}

static void
name_text(const X509_NAME *name, char *buf, size_t size)
{
	BIO *bio = NULL;
	int n;

	buf[0] = '\0';
	if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(
		bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(bio, buf, (int)size - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
}

/* Append s to buf, replacing control bytes: names come from the peer. */
static void
append_clean(
    char *buf, size_t size, size_t *len, const unsigned char *s, int slen)
{
	int i;

	for (i = 0; i < slen && *len + 1 < size; i++) {
		buf[*len] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
		(*len)++;
	}
	buf[*len] = '\0';
}

static void
sans_text(X509 *x, char *buf, size_t size)
{
	GENERAL_NAMES *names = NULL;
	const GENERAL_NAME *gn;
	const unsigned char *ip;
	char addr[64];
	size_t len = 0;
	int i, n, j;

	buf[0] = '\0';
	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return;
	n = sk_GENERAL_NAME_num(names);
	for (i = 0; i < n; i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_DNS) {
			str_appendf(buf, size, &len, "%sDNS:", len ? ", " : "");
			append_clean(buf, size, &len,
			    ASN1_STRING_get0_data(gn->d.dNSName),
			    ASN1_STRING_length(gn->d.dNSName));
		} else if (gn->type == GEN_IPADD) {
			ip = ASN1_STRING_get0_data(gn->d.iPAddress);
			addr[0] = '\0';
			if (ASN1_STRING_length(gn->d.iPAddress) == 4) {
				snprintf(addr, sizeof(addr), "%u.%u.%u.%u",
				    ip[0], ip[1], ip[2], ip[3]);
			} else if (ASN1_STRING_length(gn->d.iPAddress) == 16) {
				size_t al = 0;

				for (j = 0; j < 16; j += 2)
					str_appendf(addr, sizeof(addr), &al,
					    "%s%x", j ? ":" : "",
					    (unsigned)(ip[j] << 8 | ip[j + 1]));
			}
			str_appendf(
			    buf, size, &len, "%sIP:%s", len ? ", " : "", addr);
		}
	}
	GENERAL_NAMES_free(names);
}

static void
common_name(X509 *x, char *buf, size_t size)
{
	const X509_NAME *name = X509_get_subject_name(x);
	const X509_NAME_ENTRY *e;
	const ASN1_STRING *s;
	size_t len = 0;
	int i;

	buf[0] = '\0';
	if (name == NULL)
		return;
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || (e = X509_NAME_get_entry(name, i)) == NULL)
		return;
	s = X509_NAME_ENTRY_get_data(e);
	append_clean(
	    buf, size, &len, ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
}

void
http_cert_describe(X509 *x, struct http_cert_info *ci)
{
	long before = 0;
	int okb, oka;

	memset(ci, 0, sizeof(*ci));
	if (x == NULL)
		return;
	ci->present = true;
	name_text(X509_get_subject_name(x), ci->subject, sizeof(ci->subject));
	name_text(X509_get_issuer_name(x), ci->issuer, sizeof(ci->issuer));
	common_name(x, ci->common_name, sizeof(ci->common_name));
	sans_text(x, ci->sans, sizeof(ci->sans));
	asn1_time_text(
	    X509_get0_notBefore(x), ci->not_before, sizeof(ci->not_before));
	asn1_time_text(
	    X509_get0_notAfter(x), ci->not_after, sizeof(ci->not_after));
	oka = http_cert_days_until(X509_get0_notAfter(x), &ci->days_left);
	if (oka == 0 && ci->days_left < 0) {
		int d = 0, sec = 0;

		if (ASN1_TIME_diff(&d, &sec, X509_get0_notAfter(x), NULL) == 1)
			ci->days_expired = d;
	}
	okb = http_cert_days_until(X509_get0_notBefore(x), &before);
	ci->dates_ok = oka == 0 && okb == 0;
	/* notBefore in the future: days until it becomes valid, rounded up */
	ci->days_to_valid = 0;
	if (okb == 0 && X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		ci->days_to_valid = before + 1;
}

enum http_tls_problem
http_tls_problem_of(int err)
{
	switch (err) {
	case X509_V_OK:
		return TLS_PROBLEM_NONE;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return TLS_PROBLEM_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_PROBLEM_NOT_YET_VALID;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return TLS_PROBLEM_SELF_SIGNED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return TLS_PROBLEM_UNTRUSTED;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return TLS_PROBLEM_BAD_NAME;
	default:
		return TLS_PROBLEM_OTHER;
	}
}

const char *
http_tls_problem_name(enum http_tls_problem p)
{
	static const char *const names[TLS_PROBLEM_COUNT] = {
		[TLS_PROBLEM_NONE] = "ok",
		[TLS_PROBLEM_EXPIRED] = "expired",
		[TLS_PROBLEM_NOT_YET_VALID] = "not yet valid",
		[TLS_PROBLEM_SELF_SIGNED] = "self-signed",
		[TLS_PROBLEM_UNTRUSTED] = "untrusted",
		[TLS_PROBLEM_BAD_NAME] = "wrong host name",
		[TLS_PROBLEM_OTHER] = "invalid",
	};

	if ((int)p < 0 || p >= TLS_PROBLEM_COUNT)
		return "invalid";
	return names[p];
}

void
http_tls_record(struct http_tls_seen *seen, X509 *cert, int depth, int err)
{
	enum http_tls_problem p;

	if (depth < 0 || depth >= HTTP_CHAIN_MAX)
		return;
	if (cert != NULL && !seen->chain[depth].present)
		http_cert_describe(cert, &seen->chain[depth]);
	if (depth > seen->depth_max)
		seen->depth_max = depth;
	if (err == X509_V_OK)
		return;
	p = http_tls_problem_of(err);
	seen->problems |= 1u << p;
	if (seen->first_error == 0) {
		seen->first_error = err;
		seen->first_error_depth = depth;
	}
}

bool
http_cert_matches_host(X509 *x, const char *host)
{
	if (x == NULL || host == NULL || *host == '\0')
		return false;
	if (strchr(host, ':') != NULL ||
	    strspn(host, "0123456789.") == strlen(host))
		return X509_check_ip_asc(x, host, 0) == 1;
	return X509_check_host(x, host, strlen(host),
		   X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

int
http_tls_earliest(const struct http_tls_seen *seen)
{
	int i, best = -1;

	for (i = 0; i <= seen->depth_max && i < HTTP_CHAIN_MAX; i++) {
		if (!seen->chain[i].present || !seen->chain[i].dates_ok)
			continue;
		if (best < 0 ||
		    seen->chain[i].days_left < seen->chain[best].days_left)
			best = i;
	}
	return best;
}
