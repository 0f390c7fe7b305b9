/* libFuzzer: the http probe's target and option value parsing.  Input is
 * "url\nhost\npath\naddress\nflags", any field may be empty (NULL). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
field(char **cur)
{
	char *s = *cur, *nl;

	if (s == NULL)
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = NULL;
	}
	return *s != '\0' ? s : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], copy[4096], *cur = copy;
	char out[HTTP_URL_MAX], host[HTTP_HOST_MAX], err[HTTP_ERR_MAX];
	struct http_target t;
	long a, b, port;
	bool https;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memcpy(copy, text, size + 1);

	(void)http_status_parse(text, &a);
	if (http_pagesize_parse(text, &a, &b) == 0 && b >= 0 && b < a)
		__builtin_trap();
	if (http_certdays_parse(text, &a, &b) == 0 && b > a)
		__builtin_trap();
	(void)http_tls_version_parse(text);
	(void)http_header_valid(text);
	(void)http_method_valid(text);
	if (http_hostport_split(text, host, sizeof(host), &port) == 0 &&
	    (host[0] == '\0' || port < 0 || port > 65535))
		__builtin_trap();

	memset(&t, 0, sizeof(t));
	t.url = field(&cur);
	t.host = field(&cur);
	t.path = field(&cur);
	t.address = field(&cur);
	if (cur != NULL && *cur != '\0') {
		t.ssl = (*cur & 1) != 0;
		t.port = (*cur & 2) ? 8443 : 0;
	}
	if (http_url_build(&t, out, sizeof(out), host, sizeof(host), &port,
		&https, err, sizeof(err)) == 0) {
		/* a built URL is absolute http(s), bounded, with a sane port */
		if (strncasecmp(out, "http", 4) != 0)
			__builtin_trap();
		if (strlen(out) >= sizeof(out) || port < 1 || port > 65535 ||
		    host[0] == '\0')
			__builtin_trap();
	} else if (err[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
