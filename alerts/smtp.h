/*
 * One SMTP delivery with libesmtp: server list with failover, STARTTLS
 * with our own SSL_CTX (chain and host name verified), AUTH PLAIN/LOGIN
 * through libesmtp's auth-client, per-recipient status.  It blocks (libesmtp
 * connects without a timeout), so the collector calls it only in a forked
 * child that the parent kills at the deadline (alerts.c, deliver.c).
 */
#ifndef OSEMON_SMTP_H
#define OSEMON_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SMTP_SERVERS_MAX 8
#define SMTP_ADDR_MAX 256
#define SMTP_RCPTS_MAX 64
#define SMTP_PATH_MAX 4096
#define SMTP_PASSWORD_MAX 512

enum smtp_starttls {
	SMTP_STARTTLS_REQUIRED = 0,
	SMTP_STARTTLS_OPTIONAL,
	SMTP_STARTTLS_OFF,
};

struct smtp_conf {
	char servers[SMTP_SERVERS_MAX][SMTP_ADDR_MAX]; /* "host:port" */
	size_t nservers;
	enum smtp_starttls starttls;
	char user[SMTP_ADDR_MAX]; /* "" : no AUTH */
	char password_file[SMTP_PATH_MAX];
	char ca_file[SMTP_PATH_MAX]; /* "" : system store */
	char from[SMTP_ADDR_MAX];
	char helo[SMTP_ADDR_MAX]; /* "" : libesmtp's default */
	double timeout; /* seconds per delivery run */
};

enum smtp_rcpt_result {
	SMTP_RCPT_PENDING = 0, /* not accepted yet: retry later */
	SMTP_RCPT_ACCEPTED, /* the server took the mail for it */
	SMTP_RCPT_REFUSED, /* permanent 5xx: reported, not retried */
};

struct smtp_rcpt {
	char addr[SMTP_ADDR_MAX];
	enum smtp_rcpt_result result;
	int code;
	char text[200];
};

struct smtp_outcome {
	char server[SMTP_ADDR_MAX]; /* the server last tried */
	bool connected;
	bool tls;
	bool auth_tried;
	bool auth_ok;
	int message_code; /* DATA's final reply, 0 when none */
	char error[512]; /* why it did not go, "" when it did */
};

/* Parse "host:port" (default port 587; "[v6]:port" allowed) into host. */
int smtp_server_host(const char *server, char *host, size_t size);

/*
 * Send msg (CRLF lines) to rcpts[0..n) from conf->from.  password may be
 * NULL (no AUTH).  Each step is written to report (NULL: quiet) as
 * "PREFIX step: detail" lines; the password never appears there.  Updates
 * each rcpts[i].result.  Returns 0 when no recipient is left pending,
 * -1 otherwise (out->error says why).
 */
int smtp_send(const struct smtp_conf *conf, const char *password,
    const char *msg, size_t len, struct smtp_rcpt *rcpts, size_t n,
    double deadline, FILE *report, const char *prefix,
    struct smtp_outcome *out);

#endif
