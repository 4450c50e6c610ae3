// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the judge reads of a process besides its memory: /proc/PID/maps
 * (where a wait object lives, collect/threads/regions.c), /proc/PID/task/TID/syscall
 * (a lock owner's wait, collect/threads/lockgraph.c), /proc/PID/fd links and the
 * kernel's sock_diag answers (collect/sockets/peers.c, collect/sockets/tcp_table.c). */
#include "fuzz.h"
#include "collect/stacks/proc_stacks.h"
#include "collect/threads/lockgraph.h"
#include "collect/threads/pipe_wakers.h"
#include "collect/sockets/peers.h"
#include "collect/threads/regions.h"
#include "collect/sockets/tcp_table.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct wait_info w;

	for (uint64_t a = 0; a < 16; a++)
		(void)maps_region((const char *)data, size, a << 40 | a << 12);
	(void)parse_syscall_line(s, &w);
	{
		uint64_t sp, pc;
		struct frame_builder b = {};

		(void)proc_kstack_parse(s, &b, 8);
		frame_builder__free(&b);
		(void)parse_syscall_sp_pc(s, &sp, &pc);
	}
	(void)socket_inode(s);
	(void)pipe_inode(s);
	{
		/* netlink messages are 4-byte aligned in the kernel's buffer */
		uint32_t *nl = malloc(size + 4);
		struct tcp_table t = { 0 };
		uint32_t silent;

		if (nl) {
			memcpy(nl, data, size);
			if (tcp_table_parse(&t, nl, size) >= 0) {
				tcp_table_index(&t);
				for (size_t i = 0; i < t.n; i++)
					(void)tcp_conn_awaiting_reply(&t, tcp_table_find(&t, t.conns[i].inode),
								      &silent);
			}
			tcp_table_free(&t);
			free(nl);
		}
	}
	free(s);
	return 0;
}
