/*
 * Alert mails.  Everything that comes from a probe, a check name or the
 * config is cleaned before it reaches a header (no CR/LF injection) and
 * body lines are CRLF-terminated and wrapped below 998 octets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "abuf.h"
#include "mail.h"
#include "util.h"

static const char *const mail_days[] = {
	"Sun",
	"Mon",
	"Tue",
	"Wed",
	"Thu",
	"Fri",
	"Sat",
};
static const char *const mail_months[] = {
	"Jan",
	"Feb",
	"Mar",
	"Apr",
	"May",
	"Jun",
	"Jul",
	"Aug",
	"Sep",
	"Oct",
	"Nov",
	"Dec",
};

const char *
notify_type_name(enum notify_type type)
{
	switch (type) {
	case NOTIFY_PROBLEM:
		return "PROBLEM";
	case NOTIFY_RECOVERY:
		return "RECOVERY";
	case NOTIFY_FLAPPINGSTART:
		return "FLAPPINGSTART";
	case NOTIFY_FLAPPINGSTOP:
		return "FLAPPINGSTOP";
	case NOTIFY_TEST:
		return "TEST";
	}
	return "UNKNOWN";
}

void
mail_event_clear(struct mail_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->details);
	ev->details = NULL;
}

int
mail_event_copy(struct mail_event *dst, const struct mail_event *src)
{
	*dst = *src;
	dst->details = NULL;
	if (src->details != NULL) {
		dst->details = strdup(src->details);
		if (dst->details == NULL)
			return -1;
	}
	return 0;
}

/* Copy s into a header-safe form: controls become spaces. */
static void
mail_clean(char *dst, const char *src, size_t size)
{
	size_t i;

	str_copy(dst, src != NULL ? src : "", size);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
}

void
mail_date(time_t t, char *buf, size_t size)
{
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&t, &tm) == NULL) {
		str_copy(buf, "Thu, 01 Jan 1970 00:00:00 +0000", size);
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    mail_days[tm.tm_wday % 7], tm.tm_mday, mail_months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60,
	    off % 60);
}

/* "2026-11-26 18:50:04 +0000" for bodies. */
static void
mail_time_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t <= 0 || localtime_r(&t, &tm) == NULL) {
		str_copy(buf, "unknown", size);
		return;
	}
	strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm);
}

void
mail_message_id(const char *host, char *buf, size_t size)
{
	static unsigned long counter;
	uint64_t rnd = 0;
	char h[128];

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)clock_monotonic_now() * 1000003u;
	mail_clean(
	    h, host != NULL && host[0] != '\0' ? host : "localhost", sizeof(h));
	for (size_t i = 0; h[i] != '\0'; i++)
		if (h[i] == ' ' || h[i] == '<' || h[i] == '>' || h[i] == '@')
			h[i] = '-';
	snprintf(buf, size, "<osemon.%lld.%ld.%lu.%016llx@%s>",
	    (long long)time(NULL), (long)getpid(), ++counter,
	    (unsigned long long)rnd, h);
}

static enum probe_state
mail_worst(const struct mail_event *ev, size_t n)
{
	enum probe_state w = ev[0].state;

	for (size_t i = 1; i < n; i++)
		w = state_worst(w, ev[i].state);
	return w;
}

void
mail_subject(const struct mail_ctx *ctx, const struct mail_event *ev, size_t n,
    char *buf, size_t size)
{
	char host[128], check[MAIL_CHECK_MAX], list[512];
	const char *type;
	size_t len = 0, ll = 0;
	bool same = true, reminders = true;

	mail_clean(host, ctx->host, sizeof(host));
	if (n == 0) {
		snprintf(buf, size, "** osemon on %s **", host);
		return;
	}
	if (n == 1) {
		mail_clean(check, ev[0].check, sizeof(check));
		snprintf(buf, size, "** %s Service Alert: %s/%s is %s **",
		    notify_type_name(ev[0].type), host, check,
		    state_name(ev[0].state));
		return;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type != ev[0].type)
			same = false;
		if (!ev[i].reminder)
			reminders = false;
		mail_clean(check, ev[i].check, sizeof(check));
		str_appendf(
		    list, sizeof(list), &ll, "%s%s", i ? ", " : "", check);
	}
	type = same ? notify_type_name(ev[0].type) : "ALERTS";
	buf[0] = '\0';
	if (reminders && same)
		str_appendf(buf, size, &len,
		    "** %s: %s %zu problems still open, worst %s (%s) **", type,
		    host, n, state_name(mail_worst(ev, n)), list);
	else if (same)
		str_appendf(buf, size, &len,
		    "** %s: %s %zu services %s (%s) **", type, host, n,
		    state_name(mail_worst(ev, n)), list);
	else
		str_appendf(buf, size, &len,
		    "** %s: %s %zu changes, worst %s (%s) **", type, host, n,
		    state_name(mail_worst(ev, n)), list);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
mail_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Append text as body lines: CRLF ends, controls cleaned, bytes that are
 * not UTF-8 (the mail says charset=UTF-8) become '?', lines wrapped below
 * 998 octets between characters, never inside one.
 */
static void
mail_body_text(struct abuf *b, const char *indent, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		const char *end = p + n;
		size_t i = 0, col = 0;

		while (n > 0 && p[n - 1] == '\r')
			n--;
		abuf_adds(b, indent);
		while (i < n) {
			const unsigned char *u = (const unsigned char *)p + i;
			size_t l = mail_utf8_seq(u, n - i);

			if (col >= MAIL_LINE_MAX) {
				abuf_add(b, "\r\n", 2);
				abuf_adds(b, indent);
				col = 0;
			}
			if (l == 0) {
				abuf_add(b, "?", 1);
				l = 1;
			} else if (l == 1) {
				char c = p[i];

				if ((u[0] < 0x20 && c != '\t') || u[0] == 0x7f)
					c = ' ';
				abuf_add(b, &c, 1);
			} else {
				abuf_add(b, p + i, l);
			}
			i += l;
			col += l;
		}
		abuf_add(b, "\r\n", 2);
		p = *end == '\n' ? end + 1 : end;
	}
}

static void
mail_metric_line(struct abuf *b, const struct metric *m)
{
	char v[64], line[512];
	size_t len = 0;

	if (m->unknown)
		str_copy(v, "U", sizeof(v));
	else
		format_number(v, sizeof(v), m->value);
	line[0] = '\0';
	str_appendf(line, sizeof(line), &len, "%s = %s%s", m->name, v, m->unit);
	if (m->warn.set)
		str_appendf(
		    line, sizeof(line), &len, "  warning %s", m->warn.text);
	if (m->crit.set)
		str_appendf(
		    line, sizeof(line), &len, "  critical %s", m->crit.text);
	if (!m->unknown && range_alerts(&m->crit, m->value))
		str_appendf(line, sizeof(line), &len,
		    "  <- CRITICAL threshold %s crossed", m->crit.text);
	else if (!m->unknown && range_alerts(&m->warn, m->value))
		str_appendf(line, sizeof(line), &len,
		    "  <- WARNING threshold %s crossed", m->warn.text);
	mail_body_text(b, "  ", line);
}

char *
mail_details_from_result(const struct probe_result *res)
{
	struct abuf b;

	abuf_init(&b);
	b.limit = MAIL_DETAILS_MAX;
	abuf_addf(&b, "Message: %s\n", res->message);
	if (res->long_output[0] != '\0') {
		abuf_adds(&b, "Output:\n");
		abuf_adds(&b, res->long_output);
		if (res->long_output[strlen(res->long_output) - 1] != '\n')
			abuf_adds(&b, "\n");
	}
	if (res->metric_count > 0) {
		struct abuf m;
		char *text;

		abuf_init(&m);
		m.limit = MAIL_DETAILS_MAX;
		for (size_t i = 0;
		     i < res->metric_count && i < PROBE_METRICS_MAX; i++)
			mail_metric_line(&m, &res->metrics[i]);
		text = abuf_take(&m, NULL);
		if (text != NULL) {
			/* mail_metric_line wrote CRLF; details use LF. */
			abuf_adds(&b, "Metrics:\n");
			for (char *p = text; *p != '\0'; p++)
				if (*p != '\r')
					abuf_add(&b, p, 1);
			free(text);
		}
	}
	if (b.failed) {
		/* Over the cap: keep what fits rather than nothing. */
		abuf_free(&b);
		abuf_init(&b);
		abuf_addf(
		    &b, "Message: %s\n(details too long, cut)\n", res->message);
	}
	return abuf_take(&b, NULL);
}

static void
mail_event_body(
    struct abuf *b, const struct mail_ctx *ctx, const struct mail_event *ev)
{
	char since[64], check[MAIL_CHECK_MAX], host[128];

	mail_clean(check, ev->check, sizeof(check));
	mail_clean(host, ctx->host, sizeof(host));
	mail_time_text(ev->since, since, sizeof(since));
	abuf_addf(b, "%s: %s/%s is %s\r\n", notify_type_name(ev->type), host,
	    check, state_name(ev->state));
	if (ev->note[0] != '\0')
		mail_body_text(b, "", ev->note);
	abuf_adds(b, "\r\n");
	abuf_addf(b, "Check:          %s\r\n", check);
	abuf_addf(b, "Host:           %s\r\n", host);
	abuf_addf(b, "State:          %s (previous: %s)\r\n",
	    state_name(ev->state), state_name(ev->old_state));
	abuf_addf(b, "Since:          %s\r\n", since);
	if (ev->max_attempts > 0)
		abuf_addf(b, "Attempt:        %d/%d\r\n", ev->attempt,
		    ev->max_attempts);
	if (ev->number > 0)
		abuf_addf(b, "Notification:   %u%s\r\n", ev->number,
		    ev->reminder ? " (reminder)" : "");
	if (ctx->graph_url != NULL && ctx->graph_url[0] != '\0') {
		size_t l = strlen(ctx->graph_url);
		char url[1024];

		snprintf(url, sizeof(url), "%s%s%s", ctx->graph_url,
		    ctx->graph_url[l - 1] == '/' ? "" : "/", check);
		for (size_t i = 0; url[i] != '\0'; i++)
			if (url[i] == ' ')
				url[i] = '_';
		abuf_addf(b, "Graphs:         %s\r\n", url);
	}
	if (ev->details != NULL && ev->details[0] != '\0') {
		abuf_adds(b, "\r\n");
		mail_body_text(b, "", ev->details);
	}
	if (ev->type == NOTIFY_PROBLEM)
		abuf_addf(
		    b, "\r\nAcknowledge:    osemon ack %s -m TEXT\r\n", check);
}

int
mail_format(const struct mail_ctx *ctx, const struct mail_event *ev, size_t n,
    const char *msgid, char **out, size_t *outlen)
{
	struct abuf b;
	char date[64], subject[1024], from[256], to[1024], host[128];
	char id[MAIL_ID_MAX];
	const char *reply = NULL;

	*out = NULL;
	abuf_init(&b);
	mail_date(ctx->now, date, sizeof(date));
	mail_subject(ctx, ev, n, subject, sizeof(subject));
	mail_clean(from, ctx->from, sizeof(from));
	mail_clean(to, ctx->to, sizeof(to));
	mail_clean(host, ctx->host, sizeof(host));
	mail_clean(id, msgid, sizeof(id));
	abuf_addf(&b, "Date: %s\r\n", date);
	abuf_addf(&b, "From: %s\r\n", from);
	abuf_addf(&b, "To: %s\r\n", to);
	abuf_addf(&b, "Subject: %s\r\n", subject);
	abuf_addf(&b, "Message-ID: %s\r\n", id);
	for (size_t i = 0; i < n; i++)
		if (ev[i].first_id[0] != '\0' &&
		    strcmp(ev[i].first_id, msgid) != 0) {
			reply = ev[i].first_id;
			break;
		}
	if (reply != NULL) {
		char ref[MAIL_ID_MAX];

		mail_clean(ref, reply, sizeof(ref));
		abuf_addf(&b, "In-Reply-To: %s\r\n", ref);
		abuf_adds(&b, "References:");
		for (size_t i = 0; i < n; i++) {
			bool dup = false;

			if (ev[i].first_id[0] == '\0' ||
			    strcmp(ev[i].first_id, msgid) == 0)
				continue;
			for (size_t j = 0; j < i; j++)
				if (strcmp(ev[j].first_id, ev[i].first_id) == 0)
					dup = true;
			if (dup)
				continue;
			mail_clean(ref, ev[i].first_id, sizeof(ref));
			abuf_addf(&b, "\r\n %s", ref);
		}
		abuf_adds(&b, "\r\n");
	}
	abuf_adds(&b, "Auto-Submitted: auto-generated\r\n");
	abuf_adds(&b, "MIME-Version: 1.0\r\n");
	abuf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n");
	abuf_adds(&b, "Content-Transfer-Encoding: 8bit\r\n");
	abuf_addf(&b, "X-Mailer: osemon %s\r\n", OSEMON_VERSION);
	abuf_adds(&b, "\r\n");
	if (ctx->dropped > 0)
		abuf_addf(&b,
		    "NOTE: %lu older spooled mails were dropped "
		    "(spool limit).\r\n\r\n",
		    ctx->dropped);
	if (ctx->suppressed > 0)
		abuf_addf(&b,
		    "NOTE: %lu further notifications suppressed "
		    "(max-per-hour cap) since the last mail.\r\n\r\n",
		    ctx->suppressed);
	if (n > 1) {
		/* An overview first: a storm is read at a glance. */
		abuf_addf(&b, "%zu notifications for %s:\r\n\r\n", n, host);
		for (size_t i = 0; i < n; i++) {
			char check[MAIL_CHECK_MAX];

			mail_clean(check, ev[i].check, sizeof(check));
			abuf_addf(&b, "  %-13s %-24s %s (previous: %s)%s\r\n",
			    notify_type_name(ev[i].type), check,
			    state_name(ev[i].state),
			    state_name(ev[i].old_state),
			    ev[i].reminder ? ", reminder" : "");
		}
		abuf_adds(&b, "\r\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 || n > 1)
			abuf_adds(&b,
			    "------------------------------------------------"
			    "------------------------\r\n\r\n");
		mail_event_body(&b, ctx, &ev[i]);
		if (i + 1 < n)
			abuf_adds(&b, "\r\n");
	}
	abuf_addf(&b, "\r\n-- \r\nosemon %s on %s\r\n", OSEMON_VERSION, host);
	*out = abuf_take(&b, outlen);
	return *out != NULL ? 0 : -1;
}
