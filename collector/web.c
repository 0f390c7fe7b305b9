/*
 * The collector's web output: graphs, index.html, a page per check and
 * status.json in graph-dir, each replaced atomically.  Every string that
 * comes from a probe or the config is escaped (HTML) or encoded by jansson.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <rrd.h>
#include <rrd_client.h>

#include "forecast.h"
#include "graph.h"
#include "html_buf.h"
#include "rrdlock.h"
#include "rrdstore.h"
#include "util.h"
#include "web.h"

static const char *
web_state_class(const struct web_check *c)
{
	if (c->result == NULL)
		return "pending";
	switch (c->state) {
	case STATE_OK:
		return "ok";
	case STATE_WARNING:
		return "warning";
	case STATE_CRITICAL:
		return "critical";
	default:
		return "unknown";
	}
}

static const char *
web_state_label(const struct web_check *c)
{
	return c->result == NULL ? "PENDING" : state_name(c->state);
}

void
web_format_age(char *buf, size_t size, time_t now, time_t then)
{
	long long d;

	if (then <= 0) {
		str_copy(buf, "never", size);
		return;
	}
	d = (long long)now - (long long)then;
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(buf, size, "%llds", d);
	else if (d < 3600)
		snprintf(buf, size, "%lldm %llds", d / 60, d % 60);
	else if (d < 86400)
		snprintf(buf, size, "%lldh %lldm", d / 3600, d % 3600 / 60);
	else
		snprintf(buf, size, "%lldd %lldh", d / 86400, d % 86400 / 3600);
}

static void
web_format_time(char *buf, size_t size, time_t t)
{
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		str_copy(buf, "-", size);
}

static const char web_css[] =
    "body{font-family:sans-serif;margin:1em;background:#fff;color:#222}"
    "table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;"
    "vertical-align:top}"
    ".ok{background:#8e8}.warning{background:#fe6}"
    ".critical{background:#f77}.unknown{background:#f9c}"
    ".pending{background:#ddd}"
    ".mark{font-size:80%;color:#444}"
    "pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}"
    "img{margin:.25em;border:0}";

static void
web_page_head(struct html_buf *b, const char *title, const char *host)
{
	html_buf_puts(b,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"refresh\" content=\"60\">\n<title>");
	if (host != NULL && host[0] != '\0') {
		html_buf_escape(b, host);
		html_buf_puts(b, " - ");
	}
	html_buf_escape(b, title);
	html_buf_printf(
	    b, "</title>\n<style>%s</style>\n</head>\n<body>\n", web_css);
}

static void
web_state_cell(struct html_buf *b, const struct web_check *c)
{
	html_buf_printf(
	    b, "<td class=\"%s\">%s", web_state_class(c), web_state_label(c));
	if (c->result != NULL && c->state != STATE_OK) {
		if (c->hard)
			html_buf_puts(b, " <span class=\"mark\">HARD</span>");
		else
			html_buf_printf(b,
			    " <span class=\"mark\">SOFT "
			    "%d/%d</span>",
			    c->attempt, c->max_attempts);
	}
	if (c->flapping)
		html_buf_puts(b, " <span class=\"mark\">FLAPPING</span>");
	html_buf_puts(b, "</td>");
}

/* Disk checks: "; /var full in 53.0 days" for each forecast the message
 * does not already give (docs/capacity.md). */
static void
web_forecast_note(struct html_buf *b, const struct probe_result *r)
{
	size_t i, len, sl = strlen(FORECAST_SUFFIX);
	char mount[METRIC_NAME_MAX + 16], days[32];

	for (i = 0; i < r->metric_count; i++) {
		const struct metric *m = &r->metrics[i];

		len = strlen(m->name);
		if (len <= sl || strcmp(m->name + len - sl, FORECAST_SUFFIX) ||
		    m->unknown || !isfinite(m->value))
			continue;
		snprintf(mount, sizeof(mount), "%.*s full in ", (int)(len - sl),
		    m->name);
		if (strstr(r->message, mount) != NULL)
			continue;
		snprintf(days, sizeof(days), "%.1f days", m->value);
		html_buf_puts(b, "; ");
		html_buf_escape(b, mount);
		html_buf_puts(b, days);
	}
}

int
web_index_html(const struct web_config *cfg, const struct web_check *checks,
    size_t n, time_t now, struct html_buf *b)
{
	char dir[NAME_MAX + 1], age[32], since[32], gen[40];
	size_t i, count[5] = { 0, 0, 0, 0, 0 };

	web_page_head(b, "osemon status", cfg->hostname);
	for (i = 0; i < n; i++) {
		if (checks[i].result == NULL)
			count[4]++;
		else if ((unsigned)checks[i].state < 4)
			count[checks[i].state]++;
		else
			count[3]++;
	}
	web_format_time(gen, sizeof(gen), now);
	html_buf_puts(b, "<h1>");
	if (cfg->hostname != NULL && cfg->hostname[0] != '\0') {
		html_buf_escape(b, cfg->hostname);
		html_buf_puts(b, ": ");
	}
	html_buf_printf(b,
	    "osemon status</h1>\n<p>%zu checks: %zu OK, "
	    "%zu WARNING, %zu CRITICAL, %zu UNKNOWN, %zu PENDING. "
	    "Generated %s. <a href=\"status.json\">status.json</a></p>\n",
	    n, count[0], count[1], count[2], count[3], count[4], gen);
	html_buf_puts(b,
	    "<table id=\"checks\">\n<tr><th>Check</th>"
	    "<th>Probe</th><th>State</th><th>Output</th>"
	    "<th>Last check</th><th>Since</th></tr>\n");
	for (i = 0; i < n; i++) {
		const struct web_check *c = &checks[i];

		if (rrd_metric_filename(c->name, dir, sizeof(dir)) == -1)
			continue;
		web_format_age(age, sizeof(age), now, c->last_check);
		web_format_age(since, sizeof(since), now, c->last_change);
		html_buf_printf(b,
		    "<tr class=\"check\" id=\"check-%s\">"
		    "<td><a href=\"%s/index.html\">",
		    dir, dir);
		html_buf_escape(b, c->name);
		html_buf_puts(b, "</a></td><td>");
		html_buf_escape(b, c->probe != NULL ? c->probe : "");
		html_buf_puts(b, "</td>");
		web_state_cell(b, c);
		html_buf_puts(b, "<td>");
		if (c->result != NULL) {
			html_buf_escape(b, c->result->message);
			web_forecast_note(b, c->result);
		}
		html_buf_printf(b, "</td><td>%s%s</td><td>%s</td></tr>\n", age,
		    c->last_check > 0 ? " ago" : "", since);
	}
	html_buf_puts(b, "</table>\n</body>\n</html>\n");
	return html_buf_failed(b) ? -1 : 0;
}

static void
web_range_text(struct html_buf *b, const struct range *r)
{
	if (r->set)
		html_buf_escape(b, r->text);
}

int
web_check_html(
    const struct web_config *cfg, const struct web_check *c, struct html_buf *b)
{
	char png[PATH_MAX], file[NAME_MAX + 1], value[64], last[40], since[40];
	struct stat sb;
	size_t i;
	int p;

	web_page_head(b, c->name, cfg->hostname);
	html_buf_puts(b,
	    "<p><a href=\"../index.html\">all checks</a></p>\n"
	    "<h1>");
	html_buf_escape(b, c->name);
	html_buf_puts(b, "</h1>\n<table>\n<tr><th>Probe</th><td>");
	html_buf_escape(b, c->probe != NULL ? c->probe : "");
	html_buf_puts(b, "</td></tr>\n<tr><th>State</th>");
	web_state_cell(b, c);
	web_format_time(last, sizeof(last), c->last_check);
	web_format_time(since, sizeof(since), c->last_change);
	html_buf_printf(b,
	    "</tr>\n<tr><th>Last check</th><td>%s</td></tr>\n"
	    "<tr><th>Since</th><td>%s</td></tr>\n"
	    "<tr><th>Interval</th><td>%us</td></tr>\n",
	    last, since, c->interval);
	if (c->result == NULL) {
		html_buf_puts(b,
		    "</table>\n<p>Not run yet.</p>\n"
		    "</body>\n</html>\n");
		return html_buf_failed(b) ? -1 : 0;
	}
	html_buf_printf(b,
	    "<tr><th>Reason</th><td>%s</td></tr>\n"
	    "<tr><th>Output</th><td class=\"output\">",
	    reason_name(c->result->reason));
	html_buf_escape(b, c->result->message);
	html_buf_puts(b, "</td></tr>\n</table>\n");
	if (c->result->long_output[0] != '\0') {
		html_buf_puts(b, "<pre>");
		html_buf_escape(b, c->result->long_output);
		html_buf_puts(b, "</pre>\n");
	}
	if (c->result->metric_count > 0)
		html_buf_puts(b,
		    "<h2>Metrics</h2>\n<table>\n<tr><th>Metric"
		    "</th><th>Value</th><th>Unit</th><th>Warning</th>"
		    "<th>Critical</th></tr>\n");
	for (i = 0; i < c->result->metric_count; i++) {
		const struct metric *m = &c->result->metrics[i];

		if (m->unknown || !isfinite(m->value))
			str_copy(value, "U", sizeof(value));
		else
			format_number(value, sizeof(value), m->value);
		html_buf_puts(b, "<tr><td>");
		html_buf_escape(b, m->name);
		html_buf_printf(b, "</td><td>%s</td><td>", value);
		html_buf_escape(b, m->unit);
		html_buf_puts(
		    b, m->ds == DS_DERIVE ? "/s</td><td>" : "</td><td>");
		web_range_text(b, &m->warn);
		html_buf_puts(b, "</td><td>");
		web_range_text(b, &m->crit);
		html_buf_puts(b, "</td></tr>\n");
	}
	if (c->result->metric_count > 0)
		html_buf_puts(b, "</table>\n");
	for (i = 0; i < c->result->metric_count; i++) {
		const struct metric *m = &c->result->metrics[i];
		bool heading = false;

		if (rrd_metric_filename(m->name, file, sizeof(file)) == -1)
			continue;
		for (p = 0; p < GRAPH_PERIOD_COUNT; p++) {
			if (graph_png_path(cfg->graph_dir, c->name, m->name,
				(enum graph_period)p, png, sizeof(png)) == -1 ||
			    stat(png, &sb) == -1)
				continue;
			if (!heading) {
				html_buf_puts(b, "<h3>");
				html_buf_escape(b, m->name);
				html_buf_puts(
				    b, "</h3>\n<div class=\"graphs\">");
				heading = true;
			}
			html_buf_printf(b, "<img src=\"%s-%s.png\" alt=\"",
			    file, graph_period_name((enum graph_period)p));
			html_buf_escape(b, m->name);
			html_buf_printf(b, " by %s\">",
			    graph_period_name((enum graph_period)p));
		}
		if (heading)
			html_buf_puts(b, "</div>\n");
	}
	html_buf_puts(b, "</body>\n</html>\n");
	return html_buf_failed(b) ? -1 : 0;
}

static json_t *
web_json_number(double v)
{
	if (!isfinite(v))
		return json_null();
	return json_real(v);
}

static json_t *
web_json_range(const struct range *r)
{
	return r->set ? json_string(r->text) : json_null();
}

static json_t *
web_json_metrics(const struct probe_result *res)
{
	json_t *arr = NULL, *o = NULL;
	size_t i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < res->metric_count; i++) {
		const struct metric *m = &res->metrics[i];

		o = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o}",
		    "name", m->name, "value",
		    m->unknown ? json_null() : web_json_number(m->value),
		    "unit", m->unit, "ds",
		    m->ds == DS_DERIVE ? "DERIVE" : "GAUGE", "min",
		    m->has_min ? web_json_number(m->min) : json_null(), "max",
		    m->has_max ? web_json_number(m->max) : json_null(),
		    "warning", web_json_range(&m->warn), "critical",
		    web_json_range(&m->crit));
		if (o == NULL || json_array_append_new(arr, o) == -1)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

char *
web_status_json(const struct web_config *cfg, const struct web_check *checks,
    size_t n, time_t now)
{
	json_t *root = NULL, *arr = NULL, *o = NULL, *metrics = NULL;
	char dir[NAME_MAX + 1], url[PATH_MAX];
	char *out = NULL;
	size_t i;

	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const struct web_check *c = &checks[i];

		if (rrd_metric_filename(c->name, dir, sizeof(dir)) == -1)
			continue;
		if (cfg->graph_url != NULL && cfg->graph_url[0] != '\0')
			snprintf(url, sizeof(url), "%s%s%s/index.html",
			    cfg->graph_url,
			    cfg->graph_url[strlen(cfg->graph_url) - 1] == '/'
				? ""
				: "/",
			    dir);
		else
			snprintf(url, sizeof(url), "%s/index.html", dir);
		metrics = c->result != NULL ? web_json_metrics(c->result)
					    : json_array();
		if (metrics == NULL)
			goto out;
		o = json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:i, s:i, s:b,"
			      " s:I, s:I, s:i, s:o, s:o, s:s, s:o}",
		    "name", c->name, "probe", c->probe != NULL ? c->probe : "",
		    "state", web_state_label(c), "state_code", (int)c->state,
		    "pending", c->result == NULL, "hard", c->hard, "attempt",
		    c->attempt, "max_attempts", c->max_attempts, "flapping",
		    c->flapping, "last_check", (json_int_t)c->last_check,
		    "last_change", (json_int_t)c->last_change, "interval",
		    (int)c->interval, "reason",
		    c->result != NULL
			? json_string(reason_name(c->result->reason))
			: json_null(),
		    "message",
		    c->result != NULL ? json_string(c->result->message)
				      : json_null(),
		    "url", url, "metrics", metrics);
		metrics = NULL;
		if (o == NULL || json_array_append_new(arr, o) == -1)
			goto out;
	}
	root = json_pack("{s:s, s:I, s:o}", "host",
	    cfg->hostname != NULL ? cfg->hostname : "", "generated",
	    (json_int_t)now, "checks", arr);
	arr = NULL;
	if (root == NULL)
		goto out;
	out = json_dumps(root,
	    JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
out:
	json_decref(metrics);
	json_decref(arr);
	json_decref(root);
	return out;
}

static int
web_write_file(const char *dir, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s/%s: path too long", dir, name);
		return -1;
	}
	/* rewritten every status-interval and at start: no fsync */
	return file_write_replace(path, data, len, 0644, err, errlen);
}

int
web_write_status(const struct web_config *cfg, const struct web_check *checks,
    size_t n, time_t now, char *err, size_t errlen)
{
	struct html_buf b;
	char dir[PATH_MAX], name[NAME_MAX + 1], one[256];
	char *json = NULL;
	size_t i;
	int rc = 0, len;

	html_buf_init(&b);
	if (errlen > 0)
		err[0] = '\0';
	if (cfg->graph_dir == NULL || mkdir_p(cfg->graph_dir, 0755) == -1) {
		snprintf(err, errlen, "graph-dir %s: %s",
		    cfg->graph_dir != NULL ? cfg->graph_dir : "(unset)",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (checks[i].page_current ||
		    rrd_metric_filename(checks[i].name, name, sizeof(name)) ==
			-1)
			continue;
		len = snprintf(dir, sizeof(dir), "%s/%s", cfg->graph_dir, name);
		html_buf_free(&b);
		if (len < 0 || (size_t)len >= sizeof(dir) ||
		    mkdir_p(dir, 0755) == -1) {
			snprintf(one, sizeof(one), "%s: cannot create folder",
			    checks[i].name);
		} else if (web_check_html(cfg, &checks[i], &b) == -1) {
			snprintf(one, sizeof(one), "%s: page too large",
			    checks[i].name);
		} else if (web_write_file(dir, "index.html", b.data, b.len, one,
			       sizeof(one)) == 0)
			continue;
		if (rc == 0)
			str_copy(err, one, errlen);
		rc = -1;
	}
	html_buf_free(&b);
	if (web_index_html(cfg, checks, n, now, &b) == -1 ||
	    web_write_file(cfg->graph_dir, "index.html", b.data, b.len, one,
		sizeof(one)) == -1) {
		if (rc == 0)
			str_copy(err,
			    html_buf_failed(&b) ? "index.html: "
						  "page too large"
						: one,
			    errlen);
		rc = -1;
	}
	html_buf_free(&b);
	if ((json = web_status_json(cfg, checks, n, now)) == NULL ||
	    web_write_file(cfg->graph_dir, "status.json", json, strlen(json),
		one, sizeof(one)) == -1) {
		if (rc == 0)
			str_copy(err,
			    json == NULL ? "status.json: out of "
					   "memory"
					 : one,
			    errlen);
		rc = -1;
	}
	free(json);
	return rc;
}

int
web_render_check_graphs(const struct web_config *cfg, const char *check,
    const struct metric *metrics, size_t count, const atomic_bool *stop,
    char *err, size_t errlen)
{
	struct graph_spec spec;
	char rrd[PATH_MAX], png[PATH_MAX], dir[PATH_MAX], name[NAME_MAX + 1];
	char one[PATH_MAX + 128];
	const char *daemon = getenv("RRDCACHED_ADDRESS");
	time_t now = time(NULL);
	size_t j;
	int rc = 0, p, need, len;

	if (errlen > 0)
		err[0] = '\0';
	if (cfg->graph_dir == NULL || cfg->rrd_dir == NULL) {
		snprintf(err, errlen, "graph-dir or rrd-dir not set");
		return -1;
	}
	if (rrd_metric_filename(check, name, sizeof(name)) == -1)
		return 0;
	len = snprintf(dir, sizeof(dir), "%s/%s", cfg->graph_dir, name);
	if (len < 0 || (size_t)len >= sizeof(dir))
		return 0;
	for (j = 0; j < count; j++) {
		const struct metric *m = &metrics[j];

		if (rrd_metric_path(
			cfg->rrd_dir, check, m->name, rrd, sizeof(rrd)) == -1)
			continue;
		spec.rrd_path = rrd;
		spec.png_path = png;
		spec.host = cfg->hostname;
		spec.check = check;
		spec.metric = m;
		for (p = 0; p < GRAPH_PERIOD_COUNT; p++) {
			if (stop != NULL && atomic_load(stop))
				return rc;
			if (graph_png_path(cfg->graph_dir, check, m->name,
				(enum graph_period)p, png, sizeof(png)) == -1)
				break;
			/* One PNG at a time under the librrd lock: the
			 * loop's RRD updates wait for one PNG at most. */
			rrd_lock();
			/* rrdcached holds recent updates: write them out so
			 * the mtime test and the graph both see them.  The
			 * store's connection serves when this process has
			 * one, else RRDCACHED_ADDRESS (as rrdtool does). */
			if (p == 0 && rrdc_is_any_connected())
				(void)rrdc_flush(rrd);
			else if (p == 0 && daemon != NULL && daemon[0] != '\0')
				(void)rrdc_flush_if_daemon(daemon, rrd);
			rrd_clear_error();
			need = graph_needs_render(
			    rrd, png, (enum graph_period)p, now);
			if (need <= 0) {
				rrd_unlock();
				continue;
			}
			if (mkdir_p(dir, 0755) == -1)
				snprintf(one, sizeof(one), "%s: %s", dir,
				    strerror(errno));
			else if (graph_render(&spec, (enum graph_period)p, one,
				     sizeof(one)) == 0) {
				rrd_unlock();
				continue;
			}
			rrd_unlock();
			if (rc == 0)
				str_copy(err, one, errlen);
			rc = -1;
		}
	}
	return rc;
}

int
web_render_graphs(const struct web_config *cfg, const struct web_check *checks,
    size_t n, char *err, size_t errlen)
{
	char one[PATH_MAX + 128];
	size_t i;
	int rc = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (cfg->graph_dir == NULL || cfg->rrd_dir == NULL) {
		snprintf(err, errlen, "graph-dir or rrd-dir not set");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct web_check *c = &checks[i];

		if (c->result == NULL)
			continue;
		if (web_render_check_graphs(cfg, c->name, c->result->metrics,
			c->result->metric_count, NULL, one, sizeof(one)) == 0)
			continue;
		if (rc == 0)
			str_copy(err, one, errlen);
		rc = -1;
	}
	return rc;
}
