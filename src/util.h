/* Small helpers every module uses: clocks, bounded strings, files. */
#ifndef OSEMON_UTIL_H
#define OSEMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OSEMON_VERSION "0.1.0"

/* Seconds on CLOCK_MONOTONIC, for deadlines. */
double clock_monotonic_now(void);
/* Seconds left until deadline (may be <= 0). */
double deadline_left(double deadline);

/* Copy with truncation; always NUL-terminates.  Returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);
/* Bounded vsnprintf-append at *len; never overflows, keeps NUL. */
void str_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Strict decimal parsers: whole string, no junk, C locale, range checked. */
int parse_double(const char *s, double *out);
int parse_long(const char *s, long min, long max, long *out);
/* Format a double in the C locale with up to 6 significant decimals,
 * no trailing zeros ("0.5", "12", "1e+20"). */
void format_number(char *buf, size_t size, double v);
/* "12.5 GiB": bytes in binary units, one decimal above plain bytes. */
void format_bytes(char *buf, size_t size, double bytes);

/*
 * Read a secret (password, key, passphrase) from path.  Refuses a file
 * that is group/world readable or not owned by the running user, and
 * strips one trailing newline; refuses CR.  Errors never contain the
 * secret.  Returns 0 or -1 with err filled.
 */
int secret_read(
    const char *path, char *buf, size_t size, char *err, size_t errlen);
/* Check only the permissions/owner rule of secret_read. */
int secret_check_mode(const char *path, char *err, size_t errlen);

/* Write data to path via path.tmp.PID + fsync + rename + fsync(dir). */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen);
/* The same without the fsyncs, for output that is regenerated anyway (the
 * status page): readers never see a partial file, a crash may lose it. */
int file_write_replace(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen);
/* Read a whole file, at most cap bytes; *out is malloc'd and NUL-ended. */
int file_read_capped(const char *path, size_t cap, char **out, size_t *len);
/* The same from an open descriptor, read from offset 0 (a /proc file is
 * generated anew): *fdp < 0 opens path first and keeps it open, since the
 * open is most of the cost of reading /proc/meminfo. */
int file_reread_capped(
    const char *path, int *fdp, size_t cap, char **out, size_t *len);
/* mkdir -p with mode. */
int mkdir_p(const char *path, mode_t mode);

/*
 * Run fn(arg) in a detached thread and wait until it finishes or the
 * deadline passes.  On time-out the thread is abandoned (a hung statfs on
 * a dead NFS mount cannot be interrupted), so arg must stay valid: the
 * call copies arg_size bytes in and out, and frees its copy when the
 * thread eventually returns.  Returns 0 when fn ran, -1 on time-out or
 * thread failure.
 */
int call_with_deadline(
    void (*fn)(void *arg), void *arg, size_t arg_size, double deadline);

#endif
