/*
 * The alert spool: STATE_DIR/spool holds one complete RFC 5322 mail per
 * file, NAME.eml, written with file_write_atomic (temp + fsync + rename),
 * and beside it an optional NAME.meta with the delivery bookkeeping:
 *
 *   attempts N
 *   next-try EPOCH
 *   error TEXT            (last failure, one line)
 *   rcpt ADDR             (repeated: recipients still pending)
 *
 * Without a meta file every address of the To: header is pending and the
 * mail is due now.  Names start with a zero-padded time and a sequence, so
 * sorting them gives the oldest first.  A mail is deleted only once every
 * recipient was accepted or refused for good; a crash between the
 * server's acceptance and the delete sends it once more (the only case of
 * a duplicate).
 */
#ifndef OSEMON_SPOOL_H
#define OSEMON_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "smtp.h"

#define SPOOL_NAME_MAX 96
#define SPOOL_MAIL_MAX (1u << 20) /* bigger files are not ours */
#define SPOOL_META_MAX 32768

struct spool_meta {
	unsigned attempts;
	time_t next_try;
	char error[256];
	char rcpts[SMTP_RCPTS_MAX][SMTP_ADDR_MAX];
	size_t nrcpts;
	bool has_rcpts; /* a rcpt line was present */
};

/* Write a new spool file; its name (without folder) goes into name. */
int spool_write(const char *dir, const char *data, size_t len, char *name,
    size_t namesize, char *err, size_t errlen);
/* Sorted NAME.eml names, oldest first; *names is malloc'd (free each and
 * the array).  Returns the count, or -1 when dir cannot be read. */
long spool_list(const char *dir, char ***names);
void spool_names_free(char **names, long n);
/* Delete NAME.eml and NAME.meta. */
void spool_remove(const char *dir, const char *name);
/* Keep the newest max files; returns how many oldest were dropped. */
unsigned long spool_enforce_limit(const char *dir, long max);

/* Remove temp files (PREFIX*.tmp.PID) older than max_age seconds that a
 * writer killed mid-write left behind; returns how many. */
unsigned long spool_clean_temp(
    const char *dir, const char *prefix, time_t now, long max_age);

/* Parse a meta text (bounded, fuzzed).  Unknown lines are ignored;
 * returns -1 on a malformed known line. */
int spool_meta_parse(const char *text, size_t len, struct spool_meta *m);
/* Read NAME.meta; a missing file gives a zeroed meta and 0. */
int spool_meta_read(const char *dir, const char *name, struct spool_meta *m);
int spool_meta_write(
    const char *dir, const char *name, const struct spool_meta *m);

/*
 * The envelope recipients from a mail's To: and Cc: headers (folded lines
 * joined, "Name <a@b>" and bare "a@b" forms, comma lists).  Returns how
 * many were stored in rcpts (at most max), -1 when the header block is
 * malformed (no blank line, no recipient).  Bounded and fuzzed.
 */
int spool_rcpts_from_mail(
    const char *data, size_t len, char rcpts[][SMTP_ADDR_MAX], size_t max);

/* Backoff after `attempts` failures: min * 2^(attempts-1), capped. */
long spool_backoff(unsigned attempts, long min, long max);

#endif
