/* Parsing of `varnishstat -j` output (both layouts); see varnish_json.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "varnish_json.h"

const char *const varnish_counter_names[VC_COUNT] = {
	[VC_UPTIME] = "MAIN.uptime",
	[VC_CLIENT_REQ] = "MAIN.client_req",
	[VC_CACHE_HIT] = "MAIN.cache_hit",
	[VC_CACHE_HITPASS] = "MAIN.cache_hitpass",
	[VC_CACHE_MISS] = "MAIN.cache_miss",
	[VC_BACKEND_CONN] = "MAIN.backend_conn",
	[VC_BACKEND_FAIL] = "MAIN.backend_fail",
	[VC_BACKEND_UNHEALTHY] = "MAIN.backend_unhealthy",
	[VC_N_OBJECT] = "MAIN.n_object",
	[VC_N_EXPIRED] = "MAIN.n_expired",
	[VC_N_LRU_NUKED] = "MAIN.n_lru_nuked",
	[VC_THREADS] = "MAIN.threads",
	[VC_THREADS_FAILED] = "MAIN.threads_failed",
	[VC_SESS_DROPPED] = "MAIN.sess_dropped",
	[VC_THREAD_QUEUE_LEN] = "MAIN.thread_queue_len",
};

/* 2^64: a uint64 counter printed by varnishstat never exceeds it once
 * rounded to a double. */
#define U64_LIMIT 18446744073709551616.0
/* Below 2^53 a double holds every integer exactly. */
#define EXACT_LIMIT 9007199254740992.0

/* The "value" of one counter object, checked. */
static int
counter_value(
    const char *key, json_t *obj, double *out, char *err, size_t errlen)
{
	json_t *v;
	double d;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "counter %.80s is not an object", key);
		return -1;
	}
	v = json_object_get(obj, "value");
	if (v == NULL) {
		snprintf(err, errlen, "counter %.80s has no value", key);
		return -1;
	}
	if (!json_is_number(v)) {
		snprintf(
		    err, errlen, "counter %.80s: value is not a number", key);
		return -1;
	}
	d = json_number_value(v);
	if (!isfinite(d) || d < 0 || d > U64_LIMIT) {
		snprintf(err, errlen, "counter %.80s: value out of range", key);
		return -1;
	}
	*out = d;
	return 0;
}

/* Split "SMA.s0.g_bytes" after a 4-byte prefix into name and field. */
static int
split_ident(const char *key, size_t prefix, char *name, size_t namelen,
    const char **field)
{
	const char *dot;
	size_t n;

	dot = strrchr(key + prefix, '.');
	if (dot == NULL || dot == key + prefix)
		return -1;
	n = (size_t)(dot - (key + prefix));
	if (n >= namelen)
		return -1;
	memcpy(name, key + prefix, n);
	name[n] = '\0';
	*field = dot + 1;
	return 0;
}

static struct varnish_storage *
storage_get(struct varnish_stats *st, const char *kind, const char *name)
{
	size_t i;
	struct varnish_storage *s;

	for (i = 0; i < st->storage_count; i++) {
		s = &st->storage[i];
		if (strcmp(s->kind, kind) == 0 && strcmp(s->name, name) == 0)
			return s;
	}
	if (st->storage_count == VARNISH_STORAGE_MAX)
		return NULL;
	s = &st->storage[st->storage_count++];
	str_copy(s->kind, kind, sizeof(s->kind));
	str_copy(s->name, name, sizeof(s->name));
	return s;
}

static struct varnish_backend *
backend_get(struct varnish_stats *st, const char *name)
{
	size_t i;
	struct varnish_backend *b;

	for (i = 0; i < st->backend_count; i++) {
		b = &st->backend[i];
		if (strcmp(b->name, name) == 0)
			return b;
	}
	if (st->backend_count == VARNISH_BACKEND_MAX)
		return NULL;
	b = &st->backend[st->backend_count++];
	str_copy(b->name, name, sizeof(b->name));
	return b;
}

static int
take_storage(struct varnish_stats *st, const char *key, json_t *obj, char *err,
    size_t errlen)
{
	char kind[4], name[VARNISH_NAME_MAX];
	const char *field;
	struct varnish_storage *s;
	double v;
	bool used;

	if (split_ident(key, 4, name, sizeof(name), &field) == -1)
		return 0;
	if (strcmp(field, "g_bytes") == 0)
		used = true;
	else if (strcmp(field, "g_space") == 0)
		used = false;
	else
		return 0;
	if (counter_value(key, obj, &v, err, errlen) == -1)
		return -1;
	memcpy(kind, key, 3);
	kind[3] = '\0';
	if ((s = storage_get(st, kind, name)) == NULL)
		return 0;
	if (used) {
		s->used = v;
		s->has_used = true;
	} else {
		s->free = v;
		s->has_free = true;
	}
	return 0;
}

static int
take_backend(struct varnish_stats *st, const char *text, size_t len,
    const char *key, json_t *obj, char *err, size_t errlen)
{
	char name[VARNISH_NAME_MAX];
	const char *field;
	struct varnish_backend *b;
	double v;
	uint64_t raw;

	if (split_ident(key, 4, name, sizeof(name), &field) == -1)
		return 0;
	if (strcmp(field, "happy") != 0 && strcmp(field, "fail") != 0 &&
	    strncmp(field, "fail_", 5) != 0 && strcmp(field, "unhealthy") != 0)
		return 0;
	if (counter_value(key, obj, &v, err, errlen) == -1)
		return -1;
	if ((b = backend_get(st, name)) == NULL)
		return 0;
	if (strcmp(field, "fail") == 0) {
		b->fail = v;
	} else if (strncmp(field, "fail_", 5) == 0) {
		b->fail_detail += v;
	} else if (strcmp(field, "unhealthy") == 0) {
		b->unhealthy = v;
	} else {
		if (v < EXACT_LIMIT)
			b->happy = (uint64_t)v;
		else if (varnish_raw_u64(text, len, key, &raw) == 0)
			b->happy = raw;
		else if (v >= U64_LIMIT)
			b->happy = UINT64_MAX;
		else
			b->happy = (uint64_t)v;
		b->has_happy = true;
	}
	return 0;
}

static int
take_counter(struct varnish_stats *st, const char *text, size_t len,
    const char *key, json_t *obj, char *err, size_t errlen)
{
	size_t i;

	if (strncmp(key, "MAIN.", 5) == 0) {
		for (i = 0; i < VC_COUNT; i++) {
			if (strcmp(key, varnish_counter_names[i]) != 0)
				continue;
			if (counter_value(
				key, obj, &st->counter[i], err, errlen) == -1)
				return -1;
			st->have[i] = true;
			break;
		}
		return 0;
	}
	if (strncmp(key, "SMA.", 4) == 0 || strncmp(key, "SMF.", 4) == 0)
		return take_storage(st, key, obj, err, errlen);
	if (strncmp(key, "VBE.", 4) == 0)
		return take_backend(st, text, len, key, obj, err, errlen);
	return 0;
}

int
varnish_stats_parse(const char *text, size_t len, struct varnish_stats *st,
    char *err, size_t errlen)
{
	json_t *root = NULL, *counters, *version, *obj;
	json_error_t jerr;
	const char *key;
	size_t i;
	bool any = false;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	root = json_loadb(
	    text, len, JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen,
		    "varnishstat output is not JSON: %.120s "
		    "(line %d)",
		    jerr.text, jerr.line);
		goto out;
	}
	if (!json_is_object(root)) {
		snprintf(
		    err, errlen, "varnishstat output is not a JSON object");
		goto out;
	}
	counters = json_object_get(root, "counters");
	if (counters != NULL) {
		version = json_object_get(root, "version");
		if (version != NULL &&
		    (!json_is_number(version) ||
			json_number_value(version) != 1)) {
			snprintf(err, errlen,
			    "unsupported varnishstat JSON version");
			goto out;
		}
		if (!json_is_object(counters)) {
			snprintf(err, errlen,
			    "varnishstat \"counters\" is not "
			    "an object");
			goto out;
		}
		st->new_layout = true;
		json_object_foreach(counters, key, obj)
		{
			if (take_counter(
				st, text, len, key, obj, err, errlen) == -1)
				goto out;
		}
	} else {
		/* Flat layout: counters beside "timestamp". */
		json_object_foreach(root, key, obj)
		{
			if (!json_is_object(obj))
				continue;
			if (take_counter(
				st, text, len, key, obj, err, errlen) == -1)
				goto out;
		}
	}
	for (i = 0; i < VC_COUNT; i++)
		any = any || st->have[i];
	if (!any) {
		snprintf(err, errlen, "no MAIN counters in varnishstat output");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
varnish_raw_u64(const char *text, size_t len, const char *key, uint64_t *out)
{
	const char *p, *end, *hit;
	size_t klen;
	uint64_t v;
	int digits;

	klen = strlen(key);
	end = text + len;
	p = text;
	for (;;) {
		hit = memmem(p, (size_t)(end - p), key, klen);
		if (hit == NULL)
			return -1;
		p = hit + klen;
		/* A key: quoted on both sides, then ':'. */
		if (hit > text && hit[-1] == '"' && p < end && *p == '"')
			break;
	}
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end || *p != ':')
		return -1;
	/* Find "value" inside this counter's object (no nested objects). */
	hit = memmem(p, (size_t)(end - p), "\"value\"", 7);
	if (hit == NULL || memchr(p, '}', (size_t)(hit - p)) != NULL)
		return -1;
	p = hit + 7;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p >= end || *p != ':')
		return -1;
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	v = 0;
	digits = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
		digits++;
	}
	if (digits == 0)
		return -1;
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return -1;
	*out = v;
	return 0;
}

bool
varnish_backend_sick(const struct varnish_backend *b)
{
	return b->has_happy && b->happy != 0 && (b->happy & 7) == 0;
}

double
varnish_backend_failures(const struct varnish_backend *b)
{
	return b->fail > b->fail_detail ? b->fail : b->fail_detail;
}
