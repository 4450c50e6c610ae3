// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "util/hash.h"

#define FNV_PRIME 0x100000001b3ULL

uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t hash_string(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	h ^= 0xff;
	return h * FNV_PRIME;
}
