// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* leaktrace: report threads parked past a threshold. main() is the lifecycle only. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "collect/threads/identity_cache.h"
#include "run/options.h"
#include "collect/threads/privileges.h"
#include "run/sandbox.h"
#include "run/session.h"
#include "run/supervisor.h"
#include "util/clock.h"
#include "util/safe_open.h"
#include "util/log.h"

static volatile sig_atomic_t exiting, reopen;

static void on_signal(int sig)
{
	exiting = 1;
}

static void on_hangup(int sig)
{
	reopen = 1;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Sleep until mono deadline or a signal. */
static void sleep_until(uint64_t deadline)
{
	while (!exiting) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		struct timespec ts;

		supervisor__alive();
		if (now >= deadline)
			return;
		ts.tv_sec = (deadline - now) / 1000000000ULL;
		ts.tv_nsec = (deadline - now) % 1000000000ULL;
		if (ts.tv_sec > 0 || ts.tv_nsec > 200000000)
			ts = (struct timespec){ 0, 200000000 };
		nanosleep(&ts, NULL);
	}
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, hup = { .sa_handler = on_hangup };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&hup.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &hup, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* --pid must name live processes; a thread id is taken as its process. A
 * kernel thread has no user side to leak from: only with --kernel-threads. */
static int resolve_pids(struct lt_options *o)
{
	for (int i = 0; i < o->n_pids; i++) {
		int tgid = process_of_tid(o->pids[i]);
		struct proc_stat_info info;

		if (tgid < 0 || proc_stat_read(tgid, &info)) {
			lt_err(NULL, "no such process: %d", o->pids[i]);
			return LT_EXIT_NO_PROCESS;
		}
		if ((info.flags & PROC_PF_KTHREAD) && !o->kernel_threads) {
			lt_err(NULL, "%d is a kernel thread, not a process (add "
				"--kernel-threads to trace it)", o->pids[i]);
			return LT_EXIT_NO_PROCESS;
		}
		o->pids[i] = tgid;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct session *session = NULL;
	uint64_t next, deadline = 0;
	struct lt_options o;
	int err, ret = LT_EXIT_FAILURE;

	options_defaults(&o);
	err = options_parse(argc, argv, &o);
	if (err)
		return err < 0 ? LT_EXIT_OK : err;
	verbose = o.verbose;
	lt_log_set_verbose(o.verbose);
	libbpf_set_print(libbpf_print);

	if (!have_bpf_privileges()) {
		lt_err(NULL, "permission denied: run as root (needs CAP_BPF and CAP_PERFMON, "
			"or CAP_SYS_ADMIN)");
		return LT_EXIT_PERMISSION;
	}
	err = resolve_pids(&o);
	if (err)
		return err;
	if (install_signals())
		goto cleanup;
	session = session__open(&o, &ret);
	if (!session)
		goto cleanup;
	if (o.verbose)
		lt_info(NULL, "tracing %s", o.n_pids ? "selected processes" : "all processes");
	/* loaded, attached, outputs open: from here on, least privilege
	 * (system-wide with --precise, Go processes that start later get
	 * uprobes later; the default Go mode only reads their memory) */
	if (!o.no_sandbox && sandbox_enter(o.precise && o.n_pids == 0 && o.go_mode >= 0)) {
		ret = LT_EXIT_FAILURE;
		goto cleanup;
	}
	supervisor__ready();

	next = clock_ns(CLOCK_MONOTONIC);
	if (o.duration_ns)
		deadline = next + o.duration_ns;
	for (;;) {
		bool all_gone, final;

		next += o.interval_ns;
		if (deadline && next > deadline)
			next = deadline;
		sleep_until(next);
		all_gone = session__targets_alive(session) == 0;
		final = exiting || all_gone || (deadline && clock_ns(CLOCK_MONOTONIC) >= deadline);
		/* SIGHUP (logrotate): the outputs reopen their files */
		if (reopen)
			session__reopen(session);
		reopen = 0;
		if (final)
			supervisor__stopping();
		if (session__report(session, final)) {
			ret = LT_EXIT_FAILURE;
			goto cleanup;
		}
		if (all_gone)
			lt_info(NULL, "all traced processes have exited");
		if (final)
			break;
	}
	ret = LT_EXIT_OK;
	if (o.fail_on_leak && session__worst(session) >= VERDICT_LEAK) {
		lt_info(NULL, "%s reported: failing (--fail-on-leak)",
			verdict_name(session__worst(session)));
		ret = LT_EXIT_LEAK;
	}
cleanup:
	session__close(session);
	return ret;
}
