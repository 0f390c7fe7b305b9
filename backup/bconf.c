/*
 * The [backup] section (and the [b2] keys the backup uses): one option
 * table serves the runner, `osemon config check` and docs/backup.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "b2.h"
#include "backup.h"
#include "privdrop.h"
#include "util.h"

const struct option_spec backup_options[] = {
	{ "hostname", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "host part of the object names (default: [global] hostname, "
	    "else this machine's name)" },
	{ "paths", 0, OPT_LIST, "PATH", NULL, 0, -1,
	    "absolute paths to archive (comma list; default /etc, /home, "
	    "/var/log, /root, /var/www)" },
	{ "exclude", 0, OPT_LIST, "PATTERN", NULL, 0, -1,
	    "absolute tar pattern to leave out, anchored at / (repeatable); "
	    "LOCAL_DIR/sync* is always left out" },
	{ "mysql-defaults-file", 0, OPT_STRING, "FILE", "", 0, -1,
	    "MariaDB/MySQL option file with the dump's credentials (mode "
	    "0600); empty: no database dump" },
	{ "mysqldump", 0, OPT_STRING, "PROGRAM", "mariadb-dump", 0, -1,
	    "the dump program" },
	{ "passphrase-file", 0, OPT_STRING, "FILE", NULL, 0, -1,
	    "gpg passphrase, first line (mode 0600, no CR; required)" },
	{ "local-dir", 0, OPT_STRING, "PATH", "/root/backups", 0, -1,
	    "folder holding sync/ (this run) and sync.old/ (the previous)" },
	{ "keep-local", 0, OPT_FLAG, NULL, "yes", 0, -1,
	    "keep the archive in sync/ (no: parts go to B2 from memory, "
	    "nothing kept)" },
	{ "log-file", 0, OPT_STRING, "FILE", NULL, 0, -1,
	    "the backup log, one line per step (default: "
	    "STATE_DIR/backup.log)" },
	{ "schedule", 0, OPT_STRING, "HH:MM", "07:20", 0, -1,
	    "daily start time (UTC) when the collector runs the backup" },
	{ "verify-schedule", 0, OPT_STRING, "DAY HH:MM", BACKUP_VERIFY_DEFAULT,
	    0, -1,
	    "when the collector runs `backup verify` (UTC): DAY HH:MM weekly "
	    "(DAY Mon..Sun), HH:MM daily, or off" },
	{ "timeout", 0, OPT_DOUBLE, "SECONDS", "21600", 1, 604800,
	    "deadline of one run; children are killed when it passes" },
	{ "grace", 0, OPT_DOUBLE, "SECONDS", "10800", 0, 604800,
	    "the backup probe is CRITICAL when no run succeeded within a "
	    "day plus this" },
	{ "part-size", 0, OPT_INT, "BYTES", "0", 0, 5e9,
	    "large-file part size (0: the server's recommendation; never "
	    "below its minimum)" },
	{ "keep-daily", 0, OPT_INT, "N", "0", 0, 100000,
	    "client-side pruning: keep the N newest daily_ backups of this "
	    "host (0: no pruning; lifecycle rules are the default)" },
	{ "keep-monthly", 0, OPT_INT, "N", "0", 0, 100000,
	    "client-side pruning: keep the M newest monthly_ backups" },
	{ "gpg", 0, OPT_STRING, "PROGRAM", "gpg", 0, -1, "the gpg program" },
	{ "tar", 0, OPT_STRING, "PROGRAM", "tar", 0, -1,
	    "the GNU tar program" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

const struct option_spec backup_b2_options[] = {
	{ "api-url", 0, OPT_STRING, "URL", B2_DEFAULT_API_URL, 0, -1,
	    "B2 authorize base URL" },
	{ "key-id", 0, OPT_STRING, "ID", NULL, 0, -1, "B2 application key ID" },
	{ "key-file", 0, OPT_STRING, "FILE", NULL, 0, -1,
	    "file holding the application key (mode 0600)" },
	{ "bucket", 0, OPT_STRING, "NAME", NULL, 0, -1,
	    "bucket receiving the backups" },
	{ "ca-file", 0, OPT_STRING, "FILE", NULL, 0, -1,
	    "CA bundle for B2's certificates (default: the system's)" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

static int
entry_line(const struct cfg_section *sec, const char *key)
{
	int line = sec != NULL ? sec->line : 0;

	for (size_t i = 0; sec != NULL && i < sec->count; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			line = sec->entries[i].line;
	return line;
}

int
backup_parse_schedule(const char *s, int *h, int *m, int *sec)
{
	long v[3] = { 0, 0, 0 };
	size_t n = 0;
	const char *p = s;

	while (n < 3) {
		char part[4];
		size_t len = 0;

		while (p[len] >= '0' && p[len] <= '9' && len < 3)
			len++;
		if (len != 2)
			return -1;
		memcpy(part, p, 2);
		part[2] = '\0';
		if (parse_long(part, 0, 59, &v[n]) != 0)
			return -1;
		n++;
		p += 2;
		if (*p == '\0')
			break;
		if (*p != ':')
			return -1;
		p++;
	}
	if (*p != '\0' || n < 2 || v[0] > 23)
		return -1;
	*h = (int)v[0];
	*m = (int)v[1];
	*sec = (int)v[2];
	return 0;
}

int
backup_parse_verify_schedule(const char *s, int *wday, int *h, int *m, int *sec)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
		"fri", "sat" };

	if (strcasecmp(s, "off") == 0)
		return 1;
	*wday = -1;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, days[i], 3) == 0 && s[3] == ' ') {
			*wday = i;
			s += 4;
			while (*s == ' ')
				s++;
			break;
		}
	return backup_parse_schedule(s, h, m, sec);
}

time_t
backup_next_weekly(time_t after, int wday, int h, int m, int sec)
{
	struct tm tm;
	time_t t;

	if (wday < 0)
		return backup_next_run(after, h, m, sec);
	gmtime_r(&after, &tm);
	t = after - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) +
	    ((wday - tm.tm_wday + 7) % 7) * 86400 + h * 3600 + m * 60 + sec;
	if (t <= after)
		t += 7 * 86400;
	return t;
}

time_t
backup_next_run(time_t after, int h, int m, int sec)
{
	struct tm tm;
	time_t day, t;

	gmtime_r(&after, &tm);
	day = after - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	t = day + h * 3600 + m * 60 + sec;
	if (t <= after)
		t += 86400;
	return t;
}

int
backup_object_base(const char *host, time_t when, char *buf, size_t size)
{
	struct tm tm;
	int n;

	gmtime_r(&when, &tm);
	n = snprintf(buf, size, "%s_%s_%04d%02d%02d_%02d%02d%02d",
	    tm.tm_mday == 1 ? "monthly" : "daily", host, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Permissions and no CR: gpg uses the first line as it is. */
static int
check_passphrase_file(const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	/* A collector that dropped root ([global] user) reloads this file
	 * as its user: only the root backup run reads the backup's secrets,
	 * and checks them itself (collector/privdrop.h). */
	if (privdrop_dropped())
		return 0;
	if (secret_check_mode(path, err, errlen) != 0)
		goto out;
	if (file_read_capped(path, 4096, &text, &len) != 0) {
		snprintf(
		    err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (memchr(text, '\r', len) != NULL) {
		snprintf(err, errlen,
		    "%s: has a CR (CRLF line end); gpg "
		    "would take it as part of the passphrase",
		    path);
		goto out;
	}
	if (len == 0 || text[0] == '\n') {
		snprintf(err, errlen, "%s: empty passphrase", path);
		goto out;
	}
	rc = 0;
out:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	return rc;
}

static bool
host_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Resolve and check everything; errors into errs. */
static void
resolve(struct backup_conf *bc, const struct cfg_section *bs,
    const struct cfg_section *b2s, struct cfg_errors *errs)
{
	const struct cfg *cfg = bc->cfg;
	const struct cfg_section *gs = cfg_find(cfg, "global", NULL);
	const char *v;
	char err[512];
	int rc;

	v = args_string(&bc->opt, "hostname");
	if (v == NULL || *v == '\0')
		v = cfg_value(gs, "hostname");
	if (v != NULL && *v != '\0')
		str_copy(bc->host, v, sizeof(bc->host));
	else if (gethostname(bc->host, sizeof(bc->host) - 1) != 0)
		str_copy(bc->host, "localhost", sizeof(bc->host));
	if (!host_name_ok(bc->host))
		cfg_errors_add(errs, cfg->name, entry_line(bs, "hostname"),
		    "hostname: '%s' may hold only letters, digits, '-' and "
		    "'.'",
		    bc->host);

	v = cfg_value(gs, "state-dir");
	if (cfg_path(cfg, v != NULL ? v : "state", bc->state_dir,
		sizeof(bc->state_dir)) != 0)
		cfg_errors_add(errs, cfg->name, 0, "state-dir: path too long");
	if (cfg_path(cfg, args_string(&bc->opt, "local-dir"), bc->local_dir,
		sizeof(bc->local_dir)) != 0)
		cfg_errors_add(errs, cfg->name, entry_line(bs, "local-dir"),
		    "local-dir: path too long");
	v = args_string(&bc->opt, "log-file");
	if (v != NULL && *v != '\0') {
		if (cfg_path(cfg, v, bc->log_file, sizeof(bc->log_file)) != 0)
			cfg_errors_add(errs, cfg->name,
			    entry_line(bs, "log-file"),
			    "log-file: path too long");
	} else if (snprintf(bc->log_file, sizeof(bc->log_file), "%s/backup.log",
		       bc->state_dir) >= (int)sizeof(bc->log_file)) {
		cfg_errors_add(errs, cfg->name, 0, "log-file: path too long");
	}

	for (size_t i = 0; i < args_list_count(&bc->opt, "paths"); i++) {
		v = args_list_item(&bc->opt, "paths", i);
		if (v[0] != '/' || strcmp(v, "/") == 0)
			cfg_errors_add(errs, cfg->name, entry_line(bs, "paths"),
			    "paths: '%s' is not an absolute path below /", v);
	}
	for (size_t i = 0; i < args_list_count(&bc->opt, "exclude"); i++) {
		v = args_list_item(&bc->opt, "exclude", i);
		if (v[0] != '/')
			cfg_errors_add(errs, cfg->name,
			    entry_line(bs, "exclude"),
			    "exclude: '%s' is not absolute (patterns are "
			    "anchored at /)",
			    v);
	}

	v = args_string(&bc->opt, "passphrase-file");
	if (v == NULL || *v == '\0') {
		cfg_errors_add(errs, cfg->name, bs->line,
		    "passphrase-file is required in [backup]");
	} else if (cfg_path(cfg, v, bc->passphrase_file,
		       sizeof(bc->passphrase_file)) != 0) {
		cfg_errors_add(errs, cfg->name,
		    entry_line(bs, "passphrase-file"),
		    "passphrase-file: path too long");
	} else if (check_passphrase_file(
		       bc->passphrase_file, err, sizeof(err)) != 0) {
		cfg_errors_add(errs, cfg->name,
		    entry_line(bs, "passphrase-file"), "passphrase-file: %s",
		    err);
	}
	v = args_string(&bc->opt, "mysql-defaults-file");
	if (v != NULL && *v != '\0') {
		if (cfg_path(cfg, v, bc->mysql_defaults,
			sizeof(bc->mysql_defaults)) != 0)
			cfg_errors_add(errs, cfg->name,
			    entry_line(bs, "mysql-defaults-file"),
			    "mysql-defaults-file: path too long");
		else if (!privdrop_dropped() &&
		    secret_check_mode(bc->mysql_defaults, err, sizeof(err)) !=
			0)
			cfg_errors_add(errs, cfg->name,
			    entry_line(bs, "mysql-defaults-file"),
			    "mysql-defaults-file: %s", err);
	}
	if (backup_parse_schedule(args_string(&bc->opt, "schedule"),
		&bc->sched_hour, &bc->sched_min, &bc->sched_sec) != 0)
		cfg_errors_add(errs, cfg->name, entry_line(bs, "schedule"),
		    "schedule: '%s' is not HH:MM or HH:MM:SS (UTC)",
		    args_string(&bc->opt, "schedule"));
	v = args_string(&bc->opt, "verify-schedule");
	rc = backup_parse_verify_schedule(v, &bc->verify_wday, &bc->verify_hour,
	    &bc->verify_min, &bc->verify_sec);
	if (rc < 0)
		cfg_errors_add(errs, cfg->name,
		    entry_line(bs, "verify-schedule"),
		    "verify-schedule: '%s' is not DAY HH:MM[:SS] (DAY "
		    "Mon..Sun), "
		    "HH:MM[:SS] or off (UTC)",
		    v);
	bc->verify_off = rc != 0;
	bc->timeout = args_double(&bc->opt, "timeout");
	bc->grace = args_double(&bc->opt, "grace");
	bc->part_size = args_int(&bc->opt, "part-size");
	if (bc->part_size != 0 && bc->part_size < 5000)
		cfg_errors_add(errs, cfg->name, entry_line(bs, "part-size"),
		    "part-size: %lld is below 5000 bytes", bc->part_size);

	if (b2s == NULL) {
		cfg_errors_add(errs, cfg->name, bs->line,
		    "[backup] needs a [b2] section (api-url, key-id, "
		    "key-file, bucket)");
		return;
	}
	if (args_string(&bc->b2, "key-id") == NULL)
		cfg_errors_add(
		    errs, cfg->name, b2s->line, "key-id is required in [b2]");
	if (args_string(&bc->b2, "bucket") == NULL)
		cfg_errors_add(
		    errs, cfg->name, b2s->line, "bucket is required in [b2]");
	v = args_string(&bc->b2, "key-file");
	if (v == NULL) {
		cfg_errors_add(
		    errs, cfg->name, b2s->line, "key-file is required in [b2]");
	} else if (cfg_path(cfg, v, bc->key_file, sizeof(bc->key_file)) != 0) {
		cfg_errors_add(errs, cfg->name, entry_line(b2s, "key-file"),
		    "key-file: path too long");
	} else if (!privdrop_dropped() &&
	    secret_check_mode(bc->key_file, err, sizeof(err)) != 0) {
		cfg_errors_add(errs, cfg->name, entry_line(b2s, "key-file"),
		    "key-file: %s", err);
	}
}

static int
validate(struct backup_conf *bc, struct cfg_errors *errs)
{
	const struct cfg_section *bs = cfg_find(bc->cfg, "backup", NULL);
	const struct cfg_section *b2s = cfg_find(bc->cfg, "b2", NULL);
	size_t before = cfg_errors_total(errs);

	args_init(&bc->opt, backup_options);
	args_init(&bc->b2, backup_b2_options);
	if (bs == NULL) {
		cfg_errors_add(errs, bc->cfg->name, 0, "no [backup] section");
		return -1;
	}
	(void)cfg_section_to_args(
	    bs, backup_options, &bc->opt, bc->cfg->name, errs);
	if (b2s != NULL) {
		/* [b2] is shared: other keys may belong to other readers. */
		(void)cfg_section_pick(
		    b2s, backup_b2_options, &bc->b2, bc->cfg->name, errs);
	}
	resolve(bc, bs, b2s, errs);
	return cfg_errors_total(errs) > before ? -1 : 0;
}

int
backup_conf_load(
    const char *path, struct backup_conf **out, struct cfg_errors *errs)
{
	struct backup_conf *bc = NULL;

	*out = NULL;
	bc = calloc(1, sizeof(*bc));
	if (bc == NULL)
		return -1;
	args_init(&bc->opt, backup_options);
	args_init(&bc->b2, backup_b2_options);
	if (realpath(path, bc->config_path) == NULL)
		str_copy(bc->config_path, path, sizeof(bc->config_path));
	if (cfg_load_file(path, &bc->cfg, errs) != 0 || bc->cfg == NULL)
		goto fail;
	args_free(&bc->opt);
	args_free(&bc->b2);
	if (validate(bc, errs) != 0)
		goto fail;
	*out = bc;
	return 0;
fail:
	backup_conf_free(bc);
	return -1;
}

void
backup_conf_free(struct backup_conf *bc)
{
	if (bc == NULL)
		return;
	args_free(&bc->opt);
	args_free(&bc->b2);
	cfg_free(bc->cfg);
	free(bc);
}

int
backup_config_check(const struct cfg *cfg, struct cfg_errors *errs)
{
	struct backup_conf bc;
	int rc;

	if (cfg == NULL || cfg_find(cfg, "backup", NULL) == NULL)
		return 0;
	memset(&bc, 0, sizeof(bc));
	bc.cfg = (struct cfg *)(uintptr_t)cfg;
	rc = validate(&bc, errs);
	args_free(&bc.opt);
	args_free(&bc.b2);
	return rc;
}
