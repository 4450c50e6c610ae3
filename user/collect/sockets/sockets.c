// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* TCP peers as a collector: which parked threads wait on a peer that has
 * not answered (facts), and the requests of event loops stalled on their
 * peer (connection units). One TCP table read per report, at most. */
#include <stdio.h>

#include "collect/collector.h"
#include "collect/sockets/peers.h"

static int sockets_open(const struct collect_env *env, void **state, char *msg, size_t size)
{
	(void)env;
	*state = peer_finder__new(procmem_read, NULL);
	if (!*state)
		snprintf(msg, size, "out of memory");
	return *state ? 0 : LT_EXIT_FAILURE;
}

static int sockets_collect(void *state, struct report *r)
{
	peer_facts_collect(r, peer_finder_wait, state);
	return peer_finder_collect(state, r);
}

static void sockets_close(void *state)
{
	peer_finder__free(state);
}

const struct collector_type collector_sockets = {
	.name = "reading TCP peers",
	.open = sockets_open,
	.collect = sockets_collect,
	.close = sockets_close,
};
