/*
 * Passive check results to a Nagios command file (see passive.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "passive.h"
#include "perfdata.h"
#include "runtime.h"
#include "util.h"

const struct option_spec passive_nagios_options[] = {
	{ "command-file", 0, OPT_STRING, "PATH", NULL, 0, -1,
	    "Nagios/Naemon/Icinga external command file (FIFO): every result "
	    "is written to it as PROCESS_SERVICE_CHECK_RESULT" },
	{ "host-name", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "host name of the results in Nagios (default: [global] hostname, "
	    "else this machine's)" },
	{ "icinga-url", 0, OPT_STRING, "URL", NULL, 0, -1,
	    "Icinga 2 API base URL, e.g. https://icinga.example.org:5665: "
	    "every result is POSTed to /v1/actions/process-check-result" },
	{ "icinga-user", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "Icinga 2 ApiUser (permission actions/process-check-result)" },
	{ "icinga-password-file", 0, OPT_STRING, "PATH", NULL, 0, -1,
	    "file holding the ApiUser's password (mode 0600)" },
	{ "icinga-ca-file", 0, OPT_STRING, "PATH", NULL, 0, -1,
	    "CA certificate(s) of the Icinga API (default: the system's)" },
	{ "icinga-ttl", 0, OPT_INT, "SECONDS", NULL, 0, 604800,
	    "ttl of each result (default: twice the check's interval plus "
	    "its timeout; 0: none)" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/*
 * Log-once bookkeeping of one destination: the first failure is logged,
 * the next ones only counted until a success, which is logged with the
 * count.  A failure within PASSIVE_QUIET_SECONDS of the last one logged
 * is not logged at all (nor its recovery), so that a reader that keeps
 * falling behind does not flood the log.
 */
#define PASSIVE_QUIET_SECONDS 60.0

struct passive_health {
	bool failing; /* the last attempt failed */
	bool logged; /* the failure episode was logged */
	unsigned long dropped; /* results lost since the last log line */
	double last_log; /* monotonic time of the last failure logged */
};

/* A failure at monotonic time now: true when it is to be logged. */
static bool
health_failed(struct passive_health *h, double now)
{
	h->dropped++;
	if (h->failing)
		return false;
	h->failing = true;
	if (h->last_log > 0 && now - h->last_log < PASSIVE_QUIET_SECONDS)
		return false;
	h->logged = true;
	h->last_log = now;
	return true;
}

/* A success: the number of results dropped to log, or 0 for no line. */
static unsigned long
health_ok(struct passive_health *h)
{
	unsigned long dropped = 0;

	if (h->failing && h->logged) {
		dropped = h->dropped;
		h->dropped = 0;
		h->logged = false;
	}
	h->failing = false;
	return dropped;
}

/* The command file's health; the collector's main thread is the only
 * caller. */
static struct passive_health passive_health;

/* Append s with CR/LF escaped as "\n" or, when field is true, ';' and
 * every control character replaced by '_' (host and service names).  When s
 * does not fit, what fits is kept and false returned; buf stays
 * NUL-terminated at *len either way. */
static bool
append_text(char *buf, size_t size, size_t *len, const char *s, bool field)
{
	size_t n = *len;
	bool fits = true;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch == '\n' || ch == '\r') && !field) {
			if (n + 2 >= size) {
				fits = false;
				break;
			}
			buf[n++] = '\\';
			buf[n++] = 'n';
			continue;
		}
		if (ch < 0x20 || ch == 0x7f || (field && ch == ';'))
			ch = field ? '_' : ' ';
		if (n + 1 >= size) {
			fits = false;
			break;
		}
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	*len = n;
	return fits;
}

int
passive_format(char *buf, size_t size, time_t when, const char *host,
    const char *service, const struct probe *probe,
    const struct probe_result *res)
{
	char head[64], item[PERFDATA_ITEM_MAX];
	size_t len = 0;
	int n;

	if (size < 2)
		return -1;
	/* One byte stays free for the final newline. */
	size--;
	n = snprintf(
	    buf, size, "[%lld] PROCESS_SERVICE_CHECK_RESULT;", (long long)when);
	if (n < 0 || (size_t)n >= size)
		return -1;
	len = (size_t)n;
	if (!append_text(buf, size, &len, host, true) ||
	    !append_text(buf, size, &len, ";", false) ||
	    !append_text(buf, size, &len, service, true))
		return -1;
	(void)snprintf(head, sizeof(head), ";%d;", (int)res->state);
	if (!append_text(buf, size, &len, head, false))
		return -1;
	/* "DISK OK: message", the plugin face's first line. */
	for (n = 0; probe != NULL && probe->name[n] != '\0' &&
	     (size_t)n < sizeof(head) - 1;
	     n++)
		head[n] = (char)(probe->name[n] >= 'a' && probe->name[n] <= 'z'
			? probe->name[n] - 'a' + 'A'
			: probe->name[n]);
	head[n] = '\0';
	if (!append_text(buf, size, &len, head[0] ? head : "OSEMON", false) ||
	    !append_text(buf, size, &len, " ", false) ||
	    !append_text(buf, size, &len, state_name(res->state), false))
		return -1;
	if (res->message[0] != '\0') {
		/* a message too long is cut where it stops fitting */
		if (append_text(buf, size, &len, ": ", false))
			(void)append_text(buf, size, &len, res->message, false);
	}
	/* Perfdata items that fit, in order. */
	for (size_t i = 0; i < res->metric_count; i++) {
		size_t before = len;

		perfdata_format(&res->metrics[i], item, sizeof(item));
		if (!append_text(buf, size, &len, i == 0 ? "|" : " ", false) ||
		    !append_text(buf, size, &len, item, false)) {
			len = before;
			buf[len] = '\0';
			break;
		}
	}
	/* Long output, only whole. */
	if (res->long_len > 0) {
		size_t before = len;
		char *lo = NULL;
		size_t lolen = res->long_len;

		while (lolen > 0 && res->long_output[lolen - 1] == '\n')
			lolen--;
		lo = strndup(res->long_output, lolen);
		if (lo == NULL || !append_text(buf, size, &len, "\n", false) ||
		    !append_text(buf, size, &len, lo, false)) {
			len = before;
			buf[len] = '\0';
		}
		free(lo);
	}
	buf[len++] = '\n';
	buf[len] = '\0';
	return (int)len;
}

static void
passive_failed(const char *path, const char *cause)
{
	if (!health_failed(&passive_health, clock_monotonic_now()))
		return;
	collector_log(LOG_WARNING,
	    "nagios: cannot write results to %s: %s "
	    "(results are dropped until it works; not logged again)",
	    path, cause);
}

/* Write one result line to the command file at path (see passive.h). */
static void
command_file_write(
    const char *path, const char *host, const struct check *c, time_t now)
{
	char *line = NULL;
	int fd = -1, len;
	ssize_t n;
	unsigned long dropped;

	line = malloc(PASSIVE_LINE_MAX);
	if (line == NULL) {
		passive_failed(path, "out of memory");
		goto out;
	}
	len = passive_format(
	    line, PASSIVE_LINE_MAX, now, host, c->name, c->probe, c->result);
	if (len < 0) {
		passive_failed(path, "host or check name too long");
		goto out;
	}
	/* No O_CREAT: Nagios makes the FIFO; a missing one is an error. */
	fd =
	    open(path, O_WRONLY | O_NONBLOCK | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		passive_failed(path,
		    errno == ENXIO ? "nobody reads the FIFO "
				     "(is Nagios running?)"
				   : strerror(errno));
		goto out;
	}
	/* At most PIPE_BUF bytes: all or nothing on a FIFO. */
	n = write(fd, line, (size_t)len);
	if (n < 0) {
		passive_failed(path,
		    errno == EAGAIN ? "the pipe is full "
				      "(Nagios is not reading)"
				    : strerror(errno));
		goto out;
	}
	if (n != len) {
		passive_failed(path, "short write");
		goto out;
	}
	dropped = health_ok(&passive_health);
	if (dropped > 0)
		collector_log(LOG_NOTICE,
		    "nagios: writing results to %s again (%lu dropped)", path,
		    dropped);
out:
	if (fd >= 0)
		close(fd);
	free(line);
}

/* ---------------------------------------------------------------- Icinga 2 */

#define ICINGA_QUEUE_MAX 1000
#define ICINGA_RESPONSE_MAX 8192
#define ICINGA_PASSWORD_MAX 512
#define ICINGA_CONNECT_TIMEOUT 3L
#define ICINGA_TIMEOUT 5L

struct icinga_item {
	struct icinga_item *next;
	char *url; /* .../v1/actions/process-check-result */
	char *user;
	char *password;
	char *ca_file; /* NULL: the system's CAs */
	char *body;
};

/*
 * The sender: the main thread appends, one thread sends.  Everything
 * below is under lock, except what the sender does with the item it took.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t work; /* an item or stop */
	pthread_cond_t idle; /* queue empty and nothing in flight */
	pthread_t thread;
	bool started, stopping, busy;
	struct icinga_item *head, *tail;
	size_t count;
	struct passive_health health; /* of the API, under lock */
} icinga = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static void
icinga_item_free(struct icinga_item *it)
{
	if (it == NULL)
		return;
	free(it->url);
	free(it->user);
	if (it->password != NULL) {
		explicit_bzero(it->password, strlen(it->password));
		free(it->password);
	}
	free(it->ca_file);
	free(it->body);
	free(it);
}

/* Log the first failure (cause must not hold a secret); count the rest. */
static void
icinga_failed(const char *url, const char *cause)
{
	bool log;

	pthread_mutex_lock(&icinga.lock);
	log = health_failed(&icinga.health, clock_monotonic_now());
	pthread_mutex_unlock(&icinga.lock);
	if (log)
		collector_log(LOG_WARNING,
		    "icinga: cannot send results to %s: %s (results are "
		    "dropped "
		    "until it works; not logged again)",
		    url, cause);
}

static void
icinga_succeeded(const char *url)
{
	unsigned long dropped;

	pthread_mutex_lock(&icinga.lock);
	dropped = health_ok(&icinga.health);
	pthread_mutex_unlock(&icinga.lock);
	if (dropped > 0)
		collector_log(LOG_NOTICE,
		    "icinga: sending results to %s again (%lu dropped)", url,
		    dropped);
}

/* A copy of s with bytes that are not valid UTF-8 replaced by '?'
 * (jansson takes UTF-8 only; plugins print anything). */
static char *
utf8_clean(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1);
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (out == NULL)
		return NULL;
	while (i < n) {
		size_t len = 0;
		unsigned cp = 0;

		if (p[i] < 0x80)
			len = 1;
		else if ((p[i] & 0xe0) == 0xc0 && p[i] >= 0xc2)
			len = 2;
		else if ((p[i] & 0xf0) == 0xe0)
			len = 3;
		else if ((p[i] & 0xf8) == 0xf0 && p[i] <= 0xf4)
			len = 4;
		if (len == 0 || i + len > n) {
			out[i++] = '?';
			continue;
		}
		cp = len == 1 ? p[i] : p[i] & (0x7f >> len);
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (len == 0 || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			out[i++] = '?';
			continue;
		}
		memcpy(out + i, p + i, len);
		i += len;
	}
	out[n] = '\0';
	return out;
}

static int
json_set_text(json_t *o, const char *key, const char *text)
{
	char *clean = utf8_clean(text);
	int rc = -1;

	if (clean != NULL)
		rc = json_object_set_new(o, key, json_string(clean));
	free(clean);
	return rc;
}

char *
passive_icinga_body(const char *host, const char *service, const char *source,
    const struct probe *probe, const struct probe_result *res, long ttl)
{
	json_t *o = NULL, *vars = NULL, *perf = NULL;
	char *output = NULL, *out = NULL;
	char item[PERFDATA_ITEM_MAX];
	size_t size, len = 0, lolen = res->long_len;

	size = PROBE_MESSAGE_MAX + PROBE_LONG_MAX + 128;
	output = malloc(size);
	if (output == NULL)
		goto out;
	output[0] = '\0';
	for (size_t i = 0; probe != NULL && probe->name[i] != '\0'; i++)
		str_appendf(output, size, &len, "%c",
		    probe->name[i] >= 'a' && probe->name[i] <= 'z'
			? probe->name[i] - 'a' + 'A'
			: probe->name[i]);
	str_appendf(
	    output, size, &len, "%s%s", len ? " " : "", state_name(res->state));
	if (res->message[0] != '\0')
		str_appendf(output, size, &len, ": %s", res->message);
	while (lolen > 0 && res->long_output[lolen - 1] == '\n')
		lolen--;
	if (lolen > 0)
		str_appendf(
		    output, size, &len, "\n%.*s", (int)lolen, res->long_output);

	o = json_object();
	vars = json_object();
	perf = json_array();
	if (o == NULL || vars == NULL || perf == NULL)
		goto out;
	for (size_t i = 0; i < res->metric_count; i++) {
		perfdata_format(&res->metrics[i], item, sizeof(item));
		if (json_array_append_new(perf, json_string(item)) != 0)
			goto out;
	}
	if (json_object_set_new(o, "type", json_string("Service")) != 0 ||
	    json_object_set_new(o, "filter",
		json_string("host.name == "
			    "osemon_host && service.name == osemon_service")) !=
		0 ||
	    json_set_text(vars, "osemon_host", host) != 0 ||
	    json_set_text(vars, "osemon_service", service) != 0 ||
	    json_object_set(o, "filter_vars", vars) != 0 ||
	    json_object_set_new(
		o, "exit_status", json_integer((json_int_t)res->state)) != 0 ||
	    json_set_text(o, "plugin_output", output) != 0 ||
	    json_object_set(o, "performance_data", perf) != 0 ||
	    json_set_text(o, "check_source", source) != 0)
		goto out;
	if (ttl > 0 &&
	    json_object_set_new(o, "ttl", json_integer((json_int_t)ttl)) != 0)
		goto out;
	out = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(vars);
	json_decref(perf);
	free(output);
	return out;
}

struct icinga_response {
	char buf[ICINGA_RESPONSE_MAX];
	size_t len;
};

static size_t
icinga_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct icinga_response *r = arg;
	size_t n = size * nmemb, room = sizeof(r->buf) - 1 - r->len;

	if (n > room)
		n = room; /* the rest is not needed */
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return size * nmemb;
}

void
passive_icinga_answer(const char *text, long http, char *err, size_t errlen)
{
	json_t *root = json_loads(text, 0, NULL);
	json_t *results = json_object_get(root, "results");
	json_t *first = json_array_get(results, 0);
	const char *status =
	    json_string_value(json_object_get(first, "status"));
	json_int_t code = json_integer_value(json_object_get(first, "code"));

	if (status == NULL)
		status = json_string_value(json_object_get(root, "status"));
	if (http == 200 && first != NULL && (code == 200 || code == 0))
		err[0] = '\0';
	else if (json_is_array(results) && json_array_size(results) == 0)
		/* Icinga's answer when the filter matched nothing */
		snprintf(err, errlen,
		    "HTTP %ld: no Icinga service matches the "
		    "host and check name",
		    http);
	else
		snprintf(err, errlen, "HTTP %ld: %s", http,
		    status != NULL ? status : "no answer Icinga wrote");
	json_decref(root);
}

/*
 * POST one item with h, the sender's handle: reset for every request but
 * kept, so that its connection (TLS session included) is reused while
 * Icinga keeps it alive.
 */
static int
icinga_send(CURL *h, const struct icinga_item *it, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	struct icinga_response *r = NULL;
	char cerr[CURL_ERROR_SIZE];
	long http = 0;
	CURLcode cc;
	int rc = -1;

	r = calloc(1, sizeof(*r));
	hdr = curl_slist_append(NULL, "Accept: application/json");
	if (hdr != NULL)
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (r == NULL || h == NULL || hdr == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cerr[0] = '\0';
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, it->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "osemon/" OSEMON_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, ICINGA_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, ICINGA_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, icinga_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (it->user != NULL)
		curl_easy_setopt(h, CURLOPT_USERNAME, it->user);
	if (it->password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, it->password);
	if (it->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, it->ca_file);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(
		    err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
	passive_icinga_answer(r->buf, http, err, errlen);
	if (err[0] != '\0')
		goto out;
	rc = 0;
out:
	/* the handle must not keep pointers into this call's memory */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdr);
	free(r);
	return rc;
}

static void *
icinga_main(void *arg)
{
	char err[512];
	CURL *h = curl_easy_init();

	(void)arg;
	pthread_mutex_lock(&icinga.lock);
	for (;;) {
		struct icinga_item *it;

		while (icinga.head == NULL && !icinga.stopping)
			pthread_cond_wait(&icinga.work, &icinga.lock);
		if (icinga.head == NULL)
			break;
		it = icinga.head;
		icinga.head = it->next;
		if (icinga.head == NULL)
			icinga.tail = NULL;
		icinga.count--;
		icinga.busy = true;
		pthread_mutex_unlock(&icinga.lock);

		if (h == NULL)
			snprintf(err, sizeof(err), "out of memory");
		if (h != NULL && icinga_send(h, it, err, sizeof(err)) == 0)
			icinga_succeeded(it->url);
		else
			icinga_failed(it->url, err);
		icinga_item_free(it);

		pthread_mutex_lock(&icinga.lock);
		icinga.busy = false;
		if (icinga.head == NULL)
			pthread_cond_broadcast(&icinga.idle);
	}
	pthread_mutex_unlock(&icinga.lock);
	if (h != NULL)
		curl_easy_cleanup(h);
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s == NULL || *s == '\0' ? NULL : strdup(s);
}

static void
icinga_enqueue(const struct collector_conf *conf, const struct cfg_section *sec,
    const char *base, const char *host, const struct check *c)
{
	struct icinga_item *it = NULL, *old = NULL;
	const char *v;
	char path[PATH_MAX], err[256];
	char *password = NULL;
	long ttl;
	size_t blen = strlen(base);
	bool start = false;

	it = calloc(1, sizeof(*it));
	if (it == NULL)
		goto fail_oom;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (asprintf(&it->url, "%.*s/v1/actions/process-check-result",
		(int)blen, base) < 0) {
		it->url = NULL;
		goto fail_oom;
	}
	it->user = dup_or_null(cfg_value(sec, "icinga-user"));
	v = cfg_value(sec, "icinga-password-file");
	if (v != NULL && *v != '\0') {
		password = malloc(ICINGA_PASSWORD_MAX);
		if (password == NULL)
			goto fail_oom;
		snprintf(err, sizeof(err), "path too long");
		if (cfg_path(conf->cfg, v, path, sizeof(path)) != 0 ||
		    secret_read(path, password, ICINGA_PASSWORD_MAX, err,
			sizeof(err)) != 0) {
			char cause[320];

			/* secret_read's messages never hold the secret */
			snprintf(cause, sizeof(cause),
			    "icinga-password-file refused: %s", err);
			icinga_failed(it->url, cause);
			goto out;
		}
		it->password = strdup(password);
		if (it->password == NULL)
			goto fail_oom;
	}
	v = cfg_value(sec, "icinga-ca-file");
	if (v != NULL && *v != '\0') {
		if (cfg_path(conf->cfg, v, path, sizeof(path)) != 0)
			goto fail_oom;
		it->ca_file = strdup(path);
		if (it->ca_file == NULL)
			goto fail_oom;
	}
	v = cfg_value(sec, "icinga-ttl");
	if (v == NULL || *v == '\0' || parse_long(v, 0, 604800, &ttl) != 0)
		ttl = 2L * (long)c->interval + (long)(c->timeout + 0.999);
	it->body = passive_icinga_body(
	    host, c->name, conf->hostname, c->probe, c->result, ttl);
	if (it->body == NULL)
		goto fail_oom;

	pthread_mutex_lock(&icinga.lock);
	if (icinga.count >= ICINGA_QUEUE_MAX) {
		old = icinga.head;
		icinga.head = old->next;
		icinga.count--;
		icinga.health.dropped++;
	}
	if (icinga.tail != NULL)
		icinga.tail->next = it;
	else
		icinga.head = it;
	icinga.tail = it;
	icinga.count++;
	it = NULL;
	if (!icinga.started) {
		sigset_t all, saved;

		/* the sender takes no signals: the main thread handles them */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &saved);
		if (pthread_create(&icinga.thread, NULL, icinga_main, NULL) ==
		    0)
			icinga.started = true;
		else
			start = true; /* report below, unlocked */
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
	}
	pthread_cond_signal(&icinga.work);
	pthread_mutex_unlock(&icinga.lock);
	icinga_item_free(old);
	if (start)
		collector_log(
		    LOG_ERR, "icinga: cannot start the sender thread");
	goto out;
fail_oom:
	icinga_failed(base, "out of memory");
out:
	if (password != NULL) {
		explicit_bzero(password, ICINGA_PASSWORD_MAX);
		free(password);
	}
	icinga_item_free(it);
}

void
passive_stop(void)
{
	struct timespec until;
	struct icinga_item *rest;

	pthread_mutex_lock(&icinga.lock);
	if (!icinga.started) {
		pthread_mutex_unlock(&icinga.lock);
		return;
	}
	icinga.stopping = true;
	pthread_cond_signal(&icinga.work);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PASSIVE_FLUSH_SECONDS;
	while ((icinga.head != NULL || icinga.busy) &&
	    pthread_cond_timedwait(&icinga.idle, &icinga.lock, &until) == 0)
		;
	/* Past the deadline: drop what waits; the one in flight ends
	 * within its curl timeout. */
	rest = icinga.head;
	icinga.head = icinga.tail = NULL;
	icinga.count = 0;
	pthread_cond_signal(&icinga.work);
	pthread_mutex_unlock(&icinga.lock);
	for (struct icinga_item *n; rest != NULL; rest = n) {
		n = rest->next;
		icinga_item_free(rest);
	}
	pthread_join(icinga.thread, NULL);
	pthread_mutex_lock(&icinga.lock);
	icinga.started = false;
	icinga.stopping = false;
	pthread_mutex_unlock(&icinga.lock);
}

void
passive_check_result(
    const struct collector_conf *conf, const struct check *c, time_t now)
{
	const struct cfg_section *sec;
	const char *file, *url, *host;
	char path[PATH_MAX];

	if (conf == NULL || conf->cfg == NULL || c == NULL || c->result == NULL)
		return;
	sec = cfg_find(conf->cfg, "nagios", NULL);
	if (sec == NULL)
		return;
	host = cfg_value(sec, "host-name");
	if (host == NULL || *host == '\0')
		host = conf->hostname;
	file = cfg_value(sec, "command-file");
	if (file != NULL && *file != '\0') {
		if (cfg_path(conf->cfg, file, path, sizeof(path)) != 0)
			passive_failed(file, "path too long");
		else
			command_file_write(path, host, c, now);
	}
	url = cfg_value(sec, "icinga-url");
	if (url != NULL && *url != '\0')
		icinga_enqueue(conf, sec, url, host, c);
}
