/*
 * The collector loop.  One main thread owns every check, the state
 * machine, the RRD store, the web output, the state file and the alerts.
 * A probe that cannot block (memory, load, a disk check of local mounts:
 * probe runs_inline) runs on this thread, and such checks that share an
 * interval come to share one wake-up.  A probe that is one libcurl
 * transfer (http: probe start/finish) runs in this thread's libcurl multi
 * handle, whose sockets the loop polls with its own.  Every other probe
 * runs in a pool of worker threads (concurrency).  A worker hands a
 * finished job back through a list and wakes the main thread through a
 * pipe (signals use the same pipe).  A job past its deadline is answered by the main thread
 * with timeout-state; its worker is abandoned (a hung statfs cannot be
 * interrupted) and replaced, and frees the job itself when it returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alerts.h"
#include "backup.h"
#include "forecast.h"
#include "graphjob.h"
#include "loop.h"
#include "passive.h"
#include "privdrop.h"
#include "rrdstore.h"
#include "util.h"
#include "web.h"

/* A probe gets its deadline; the worker is abandoned this much later. */
#define ABANDON_GRACE 0.5
#define STATEFILE_MIN_GAP 1.0
#define ABANDONED_MAX 32 /* hung workers before no more are replaced */
#define ERROR_LOG_GAP 300.0 /* a failing write is logged this often */
#define QUIET_TRIM_GAP 5.0 /* nothing due this long: hand back the heap */

struct job {
	struct job *next;
	struct check *check; /* main thread only; NULL: discard */
	const struct probe *probe;
	struct args args; /* own copy: survives a reload */
	void *pstate; /* the probe's per-check memory */
	double deadline;
	pthread_t worker; /* under pool.lock, once taken */
	bool abandoned; /* under pool.lock */
	bool finished; /* under pool.lock */
	struct probe_result *res; /* handed to the check, not copied */
	struct probe_transfer *xfer; /* a loop transfer: no worker */
	CURL *easy; /* its handle, in the collector's multi */
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *queue, *queue_tail;
	struct job *done;
	int threads; /* live workers, abandoned excluded */
	int all_threads; /* every live worker */
	/* Workers that may be joined (abandoned ones are detached): a clean
	 * exit waits until their thread-exit destructors (OpenSSL's) ran,
	 * not only until they left the loop. */
	pthread_t *joinable;
	size_t njoinable, joinable_cap;
	bool shutdown;
	bool orphaned; /* the collector is gone: the last
					 * abandoned worker frees the pool */
};

struct collector {
	struct collector_conf *conf;
	const char *config_path; /* NULL: embedded default */
	struct pool *pool; /* heap: abandoned workers outlive us */
	struct job **inflight; /* worker jobs and loop transfers */
	size_t ninflight, inflight_cap;
	CURLM *multi; /* the loop's transfers */
	size_t ntransfers;
	struct rrd_store *rrd;
	struct alerts *alerts;
	struct graph_job *graphs; /* renders PNGs off the loop */
	struct probe_result *spare; /* an inline run's result buffer */
	bool once;
	bool dirty_state, dirty_status;
	bool urgent_state; /* a state changed: write within a second */
	bool hard_state; /* a hard change went to the alerts: write now */
	bool heap_used; /* results came in since the last malloc_trim */
	bool urgent_status; /* the same for the status page */
	double last_state_error, last_web_error; /* log rate limits */
	double last_state_write, last_status_write, next_graph;
	unsigned long pages_drawn; /* renderings the check pages show */
	/* RRD errors: each distinct text once per ERROR_LOG_GAP */
	uint32_t rrd_err_hash[16];
	double rrd_err_at[16];
};

static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_term, got_hup;

static void
wake_main(void)
{
	char c = 'x';
	int saved = errno;

	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], &c, 1);
	errno = saved;
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	wake_main();
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->pstate != NULL && j->probe != NULL &&
	    j->probe->state_free != NULL)
		j->probe->state_free(j->pstate);
	args_free(&j->args);
	free(j->res);
	free(j);
}

static void
pool_free(struct pool *p)
{
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->joinable);
	free(p);
}

/* A worker leaves; called with the lock held, releases it. */
static void
worker_leave(struct pool *p, bool abandoned)
{
	bool last;

	if (!abandoned)
		p->threads--;
	p->all_threads--;
	last = p->orphaned && p->all_threads == 0;
	pthread_mutex_unlock(&p->lock);
	if (last)
		pool_free(p);
}

static void
probe_run_init(struct probe_run *run, const struct args *args, void **pstate,
    double deadline)
{
	memset(run, 0, sizeof(*run));
	run->args = args;
	run->deadline = deadline;
	run->face = FACE_COLLECTOR;
	run->check_state = pstate;
}

/* One run of a check's probe into res, on a worker or the loop. */
static void
probe_run_check(const struct probe *probe, const struct args *args,
    void **pstate, double deadline, struct probe_result *res)
{
	struct probe_run run;

	probe_run_init(&run, args, pstate, deadline);
	result_init(res);
	if (probe->run(&run, res) != 0 && res->state == STATE_OK)
		result_set(res, STATE_UNKNOWN, REASON_INTERNAL, "probe failed");
}

static void *
worker_main(void *arg)
{
	struct pool *p = arg;
	struct job *j;
	bool retire, wake;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->queue == NULL && !p->shutdown)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->queue == NULL) {
			worker_leave(p, false);
			return NULL;
		}
		j = p->queue;
		j->worker = pthread_self();
		p->queue = j->next;
		if (p->queue == NULL)
			p->queue_tail = NULL;
		j->next = NULL;
		retire = j->abandoned;
		pthread_mutex_unlock(&p->lock);

		if (!retire)
			probe_run_check(j->probe, &j->args, &j->pstate,
			    j->deadline, j->res);

		pthread_mutex_lock(&p->lock);
		j->finished = true;
		if (j->abandoned) {
			/* main answered it already and started another
			 * worker in our place */
			job_free(j);
			worker_leave(p, true);
			return NULL;
		}
		/* a non-empty list has a wake-up on its way: the loop
		 * drains the pipe before it takes the list */
		wake = p->done == NULL;
		j->next = p->done;
		p->done = j;
		pthread_mutex_unlock(&p->lock);
		if (wake)
			wake_main();
	}
}

/* Start one worker; call with the lock NOT held. */
static int
pool_spawn(struct pool *p)
{
	pthread_t t;
	int rc = ENOMEM;

	pthread_mutex_lock(&p->lock);
	if (p->njoinable == p->joinable_cap) {
		size_t cap = p->joinable_cap ? p->joinable_cap * 2 : 8;
		pthread_t *grown = realloc(p->joinable, cap * sizeof(*grown));

		if (grown == NULL)
			goto out;
		p->joinable = grown;
		p->joinable_cap = cap;
	}
	rc = pthread_create(&t, NULL, worker_main, p);
	if (rc == 0) {
		p->joinable[p->njoinable++] = t;
		p->threads++;
		p->all_threads++;
	}
out:
	pthread_mutex_unlock(&p->lock);
	if (rc != 0)
		collector_log(
		    LOG_ERR, "cannot start a worker thread: %s", strerror(rc));
	return rc == 0 ? 0 : -1;
}

/* An abandoned worker is never joined; call with the lock held. */
static void
pool_detach(struct pool *p, pthread_t t)
{
	for (size_t i = 0; i < p->njoinable; i++)
		if (pthread_equal(p->joinable[i], t)) {
			p->joinable[i] = p->joinable[--p->njoinable];
			pthread_detach(t);
			return;
		}
}

static int
pool_grow(struct pool *p, int want)
{
	int have;

	pthread_mutex_lock(&p->lock);
	have = p->threads;
	pthread_mutex_unlock(&p->lock);
	for (; have < want; have++)
		if (pool_spawn(p) != 0)
			return -1;
	return 0;
}

static int
inflight_add(struct collector *co, struct job *j)
{
	if (co->ninflight == co->inflight_cap) {
		size_t cap = co->inflight_cap ? co->inflight_cap * 2 : 16;
		struct job **grown =
		    realloc(co->inflight, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		co->inflight = grown;
		co->inflight_cap = cap;
	}
	co->inflight[co->ninflight++] = j;
	return 0;
}

static void
inflight_remove(struct collector *co, struct job *j)
{
	for (size_t i = 0; i < co->ninflight; i++)
		if (co->inflight[i] == j) {
			co->inflight[i] = co->inflight[--co->ninflight];
			return;
		}
}

/* Checks running in workers or as transfers (a reload's dropped ones
 * excluded): concurrency bounds it. */
static size_t
running_count(const struct collector *co)
{
	size_t n = 0;

	for (size_t i = 0; i < co->ninflight; i++)
		if (co->inflight[i]->check != NULL)
			n++;
	return n;
}

/* A job for c's run, in flight, c running; NULL (c rescheduled) when out
 * of memory. */
static struct job *
job_start(struct collector *co, struct check *c, double now)
{
	struct job *j = calloc(1, sizeof(*j));

	/* not zeroed: ~47 KiB, and the worker starts with result_init */
	if (j != NULL)
		j->res = malloc(sizeof(*j->res));
	if (j == NULL || j->res == NULL ||
	    args_clone(&j->args, &c->args) != 0) {
		if (j != NULL)
			free(j->res);
		free(j);
		collector_log(LOG_ERR, "check %s: out of memory", c->name);
		c->next_run = now + check_next_delay(c);
		return NULL;
	}
	j->check = c;
	j->probe = c->probe;
	j->pstate = c->probe_state;
	c->probe_state = NULL;
	j->deadline = now + c->timeout;
	if (inflight_add(co, j) != 0) {
		c->probe_state = j->pstate;
		j->pstate = NULL;
		job_free(j);
		c->next_run = now + check_next_delay(c);
		return NULL;
	}
	c->running = true;
	return j;
}

static void
dispatch(struct collector *co, struct check *c, double now)
{
	struct job *j = job_start(co, c, now);

	if (j == NULL)
		return;
	pthread_mutex_lock(&co->pool->lock);
	if (co->pool->queue_tail)
		co->pool->queue_tail->next = j;
	else
		co->pool->queue = j;
	co->pool->queue_tail = j;
	pthread_cond_signal(&co->pool->cond);
	pthread_mutex_unlock(&co->pool->lock);
}

static void
web_checks_fill(struct check *const *checks, size_t n, struct web_check *wc)
{
	for (size_t i = 0; i < n; i++) {
		const struct check *c = checks[i];

		memset(&wc[i], 0, sizeof(wc[i]));
		wc[i].name = c->name;
		wc[i].probe = c->probe ? c->probe->name : "";
		wc[i].state = c->st.checked ? c->st.current : STATE_UNKNOWN;
		wc[i].hard = c->st.hard;
		wc[i].attempt = c->st.attempt;
		wc[i].max_attempts = c->policy.max_attempts;
		wc[i].flapping = c->st.flapping;
		wc[i].last_check = c->st.last_check;
		wc[i].last_change = c->st.last_change;
		wc[i].interval = c->interval;
		wc[i].result = c->result;
	}
}

static void
web_config_fill(const struct collector_conf *conf, struct web_config *w)
{
	w->graph_dir = conf->graph_dir;
	w->rrd_dir = conf->rrd_dir;
	w->hostname = conf->hostname;
	w->graph_url = conf->graph_url;
}

/* What the web writer needs of conf: its checks (free them) and folders. */
static struct web_check *
web_checks_new(const struct collector_conf *conf, struct web_config *w,
    char *err, size_t errlen)
{
	struct web_check *wc = calloc(conf->count + 1, sizeof(*wc));

	if (wc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	web_checks_fill(conf->checks, conf->count, wc);
	web_config_fill(conf, w);
	return wc;
}

int
collector_web_output(const struct collector_conf *conf, bool graphs, time_t now,
    char *err, size_t errlen)
{
	struct web_config w;
	struct web_check *wc = web_checks_new(conf, &w, err, errlen);
	int rc = 0;

	if (wc == NULL)
		return -1;
	if (graphs && web_render_graphs(&w, wc, conf->count, err, errlen) != 0)
		rc = -1;
	if (web_write_status(&w, wc, conf->count, now,
		rc == 0 ? err : err + strlen(err),
		rc == 0 ? errlen : errlen - strlen(err)) != 0)
		rc = -1;
	free(wc);
	return rc;
}

/* The periodic status write: index.html and status.json every time, a
 * check's page only when its state changed or new graphs were drawn (on
 * ext4 each replaced file costs a writeback; the page shows the time of
 * its result, the index the latest). */
static int
write_status(struct collector *co, char *err, size_t errlen)
{
	struct collector_conf *conf = co->conf;
	unsigned long drawn =
	    co->graphs != NULL ? graph_job_done(co->graphs) : 0;
	struct web_config w;
	struct web_check *wc = web_checks_new(conf, &w, err, errlen);
	int rc;

	if (wc == NULL)
		return -1;
	for (size_t i = 0; i < conf->count; i++) {
		const struct check *c = conf->checks[i];

		wc[i].page_current = drawn == co->pages_drawn &&
		    c->page_valid && c->result != NULL &&
		    !check_state_differs(&c->page_st, &c->st);
	}
	rc = web_write_status(&w, wc, conf->count, sched_wall(), err, errlen);
	if (rc == 0) {
		for (size_t i = 0; i < conf->count; i++) {
			conf->checks[i]->page_valid =
			    conf->checks[i]->result != NULL;
			conf->checks[i]->page_st = conf->checks[i]->st;
		}
		co->pages_drawn = drawn;
	}
	free(wc);
	return rc;
}

/* Whether an RRD error should be logged: the same text (check and cause)
 * once per ERROR_LOG_GAP, so a full disk is not logged every second. */
static bool
rrd_error_due(
    struct collector *co, const char *check, const char *err, double now)
{
	uint32_t h = 2166136261u;
	size_t oldest = 0;

	for (const char *p = check; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = err; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (size_t i = 0; i < 16; i++) {
		if (co->rrd_err_hash[i] == h && co->rrd_err_at[i] > 0) {
			if (now - co->rrd_err_at[i] < ERROR_LOG_GAP)
				return false;
			co->rrd_err_at[i] = now;
			return true;
		}
		if (co->rrd_err_at[i] < co->rrd_err_at[oldest])
			oldest = i;
	}
	co->rrd_err_hash[oldest] = h;
	co->rrd_err_at[oldest] = now;
	return true;
}

/* Write the RRD values that waited long enough (all: every one). */
static void
flush_rrd(struct collector *co, double now, bool all)
{
	char err[512];

	if (co->rrd != NULL &&
	    rrd_store_flush(co->rrd, now, all, err, sizeof(err)) != 0 &&
	    rrd_error_due(co, "", err, now))
		collector_log(LOG_ERR, "rrd: %s", err);
}

/* Hand the graphs to the renderer thread; the loop never waits for it. */
static void
start_graphs(struct collector *co, double now)
{
	char err[512];
	int rc = -1;

	flush_rrd(co, now, true); /* graphs show every value so far */
	if (co->graphs == NULL)
		co->graphs = graph_job_new();
	if (co->graphs == NULL)
		str_copy(err, "graphs: out of memory", sizeof(err));
	else
		rc = graph_job_submit(co->graphs, co->conf, err, sizeof(err));
	if (rc == 1)
		collector_log(LOG_INFO,
		    "graphs: the previous rendering still runs; skipped");
	else if (rc == -1)
		collector_log(LOG_ERR, "%s", err);
	co->next_graph = now + co->conf->graph_interval;
}

static void
log_result(const struct check *c, unsigned ev)
{
	const struct probe_result *r = c->result;

	if (ev & CHECK_EVENT_HARD_CHANGE)
		collector_log(
		    c->st.current == STATE_OK ? LOG_NOTICE : LOG_WARNING,
		    "check %s: %s HARD (was %s): %s", c->name,
		    state_name(c->st.current), state_name(c->old_hard),
		    r->message);
	else if (ev & CHECK_EVENT_SOFT)
		collector_log(LOG_INFO, "check %s: %s SOFT %d/%d: %s", c->name,
		    state_name(c->st.current), c->st.attempt,
		    c->policy.max_attempts, r->message);
	if (ev & CHECK_EVENT_FLAP_START)
		collector_log(LOG_WARNING,
		    "check %s: started flapping "
		    "(%.1f%% state change)",
		    c->name, c->st.percent_change);
	if (ev & CHECK_EVENT_FLAP_STOP)
		collector_log(LOG_NOTICE,
		    "check %s: stopped flapping "
		    "(%.1f%% state change)",
		    c->name, c->st.percent_change);
}

/* A result (or a time-out, res NULL) for c; main thread only.  *res is
 * swapped with the check's previous result, which the job then frees. */
static void
finish_check(struct collector *co, struct check *c, struct probe_result **res,
    double now_mono)
{
	time_t now = sched_wall();
	time_t prev_check;
	struct check_state before = c->st;
	bool timed_out = res == NULL || *res == NULL;
	unsigned ev;
	char err[512];

	if (!timed_out) {
		struct probe_result *old = c->result;

		c->result = *res;
		*res = old;
	} else if (c->result == NULL) {
		c->result = malloc(sizeof(*c->result));
		if (c->result == NULL) {
			collector_log(
			    LOG_ERR, "check %s: out of memory", c->name);
			c->running = false;
			c->next_run = now_mono + check_next_delay(c);
			return;
		}
	}
	if (timed_out) {
		result_init(c->result);
		result_set(c->result, c->timeout_state, REASON_TIMEOUT,
		    "check timed out after %g s", c->timeout);
	}
	if (c->result->reason == REASON_TIMEOUT)
		c->result->state = c->timeout_state;
	forecast_check_result(co->conf, c, now); /* disk: days until full */
	prev_check = c->st.last_check;
	c->old_hard = c->st.last_hard;
	ev = check_state_apply(&c->st, &c->policy, c->result->state, now);
	c->events = ev;
	c->running = false;
	c->ran = true;
	c->next_run = now_mono + check_next_delay(c);
	log_result(c, ev);
	passive_check_result(co->conf, c, now);
	/* RRD takes one update per second and file: a result in the same
	 * second as the last one (a restart, a retry) is not stored. */
	if (co->rrd != NULL && c->result->metric_count > 0 &&
	    now > prev_check &&
	    rrd_store_queue(co->rrd, c->name, c->interval, now, c->result,
		now_mono, err, sizeof(err)) != 0 &&
	    rrd_error_due(co, c->name, err, now_mono))
		collector_log(LOG_ERR, "check %s: rrd: %s", c->name, err);
	if ((ev & CHECK_EVENT_HARD_CHANGE) && co->alerts != NULL) {
		alerts_hard_change(co->alerts, c, c->old_hard, now);
		/* alerts.json has it now: a crash before the state file
		 * follows would replay the change as a new problem */
		co->hard_state = true;
	}
	if (check_state_differs(&before, &c->st))
		co->urgent_state = co->urgent_status = true;
	co->dirty_state = true;
	co->dirty_status = true;
	co->heap_used = true;
}

/* A probe that cannot block runs on the loop's own thread: a hand-off to
 * a worker and back costs two wake-ups, more than the probe itself. */
static bool
runs_inline(const struct check *c)
{
	return c->probe->runs_inline != NULL &&
	    c->probe->runs_inline(&c->args, c->probe_state);
}

static void
run_inline(struct collector *co, struct check *c, double now)
{
	if (co->spare == NULL)
		co->spare = malloc(sizeof(*co->spare));
	if (co->spare == NULL) {
		collector_log(LOG_ERR, "check %s: out of memory", c->name);
		c->next_run = now + check_next_delay(c);
		return;
	}
	probe_run_check(
	    c->probe, &c->args, &c->probe_state, now + c->timeout, co->spare);
	finish_check(co, c, &co->spare, sched_mono());
}

/* A job's result goes to its check (unless a reload dropped it). */
static void
job_done(struct collector *co, struct job *j, double now)
{
	inflight_remove(co, j);
	if (j->check != NULL) {
		j->check->probe_state = j->pstate;
		j->pstate = NULL;
		finish_check(co, j->check, &j->res, now);
	}
	job_free(j);
}

/* A check whose probe is one libcurl transfer runs in the loop's multi
 * handle: no worker and no hand-off, the loop's poll waits for its
 * sockets with everything else. */
static bool
runs_as_transfer(const struct check *c)
{
	const struct probe *p = c->probe;

	return p->start != NULL && p->finish != NULL &&
	    (p->loop_transfer == NULL || p->loop_transfer(&c->args));
}

static void
transfer_finish(struct collector *co, struct job *j, CURLcode code)
{
	curl_multi_remove_handle(co->multi, j->easy);
	co->ntransfers--;
	j->probe->finish(j->xfer, (int)code, j->res);
	j->xfer = NULL;
	j->easy = NULL;
	job_done(co, j, sched_mono());
}

static void
start_transfer(struct collector *co, struct check *c, double now)
{
	struct job *j = job_start(co, c, now);
	struct probe_run run;
	void *easy = NULL;

	if (j == NULL)
		return;
	probe_run_init(&run, &j->args, &j->pstate, j->deadline);
	result_init(j->res);
	j->xfer = c->probe->start(&run, j->res, &easy);
	if (j->xfer == NULL) { /* judged already: bad options */
		job_done(co, j, now);
		return;
	}
	j->easy = easy;
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, (void *)j);
	co->ntransfers++;
	if (curl_multi_add_handle(co->multi, j->easy) != CURLM_OK) {
		/* finish() after remove: removing one not added is fine */
		transfer_finish(co, j, CURLE_FAILED_INIT);
	}
}

enum check_path {
	PATH_INLINE, /* on the loop's thread: cannot block */
	PATH_TRANSFER, /* a libcurl transfer in the loop's multi handle */
	PATH_WORKER,
};

static enum check_path
check_path(const struct check *c)
{
	return runs_inline(c)     ? PATH_INLINE
	    : runs_as_transfer(c) ? PATH_TRANSFER
				  : PATH_WORKER;
}

static void
run_on_path(
    struct collector *co, struct check *c, double now, enum check_path path)
{
	if (path == PATH_INLINE)
		run_inline(co, c, now);
	else if (path == PATH_TRANSFER)
		start_transfer(co, c, now);
	else
		dispatch(co, c, now);
}

/* Run due check c on its path (check_path); a loop check (inline or
 * transfer) takes along every other one of its path with the same delay
 * that falls due within half of it: from then on they share one wake-up (in this VM a wake-up costs
 * more than a local check, and a third of an HTTP one), having run early
 * once by less than half an interval.  A check's first run is never
 * pulled: first runs stay spread over the interval (and --once runs each
 * check once: one that ran is due a whole delay later).  Transfers stay
 * within concurrency, which so bounds the requests a server gets at once;
 * worker checks keep their spread. */
static void
run_group(
    struct collector *co, struct check *c, enum check_path path, double now)
{
	unsigned delay = check_next_delay(c);

	run_on_path(co, c, now, path);
	if (path == PATH_WORKER)
		return;
	for (size_t i = 0; i < co->conf->count; i++) {
		struct check *o = co->conf->checks[i];

		if (path == PATH_TRANSFER &&
		    running_count(co) >= (size_t)co->conf->concurrency)
			break;
		if (o != c && o->ran && !o->running &&
		    o->next_run <= now + delay / 2.0 &&
		    check_next_delay(o) == delay && check_path(o) == path)
			run_on_path(co, o, now, path);
	}
}

/* Let libcurl move the loop's transfers on; judge the finished ones. */
static void
drive_transfers(struct collector *co)
{
	CURLMsg *msg;
	int running, left;

	if (co->ntransfers == 0)
		return;
	(void)curl_multi_perform(co->multi, &running);
	while ((msg = curl_multi_info_read(co->multi, &left)) != NULL) {
		CURLcode code = msg->data.result;
		struct job *j = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &j);
		if (j != NULL)
			transfer_finish(co, j, code);
	}
}

/* At exit: transfers still in flight are dropped with their results. */
static void
transfers_free(struct collector *co)
{
	size_t i = 0;

	while (i < co->ninflight) {
		struct job *j = co->inflight[i];

		if (j->xfer == NULL) {
			i++;
			continue;
		}
		j->check = NULL;
		transfer_finish(co, j, CURLE_ABORTED_BY_CALLBACK);
	}
	if (co->multi != NULL)
		curl_multi_cleanup(co->multi);
	co->multi = NULL;
}

static void
collect_done(struct collector *co)
{
	struct job *done, *next;
	double now = sched_mono();

	pthread_mutex_lock(&co->pool->lock);
	done = co->pool->done;
	co->pool->done = NULL;
	pthread_mutex_unlock(&co->pool->lock);
	for (; done != NULL; done = next) {
		next = done->next;
		job_done(co, done, now);
	}
}

static void
reap_timeouts(struct collector *co, double now)
{
	int hung;
	size_t i = 0;

	while (i < co->ninflight) {
		struct job *j = co->inflight[i];
		bool abandon = false;

		if (now < j->deadline + ABANDON_GRACE) {
			i++;
			continue;
		}
		if (j->xfer != NULL) {
			/* libcurl's own timeout missed: answer it here
			 * (job_done puts another job at i) */
			transfer_finish(co, j, CURLE_OPERATION_TIMEDOUT);
			continue;
		}
		pthread_mutex_lock(&co->pool->lock);
		if (!j->finished) {
			j->abandoned = true;
			co->pool->threads--;
			pool_detach(co->pool, j->worker);
			abandon = true;
		}
		pthread_mutex_unlock(&co->pool->lock);
		if (!abandon) {
			i++; /* in the done list: collect_done takes it */
			continue;
		}
		co->inflight[i] = co->inflight[--co->ninflight];
		if (j->check != NULL) {
			collector_log(LOG_WARNING,
			    "check %s: no answer after "
			    "%g s, worker abandoned",
			    j->check->name, j->check->timeout);
			finish_check(co, j->check, NULL, now);
		}
		/* Each hung probe holds a thread; past a bound, stop
		 * replacing them rather than pile up threads on a mount
		 * that never answers. */
		pthread_mutex_lock(&co->pool->lock);
		hung = co->pool->all_threads - co->pool->threads;
		pthread_mutex_unlock(&co->pool->lock);
		if (hung < ABANDONED_MAX)
			(void)pool_grow(co->pool, co->conf->concurrency);
		else
			collector_log(LOG_ERR,
			    "%d workers hung: not starting "
			    "more",
			    hung);
	}
}

static void
schedule_first(struct collector_conf *conf, double now, bool once)
{
	for (size_t i = 0; i < conf->count; i++) {
		struct check *c = conf->checks[i];

		c->running = false;
		/* Spread the first runs evenly over each interval. */
		c->next_run = once ? now
				   : now +
			(double)c->interval * (double)i /
			    (double)(conf->count ? conf->count : 1);
	}
}

/* The next due check or in-flight deadline, if before until. */
static double
next_check_event(const struct collector *co, bool stopping, double until)
{
	double when = until;

	for (size_t i = 0; !stopping && i < co->conf->count; i++) {
		const struct check *c = co->conf->checks[i];

		if (!c->running && c->next_run < when)
			when = c->next_run;
	}
	for (size_t i = 0; i < co->ninflight; i++)
		if (co->inflight[i]->deadline + ABANDON_GRACE < when)
			when = co->inflight[i]->deadline + ABANDON_GRACE;
	return when;
}

/* When the dirty state file is due: a state change within a second,
 * only new check times and outputs every state-interval. */
static double
state_due(const struct collector *co)
{
	if (co->hard_state)
		return co->last_state_write;
	return co->last_state_write +
	    (co->urgent_state ? STATEFILE_MIN_GAP
			      : (double)co->conf->state_interval);
}

/* When the dirty status page is due: a state change within a second, new
 * check times and outputs every status-interval. */
static double
status_due(const struct collector *co)
{
	return co->last_status_write +
	    (co->urgent_status ? STATEFILE_MIN_GAP
			       : (double)co->conf->status_interval);
}

static void
save_state(struct collector *co, double now)
{
	char err[512];

	if (statefile_save(co->conf->state_file, co->conf->checks,
		co->conf->count, sched_wall(), err, sizeof(err)) != 0)
		if (co->last_state_error == 0 ||
		    now - co->last_state_error >= ERROR_LOG_GAP) {
			collector_log(LOG_ERR, "state file: %s", err);
			co->last_state_error = now;
		}
	co->dirty_state = co->urgent_state = co->hard_state = false;
	co->last_state_write = now;
}

static int
open_outputs(struct collector *co)
{
	char err[512];
	struct collector_conf *conf = co->conf;

	if (mkdir_p(conf->state_dir, 0755) != 0 ||
	    mkdir_p(conf->rrd_dir, 0755) != 0 ||
	    mkdir_p(conf->graph_dir, 0755) != 0) {
		collector_log(LOG_ERR, "cannot create %s, %s or %s: %s",
		    conf->state_dir, conf->rrd_dir, conf->graph_dir,
		    strerror(errno));
		return -1;
	}
	co->rrd =
	    rrd_store_new(conf->rrd_dir, conf->rrdcached, err, sizeof(err));
	if (co->rrd == NULL)
		collector_log(LOG_ERR, "rrd: %s (metrics are not stored)", err);
	else if (!co->once)
		rrd_store_set_flush_interval(
		    co->rrd, (double)conf->rrd_flush_interval);
	co->alerts = alerts_new(conf->cfg, conf->state_dir, err, sizeof(err));
	if (co->alerts == NULL)
		collector_log(LOG_ERR, "alerts: %s (no notifications)", err);
	return 0;
}

static void
close_outputs(struct collector *co)
{
	flush_rrd(co, sched_mono(), true);
	rrd_store_free(co->rrd);
	co->rrd = NULL;
	alerts_free(co->alerts);
	co->alerts = NULL;
}

static struct check *
find_same(struct collector_conf *conf, const struct check *old)
{
	for (size_t i = 0; i < conf->count; i++) {
		struct check *c = conf->checks[i];

		if (strcmp(c->name, old->name) == 0 &&
		    strcmp(c->signature, old->signature) == 0)
			return c;
	}
	return NULL;
}

static void
reload(struct collector *co, double now)
{
	struct collector_conf *fresh = NULL;
	struct cfg_errors errs;

	cfg_errors_init(&errs);
	if (collector_conf_load(co->config_path, &fresh, &errs) != 0) {
		for (size_t i = 0; i < errs.count; i++)
			collector_log(LOG_ERR, "%s", errs.msgs[i]);
		collector_log(LOG_ERR,
		    "reload failed: keeping the running "
		    "configuration");
		cfg_errors_free(&errs);
		return;
	}
	cfg_errors_free(&errs);
	privdrop_reload_check(fresh);
	schedule_first(fresh, now, false);
	/* Checks whose section did not change keep state and schedule. */
	for (size_t i = 0; i < co->conf->count; i++) {
		struct check *old = co->conf->checks[i];
		struct check *c = find_same(fresh, old);

		if (c == NULL)
			continue;
		c->st = old->st;
		c->result = old->result;
		old->result = NULL;
		c->probe_state = old->probe_state;
		old->probe_state = NULL;
		c->next_run = old->next_run;
		c->running = old->running;
		c->ran = old->ran;
	}
	for (size_t i = 0; i < co->ninflight; i++) {
		struct job *j = co->inflight[i];

		if (j->check != NULL)
			j->check = find_same(fresh, j->check);
	}
	/* New or changed checks start fresh. */
	close_outputs(co);
	collector_conf_free(co->conf);
	co->conf = fresh;
	collector_log_open(fresh->use_syslog);
	(void)open_outputs(co);
	(void)pool_grow(co->pool, fresh->concurrency);
	co->dirty_state = co->dirty_status = true;
	co->urgent_state = co->urgent_status = true;
	collector_log(LOG_NOTICE, "reloaded: %zu checks", fresh->count);
}

static void
print_results(const struct collector_conf *conf, FILE *fp)
{
	for (size_t i = 0; i < conf->count; i++) {
		const struct check *c = conf->checks[i];

		fprintf(fp, "%-20s %-8s %s\n", c->name,
		    c->result ? state_name(c->result->state) : "PENDING",
		    c->result ? c->result->message : "");
	}
}

static int
worst_exit(const struct collector_conf *conf)
{
	enum probe_state worst = STATE_OK;

	for (size_t i = 0; i < conf->count; i++) {
		const struct check *c = conf->checks[i];

		worst = state_worst(
		    worst, c->result ? c->result->state : STATE_UNKNOWN);
	}
	return (int)worst;
}

static int
setup_signals(void)
{
	struct sigaction sa;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

static void
drain_pipe(void)
{
	char buf[64];

	while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* Join the pool's workers (bounded), so a clean exit frees everything and
 * no worker's thread-exit destructors race with exit's. */
static void
pool_stop(struct collector *co)
{
	struct pool *p = co->pool;
	struct timespec until;
	pthread_t *workers;
	size_t n;
	int left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&p->lock);
	p->shutdown = true;
	pthread_cond_broadcast(&p->cond);
	workers = p->joinable;
	n = p->njoinable;
	p->joinable = NULL;
	p->njoinable = p->joinable_cap = 0;
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < n; i++)
		if (pthread_timedjoin_np(workers[i], NULL, &until) != 0)
			pthread_detach(workers[i]);
	free(workers);
	co->pool = NULL;
	pthread_mutex_lock(&p->lock);
	left = p->all_threads;
	/* an abandoned worker still holds the pool: the last one frees it */
	p->orphaned = left > 0;
	pthread_mutex_unlock(&p->lock);
	if (left == 0)
		pool_free(p);
}

int
collector_run(const char *config_path, bool once)
{
	struct collector_conf *conf = NULL;
	struct cfg_errors errs;

	cfg_errors_init(&errs);
	if (collector_conf_load(config_path, &conf, &errs) != 0) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_free(&errs);
		return 1;
	}
	cfg_errors_free(&errs);
	return collector_run_conf(conf, config_path, once);
}

int
collector_run_conf(
    struct collector_conf *conf, const char *config_path, bool once)
{
	struct collector co;
	char err[512];
	size_t results = 0;
	bool stopping = false;
	bool *once_sent = NULL;
	int rc = 1;

	/* One malloc arena: each worker thread would otherwise touch one of
	 * its own (~130 KiB resident each) for a few allocations a minute. */
	(void)mallopt(M_ARENA_MAX, 1);
	memset(&co, 0, sizeof(co));
	co.config_path = config_path;
	co.once = once;
	co.pool = calloc(1, sizeof(*co.pool));
	if (co.pool == NULL) {
		collector_conf_free(conf);
		return 1;
	}
	pthread_mutex_init(&co.pool->lock, NULL);
	pthread_cond_init(&co.pool->cond, NULL);
	co.conf = conf;
	got_term = got_hup = 0;
	collector_log_open(co.conf->use_syslog);
	if (setup_signals() != 0) {
		collector_log(LOG_ERR, "pipe: %s", strerror(errno));
		goto out;
	}
	/* [global] user: drop root before any check or thread runs */
	if (privdrop_apply(co.conf, co.config_path, once) != 0)
		goto out;
	if (open_outputs(&co) != 0)
		goto out;
	if (access(co.conf->state_file, F_OK) == 0 &&
	    statefile_load(co.conf->state_file, co.conf->checks, co.conf->count,
		err, sizeof(err)) != 0)
		collector_log(LOG_WARNING, "state file: %s", err);
	once_sent = calloc(co.conf->count + 1, sizeof(*once_sent));
	co.multi = curl_multi_init();
	if (once_sent == NULL || co.multi == NULL ||
	    pool_grow(co.pool, co.conf->concurrency) != 0)
		goto out;
	schedule_first(co.conf, sched_mono(), once);
	co.next_graph = sched_mono() +
	    (co.conf->graph_interval < 60 ? co.conf->graph_interval : 60);
	if (!once)
		collector_log(LOG_NOTICE,
		    "started: %zu checks, concurrency "
		    "%d",
		    co.conf->count, co.conf->concurrency);
	for (size_t i = 0; i < co.conf->count; i++)
		if (args_flag(&co.conf->checks[i]->args, "insecure"))
			collector_log(LOG_WARNING,
			    "check %s: TLS verification is off (insecure)",
			    co.conf->checks[i]->name);

	for (;;) {
		double now = sched_mono(), wake;
		struct pollfd pfd;
		int ms;

		drain_pipe();
		if (got_term && !stopping) {
			stopping = true;
			collector_log(LOG_NOTICE,
			    "stopping: finishing %zu "
			    "running checks",
			    running_count(&co));
		}
		if (got_hup) {
			got_hup = 0;
			if (!stopping && !once)
				reload(&co, now);
		}
		collect_done(&co);
		drive_transfers(&co);
		reap_timeouts(&co, now);
		now = sched_mono();
		flush_rrd(&co, now, false);
		backup_job_tick(
		    co.conf->cfg, co.config_path, once, sched_wall());

		if (!stopping) {
			for (size_t i = 0; i < co.conf->count; i++) {
				struct check *c = co.conf->checks[i];
				enum check_path path;

				if (c->running || c->next_run > now)
					continue;
				if (once && once_sent[i])
					continue;
				path = check_path(c);
				if (path != PATH_INLINE &&
				    running_count(&co) >=
					(size_t)co.conf->concurrency)
					continue;
				run_group(&co, c, path, now);
				if (once)
					once_sent[i] = true;
			}
			drive_transfers(&co); /* connect the new ones */
		}
		if (once) {
			results = 0;
			for (size_t i = 0; i < co.conf->count; i++)
				if (once_sent[i] &&
				    !co.conf->checks[i]->running)
					results++;
			if (results == co.conf->count)
				break;
		}
		if (stopping && running_count(&co) == 0)
			break;

		if (!once) {
			bool wrote = false;

			if (co.dirty_state && now >= state_due(&co)) {
				save_state(&co, now);
				wrote = true;
			}
			if (co.dirty_status && now >= status_due(&co)) {
				bool graphs = now >= co.next_graph;

				wrote = true;
				if (write_status(&co, err, sizeof(err)) != 0 &&
				    (co.last_web_error == 0 ||
					now - co.last_web_error >=
					    ERROR_LOG_GAP)) {
					collector_log(LOG_ERR, "web: %s", err);
					co.last_web_error = now;
				}
				if (graphs)
					start_graphs(&co, now);
				co.dirty_status = co.urgent_status = false;
				co.last_status_write = now;
			} else if (now >= co.next_graph) {
				co.dirty_status = co.urgent_status = true;
			}
			if (co.alerts != NULL)
				alerts_tick(co.alerts, co.conf->checks,
				    co.conf->count, sched_wall());
			/* The state file and status page are built in memory
			 * (a graph rendering far more): glibc keeps freed heap
			 * pages resident unless asked, so the footprint would
			 * be the peak, not what the collector keeps. */
			/* Likewise before a quiet spell: at a 60 s interval
			 * the loop sleeps most of the time, holding the
			 * heap of the last round's transfers and results. */
			if (wrote ||
			    (co.heap_used && co.ninflight == 0 &&
				next_check_event(
				    &co, stopping, now + QUIET_TRIM_GAP) >=
				    now + QUIET_TRIM_GAP)) {
				malloc_trim(0);
				co.heap_used = false;
			}
		}

		/* Sleep until the next due check, deadline or chore, at
		 * most one second (alerts_tick). */
		wake = next_check_event(&co, stopping, now + 1.0);
		/* --once writes these at the end: no wake-ups for them */
		if (!once && co.dirty_state && state_due(&co) < wake)
			wake = state_due(&co);
		if (!once && co.dirty_status && status_due(&co) < wake)
			wake = status_due(&co);
		ms = (int)((wake - sched_mono()) * 1000.0) + 1;
		if (ms < 0)
			ms = 0;
		if (ms > 1000)
			ms = 1000;
		if (co.ntransfers > 0) {
			/* libcurl shortens ms to its own timers */
			struct curl_waitfd pipe_fd = { .fd = wake_pipe[0],
				.events = CURL_WAIT_POLLIN };

			(void)curl_multi_poll(co.multi, &pipe_fd, 1, ms, NULL);
		} else {
			pfd.fd = wake_pipe[0];
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, ms);
		}
	}

	/* a rendering in progress finishes first (bounded) */
	graph_job_free(co.graphs);
	co.graphs = NULL;
	save_state(&co, sched_mono());
	if (once) {
		if (collector_web_output(
			co.conf, true, sched_wall(), err, sizeof(err)) != 0)
			collector_log(LOG_ERR, "web: %s", err);
		if (co.alerts != NULL)
			alerts_tick(co.alerts, co.conf->checks, co.conf->count,
			    sched_wall());
		print_results(co.conf, stdout);
		rc = worst_exit(co.conf);
	} else {
		if (co.dirty_status &&
		    collector_web_output(
			co.conf, false, sched_wall(), err, sizeof(err)) != 0)
			collector_log(LOG_ERR, "web: %s", err);
		collector_log(LOG_NOTICE, "stopped");
		rc = 0;
	}
out:
	graph_job_free(co.graphs); /* bounded wait for a rendering */
	transfers_free(&co);
	pool_stop(&co);
	close_outputs(&co);
	passive_stop();
	/* Jobs still held by abandoned workers are freed by them. */
	free(co.inflight);
	free(co.spare);
	free(once_sent);
	collector_conf_free(co.conf);
	if (wake_pipe[0] >= 0) {
		close(wake_pipe[0]);
		close(wake_pipe[1]);
		wake_pipe[0] = wake_pipe[1] = -1;
	}
	return rc;
}
