/*
 * The backup's result record: JSON (jansson), written atomically to
 * STATE_DIR/backup.json (runs) or backup-verify.json (verifies), read by
 * the backup probe.  The parser is fuzzed (tests/fuzz/fuzz_backup_record.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "backup.h"
#include "util.h"

static void
iso_time(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		str_copy(buf, "", size);
}

char *
backup_record_format(const struct backup_record *rec)
{
	json_t *o = NULL, *objs = NULL;
	char *text = NULL;
	char start[32], end[32];

	iso_time(rec->start, start, sizeof(start));
	iso_time(rec->end, end, sizeof(end));
	objs = json_array();
	if (objs == NULL)
		goto out;
	for (size_t i = 0; i < rec->object_count && i < BACKUP_OBJECTS_MAX; i++)
		if (json_array_append_new(objs, json_string(rec->objects[i])) !=
		    0)
			goto out;
	o = json_pack("{s:i, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:i, s:s?, "
		      "s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:O, s:I, s:I}",
	    "version", 1, "kind", rec->kind, "host", rec->host, "start",
	    (json_int_t)rec->start, "end", (json_int_t)rec->end, "start_utc",
	    start, "end_utc", end, "ok", rec->ok, "exit_status",
	    rec->exit_status, "failed_step",
	    rec->failed_step[0] != '\0' ? rec->failed_step : NULL, "error",
	    rec->error, "stderr_tail", rec->stderr_tail, "bytes",
	    (json_int_t)rec->bytes, "files", (json_int_t)rec->files,
	    "sql_bytes", (json_int_t)rec->sql_bytes, "parts",
	    (json_int_t)rec->parts, "sha256", rec->sha256, "objects", objs,
	    "last_success", (json_int_t)rec->last_success, "last_success_bytes",
	    (json_int_t)rec->last_success_bytes);
	if (o == NULL)
		goto out;
	text = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	json_decref(objs);
	return text;
}

/* Copy a string member; absent or null gives ""; another type fails. */
static int
get_str(json_t *o, const char *key, char *buf, size_t size, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(o, key);

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: not a string", key);
		return -1;
	}
	str_copy(buf, json_string_value(v), size);
	return 0;
}

static int
get_int(json_t *o, const char *key, long long *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "%s: not an integer", key);
		return -1;
	}
	*out = (long long)json_integer_value(v);
	return 0;
}

int
backup_record_parse(const char *text, size_t len, struct backup_record *rec,
    char *err, size_t errlen)
{
	json_t *o = NULL, *v;
	json_error_t je;
	long long n;
	int rc = -1;

	memset(rec, 0, sizeof(*rec));
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(
		    err, errlen, "not JSON: %s (line %d)", je.text, je.line);
		goto out;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (get_str(o, "kind", rec->kind, sizeof(rec->kind), err, errlen) ||
	    get_str(o, "host", rec->host, sizeof(rec->host), err, errlen) ||
	    get_str(o, "failed_step", rec->failed_step,
		sizeof(rec->failed_step), err, errlen) ||
	    get_str(o, "error", rec->error, sizeof(rec->error), err, errlen) ||
	    get_str(o, "stderr_tail", rec->stderr_tail,
		sizeof(rec->stderr_tail), err, errlen) ||
	    get_str(
		o, "sha256", rec->sha256, sizeof(rec->sha256), err, errlen) ||
	    get_int(o, "start", &rec->start, err, errlen) ||
	    get_int(o, "end", &rec->end, err, errlen) ||
	    get_int(o, "bytes", &rec->bytes, err, errlen) ||
	    get_int(o, "files", &rec->files, err, errlen) ||
	    get_int(o, "sql_bytes", &rec->sql_bytes, err, errlen) ||
	    get_int(o, "parts", &rec->parts, err, errlen) ||
	    get_int(o, "last_success", &rec->last_success, err, errlen) ||
	    get_int(o, "last_success_bytes", &rec->last_success_bytes, err,
		errlen) ||
	    get_int(o, "exit_status", &n, err, errlen))
		goto out;
	if (n < 0 || n > 255) {
		snprintf(err, errlen, "exit_status: %lld out of range", n);
		goto out;
	}
	rec->exit_status = (int)n;
	v = json_object_get(o, "ok");
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "ok: missing or not a boolean");
		goto out;
	}
	rec->ok = json_is_true(v);
	v = json_object_get(o, "objects");
	if (v != NULL && !json_is_null(v)) {
		size_t i;
		json_t *item;

		if (!json_is_array(v)) {
			snprintf(err, errlen, "objects: not an array");
			goto out;
		}
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item)) {
				snprintf(err, errlen,
				    "objects[%zu]: not a string", i);
				goto out;
			}
			if (rec->object_count < BACKUP_OBJECTS_MAX)
				str_copy(rec->objects[rec->object_count++],
				    json_string_value(item),
				    sizeof(rec->objects[0]));
		}
	}
	if (strcmp(rec->kind, "run") != 0 && strcmp(rec->kind, "verify") != 0) {
		snprintf(err, errlen, "kind: not \"run\" or \"verify\"");
		goto out;
	}
	if (rec->start < 0 || rec->end < 0 || rec->bytes < 0 ||
	    rec->files < 0 || rec->last_success < 0) {
		snprintf(err, errlen, "negative time or size");
		goto out;
	}
	if (!rec->ok && rec->failed_step[0] == '\0')
		str_copy(rec->failed_step, "unknown", sizeof(rec->failed_step));
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int
backup_record_write(
    const char *path, const struct backup_record *rec, char *err, size_t errlen)
{
	char *text = backup_record_format(rec);
	int rc;

	if (text == NULL) {
		snprintf(err, errlen, "cannot format the record");
		return -1;
	}
	rc = file_write_atomic(path, text, strlen(text), 0644, err, errlen);
	/* Readable whatever the umask (a run sets 077): the backup probe
	 * reads it, also in a collector that dropped root.  It holds no
	 * secret. */
	if (rc == 0)
		(void)chmod(path, 0644);
	free(text);
	return rc;
}

int
backup_record_read(
    const char *path, struct backup_record *rec, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (file_read_capped(path, BACKUP_RECORD_CAP, &text, &len) != 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	rc = backup_record_parse(text, len, rec, err, errlen);
	free(text);
	return rc;
}
