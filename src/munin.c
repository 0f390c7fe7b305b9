/*
 * The munin plugin face: `osemon munin PROBE [config|autoconf]`, also
 * reached as a symlink named osemon_PROBE.  Options come from the
 * environment (plugin-conf.d "env.warning 90"): every long option of the
 * probe is read from the variable of the same name, dashes as underscores.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faces.h"
#include "util.h"

#define MUNIN_OUTPUT_MAX (64 * 1024)

static void
munin_clean_name(const char *name, char *buf, size_t size)
{
	size_t len = 0;

	/* A field may not start with a digit; "/dev/vda" becomes "_dev_vda"
	 * as in munin's own df plugin. */
	if (isdigit((unsigned char)name[0]) && size > 1)
		buf[len++] = '_';
	for (const char *p = name; *p && len + 1 < size; p++)
		buf[len++] =
		    (isalnum((unsigned char)*p) || *p == '_') ? *p : '_';
	buf[len] = '\0';
}

void
munin_field_names(
    const struct probe_result *res, char (*names)[MUNIN_FIELD_MAX])
{
	for (size_t i = 0; i < res->metric_count; i++) {
		munin_clean_name(
		    res->metrics[i].name, names[i], MUNIN_FIELD_MAX);
		/* "root" is reserved; clashes after truncation get a suffix. */
		for (size_t n = 1;; n++) {
			bool clash = strcmp(names[i], "root") == 0;

			for (size_t j = 0; j < i && !clash; j++)
				clash = strcmp(names[i], names[j]) == 0;
			if (!clash)
				break;
			char suffix[8];
			size_t slen =
			    (size_t)snprintf(suffix, sizeof(suffix), "_%zu", n);
			size_t keep = strlen(names[i]);

			if (keep + slen >= MUNIN_FIELD_MAX)
				keep = MUNIN_FIELD_MAX - 1 - slen;
			if (n > 1 && keep > 0) {
				/* drop the previous suffix before adding */
				char *u = strrchr(names[i], '_');
				if (u != NULL && (size_t)(u - names[i]) < keep)
					keep = (size_t)(u - names[i]);
			}
			memcpy(names[i] + keep, suffix, slen + 1);
		}
	}
}

int
munin_range(const struct range *r, char *buf, size_t size)
{
	char a[32] = "", b[32] = "";

	if (!r->set || r->inside)
		return -1;
	if (!isinf(r->start))
		format_number(a, sizeof(a), r->start);
	if (!isinf(r->end))
		format_number(b, sizeof(b), r->end);
	if (a[0] == '\0' && b[0] == '\0')
		return -1;
	snprintf(buf, size, "%s:%s", a, b);
	return 0;
}

static const char *
munin_label(const struct metric *m, char *buf, size_t size)
{
	if (m->unit[0])
		snprintf(buf, size, "%s (%s)", m->name, m->unit);
	else
		str_copy(buf, m->name, size);
	/* A perfdata label may quote any byte; munin reads lines. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return buf;
}

size_t
munin_format_config(const struct probe *p, const struct probe_result *res,
    char *buf, size_t size)
{
	char(*names)[MUNIN_FIELD_MAX] = NULL;
	char num[64], label[METRIC_NAME_MAX + 8];
	size_t len = 0;

	str_appendf(buf, size, &len, "graph_title %s\n",
	    p->munin.title ? p->munin.title : p->name);
	str_appendf(buf, size, &len, "graph_category %s\n",
	    p->munin.category ? p->munin.category : "other");
	if (p->munin.vlabel)
		str_appendf(
		    buf, size, &len, "graph_vlabel %s\n", p->munin.vlabel);
	if (p->munin.args)
		str_appendf(buf, size, &len, "graph_args %s\n", p->munin.args);
	if (res->metric_count == 0)
		return len;
	names = calloc(res->metric_count, sizeof(*names));
	if (names == NULL)
		return len;
	munin_field_names(res, names);
	for (size_t i = 0; i < res->metric_count; i++) {
		const struct metric *m = &res->metrics[i];

		str_appendf(buf, size, &len, "%s.label %s\n", names[i],
		    munin_label(m, label, sizeof(label)));
		str_appendf(buf, size, &len, "%s.type %s\n", names[i],
		    m->ds == DS_DERIVE ? "DERIVE" : "GAUGE");
		if (m->ds == DS_DERIVE) {
			str_appendf(buf, size, &len, "%s.min 0\n", names[i]);
		} else if (m->has_min) {
			format_number(num, sizeof(num), m->min);
			str_appendf(
			    buf, size, &len, "%s.min %s\n", names[i], num);
		}
		if (m->has_max) {
			format_number(num, sizeof(num), m->max);
			str_appendf(
			    buf, size, &len, "%s.max %s\n", names[i], num);
		}
		if (munin_range(&m->warn, num, sizeof(num)) == 0)
			str_appendf(
			    buf, size, &len, "%s.warning %s\n", names[i], num);
		if (munin_range(&m->crit, num, sizeof(num)) == 0)
			str_appendf(
			    buf, size, &len, "%s.critical %s\n", names[i], num);
	}
	free(names);
	return len;
}

size_t
munin_format_values(const struct probe_result *res, char *buf, size_t size)
{
	char(*names)[MUNIN_FIELD_MAX] = NULL;
	char num[64];
	size_t len = 0;

	if (res->metric_count == 0)
		return 0;
	names = calloc(res->metric_count, sizeof(*names));
	if (names == NULL)
		return 0;
	munin_field_names(res, names);
	for (size_t i = 0; i < res->metric_count; i++) {
		const struct metric *m = &res->metrics[i];

		if (m->unknown || isnan(m->value))
			str_copy(num, "U", sizeof(num));
		else if (m->ds == DS_DERIVE) /* munin wants integers */
			snprintf(num, sizeof(num), "%.0f", floor(m->value));
		else
			format_number(num, sizeof(num), m->value);
		str_appendf(buf, size, &len, "%s.value %s\n", names[i], num);
	}
	free(names);
	return len;
}

/* Options from the environment, as plugin-conf.d's env.NAME sets them. */
static int
munin_env_args(
    const struct probe *p, struct args *args, char *err, size_t errlen)
{
	for (const struct option_spec *s = p->options; s && s->name; s++) {
		char var[64];
		const char *value;
		size_t i;

		for (i = 0; s->name[i] && i + 1 < sizeof(var); i++)
			var[i] = s->name[i] == '-' ? '_' : s->name[i];
		var[i] = '\0';
		value = getenv(var);
		if (value == NULL || *value == '\0')
			continue;
		if (args_set(args, s, value, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static double
munin_timeout(void)
{
	const char *t = getenv("timeout");
	double v;

	if (t != NULL && parse_double(t, &v) == 0 && v > 0 && v < 3600)
		return v;
	return FACE_DEFAULT_TIMEOUT;
}

int
munin_main(int argc, char **argv)
{
	const struct probe *p;
	struct probe_result *res = NULL;
	struct args args;
	char err[ARGS_ERROR_MAX];
	const char *mode = argc > 2 ? argv[2] : "";
	char *out = NULL;
	int rc = 1;
	const char *dirty = getenv("MUNIN_CAP_DIRTYCONFIG");

	if (argc < 2) {
		fprintf(
		    stderr, "Usage: osemon munin PROBE [config|autoconf]\n");
		return 1;
	}
	p = probe_find(argv[1]);
	if (p == NULL) {
#if defined(OSEMON_LIGHT) || defined(OSEMON_PROBES)
		return exec_probe_tier();
#else
		fprintf(stderr, "osemon munin: no probe named '%s'\n", argv[1]);
		return 1;
#endif
	}
	args_init(&args, p->options);
	res = malloc(sizeof(*res));
	out = malloc(MUNIN_OUTPUT_MAX);
	if (res == NULL || out == NULL) {
		fprintf(stderr, "osemon munin: out of memory\n");
		goto out;
	}
	if (munin_env_args(p, &args, err, sizeof(err)) != 0) {
		if (strcmp(mode, "autoconf") == 0) {
			printf("no (%s)\n", err);
			rc = 0;
		} else {
			fprintf(stderr, "osemon_%s: %s\n", p->name, err);
		}
		goto out;
	}
	face_run_probe(p, &args, munin_timeout(), FACE_MUNIN, NULL, res);
	if (strcmp(mode, "autoconf") == 0) {
		if (res->metric_count > 0)
			printf("yes\n");
		else
			printf("no (%s)\n",
			    res->message[0] ? res->message
					    : state_name(res->state));
		rc = 0;
		goto out;
	}
	if (strcmp(mode, "config") == 0) {
		munin_format_config(p, res, out, MUNIN_OUTPUT_MAX);
		fputs(out, stdout);
		if (dirty != NULL && strcmp(dirty, "1") == 0) {
			munin_format_values(res, out, MUNIN_OUTPUT_MAX);
			fputs(out, stdout);
		}
		rc = 0;
		goto out;
	}
	if (mode[0] != '\0' && strcmp(mode, "fetch") != 0) {
		fprintf(stderr,
		    "osemon_%s: unknown mode '%s' (config, autoconf "
		    "or none)\n",
		    p->name, mode);
		goto out;
	}
	if (res->metric_count == 0) {
		fprintf(stderr, "osemon_%s: %s %s\n", p->name,
		    state_name(res->state), res->message);
		goto out;
	}
	munin_format_values(res, out, MUNIN_OUTPUT_MAX);
	fputs(out, stdout);
	rc = 0;
out:
	args_free(&args);
	free(res);
	free(out);
	return rc;
}
