/* pid_reuse: a new process under the pid of one that has exited (the
 * pid-reuse case of `leaktrace -p`). Creates a child with exactly pid PID
 * (clone3 with set_tid: no race with other processes for the pid, as a
 * write to /proc/sys/kernel/ns_last_pid would have) that names itself
 * "reused-pid" and parks in pause() until the parent exits or --seconds
 * (default 60) pass; with -- PROGRAM ARGS, it executes PROGRAM (an absolute
 * path) instead, with the same bounds. The pid must be free: the old
 * process reaped.
 *
 *   REUSED <pid>         the child exists under PID
 *   READY
 *   BUSY <errno>         PID is taken (or clone3 failed): exit 1
 *
 * Usage: pid_reuse PID [--seconds SEC] [-- PROGRAM ARGS...]. SIGTERM ends
 * both. */
#include "wl_common.h"
#include <linux/sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static pid_t clone_with_pid(pid_t pid)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&pid;
	args.set_tid_size = 1;
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* The child: a fork without glibc's bookkeeping, so raw system calls only. */
WL_NOINLINE void reused_child(unsigned int seconds, char **program)
{
	prctl(PR_SET_NAME, "reused-pid", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	alarm(seconds);		/* kept across execve */
	if (program) {
		execv(program[0], program);
		_exit(127);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	unsigned int seconds = 60;
	char **program = NULL;
	pid_t pid, child;

	if (argc < 2 || (pid = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: pid_reuse PID [--seconds SEC]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--") && i + 1 < argc) {
			program = &argv[i + 1];
			break;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	child = clone_with_pid(pid);
	if (child < 0) {
		printf("BUSY %d\n", errno);
		return 1;
	}
	if (child == 0)
		reused_child(seconds, program);
	printf("REUSED %d\nREADY\n", child);
	/* SIGTERM to the parent: the child dies with it (PDEATHSIG) */
	signal(SIGTERM, wl_exit_handler);
	waitpid(child, NULL, 0);
	return 0;
}
