/*
 * Alert mail formatting: pure functions from notification events to one
 * complete RFC 5322 message (CRLF line ends, MIME text/plain UTF-8, 8bit),
 * ready to be spooled.  No clock, no I/O: the caller gives the time.
 */
#ifndef OSEMON_MAIL_H
#define OSEMON_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "probe.h"

enum notify_type {
	NOTIFY_PROBLEM = 0,
	NOTIFY_RECOVERY,
	NOTIFY_FLAPPINGSTART,
	NOTIFY_FLAPPINGSTOP,
	NOTIFY_TEST,
};

#define MAIL_ID_MAX 256
#define MAIL_CHECK_MAX 128
#define MAIL_NOTE_MAX 300
#define MAIL_DETAILS_MAX 16384
#define MAIL_LINE_MAX 900 /* body lines are wrapped below RFC 5322's 998 */

/* One notification about one check. */
struct mail_event {
	enum notify_type type;
	char check[MAIL_CHECK_MAX];
	enum probe_state state;
	enum probe_state old_state;
	time_t since; /* event time (the hard change) */
	int attempt, max_attempts; /* 0 when unknown */
	unsigned number; /* notification number of this problem */
	bool reminder; /* a re-notification of an open problem */
	char note[MAIL_NOTE_MAX]; /* e.g. "still open after downtime" */
	char first_id[MAIL_ID_MAX]; /* Message-ID of the problem's first mail */
	char *details; /* owned; may be NULL */
};

/* What the whole mail shares. */
struct mail_ctx {
	const char *host; /* monitored host name */
	const char *from; /* From: address */
	const char *to; /* To: "a@x, b@y" */
	const char *graph_url; /* base URL of the graphs, or NULL */
	time_t now; /* Date: */
	unsigned long suppressed; /* notifications held back by the cap */
	unsigned long dropped; /* spooled mails dropped over the limit */
};

const char *notify_type_name(enum notify_type type);

/* Free ev->details (not ev itself). */
void mail_event_clear(struct mail_event *ev);
/* Deep copy (details duplicated); returns 0 or -1. */
int mail_event_copy(struct mail_event *dst, const struct mail_event *src);

/*
 * Render a probe result as the details block: message, long output, and
 * every metric with its ranges, marking the crossed threshold.  Returns a
 * malloc'd string (caller frees) or NULL on allocation failure.
 */
char *mail_details_from_result(const struct probe_result *res);

/* RFC 5322 date, e.g. "Thu, 26 Nov 2026 18:50:04 +0000" (local zone). */
void mail_date(time_t t, char *buf, size_t size);
/* A fresh unique "<...@host>" (time, pid, counter, random). */
void mail_message_id(const char *host, char *buf, size_t size);

/*
 * The subject.  One event: "** PROBLEM Service Alert: HOST/CHECK is
 * CRITICAL **".  Several: "** PROBLEM: HOST 3 services CRITICAL (a, b, c)
 * **" (the type word is "ALERTS" when types differ, the state is the
 * worst).  Control characters are replaced by spaces.
 */
void mail_subject(const struct mail_ctx *ctx, const struct mail_event *ev,
    size_t n, char *buf, size_t size);

/*
 * Format the complete message with Message-ID msgid; threading headers
 * point to the events' first_id values.  *out is malloc'd (caller frees).
 * Returns 0, or -1 on allocation failure.
 */
int mail_format(const struct mail_ctx *ctx, const struct mail_event *ev,
    size_t n, const char *msgid, char **out, size_t *outlen);

#endif
