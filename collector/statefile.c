/*
 * The state file: STATE_DIR/state.json, written with file_write_atomic
 * (temp + fsync + rename) after every loop turn that changed something.
 * It holds, per check, the state machine (state, type, attempt, last
 * changes, flapping, history) and the last result (message, long output,
 * metrics), so a restart neither forgets a problem nor invents one.
 *
 * {"version": 1, "written": EPOCH, "checks": [ {"name": ..., "probe": ...,
 *   "state": "OK", "state_type": "HARD", "attempt": 1, "max_attempts": 3,
 *   "last_hard_state": "OK", "last_check": EPOCH, "last_change": EPOCH,
 *   "last_hard_change": EPOCH, "flapping": false, "percent_change": 0,
 *   "history": ["OK", ...], "result": {"state", "reason", "message",
 *   "long_output", "metrics": [{"name", "value" (null when unknown),
 *   "unit", "ds", "min", "max", "warn", "crit"}]}} ] }
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "runtime.h"
#include "util.h"

#define STATEFILE_VERSION 1
#define STATEFILE_CAP (64u * 1024 * 1024)

static json_t *
number_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
result_to_json(const struct probe_result *res)
{
	json_t *o = NULL, *metrics = NULL;

	o = json_object();
	metrics = json_array();
	if (o == NULL || metrics == NULL)
		goto fail;
	json_object_set_new(o, "state", json_string(state_name(res->state)));
	json_object_set_new(o, "reason", json_string(reason_name(res->reason)));
	json_object_set_new(o, "message", json_string(res->message));
	json_object_set_new(o, "long_output",
	    json_stringn(res->long_output,
		res->long_len < PROBE_LONG_MAX
		    ? res->long_len
		    : strnlen(res->long_output, PROBE_LONG_MAX)));
	for (size_t i = 0; i < res->metric_count && i < PROBE_METRICS_MAX;
	     i++) {
		const struct metric *m = &res->metrics[i];
		json_t *jm = json_object();

		if (jm == NULL)
			goto fail;
		json_object_set_new(jm, "name", json_string(m->name));
		json_object_set_new(jm, "value",
		    m->unknown ? json_null() : number_or_null(m->value));
		json_object_set_new(jm, "unit", json_string(m->unit));
		json_object_set_new(jm, "ds",
		    json_string(m->ds == DS_DERIVE ? "DERIVE" : "GAUGE"));
		if (m->has_min)
			json_object_set_new(jm, "min", number_or_null(m->min));
		if (m->has_max)
			json_object_set_new(jm, "max", number_or_null(m->max));
		if (m->warn.set)
			json_object_set_new(
			    jm, "warn", json_string(m->warn.text));
		if (m->crit.set)
			json_object_set_new(
			    jm, "crit", json_string(m->crit.text));
		json_array_append_new(metrics, jm);
	}
	json_object_set_new(o, "metrics", metrics);
	return o;
fail:
	json_decref(metrics);
	json_decref(o);
	return NULL;
}

static json_t *
check_to_json(const struct check *c)
{
	const struct check_state *st = &c->st;
	json_t *o = json_object(), *hist = json_array();

	if (o == NULL || hist == NULL) {
		json_decref(o);
		json_decref(hist);
		return NULL;
	}
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(
	    o, "probe", json_string(c->probe ? c->probe->name : ""));
	json_object_set_new(o, "checked", json_boolean(st->checked));
	json_object_set_new(o, "state",
	    json_string(st->checked ? state_name(st->current) : "PENDING"));
	json_object_set_new(
	    o, "state_type", json_string(st->hard ? "HARD" : "SOFT"));
	json_object_set_new(o, "attempt", json_integer(st->attempt));
	json_object_set_new(
	    o, "max_attempts", json_integer(c->policy.max_attempts));
	json_object_set_new(
	    o, "last_hard_state", json_string(state_name(st->last_hard)));
	json_object_set_new(o, "last_check", json_integer(st->last_check));
	json_object_set_new(o, "last_change", json_integer(st->last_change));
	json_object_set_new(
	    o, "last_hard_change", json_integer(st->last_hard_change));
	json_object_set_new(o, "interval", json_integer(c->interval));
	json_object_set_new(o, "flapping", json_boolean(st->flapping));
	json_object_set_new(
	    o, "percent_change", number_or_null(st->percent_change));
	for (size_t i = 0; i < st->history_len && i < CHECK_HISTORY; i++)
		json_array_append_new(
		    hist, json_string(state_name(st->history[i])));
	json_object_set_new(o, "history", hist);
	if (c->result != NULL)
		json_object_set_new(o, "result", result_to_json(c->result));
	return o;
}

char *
statefile_dump(struct check *const *checks, size_t n, time_t now)
{
	json_t *root = json_object(), *arr = json_array();
	char *text = NULL;

	if (root == NULL || arr == NULL) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(root, "version", json_integer(STATEFILE_VERSION));
	json_object_set_new(root, "written", json_integer(now));
	for (size_t i = 0; i < n; i++) {
		json_t *c = check_to_json(checks[i]);

		if (c == NULL)
			goto out;
		json_array_append_new(arr, c);
	}
	json_object_set_new(root, "checks", arr);
	arr = NULL;
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
out:
	json_decref(arr);
	json_decref(root);
	return text;
}

int
statefile_save(const char *path, struct check *const *checks, size_t n,
    time_t now, char *err, size_t errlen)
{
	char *text = statefile_dump(checks, n, now);
	int rc;

	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = file_write_atomic(path, text, strlen(text), 0644, err, errlen);
	free(text);
	return rc;
}

static int
state_from_json(const json_t *j, enum probe_state *out)
{
	if (!json_is_string(j))
		return -1;
	return check_state_from_name(json_string_value(j), out);
}

static int
reason_from_json(const json_t *j, enum probe_reason *out)
{
	const char *s = json_string_value(j);

	if (s == NULL)
		return -1;
	for (int r = REASON_NONE; r <= REASON_INTERNAL; r++)
		if (strcmp(reason_name((enum probe_reason)r), s) == 0) {
			*out = (enum probe_reason)r;
			return 0;
		}
	return -1;
}

static bool
get_time(const json_t *o, const char *key, time_t *out)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*out = (time_t)json_integer_value(j);
	return true;
}

static struct probe_result *
result_from_json(const json_t *o)
{
	struct probe_result *res = NULL;
	const json_t *metrics, *jm;
	const char *s;
	size_t i;

	if (!json_is_object(o))
		return NULL;
	res = malloc(sizeof(*res));
	if (res == NULL)
		return NULL;
	result_init(res);
	if (state_from_json(json_object_get(o, "state"), &res->state) != 0 ||
	    reason_from_json(json_object_get(o, "reason"), &res->reason) != 0)
		goto fail;
	if ((s = json_string_value(json_object_get(o, "message"))) != NULL)
		str_copy(res->message, s, sizeof(res->message));
	if ((s = json_string_value(json_object_get(o, "long_output"))) !=
	    NULL) {
		str_copy(res->long_output, s, sizeof(res->long_output));
		res->long_len = strlen(res->long_output);
	}
	metrics = json_object_get(o, "metrics");
	json_array_foreach(metrics, i, jm)
	{
		struct metric *m;
		const json_t *v;

		if (res->metric_count >= PROBE_METRICS_MAX)
			break;
		s = json_string_value(json_object_get(jm, "name"));
		if (s == NULL || *s == '\0')
			continue;
		m = &res->metrics[res->metric_count++];
		memset(m, 0, sizeof(*m));
		str_copy(m->name, s, sizeof(m->name));
		v = json_object_get(jm, "value");
		if (json_is_number(v))
			m->value = json_number_value(v);
		else
			m->unknown = true;
		if ((s = json_string_value(json_object_get(jm, "unit"))) !=
		    NULL)
			str_copy(m->unit, s, sizeof(m->unit));
		s = json_string_value(json_object_get(jm, "ds"));
		m->ds = s != NULL && strcmp(s, "DERIVE") == 0 ? DS_DERIVE
							      : DS_GAUGE;
		v = json_object_get(jm, "min");
		if (json_is_number(v)) {
			m->has_min = true;
			m->min = json_number_value(v);
		}
		v = json_object_get(jm, "max");
		if (json_is_number(v)) {
			m->has_max = true;
			m->max = json_number_value(v);
		}
		s = json_string_value(json_object_get(jm, "warn"));
		if (s != NULL && range_parse(s, &m->warn) != 0)
			memset(&m->warn, 0, sizeof(m->warn));
		s = json_string_value(json_object_get(jm, "crit"));
		if (s != NULL && range_parse(s, &m->crit) != 0)
			memset(&m->crit, 0, sizeof(m->crit));
	}
	return res;
fail:
	free(res);
	return NULL;
}

/* Fill one check from its JSON object; a bad entry leaves it fresh. */
static int
check_from_json(struct check *c, const json_t *o)
{
	struct check_state st;
	const json_t *hist, *h, *j;
	size_t i;

	check_state_init(&st);
	j = json_object_get(o, "checked");
	st.checked = json_is_true(j);
	if (!st.checked)
		return 0;
	if (state_from_json(json_object_get(o, "state"), &st.current) != 0 ||
	    state_from_json(
		json_object_get(o, "last_hard_state"), &st.last_hard) != 0)
		return -1;
	j = json_object_get(o, "state_type");
	if (!json_is_string(j))
		return -1;
	st.hard = strcmp(json_string_value(j), "SOFT") != 0;
	j = json_object_get(o, "attempt");
	if (!json_is_integer(j) || json_integer_value(j) < 1 ||
	    json_integer_value(j) > 1000)
		return -1;
	st.attempt = (int)json_integer_value(j);
	/* retries may have changed since: a hard problem stays hard, a soft
	 * one gets at least one more attempt. */
	if (st.current != STATE_OK) {
		if (st.hard)
			st.attempt = c->policy.max_attempts;
		else if (st.attempt >= c->policy.max_attempts)
			st.attempt = c->policy.max_attempts > 1
			    ? c->policy.max_attempts - 1
			    : 1;
	}
	if (!get_time(o, "last_check", &st.last_check) ||
	    !get_time(o, "last_change", &st.last_change) ||
	    !get_time(o, "last_hard_change", &st.last_hard_change))
		return -1;
	st.flapping = json_is_true(json_object_get(o, "flapping"));
	j = json_object_get(o, "percent_change");
	if (json_is_number(j))
		st.percent_change = json_number_value(j);
	if (!(st.percent_change >= 0 && st.percent_change <= 100))
		st.percent_change = 0;
	hist = json_object_get(o, "history");
	if (json_is_array(hist) && json_array_size(hist) > 0) {
		st.history_len = 0;
		json_array_foreach(hist, i, h)
		{
			enum probe_state s;

			if (st.history_len >= CHECK_HISTORY)
				break;
			if (state_from_json(h, &s) != 0)
				return -1;
			st.history[st.history_len++] = s;
		}
	}
	j = json_object_get(o, "result");
	if (j != NULL) {
		struct probe_result *res = result_from_json(j);

		if (res == NULL)
			return -1;
		free(c->result);
		c->result = res;
	}
	c->st = st;
	return 0;
}

int
statefile_parse(const char *text, size_t len, struct check *const *checks,
    size_t n, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL;
	const json_t *arr, *o;
	size_t i;
	int rc = -1;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) !=
		STATEFILE_VERSION) {
		snprintf(err, errlen, "not an osemon state file (version %d)",
		    STATEFILE_VERSION);
		goto out;
	}
	arr = json_object_get(root, "checks");
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "no \"checks\" array");
		goto out;
	}
	rc = 0;
	json_array_foreach(arr, i, o)
	{
		const char *name =
		    json_string_value(json_object_get(o, "name"));
		const char *probe =
		    json_string_value(json_object_get(o, "probe"));

		if (name == NULL)
			continue;
		for (size_t k = 0; k < n; k++) {
			struct check *c = checks[k];

			if (strcmp(c->name, name) != 0)
				continue;
			/* Another probe under the same name: start afresh. */
			if (probe == NULL || c->probe == NULL ||
			    strcmp(probe, c->probe->name) != 0)
				break;
			if (check_from_json(c, o) != 0) {
				snprintf(err, errlen,
				    "check %s: bad entry, "
				    "starting it afresh",
				    name);
				rc = -1;
			}
			break;
		}
	}
out:
	json_decref(root);
	return rc;
}

int
statefile_load(const char *path, struct check *const *checks, size_t n,
    char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	char perr[256];
	int rc;

	if (file_read_capped(path, STATEFILE_CAP, &text, &len) != 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	rc = statefile_parse(text, len, checks, n, perr, sizeof(perr));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, perr);
	free(text);
	return rc;
}
