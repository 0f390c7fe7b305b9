/* The collector loop and its web output (collector/loop.c). */
#ifndef OSEMON_LOOP_H
#define OSEMON_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "runtime.h"

/*
 * Run the collector on config_path (NULL: embedded default).  once: run
 * every check one time, store, render, print one line per check and
 * return the worst state as exit code.  Otherwise run until SIGTERM
 * (SIGHUP reloads) and return 0; 1 on a config or setup error.
 */
int collector_run(const char *config_path, bool once);
/* The same with a loaded config (taken over and freed); config_path is
 * what SIGHUP reloads.  Tests hand in checks with fake probes. */
int collector_run_conf(
    struct collector_conf *conf, const char *config_path, bool once);
/* Write the status page and status.json (and the graphs when graphs). */
int collector_web_output(const struct collector_conf *conf, bool graphs,
    time_t now, char *err, size_t errlen);

#endif
