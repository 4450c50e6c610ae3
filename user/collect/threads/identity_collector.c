// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process identities (service, container, unit) as a collector. */
#include <errno.h>
#include <stdio.h>

#include "collect/collector.h"
#include "collect/threads/identity_cache.h"

static int identities_open(const struct collect_env *env, void **state, char *msg, size_t size)
{
	(void)env;
	*state = identity_cache__new();
	if (!*state)
		snprintf(msg, size, "out of memory");
	return *state ? 0 : LT_EXIT_FAILURE;
}

static int identities_collect(void *state, struct report *r)
{
	return identity_cache__fill(state, r) ? -ENOMEM : 0;
}

static void identities_close(void *state)
{
	identity_cache__free(state);
}

const struct collector_type collector_identities = {
	.name = "reading process identities",
	.open = identities_open,
	.collect = identities_collect,
	.close = identities_close,
};
