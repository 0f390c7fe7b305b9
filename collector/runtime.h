/*
 * Inside the collector: the loaded configuration (global knobs and the
 * checks), the state file and logging.  Only collector/ uses this header.
 */
#ifndef OSEMON_RUNTIME_H
#define OSEMON_RUNTIME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "collector.h"
#include "config.h"

/* The [global] keys and the collector's own [check NAME] keys. */
extern const struct option_spec collector_global_options[];
extern const struct option_spec collector_check_options[];

struct collector_conf {
	struct cfg *cfg;
	struct args global;
	char rrd_dir[PATH_MAX];
	char graph_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char state_file[PATH_MAX]; /* STATE_DIR/state.json */
	const char *rrdcached; /* NULL when not set */
	char hostname[256];
	const char *graph_url;
	unsigned graph_interval;
	unsigned status_interval;
	unsigned state_interval; /* quiet state file rewrites */
	unsigned rrd_flush_interval; /* 0: no write-behind */
	int concurrency;
	bool use_syslog;
	struct check **checks;
	size_t count;
};

/*
 * Load path (NULL: the embedded default config for this machine) and
 * build every check.  Every error goes to errs; returns 0 or -1 (then
 * *out is NULL).
 */
int collector_conf_load(
    const char *path, struct collector_conf **out, struct cfg_errors *errs);
/* The same from text (path names it in messages; relative folders start
 * from the current directory). */
int collector_conf_load_text(const char *path, const char *text,
    struct collector_conf **out, struct cfg_errors *errs);
void collector_conf_free(struct collector_conf *conf);
/* The embedded default config's text (malloc'd): disk, memory, load and
 * a proc check for each service found running. */
char *collector_default_config(void);

/* The state file (JSON).  Save writes every check atomically; load fills
 * the checks found by name (others keep their fresh state). */
int statefile_save(const char *path, struct check *const *checks, size_t n,
    time_t now, char *err, size_t errlen);
int statefile_load(const char *path, struct check *const *checks, size_t n,
    char *err, size_t errlen);
/* Parse a state file's text into the checks (the fuzz target calls it). */
int statefile_parse(const char *text, size_t len, struct check *const *checks,
    size_t n, char *err, size_t errlen);
/* The JSON document of the checks, for `status --json`; caller frees. */
char *statefile_dump(struct check *const *checks, size_t n, time_t now);

/* Logging to stderr or syslog. */
void collector_log_open(bool use_syslog);
void collector_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clocks the loop reads; tests replace them. */
extern double (*sched_mono)(void);
extern time_t (*sched_wall)(void);

/* Split an exec command line like sh (quotes and backslashes only, no
 * expansion) into a->rest. */
int collector_split_command(
    const char *s, struct args *a, char *err, size_t errlen);

/* A deep copy of args (values and operands); 0 or -1. */
int args_clone(struct args *dst, const struct args *src);

#endif
