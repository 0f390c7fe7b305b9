/*
 * Inside alerts/: the configuration read from [smtp], [global] and
 * [check NAME], and the spool delivery run shared by the collector's
 * delivery child and `osemon alert test|flush`.
 */
#ifndef OSEMON_DELIVER_H
#define OSEMON_DELIVER_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "notify.h"
#include "smtp.h"

struct cfg;

struct alerts_check_conf {
	char name[MAIL_CHECK_MAX];
	struct notify_policy pol;
	char to[SMTP_RCPTS_MAX / 2][SMTP_ADDR_MAX]; /* extra recipients */
	size_t nto;
};

struct alerts_conf {
	bool enabled; /* an [smtp] section exists */
	struct smtp_conf smtp;
	char to[SMTP_RCPTS_MAX / 2][SMTP_ADDR_MAX];
	size_t nto;
	char host[256];
	char graph_url[1024];
	char state_dir[PATH_MAX];
	long group_window;
	long max_per_hour;
	long retry_min, retry_max;
	long spool_max;
	struct notify_policy defaults;
	struct alerts_check_conf *checks;
	size_t nchecks;
};

/*
 * Fill conf from cfg (state_dir: NULL to take [global] state-dir, else
 * used as is).  Returns 0, or -1 with every problem in err ("FILE:LINE:
 * cause" where known).
 */
int alerts_conf_read(const struct cfg *cfg, const char *state_dir,
    struct alerts_conf *conf, char *err, size_t errlen);
void alerts_conf_free(struct alerts_conf *conf);

struct deliver_stats {
	unsigned delivered; /* files whose every recipient is done */
	unsigned pending; /* files left for a later try */
	unsigned refused; /* recipients refused for good */
	unsigned skipped; /* not due yet */
};

/*
 * Deliver the due spool files (all of them when force; only `only` when
 * not NULL) before deadline.  Progress goes to report with prefix.
 * Bookkeeping is written before each try so that a kill leaves a backoff.
 * Returns 0 when every mail went to every recipient, 1 when some stay
 * pending, 2 when none is pending but some recipient was refused for
 * good, -1 when the spool cannot be read.
 */
int deliver_spool(const struct alerts_conf *conf, const char *spool_dir,
    time_t now, bool force, const char *only, double deadline, FILE *report,
    const char *prefix, struct deliver_stats *stats);

/*
 * Run deliver_spool in a forked child (libesmtp can block in connect) and
 * wait for it, killing it at the deadline.  Returns deliver_spool's
 * code as the child's exit status, or -1 when killed or not started.
 */
int deliver_spool_child(const struct alerts_conf *conf, const char *spool_dir,
    bool force, const char *only, FILE *report, const char *prefix);

/* Start deliver_spool in a child without waiting; its pid or -1. */
pid_t deliver_spool_start(const struct alerts_conf *conf, const char *spool_dir,
    FILE *report, const char *prefix);

#endif
