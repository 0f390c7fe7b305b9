/*
 * The INI model.  inih splits "key = value" lines and strips comments;
 * the reader we hand it sees every raw line first, so it counts lines,
 * opens sections and reports syntax errors with their line numbers itself
 * (Debian's libinih is not built with INI_HANDLER_LINENO).  Leading blanks
 * are stripped before inih sees a line, so an indented key is a key and
 * never a continuation of the previous value.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "util.h"

static const char *const section_types[] = {
	"global",
	"smtp",
	"b2",
	"backup",
	"nagios",
	"check",
	NULL,
};

void
cfg_errors_init(struct cfg_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void
cfg_errors_free(struct cfg_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->count; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	free(errs->lines);
	memset(errs, 0, sizeof(*errs));
}

void
cfg_errors_add(
    struct cfg_errors *errs, const char *file, int line, const char *fmt, ...)
{
	char msg[CFG_ERROR_LEN];
	size_t len = 0;
	char *copy = NULL;
	va_list ap;

	if (errs == NULL)
		return;
	if (errs->msgs == NULL) {
		errs->msgs = calloc(CFG_ERRORS_MAX, sizeof(*errs->msgs));
		errs->lines = calloc(CFG_ERRORS_MAX, sizeof(*errs->lines));
		if (errs->msgs == NULL || errs->lines == NULL) {
			free(errs->msgs);
			free(errs->lines);
			errs->msgs = NULL;
			errs->lines = NULL;
			errs->dropped++;
			return;
		}
	}
	if (errs->count >= CFG_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	if (line > 0)
		str_appendf(msg, sizeof(msg), &len, "%s:%d: ", file, line);
	else
		str_appendf(msg, sizeof(msg), &len, "%s: ", file);
	va_start(ap, fmt);
	if (len < sizeof(msg))
		vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
	va_end(ap);
	copy = strdup(msg);
	if (copy == NULL) {
		errs->dropped++;
		return;
	}
	errs->lines[errs->count] = line < 0 ? 0 : line;
	errs->msgs[errs->count++] = copy;
}

size_t
cfg_errors_print(const struct cfg_errors *errs, FILE *fp)
{
	int last = -1;

	/* Few messages: a selection of the next line each round keeps
	 * the order stable without copying. */
	for (size_t done = 0; done < errs->count;) {
		int next = -1;

		for (size_t i = 0; i < errs->count; i++)
			if (errs->lines[i] > last &&
			    (next < 0 || errs->lines[i] < next))
				next = errs->lines[i];
		for (size_t i = 0; i < errs->count; i++)
			if (errs->lines[i] == next) {
				fprintf(fp, "%s\n", errs->msgs[i]);
				done++;
			}
		last = next;
	}
	if (errs->dropped > 0)
		fprintf(fp, "... and %zu more errors\n", errs->dropped);
	return errs->count;
}

size_t
cfg_errors_total(const struct cfg_errors *errs)
{
	return errs->count + errs->dropped;
}

/* Parser state shared by the reader and the handler. */
struct cfg_parse {
	struct cfg *cfg;
	struct cfg_errors *errs;
	const char *name;
	/* input: a FILE or a string */
	FILE *fp;
	const char *text;
	size_t text_pos;
	int line;
	bool in_section; /* false before the first header and after a
				 * bad one: keys there are skipped */
	bool reported_outside;
	bool seen_header;
	bool oom;
	char *raw; /* current raw line, getline buffer */
	size_t raw_cap;
};

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static bool
valid_check_name(const char *s)
{
	if (*s == '\0' || *s == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

static bool
known_type(const char *t)
{
	for (size_t i = 0; section_types[i]; i++)
		if (strcmp(section_types[i], t) == 0)
			return true;
	return false;
}

void
cfg_section_title(const struct cfg_section *sec, char *buf, size_t size)
{
	if (sec->label)
		snprintf(buf, size, "[%s %s]", sec->type, sec->label);
	else
		snprintf(buf, size, "[%s]", sec->type);
}

static const struct cfg_section *
find_section(const struct cfg *cfg, const char *type, const char *label)
{
	for (size_t i = 0; i < cfg->count; i++) {
		const struct cfg_section *s = &cfg->sections[i];

		if (strcmp(s->type, type) != 0)
			continue;
		if (label == NULL && s->label == NULL)
			return s;
		if (label && s->label && strcmp(label, s->label) == 0)
			return s;
	}
	return NULL;
}

/* "[ type label ]" already stripped of leading blanks. */
static void
open_section(struct cfg_parse *p, const char *line)
{
	const char *end = strchr(line, ']');
	const char *in, *tend, *lab;
	char *type = NULL, *label = NULL;
	struct cfg_section *grown = NULL;
	const struct cfg_section *dup;
	const char *t;

	p->in_section = false;
	if (end == NULL) {
		cfg_errors_add(
		    p->errs, p->name, p->line, "section header without ']'");
		return;
	}
	for (t = end + 1; *t; t++)
		if (!isspace((unsigned char)*t)) {
			if (*t == ';' || *t == '#')
				break;
			cfg_errors_add(p->errs, p->name, p->line,
			    "text after section header");
			return;
		}
	in = line + 1;
	while (in < end && isspace((unsigned char)*in))
		in++;
	tend = in;
	while (tend < end && !isspace((unsigned char)*tend))
		tend++;
	lab = tend;
	while (lab < end && isspace((unsigned char)*lab))
		lab++;
	type = xstrndup(in, (size_t)(tend - in));
	if (type == NULL)
		goto oom;
	if (lab < end) {
		const char *lend = end;

		while (lend > lab && isspace((unsigned char)lend[-1]))
			lend--;
		label = xstrndup(lab, (size_t)(lend - lab));
		if (label == NULL)
			goto oom;
	}
	if (*type == '\0') {
		cfg_errors_add(
		    p->errs, p->name, p->line, "empty section header");
		goto out;
	}
	if (!known_type(type)) {
		cfg_errors_add(
		    p->errs, p->name, p->line, "unknown section [%s]", type);
		goto out;
	}
	if (strcmp(type, "check") == 0) {
		if (label == NULL) {
			cfg_errors_add(p->errs, p->name, p->line,
			    "[check] needs a name: [check NAME]");
			goto out;
		}
		if (strlen(label) > 100 || !valid_check_name(label)) {
			cfg_errors_add(p->errs, p->name, p->line,
			    "bad check name '%s' (letters, digits, '_', '-', "
			    "'.', at most 100)",
			    label);
			goto out;
		}
	} else if (label != NULL) {
		cfg_errors_add(
		    p->errs, p->name, p->line, "[%s] takes no name", type);
		goto out;
	}
	dup = find_section(p->cfg, type, label);
	if (dup != NULL) {
		char title[160];

		cfg_section_title(dup, title, sizeof(title));
		cfg_errors_add(p->errs, p->name, p->line,
		    "duplicate section %s (first at line %d)", title,
		    dup->line);
		goto out;
	}
	grown = realloc(p->cfg->sections, (p->cfg->count + 1) * sizeof(*grown));
	if (grown == NULL)
		goto oom;
	p->cfg->sections = grown;
	grown = &p->cfg->sections[p->cfg->count++];
	memset(grown, 0, sizeof(*grown));
	grown->type = type;
	grown->label = label;
	grown->line = p->line;
	type = NULL;
	label = NULL;
	p->in_section = true;
	goto out;
oom:
	p->oom = true;
out:
	free(type);
	free(label);
}

/* Checks one raw line (blanks stripped); returns false to hide it from
 * inih (it was a header, or bad). */
static bool
inspect_line(struct cfg_parse *p, const char *s)
{
	const char *eq;

	if (*s == '\0' || *s == ';' || *s == '#')
		return true;
	if (*s == '[') {
		p->seen_header = true;
		open_section(p, s);
		return false;
	}
	eq = strpbrk(s, "=:");
	if (eq == NULL || eq == s) {
		cfg_errors_add(p->errs, p->name, p->line,
		    eq == NULL
			? "expected 'key = value', '[section]' or a comment"
			: "missing key before '='");
		return false;
	}
	if (!p->in_section) {
		if (!p->seen_header && !p->reported_outside) {
			p->reported_outside = true;
			cfg_errors_add(
			    p->errs, p->name, p->line, "key outside a section");
		}
		return false;
	}
	return true;
}

/* Next raw line into p->raw; returns its length or -1 at the end. */
static ssize_t
next_raw(struct cfg_parse *p)
{
	if (p->fp != NULL)
		return getline(&p->raw, &p->raw_cap, p->fp);
	if (p->text[p->text_pos] == '\0')
		return -1;
	{
		const char *start = p->text + p->text_pos;
		const char *nl = strchr(start, '\n');
		size_t n = nl ? (size_t)(nl - start) + 1 : strlen(start);

		if (n + 1 > p->raw_cap) {
			char *grown = realloc(p->raw, n + 1);

			if (grown == NULL)
				return -1;
			p->raw = grown;
			p->raw_cap = n + 1;
		}
		memcpy(p->raw, start, n);
		p->raw[n] = '\0';
		p->text_pos += n;
		return (ssize_t)n;
	}
}

static char *
cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;
	ssize_t n;
	char *s;
	size_t len;

	n = next_raw(p);
	if (n < 0)
		return NULL;
	p->line++;
	s = p->raw;
	len = (size_t)n;
	if (memchr(s, '\0', len) != NULL) {
		cfg_errors_add(p->errs, p->name, p->line, "NUL byte in line");
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	/* A UTF-8 byte order mark on the first line. */
	if (p->line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (len >= CFG_LINE_MAX || num < 2 || len + 2 > (size_t)num) {
		cfg_errors_add(p->errs, p->name, p->line,
		    "line longer than %d characters",
		    num - 2 < CFG_LINE_MAX - 1 ? num - 2 : CFG_LINE_MAX - 1);
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	if (!inspect_line(p, s)) {
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int
cfg_handler(
    void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parse *p = user;
	struct cfg_section *sec;
	struct cfg_entry *grown;
	char *k = NULL, *v = NULL;

	(void)section;
	if (!p->in_section || p->cfg->count == 0 || name == NULL)
		return 1;
	sec = &p->cfg->sections[p->cfg->count - 1];
	k = strdup(name);
	v = strdup(value ? value : "");
	grown = realloc(sec->entries, (sec->count + 1) * sizeof(*grown));
	if (k == NULL || v == NULL || grown == NULL) {
		free(k);
		free(v);
		if (grown != NULL)
			sec->entries = grown;
		p->oom = true;
		return 1;
	}
	sec->entries = grown;
	sec->entries[sec->count].key = k;
	sec->entries[sec->count].value = v;
	sec->entries[sec->count].line = p->line;
	sec->count++;
	return 1;
}

static int
cfg_parse_run(struct cfg_parse *p)
{
	size_t before = cfg_errors_total(p->errs);

	/* inih's own errors (a line it cannot split) are already ours:
	 * inspect_line hides every such line from it. */
	(void)ini_parse_stream(cfg_reader, p, cfg_handler, p);
	free(p->raw);
	p->raw = NULL;
	if (p->oom)
		cfg_errors_add(p->errs, p->name, 0, "out of memory");
	return cfg_errors_total(p->errs) > before ? -1 : 0;
}

static struct cfg *
cfg_new(const char *name, const char *dir)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	cfg->name = strdup(name);
	cfg->dir = strdup(dir);
	if (cfg->name == NULL || cfg->dir == NULL) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

int
cfg_load_file(const char *path, struct cfg **out, struct cfg_errors *errs)
{
	struct cfg_parse p;
	struct cfg *cfg = NULL;
	char dir[PATH_MAX];
	const char *slash;
	int rc = -1;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	slash = strrchr(path, '/');
	if (slash == NULL) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			str_copy(dir, ".", sizeof(dir));
	} else if (slash == path) {
		str_copy(dir, "/", sizeof(dir));
	} else if (path[0] == '/') {
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir))
			n = sizeof(dir) - 1;
		memcpy(dir, path, n);
		dir[n] = '\0';
	} else {
		char cwd[PATH_MAX];
		size_t len = 0;

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			str_copy(cwd, ".", sizeof(cwd));
		str_appendf(dir, sizeof(dir), &len, "%s/%.*s", cwd,
		    (int)(slash - path), path);
	}
	p.fp = fopen(path, "r");
	if (p.fp == NULL) {
		cfg_errors_add(
		    errs, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	cfg = cfg_new(path, dir);
	if (cfg == NULL) {
		cfg_errors_add(errs, path, 0, "out of memory");
		goto out;
	}
	p.cfg = cfg;
	p.errs = errs;
	p.name = path;
	rc = cfg_parse_run(&p);
	if (ferror(p.fp)) {
		cfg_errors_add(errs, path, 0, "read error");
		rc = -1;
	}
	*out = cfg;
	cfg = NULL;
out:
	fclose(p.fp);
	cfg_free(cfg);
	return rc;
}

int
cfg_load_string(const char *text, const char *name, struct cfg **out,
    struct cfg_errors *errs)
{
	struct cfg_parse p;
	char dir[PATH_MAX];

	*out = NULL;
	memset(&p, 0, sizeof(p));
	if (getcwd(dir, sizeof(dir)) == NULL)
		str_copy(dir, ".", sizeof(dir));
	p.cfg = cfg_new(name, dir);
	if (p.cfg == NULL) {
		cfg_errors_add(errs, name, 0, "out of memory");
		return -1;
	}
	p.text = text;
	p.errs = errs;
	p.name = name;
	*out = p.cfg;
	return cfg_parse_run(&p);
}

void
cfg_free(struct cfg *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->count; i++) {
		struct cfg_section *s = &cfg->sections[i];

		for (size_t j = 0; j < s->count; j++) {
			free(s->entries[j].key);
			free(s->entries[j].value);
		}
		free(s->entries);
		free(s->type);
		free(s->label);
	}
	free(cfg->sections);
	free(cfg->name);
	free(cfg->dir);
	free(cfg);
}

const struct cfg_section *
cfg_find(const struct cfg *cfg, const char *type, const char *label)
{
	if (cfg == NULL)
		return NULL;
	return find_section(cfg, type, label);
}

const char *
cfg_value(const struct cfg_section *sec, const char *key)
{
	const char *v = NULL;

	if (sec == NULL)
		return NULL;
	for (size_t i = 0; i < sec->count; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			v = sec->entries[i].value;
	return v;
}

int
cfg_path(const struct cfg *cfg, const char *value, char *buf, size_t size)
{
	int n;

	if (value[0] == '/' || cfg == NULL || cfg->dir == NULL)
		n = snprintf(buf, size, "%s", value);
	else if (strcmp(cfg->dir, "/") == 0)
		n = snprintf(buf, size, "/%s", value);
	else
		n = snprintf(buf, size, "%s/%s", cfg->dir, value);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* args_set writes "--NAME: cause"; an INI user wrote "NAME =". */
static const char *
strip_option_prefix(const char *msg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(msg, "--", 2) == 0 && strncmp(msg + 2, name, n) == 0 &&
	    strncmp(msg + 2 + n, ": ", 2) == 0)
		return msg + 4 + n;
	return msg;
}

int
cfg_section_pick(const struct cfg_section *sec, const struct option_spec *specs,
    struct args *out, const char *file, struct cfg_errors *errs)
{
	char err[ARGS_ERROR_MAX];
	int rc = 0;

	args_init(out, specs);
	for (size_t i = 0; i < sec->count; i++) {
		const struct cfg_entry *e = &sec->entries[i];
		const struct option_spec *spec = args_spec(specs, e->key);

		if (spec == NULL)
			continue;
		err[0] = '\0';
		if (spec->type == OPT_FLAG && e->value[0] == '\0') {
			cfg_errors_add(
			    errs, file, e->line, "%s: needs yes or no", e->key);
			rc = -1;
			continue;
		}
		if (args_set(out, spec, e->value, err, sizeof(err)) != 0) {
			cfg_errors_add(errs, file, e->line, "%s: %s", e->key,
			    strip_option_prefix(err, spec->name));
			rc = -1;
		}
	}
	return rc;
}

int
cfg_section_unknown(const struct cfg_section *sec,
    const struct option_spec *const *tables, size_t n, const char *file,
    struct cfg_errors *errs)
{
	char title[160];
	int rc = 0;

	cfg_section_title(sec, title, sizeof(title));
	for (size_t i = 0; i < sec->count; i++) {
		const struct cfg_entry *e = &sec->entries[i];
		bool known = false;

		for (size_t t = 0; t < n && !known; t++)
			known = tables[t] != NULL &&
			    args_spec(tables[t], e->key) != NULL;
		if (!known) {
			cfg_errors_add(errs, file, e->line,
			    "unknown key '%s' in %s", e->key, title);
			rc = -1;
		}
	}
	return rc;
}

int
cfg_section_to_args(const struct cfg_section *sec,
    const struct option_spec *specs, struct args *out, const char *file,
    struct cfg_errors *errs)
{
	const struct option_spec *const tables[] = { specs };
	int rc = 0;

	if (cfg_section_unknown(sec, tables, 1, file, errs) != 0)
		rc = -1;
	if (cfg_section_pick(sec, specs, out, file, errs) != 0)
		rc = -1;
	return rc;
}
