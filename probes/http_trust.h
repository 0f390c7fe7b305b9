/*
 * Parsed CA files shared by every http check of the process.  Debian's
 * bundle (about 145 certificates) costs about 20 ms of CPU to parse and
 * 820 KiB once parsed: parsing it for every connection (libcurl 7.88)
 * costs CPU, keeping one copy per check costs memory, so the process keeps
 * one copy per file, behind a mutex, reloaded when the file's identity,
 * mtime or size change or after HTTP_TRUST_MAX_AGE seconds.
 */
#ifndef OSEMON_HTTP_TRUST_H
#define OSEMON_HTTP_TRUST_H

#include <stddef.h>

#include <openssl/x509_vfy.h>

#define HTTP_TRUST_MAX_AGE 3600.0
#define HTTP_TRUST_SLOTS 8

/* A new reference to the store for path (free it with X509_STORE_free),
 * or NULL with a message in err when the file cannot be read or holds no
 * certificate. */
X509_STORE *http_trust_get(const char *path, char *err, size_t errlen);
/* Drop every cached store (tests; references held elsewhere stay valid). */
void http_trust_flush(void);

#endif
