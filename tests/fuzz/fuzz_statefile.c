/* libFuzzer: the state file reader on arbitrary bytes; whatever it
 * accepts must dump and drive the state machine without trouble. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_setup(struct check *c, const char *name, int max)
{
	memset(c, 0, sizeof(*c));
	c->name = (char *)(uintptr_t)name;
	c->probe = probe_find("disk");
	c->interval = 60;
	c->policy.max_attempts = max;
	c->policy.flap_detection = true;
	c->policy.low_flap = 20;
	c->policy.high_flap = 30;
	check_state_init(&c->st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check a, b;
	struct check *list[2] = { &a, &b };
	char err[256];
	char *text;

	if (size > 1 << 20)
		return 0;
	check_setup(&a, "web", 3);
	check_setup(&b, "db", 1);
	(void)statefile_parse(
	    (const char *)data, size, list, 2, err, sizeof(err));
	for (size_t i = 0; i < 2; i++) {
		struct check *c = list[i];

		if (c->st.attempt < 1 || c->st.history_len > CHECK_HISTORY ||
		    (unsigned)c->st.current > STATE_UNKNOWN)
			__builtin_trap();
		(void)check_state_apply(
		    &c->st, &c->policy, STATE_CRITICAL, 1000);
		(void)check_state_apply(&c->st, &c->policy, STATE_OK, 1001);
	}
	text = statefile_dump(list, 2, 5);
	free(text);
	free(a.result);
	free(b.result);
	return 0;
}
