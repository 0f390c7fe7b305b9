/*
 * The collector's commands: run, status, config check, graph.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "forecast.h"
#include "loop.h"
#include "runtime.h"
#include "util.h"

struct cmd_opts {
	const char *config;
	bool once;
	bool json;
	bool help;
};

/* -c FILE, --config FILE, --config=FILE, --once, --json, -h/--help. */
static int
parse_opts(int argc, char **argv, int first, struct cmd_opts *o,
    bool allow_once, bool allow_json, const char *usage)
{
	memset(o, 0, sizeof(*o));
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "osemon: %s needs a file\n", a);
				goto usage;
			}
			o->config = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			o->config = a + 9;
		} else if (allow_once && strcmp(a, "--once") == 0) {
			o->once = true;
		} else if (allow_json && strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = true;
			printf("usage: osemon %s\n", usage);
			return 0;
		} else {
			fprintf(
			    stderr, "osemon: unexpected argument '%s'\n", a);
			goto usage;
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: osemon %s\n", usage);
	return -1;
}

int
collector_run_main(int argc, char **argv)
{
	struct cmd_opts o;

	if (parse_opts(
		argc, argv, 1, &o, true, false, "run [-c FILE] [--once]") != 0)
		return 1;
	if (o.help)
		return 0;
	return collector_run(o.config, o.once);
}

static int
load_for_reading(
    const char *path, struct collector_conf **conf, bool need_state)
{
	struct cfg_errors errs;
	char err[512];

	cfg_errors_init(&errs);
	if (collector_conf_load(path, conf, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_free(&errs);
		return -1;
	}
	cfg_errors_free(&errs);
	if (access((*conf)->state_file, F_OK) != 0) {
		if (need_state)
			fprintf(stderr,
			    "osemon: no state file %s yet: has "
			    "the collector run?\n",
			    (*conf)->state_file);
		return 0;
	}
	if (statefile_load((*conf)->state_file, (*conf)->checks, (*conf)->count,
		err, sizeof(err)) != 0)
		fprintf(stderr, "osemon: %s\n", err);
	return 0;
}

int
collector_status_main(int argc, char **argv)
{
	struct cmd_opts o;
	struct collector_conf *conf = NULL;
	char *text = NULL;
	int rc = 1;

	if (parse_opts(argc, argv, 1, &o, false, true,
		"status [-c FILE] [--json]") != 0)
		return 1;
	if (o.help)
		return 0;
	if (load_for_reading(o.config, &conf, true) != 0)
		return 1;
	if (o.json) {
		text = statefile_dump(conf->checks, conf->count, time(NULL));
		if (text == NULL) {
			fprintf(stderr, "osemon: out of memory\n");
			goto out;
		}
		printf("%s\n", text);
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < conf->count; i++) {
		const struct check *c = conf->checks[i];
		char since[32] = "-";
		struct tm tm;

		if (c->st.checked && localtime_r(&c->st.last_change, &tm))
			strftime(
			    since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		if (!c->st.checked) {
			printf("%-20s %-8s\n", c->name, "PENDING");
			continue;
		}
		printf("%-20s %-8s %-4s %d/%d since %s%s: %s\n", c->name,
		    state_name(c->st.current), c->st.hard ? "HARD" : "SOFT",
		    c->st.attempt, c->policy.max_attempts, since,
		    c->st.flapping ? " FLAPPING" : "",
		    c->result ? c->result->message : "");
	}
	rc = 0;
out:
	free(text);
	collector_conf_free(conf);
	return rc;
}

static const char *
type_text(const struct option_spec *o)
{
	switch (o->type) {
	case OPT_FLAG:
		return "yes/no";
	case OPT_INT:
		return "integer";
	case OPT_DOUBLE:
		return "number";
	case OPT_RANGE:
		return "range";
	case OPT_LIST:
		return "list";
	case OPT_MULTI:
		return "repeatable";
	case OPT_STRING:
		break;
	}
	return o->metavar ? o->metavar : "text";
}

static void
print_table(FILE *fp, const struct option_spec *specs, bool defaults)
{
	fprintf(fp, "| key | value | %sdescription |\n",
	    defaults ? "default | " : "");
	fprintf(fp, "|---|---|%s---|\n", defaults ? "---|" : "");
	for (const struct option_spec *o = specs; o->name; o++) {
		char bounds[64] = "";

		if ((o->type == OPT_INT || o->type == OPT_DOUBLE) &&
		    o->min <= o->max)
			snprintf(
			    bounds, sizeof(bounds), " %g..%g", o->min, o->max);
		fprintf(fp, "| `%s` | %s%s | ", o->name, type_text(o), bounds);
		if (defaults)
			fprintf(fp, "%s%s%s | ", o->def ? "`" : "",
			    o->def ? o->def : "-", o->def ? "`" : "");
		fprintf(fp, "%s |\n", o->help);
	}
}

/* The key tables as markdown: docs/config.md embeds this text and a test
 * checks that it still matches. */
static void
print_keys_markdown(FILE *fp)
{
	fprintf(fp, "### [global]\n\n");
	print_table(fp, collector_global_options, true);
	fprintf(fp,
	    "\n### [check NAME]: the collector's keys\n\n"
	    "Defaults come from the same key in [global].\n\n");
	print_table(fp, collector_check_options, false);
	fprintf(fp,
	    "\n### [check NAME] of a disk check: days until full\n\n"
	    "See docs/capacity.md.\n\n");
	print_table(fp, forecast_check_options, true);
}

int
collector_config_main(int argc, char **argv)
{
	struct cmd_opts o;
	struct cfg_errors errs;
	struct collector_conf *conf = NULL;
	int rc;

	if (argc == 2 && strcmp(argv[1], "keys") == 0) {
		print_keys_markdown(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr,
		    "usage: osemon config check -c FILE\n"
		    "       osemon config keys\n");
		return 1;
	}
	if (parse_opts(
		argc, argv, 2, &o, false, false, "config check -c FILE") != 0)
		return 1;
	if (o.help)
		return 0;
	cfg_errors_init(&errs);
	rc = collector_conf_load(o.config, &conf, &errs);
	if (rc != 0) {
		cfg_errors_print(&errs, stderr);
		fprintf(stderr, "%s: %zu error%s\n",
		    o.config ? o.config : "<default>", cfg_errors_total(&errs),
		    cfg_errors_total(&errs) == 1 ? "" : "s");
	} else {
		printf("%s: OK, %zu check%s\n",
		    o.config ? o.config : "<default>", conf->count,
		    conf->count == 1 ? "" : "s");
	}
	cfg_errors_free(&errs);
	collector_conf_free(conf);
	return rc == 0 ? 0 : 1;
}

int
collector_graph_main(int argc, char **argv)
{
	struct cmd_opts o;
	struct collector_conf *conf = NULL;
	char err[1024];
	int rc = 0;

	if (parse_opts(argc, argv, 1, &o, false, false, "graph [-c FILE]") != 0)
		return 1;
	if (o.help)
		return 0;
	if (load_for_reading(o.config, &conf, false) != 0)
		return 1;
	err[0] = '\0';
	if (collector_web_output(conf, true, time(NULL), err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "osemon: graph: %s\n", err);
		rc = 1;
	}
	collector_conf_free(conf);
	return rc;
}
