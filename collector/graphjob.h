/*
 * The collector's graph rendering off the loop: one background thread
 * draws the PNGs from a snapshot the loop hands it (check names and their
 * metrics: names, units, DS types, ranges; the folders and host name).
 * At most one rendering runs at a time; the loop never waits for it (a
 * hand-off while one runs is refused and the loop tries again at its next
 * graph-interval).  librrd calls are serialised by rrd_lock() (rrdlock.h).
 */
#ifndef OSEMON_GRAPHJOB_H
#define OSEMON_GRAPHJOB_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime.h"

/* Seconds graph_job_free waits for a rendering to finish before asking it
 * to stop after its current PNG, and then again before leaving it. */
#define GRAPH_JOB_FINISH_WAIT 10.0
#define GRAPH_JOB_STOP_WAIT 5.0

struct graph_job;

/* A renderer (its thread starts with the first hand-off); NULL when out
 * of memory.  Free with graph_job_free. */
struct graph_job *graph_job_new(void);
/*
 * Hand the renderer a snapshot of conf's checks (those with a result and
 * metrics).  Returns 0 when the rendering started, 1 when one still runs
 * (nothing done), -1 with err on failure (no memory, no thread).
 */
int graph_job_submit(struct graph_job *gj, const struct collector_conf *conf,
    char *err, size_t errlen);
/* Whether a rendering runs now. */
bool graph_job_busy(struct graph_job *gj);
/* Renderings finished so far (for tests and logs). */
unsigned long graph_job_done(struct graph_job *gj);
/*
 * Wait for a running rendering to finish (GRAPH_JOB_FINISH_WAIT), then ask
 * it to stop after its current PNG (GRAPH_JOB_STOP_WAIT); a thread still
 * stuck then (a hung disk) is left to free the renderer itself when it
 * returns.  NULL is fine.
 */
void graph_job_free(struct graph_job *gj);

#endif
