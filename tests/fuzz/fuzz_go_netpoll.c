// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/PID/fdinfo of an epoll fd (collect/go/go_netpoll.c): kernel text,
 * but read from a process that may be anything. */
#include "fuzz.h"
#include "collect/go/go_netpoll.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct go_poll_reg regs[16];

	(void)go_netpoll__parse_fdinfo((const char *)data, size, regs, 16);
	return 0;
}
