/*
 * The notification policy with a fake clock: every call gets the time,
 * mails are captured instead of spooled.  Problem/recovery, renotify
 * timing, first-notification-delay, acks (normal, sticky, expiring),
 * downtimes, group window, hourly cap, flapping, notify-states, and the
 * state surviving a save/load (restart).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alerts.h"
#include "collector.h"
#include "config.h"
#include "notify.h"
#include "spool.h"
#include "util.h"

#define T0 1800000000

struct sent {
	enum notify_type type[16];
	char check[16][32];
	bool reminder[16];
	unsigned number[16];
	char first_id[16][64];
	char note[16][64];
	size_t n;
	char msgid[64];
	unsigned long suppressed;
};

struct box {
	struct sent mails[64];
	size_t count;
	unsigned ids;
	bool fail;
};

static int
capture(void *arg, const struct mail_event *ev, size_t n, const char *msgid,
    unsigned long suppressed)
{
	struct box *b = arg;
	struct sent *s;

	if (b->fail)
		return -1;
	assert_true(b->count < 64);
	s = &b->mails[b->count++];
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->suppressed = suppressed;
	str_copy(s->msgid, msgid, sizeof(s->msgid));
	for (size_t i = 0; i < n && i < 16; i++) {
		s->type[i] = ev[i].type;
		str_copy(s->check[i], ev[i].check, sizeof(s->check[i]));
		s->reminder[i] = ev[i].reminder;
		s->number[i] = ev[i].number;
		str_copy(
		    s->first_id[i], ev[i].first_id, sizeof(s->first_id[i]));
		str_copy(s->note[i], ev[i].note, sizeof(s->note[i]));
	}
	return 0;
}

static void
make_id(void *arg, char *buf, size_t size)
{
	struct box *b = arg;

	snprintf(buf, size, "<id%u@test>", ++b->ids);
}

static struct notify *
new_nt(struct box *b, long window, long cap, long renotify, long delay)
{
	struct notify_policy pol = { renotify, delay, NOTIFY_ON_ALL };

	memset(b, 0, sizeof(*b));
	return notify_new(window, cap, &pol, capture, make_id, b);
}

static void
problem(struct notify *nt, const char *c, enum probe_state from,
    enum probe_state to, time_t t)
{
	notify_hard_change(nt, c, from, to, 3, 3, "Message: x\n", t);
}

static void
test_problem_and_recovery_thread(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 0, 0);

	(void)unused;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.mails[0].type[0], NOTIFY_PROBLEM);
	assert_int_equal(b.mails[0].number[0], 1);
	assert_string_equal(b.mails[0].first_id[0], "");
	problem(nt, "web", STATE_CRITICAL, STATE_OK, T0 + 100);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.mails[1].type[0], NOTIFY_RECOVERY);
	assert_string_equal(b.mails[1].first_id[0], "<id1@test>");
	/* A new problem starts a new thread. */
	problem(nt, "web", STATE_OK, STATE_WARNING, T0 + 200);
	assert_int_equal(b.count, 3);
	assert_string_equal(b.mails[2].first_id[0], "");
	assert_int_equal(b.mails[2].number[0], 1);
	/* WARNING -> CRITICAL is notified at once, in the same thread. */
	problem(nt, "web", STATE_WARNING, STATE_CRITICAL, T0 + 210);
	assert_int_equal(b.count, 4);
	assert_int_equal(b.mails[3].number[0], 2);
	assert_string_equal(b.mails[3].first_id[0], "<id3@test>");
	notify_free(nt);
}

static void
test_recovery_only_if_notified(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 0, 0);
	struct notify_policy pol = { 0, 0,
		NOTIFY_ON_CRITICAL | NOTIFY_ON_RECOVERY };

	(void)unused;
	notify_set_policy(nt, "web", &pol);
	problem(nt, "web", STATE_OK, STATE_WARNING, T0);
	assert_int_equal(b.count, 0); /* warnings filtered out */
	problem(nt, "web", STATE_WARNING, STATE_OK, T0 + 10);
	assert_int_equal(b.count, 0); /* so no recovery either */
	/* A failed spool write is not "notified" either. */
	b.fail = true;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0 + 20);
	b.fail = false;
	problem(nt, "web", STATE_CRITICAL, STATE_OK, T0 + 30);
	assert_int_equal(b.count, 0);
	notify_free(nt);
}

/* A mail the spool cannot take (disk full) is kept and retried with a
 * backoff: never lost, never mailed twice. */
static void
test_spool_failure_retry(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 0, 0);

	(void)unused;
	b.fail = true;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	assert_int_equal(b.count, 0);
	assert_int_equal(notify_queued(nt), 1);
	notify_tick(nt, T0); /* held for 1 s */
	notify_tick(nt, T0 + 1); /* tried again: fails, held 2 s */
	assert_int_equal(b.count, 0);
	assert_int_equal(notify_queued(nt), 1);
	b.fail = false;
	notify_tick(nt, T0 + 2);
	assert_int_equal(b.count, 0);
	notify_tick(nt, T0 + 3);
	assert_int_equal(b.count, 1);
	assert_int_equal(notify_queued(nt), 0);
	assert_int_equal(b.mails[0].type[0], NOTIFY_PROBLEM);
	assert_int_equal(b.mails[0].number[0], 1);
	notify_tick(nt, T0 + 100);
	assert_int_equal(b.count, 1);
	problem(nt, "web", STATE_CRITICAL, STATE_OK, T0 + 200);
	assert_int_equal(b.count, 2);
	assert_string_equal(b.mails[1].first_id[0], b.mails[0].msgid);
	notify_free(nt);
}

static void
test_renotify_timing(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 600, 0);

	(void)unused;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	notify_tick(nt, T0 + 599);
	assert_int_equal(b.count, 1);
	notify_tick(nt, T0 + 600);
	assert_int_equal(b.count, 2);
	assert_true(b.mails[1].reminder[0]);
	assert_int_equal(b.mails[1].number[0], 2);
	assert_string_equal(b.mails[1].first_id[0], "<id1@test>");
	notify_tick(nt, T0 + 1199);
	assert_int_equal(b.count, 2);
	notify_tick(nt, T0 + 1200);
	assert_int_equal(b.count, 3);
	assert_int_equal(b.mails[2].number[0], 3);
	notify_free(nt);
	/* renotify = 0: once. */
	nt = new_nt(&b, 0, 0, 0, 0);
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	notify_tick(nt, T0 + 86400 * 30);
	assert_int_equal(b.count, 1);
	notify_free(nt);
}

static void
test_reminders_digest(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 600, 0);

	(void)unused;
	problem(nt, "a", STATE_OK, STATE_CRITICAL, T0);
	problem(nt, "b", STATE_OK, STATE_WARNING, T0 + 10);
	problem(nt, "c", STATE_OK, STATE_UNKNOWN, T0 + 20);
	assert_int_equal(b.count, 3);
	notify_tick(nt, T0 + 700);
	assert_int_equal(b.count, 4);
	assert_int_equal(b.mails[3].n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(b.mails[3].reminder[i]);
	notify_free(nt);
}

static void
test_first_notification_delay(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 0, 300);
	char err[256];

	(void)unused;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	notify_tick(nt, T0 + 299);
	assert_int_equal(b.count, 0);
	notify_tick(nt, T0 + 300);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.mails[0].type[0], NOTIFY_PROBLEM);
	/* Acknowledged before the delay ran out: nothing at all. */
	problem(nt, "mq", STATE_OK, STATE_CRITICAL, T0 + 500);
	assert_int_equal(
	    notify_ack(nt, "mq", false, 0, "known", T0 + 510, err, sizeof(err)),
	    0);
	notify_tick(nt, T0 + 900);
	assert_int_equal(b.count, 1);
	/* Recovered before the delay: nothing at all. */
	problem(nt, "db", STATE_OK, STATE_CRITICAL, T0 + 1000);
	problem(nt, "db", STATE_CRITICAL, STATE_OK, T0 + 1100);
	notify_tick(nt, T0 + 2000);
	assert_int_equal(b.count, 1);
	notify_free(nt);
}

static void
test_ack_normal_and_sticky(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 600, 0);
	char err[256];

	(void)unused;
	assert_int_equal(
	    notify_ack(nt, "nope", false, 0, "x", T0, err, sizeof(err)), -1);
	problem(nt, "web", STATE_OK, STATE_WARNING, T0);
	assert_int_equal(
	    notify_ack(nt, "web", false, 0, "on it", T0 + 1, err, sizeof(err)),
	    0);
	notify_tick(nt, T0 + 1800);
	assert_int_equal(b.count, 1); /* no reminders while acked */
	/* A normal ack ends with any state change. */
	problem(nt, "web", STATE_WARNING, STATE_CRITICAL, T0 + 1900);
	assert_int_equal(b.count, 2);
	notify_tick(nt, T0 + 2500);
	assert_int_equal(b.count, 3);
	/* A sticky ack survives WARNING <-> CRITICAL, not OK. */
	assert_int_equal(notify_ack(nt, "web", true, 0, "sticky", T0 + 2501,
			     err, sizeof(err)),
	    0);
	problem(nt, "web", STATE_CRITICAL, STATE_WARNING, T0 + 2600);
	assert_int_equal(b.count, 4); /* the change itself is mailed */
	notify_tick(nt, T0 + 5000);
	assert_int_equal(b.count, 4);
	assert_true(notify_get(nt, "web")->ack.active);
	problem(nt, "web", STATE_WARNING, STATE_OK, T0 + 5100);
	assert_int_equal(b.count, 5);
	assert_false(notify_get(nt, "web")->ack.active);
	/* Nothing to acknowledge on OK. */
	assert_int_equal(
	    notify_ack(nt, "web", false, 0, "x", T0 + 5200, err, sizeof(err)),
	    -1);
	notify_free(nt);
}

static void
test_ack_expire(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 600, 0);
	char err[256];

	(void)unused;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	assert_int_equal(notify_ack(nt, "web", false, T0 + 1000, "later",
			     T0 + 10, err, sizeof(err)),
	    0);
	notify_tick(nt, T0 + 999);
	assert_int_equal(b.count, 1);
	notify_tick(nt, T0 + 1000); /* expired: the reminder is overdue */
	assert_int_equal(b.count, 2);
	assert_true(b.mails[1].reminder[0]);
	notify_free(nt);
}

static void
test_downtime(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 0, 0);
	char err[256];

	(void)unused;
	assert_int_equal(notify_downtime(nt, "web", T0 + 100, T0 + 50, "x", T0,
			     err, sizeof(err)),
	    -1);
	assert_int_equal(notify_downtime(nt, "web", T0, T0 + 600, "maint", T0,
			     err, sizeof(err)),
	    0);
	notify_tick(nt, T0 + 1);
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0 + 10);
	notify_tick(nt, T0 + 599);
	assert_int_equal(b.count, 0);
	notify_tick(nt, T0 + 600);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.mails[0].type[0], NOTIFY_PROBLEM);
	assert_string_equal(b.mails[0].note[0], "still open after downtime");
	/* A mailed problem recovering inside a downtime: RECOVERY at its end. */
	assert_int_equal(notify_downtime(nt, "web", T0 + 700, T0 + 800, "",
			     T0 + 650, err, sizeof(err)),
	    0);
	notify_tick(nt, T0 + 700);
	problem(nt, "web", STATE_CRITICAL, STATE_OK, T0 + 750);
	assert_int_equal(b.count, 1);
	notify_tick(nt, T0 + 800);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.mails[1].type[0], NOTIFY_RECOVERY);
	assert_string_equal(b.mails[1].first_id[0], "<id1@test>");
	/* A problem that came and went inside the window stays silent. */
	assert_int_equal(notify_downtime(nt, "web", T0 + 900, T0 + 1000, "",
			     T0 + 850, err, sizeof(err)),
	    0);
	notify_tick(nt, T0 + 900);
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0 + 910);
	problem(nt, "web", STATE_CRITICAL, STATE_OK, T0 + 920);
	notify_tick(nt, T0 + 1000);
	assert_int_equal(b.count, 2);
	notify_free(nt);
}

static void
test_group_window(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 30, 0, 0, 0);

	(void)unused;
	problem(nt, "c", STATE_OK, STATE_CRITICAL, T0);
	notify_tick(nt, T0 + 5);
	problem(nt, "b", STATE_OK, STATE_WARNING, T0 + 5);
	problem(nt, "a", STATE_OK, STATE_CRITICAL, T0 + 10);
	notify_tick(nt, T0 + 29);
	assert_int_equal(b.count, 0);
	assert_int_equal(notify_queued(nt), 3);
	notify_tick(nt, T0 + 30);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.mails[0].n, 3);
	/* Listed by check name, whatever the order of the changes. */
	assert_string_equal(b.mails[0].check[0], "a");
	assert_string_equal(b.mails[0].check[2], "c");
	/* Every check of the group threads its recovery to the group mail. */
	problem(nt, "b", STATE_WARNING, STATE_OK, T0 + 40);
	notify_tick(nt, T0 + 70);
	assert_int_equal(b.count, 2);
	assert_string_equal(b.mails[1].first_id[0], "<id1@test>");
	/* Problem and recovery inside one window: withdrawn, no mail. */
	problem(nt, "d", STATE_OK, STATE_CRITICAL, T0 + 100);
	problem(nt, "d", STATE_CRITICAL, STATE_OK, T0 + 110);
	notify_tick(nt, T0 + 200);
	assert_int_equal(b.count, 2);
	notify_free(nt);
}

static void
test_hourly_cap(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 2, 0, 0);

	(void)unused;
	problem(nt, "a", STATE_OK, STATE_CRITICAL, T0);
	problem(nt, "b", STATE_OK, STATE_CRITICAL, T0 + 1);
	problem(nt, "c", STATE_OK, STATE_CRITICAL, T0 + 2);
	problem(nt, "d", STATE_OK, STATE_CRITICAL, T0 + 3);
	assert_int_equal(b.count, 2);
	assert_int_equal(notify_suppressed(nt), 2);
	/* c was never mailed: its recovery is not mailed either. */
	problem(nt, "c", STATE_CRITICAL, STATE_OK, T0 + 3601);
	assert_int_equal(b.count, 2);
	/* An hour later: the next mail reports the held-back count. */
	problem(nt, "a", STATE_CRITICAL, STATE_OK, T0 + 3602);
	assert_int_equal(b.count, 3);
	assert_int_equal(b.mails[2].suppressed, 2);
	assert_int_equal(notify_suppressed(nt), 0);
	notify_free(nt);
}

static void
test_flapping(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 0, 0, 600, 0);

	(void)unused;
	notify_flapping(nt, "web", true, STATE_CRITICAL, NULL, T0);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.mails[0].type[0], NOTIFY_FLAPPINGSTART);
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0 + 5);
	problem(nt, "web", STATE_CRITICAL, STATE_OK, T0 + 10);
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0 + 15);
	notify_tick(nt, T0 + 2000);
	assert_int_equal(b.count, 1); /* silent while flapping */
	notify_flapping(nt, "web", false, STATE_CRITICAL, NULL, T0 + 3000);
	assert_int_equal(b.count, 3);
	assert_int_equal(b.mails[1].type[0], NOTIFY_FLAPPINGSTOP);
	assert_int_equal(b.mails[2].type[0], NOTIFY_PROBLEM);
	assert_string_equal(b.mails[2].note[0], "flapping stopped");
	notify_free(nt);
}

static void
test_survives_restart(void **unused)
{
	struct box b, b2;
	struct notify *nt = new_nt(&b, 30, 5, 600, 0);
	struct notify_policy pol = { 600, 0, NOTIFY_ON_ALL };
	char *text, err[256];

	(void)unused;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	notify_tick(nt, T0 + 30);
	assert_int_equal(b.count, 1);
	assert_int_equal(notify_downtime(nt, "db", T0 + 5000, T0 + 6000, "m",
			     T0 + 31, err, sizeof(err)),
	    0);
	problem(nt, "disk", STATE_OK, STATE_WARNING, T0 + 40); /* queued */
	assert_true(notify_dirty(nt));
	text = notify_save(nt);
	assert_non_null(text);
	assert_false(notify_dirty(nt));
	notify_free(nt);

	memset(&b2, 0, sizeof(b2));
	b2.ids = 100;
	nt = notify_new(30, 5, &pol, capture, make_id, &b2);
	assert_int_equal(notify_load(nt, text, err, sizeof(err)), 0);
	free(text);
	/* The queued change is still there and goes out with its window. */
	assert_int_equal(notify_queued(nt), 1);
	notify_tick(nt, T0 + 70);
	assert_int_equal(b2.count, 1);
	assert_string_equal(b2.mails[0].check[0], "disk");
	/* The notified problem is not re-announced, reminders go on in its
	 * thread. */
	notify_tick(nt, T0 + 599);
	assert_int_equal(b2.count, 1);
	notify_tick(nt, T0 + 630);
	assert_int_equal(b2.count, 2);
	assert_string_equal(b2.mails[1].check[0], "web");
	assert_string_equal(b2.mails[1].first_id[0], "<id1@test>");
	assert_int_equal(notify_get(nt, "db")->dt_count, 1);
	/* Garbage is an error, not a crash. */
	assert_int_equal(
	    notify_load(
		nt, "{\"checks\": {\"x\": {\"state\": 9}}}", err, sizeof(err)),
	    -1);
	assert_int_equal(notify_load(nt, "[", err, sizeof(err)), -1);
	notify_free(nt);
}

/* A check removed from the config gets no more reminders. */
static void
test_retain(void **unused)
{
	struct box b;
	struct notify *nt = new_nt(&b, 30, 0, 600, 0);
	const char *keep[] = { "web" };

	(void)unused;
	problem(nt, "web", STATE_OK, STATE_CRITICAL, T0);
	problem(nt, "gone", STATE_OK, STATE_CRITICAL, T0);
	notify_tick(nt, T0 + 30);
	assert_int_equal(b.count, 1);
	problem(nt, "gone", STATE_CRITICAL, STATE_WARNING, T0 + 40);
	notify_retain(nt, keep, 1);
	assert_null(notify_get(nt, "gone"));
	assert_int_equal(notify_queued(nt), 0);
	notify_tick(nt, T0 + 700);
	assert_int_equal(b.count, 2);
	assert_int_equal(b.mails[1].n, 1);
	assert_string_equal(b.mails[1].check[0], "web");
	notify_free(nt);
}

/*
 * The glue the collector calls: alerts_new from a config, hard changes
 * spooled at once (group-window = 0), spool-max dropping the oldest and
 * the next mail saying so, per-check `to` in the To: header.
 */
static void
test_alerts_glue_spool_limit(void **unused)
{
	char dir[] = "/tmp/osemon-alerts-test.XXXXXX";
	char text[1024], spool[512], path[1024], err[512];
	struct cfg *cfg = NULL;
	struct cfg_errors errs;
	struct alerts *al;
	struct check c;
	char **names = NULL, *mail = NULL;
	size_t len = 0;
	long n;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
	    "[global]\nstate-dir = %s\nhostname = h1\ngroup-window = 0\n"
	    "max-per-hour = 0\n[smtp]\nserver = 127.0.0.1:1\n"
	    "to = ops@example.com\nspool-max = 2\n"
	    "[check web]\nprobe = disk\nto = web@example.com\n",
	    dir);
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string(text, "t.conf", &cfg, &errs), 0);
	cfg_errors_free(&errs);
	al = alerts_new(cfg, dir, err, sizeof(err));
	assert_non_null(al);
	memset(&c, 0, sizeof(c));
	c.name = strdup("web");
	c.policy.max_attempts = 1;
	c.st.attempt = 1;
	c.events = CHECK_EVENT_HARD_CHANGE;
	for (int i = 0; i < 4; i++) {
		enum probe_state old = i % 2 ? STATE_CRITICAL : STATE_OK;

		c.st.last_hard = i % 2 ? STATE_OK : STATE_CRITICAL;
		alerts_hard_change(al, &c, old, T0 + i);
	}
	/* 4 mails (problem, recovery, problem, recovery), 2 kept; each
	 * new mail reports the drop made since the mail before it. */
	snprintf(spool, sizeof(spool), "%s/spool", dir);
	n = spool_list(spool, &names);
	assert_int_equal(n, 2);
	c.st.last_hard = STATE_CRITICAL;
	alerts_hard_change(al, &c, STATE_OK, T0 + 10);
	spool_names_free(names, n);
	n = spool_list(spool, &names);
	assert_int_equal(n, 2);
	snprintf(path, sizeof(path), "%s/%s", spool, names[1]);
	assert_int_equal(file_read_capped(path, 1 << 20, &mail, &len), 0);
	assert_non_null(strstr(mail,
	    "NOTE: 1 older spooled mails were "
	    "dropped (spool limit).\r\n"));
	assert_non_null(
	    strstr(mail, "\r\nTo: ops@example.com, web@example.com\r\n"));
	assert_non_null(strstr(mail,
	    "Subject: ** PROBLEM Service Alert: h1/web is CRITICAL **\r\n"));
	free(mail);
	for (long i = 0; i < n; i++)
		spool_remove(spool, names[i]);
	spool_names_free(names, n);
	alerts_free(al);
	/* The state file survived the free; remove what the test made. */
	snprintf(path, sizeof(path), "%s/alerts.json", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(spool), 0);
	assert_int_equal(rmdir(dir), 0);
	free(c.name);
	cfg_free(cfg);
}

static void
test_parse_states(void **unused)
{
	static const struct {
		const char *text;
		int rc;
		unsigned mask;
	} cases[] = {
		{ "w,c,u,r,f", 0, NOTIFY_ON_ALL },
		{ "all", 0, NOTIFY_ON_ALL },
		{ "none", 0, 0 },
		{ "critical, recovery", 0,
		    NOTIFY_ON_CRITICAL | NOTIFY_ON_RECOVERY },
		{ "C,W", 0, NOTIFY_ON_CRITICAL | NOTIFY_ON_WARNING },
		{ "x", -1, 0 },
		{ "w,,c", 0, NOTIFY_ON_WARNING | NOTIFY_ON_CRITICAL },
		{ "averyveryveryveryveryverylongword", -1, 0 },
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned m = 0xffff;

		assert_int_equal(
		    notify_parse_states(cases[i].text, &m), cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(m, cases[i].mask);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_problem_and_recovery_thread),
		cmocka_unit_test(test_recovery_only_if_notified),
		cmocka_unit_test(test_spool_failure_retry),
		cmocka_unit_test(test_renotify_timing),
		cmocka_unit_test(test_reminders_digest),
		cmocka_unit_test(test_first_notification_delay),
		cmocka_unit_test(test_ack_normal_and_sticky),
		cmocka_unit_test(test_ack_expire),
		cmocka_unit_test(test_downtime),
		cmocka_unit_test(test_group_window),
		cmocka_unit_test(test_hourly_cap),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_survives_restart),
		cmocka_unit_test(test_retain),
		cmocka_unit_test(test_alerts_glue_spool_limit),
		cmocka_unit_test(test_parse_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
