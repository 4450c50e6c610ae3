// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * forged_go: a C program that leaktrace takes for a Go 1.22 program, whose
 * runtime structures are hostile (issue 16: a traced process controls
 * everything leaktrace reads of it).
 *
 * What makes it "Go" for leaktrace (user/collect/go/go_binary.c, go_tracer.c):
 * a .go.buildinfo section giving "go1.22.0" (the offsets table's row), a
 * .gopclntab with a valid header whose one function name runs unterminated
 * to the end of the section, .symtab functions runtime.main/gopark/newproc1/
 * goexit0 (uprobes go on them; nothing calls them) and the data symbols
 * runtime.allgs and runtime.semtable.
 *
 * At start allgs is plausible (g 0: goid 1, started at runtime.main), so
 * leaktrace attaches. On SIGUSR1 it turns hostile: allgs claims 2^40
 * goroutines over 2^20 readable slots (the walk bound), g pointers go into
 * unmapped memory, into the middle of other gs and loop through each
 * other; a parked g has its stack bounds inverted, one a frame-pointer chain
 * that loops, one a chain that climbs for thousands of frames, one a
 * wait-reason byte out of range, one a status out of range, one a g.waiting
 * sudog list that loops; the semaphore table's treaps are sudog cycles.
 *
 *   forged_go          hostile after SIGUSR1, then unchanged
 *   forged_go --churn  after SIGUSR1 a thread rewrites everything without
 *                      pause: allgs reallocated and its length changed, g
 *                      fields, stacks and sudogs overwritten with garbage
 *
 * Prints "ready PID" once plausible, "hostile" after SIGUSR1; runs until
 * killed. Offsets: Go 1.22's row of user/collect/go/go_offsets.c.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pthread.h>

/* struct g (Go 1.22) */
#define G_STACK_LO	0
#define G_STACK_HI	8
#define G_SCHED_SP	56
#define G_SCHED_PC	64
#define G_SCHED_BP	104
#define G_STATUS	144
#define G_GOID		152
#define G_WAITREASON	176
#define G_GOPC		280
#define G_STARTPC	296
#define G_WAITING	312
#define G_SIZE		512
/* struct sudog */
#define SUDOG_G		0
#define SUDOG_NEXT	8
#define SUDOG_PREV	16
#define SUDOG_ELEM	24
#define SUDOG_WAITLINK	64
#define SUDOG_C		80
#define SUDOG_SIZE	96

#define STATUS_RUNNING	2
#define STATUS_WAITING	4
#define MAX_ALLGS	(1u << 20)	/* leaktrace's walk bound: slots it reads */
#define N_GS		16
#define STACK_BYTES	(64 << 10)

/* .go.buildinfo: magic, pointer size 8, flags 2 (version inline at 32) */
struct buildinfo {
	char magic[14];
	uint8_t ptrsize, flags;
	uint8_t pad[16];
	uint8_t vlen;
	char version[15];
};
__attribute__((section(".go.buildinfo"), used, aligned(16)))
const struct buildinfo go_buildinfo = {
	.magic = "\xff Go buildinf:", .ptrsize = 8, .flags = 2,
	.vlen = 8, .version = "go1.22.0",
};

/* .gopclntab (Go 1.20+ header): one function whose name has no NUL before
 * the end of the section */
#define PCLN_FUNCTAB	72
#define PCLN_SIZE	(PCLN_FUNCTAB + 16 + 48 + 11)
__attribute__((section(".gopclntab"), used, aligned(8)))
const uint8_t go_pclntab[PCLN_SIZE] = {
	0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8,
	[8] = 1,						/* nfunc */
	[16] = 1,						/* nfiles */
	[32] = PCLN_SIZE - 11,					/* funcnames */
	[40] = PCLN_FUNCTAB, [48] = PCLN_FUNCTAB, [56] = PCLN_FUNCTAB,
	[64] = PCLN_FUNCTAB,					/* functab */
	[PCLN_FUNCTAB + 4] = 16,				/* func 0 at +16 */
	[PCLN_FUNCTAB + 9] = 0x10,				/* end: text + 4096 */
	[PCLN_SIZE - 11] = 'r', 'u', 'n', 't', 'i', 'm', 'e', '.', 'g', 'o', 'p',
};

/* what leaktrace looks up by name in .symtab */
struct go_slice {
	uint64_t ptr, len, cap;
};
struct go_slice go_allgs __asm__("runtime.allgs") __attribute__((used));
uint8_t go_semtable[251 * 64] __asm__("runtime.semtable") __attribute__((used, aligned(64)));

void go_runtime_main(void) __asm__("runtime.main");
void go_runtime_gopark(void) __asm__("runtime.gopark");
void go_runtime_newproc1(void) __asm__("runtime.newproc1");
void go_runtime_goexit0(void) __asm__("runtime.goexit0");
__attribute__((noinline, used)) void go_runtime_main(void) { __asm__ volatile("nop; nop"); }
__attribute__((noinline, used)) void go_runtime_gopark(void) { __asm__ volatile("nop; nop; nop"); }
__attribute__((noinline, used)) void go_runtime_newproc1(void) { __asm__ volatile("nop; nop; nop; nop"); }
__attribute__((noinline, used)) void go_runtime_goexit0(void) { __asm__ volatile("nop; nop; nop; nop; nop"); }

static uint8_t *gs_mem;		/* N_GS structs g */
static uint8_t *stacks;		/* N_GS stacks */
static uint8_t *sudogs;		/* 8 sudogs */
static uint64_t *slots;		/* MAX_ALLGS g pointers */
static volatile sig_atomic_t hostile;

static void put64(uint8_t *base, size_t off, uint64_t v)
{
	memcpy(base + off, &v, 8);
}

static uint8_t *g_at(int i)
{
	return gs_mem + (size_t)i * G_SIZE;
}

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void parked_g(int i, uint64_t goid)
{
	uint8_t *g = g_at(i), *st = stacks + (size_t)i * STACK_BYTES;

	memset(g, 0, G_SIZE);
	put64(g, G_STACK_LO, addr(st));
	put64(g, G_STACK_HI, addr(st + STACK_BYTES));
	put64(g, G_SCHED_SP, addr(st + STACK_BYTES / 2));
	put64(g, G_SCHED_PC, addr(go_runtime_gopark));
	put64(g, G_SCHED_BP, addr(st + STACK_BYTES / 2));
	put64(g, G_STATUS, STATUS_WAITING);
	put64(g, G_GOID, goid);
	g[G_WAITREASON] = 7;	/* "chan receive" in 1.22 */
	put64(g, G_GOPC, addr(go_runtime_newproc1));
	put64(g, G_STARTPC, addr(go_runtime_goexit0));
}

/* Everything hostile at once; allgs last so no reader sees half of it. */
static void forge(void)
{
	uint8_t *st;

	/* g 2: stack bounds inverted */
	parked_g(2, 2);
	put64(g_at(2), G_STACK_LO, addr(stacks + 3 * STACK_BYTES));
	put64(g_at(2), G_STACK_HI, addr(stacks + 2 * STACK_BYTES));
	/* g 3: a frame-pointer chain that points at itself */
	parked_g(3, 3);
	st = stacks + 3 * STACK_BYTES + STACK_BYTES / 2;
	put64(st, 0, addr(st));
	put64(st, 8, addr(go_runtime_main) + 1);
	/* g 4: a chain climbing 16 bytes a frame to the stack's top (thousands) */
	parked_g(4, 4);
	st = stacks + 4 * STACK_BYTES;
	for (size_t off = STACK_BYTES / 2; off + 32 <= STACK_BYTES; off += 16) {
		put64(st, off, addr(st + off + 16));
		put64(st, off + 8, addr(go_runtime_main) + off);
	}
	/* g 5: wait reason byte out of range */
	parked_g(5, 5);
	g_at(5)[G_WAITREASON] = 0xff;
	/* g 6: status out of range */
	parked_g(6, 6);
	put64(g_at(6), G_STATUS, 0x7777);
	/* g 7: g.waiting, a sudog list that loops (waitlink, next, prev) */
	parked_g(7, 7);
	for (int s = 0; s < 8; s++) {
		uint8_t *sd = sudogs + s * SUDOG_SIZE, *nx = sudogs + ((s + 1) % 8) * SUDOG_SIZE;

		put64(sd, SUDOG_G, addr(g_at(7)));
		put64(sd, SUDOG_NEXT, addr(nx));
		put64(sd, SUDOG_PREV, addr(sd));
		put64(sd, SUDOG_ELEM, 0xdead0000);
		put64(sd, SUDOG_WAITLINK, addr(nx));
		put64(sd, SUDOG_C, 0);	/* no channel: leaktrace goes on to the semtable */
	}
	put64(g_at(7), G_WAITING, addr(sudogs));
	/* g 8: goid huge, every pc garbage */
	parked_g(8, UINT64_MAX);
	put64(g_at(8), G_SCHED_PC, 0x1);
	put64(g_at(8), G_STARTPC, UINT64_MAX);
	put64(g_at(8), G_GOPC, 0xffff800000000000ULL);
	/* every semaphore treap root: the looping sudogs */
	for (int i = 0; i < 251; i++)
		put64(go_semtable, i * 64 + 8, addr(sudogs + (i % 8) * SUDOG_SIZE));

	/* the slots: plausible g 0 first, then the forged gs, pointers into
	 * unmapped memory and into the middle of gs, then g 4 over and over */
	slots[1] = 0xdead00000000ULL;
	slots[2] = addr(g_at(2));
	slots[3] = addr(g_at(3));
	slots[4] = addr(g_at(4));
	slots[5] = addr(g_at(5));
	slots[6] = addr(g_at(6));
	slots[7] = addr(g_at(7));
	slots[8] = addr(g_at(8));
	slots[9] = addr(g_at(2)) + 3;
	slots[10] = UINT64_MAX - 7;
	for (size_t i = 11; i < MAX_ALLGS; i++)
		slots[i] = addr(g_at(4 + (i % 5)));
	go_allgs.cap = 1ULL << 40;
	__atomic_store_n(&go_allgs.len, 1ULL << 40, __ATOMIC_RELEASE);
}

/* --churn: rewrite without pause while leaktrace walks */
static void *churn(void *arg)
{
	uint64_t x = 88172645463325252ULL;

	(void)arg;
	for (unsigned long round = 0;; round++) {
		uint64_t r;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		r = x;
		switch (round % 6) {
		case 0:	/* allgs reallocated: moved, resized, length past cap */
			go_allgs.ptr = r & 1 ? addr(slots) : addr(slots) + (r >> 8) % 4096 * 8;
			go_allgs.len = r >> 40;
			go_allgs.cap = r & 2 ? go_allgs.len : go_allgs.len / 2;
			break;
		case 1:	/* a g field rewritten */
			put64(g_at(r % N_GS), (r >> 8) % (G_SIZE / 8) * 8, r);
			break;
		case 2:	/* a stack word rewritten */
			put64(stacks, (r >> 8) % (N_GS * STACK_BYTES / 8) * 8,
			      r & 1 ? r : addr(stacks) + (r >> 20) % (N_GS * STACK_BYTES));
			break;
		case 3:	/* a slot pointed at a g, a sudog, a stack or nowhere */
			slots[(r >> 8) % MAX_ALLGS] = r & 1 ? addr(g_at((r >> 4) % N_GS)) :
						     r & 2 ? addr(sudogs) : r & 4 ? addr(stacks) : r;
			break;
		case 4:	/* a sudog word rewritten */
			put64(sudogs, (r >> 8) % (8 * SUDOG_SIZE / 8) * 8,
			      r & 1 ? addr(sudogs) + (r >> 16) % (8 * SUDOG_SIZE) : r);
			break;
		default: /* a g rebuilt whole, or its status flipped */
			if (r & 1)
				parked_g(2 + (r >> 4) % (N_GS - 2), r >> 8);
			else
				put64(g_at((r >> 4) % N_GS), G_STATUS, r & 2 ? STATUS_WAITING : r >> 60);
		}
	}
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	hostile = 1;
}

static void *mapping(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	bool do_churn = argc > 1 && !strcmp(argv[1], "--churn");
	pthread_t th;

	gs_mem = mapping(N_GS * G_SIZE);
	stacks = mapping(N_GS * STACK_BYTES);
	sudogs = mapping(8 * SUDOG_SIZE);
	slots = mapping(MAX_ALLGS * sizeof(*slots));
	/* plausible: g 0 is the main goroutine, running, started at runtime.main */
	memset(g_at(0), 0, G_SIZE);
	put64(g_at(0), G_GOID, 1);
	put64(g_at(0), G_STARTPC, addr(go_runtime_main));
	put64(g_at(0), G_STATUS, STATUS_RUNNING);
	slots[0] = addr(g_at(0));
	go_allgs.ptr = addr(slots);
	go_allgs.len = go_allgs.cap = 1;
	signal(SIGUSR1, on_usr1);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!hostile)
		pause();
	forge();
	printf("hostile\n");
	fflush(stdout);
	if (do_churn && pthread_create(&th, NULL, churn, NULL) == 0)
		pthread_join(th, NULL);
	for (;;)
		pause();
}
