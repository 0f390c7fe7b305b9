/*
 * Passive check results for a central Nagios / Naemon / Icinga (classic
 * command pipe).  With "[nagios] command-file = PATH" the collector writes
 * one external command per result:
 *
 *   [TIMESTAMP] PROCESS_SERVICE_CHECK_RESULT;HOST;SERVICE;CODE;OUTPUT|PERFDATA
 *
 * SERVICE is the check's name, CODE the result's state (0-3; Nagios does
 * its own soft/hard logic), OUTPUT|PERFDATA the plugin face's text with
 * long output lines joined by a literal "\n".  A line is at most
 * PASSIVE_LINE_MAX bytes so that one write() to a FIFO is atomic.
 *
 * The file is opened O_WRONLY|O_NONBLOCK|O_APPEND for every result: a
 * missing FIFO, a FIFO nobody reads and a full pipe drop the result and
 * never block the collector.  The first failure is logged, further ones
 * only counted, until a write succeeds again (logged too); a failure within
 * a minute of the last one logged is only counted.
 *
 * With "[nagios] icinga-url = https://HOST:5665" every result is also
 * POSTed to Icinga 2's /v1/actions/process-check-result (JSON: type
 * Service, filter on host and service name, exit_status, plugin_output
 * with the long output, performance_data, check_source, ttl) by one
 * sender thread: results wait in a bounded queue (oldest dropped when
 * full), TLS is verified (icinga-ca-file for Icinga's own CA), the API
 * user's password comes from icinga-password-file (secret_read).  Failures
 * are logged once like the command file's.
 */
#ifndef OSEMON_PASSIVE_H
#define OSEMON_PASSIVE_H

#include <stddef.h>
#include <time.h>

#include "args.h"
#include "collector.h"
#include "probe.h"

#define PASSIVE_LINE_MAX 4096 /* PIPE_BUF on Linux */

struct collector_conf;

/* The [nagios] section's keys (config check validates them). */
extern const struct option_spec passive_nagios_options[];

/*
 * Format the external command for one result into buf (NUL-terminated,
 * newline-terminated).  Characters that would end the line (CR, LF) are
 * escaped; when the text does not fit the long output is dropped first,
 * then the perfdata items that do not fit.  Returns the length, or -1 when
 * size is too small for even the command's fixed fields.
 */
int passive_format(char *buf, size_t size, time_t when, const char *host,
    const char *service, const struct probe *probe,
    const struct probe_result *res);

/*
 * Send c's last result to the command file of conf's [nagios] section, if
 * any.  Never blocks and never fails the caller.  Main thread only.
 */
void passive_check_result(
    const struct collector_conf *conf, const struct check *c, time_t now);

/*
 * The Icinga 2 request body for one result (caller frees), or NULL.
 * ttl <= 0 leaves ttl out.  Pure; the unit tests call it.
 */
char *passive_icinga_body(const char *host, const char *service,
    const char *source, const struct probe *probe,
    const struct probe_result *res, long ttl);

/*
 * Judge Icinga's answer (text, at most a few KiB, any bytes) to one POST
 * with HTTP status http: err gets "" when the result was accepted, else
 * the cause in Icinga's own words ("status" of the first result or of the
 * answer).  The fuzz target calls it.
 */
void passive_icinga_answer(
    const char *text, long http, char *err, size_t errlen);

/*
 * Stop the Icinga sender: wait up to PASSIVE_FLUSH_SECONDS for queued
 * results to go out, then drop the rest.  The collector calls it before
 * it exits (a no-op when no sender was started).
 */
#define PASSIVE_FLUSH_SECONDS 5
void passive_stop(void);

#endif
