/* The INI model (collector/config.c) and the collector's config loading
 * (collector/setup.c): good files, bad files, every message exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "runtime.h"

/* All messages of errs, in print order, as one string. */
static char *
errors_text(const struct cfg_errors *errs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	cfg_errors_print(errs, fp);
	fclose(fp);
	return buf;
}

static void
test_good_file(void **state)
{
	static const char text[] = "\xef\xbb\xbf# a comment\n"
				   "; another\n"
				   "[global]\n"
				   "interval = 30   ; inline comment\n"
				   "  rrd-dir=rrd\r\n"
				   "\n"
				   "[check web]\n"
				   "probe = http\n"
				   "url = https://example.org/a;b\n"
				   "header = A: 1\n"
				   "header = B: 2\n"
				   "empty =\n"
				   "[ smtp ]\n"
				   "server: mail:587\n";
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	const struct cfg_section *s;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string(text, "t.conf", &cfg, &errs), 0);
	assert_int_equal(cfg_errors_total(&errs), 0);
	assert_int_equal(cfg->count, 3);
	s = cfg_find(cfg, "global", NULL);
	assert_non_null(s);
	assert_int_equal(s->line, 3);
	assert_null(s->label);
	assert_string_equal(cfg_value(s, "interval"), "30");
	assert_string_equal(cfg_value(s, "rrd-dir"), "rrd");
	assert_int_equal(s->entries[1].line, 5);
	s = cfg_find(cfg, "check", "web");
	assert_non_null(s);
	assert_string_equal(s->label, "web");
	assert_int_equal(s->line, 7);
	assert_int_equal(s->count, 5);
	assert_string_equal(s->entries[1].value, "https://example.org/a;b");
	assert_string_equal(s->entries[2].key, "header");
	assert_string_equal(s->entries[2].value, "A: 1");
	assert_string_equal(s->entries[3].value, "B: 2");
	assert_int_equal(s->entries[3].line, 11);
	assert_string_equal(cfg_value(s, "header"), "B: 2");
	assert_string_equal(cfg_value(s, "empty"), "");
	assert_null(cfg_value(s, "nope"));
	assert_null(cfg_find(cfg, "check", "other"));
	s = cfg_find(cfg, "smtp", NULL);
	assert_non_null(s);
	assert_string_equal(cfg_value(s, "server"), "mail:587");
	cfg_free(cfg);
	cfg_errors_free(&errs);
}

static const struct {
	const char *text;
	const char *errors;
} syntax_cases[] = {
	{ "[global\n", "f:1: section header without ']'\n" },
	{ "[global] x\n", "f:1: text after section header\n" },
	{ "[global] # ok\n", "" },
	{ "[]\n", "f:1: empty section header\n" },
	{ "[foo]\n", "f:1: unknown section [foo]\n" },
	{ "[check]\n", "f:1: [check] needs a name: [check NAME]\n" },
	{ "[check a b]\n",
	    "f:1: bad check name 'a b' (letters, digits, "
	    "'_', '-', '.', at most 100)\n" },
	{ "[check .x]\n",
	    "f:1: bad check name '.x' (letters, digits, "
	    "'_', '-', '.', at most 100)\n" },
	{ "[global x]\n", "f:1: [global] takes no name\n" },
	{ "[global]\n[global]\n",
	    "f:2: duplicate section [global] (first at line 1)\n" },
	{ "[check a]\n[smtp]\n[check a]\n",
	    "f:3: duplicate section [check a] (first at line 1)\n" },
	{ "[global]\njunk\n",
	    "f:2: expected 'key = value', '[section]' or "
	    "a comment\n" },
	{ "[global]\n= 3\n", "f:2: missing key before '='\n" },
	{ "a = 1\nb = 2\n[global]\n", "f:1: key outside a section\n" },
	{ "[foo]\na = 1\n[global]\nb = 2\n", "f:1: unknown section [foo]\n" },
	{ "[global]\nx\n[bar]\ny\n",
	    "f:2: expected 'key = value', "
	    "'[section]' or a comment\nf:3: unknown section [bar]\n"
	    "f:4: expected 'key = value', '[section]' or a comment\n" },
};

static void
test_syntax_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(syntax_cases) / sizeof(syntax_cases[0]);
	     i++) {
		struct cfg_errors errs;
		struct cfg *cfg = NULL;
		char *got;
		int rc;

		cfg_errors_init(&errs);
		rc = cfg_load_string(syntax_cases[i].text, "f", &cfg, &errs);
		got = errors_text(&errs);
		if (strcmp(got, syntax_cases[i].errors) != 0)
			fail_msg("case %zu: got '%s' wanted '%s'", i, got,
			    syntax_cases[i].errors);
		assert_int_equal(rc, *syntax_cases[i].errors ? -1 : 0);
		free(got);
		cfg_free(cfg);
		cfg_errors_free(&errs);
	}
}

static void
test_long_line_and_nul(void **state)
{
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	char *text = malloc(CFG_LINE_MAX + 64);
	char *got;
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(text, 64, "[global]\nx = ");
	memset(text + len, 'a', CFG_LINE_MAX);
	len += CFG_LINE_MAX;
	memcpy(text + len, "\ny = 1\n", 8);
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string(text, "f", &cfg, &errs), -1);
	got = errors_text(&errs);
	assert_non_null(strstr(got, "f:2: line longer than "));
	assert_string_equal(cfg_value(cfg_find(cfg, "global", NULL), "y"), "1");
	assert_null(cfg_value(cfg_find(cfg, "global", NULL), "x"));
	free(got);
	free(text);
	cfg_free(cfg);
	cfg_errors_free(&errs);
}

static void
test_missing_file(void **state)
{
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	char *got;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(
	    cfg_load_file("/nonexistent/osemon.conf", &cfg, &errs), -1);
	assert_null(cfg);
	got = errors_text(&errs);
	assert_string_equal(got,
	    "/nonexistent/osemon.conf: cannot open: No "
	    "such file or directory\n");
	free(got);
	cfg_errors_free(&errs);
}

static void
test_paths(void **state)
{
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	char buf[64];
	FILE *fp;
	char path[] = "/tmp/osemon-config-test-XXXXXX";
	char file[128];

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/o.conf", path);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("[global]\nrrd-dir = rrd\n", fp);
	fclose(fp);
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_file(file, &cfg, &errs), 0);
	assert_string_equal(cfg->dir, path);
	assert_int_equal(cfg_path(cfg, "rrd", buf, sizeof(buf)), 0);
	snprintf(file, sizeof(file), "%s/rrd", path);
	assert_string_equal(buf, file);
	assert_int_equal(cfg_path(cfg, "/var/x", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/x");
	assert_int_equal(cfg_path(cfg,
			     "a-very-long-name-that-will-not-fit-"
			     "in-the-buffer-at-all",
			     buf, 16),
	    -1);
	cfg_free(cfg);
	cfg_errors_free(&errs);
	snprintf(file, sizeof(file), "%s/o.conf", path);
	unlink(file);
	rmdir(path);
}

static const struct option_spec demo_specs[] = {
	{ "server", 0, OPT_LIST, "HOST:PORT", NULL, 0, -1, "" },
	{ "timeout", 0, OPT_INT, "S", "30", 1, 600, "" },
	{ "tls", 0, OPT_FLAG, NULL, NULL, 0, -1, "" },
	{ "warning", 'w', OPT_RANGE, "R", NULL, 0, -1, "" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static void
test_section_to_args(void **state)
{
	static const char text[] = "[smtp]\n"
				   "server = a:25, b:25\n"
				   "server = c:25\n"
				   "timeout = 0\n"
				   "tls = maybe\n"
				   "colour = red\n"
				   "warning = 1:x\n"
				   "tls =\n";
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	struct args a;
	char *got;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(cfg_load_string(text, "m.conf", &cfg, &errs), 0);
	assert_int_equal(cfg_section_to_args(cfg_find(cfg, "smtp", NULL),
			     demo_specs, &a, cfg->name, &errs),
	    -1);
	got = errors_text(&errs);
	assert_string_equal(got,
	    "m.conf:4: timeout: '0' is not a whole number from 1 to 600\n"
	    "m.conf:5: tls: 'maybe' is not yes or no\n"
	    "m.conf:6: unknown key 'colour' in [smtp]\n"
	    "m.conf:7: warning: Range format incorrect: '1:x'\n"
	    "m.conf:8: tls: needs yes or no\n");
	assert_int_equal(args_list_count(&a, "server"), 3);
	assert_string_equal(args_list_item(&a, "server", 1), "b:25");
	assert_string_equal(args_list_item(&a, "server", 2), "c:25");
	assert_int_equal(args_int(&a, "timeout"), 30);
	free(got);
	args_free(&a);
	cfg_free(cfg);
	cfg_errors_free(&errs);
}

static void
test_collector_good(void **state)
{
	static const char text[] = "[global]\n"
				   "interval = 120\n"
				   "retries = 4\n"
				   "timeout-state = unknown\n"
				   "state-dir = /var/lib/osemon\n"
				   "[check root]\n"
				   "probe = disk\n"
				   "path = /\n"
				   "warning = 80\n"
				   "[check mem]\n"
				   "probe = memory\n"
				   "interval = 10\n"
				   "retries = 1\n"
				   "timeout = 2.5\n"
				   "timeout-state = critical\n"
				   "flap-detection = no\n";
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;
	char *got;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(
	    collector_conf_load_text("c.conf", text, &conf, &errs), 0);
	got = errors_text(&errs);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(conf->count, 2);
	assert_string_equal(conf->checks[0]->name, "root");
	assert_string_equal(conf->checks[0]->probe->name, "disk");
	assert_int_equal(conf->checks[0]->interval, 120);
	assert_int_equal(conf->checks[0]->retry_interval, 60);
	assert_int_equal(conf->checks[0]->policy.max_attempts, 4);
	assert_int_equal(conf->checks[0]->timeout_state, STATE_UNKNOWN);
	assert_true(conf->checks[0]->policy.flap_detection);
	assert_true(conf->checks[0]->policy.low_flap == 20.0);
	assert_true(conf->checks[0]->policy.high_flap == 30.0);
	assert_string_equal(
	    args_string(&conf->checks[0]->args, "warning"), "80");
	assert_int_equal(conf->checks[1]->interval, 10);
	assert_int_equal(conf->checks[1]->policy.max_attempts, 1);
	assert_true(conf->checks[1]->timeout == 2.5);
	assert_int_equal(conf->checks[1]->timeout_state, STATE_CRITICAL);
	assert_false(conf->checks[1]->policy.flap_detection);
	assert_string_equal(conf->state_dir, "/var/lib/osemon");
	assert_string_equal(conf->state_file, "/var/lib/osemon/state.json");
	assert_int_equal(conf->concurrency, 4);
	assert_int_equal(conf->graph_interval, 300);
	assert_false(conf->use_syslog);
	assert_null(conf->rrdcached);
	/* the signature changes with the section and the global defaults */
	assert_string_not_equal(
	    conf->checks[0]->signature, conf->checks[1]->signature);
	collector_conf_free(conf);
	cfg_errors_free(&errs);
}

static void
test_collector_errors(void **state)
{
	static const char text[] = "[global]\n"
				   "interval = 0\n"
				   "log = journal\n"
				   "timeout-state = ok\n"
				   "low-flap-threshold = 40\n"
				   "colour = blue\n"
				   "[check a]\n"
				   "probe = nope\n"
				   "[check b]\n"
				   "interval = 5\n"
				   "[check c]\n"
				   "probe = disk\n"
				   "warning = abc\n"
				   "frob = 1\n"
				   "retries = 0\n"
				   "timeout-state = maybe\n"
				   "high-flap-threshold = 10\n"
				   "[check d]\n"
				   "probe = memory\n";
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;
	char *got;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(
	    collector_conf_load_text("e.conf", text, &conf, &errs), -1);
	assert_null(conf);
	got = errors_text(&errs);
	assert_string_equal(got,
	    "e.conf:2: interval: '0' is not a whole number from 1 to 86400\n"
	    "e.conf:3: log: 'journal' is not stderr or syslog\n"
	    "e.conf:4: timeout-state: 'ok' is not critical or unknown\n"
	    "e.conf:5: low-flap-threshold 40 is above high-flap-threshold 30\n"
	    "e.conf:6: unknown key 'colour' in [global]\n"
	    "e.conf:8: probe: unknown probe 'nope'\n"
	    "e.conf:9: [check b] has no 'probe =' key\n"
	    "e.conf:11: [check c]: low-flap-threshold 40 is above "
	    "high-flap-threshold 10\n"
	    "e.conf:13: warning: Range format incorrect: 'abc'\n"
	    "e.conf:14: unknown key 'frob' in [check c]\n"
	    "e.conf:15: retries: '0' is not a whole number from 1 to 100\n"
	    "e.conf:16: timeout-state: 'maybe' is not critical or unknown\n");
	assert_int_equal(cfg_errors_total(&errs), 12);
	free(got);
	cfg_errors_free(&errs);
}

static void
test_no_checks(void **state)
{
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;
	char *got;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(
	    collector_conf_load_text("n.conf", "[global]\n", &conf, &errs), -1);
	got = errors_text(&errs);
	assert_string_equal(got, "n.conf: no [check NAME] section\n");
	free(got);
	cfg_errors_free(&errs);
}

static void
test_default_config(void **state)
{
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;
	char *text = collector_default_config();

	(void)state;
	assert_non_null(text);
	assert_non_null(strstr(text, "[check disk]"));
	cfg_errors_init(&errs);
	assert_int_equal(collector_conf_load(NULL, &conf, &errs), 0);
	assert_true(conf->count >= 3);
	assert_string_equal(conf->checks[0]->name, "disk");
	assert_string_equal(conf->checks[1]->name, "memory");
	assert_string_equal(conf->checks[2]->name, "load");
	assert_non_null(strstr(conf->state_dir, "osemon-data/state"));
	collector_conf_free(conf);
	cfg_errors_free(&errs);
	free(text);
}

static const struct {
	const char *in;
	const char *words[6]; /* NULL-ended; NULL first: error */
	const char *err;
} split_cases[] = {
	{ "/bin/echo 'a b' \"c \\\"d\\\"\" e\\ f",
	    { "/bin/echo", "a b", "c \"d\"", "e f", NULL }, NULL },
	{ "  x\ty  ", { "x", "y", NULL }, NULL },
	{ "a'b'\"c\"d", { "abcd", NULL }, NULL },
	{ "'' x", { "", "x", NULL }, NULL },
	{ "\"a\\b $HOME\"", { "a\\b $HOME", NULL }, NULL },
	{ "'abc", { NULL }, "unterminated '" },
	{ "\"abc", { NULL }, "unterminated \"" },
	{ "abc\\", { NULL }, "backslash at the end" },
	{ "   ", { NULL }, "empty command" },
};

static void
test_split_command(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]);
	     i++) {
		struct args a;
		char err[128] = "";
		int rc;
		size_t n = 0;

		args_init(&a, NULL);
		rc = collector_split_command(
		    split_cases[i].in, &a, err, sizeof(err));
		if (split_cases[i].err != NULL) {
			assert_int_equal(rc, -1);
			assert_string_equal(err, split_cases[i].err);
		} else {
			assert_int_equal(rc, 0);
			while (split_cases[i].words[n] != NULL) {
				assert_true(n < a.rest_count);
				assert_string_equal(
				    a.rest[n], split_cases[i].words[n]);
				n++;
			}
			assert_int_equal(a.rest_count, n);
		}
		args_free(&a);
	}
}

static void
test_exec_command_keys(void **state)
{
	static const char text[] =
	    "[check e]\n"
	    "probe = exec\n"
	    "command = /usr/lib/nagios/plugins/check_dummy 1 'half ok'\n"
	    "[check f]\n"
	    "probe = exec\n"
	    "[check g]\n"
	    "probe = disk\n"
	    "command = /bin/true\n"
	    "[check h]\n"
	    "probe = exec\n"
	    "command = 'oops\n";
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;
	char *got;

	(void)state;
	cfg_errors_init(&errs);
	assert_int_equal(
	    collector_conf_load_text("x.conf", text, &conf, &errs), -1);
	got = errors_text(&errs);
	assert_string_equal(got,
	    "x.conf:4: [check f] needs 'command ='\n"
	    "x.conf:8: command: probe 'disk' takes no command\n"
	    "x.conf:11: command: unterminated '\n");
	free(got);
	cfg_errors_free(&errs);
	cfg_errors_init(&errs);
	assert_int_equal(collector_conf_load_text("x.conf",
			     "[check e]\n"
			     "probe = exec\ncommand = /bin/echo 'half ok' x\n",
			     &conf, &errs),
	    0);
	assert_int_equal(conf->checks[0]->args.rest_count, 3);
	assert_string_equal(conf->checks[0]->args.rest[1], "half ok");
	collector_conf_free(conf);
	cfg_errors_free(&errs);
}

/* More errors than CFG_ERRORS_MAX are counted, not kept. */
static void
test_error_cap(void **state)
{
	struct cfg_errors errs;

	(void)state;
	cfg_errors_init(&errs);
	for (int i = 0; i < CFG_ERRORS_MAX + 5; i++)
		cfg_errors_add(&errs, "f", i + 1, "e%d", i);
	assert_int_equal(errs.count, CFG_ERRORS_MAX);
	assert_int_equal(errs.dropped, 5);
	assert_int_equal(cfg_errors_total(&errs), CFG_ERRORS_MAX + 5);
	cfg_errors_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_long_line_and_nul),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_section_to_args),
		cmocka_unit_test(test_collector_good),
		cmocka_unit_test(test_collector_errors),
		cmocka_unit_test(test_no_checks),
		cmocka_unit_test(test_default_config),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_split_command),
		cmocka_unit_test(test_exec_command_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
