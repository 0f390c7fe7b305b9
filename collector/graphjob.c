/*
 * Graph rendering in one background thread (graphjob.h).  The snapshot is
 * owned by the thread from the hand-off on, so the loop may reload its
 * config or free checks while a rendering runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "graphjob.h"
#include "util.h"
#include "web.h"

#define GRAPH_JOB_ERROR_GAP 300.0 /* a failing rendering is logged this often */

struct graph_snap_check {
	char *name;
	struct metric *metrics;
	size_t count;
};

struct graph_snap {
	char *graph_dir, *rrd_dir, *hostname, *graph_url;
	struct graph_snap_check *checks;
	size_t n;
};

struct graph_job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started; /* the thread exists */
	bool quit; /* under lock: the thread leaves when idle */
	bool orphaned; /* under lock: the thread frees gj */
	bool exited; /* under lock */
	struct graph_snap *todo; /* under lock: next snapshot */
	bool busy; /* under lock: a snapshot is being drawn */
	unsigned long done; /* under lock */
	atomic_bool stop; /* stop after the current PNG */
	double last_error;
};

static void
graph_snap_free(struct graph_snap *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; s->checks != NULL && i < s->n; i++) {
		free(s->checks[i].name);
		free(s->checks[i].metrics);
	}
	free(s->checks);
	free(s->graph_dir);
	free(s->rrd_dir);
	free(s->hostname);
	free(s->graph_url);
	free(s);
}

static int
graph_snap_strdup(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst == NULL ? -1 : 0;
}

static struct graph_snap *
graph_snap_new(const struct collector_conf *conf)
{
	struct graph_snap *s = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (graph_snap_strdup(&s->graph_dir, conf->graph_dir) != 0 ||
	    graph_snap_strdup(&s->rrd_dir, conf->rrd_dir) != 0 ||
	    graph_snap_strdup(&s->hostname, conf->hostname) != 0 ||
	    graph_snap_strdup(&s->graph_url, conf->graph_url) != 0)
		goto fail;
	if ((s->checks = calloc(conf->count + 1, sizeof(*s->checks))) == NULL)
		goto fail;
	for (size_t i = 0; i < conf->count; i++) {
		const struct check *c = conf->checks[i];
		struct graph_snap_check *sc = &s->checks[s->n];
		size_t count;

		if (c->result == NULL || c->result->metric_count == 0)
			continue;
		count = c->result->metric_count;
		if (count > PROBE_METRICS_MAX)
			count = PROBE_METRICS_MAX;
		if ((sc->name = strdup(c->name)) == NULL)
			goto fail;
		s->n++;
		sc->metrics = malloc(count * sizeof(*sc->metrics));
		if (sc->metrics == NULL)
			goto fail;
		memcpy(sc->metrics, c->result->metrics,
		    count * sizeof(*sc->metrics));
		sc->count = count;
	}
	return s;
fail:
	graph_snap_free(s);
	return NULL;
}

static void
graph_job_render(struct graph_job *gj, const struct graph_snap *s)
{
	struct web_config w;
	char err[PATH_MAX + 128], first[PATH_MAX + 128];
	double now;
	size_t failed = 0;

	memset(&w, 0, sizeof(w));
	w.graph_dir = s->graph_dir;
	w.rrd_dir = s->rrd_dir;
	w.hostname = s->hostname;
	w.graph_url = s->graph_url;
	first[0] = '\0';
	for (size_t i = 0; i < s->n && !atomic_load(&gj->stop); i++) {
		if (web_render_check_graphs(&w, s->checks[i].name,
			s->checks[i].metrics, s->checks[i].count, &gj->stop,
			err, sizeof(err)) == 0)
			continue;
		if (failed++ == 0)
			str_copy(first, err, sizeof(first));
	}
	now = clock_monotonic_now();
	if (failed > 0 &&
	    (gj->last_error == 0 ||
		now - gj->last_error >= GRAPH_JOB_ERROR_GAP)) {
		collector_log(LOG_ERR, "graphs: %s (%zu check%s failed)", first,
		    failed, failed == 1 ? "" : "s");
		gj->last_error = now;
	}
}

static void
graph_job_destroy(struct graph_job *gj)
{
	graph_snap_free(gj->todo);
	pthread_mutex_destroy(&gj->lock);
	pthread_cond_destroy(&gj->cond);
	free(gj);
}

static void *
graph_job_main(void *arg)
{
	struct graph_job *gj = arg;
	struct graph_snap *s;
	bool orphaned;

	pthread_mutex_lock(&gj->lock);
	for (;;) {
		while (gj->todo == NULL && !gj->quit)
			pthread_cond_wait(&gj->cond, &gj->lock);
		if (gj->todo == NULL)
			break;
		s = gj->todo;
		gj->todo = NULL;
		gj->busy = true;
		pthread_mutex_unlock(&gj->lock);
		graph_job_render(gj, s);
		graph_snap_free(s);
		pthread_mutex_lock(&gj->lock);
		gj->busy = false;
		gj->done++;
		pthread_cond_broadcast(&gj->cond);
	}
	gj->exited = true;
	orphaned = gj->orphaned;
	pthread_cond_broadcast(&gj->cond);
	pthread_mutex_unlock(&gj->lock);
	if (orphaned)
		graph_job_destroy(gj);
	return NULL;
}

struct graph_job *
graph_job_new(void)
{
	struct graph_job *gj = calloc(1, sizeof(*gj));

	if (gj == NULL)
		return NULL;
	pthread_mutex_init(&gj->lock, NULL);
	pthread_cond_init(&gj->cond, NULL);
	atomic_init(&gj->stop, false);
	return gj;
}

int
graph_job_submit(struct graph_job *gj, const struct collector_conf *conf,
    char *err, size_t errlen)
{
	struct graph_snap *s = NULL;
	bool busy;
	int rc;

	pthread_mutex_lock(&gj->lock);
	busy = gj->busy || gj->todo != NULL;
	pthread_mutex_unlock(&gj->lock);
	if (busy)
		return 1;
	if ((s = graph_snap_new(conf)) == NULL) {
		snprintf(err, errlen, "graphs: out of memory");
		return -1;
	}
	if (!gj->started) {
		rc = pthread_create(&gj->thread, NULL, graph_job_main, gj);
		if (rc != 0) {
			snprintf(err, errlen,
			    "graphs: cannot start a thread: %s", strerror(rc));
			graph_snap_free(s);
			return -1;
		}
		gj->started = true;
	}
	pthread_mutex_lock(&gj->lock);
	gj->todo = s;
	pthread_cond_broadcast(&gj->cond);
	pthread_mutex_unlock(&gj->lock);
	return 0;
}

bool
graph_job_busy(struct graph_job *gj)
{
	bool busy;

	pthread_mutex_lock(&gj->lock);
	busy = gj->busy || gj->todo != NULL;
	pthread_mutex_unlock(&gj->lock);
	return busy;
}

unsigned long
graph_job_done(struct graph_job *gj)
{
	unsigned long done;

	pthread_mutex_lock(&gj->lock);
	done = gj->done;
	pthread_mutex_unlock(&gj->lock);
	return done;
}

/* Wait until the thread exits or secs pass; true when it exited.  Called
 * with the lock held. */
static bool
graph_job_wait_exit(struct graph_job *gj, double secs)
{
	struct timespec ts;
	double until = clock_monotonic_now() + secs;

	while (!gj->exited) {
		double left = until - clock_monotonic_now();

		if (left <= 0)
			return false;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)left;
		ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&gj->cond, &gj->lock, &ts);
	}
	return true;
}

void
graph_job_free(struct graph_job *gj)
{
	bool exited;

	if (gj == NULL)
		return;
	if (!gj->started) {
		graph_job_destroy(gj);
		return;
	}
	pthread_mutex_lock(&gj->lock);
	gj->quit = true;
	graph_snap_free(gj->todo); /* not started yet: not drawn */
	gj->todo = NULL;
	pthread_cond_broadcast(&gj->cond);
	if (gj->busy)
		collector_log(LOG_NOTICE, "waiting for the graph rendering");
	exited = graph_job_wait_exit(gj, GRAPH_JOB_FINISH_WAIT);
	if (!exited) {
		atomic_store(&gj->stop, true);
		collector_log(LOG_WARNING,
		    "graph rendering still running after %g s: stopping it "
		    "after its current graph",
		    GRAPH_JOB_FINISH_WAIT);
		exited = graph_job_wait_exit(gj, GRAPH_JOB_STOP_WAIT);
	}
	if (!exited) {
		collector_log(
		    LOG_ERR, "graph rendering stuck: leaving it behind");
		gj->orphaned = true;
		pthread_mutex_unlock(&gj->lock);
		(void)pthread_detach(gj->thread);
		return;
	}
	pthread_mutex_unlock(&gj->lock);
	(void)pthread_join(gj->thread, NULL);
	graph_job_destroy(gj);
}
