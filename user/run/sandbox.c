// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Least privilege after start-up: capabilities, no_new_privs, seccomp.
 *
 * Capabilities, the bounding set and no_new_privs belong to each thread, not
 * to the process, and libmicrohttpd's thread (--prometheus) already runs:
 * every other thread is made to drop them itself from a signal handler (the
 * way libcap's psx does). The seccomp filter is synchronised to all threads
 * by the kernel (TSYNC). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "run/sandbox.h"
#include "util/safe_open.h"
#include "util/state_dir.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_CHECKPOINT_RESTORE
#define CAP_CHECKPOINT_RESTORE 40
#endif
#define CAP_BIT(c) (1ULL << (c))

/* System calls of the steady state with no argument rule, measured with
 * strace -f over system-wide, --pid, Go, --prometheus, --syslog and SIGHUP
 * runs (docs/security.md). */
static const int allowed[] = {
	/* files already chosen: /proc, /sys, binaries, the -o file */
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fcntl),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getdents64),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(dup),
	/* memory (mmap and mprotect: below, never executable) */
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	/* BPF maps, iterators and links; Go processes attached later */
	SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
	/* other processes' memory (Go runtime, lock owners, stacks) */
	SCMP_SYS(process_vm_readv),
	/* time, signals, threads, exit */
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(getrusage),
	SCMP_SYS(sysinfo), SCMP_SYS(uname), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(capget), SCMP_SYS(getrandom),
	SCMP_SYS(prlimit64), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* the Prometheus listener (bound before) and syslog's socket */
	SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(accept), SCMP_SYS(accept4),
	SCMP_SYS(connect), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
};

/* System calls allowed only with some arguments. */
static const struct arg_rule {
	int nr;
	unsigned int arg;
	enum scmp_compare op;
	uint64_t mask;		/* SCMP_CMP_MASKED_EQ */
	uint64_t value;
} arg_rules[] = {
	/* read-only opens, never creating or truncating */
	{ SCMP_SYS(openat), 2, SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY },
	/* W^X: no new executable memory */
	{ SCMP_SYS(mmap), 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0 },
	{ SCMP_SYS(mprotect), 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0 },
	/* kill(pid, 0): is a traced process alive; no signal to anyone */
	{ SCMP_SYS(kill), 1, SCMP_CMP_EQ, 0, 0 },
	/* syslog(3)'s socket to /dev/log */
	{ SCMP_SYS(socket), 0, SCMP_CMP_EQ, 0, AF_UNIX },
	/* sock_diag: the TCP connections threads wait on (collect/sockets/tcp_table.c) */
	{ SCMP_SYS(socket), 0, SCMP_CMP_EQ, 0, AF_NETLINK },
	{ SCMP_SYS(ioctl), 1, SCMP_CMP_EQ, 0, TCGETS },
	{ SCMP_SYS(ioctl), 1, SCMP_CMP_EQ, 0, PERF_EVENT_IOC_ENABLE },
	{ SCMP_SYS(ioctl), 1, SCMP_CMP_EQ, 0, PERF_EVENT_IOC_DISABLE },
	{ SCMP_SYS(ioctl), 1, SCMP_CMP_EQ, 0, PERF_EVENT_IOC_SET_BPF },
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_SET_NAME },
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_GET_NAME },
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_CAPBSET_READ },
	/* signals to its own threads only (raise, the SIGSYS report); the pid
	 * is filled in when the filter is built */
	{ SCMP_SYS(tgkill), 0, SCMP_CMP_EQ, 0, 0 },
};

#define N_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))
#define N_ARG_RULES (sizeof(arg_rules) / sizeof(arg_rules[0]))

#if defined(__SANITIZE_ADDRESS__)
#define LT_LEAK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_LEAK_SANITIZER 1
#endif
#endif

#ifdef LT_LEAK_SANITIZER
/* The ASan build only (`make asan`): LeakSanitizer's check at exit stops
 * the world from a helper task that ptrace-attaches every thread (compiler-rt
 * sanitizer_stoptheworld_linux_libcdep.cpp). Never in a release build. */
static const int sanitizer_allowed[] = {
	SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(getppid), SCMP_SYS(sigaltstack),
	SCMP_SYS(getdents),
};

static const struct arg_rule sanitizer_rules[] = {
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_GET_DUMPABLE },
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_SET_DUMPABLE },
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_SET_PTRACER },
	{ SCMP_SYS(prctl), 0, SCMP_CMP_EQ, 0, PR_SET_PDEATHSIG },
	/* its /proc/PID/task listing, by open(2) rather than openat(2) */
	{ SCMP_SYS(open), 1, SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY },
	/* the helper task: shares memory, not a thread of the group */
	{ SCMP_SYS(clone), 0, SCMP_CMP_EQ, 0, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED },
};
#endif

int sandbox_allowlist_size(void)
{
	int n = N_ALLOWED;

	for (size_t i = 0; i < N_ARG_RULES; i++)
		if (i == 0 || arg_rules[i].nr != arg_rules[i - 1].nr)
			n++;
	return n;
}

static int read_caps(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

uint64_t sandbox_kept_caps(bool attach_later)
{
	uint64_t want = CAP_BIT(CAP_SYS_PTRACE) | CAP_BIT(CAP_DAC_READ_SEARCH) |
			CAP_BIT(CAP_SYSLOG);

	/* /proc/PID/map_files: a deleted or replaced binary (5.9+) */
	if (prctl(PR_CAPBSET_READ, CAP_CHECKPOINT_RESTORE, 0, 0, 0) >= 0)
		want |= CAP_BIT(CAP_CHECKPOINT_RESTORE);

	/* before 5.8 bpf() and perf_event_open() are CAP_SYS_ADMIN's; and
	 * perf_event_open() of a uprobe event still wants CAP_SYS_ADMIN
	 * (measured on 6.18: EACCES with CAP_PERFMON alone) */
	if (attach_later || prctl(PR_CAPBSET_READ, CAP_BPF, 0, 0, 0) < 0)
		want |= CAP_BIT(CAP_SYS_ADMIN);
	else
		want |= CAP_BIT(CAP_BPF) | CAP_BIT(CAP_PERFMON);
	return want;
}

/* Drop to KEEP in the calling thread; async-signal-safe (raw system calls
 * only). Returns 0 or -errno. */
static int drop_this_thread(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};

	for (int cap = 0; cap < 64; cap++) {
		int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_bounding < 0)
			break;	/* past the kernel's last capability */
		if (in_bounding && !(keep & CAP_BIT(cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return -errno;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

static uint64_t keep_for_threads;
static atomic_int threads_done, thread_err;

static void on_drop_signal(int sig)
{
	int saved = errno, err = drop_this_thread(keep_for_threads);

	if (err)
		atomic_store(&thread_err, err);
	atomic_fetch_add(&threads_done, 1);
	errno = saved;
}

/* Make every other thread of the process drop to KEEP. */
static int drop_other_threads(uint64_t keep)
{
	struct sigaction sa = { .sa_handler = on_drop_signal, .sa_flags = SA_RESTART };
	int sig = SIGRTMIN + 1, sent = 0;
	pid_t pid = getpid(), self = gettid();
	struct dirent *de;
	DIR *d;

	keep_for_threads = keep;
	atomic_store(&threads_done, 0);
	atomic_store(&thread_err, 0);
	sigemptyset(&sa.sa_mask);
	/* left installed: a signal still pending after a time-out must not
	 * take the default action (terminate) */
	if (sigaction(sig, &sa, NULL))
		return -errno;
	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0 || tid == self)
			continue;
		if (syscall(SYS_tgkill, pid, tid, sig) == 0)
			sent++;
	}
	closedir(d);
	/* each handler runs as soon as its thread is scheduled: 10 s is for
	 * a machine under heavy load */
	for (int i = 0; i < 10000 && atomic_load(&threads_done) < sent; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (atomic_load(&threads_done) < sent)
		return -ETIMEDOUT;
	return atomic_load(&thread_err);
}

static void put_str(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

/* A forbidden call: say which, then die of it. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char num[16], *p = num + sizeof(num);
	unsigned int nr = si->si_syscall;

	*--p = '\0';
	do
		*--p = '0' + nr % 10;
	while (nr /= 10);
	put_str("leaktrace: sandbox: forbidden system call ");
	put_str(p);
	put_str(" (ausyscall or scmp_sys_resolver names it): killed; "
		"--no-sandbox turns the sandbox off\n");
	signal(SIGSYS, SIG_DFL);
	raise(SIGSYS);
}

static int add_arg_rules(scmp_filter_ctx ctx, const struct arg_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct arg_rule *r = &rules[i];
		uint64_t value = r->nr == SCMP_SYS(tgkill) ? (uint64_t)getpid() : r->value;
		/* MASKED_EQ: datum_a is the mask, datum_b the value */
		struct scmp_arg_cmp cmp = { .arg = r->arg, .op = r->op };
		int err;

		if (r->op == SCMP_CMP_MASKED_EQ) {
			cmp.datum_a = r->mask;
			cmp.datum_b = value;
		} else {
			cmp.datum_a = value;
		}
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1, cmp);
		if (err)
			return err;
	}
	return 0;
}

static int build_filter(scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int err = -ENOMEM;

	if (!ctx)
		return err;
	for (size_t i = 0; i < N_ALLOWED; i++) {
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
		if (err)
			goto fail;
	}
	err = add_arg_rules(ctx, arg_rules, N_ARG_RULES);
	if (err)
		goto fail;
#ifdef LT_LEAK_SANITIZER
	for (size_t i = 0; i < sizeof(sanitizer_allowed) / sizeof(sanitizer_allowed[0]); i++) {
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_allowed[i], 0);
		if (err)
			goto fail;
	}
	err = add_arg_rules(ctx, sanitizer_rules, sizeof(sanitizer_rules) / sizeof(sanitizer_rules[0]));
	if (err)
		goto fail;
#endif
	/* the one write-open: -o FILE reopened on SIGHUP, in its directory
	 * and with its flags (util/safe_open.c); none without -o */
	if (safe_open_dirfd() >= 0) {
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2,
				       SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)safe_open_dirfd()),
				       SCMP_A2_32(SCMP_CMP_EQ, SAFE_OPEN_FLAGS));
		/* profiles: the temporary file emptied, renamed over -o FILE or
		 * removed, all in that directory */
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ftruncate), 0);
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat), 2,
					       SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)safe_open_dirfd()),
					       SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)safe_open_dirfd()));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat2), 2,
					       SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)safe_open_dirfd()),
					       SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)safe_open_dirfd()));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 1,
					       SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)safe_open_dirfd()));
		if (err)
			goto fail;
	}
	/* --state-dir: its files written atomically there (util/state_dir.c) */
	if (state_dir_fd() >= 0) {
		uint32_t dfd = (uint32_t)state_dir_fd();

		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2,
				       SCMP_A0_32(SCMP_CMP_EQ, dfd),
				       SCMP_A2_32(SCMP_CMP_EQ, STATE_FILE_FLAGS));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fsync), 0);
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat), 2,
					       SCMP_A0_32(SCMP_CMP_EQ, dfd), SCMP_A2_32(SCMP_CMP_EQ, dfd));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat2), 2,
					       SCMP_A0_32(SCMP_CMP_EQ, dfd), SCMP_A2_32(SCMP_CMP_EQ, dfd));
		if (!err)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 1,
					       SCMP_A0_32(SCMP_CMP_EQ, dfd));
		if (err)
			goto fail;
	}
	err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (err)
		goto fail;
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return err;
}

static void selftest_forbidden_call(void)
{
	const char *v = getenv("LEAKTRACE_SANDBOX_SELFTEST");

	if (!v || strcmp(v, "1"))
		return;
	put_str("leaktrace: sandbox self-test: calling mknodat\n");
	syscall(SYS_mknodat, AT_FDCWD, "/leaktrace-sandbox-selftest", S_IFIFO | 0600, 0);
}

int sandbox_enter(bool attach_later)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	struct __user_cap_data_struct now[2];
	scmp_filter_ctx ctx;
	uint64_t keep;
	int err;

	err = read_caps(now);
	if (err)
		goto fail;
	/* a service started with fewer capabilities keeps what it was given */
	keep = sandbox_kept_caps(attach_later) & (now[0].permitted | (uint64_t)now[1].permitted << 32);
	err = build_filter(&ctx);
	if (err)
		goto fail;
	sigemptyset(&sa.sa_mask);
	err = sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
	if (!err)
		err = drop_other_threads(keep);
	if (!err)
		err = drop_this_thread(keep);
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err)
		goto fail;
	selftest_forbidden_call();
	return 0;
fail:
	fprintf(stderr, "leaktrace: cannot enter the sandbox: %s (--no-sandbox runs without it)\n",
		strerror(-err));
	return err;
}
