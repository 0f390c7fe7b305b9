/* Table-driven tests of the local probes' parsers (probes/local_parse.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "local_parse.h"

struct meminfo_case {
	const char *text;
	int rc;
	uint64_t total, available, buffers, cached, swap_total, swap_free;
};

static const struct meminfo_case meminfo_cases[] = {
	{ "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n"
	  "Buffers: 10 kB\nCached: 200 kB\nSwapTotal: 50 kB\nSwapFree: 20 kB\n",
	    0, 1024000, 614400, 10240, 204800, 51200, 20480 },
	/* no trailing newline, tabs, values without unit */
	{ "MemTotal:\t2048\nMemAvailable:\t1024", 0, 2048, 1024, 0, 0, 0, 0 },
	/* old kernel: available = free + buffers + cached */
	{ "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 "
	  "kB\n",
	    0, 1024000, 317440, 10240, 204800, 0, 0 },
	/* available above total is clamped; swap free above total too */
	{ "MemTotal: 10 kB\nMemAvailable: 20 kB\nSwapTotal: 1 kB\nSwapFree: 5 "
	  "kB\n",
	    0, 10240, 10240, 0, 0, 1024, 1024 },
	/* unknown keys and garbage lines are ignored */
	{ "Hello\nMemTotal: 4 kB\nFoo: bar\nMemAvailable: 1 kB\nno colon\n", 0,
	    4096, 1024, 0, 0, 0, 0 },
	{ "", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: 0 kB\nMemAvailable: 0 kB\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: lots\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: 12 MB\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: 12 kB extra\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: -12 kB\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: 99999999999999999999999 kB\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n", -1, 0, 0, 0,
	    0, 0, 0 }, /* 2^54 kB overflows bytes */
	{ "MemTotal: 1000 kB\n", -1, 0, 0, 0, 0, 0, 0 },
	{ "MemTotal: 1000 kB\nMemAvailable: kB\n", -1, 0, 0, 0, 0, 0, 0 },
};

static void
test_meminfo(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(meminfo_cases) / sizeof(meminfo_cases[0]); i++) {
		const struct meminfo_case *c = &meminfo_cases[i];
		struct meminfo mi;
		char err[128] = "";
		int rc;

		rc = meminfo_parse(
		    c->text, strlen(c->text), &mi, err, sizeof(err));
		print_message("case %zu: rc %d err '%s'\n", i, rc, err);
		assert_int_equal(rc, c->rc);
		if (rc != 0) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_int_equal(mi.v[MI_TOTAL], c->total);
		assert_int_equal(mi.v[MI_AVAILABLE], c->available);
		assert_int_equal(mi.v[MI_BUFFERS], c->buffers);
		assert_int_equal(mi.v[MI_CACHED], c->cached);
		assert_int_equal(mi.v[MI_SWAP_TOTAL], c->swap_total);
		assert_int_equal(mi.v[MI_SWAP_FREE], c->swap_free);
	}
}

struct output_case {
	const char *out;
	int rc;
	const char *first;
	const char *long_output;
	size_t metrics;
	const char *last_name; /* name of the last metric */
	double last_value;
};

static const struct output_case output_cases[] = {
	{ "OK - fine | a=1 b=2s;3;4;0;10\n", 0, "OK - fine", "", 2, "b", 2 },
	{ "OK - no perfdata\n", 0, "OK - no perfdata", "", 0, NULL, 0 },
	{ "", 0, "", "", 0, NULL, 0 },
	{ "  padded   |  x=1  \n", 0, "padded", "", 1, "x", 1 },
	/* the plugin API example: long text, perfdata continued */
	{ "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
	  "/ 15272 MB (77%);\n"
	  "/boot 68 MB (69%);\n"
	  "/home 69357 MB (27%);\n"
	  "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
	  "/home=69357MB;253404;253409;0;253414 \n"
	  "/var/log=818MB;970;975;0;980\n",
	    0, "DISK OK - free space: / 3326 MB (56%);",
	    "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n"
	    "/var/log 819 MB (84%);\n",
	    4, "/var/log", 818 },
	{ "OK\r\nline two\r\n", 0, "OK", "line two\n", 0, NULL, 0 },
	{ "OK | 'quoted label'=5%;;;0;100\n", 0, "OK", "", 1, "quoted label",
	    5 },
	{ "OK | time=U\n", 0, "OK", "", 1, "time", NAN },
	{ "OK | garbage\n", -1, "OK", "", 0, NULL, 0 },
	{ "OK | a=1x\n", -1, "OK", "", 0, NULL, 0 },
	{ "OK | a=abc\n", -1, "OK", "", 0, NULL, 0 },
	{ "OK\nlong | =5\n", -1, "OK", "long\n", 0, NULL, 0 },
};

static void
test_output(void **state)
{
	static struct probe_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(output_cases) / sizeof(output_cases[0]); i++) {
		const struct output_case *c = &output_cases[i];
		char first[PROBE_MESSAGE_MAX], err[256] = "";
		int rc;

		result_init(&res);
		rc = exec_output_parse(c->out, strlen(c->out), &res, first,
		    sizeof(first), err, sizeof(err));
		print_message("case %zu: rc %d err '%s'\n", i, rc, err);
		assert_int_equal(rc, c->rc);
		assert_string_equal(first, c->first);
		assert_string_equal(res.long_output, c->long_output);
		if (rc != 0) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_int_equal(res.metric_count, c->metrics);
		if (c->last_name != NULL) {
			const struct metric *m =
			    &res.metrics[res.metric_count - 1];

			assert_string_equal(m->name, c->last_name);
			if (isnan(c->last_value))
				assert_true(m->unknown);
			else
				assert_true(m->value == c->last_value);
		}
	}
}

/* A long line beyond the message size is cut, not overflowed. */
static void
test_output_long_first_line(void **state)
{
	static struct probe_result res;
	static char out[4096];
	char first[PROBE_MESSAGE_MAX], err[64];

	(void)state;
	memset(out, 'x', sizeof(out) - 2);
	out[sizeof(out) - 2] = '\n';
	out[sizeof(out) - 1] = '\0';
	result_init(&res);
	assert_int_equal(exec_output_parse(out, strlen(out), &res, first,
			     sizeof(first), err, sizeof(err)),
	    0);
	assert_int_equal(strlen(first), sizeof(first) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_output_long_first_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
