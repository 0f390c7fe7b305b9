/*
 * mysql: a MariaDB/MySQL server through libmariadb.  Credentials come only
 * from an option file (--defaults-file, [client] group, like check_mysql
 * -f), which is refused when group/world readable.  Connect, read and
 * write time-outs are derived from the deadline, so a hung server is
 * CRITICAL within -t.
 *
 * Two short queries: SHOW GLOBAL STATUS for a fixed list of variables and
 * one SELECT of the variables needed; SHOW REPLICA STATUS (SHOW SLAVE
 * STATUS on older servers) adds the replica lag when the server is one.
 * Nothing parses SHOW ENGINE INNODB STATUS text, the part that keeps
 * breaking munin's and collectd's plugins.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "probe.h"
#include "util.h"

static const struct option_spec mysql_option_specs[] = {
	{ "hostname", 'H', OPT_STRING, "HOST", NULL, 0, -1,
	    "server host name or address (default: the option file's, "
	    "else the local socket)" },
	{ "port", 'P', OPT_INT, "PORT", NULL, 1, 65535,
	    "TCP port (default: the option file's, else 3306)" },
	{ "socket", 's', OPT_STRING, "PATH", NULL, 0, -1,
	    "unix socket of a local server" },
	{ "defaults-file", 'f', OPT_STRING, "FILE", NULL, 0, -1,
	    "option file with user and password (mode 0600 or stricter)" },
	{ "group", 'g', OPT_STRING, "GROUP", "client", 0, -1,
	    "group of the option file to read" },
	{ "connections-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when connections used (% of max_connections) are "
	    "outside RANGE, e.g. 80" },
	{ "connections-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when connections used (% of max_connections) are "
	    "outside RANGE, e.g. 95" },
	{ "threads-running-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when threads running are outside RANGE" },
	{ "threads-running-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when threads running are outside RANGE" },
	{ "slow-queries-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when slow queries per second are outside RANGE" },
	{ "slow-queries-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when slow queries per second are outside RANGE" },
	{ "replica-lag-warning", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "WARNING when a replica's lag (seconds) is outside RANGE" },
	{ "replica-lag-critical", 0, OPT_RANGE, "RANGE", NULL, 0, -1,
	    "CRITICAL when a replica's lag (seconds) is outside RANGE" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

enum mysql_var {
	MV_UPTIME = 0,
	MV_THREADS_CONNECTED,
	MV_THREADS_RUNNING,
	MV_QUESTIONS,
	MV_SLOW_QUERIES,
	MV_ABORTED_CONNECTS,
	MV_OPEN_TABLES,
	MV_BPOOL_TOTAL,
	MV_BPOOL_FREE,
	MV_COUNT
};

/* Status variables read, and the metric each becomes (NULL: derived). */
static const struct {
	const char *var;
	const char *metric;
	const char *unit;
	enum metric_ds ds;
	const char *warn_opt, *crit_opt;
} mysql_vars[MV_COUNT] = {
	[MV_UPTIME] = { "Uptime", "uptime", "s", DS_GAUGE, NULL, NULL },
	[MV_THREADS_CONNECTED] = { "Threads_connected", "threads_connected", "",
	    DS_GAUGE, NULL, NULL },
	[MV_THREADS_RUNNING] = { "Threads_running", "threads_running", "",
	    DS_GAUGE, "threads-running-warning", "threads-running-critical" },
	[MV_QUESTIONS] = { "Questions", "questions", "c", DS_DERIVE, NULL,
	    NULL },
	[MV_SLOW_QUERIES] = { "Slow_queries", "slow_queries", "c", DS_DERIVE,
	    NULL, NULL },
	[MV_ABORTED_CONNECTS] = { "Aborted_connects", "aborted_connects", "c",
	    DS_DERIVE, NULL, NULL },
	[MV_OPEN_TABLES] = { "Open_tables", "open_tables", "", DS_GAUGE, NULL,
	    NULL },
	[MV_BPOOL_TOTAL] = { "Innodb_buffer_pool_pages_total", NULL, NULL,
	    DS_GAUGE, NULL, NULL },
	[MV_BPOOL_FREE] = { "Innodb_buffer_pool_pages_free", NULL, NULL,
	    DS_GAUGE, NULL, NULL },
};

static const char mysql_status_query[] =
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', "
    "'Threads_connected', 'Threads_running', 'Questions', 'Slow_queries', "
    "'Aborted_connects', 'Open_tables', 'Innodb_buffer_pool_pages_total', "
    "'Innodb_buffer_pool_pages_free')";
static const char mysql_vars_query[] =
    "SELECT @@GLOBAL.max_connections, @@GLOBAL.pid_file";

/* Kept by the collector for the slow query rate over the last interval. */
struct mysql_prev {
	double uptime;
	double slow;
};

struct mysql_sample {
	double var[MV_COUNT];
	bool have[MV_COUNT];
	double max_connections;
	bool have_max;
	char pid_file[512];
};

static pthread_once_t mysql_once = PTHREAD_ONCE_INIT;
static int mysql_lib_rc = -1;

/* mysql_library_init is not thread-safe; the collector runs checks in
 * parallel, so it runs exactly once. */
static void
mysql_lib_init(void)
{
	mysql_lib_rc = mysql_library_init(0, NULL, NULL);
}

static void
mysql_state_free(void *state)
{
	free(state);
}

static enum probe_reason
mysql_error_reason(unsigned int code, bool timed_out)
{
	if (timed_out)
		return REASON_TIMEOUT;
	switch (code) {
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
		return REASON_AUTH;
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_SERVER_GONE_ERROR:
		return REASON_CONNECT;
	default:
		return REASON_PROTOCOL;
	}
}

/* Seconds for the libmariadb time-outs: half of what is left (connect and
 * handshake read may each use one), at least 1. */
static unsigned int
mysql_timeout(double deadline)
{
	double left = deadline_left(deadline) / 2;

	if (left < 1)
		return 1;
	if (left > 3600)
		return 3600;
	return (unsigned int)left;
}

static int
mysql_read_status(MYSQL *db, struct mysql_sample *s)
{
	MYSQL_RES *rs = NULL;
	MYSQL_ROW row;
	size_t i;
	double v;
	int rc = -1;

	if (mysql_real_query(
		db, mysql_status_query, sizeof(mysql_status_query) - 1) != 0)
		goto out;
	if ((rs = mysql_store_result(db)) == NULL || mysql_num_fields(rs) < 2)
		goto out;
	while ((row = mysql_fetch_row(rs)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		for (i = 0; i < MV_COUNT; i++) {
			if (strcasecmp(row[0], mysql_vars[i].var) != 0)
				continue;
			if (parse_double(row[1], &v) == 0 && v >= 0) {
				s->var[i] = v;
				s->have[i] = true;
			}
			break;
		}
	}
	rc = 0;
out:
	if (rs != NULL)
		mysql_free_result(rs);
	return rc;
}

static int
mysql_read_vars(MYSQL *db, struct mysql_sample *s)
{
	MYSQL_RES *rs = NULL;
	MYSQL_ROW row;
	double v;
	int rc = -1;

	if (mysql_real_query(
		db, mysql_vars_query, sizeof(mysql_vars_query) - 1) != 0)
		goto out;
	if ((rs = mysql_store_result(db)) == NULL || mysql_num_fields(rs) < 2)
		goto out;
	if ((row = mysql_fetch_row(rs)) != NULL) {
		if (row[0] != NULL && parse_double(row[0], &v) == 0 && v > 0) {
			s->max_connections = v;
			s->have_max = true;
		}
		if (row[1] != NULL)
			str_copy(s->pid_file, row[1], sizeof(s->pid_file));
	}
	rc = 0;
out:
	if (rs != NULL)
		mysql_free_result(rs);
	return rc;
}

/*
 * Replica lag when the server is a replica.  Returns 1 with *lag (NAN when
 * replication is stopped), 0 when not a replica or not allowed to ask.
 */
static int
mysql_read_replica(MYSQL *db, double *lag, struct probe_result *res)
{
	static const char *const queries[] = { "SHOW REPLICA STATUS",
		"SHOW SLAVE STATUS" };
	MYSQL_RES *rs = NULL;
	MYSQL_FIELD *fields;
	MYSQL_ROW row;
	unsigned int i, n;
	size_t q;
	int rc = 0;

	for (q = 0; q < 2; q++) {
		if (mysql_query(db, queries[q]) == 0)
			break;
	}
	if (q == 2) {
		result_long(
		    res, "replica status not available: %s", mysql_error(db));
		goto out;
	}
	if ((rs = mysql_store_result(db)) == NULL)
		goto out;
	if ((row = mysql_fetch_row(rs)) == NULL)
		goto out;
	fields = mysql_fetch_fields(rs);
	n = mysql_num_fields(rs);
	for (i = 0; i < n; i++) {
		if (strcmp(fields[i].name, "Seconds_Behind_Master") != 0 &&
		    strcmp(fields[i].name, "Seconds_Behind_Source") != 0)
			continue;
		*lag = NAN;
		if (row[i] != NULL && parse_double(row[i], lag) == -1)
			*lag = NAN;
		rc = 1;
		break;
	}
out:
	if (rs != NULL)
		mysql_free_result(rs);
	return rc;
}

/* Resident memory of a local mysqld/mariadbd from its pid file; -1 when
 * the server is not on this host or not readable. */
static int
mysql_server_rss(const char *pid_file, double *rss)
{
	char path[64], *text = NULL, *end;
	size_t len, i;
	long pid, pages;
	long page = sysconf(_SC_PAGESIZE);
	int rc = -1;

	if (pid_file[0] == '\0' ||
	    file_read_capped(pid_file, 64, &text, &len) == -1)
		goto out;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (parse_long(text, 1, 4194304, &pid) == -1)
		goto out;
	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (file_read_capped(path, 64, &text, &len) == -1)
		goto out;
	if (strncmp(text, "mariadbd", 8) != 0 &&
	    strncmp(text, "mysqld", 6) != 0)
		goto out;
	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "/proc/%ld/statm", pid);
	if (file_read_capped(path, 256, &text, &len) == -1)
		goto out;
	/* "size resident shared ...": the second field, in pages. */
	for (i = 0; i < len && text[i] != ' '; i++)
		;
	if (i == len)
		goto out;
	pages = strtol(text + i + 1, &end, 10);
	if (end == text + i + 1 || pages < 0 || page <= 0)
		goto out;
	*rss = (double)pages * (double)page;
	rc = 0;
out:
	free(text);
	return rc;
}

static bool
mysql_is_local(const char *host)
{
	return host == NULL || strcmp(host, "localhost") == 0 ||
	    strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0;
}

static void
mysql_report(const struct probe_run *run, MYSQL *db, const char *host,
    const struct mysql_sample *s, double connect_time, struct probe_result *res)
{
	struct mysql_prev *prev = NULL;
	struct metric *m;
	double used = NAN, rate = NAN, bpool = NAN, rss, lag;
	size_t i;
	int replica;

	if ((m = result_metric(
		 res, "connect_time", connect_time, "s", DS_GAUGE)) != NULL) {
		m->has_min = true;
		m->min = 0;
	}
	for (i = 0; i < MV_COUNT; i++) {
		if (mysql_vars[i].metric == NULL || !s->have[i])
			continue;
		m = result_metric(res, mysql_vars[i].metric, s->var[i],
		    mysql_vars[i].unit, mysql_vars[i].ds);
		if (m == NULL)
			continue;
		m->has_min = true;
		m->min = 0;
		if (mysql_vars[i].warn_opt != NULL) {
			args_range(run->args, mysql_vars[i].warn_opt, &m->warn);
			args_range(run->args, mysql_vars[i].crit_opt, &m->crit);
		}
	}

	if (s->have[MV_THREADS_CONNECTED] && s->have_max)
		used =
		    100.0 * s->var[MV_THREADS_CONNECTED] / s->max_connections;
	if ((m = result_metric(res, "connections_used", used, "%", DS_GAUGE)) !=
	    NULL) {
		m->has_min = m->has_max = true;
		m->min = 0;
		m->max = 100;
		args_range(run->args, "connections-warning", &m->warn);
		args_range(run->args, "connections-critical", &m->crit);
	}

	/* Slow queries per second: since start, or since the collector's
	 * previous run of this check when the server did not restart. */
	if (s->have[MV_SLOW_QUERIES] && s->have[MV_UPTIME]) {
		if (run->face == FACE_COLLECTOR && run->check_state != NULL)
			prev = *run->check_state;
		if (prev != NULL && s->var[MV_UPTIME] > prev->uptime &&
		    s->var[MV_SLOW_QUERIES] >= prev->slow)
			rate = (s->var[MV_SLOW_QUERIES] - prev->slow) /
			    (s->var[MV_UPTIME] - prev->uptime);
		else /* Uptime counts whole seconds: a fresh server says 0. */
			rate = s->var[MV_SLOW_QUERIES] /
			    fmax(s->var[MV_UPTIME], 1);
		if (run->face == FACE_COLLECTOR && run->check_state != NULL) {
			if (prev == NULL &&
			    (prev = calloc(1, sizeof(*prev))) != NULL)
				*run->check_state = prev;
			if (prev != NULL) {
				prev->uptime = s->var[MV_UPTIME];
				prev->slow = s->var[MV_SLOW_QUERIES];
			}
		}
	}
	if ((m = result_metric(res, "slow_queries_rate", rate, "", DS_GAUGE)) !=
	    NULL) {
		m->has_min = true;
		m->min = 0;
		args_range(run->args, "slow-queries-warning", &m->warn);
		args_range(run->args, "slow-queries-critical", &m->crit);
	}

	if (s->have[MV_BPOOL_TOTAL] && s->have[MV_BPOOL_FREE] &&
	    s->var[MV_BPOOL_TOTAL] > 0) {
		bpool = 100.0 *
		    (s->var[MV_BPOOL_TOTAL] - s->var[MV_BPOOL_FREE]) /
		    s->var[MV_BPOOL_TOTAL];
		if ((m = result_metric(res, "innodb_bpool_used", bpool, "%",
			 DS_GAUGE)) != NULL) {
			m->has_min = m->has_max = true;
			m->min = 0;
			m->max = 100;
		}
	}
	if (mysql_is_local(host) && mysql_server_rss(s->pid_file, &rss) == 0) {
		if ((m = result_metric(
			 res, "resident_memory", rss, "B", DS_GAUGE)) != NULL) {
			m->has_min = true;
			m->min = 0;
		}
	}

	result_set(res, STATE_OK, REASON_NONE,
	    "%s up %.0f s, %.0f threads "
	    "connected (%.1f%% of max_connections), %.0f running",
	    mysql_get_server_info(db), s->var[MV_UPTIME],
	    s->var[MV_THREADS_CONNECTED], isnan(used) ? 0.0 : used,
	    s->var[MV_THREADS_RUNNING]);

	replica = deadline_left(run->deadline) > 0
	    ? mysql_read_replica(db, &lag, res)
	    : 0;
	if (replica == 1) {
		m = result_metric(res, "replica_lag", lag, "s", DS_GAUGE);
		if (m != NULL) {
			m->has_min = true;
			m->min = 0;
			args_range(run->args, "replica-lag-warning", &m->warn);
			args_range(run->args, "replica-lag-critical", &m->crit);
		}
	}
	result_apply_thresholds(res);
	result_explain_thresholds(res);
	if (replica == 1 && isnan(lag))
		result_raise(res, STATE_CRITICAL, REASON_STATUS,
		    "replication is not running (Seconds_Behind_Master is "
		    "NULL)");
}

static int
mysql_run(const struct probe_run *run, struct probe_result *res)
{
	MYSQL *db = NULL;
	struct mysql_sample *s = NULL;
	const char *host, *sock, *file, *group;
	char err[256];
	unsigned int tmo, port = 0;
	double t0, connect_time;
	bool timed_out;

	pthread_once(&mysql_once, mysql_lib_init);
	if (mysql_lib_rc != 0) {
		result_set(res, STATE_UNKNOWN, REASON_INTERNAL,
		    "mysql_library_init failed");
		goto out;
	}
	host = args_string(run->args, "hostname");
	sock = args_string(run->args, "socket");
	file = args_string(run->args, "defaults-file");
	group = args_string(run->args, "group");
	if (args_given(run->args, "port"))
		port = (unsigned int)args_int(run->args, "port");
	if (host == NULL && sock != NULL)
		host = "localhost";

	if (file != NULL && secret_check_mode(file, err, sizeof(err)) == -1) {
		result_set(res, STATE_UNKNOWN, REASON_CONFIG,
		    "option file refused: %s", err);
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (db = mysql_init(NULL)) == NULL) {
		result_set(
		    res, STATE_UNKNOWN, REASON_INTERNAL, "out of memory");
		goto out;
	}
	tmo = mysql_timeout(run->deadline);
	mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &tmo);
	mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &tmo);
	mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &tmo);
	if (file != NULL) {
		mysql_options(db, MYSQL_READ_DEFAULT_FILE, file);
		mysql_options(db, MYSQL_READ_DEFAULT_GROUP, group);
	}

	t0 = clock_monotonic_now();
	if (mysql_real_connect(db, host, NULL, NULL, NULL, port, sock, 0) ==
	    NULL) {
		timed_out = clock_monotonic_now() - t0 >= tmo - 0.05;
		result_set(res, STATE_CRITICAL,
		    mysql_error_reason(mysql_errno(db), timed_out),
		    "cannot connect%s: %s", timed_out ? " (timed out)" : "",
		    mysql_error(db));
		goto out;
	}
	connect_time = clock_monotonic_now() - t0;

	if (mysql_read_status(db, s) == -1 || mysql_read_vars(db, s) == -1) {
		timed_out = deadline_left(run->deadline) <= 0;
		result_set(res, STATE_CRITICAL,
		    mysql_error_reason(mysql_errno(db), timed_out),
		    "query failed: %s", mysql_error(db));
		goto out;
	}
	if (!s->have[MV_UPTIME]) {
		result_set(res, STATE_UNKNOWN, REASON_PROTOCOL,
		    "SHOW GLOBAL STATUS returned no Uptime");
		goto out;
	}
	mysql_report(run, db, host, s, connect_time, res);
out:
	if (db != NULL)
		mysql_close(db);
	free(s);
	return 0;
}

const struct probe probe_mysql = {
	.name = "mysql",
	.summary = "MariaDB/MySQL server: connections, threads, queries, "
	    "InnoDB buffer pool, replica lag",
	.usage = "[-f FILE] [-H HOST [-P PORT] | -s SOCKET] "
	    "[--connections-warning RANGE] [--connections-critical RANGE] "
	    "[--threads-running-warning RANGE] "
	    "[--threads-running-critical RANGE] "
	    "[--slow-queries-warning RANGE] [--slow-queries-critical RANGE] "
	    "[--replica-lag-warning RANGE] [--replica-lag-critical RANGE]",
	.options = mysql_option_specs,
	.munin = {
		.title = "MariaDB",
		.category = "db",
		.vlabel = "per ${graph_period}",
		.args = "--base 1000 -l 0",
	},
	.run = mysql_run,
	.state_free = mysql_state_free,
};
