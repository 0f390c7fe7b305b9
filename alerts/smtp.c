/*
 * libesmtp delivery (collectd's notify_email idioms: one session per
 * attempt, every recipient's status checked, not just the session's).
 * libesmtp's own TLS context would trust whatever OpenSSL's defaults and
 * ~/.authenticate say and its host-name check is its own; we hand it an
 * SSL_CTX that verifies the chain against ca-file (or the system store)
 * and the host name or IP address through OpenSSL itself.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "smtp.h"
#include "util.h"

struct smtp_state {
	const struct smtp_conf *conf;
	const char *password;
	char user[SMTP_ADDR_MAX]; /* auth-client wants char * */
	char *pass;
	const char *msg;
	size_t msg_len, msg_pos;
	FILE *report;
	const char *prefix;
	struct smtp_outcome *out;
	char verify_error[256];
	bool auth_sent;
	bool auth_failed;
	char auth_reply[200];
	char last_reply[200];
};

static void smtp_report(struct smtp_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
smtp_report(struct smtp_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->report == NULL)
		return;
	fputs(st->prefix != NULL ? st->prefix : "", st->report);
	va_start(ap, fmt);
	vfprintf(st->report, fmt, ap);
	va_end(ap);
	fputc('\n', st->report);
	fflush(st->report);
}

static void smtp_set_error(struct smtp_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
smtp_set_error(struct smtp_outcome *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
}

int
smtp_server_host(const char *server, char *host, size_t size)
{
	const char *colon;
	size_t n;

	if (server[0] == '[') {
		const char *end = strchr(server, ']');

		if (end == NULL)
			return -1;
		n = (size_t)(end - server - 1);
		if (n == 0 || n >= size)
			return -1;
		memcpy(host, server + 1, n);
		host[n] = '\0';
		return 0;
	}
	colon = strrchr(server, ':');
	n = colon != NULL ? (size_t)(colon - server) : strlen(server);
	if (n == 0 || n >= size)
		return -1;
	memcpy(host, server, n);
	host[n] = '\0';
	return 0;
}

/* Copy a server reply line without its CRLF, controls cleaned. */
static void
smtp_reply_copy(char *dst, size_t size, const char *buf, int len)
{
	size_t n = len > 0 ? (size_t)len : 0;

	if (n >= size)
		n = size - 1;
	memcpy(dst, buf, n);
	dst[n] = '\0';
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '\r'))
		dst[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20)
			dst[i] = ' ';
}

/*
 * The protocol monitor: only what the server says is looked at (what we
 * write carries the AUTH secret and is never copied anywhere).
 */
static void
smtp_monitor(const char *buf, int buflen, int writing, void *arg)
{
	struct smtp_state *st = arg;

	if (writing) {
		if (buflen >= 5 && strncmp(buf, "AUTH ", 5) == 0)
			st->auth_sent = true;
		return;
	}
	if (buflen < 3)
		return;
	smtp_reply_copy(st->last_reply, sizeof(st->last_reply), buf, buflen);
	if (!st->auth_sent || st->out->auth_ok || st->auth_failed)
		return;
	if (strncmp(buf, "235", 3) == 0) {
		st->out->auth_ok = true;
		smtp_report(st, "auth: ok (user %s)", st->conf->user);
	} else if (buf[0] == '5' || buf[0] == '4') {
		st->auth_failed = true;
		smtp_reply_copy(
		    st->auth_reply, sizeof(st->auth_reply), buf, buflen);
		smtp_report(st, "auth: FAILED for user %s: %s", st->conf->user,
		    st->auth_reply);
	}
}

static void
smtp_event(smtp_session_t session, int event, void *arg, ...)
{
	struct smtp_state *st = arg;
	va_list ap;
	int *ok;

	(void)session;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		st->out->connected = true;
		smtp_report(st, "connect %s: ok", st->out->server);
		break;
	case SMTP_EV_STARTTLS_OK: {
		SSL *ssl = va_arg(ap, SSL *);

		st->out->tls = true;
		smtp_report(st, "starttls: ok (%s, certificate verified)",
		    ssl != NULL ? SSL_get_version(ssl) : "TLS");
		break;
	}
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long result = va_arg(ap, long);

		ok = va_arg(ap, int *);
		*ok = 0;
		if (st->verify_error[0] == '\0')
			str_copy(st->verify_error,
			    X509_verify_cert_error_string(result),
			    sizeof(st->verify_error));
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 0;
		str_copy(st->verify_error, "no server certificate",
		    sizeof(st->verify_error));
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		/* libesmtp's own name match knows no IP SANs; OpenSSL already
		 * checked the name (X509_VERIFY_PARAM) during the handshake,
		 * so a verified chain here means the name matched. */
		ok = va_arg(ap, int *);
		*ok = st->verify_error[0] == '\0';
		break;
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 1;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		if (st->conf->starttls == SMTP_STARTTLS_REQUIRED)
			str_copy(st->verify_error,
			    "server does not offer STARTTLS",
			    sizeof(st->verify_error));
		break;
	default:
		break;
	}
	va_end(ap);
}

static int
smtp_verify_cb(int preverify, X509_STORE_CTX *x)
{
	SSL *ssl;
	struct smtp_state *st;

	if (preverify)
		return preverify;
	ssl =
	    X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	st = ssl != NULL ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	if (st != NULL && st->verify_error[0] == '\0')
		str_copy(st->verify_error,
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)),
		    sizeof(st->verify_error));
	return 0;
}

static SSL_CTX *
smtp_tls_ctx(struct smtp_state *st, const char *host)
{
	SSL_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	unsigned char addr[16];
	bool ip;

	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * libesmtp 1.1 polls the socket before every SSL_read and asks
	 * only SSL_pending() about buffered data; TLS 1.3 session tickets
	 * sent after the handshake leave the server's next reply inside
	 * OpenSSL where poll() cannot see it, so the read stalls until the
	 * timeout (measured: 4 of 5 sessions).  TLS 1.2 has no
	 * post-handshake records: 10 of 10 went through.
	 */
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (st->conf->ca_file[0] != '\0') {
		if (SSL_CTX_load_verify_locations(
			ctx, st->conf->ca_file, NULL) != 1) {
			smtp_set_error(st->out, "cannot load ca-file %s",
			    st->conf->ca_file);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		smtp_set_error(st->out, "cannot load the system CA store");
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, smtp_verify_cb);
	param = SSL_CTX_get0_param(ctx);
	ip = inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1;
	if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
		: X509_VERIFY_PARAM_set1_host(param, host, 0)) != 1)
		goto fail;
	SSL_CTX_set_app_data(ctx, st);
	return ctx;
fail:
	if (st->out->error[0] == '\0')
		smtp_set_error(st->out, "cannot set up TLS for %s", host);
	SSL_CTX_free(ctx);
	return NULL;
}

static int
smtp_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct smtp_state *st = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = st->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = st->pass;
		else
			result[i] = NULL;
		if (result[i] == NULL)
			return 0;
	}
	return 1;
}

static const char *
smtp_message_cb(void **buf, int *len, void *arg)
{
	struct smtp_state *st = arg;
	const char *p;

	(void)buf;
	if (len == NULL) {
		st->msg_pos = 0;
		return NULL;
	}
	if (st->msg_pos >= st->msg_len) {
		*len = 0;
		return NULL;
	}
	p = st->msg + st->msg_pos;
	*len = (int)(st->msg_len - st->msg_pos);
	st->msg_pos = st->msg_len;
	return p;
}

static void
smtp_set_timeouts(smtp_session_t s, double deadline)
{
	static const int which[] = {
		Timeout_GREETING,
		Timeout_ENVELOPE,
		Timeout_DATA,
		Timeout_TRANSFER,
		Timeout_DATA2,
	};
	long left = (long)deadline_left(deadline);

	if (left < 1)
		left = 1;
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		smtp_set_timeout(s, which[i] | Timeout_OVERRIDE_RFC2822_MINIMUM,
		    left * 1000);
}

/* One attempt on one server.  Returns 0 when the attempt reached the
 * message stage (recipients have a verdict), -1 to try the next server. */
static int
smtp_try_server(struct smtp_state *st, const char *server,
    struct smtp_rcpt *rcpts, size_t n, double deadline)
{
	const struct smtp_conf *conf = st->conf;
	smtp_session_t session = NULL;
	smtp_message_t message;
	smtp_recipient_t r[SMTP_RCPTS_MAX];
	auth_context_t auth = NULL;
	SSL_CTX *ctx = NULL;
	const smtp_status_t *ms;
	char host[SMTP_ADDR_MAX], ebuf[256];
	int rc = -1, started;

	memset(r, 0, sizeof(r));
	str_copy(st->out->server, server, sizeof(st->out->server));
	st->out->connected = st->out->tls = false;
	st->out->auth_tried = st->out->auth_ok = false;
	st->out->message_code = 0;
	st->out->error[0] = '\0';
	st->verify_error[0] = '\0';
	st->auth_sent = st->auth_failed = false;
	st->auth_reply[0] = st->last_reply[0] = '\0';
	st->msg_pos = 0;
	if (smtp_server_host(server, host, sizeof(host)) != 0) {
		smtp_set_error(st->out, "bad server '%s'", server);
		goto out;
	}
	session = smtp_create_session();
	if (session == NULL)
		goto out;
	smtp_set_server(session, server);
	if (conf->helo[0] != '\0')
		smtp_set_hostname(session, conf->helo);
	smtp_set_timeouts(session, deadline);
	smtp_set_eventcb(session, smtp_event, st);
	smtp_set_monitorcb(session, smtp_monitor, st, 0);
	if (conf->starttls != SMTP_STARTTLS_OFF) {
		ctx = smtp_tls_ctx(st, host);
		if (ctx == NULL)
			goto out;
		smtp_starttls_set_ctx(session, ctx);
		smtp_starttls_enable(session,
		    conf->starttls == SMTP_STARTTLS_REQUIRED
			? Starttls_REQUIRED
			: Starttls_ENABLED);
	} else {
		smtp_starttls_enable(session, Starttls_DISABLED);
	}
	if (conf->user[0] != '\0' && st->password != NULL) {
		auth = auth_create_context();
		if (auth == NULL)
			goto out;
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, smtp_interact, st);
		smtp_auth_set_context(session, auth);
		st->out->auth_tried = true;
	}
	message = smtp_add_message(session);
	if (message == NULL)
		goto out;
	smtp_set_reverse_path(message, conf->from);
	smtp_set_messagecb(message, smtp_message_cb, st);
	for (size_t i = 0; i < n; i++)
		if (rcpts[i].result == SMTP_RCPT_PENDING)
			r[i] = smtp_add_recipient(message, rcpts[i].addr);
	started = smtp_start_session(session);
	if (!st->out->connected) {
		smtp_set_error(st->out, "connect %s: %s", server,
		    smtp_strerror(smtp_errno(), ebuf, sizeof(ebuf)));
		smtp_report(st, "connect %s: FAILED: %s", server,
		    smtp_strerror(smtp_errno(), ebuf, sizeof(ebuf)));
		goto out;
	}
	if (conf->starttls == SMTP_STARTTLS_REQUIRED && !st->out->tls) {
		smtp_set_error(st->out, "%s: STARTTLS failed: %s", server,
		    st->verify_error[0] != '\0' ? st->verify_error
						: "TLS handshake failed");
		smtp_report(st, "starttls: FAILED: %s (mail not sent)",
		    st->verify_error[0] != '\0' ? st->verify_error
						: "TLS handshake failed");
		goto out;
	}
	if (st->out->auth_tried && !st->out->auth_ok) {
		smtp_set_error(st->out,
		    "%s: authentication failed for user %s: %s", server,
		    conf->user,
		    st->auth_reply[0] != '\0'
			? st->auth_reply
			: "server offered no usable AUTH mechanism");
		if (!st->auth_failed)
			smtp_report(st,
			    "auth: FAILED: no usable AUTH "
			    "mechanism offered");
		goto out;
	}
	ms = smtp_message_transfer_status(message);
	st->out->message_code = ms != NULL ? ms->code : 0;
	for (size_t i = 0; i < n; i++) {
		const smtp_status_t *rs;

		if (r[i] == NULL)
			continue;
		rs = smtp_recipient_status(r[i]);
		rcpts[i].code = rs != NULL ? rs->code : 0;
		rcpts[i].text[0] = '\0';
		if (rs != NULL && rs->text != NULL)
			smtp_reply_copy(rcpts[i].text, sizeof(rcpts[i].text),
			    rs->text, (int)strlen(rs->text));
		if (rcpts[i].code >= 200 && rcpts[i].code < 300 &&
		    st->out->message_code >= 200 &&
		    st->out->message_code < 300) {
			rcpts[i].result = SMTP_RCPT_ACCEPTED;
			smtp_report(st, "recipient %s: accepted (%d)",
			    rcpts[i].addr, rcpts[i].code);
		} else if (rcpts[i].code >= 500) {
			rcpts[i].result = SMTP_RCPT_REFUSED;
			smtp_report(st, "recipient %s: REFUSED (%d %s)",
			    rcpts[i].addr, rcpts[i].code, rcpts[i].text);
		} else {
			smtp_report(st,
			    "recipient %s: not accepted yet (%d %s)",
			    rcpts[i].addr, rcpts[i].code, rcpts[i].text);
		}
	}
	if (st->out->message_code >= 200 && st->out->message_code < 300) {
		smtp_report(
		    st, "message: accepted (%d)", st->out->message_code);
		rc = 0;
	} else {
		const smtp_status_t *rp = smtp_reverse_path_status(message);

		smtp_set_error(st->out, "%s: message not accepted: %s", server,
		    !started ? smtp_strerror(smtp_errno(), ebuf, sizeof(ebuf))
			: rp != NULL && rp->code >= 400 && rp->text != NULL
			? rp->text
			: st->last_reply);
		for (size_t i = strlen(st->out->error); i > 0 &&
		     (st->out->error[i - 1] == '\n' ||
			 st->out->error[i - 1] == '\r');
		     i--)
			st->out->error[i - 1] = '\0';
		smtp_report(st, "message: NOT accepted (%s)", st->out->error);
		/* Every recipient refused for good: the verdict is final. */
		rc = 0;
		for (size_t i = 0; i < n; i++)
			if (rcpts[i].result == SMTP_RCPT_PENDING)
				rc = -1;
	}
out:
	if (session != NULL)
		smtp_destroy_session(session);
	if (auth != NULL)
		auth_destroy_context(auth);
	SSL_CTX_free(ctx);
	return rc;
}

int
smtp_send(const struct smtp_conf *conf, const char *password, const char *msg,
    size_t len, struct smtp_rcpt *rcpts, size_t n, double deadline,
    FILE *report, const char *prefix, struct smtp_outcome *out)
{
	struct smtp_state st;
	char pass[SMTP_PASSWORD_MAX];
	static bool auth_ready;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.conf = conf;
	st.password = password;
	str_copy(st.user, conf->user, sizeof(st.user));
	str_copy(pass, password != NULL ? password : "", sizeof(pass));
	st.pass = pass;
	st.msg = msg;
	st.msg_len = len;
	st.report = report;
	st.prefix = prefix;
	st.out = out;
	if (n > SMTP_RCPTS_MAX)
		n = SMTP_RCPTS_MAX;
	if (!auth_ready) {
		auth_client_init();
		auth_ready = true;
	}
	if (conf->nservers == 0) {
		str_copy(out->error, "no smtp server configured",
		    sizeof(out->error));
		goto out;
	}
	for (size_t i = 0; i < conf->nservers; i++) {
		if (deadline_left(deadline) <= 0) {
			str_copy(out->error, "delivery deadline passed",
			    sizeof(out->error));
			break;
		}
		if (smtp_try_server(
			&st, conf->servers[i], rcpts, n, deadline) == 0)
			break;
		/* Recipients accepted by this server stay accepted; the next
		 * server gets only the pending ones. */
	}
	rc = 0;
	for (size_t i = 0; i < n; i++)
		if (rcpts[i].result == SMTP_RCPT_PENDING)
			rc = -1;
	if (rc == 0)
		out->error[0] = '\0';
out:
	explicit_bzero(pass, sizeof(pass));
	return rc;
}
