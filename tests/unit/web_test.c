/*
 * Status pages: HTML escaping of everything a probe says, the shape of
 * status.json, ages, and the files web_write_status leaves in graph-dir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "html_buf.h"
#include "util.h"
#include "web.h"

static const struct {
	const char *in, *out;
} escape_cases[] = {
	{ "plain text", "plain text" },
	{ "<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "a & b", "a &amp; b" },
	{ "\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;" },
	{ "&amp;", "&amp;amp;" },
	{ "", "" },
	{ "caf\xc3\xa9 <", "caf\xc3\xa9 &lt;" },
};

static void
test_escape(void **state)
{
	struct html_buf b;
	char buf[128], small[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		html_buf_init(&b);
		html_buf_escape(&b, escape_cases[i].in);
		html_buf_puts(&b, "");
		assert_false(html_buf_failed(&b));
		assert_string_equal(
		    b.data != NULL ? b.data : "", escape_cases[i].out);
		html_buf_free(&b);
		assert_int_equal(
		    html_escape(escape_cases[i].in, buf, sizeof(buf)), 0);
		assert_string_equal(buf, escape_cases[i].out);
	}
	/* Truncation never cuts an entity in half. */
	assert_int_equal(html_escape("ab<cd", small, sizeof(small)), -1);
	assert_string_equal(small, "ab");
}

static void
test_buf(void **state)
{
	struct html_buf b;
	size_t i;

	(void)state;
	html_buf_init(&b);
	for (i = 0; i < 10000; i++)
		html_buf_printf(&b, "%zu,", i);
	assert_false(html_buf_failed(&b));
	assert_int_equal(strlen(b.data), b.len);
	assert_memory_equal(b.data, "0,1,2,", 6);
	html_buf_free(&b);
	html_buf_free(&b);
}

static const struct {
	time_t now, then;
	const char *want;
} age_cases[] = {
	{ 1000, 0, "never" },
	{ 1000, 958, "42s" },
	{ 1000, 1005, "0s" },
	{ 1000, 1000 - 182, "3m 2s" },
	{ 100000, 100000 - 7500, "2h 5m" },
	{ 1000000, 1000000 - 3 * 86400 - 4 * 3600 - 5, "3d 4h" },
};

static void
test_age(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(age_cases) / sizeof(age_cases[0]); i++) {
		web_format_age(
		    buf, sizeof(buf), age_cases[i].now, age_cases[i].then);
		assert_string_equal(buf, age_cases[i].want);
	}
}

struct fixture {
	struct probe_result ok, bad;
	struct web_check checks[3];
	struct web_config cfg;
};

static struct fixture *
fixture_new(const char *graph_dir)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct metric *m;

	assert_non_null(f);
	result_init(&f->ok);
	result_set(&f->ok, STATE_OK, REASON_NONE, "disk / 42%% used");
	m = result_metric(&f->ok, "/", 42, "%", DS_GAUGE);
	assert_non_null(m);
	assert_int_equal(range_parse("80", &m->warn), 0);
	assert_int_equal(range_parse("90", &m->crit), 0);
	m = result_metric(&f->ok, "reqs", 5, "c", DS_DERIVE);
	assert_non_null(m);
	m->unknown = true;

	result_init(&f->bad);
	result_set(&f->bad, STATE_CRITICAL, REASON_CONTENT,
	    "found <script>alert('x')</script> & more");
	result_long(&f->bad, "line <b>two</b>");

	f->checks[0].name = "root disk";
	f->checks[0].probe = "disk";
	f->checks[0].state = STATE_OK;
	f->checks[0].hard = true;
	f->checks[0].attempt = 1;
	f->checks[0].max_attempts = 3;
	f->checks[0].last_check = 1000;
	f->checks[0].last_change = 500;
	f->checks[0].interval = 60;
	f->checks[0].result = &f->ok;

	f->checks[1].name = "web<script>";
	f->checks[1].probe = "http";
	f->checks[1].state = STATE_CRITICAL;
	f->checks[1].hard = false;
	f->checks[1].attempt = 2;
	f->checks[1].max_attempts = 3;
	f->checks[1].flapping = true;
	f->checks[1].last_check = 990;
	f->checks[1].last_change = 900;
	f->checks[1].interval = 30;
	f->checks[1].result = &f->bad;

	f->checks[2].name = "later";
	f->checks[2].probe = "exec";
	f->checks[2].interval = 300;

	f->cfg.graph_dir = graph_dir;
	f->cfg.rrd_dir = "/nonexistent";
	f->cfg.hostname = "ose<1>";
	f->cfg.graph_url = "https://mon.example.org/osemon/";
	return f;
}

static void
test_index_html(void **state)
{
	struct fixture *f = fixture_new("/nonexistent");
	struct html_buf b;

	(void)state;
	html_buf_init(&b);
	assert_int_equal(web_index_html(&f->cfg, f->checks, 3, 1030, &b), 0);
	assert_null(strstr(b.data, "<script"));
	assert_null(strstr(b.data, "<1>"));
	assert_non_null(strstr(b.data,
	    "found &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	    "more"));
	assert_non_null(strstr(b.data, "<title>ose&lt;1&gt; - osemon status"));
	assert_non_null(strstr(b.data,
	    "<a href=\"root_disk/index.html\">"
	    "root disk</a>"));
	assert_non_null(strstr(b.data,
	    "<a href=\"web_script_/index.html\">"
	    "web&lt;script&gt;</a>"));
	assert_non_null(strstr(b.data, "<td class=\"ok\">OK</td>"));
	assert_non_null(strstr(b.data,
	    "<td class=\"critical\">CRITICAL "
	    "<span class=\"mark\">SOFT 2/3</span> "
	    "<span class=\"mark\">FLAPPING</span></td>"));
	assert_non_null(strstr(b.data, "<td class=\"pending\">PENDING</td>"));
	assert_non_null(strstr(b.data, "<td>40s ago</td><td>2m 10s</td>"));
	assert_non_null(strstr(b.data,
	    "3 checks: 1 OK, 0 WARNING, "
	    "1 CRITICAL, 0 UNKNOWN, 1 PENDING"));
	html_buf_free(&b);

	html_buf_init(&b);
	assert_int_equal(web_check_html(&f->cfg, &f->checks[1], &b), 0);
	assert_null(strstr(b.data, "<script"));
	assert_null(strstr(b.data, "<b>"));
	assert_non_null(strstr(b.data, "<pre>line &lt;b&gt;two&lt;/b&gt;"));
	assert_non_null(strstr(b.data, "<h1>web&lt;script&gt;</h1>"));
	assert_non_null(strstr(b.data, "content"));
	html_buf_free(&b);

	html_buf_init(&b);
	assert_int_equal(web_check_html(&f->cfg, &f->checks[0], &b), 0);
	assert_non_null(strstr(b.data,
	    "<tr><td>/</td><td>42</td><td>%</td>"
	    "<td>80</td><td>90</td></tr>"));
	assert_non_null(strstr(b.data,
	    "<tr><td>reqs</td><td>U</td>"
	    "<td>c/s</td>"));
	html_buf_free(&b);
	free(f);
}

static void
test_status_json(void **state)
{
	struct fixture *f = fixture_new("/nonexistent");
	json_t *root, *checks, *c, *m;
	json_error_t jerr;
	char *text;

	(void)state;
	text = web_status_json(&f->cfg, f->checks, 3, 1030);
	assert_non_null(text);
	root = json_loads(text, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(
	    json_string_value(json_object_get(root, "host")), "ose<1>");
	assert_int_equal(
	    json_integer_value(json_object_get(root, "generated")), 1030);
	checks = json_object_get(root, "checks");
	assert_true(json_is_array(checks));
	assert_int_equal(json_array_size(checks), 3);

	c = json_array_get(checks, 0);
	assert_string_equal(
	    json_string_value(json_object_get(c, "name")), "root disk");
	assert_string_equal(
	    json_string_value(json_object_get(c, "state")), "OK");
	assert_int_equal(
	    json_integer_value(json_object_get(c, "state_code")), 0);
	assert_true(json_is_true(json_object_get(c, "hard")));
	assert_int_equal(
	    json_integer_value(json_object_get(c, "last_check")), 1000);
	assert_string_equal(json_string_value(json_object_get(c, "url")),
	    "https://mon.example.org/osemon/root_disk/index.html");
	m = json_array_get(json_object_get(c, "metrics"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "/");
	assert_true(json_real_value(json_object_get(m, "value")) == 42.0);
	assert_string_equal(
	    json_string_value(json_object_get(m, "warning")), "80");
	assert_string_equal(
	    json_string_value(json_object_get(m, "ds")), "GAUGE");
	m = json_array_get(json_object_get(c, "metrics"), 1);
	assert_true(json_is_null(json_object_get(m, "value")));
	assert_true(json_is_null(json_object_get(m, "warning")));
	assert_string_equal(
	    json_string_value(json_object_get(m, "ds")), "DERIVE");

	c = json_array_get(checks, 1);
	assert_string_equal(json_string_value(json_object_get(c, "message")),
	    "found <script>alert('x')</script> & more");
	assert_string_equal(
	    json_string_value(json_object_get(c, "reason")), "content");
	assert_true(json_is_false(json_object_get(c, "hard")));
	assert_true(json_is_true(json_object_get(c, "flapping")));
	assert_int_equal(json_integer_value(json_object_get(c, "attempt")), 2);

	c = json_array_get(checks, 2);
	assert_string_equal(
	    json_string_value(json_object_get(c, "state")), "PENDING");
	assert_true(json_is_true(json_object_get(c, "pending")));
	assert_true(json_is_null(json_object_get(c, "message")));
	assert_int_equal(json_array_size(json_object_get(c, "metrics")), 0);
	json_decref(root);
	free(text);
	free(f);
}

static void
test_write_status(void **state)
{
	char dir[] = "/tmp/web_test.XXXXXX";
	char path[512], err[256], cmd[600];
	char *data = NULL;
	size_t len = 0;
	struct fixture *f;
	struct stat sb;
	DIR *d;
	struct dirent *e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	f = fixture_new(dir);
	assert_int_equal(
	    web_write_status(&f->cfg, f->checks, 3, 1030, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(file_read_capped(path, 1 << 20, &data, &len), 0);
	assert_non_null(strstr(data, "</html>"));
	free(data);
	snprintf(path, sizeof(path), "%s/status.json", dir);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/web_script_/index.html", dir);
	assert_int_equal(file_read_capped(path, 1 << 20, &data, &len), 0);
	assert_null(strstr(data, "<script"));
	free(data);
	snprintf(path, sizeof(path), "%s/later/index.html", dir);
	assert_int_equal(stat(path, &sb), 0);
	/* No temp files left behind. */
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		assert_null(strstr(e->d_name, "tmp"));
	closedir(d);

	/* A page that already shows its check's result is not rewritten;
	 * the index and status.json are. */
	snprintf(path, sizeof(path), "%s/later/index.html", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/status.json", dir);
	assert_int_equal(unlink(path), 0);
	f->checks[2].page_current = true;
	assert_int_equal(
	    web_write_status(&f->cfg, f->checks, 3, 1030, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/later/index.html", dir);
	assert_int_equal(stat(path, &sb), -1);
	f->checks[2].page_current = false;

	/* A graph-dir that cannot be created is an error, not a crash. */
	f->cfg.graph_dir = "/proc/osemon-cannot";
	assert_int_equal(
	    web_write_status(&f->cfg, f->checks, 3, 1030, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "graph-dir"));
	free(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_index_html),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_write_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
