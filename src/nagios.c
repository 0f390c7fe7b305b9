/*
 * The Nagios plugin face: `osemon check PROBE [options]`.
 * One line "PROBE STATE: text | perfdata", long output after it, exit code
 * 0-3.  Bad options are UNKNOWN (3) with a short usage on stderr.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "commands.h"
#include "faces.h"
#include "perfdata.h"
#include "util.h"

#define NAGIOS_OUTPUT_MAX (64 * 1024)

static const struct option_spec face_common_options[] = {
	{ "timeout", 't', OPT_DOUBLE, "SECONDS", "10", 0.001, 86400,
	    "deadline for the whole probe" },
	{ "verbose", 'v', OPT_FLAG, NULL, NULL, 1, 0,
	    "show the reason code (repeat for more)" },
	{ "help", 'h', OPT_FLAG, NULL, NULL, 1, 0, "print this help" },
	{ "version", 'V', OPT_FLAG, NULL, NULL, 1, 0, "print the version" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/* Handle -t/-v/-h/-V; returns 1 when spec was one of them. */
static int
face_common(const struct option_spec *spec, const char *value,
    struct face_opts *fo, char *err, size_t errlen)
{
	if (strcmp(spec->name, "timeout") == 0) {
		if (parse_double(value, &fo->timeout) != 0 ||
		    fo->timeout <= 0 || fo->timeout > 86400) {
			snprintf(err, errlen,
			    "--timeout: '%s' is not a number "
			    "of seconds",
			    value);
			return -1;
		}
	} else if (strcmp(spec->name, "verbose") == 0) {
		fo->verbose++;
	} else if (strcmp(spec->name, "help") == 0) {
		fo->help = 1;
	} else {
		fo->version = 1;
	}
	return 1;
}

/* Look an option up in the probe's table first, then the common one. */
static const struct option_spec *
face_lookup(
    const struct probe *p, const char *name, char short_name, int *common)
{
	const struct option_spec *s;

	s = short_name ? args_spec_short(p->options, short_name)
		       : args_spec(p->options, name);
	*common = 0;
	if (s != NULL)
		return s;
	*common = 1;
	return short_name ? args_spec_short(face_common_options, short_name)
			  : args_spec(face_common_options, name);
}

static int
face_store(const struct option_spec *spec, int common, const char *value,
    struct args *args, struct face_opts *fo, char *err, size_t errlen)
{
	if (common)
		return face_common(spec, value, fo, err, errlen) < 0 ? -1 : 0;
	return args_set(
	    args, spec, spec->type == OPT_FLAG ? "yes" : value, err, errlen);
}

int
face_parse_argv(const struct probe *p, int argc, char **argv, struct args *args,
    struct face_opts *fo, char *err, size_t errlen)
{
	int i;

	fo->timeout = FACE_DEFAULT_TIMEOUT;
	for (i = 1; i < argc; i++) {
		const char *word = argv[i], *value = NULL;
		const struct option_spec *spec;
		char name[64];
		int common;

		if (strcmp(word, "--") == 0) {
			for (i++; i < argc; i++)
				if (args_add_rest(args, argv[i]) != 0)
					goto nomem;
			break;
		}
		if (word[0] != '-' || word[1] == '\0') {
			snprintf(err, errlen, "unexpected argument '%s'", word);
			return -1;
		}
		if (word[1] == '-') {
			const char *eq = strchr(word + 2, '=');
			size_t len =
			    eq ? (size_t)(eq - word - 2) : strlen(word + 2);

			if (len >= sizeof(name)) {
				snprintf(err, errlen, "unknown option '%.40s'",
				    word);
				return -1;
			}
			memcpy(name, word + 2, len);
			name[len] = '\0';
			spec = face_lookup(p, name, 0, &common);
			value = eq ? eq + 1 : NULL;
		} else {
			spec = face_lookup(p, NULL, word[1], &common);
			value = word[2] ? word + 2 : NULL;
			if (spec && spec->type == OPT_FLAG && value != NULL) {
				snprintf(
				    err, errlen, "-%c takes no value", word[1]);
				return -1;
			}
		}
		if (spec == NULL) {
			snprintf(err, errlen, "unknown option '%.60s'", word);
			return -1;
		}
		if (spec->type == OPT_FLAG) {
			if (value != NULL) {
				snprintf(err, errlen, "--%s takes no value",
				    spec->name);
				return -1;
			}
		} else if (value == NULL) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--%s needs a value",
				    spec->name);
				return -1;
			}
			value = argv[++i];
		}
		if (face_store(spec, common, value, args, fo, err, errlen) != 0)
			return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
face_run_probe(const struct probe *p, const struct args *args, double timeout,
    enum probe_face face, void **check_state, struct probe_result *res)
{
	struct probe_run run = {
		.args = args,
		.deadline = clock_monotonic_now() + timeout,
		.face = face,
		.check_state = check_state,
	};

	result_init(res);
	if (p->run(&run, res) != 0 && res->state == STATE_OK)
		result_set(res, STATE_UNKNOWN, REASON_INTERNAL,
		    "probe failed without a reason");
}

static void
upper_name(const char *name, char *buf, size_t size)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < size; i++)
		buf[i] = (char)toupper((unsigned char)name[i]);
	buf[i] = '\0';
}

size_t
nagios_format(const struct probe *p, const struct probe_result *res,
    int verbose, char *buf, size_t size)
{
	char upper[32], item[PERFDATA_ITEM_MAX];
	size_t len = 0;

	upper_name(p->name, upper, sizeof(upper));
	str_appendf(buf, size, &len, "%s %s", upper, state_name(res->state));
	if (res->message[0])
		str_appendf(buf, size, &len, ": %s", res->message);
	for (size_t i = 0; i < res->metric_count; i++) {
		perfdata_format(&res->metrics[i], item, sizeof(item));
		str_appendf(
		    buf, size, &len, "%s%s", i == 0 ? " | " : " ", item);
	}
	str_appendf(buf, size, &len, "\n");
	if (res->long_len > 0)
		str_appendf(buf, size, &len, "%s", res->long_output);
	if (verbose > 0)
		str_appendf(
		    buf, size, &len, "reason: %s\n", reason_name(res->reason));
	return len;
}

static void
print_usage(FILE *f, const struct probe *p)
{
	fprintf(f, "Usage: osemon check %s %s\n", p->name,
	    p->usage ? p->usage : "[options]");
	fprintf(f, "       osemon check %s --help\n", p->name);
}

static void
print_options(const struct option_spec *specs)
{
	for (const struct option_spec *s = specs; s && s->name; s++) {
		char left[64];

		if (s->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    s->short_name, s->name, s->metavar ? " " : "",
			    s->metavar ? s->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", s->name,
			    s->metavar ? " " : "",
			    s->metavar ? s->metavar : "");
		printf("  %-30s %s", left, s->help ? s->help : "");
		if (s->def)
			printf(" (default %s)", s->def);
		printf("%s\n",
		    s->type == OPT_LIST ? " [repeatable, or a comma list]"
			: s->type == OPT_MULTI ? " [repeatable]"
					       : "");
	}
}

static void
print_help(const struct probe *p)
{
	printf("osemon %s (check %s)\n%s\n\n", OSEMON_VERSION, p->name,
	    p->summary ? p->summary : "");
	print_usage(stdout, p);
	printf("\nOptions:\n");
	print_options(p->options);
	print_options(face_common_options);
	printf("\nExit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n");
}

static void
print_probe_list(FILE *f)
{
	fprintf(f, "Probes:\n");
	for (size_t i = 0; probe_table[i]; i++)
		fprintf(f, "  %-10s %s\n", probe_table[i]->name,
		    probe_table[i]->summary ? probe_table[i]->summary : "");
}

/* The backstop when a probe ignores its deadline: the plugin still ends. */
static char watchdog_line[128];

static void
watchdog_fire(int sig)
{
	ssize_t n;

	(void)sig;
	n = write(STDOUT_FILENO, watchdog_line, strlen(watchdog_line));
	(void)n;
	_exit(STATE_CRITICAL);
}

static void
watchdog_arm(const struct probe *p, double timeout)
{
	char upper[32], secs[32];
	struct itimerval it = { 0 };
	double at = timeout + 1.0;

	upper_name(p->name, upper, sizeof(upper));
	format_number(secs, sizeof(secs), timeout);
	snprintf(watchdog_line, sizeof(watchdog_line),
	    "%s CRITICAL: timed out after %s seconds\n", upper, secs);
	signal(SIGALRM, watchdog_fire);
	it.it_value.tv_sec = (time_t)at;
	it.it_value.tv_usec = (suseconds_t)((at - (double)(time_t)at) * 1e6);
	setitimer(ITIMER_REAL, &it, NULL);
}

int
nagios_main(int argc, char **argv)
{
	const struct probe *p;
	struct args args;
	struct face_opts fo = { 0 };
	struct probe_result *res = NULL;
	char err[ARGS_ERROR_MAX];
	char *out = NULL;
	int rc = STATE_UNKNOWN;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
#if defined(OSEMON_LIGHT) || defined(OSEMON_PROBES)
		return exec_full(NULL); /* list every probe */
#endif
		printf("Usage: osemon check PROBE [options]\n");
		print_probe_list(stdout);
		return STATE_UNKNOWN;
	}
	p = probe_find(argv[1]);
	if (p == NULL) {
#if defined(OSEMON_LIGHT) || defined(OSEMON_PROBES)
		return exec_probe_tier();
#else
		printf("UNKNOWN: no probe named '%s'\n", argv[1]);
		print_probe_list(stderr);
		return STATE_UNKNOWN;
#endif
	}
	args_init(&args, p->options);
	if (face_parse_argv(
		p, argc - 1, argv + 1, &args, &fo, err, sizeof(err)) != 0) {
		char upper[32];

		upper_name(p->name, upper, sizeof(upper));
		printf("%s UNKNOWN: %s\n", upper, err);
		print_usage(stderr, p);
		goto out;
	}
	if (fo.help) {
		print_help(p);
		goto out;
	}
	if (fo.version) {
		printf("osemon check %s %s\n", p->name, OSEMON_VERSION);
		goto out;
	}
	res = malloc(sizeof(*res));
	out = malloc(NAGIOS_OUTPUT_MAX);
	if (res == NULL || out == NULL) {
		printf("UNKNOWN: out of memory\n");
		goto out;
	}
	watchdog_arm(p, fo.timeout);
	face_run_probe(p, &args, fo.timeout, FACE_NAGIOS, NULL, res);
	nagios_format(p, res, fo.verbose, out, NAGIOS_OUTPUT_MAX);
	fputs(out, stdout);
	fflush(stdout);
	rc = (int)res->state;
out:
	args_free(&args);
	free(res);
	free(out);
	return rc;
}
