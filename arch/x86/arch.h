/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * x86-64 facts, shared by the BPF programs and userspace: the user registers
 * a stack capture saves, syscall numbers, the syscall argument registers and
 * the Go register ABI. A port to another architecture adds arch/NAME/arch.h
 * with the same names (the Makefile refuses an architecture without one).
 */
#ifndef LT_ARCH_H
#define LT_ARCH_H

#define LT_ARCH_NAME		"x86-64"
#define LT_ARCH_ELF_MACHINE	62	/* EM_X86_64 */

/* User registers saved in struct lt_stack_rec, in pt_regs names. */
#define LT_ARCH_USER_REGS(X) \
	X(ip) X(sp) X(bp) X(bx) X(r12) X(r13) X(r14) X(r15) \
	X(ax) X(cx) X(dx) X(si) X(di) X(r8) X(r9) X(r10) X(r11)

/* DWARF register numbers 0..16 of x86-64 (rax rdx rcx rbx rsi rdi rbp rsp
 * r8-r15 rip), as lt_stack_rec fields: what libdwfl's unwinder is seeded with. */
#define LT_ARCH_DWARF_REGS(r) { \
	(r)->ax, (r)->dx, (r)->cx, (r)->bx, (r)->si, (r)->di, (r)->bp, (r)->sp, \
	(r)->r8, (r)->r9, (r)->r10, (r)->r11, (r)->r12, (r)->r13, (r)->r14, (r)->r15, \
	(r)->ip }
#define LT_ARCH_DWARF_NREGS	17

/* Syscall number and arguments in the saved user registers (pt_regs). */
#define LT_ARCH_SYSCALL_NR	orig_ax
#define LT_ARCH_SYSCALL_ARGS(X)	X(0, di) X(1, si) X(2, dx) X(3, r10) X(4, r8) X(5, r9)

/* Go's ABIInternal: the current g lives in R14; integer arguments go in
 * RAX, RBX, RCX, RDI, RSI, R8-R11 (gopark's wait reason is the third, CL). */
#define LT_GO_G_REG		r14
#define LT_GO_ARG1_REG		ax
#define LT_GO_ARG2_REG		bx
#define LT_GO_ARG3_REG		cx

/* Syscalls a thread can park in, by x86-64 number. */
enum lt_syscall_nr {
	LT_NR_read = 0, LT_NR_write = 1, LT_NR_poll = 7, LT_NR_pread64 = 17, LT_NR_readv = 19,
	LT_NR_writev = 20, LT_NR_select = 23, LT_NR_pause = 34, LT_NR_nanosleep = 35,
	LT_NR_connect = 42, LT_NR_accept = 43, LT_NR_sendto = 44, LT_NR_recvfrom = 45,
	LT_NR_sendmsg = 46, LT_NR_recvmsg = 47, LT_NR_wait4 = 61, LT_NR_semget = 64,
	LT_NR_semop = 65, LT_NR_msgsnd = 69, LT_NR_msgrcv = 70, LT_NR_fcntl = 72,
	LT_NR_flock = 73, LT_NR_rt_sigtimedwait = 128, LT_NR_rt_sigsuspend = 130,
	LT_NR_futex = 202, LT_NR_semtimedop = 220, LT_NR_clock_nanosleep = 230,
	LT_NR_epoll_wait = 232, LT_NR_waitid = 247, LT_NR_pselect6 = 270, LT_NR_ppoll = 271,
	LT_NR_epoll_pwait = 281, LT_NR_accept4 = 288, LT_NR_preadv = 295,
	LT_NR_recvmmsg = 299, LT_NR_io_uring_enter = 426, LT_NR_epoll_pwait2 = 441,
	LT_NR_futex_waitv = 449,
	LT_NR_MAX = 512,	/* bound of the name table */
};

/* X(number, name) for every syscall above: the name table of the outputs. */
#define LT_ARCH_SYSCALLS(X) \
	X(read) X(write) X(poll) X(pread64) X(readv) X(writev) X(select) X(pause) \
	X(nanosleep) X(connect) X(accept) X(sendto) X(recvfrom) X(sendmsg) X(recvmsg) \
	X(wait4) X(semget) X(semop) X(msgsnd) X(msgrcv) X(fcntl) X(flock) \
	X(rt_sigtimedwait) X(rt_sigsuspend) X(futex) X(semtimedop) X(clock_nanosleep) \
	X(epoll_wait) X(waitid) X(pselect6) X(ppoll) X(epoll_pwait) X(accept4) \
	X(preadv) X(recvmmsg) X(io_uring_enter) X(epoll_pwait2) X(futex_waitv)

#endif /* LT_ARCH_H */
