// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse_num.h"

#define SIZE_MAX_BYTES	(1ULL << 50)	/* a petabyte: beyond any budget */

/* The digits of an unsigned decimal at s, *end set past them: no sign,
 * blank, base prefix or leading zero ("010" would be 8 to strtol(..., 0)
 * and 10 to strtol(..., 10): refused rather than guessed). */
int scan_decimal(const char *s, const char **end, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*end = p;
	*out = v;
	return 0;
}

int parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (!s || scan_decimal(s, &end, &v) || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = { { "", 1 }, { "K", 1ULL << 10 }, { "M", 1ULL << 20 }, { "G", 1ULL << 30 } };
	const char *end;
	uint64_t v;

	if (!s || scan_decimal(s, &end, &v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (v > SIZE_MAX_BYTES / units[i].mult)
			return -EINVAL;
		*bytes = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
		{ "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 },
	};
	const char *end;
	uint64_t whole;
	double v;

	/* DIGITS[.DIGITS]UNIT: what strtod would take besides (hex, exponents,
	 * inf, nan, signs, blanks) is refused before it reads the number */
	if (!s || scan_decimal(s, &end, &whole))
		return -EINVAL;
	if (*end == '.') {
		if (*++end < '0' || *end > '9')
			return -EINVAL;
		while (*end >= '0' && *end <= '9')
			end++;
	}
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !isfinite(v) || v <= 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		v *= units[i].mult;
		/* a year is plenty; also keeps the conversion defined */
		if (v < 1 || v > 366 * 86400e9)
			return -EINVAL;
		*ns = (uint64_t)v;
		return 0;
	}
	return -EINVAL;
}
