/*
 * libFuzzer: the days-until-full fit on arbitrary samples (values from an
 * RRD file are outside input): NaN, infinities, huge and negative values,
 * any order, any window.  The result is either no forecast (days NaN) or a
 * finite number of days >= 0.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "forecast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct forecast_sample s[512];
	struct forecast fc;
	double head[3];
	size_t n;

	if (size < sizeof(head))
		return 0;
	memcpy(head, data, sizeof(head)); /* now, window, capacity */
	data += sizeof(head);
	size -= sizeof(head);
	n = size / sizeof(s[0]);
	if (n > sizeof(s) / sizeof(s[0]))
		n = sizeof(s) / sizeof(s[0]);
	memcpy(s, data, n * sizeof(s[0]));
	forecast_fit(s, n, head[0], head[1], head[2], &fc);
	if (fc.status == FORECAST_OK) {
		if (!isfinite(fc.days) || fc.days < 0)
			__builtin_trap();
	} else if (!isnan(fc.days)) {
		__builtin_trap();
	}
	return 0;
}
