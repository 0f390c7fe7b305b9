/*
 * Passive check results to a Nagios command file (see passive.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

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
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

/*
 * Whether the command file is failing, so that a dead Nagios is logged
 * once and not once per result.  The collector's main thread is the only
 * caller.
 */
static struct {
	bool failing;
	unsigned long dropped;
} passive_health;

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
	n = snprintf(buf, size, "[%lld] PROCESS_SERVICE_CHECK_RESULT;",
	    (long long)when);
	if (n < 0 || (size_t)n >= size)
		return -1;
	len = (size_t)n;
	if (!append_text(buf, size, &len, host, true) ||
	    !append_text(buf, size, &len, ";", false) ||
	    !append_text(buf, size, &len, service, true))
		return -1;
	n = snprintf(head, sizeof(head), ";%d;", (int)res->state);
	if (!append_text(buf, size, &len, head, false))
		return -1;
	/* "DISK OK: message", the plugin face's first line. */
	for (n = 0; probe != NULL && probe->name[n] != '\0' &&
	    (size_t)n < sizeof(head) - 1; n++)
		head[n] = (char)(probe->name[n] >= 'a' && probe->name[n] <= 'z' ?
		    probe->name[n] - 'a' + 'A' : probe->name[n]);
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
	passive_health.dropped++;
	if (passive_health.failing)
		return;
	passive_health.failing = true;
	collector_log(LOG_WARNING, "nagios: cannot write results to %s: %s "
	    "(results are dropped until it works; not logged again)", path,
	    cause);
}

void
passive_check_result(const struct collector_conf *conf,
    const struct check *c, time_t now)
{
	const struct cfg_section *sec;
	const char *file, *host;
	char path[PATH_MAX];
	char *line = NULL;
	int fd = -1, len;
	ssize_t n;

	if (conf == NULL || conf->cfg == NULL || c == NULL ||
	    c->result == NULL)
		return;
	sec = cfg_find(conf->cfg, "nagios", NULL);
	file = cfg_value(sec, "command-file");
	if (file == NULL || *file == '\0')
		return;
	host = cfg_value(sec, "host-name");
	if (host == NULL || *host == '\0')
		host = conf->hostname;
	if (cfg_path(conf->cfg, file, path, sizeof(path)) != 0) {
		passive_failed(file, "path too long");
		return;
	}
	line = malloc(PASSIVE_LINE_MAX);
	if (line == NULL) {
		passive_failed(path, "out of memory");
		goto out;
	}
	len = passive_format(line, PASSIVE_LINE_MAX, now, host, c->name,
	    c->probe, c->result);
	if (len < 0) {
		passive_failed(path, "host or check name too long");
		goto out;
	}
	/* No O_CREAT: Nagios makes the FIFO; a missing one is an error. */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_APPEND | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0) {
		passive_failed(path, errno == ENXIO ? "nobody reads the FIFO "
		    "(is Nagios running?)" : strerror(errno));
		goto out;
	}
	/* At most PIPE_BUF bytes: all or nothing on a FIFO. */
	n = write(fd, line, (size_t)len);
	if (n < 0) {
		passive_failed(path, errno == EAGAIN ? "the pipe is full "
		    "(Nagios is not reading)" : strerror(errno));
		goto out;
	}
	if (n != len) {
		passive_failed(path, "short write");
		goto out;
	}
	if (passive_health.failing)
		collector_log(LOG_NOTICE, "nagios: writing results to %s again "
		    "(%lu dropped)", path, passive_health.dropped);
	passive_health.failing = false;
	passive_health.dropped = 0;
out:
	if (fd >= 0)
		close(fd);
	free(line);
}
