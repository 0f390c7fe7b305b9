/* Pure helpers of the http probe: URL building and option value parsing. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_url.h"
#include "util.h"

static void
err_set(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		str_copy(err, msg, errlen);
}

/* Bytes a host name or address may hold (IDN must come as punycode). */
static bool
host_chars_ok(const char *h, bool v6)
{
	const unsigned char *p;

	if (*h == '\0')
		return false;
	for (p = (const unsigned char *)h; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_')
			continue;
		if (v6 && (*p == ':' || *p == '%'))
			continue;
		return false;
	}
	return true;
}

/* Printable ASCII without space: what may stand in a URL we send. */
static bool
url_chars_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

int
http_hostport_split(const char *in, char *host, size_t hostlen, long *port)
{
	const char *end, *colon;
	size_t n;
	char buf[8];
	bool v6 = false;

	*port = 0;
	if (in == NULL || *in == '\0' || hostlen == 0)
		return -1;
	if (in[0] == '[') {
		end = strchr(in, ']');
		if (end == NULL)
			return -1;
		n = (size_t)(end - in - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		in++;
		v6 = true;
	} else {
		colon = strchr(in, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			/* two colons or more: a bare IPv6 address, no port */
			n = strlen(in);
			colon = NULL;
			v6 = true;
		} else {
			n = colon != NULL ? (size_t)(colon - in) : strlen(in);
		}
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, in, n);
	host[n] = '\0';
	if (!host_chars_ok(host, v6))
		return -1;
	if (colon != NULL) {
		if (strlen(colon + 1) >= sizeof(buf))
			return -1;
		str_copy(buf, colon + 1, sizeof(buf));
		if (parse_long(buf, 1, 65535, port) != 0)
			return -1;
	}
	return 0;
}

static int
full_url(const struct http_target *t, char *out, size_t outlen, char *host,
    size_t hostlen, long *port, bool *https, char *err, size_t errlen)
{
	const char *rest;
	char authority[HTTP_HOST_MAX + 16];
	size_t n;

	if (strncasecmp(t->url, "https://", 8) == 0) {
		*https = true;
		rest = t->url + 8;
	} else if (strncasecmp(t->url, "http://", 7) == 0) {
		*https = false;
		rest = t->url + 7;
	} else {
		err_set(err, errlen, "URL scheme must be http or https");
		return -1;
	}
	if (t->host != NULL || t->path != NULL || t->port != 0) {
		err_set(
		    err, errlen, "a full URL in -u excludes -H, -p and --path");
		return -1;
	}
	if (!url_chars_ok(t->url)) {
		err_set(err, errlen, "URL holds spaces or control characters");
		return -1;
	}
	n = strcspn(rest, "/?#");
	if (memchr(rest, '@', n) != NULL) {
		err_set(err, errlen, "credentials in the URL: use --auth-file");
		return -1;
	}
	if (n == 0 || n >= sizeof(authority)) {
		err_set(err, errlen, "URL has no valid host");
		return -1;
	}
	memcpy(authority, rest, n);
	authority[n] = '\0';
	if (http_hostport_split(authority, host, hostlen, port) != 0) {
		err_set(err, errlen, "URL has no valid host or port");
		return -1;
	}
	if (*port == 0)
		*port = *https ? 443 : 80;
	if (str_copy(out, t->url, outlen) >= outlen) {
		err_set(err, errlen, "URL too long");
		return -1;
	}
	return 0;
}

int
http_url_build(const struct http_target *t, char *out, size_t outlen,
    char *host, size_t hostlen, long *port, bool *https, char *err,
    size_t errlen)
{
	const char *path = "/", *hostarg;
	long hport = 0;
	size_t len = 0;
	bool v6, defport;

	*port = 0;
	*https = t->ssl;
	if (outlen == 0 || hostlen == 0)
		return -1;
	out[0] = '\0';
	if (t->url != NULL && t->url[0] != '/')
		return full_url(
		    t, out, outlen, host, hostlen, port, https, err, errlen);
	if (t->url != NULL && t->path != NULL) {
		err_set(
		    err, errlen, "give the path with -u or --path, not both");
		return -1;
	}
	if (t->url != NULL)
		path = t->url;
	else if (t->path != NULL)
		path = t->path;
	if (path[0] != '/' || !url_chars_ok(path)) {
		err_set(err, errlen,
		    "path must start with '/' and hold no spaces or control "
		    "characters");
		return -1;
	}
	hostarg = t->host != NULL ? t->host : t->address;
	if (hostarg == NULL) {
		err_set(err, errlen,
		    "no target: give -u URL, -H host or -I address");
		return -1;
	}
	if (http_hostport_split(hostarg, host, hostlen, &hport) != 0) {
		err_set(err, errlen, "invalid host name or port in -H");
		return -1;
	}
	if (t->port != 0)
		*port = t->port;
	else if (hport != 0)
		*port = hport;
	else
		*port = *https ? 443 : 80;
	v6 = strchr(host, ':') != NULL;
	defport = *port == (*https ? 443 : 80);
	str_appendf(out, outlen, &len, "%s://%s%s%s", *https ? "https" : "http",
	    v6 ? "[" : "", host, v6 ? "]" : "");
	if (!defport)
		str_appendf(out, outlen, &len, ":%ld", *port);
	str_appendf(out, outlen, &len, "%s", path);
	if (len >= outlen - 1) {
		err_set(err, errlen, "URL too long");
		return -1;
	}
	return 0;
}

int
http_status_parse(const char *text, long *code)
{
	return parse_long(text, 100, 599, code);
}

int
http_pagesize_parse(const char *text, long *min, long *max)
{
	const char *colon;
	char buf[32];
	size_t n;

	*min = 0;
	*max = -1;
	if (text == NULL || *text == '\0')
		return -1;
	colon = strchr(text, ':');
	n = colon != NULL ? (size_t)(colon - text) : strlen(text);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (n > 0 && parse_long(buf, 0, 0x7fffffffffffffffL, min) != 0)
		return -1;
	if (colon == NULL) {
		if (n == 0)
			return -1;
		return 0;
	}
	if (colon[1] == '\0')
		return n > 0 ? 0 : -1;
	if (parse_long(colon + 1, 0, 0x7fffffffffffffffL, max) != 0)
		return -1;
	return *max >= *min ? 0 : -1;
}

int
http_certdays_parse(const char *text, long *warn, long *crit)
{
	const char *comma;
	char buf[32];
	size_t n;

	*warn = 0;
	*crit = 0;
	if (text == NULL)
		return -1;
	comma = strchr(text, ',');
	n = comma != NULL ? (size_t)(comma - text) : strlen(text);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (parse_long(buf, 0, 36500, warn) != 0)
		return -1;
	if (comma != NULL && parse_long(comma + 1, 0, 36500, crit) != 0)
		return -1;
	return *crit <= *warn ? 0 : -1;
}

int
http_tls_version_parse(const char *text)
{
	static const char *const names[] = { "1.0", "1.1", "1.2", "1.3" };
	size_t i;

	if (text == NULL)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(text, names[i]) == 0)
			return 10 + (int)i;
	return -1;
}

/* RFC 9110 tchar. */
static bool
is_tchar(unsigned char c)
{
	return isalnum(c) ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool
http_header_valid(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	if (text == NULL || !is_tchar(*p))
		return false;
	while (is_tchar(*p))
		p++;
	if (*p != ':')
		return false;
	for (p++; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return strlen(text) < 8192;
}

bool
http_method_valid(const char *text)
{
	const unsigned char *p;

	if (text == NULL || *text == '\0' || strlen(text) > 32)
		return false;
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (!is_tchar(*p))
			return false;
	return true;
}
