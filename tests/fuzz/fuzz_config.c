/* libFuzzer: the config parser (INI model, collector keys, probe options,
 * exec command splitting) on arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct option_spec fuzz_specs[] = {
	{ "server", 0, OPT_LIST, "HOST:PORT", NULL, 0, -1, "" },
	{ "timeout", 0, OPT_INT, "S", "30", 1, 600, "" },
	{ "tls", 0, OPT_FLAG, NULL, NULL, 0, -1, "" },
	{ "warning", 'w', OPT_RANGE, "R", NULL, 0, -1, "" },
	{ NULL, 0, 0, NULL, NULL, 0, 0, NULL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errors errs;
	struct cfg *cfg = NULL;
	struct collector_conf *conf = NULL;
	struct args a;
	char *text;
	char err[256];

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	cfg_errors_init(&errs);
	(void)cfg_load_string(text, "fuzz.conf", &cfg, &errs);
	if (cfg != NULL) {
		for (size_t i = 0; i < cfg->count; i++) {
			const struct cfg_section *s = &cfg->sections[i];

			(void)cfg_section_to_args(
			    s, fuzz_specs, &a, cfg->name, &errs);
			args_free(&a);
			if (s->line <= 0 ||
			    (s->count > 0 && s->entries[0].line < s->line))
				__builtin_trap();
		}
		(void)cfg_value(cfg_find(cfg, "global", NULL), "interval");
	}
	cfg_free(cfg);
	cfg_errors_free(&errs);

	cfg_errors_init(&errs);
	if (collector_conf_load_text("fuzz.conf", text, &conf, &errs) == 0)
		collector_conf_free(conf);
	cfg_errors_free(&errs);

	args_init(&a, NULL);
	(void)collector_split_command(text, &a, err, sizeof(err));
	args_free(&a);
	free(text);
	return 0;
}
