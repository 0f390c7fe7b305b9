/* The table of `osemon COMMAND` entries (full binary only). */
#include <stddef.h>

#include "commands.h"

#ifndef OSEMON_LIGHT
const struct command command_table[] = {
	{ NULL, NULL, NULL, NULL },
};
#endif
