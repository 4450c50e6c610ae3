// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "run/supervisor.h"
#include "util/clock.h"

static uint64_t ping_every_ns;	/* half of WATCHDOG_USEC; 0: no watchdog */
static uint64_t last_ping_ns;

void supervisor__ready(void)
{
	uint64_t usec = 0;

	/* 0 keeps NOTIFY_SOCKET and WATCHDOG_* in the environment: the loop
	 * reads the period once, here */
	if (sd_watchdog_enabled(0, &usec) > 0)
		ping_every_ns = usec * 1000 / 2;
	sd_notify(0, "READY=1\nSTATUS=tracing");
	last_ping_ns = clock_ns(CLOCK_MONOTONIC);
}

void supervisor__alive(void)
{
	uint64_t now;

	if (!ping_every_ns)
		return;
	now = clock_ns(CLOCK_MONOTONIC);
	if (now - last_ping_ns < ping_every_ns)
		return;
	sd_notify(0, "WATCHDOG=1");
	last_ping_ns = now;
}

void supervisor__stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
