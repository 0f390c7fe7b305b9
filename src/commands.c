/* The table of `osemon COMMAND` entries (osemon-full only). */
#include <stddef.h>

#include "commands.h"

#if !defined(OSEMON_LIGHT) && !defined(OSEMON_PROBES)
#include "alerts.h"
#include "backup.h"
#include "collector.h"

const struct command command_table[] = {
	{ "run", "run [-c FILE] [--once]",
	    "the collector: schedule every "
	    "check, store, alert, render",
	    collector_run_main },
	{ "status", "status [-c FILE] [--json]",
	    "current state of every "
	    "check, from the state file",
	    collector_status_main },
	{ "config", "config check [-c FILE]", "validate a config file",
	    collector_config_main },
	{ "graph", "graph [-c FILE]",
	    "render the graphs and the status "
	    "page now",
	    collector_graph_main },
	{ "alert", "alert test|flush|list [-c FILE]",
	    "send a test alert "
	    "mail, deliver or list the spool",
	    alert_main },
	{ "ack", "ack CHECK [--sticky] [--expire TIME] -m TEXT",
	    "acknowledge "
	    "a problem: stop its reminders",
	    ack_main },
	{ "downtime", "downtime CHECK START END [-m TEXT]",
	    "suppress a "
	    "check's notifications in a window",
	    downtime_main },
	{ "backup", "backup run|verify|list|prune -c FILE [--dry-run]",
	    "the backup: run it, verify the newest, list, prune", backup_main },
	{ NULL, NULL, NULL, NULL },
};
#endif
