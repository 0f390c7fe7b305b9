/*
 * Alert mail formatting, spool file parsing and the command-file lines:
 * byte-level checks on subjects, headers, threading, CRLF and wrapping,
 * recipients from headers, spool meta, backoff, times and durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "command.h"
#include "mail.h"
#include "spool.h"
#include "util.h"

static struct mail_ctx
ctx_for(void)
{
	struct mail_ctx c;

	memset(&c, 0, sizeof(c));
	c.host = "web1";
	c.from = "osemon@web1.example";
	c.to = "ops@example.com";
	c.graph_url = "https://mon.example/g/";
	c.now = 1800000000;
	return c;
}

static struct mail_event
event_for(enum notify_type type, const char *check, enum probe_state state,
    enum probe_state old)
{
	struct mail_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	str_copy(e.check, check, sizeof(e.check));
	e.state = state;
	e.old_state = old;
	e.since = 1799999000;
	e.attempt = 3;
	e.max_attempts = 3;
	e.number = 1;
	return e;
}

static void
test_subject_single(void **unused)
{
	static const struct {
		enum notify_type type;
		enum probe_state state;
		const char *want;
	} cases[] = {
		{ NOTIFY_PROBLEM, STATE_CRITICAL,
		    "** PROBLEM Service Alert: web1/https is CRITICAL **" },
		{ NOTIFY_PROBLEM, STATE_WARNING,
		    "** PROBLEM Service Alert: web1/https is WARNING **" },
		{ NOTIFY_PROBLEM, STATE_UNKNOWN,
		    "** PROBLEM Service Alert: web1/https is UNKNOWN **" },
		{ NOTIFY_RECOVERY, STATE_OK,
		    "** RECOVERY Service Alert: web1/https is OK **" },
		{ NOTIFY_FLAPPINGSTART, STATE_CRITICAL,
		    "** FLAPPINGSTART Service Alert: web1/https is CRITICAL "
		    "**" },
		{ NOTIFY_FLAPPINGSTOP, STATE_OK,
		    "** FLAPPINGSTOP Service Alert: web1/https is OK **" },
	};
	struct mail_ctx c = ctx_for();
	char buf[512];

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mail_event e =
		    event_for(cases[i].type, "https", cases[i].state, STATE_OK);

		mail_subject(&c, &e, 1, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void
test_subject_group(void **unused)
{
	struct mail_ctx c = ctx_for();
	struct mail_event e[3];
	char buf[512];

	(void)unused;
	e[0] = event_for(NOTIFY_PROBLEM, "a", STATE_WARNING, STATE_OK);
	e[1] = event_for(NOTIFY_PROBLEM, "b", STATE_CRITICAL, STATE_OK);
	e[2] = event_for(NOTIFY_PROBLEM, "c", STATE_UNKNOWN, STATE_OK);
	mail_subject(&c, e, 3, buf, sizeof(buf));
	assert_string_equal(
	    buf, "** PROBLEM: web1 3 services CRITICAL (a, b, c) **");
	e[1].type = NOTIFY_RECOVERY;
	e[1].state = STATE_OK;
	mail_subject(&c, e, 3, buf, sizeof(buf));
	assert_string_equal(
	    buf, "** ALERTS: web1 3 changes, worst UNKNOWN (a, b, c) **");
	e[0].reminder = e[2].reminder = true;
	mail_subject(
	    &c, (struct mail_event[]){ e[0], e[2] }, 2, buf, sizeof(buf));
	assert_string_equal(buf,
	    "** PROBLEM: web1 2 problems still open, worst UNKNOWN (a, c) **");
}

/* Nothing from a check name or host may start a new header. */
static void
test_format_group_overview(void **unused)
{
	struct mail_ctx c = ctx_for();
	struct mail_event e[2];
	char *mail = NULL;
	size_t len = 0;

	(void)unused;
	e[0] = event_for(NOTIFY_PROBLEM, "https", STATE_CRITICAL, STATE_OK);
	e[1] = event_for(NOTIFY_RECOVERY, "disk", STATE_OK, STATE_WARNING);
	e[0].reminder = true;
	assert_int_equal(mail_format(&c, e, 2, "<g@web1>", &mail, &len), 0);
	assert_non_null(strstr(mail,
	    "\r\n\r\n2 notifications for web1:\r\n\r\n"
	    "  PROBLEM       https                    CRITICAL (previous: OK), "
	    "reminder\r\n"
	    "  RECOVERY      disk                     OK (previous: WARNING)"
	    "\r\n\r\n---"));
	assert_non_null(strstr(mail, "PROBLEM: web1/https is CRITICAL\r\n"));
	assert_non_null(strstr(mail, "RECOVERY: web1/disk is OK\r\n"));
	free(mail);
}

static void
test_header_injection(void **unused)
{
	struct mail_ctx c = ctx_for();
	struct mail_event e = event_for(
	    NOTIFY_PROBLEM, "x\r\nBcc: evil@x", STATE_CRITICAL, STATE_OK);
	char *mail = NULL;
	size_t len = 0;

	(void)unused;
	c.host = "h\nX-Evil: 1";
	assert_int_equal(mail_format(&c, &e, 1, "<id@web1>", &mail, &len), 0);
	assert_null(strstr(mail, "\nBcc:"));
	assert_null(strstr(mail, "\nX-Evil:"));
	assert_non_null(strstr(mail,
	    "Subject: ** PROBLEM Service Alert: "
	    "h X-Evil: 1/x  Bcc: evil@x is CRITICAL **\r\n"));
	free(mail);
}

static const char *
header_value(const char *mail, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);

	for (const char *p = mail;
	     *p != '\0' && !(p[0] == '\r' && p[1] == '\n');) {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL)
			break;
		if (strncmp(p, name, n) == 0 && p[n] == ':' &&
		    p[n + 1] == ' ') {
			size_t l = (size_t)(eol - p) - n - 2;

			if (l >= size)
				l = size - 1;
			memcpy(buf, p + n + 2, l);
			buf[l] = '\0';
			return buf;
		}
		p = eol + 2;
	}
	return NULL;
}

static void
test_format_headers_and_threading(void **unused)
{
	struct mail_ctx c = ctx_for();
	struct mail_event e =
	    event_for(NOTIFY_RECOVERY, "https", STATE_OK, STATE_CRITICAL);
	char *mail = NULL, v[256];
	size_t len = 0;
	const char *body;

	(void)unused;
	setenv("TZ", "UTC", 1);
	tzset();
	str_copy(e.first_id, "<first@web1>", sizeof(e.first_id));
	assert_int_equal(
	    mail_format(&c, &e, 1, "<second@web1>", &mail, &len), 0);
	assert_int_equal(strlen(mail), len);
	assert_string_equal(header_value(mail, "Date", v, sizeof(v)),
	    "Fri, 15 Jan 2027 08:00:00 +0000");
	assert_string_equal(
	    header_value(mail, "From", v, sizeof(v)), "osemon@web1.example");
	assert_string_equal(
	    header_value(mail, "To", v, sizeof(v)), "ops@example.com");
	assert_string_equal(
	    header_value(mail, "Message-ID", v, sizeof(v)), "<second@web1>");
	assert_string_equal(
	    header_value(mail, "In-Reply-To", v, sizeof(v)), "<first@web1>");
	assert_non_null(strstr(mail, "References:\r\n <first@web1>\r\n"));
	assert_string_equal(header_value(mail, "Auto-Submitted", v, sizeof(v)),
	    "auto-generated");
	assert_string_equal(header_value(mail, "Content-Type", v, sizeof(v)),
	    "text/plain; charset=UTF-8");
	assert_string_equal(
	    header_value(mail, "Content-Transfer-Encoding", v, sizeof(v)),
	    "8bit");
	body = strstr(mail, "\r\n\r\n");
	assert_non_null(body);
	/* The event time, not the send time. */
	assert_non_null(strstr(body,
	    "Since:          2027-01-15 07:43:20 "
	    "+0000\r\n"));
	assert_non_null(strstr(body,
	    "State:          OK (previous: "
	    "CRITICAL)\r\n"));
	assert_non_null(strstr(body,
	    "Graphs:         "
	    "https://mon.example/g/https\r\n"));
	assert_non_null(
	    strstr(body, "\r\nosemon " OSEMON_VERSION " on web1\r\n"));
	/* CRLF everywhere: no bare LF, no bare CR. */
	for (size_t i = 0; i < len; i++) {
		if (mail[i] == '\n')
			assert_true(i > 0 && mail[i - 1] == '\r');
		if (mail[i] == '\r')
			assert_true(mail[i + 1] == '\n');
	}
	free(mail);
	/* A first mail has no threading headers. */
	e.first_id[0] = '\0';
	assert_int_equal(mail_format(&c, &e, 1, "<x@web1>", &mail, &len), 0);
	assert_null(header_value(mail, "In-Reply-To", v, sizeof(v)));
	assert_null(header_value(mail, "References", v, sizeof(v)));
	free(mail);
}

static void
test_format_notes_and_wrapping(void **unused)
{
	struct mail_ctx c = ctx_for();
	struct mail_event e =
	    event_for(NOTIFY_PROBLEM, "big", STATE_CRITICAL, STATE_OK);
	char *mail = NULL, *long_line;
	size_t len = 0, run = 0;

	(void)unused;
	c.suppressed = 7;
	c.dropped = 2;
	long_line = malloc(5001);
	assert_non_null(long_line);
	memset(long_line, 'x', 5000);
	long_line[5000] = '\0';
	e.details = long_line;
	assert_int_equal(mail_format(&c, &e, 1, "<id@web1>", &mail, &len), 0);
	assert_non_null(strstr(mail,
	    "NOTE: 7 further notifications "
	    "suppressed (max-per-hour cap) since the last mail.\r\n"));
	assert_non_null(strstr(mail,
	    "NOTE: 2 older spooled mails were "
	    "dropped (spool limit).\r\n"));
	for (size_t i = 0; i < len; i++) {
		run = mail[i] == '\n' ? 0 : run + 1;
		assert_true(run <= 998);
	}
	free(mail);
	free(long_line);
}

/* The mail says UTF-8: invalid bytes become '?', wrapping never splits a
 * character. */
static void
test_body_utf8(void **unused)
{
	struct mail_ctx c = ctx_for();
	struct mail_event e =
	    event_for(NOTIFY_PROBLEM, "u", STATE_CRITICAL, STATE_OK);
	char *mail = NULL, *d;
	size_t len = 0, run = 0;

	(void)unused;
	d = malloc(4000);
	assert_non_null(d);
	str_copy(
	    d, "caf\xc3\xa9 \xff\xfe \xed\xa0\x80 \xf0\x9f\x94\xa5 ok\n", 4000);
	for (size_t i = strlen(d); i < 3001; i += 2)
		memcpy(d + i, "\xc3\xa9", 3); /* 1500 x e-acute */
	e.details = d;
	assert_int_equal(mail_format(&c, &e, 1, "<u@web1>", &mail, &len), 0);
	assert_non_null(
	    strstr(mail, "\r\ncaf\xc3\xa9 ?? ??? \xf0\x9f\x94\xa5 ok\r\n"));
	for (size_t i = 0; i < len; i++) {
		if (mail[i] == '\n') {
			run = 0;
			/* no line starts with a UTF-8 continuation byte */
			assert_true(
			    ((unsigned char)mail[i + 1] & 0xc0) != 0x80);
			continue;
		}
		run++;
		assert_true(run <= 998);
	}
	free(mail);
	free(d);
}

static void
test_details_from_result(void **unused)
{
	struct probe_result *r = calloc(1, sizeof(*r));
	struct metric *m;
	char *d;

	(void)unused;
	assert_non_null(r);
	result_init(r);
	result_set(
	    r, STATE_CRITICAL, REASON_THRESHOLD, "DISK CRITICAL - / 95%%");
	result_long(r, "line one");
	m = result_metric(r, "used", 95, "%", DS_GAUGE);
	range_parse("80", &m->warn);
	range_parse("90", &m->crit);
	m = result_metric(r, "inodes", 50, "%", DS_GAUGE);
	range_parse("40", &m->warn);
	m = result_metric(r, "free", 5, "B", DS_GAUGE);
	d = mail_details_from_result(r);
	assert_non_null(d);
	assert_non_null(strstr(d, "Message: DISK CRITICAL - / 95%\n"));
	assert_non_null(strstr(d, "Output:\nline one\n"));
	assert_non_null(strstr(d,
	    "  used = 95%  warning 80  critical 90  "
	    "<- CRITICAL threshold 90 crossed\n"));
	assert_non_null(strstr(d,
	    "  inodes = 50%  warning 40  <- WARNING "
	    "threshold 40 crossed\n"));
	assert_non_null(strstr(d, "  free = 5B\n"));
	free(d);
	free(r);
}

static void
test_message_id_unique(void **unused)
{
	char a[MAIL_ID_MAX], b[MAIL_ID_MAX];

	(void)unused;
	mail_message_id("web 1<x>", a, sizeof(a));
	mail_message_id("web 1<x>", b, sizeof(b));
	assert_string_not_equal(a, b);
	assert_true(a[0] == '<' && a[strlen(a) - 1] == '>');
	assert_non_null(strstr(a, "@web-1-x->"));
}

static void
test_rcpts_from_mail(void **unused)
{
	static const struct {
		const char *mail;
		int count;
		const char *first, *last;
	} cases[] = {
		{ "To: a@x, B <b@y>\r\nCc: c@z\r\n\r\nbody", 3, "a@x", "c@z" },
		{ "Subject: s\r\nTo: a@x,\r\n \"Doe, J\" <j@d>\r\n\r\n", 2,
		    "a@x", "j@d" },
		{ "to: only@one\n\n", 1, "only@one", "only@one" },
		{ "To: a@x\r\n", -1, NULL, NULL }, /* no body */
		{ "To: nobody\r\n\r\n", -1, NULL, NULL }, /* no '@' */
		{ "From: a@x\r\n\r\n", -1, NULL, NULL },
		{ "To: <bad addr@x>, ok@y\r\n\r\n", 1, "ok@y", "ok@y" },
	};
	char list[4][SMTP_ADDR_MAX];

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = spool_rcpts_from_mail(
		    cases[i].mail, strlen(cases[i].mail), list, 4);

		assert_int_equal(n, cases[i].count);
		if (n > 0) {
			assert_string_equal(list[0], cases[i].first);
			assert_string_equal(list[n - 1], cases[i].last);
		}
	}
}

static void
test_meta_parse(void **unused)
{
	static const char good[] =
	    "attempts 3\nnext-try 1800000100\n"
	    "error connect: refused\nrcpt a@x\nrcpt b@y\nfuture 1\n";
	struct spool_meta m;

	(void)unused;
	assert_int_equal(spool_meta_parse(good, strlen(good), &m), 0);
	assert_int_equal(m.attempts, 3);
	assert_int_equal(m.next_try, 1800000100);
	assert_string_equal(m.error, "connect: refused");
	assert_int_equal(m.nrcpts, 2);
	assert_true(m.has_rcpts);
	assert_string_equal(m.rcpts[1], "b@y");
	assert_int_equal(spool_meta_parse("attempts x\n", 11, &m), -1);
	assert_int_equal(spool_meta_parse("attempts -1\n", 12, &m), -1);
	assert_int_equal(spool_meta_parse("rcpt a b@x\n", 11, &m), -1);
	assert_int_equal(spool_meta_parse("noval\n", 6, &m), -1);
	assert_int_equal(spool_meta_parse("", 0, &m), 0);
	assert_int_equal(m.attempts, 0);
}

/* Spool files: unique sortable names, mode 0600, meta round trip, the
 * limit drops the oldest. */
static void
test_spool_files(void **unused)
{
	char dir[] = "/tmp/osemon-spool-test.XXXXXX";
	char names[4][SPOOL_NAME_MAX], err[256], path[512];
	char **list = NULL;
	struct spool_meta m, back;
	struct stat st;
	const char *mail = "To: a@x\r\n\r\nbody\r\n";
	long n;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 4; i++)
		assert_int_equal(spool_write(dir, mail, strlen(mail), names[i],
				     sizeof(names[i]), err, sizeof(err)),
		    0);
	assert_string_not_equal(names[0], names[1]);
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	n = spool_list(dir, &list);
	assert_int_equal(n, 4);
	for (long i = 0; i < n; i++)
		assert_string_equal(list[i], names[i]);
	spool_names_free(list, n);

	memset(&m, 0, sizeof(m));
	m.attempts = 2;
	m.next_try = 1800000000;
	str_copy(m.error, "line\nbreak", sizeof(m.error));
	m.nrcpts = 1;
	str_copy(m.rcpts[0], "b@y", sizeof(m.rcpts[0]));
	assert_int_equal(spool_meta_write(dir, names[0], &m), 0);
	assert_int_equal(spool_meta_read(dir, names[0], &back), 0);
	assert_int_equal(back.attempts, 2);
	assert_int_equal(back.next_try, 1800000000);
	assert_string_equal(back.error, "line break");
	assert_true(back.has_rcpts);
	assert_string_equal(back.rcpts[0], "b@y");
	assert_int_equal(spool_meta_read(dir, names[1], &back), 0);
	assert_int_equal(back.attempts, 0); /* no meta: fresh */

	assert_int_equal(spool_enforce_limit(dir, 2), 2);
	n = spool_list(dir, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], names[2]);
	assert_string_equal(list[1], names[3]);
	spool_names_free(list, n);
	snprintf(path, sizeof(path), "%s/%s.meta", dir, names[0]);
	assert_int_equal(access(path, F_OK), -1); /* meta went too */
	/* A temp file left by a killed writer goes once it is old. */
	snprintf(path, sizeof(path), "%s/%s.tmp.12345", dir, names[2]);
	assert_int_equal(
	    file_write_atomic(path, "x", 1, 0600, err, sizeof(err)), 0);
	assert_int_equal(spool_clean_temp(dir, "", time(NULL), 60), 0);
	assert_int_equal(
	    spool_clean_temp(dir, "other", time(NULL) + 61, 60), 0);
	assert_int_equal(spool_clean_temp(dir, "", time(NULL) + 61, 60), 1);
	assert_int_equal(access(path, F_OK), -1);
	spool_remove(dir, names[2]);
	spool_remove(dir, names[3]);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_backoff(void **unused)
{
	static const struct {
		unsigned attempts;
		long want;
	} cases[] = {
		{ 0, 30 },
		{ 1, 30 },
		{ 2, 60 },
		{ 3, 120 },
		{ 7, 1920 },
		{ 8, 3600 },
		{ 60, 3600 },
		{ 4000000000u, 3600 },
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    spool_backoff(cases[i].attempts, 30, 3600), cases[i].want);
}

static void
test_command_roundtrip(void **unused)
{
	struct alert_cmd a, b;
	char line[ALERT_CMD_LINE_MAX], err[256];

	(void)unused;
	memset(&a, 0, sizeof(a));
	a.type = ALERT_CMD_ACK;
	a.issued = 1800000000;
	str_copy(a.check, "web", sizeof(a.check));
	a.sticky = true;
	a.expire = 1800003600;
	str_copy(a.text, "on it; back soon", sizeof(a.text));
	assert_int_equal(alert_cmd_format(&a, line, sizeof(line)), 0);
	assert_string_equal(line,
	    "[1800000000] ACKNOWLEDGE;web;1;1800003600;"
	    "on it; back soon\n");
	assert_int_equal(
	    alert_cmd_parse(line, strlen(line) - 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.type, ALERT_CMD_ACK);
	assert_true(b.sticky);
	assert_int_equal(b.expire, 1800003600);
	assert_string_equal(b.text, "on it; back soon");
	a.type = ALERT_CMD_DOWNTIME;
	a.start = 1800000000;
	a.end = 1800000600;
	assert_int_equal(alert_cmd_format(&a, line, sizeof(line)), 0);
	assert_string_equal(line,
	    "[1800000000] DOWNTIME;web;1800000000;"
	    "1800000600;on it; back soon\n");
	assert_int_equal(
	    alert_cmd_parse(line, strlen(line) - 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.end, 1800000600);
	str_copy(a.check, "a;b", sizeof(a.check));
	assert_int_equal(alert_cmd_format(&a, line, sizeof(line)), -1);
}

static void
test_command_bad_lines(void **unused)
{
	static const char *const bad[] = {
		"",
		"ACKNOWLEDGE;web;0;0;x",
		"[x] ACKNOWLEDGE;web;0;0;x",
		"[1] ACK;web;0;0;x",
		"[1] ACKNOWLEDGE;;0;0;x",
		"[1] ACKNOWLEDGE;web;2;0;x",
		"[1] ACKNOWLEDGE;web;0;-5;x",
		"[1] ACKNOWLEDGE;web;0",
		"[1] DOWNTIME;web;10;5;x",
		"[1] DOWNTIME;web;a;5;x",
		"[1] DOWNTIME;web;1;5;a\tb\x01",
		"[99999999999999999999] DOWNTIME;web;1;5;x",
	};
	struct alert_cmd c;
	char err[256];

	(void)unused;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(alert_cmd_parse(bad[i], strlen(bad[i]), &c,
				     err, sizeof(err)),
		    -1);
}

static void
test_times(void **unused)
{
	static const struct {
		const char *text;
		int rc;
		time_t want;
	} cases[] = {
		{ "now", 0, 1800000000 },
		{ "+30", 0, 1800000030 },
		{ "+30s", 0, 1800000030 },
		{ "+5m", 0, 1800000300 },
		{ "+2h", 0, 1800007200 },
		{ "+1d", 0, 1800086400 },
		{ "1800001234", 0, 1800001234 },
		{ "2027-01-15 08:00", 0, 1800000000 },
		{ "2027-01-15T08:00:05", 0, 1800000005 },
		{ "+", -1, 0 },
		{ "+5x", -1, 0 },
		{ "soon", -1, 0 },
		{ "2027-13-01 00:00", -1, 0 },
		{ "+-5m", -1, 0 },
	};
	long d;

	(void)unused;
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t t = 0;

		assert_int_equal(
		    alert_parse_time(cases[i].text, 1800000000, &t),
		    cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(t, cases[i].want);
	}
	assert_int_equal(alert_parse_duration("90", &d), 0);
	assert_int_equal(d, 90);
	assert_int_equal(alert_parse_duration("", &d), -1);
	assert_int_equal(alert_parse_duration("m", &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_single),
		cmocka_unit_test(test_subject_group),
		cmocka_unit_test(test_format_group_overview),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_format_headers_and_threading),
		cmocka_unit_test(test_format_notes_and_wrapping),
		cmocka_unit_test(test_body_utf8),
		cmocka_unit_test(test_details_from_result),
		cmocka_unit_test(test_message_id_unique),
		cmocka_unit_test(test_rcpts_from_mail),
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test(test_spool_files),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_command_roundtrip),
		cmocka_unit_test(test_command_bad_lines),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
