/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One report: parked threads and per-process summaries of one interval. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leaktrace.h"
#include "model/drops.h"
#include "model/facts.h"
#include "model/identity.h"
#include "model/wait.h"

struct frame;	/* model/frame.h: a report only points at stacks */

/* Ordered by severity: --min-verdict and --fail-on-leak compare them. */
enum verdict {
	VERDICT_NONE = 0,	/* not judged yet */
	VERDICT_IDLE,		/* healthy idle shape: pool, event loop, timed wait */
	VERDICT_STUCK,		/* worth a look: alone and never woken, D state, held lock */
	VERDICT_LEAK,		/* parked threads accumulate at one site */
	VERDICT_DEADLOCK,	/* lock-order cycle */
};

const char *verdict_name(enum verdict v);
/* Parse "idle", "stuck", "leak", "deadlock"; -EINVAL otherwise. */
int verdict_parse(const char *s, enum verdict *v);

#define LT_MAX_CYCLE 8

/* Where a wait object lives in its process (collect/threads/regions.c). */
enum object_region { OBJECT_REGION_UNKNOWN, OBJECT_REGION_GLOBAL, OBJECT_REGION_HEAP };

/* Whether a condition wait's object is linked from the process's memory
 * outside the waiter's own stack (collect/threads/pool_links.c): a pool's
 * queue can hand such a worker work, so its object is no private one. */
enum wait_link { WAIT_LINK_UNKNOWN, WAIT_LINK_NONE, WAIT_LINK_OUTSIDE };

/* What HotSpot says of a thread of a JVM (collect/java), as jstack would:
 * owned by the Java collector until its next report. */
#define JAVA_INFO_NAME_LEN 64
struct java_info {
	char name[JAVA_INFO_NAME_LEN];			/* java.lang.Thread name, or the OS name of
					 * a JVM thread that is no Java thread */
	const char *state;		/* "BLOCKED", "WAITING"...; NULL: no Java thread */
	const char *waits;		/* "monitor enter", "Object.wait", "park", NULL */
	char lock_class[96];		/* class of what it waits for, "" = none */
	uint32_t owner;			/* tid holding it, 0 = none or unknown */
	bool runtime;			/* the JVM's own: GC, compiler, VM, reference handler */
	bool carrier;			/* carries virtual threads (21+) */
	bool vthread_mounted;		/* a carrier with a virtual thread mounted */
};

struct thread_report {
	uint32_t pid, tid;
	char comm[LT_COMM_LEN];		/* process name */
	char thread[LT_COMM_LEN];	/* thread name */
	char thread_name[JAVA_INFO_NAME_LEN];	/* the runtime's name of it (Java's
					 * Thread name, Python's threading
					 * name), "" = none: collectors */
	char state;			/* 'S', 'D' or 'T' (stopped by a signal) */
	uint64_t parked_ns;		/* how long it has been parked */
	uint64_t parked_since_ns;	/* CLOCK_REALTIME of the park */
	bool park_seen;			/* park time from sched_switch, not exec_start */
	uint64_t age_ns;		/* since the thread was created */
	uint32_t creator_tid;		/* 0 = unknown (created before leaktrace) */
	uint64_t wakeups;
	bool wakeups_known;		/* precise mode: wakeups is counted */
	uint64_t nvcsw;
	struct wait_info wait;
	/* stacks, filled when captured: innermost first, each one block
	 * (model/frame.h) */
	struct frame *user_stack;
	int n_user;
	struct frame *kernel_stack;
	int n_kernel;
	int stack_err;			/* 0, or -errno of a failed capture (docs/outputs.md
					 * "Drops": -EAGAIN over the cap, -ESTALE ran,
					 * -ESRCH exited, -ENODATA no frame) */
	bool stack_deferred;		/* not captured for the per-report cap:
					 * asked first in the next report */
	bool stacks_borrowed;		/* frames belong to the stack cache, not to us */
	uint64_t site;			/* hash of the stack, 0 = no stack */
	bool go_runtime;		/* an OS thread of the Go runtime: set by the Go collector */
	const struct java_info *java;	/* a thread of a HotSpot JVM, NULL = none */
	/* facts (collectors, before the judge: model/facts.h) */
	uint32_t lock_owner;		/* tid holding the mutex it waits for, 0 = none */
	uint8_t object_region;		/* enum object_region of a condition wait's object */
	uint8_t wait_link;		/* enum wait_link (candidate sites only) */
	bool awaiting_peer;		/* waits on a TCP connection whose peer has not
					 * answered its request (collect/sockets/) */
	uint32_t peer_silent_ms;	/* since the request's last byte was sent */
	char peer[56];			/* that peer, "127.0.0.1:8080" */
	/* judge */
	uint64_t group;			/* site, or the wait's shape when no stack */
	enum verdict verdict;
	size_t site_index;		/* into report.sites */
};

/* What the Go collector tells the judge about a goroutine's wait. */
enum goroutine_flags {
	GOROUTINE_RUNTIME = 1 << 0,	/* started by the runtime itself */
	GOROUTINE_IDLE_WAIT = 1 << 1,	/* sleep, timer or GC wait */
	GOROUTINE_LISTENER = 1 << 2,	/* IO wait inside an Accept */
	GOROUTINE_MAIN = 1 << 3,	/* the main goroutine */
	GOROUTINE_FOREVER = 1 << 4,	/* provably never woken: nil channel, empty select */
	GOROUTINE_SEND = 1 << 5,	/* blocked sending on a channel */
	GOROUTINE_REST = 1 << 6,	/* waits for something to happen: receive, select,
					 * sync.Cond, WaitGroup (not a lock, not a send) */
	GOROUTINE_LOCK = 1 << 7,	/* waits for a sync.Mutex or RWMutex */
	/* proven blocked forever: no root can reach what it waits on
	 * (collect/go/go_reach.c); the kind of that object: */
	GOROUTINE_UNREACHABLE = 1 << 8,
	GOROUTINE_WAITS_CHANNEL = 1 << 9,	/* a channel or select */
	GOROUTINE_LOCK_CYCLE = 1 << 10,	/* a lock held by a waiter of one it holds */
	GOROUTINE_RUNTIME_LEAKED = 1 << 11,	/* the program's own Go 1.26+ leak
					 * detector marked it leaked (_Gleaked) */
};

/* One parked goroutine (collect/go/go_report.c). Its strings and frames
 * belong to the Go collector's snapshot, kept until the next report. */
struct goroutine_report {
	uint32_t pid;
	uint64_t goid;
	uint32_t status;		/* the runtime's _Gwaiting... (scan bit off) */
	bool system;			/* started by a runtime.* function */
	uint64_t parked_ns;
	double parked_seconds;		/* as the runtime's clock gave it */
	bool parked_estimated;		/* parked before attach: the age is a lower bound */
	uint64_t wait_object;		/* channel/semaphore it waits on, 0 = unknown */
	const char *wait_reason;	/* the runtime's words: "chan send" */
	const char *created_by;		/* "main.handler at /path/main.go:14", or NULL */
	const char *start_func;		/* "main.handler.func1", or NULL */
	const struct frame *const *stack;	/* innermost first: FRAME_GO frames */
	int stack_len;
	uint32_t flags;			/* enum goroutine_flags */
	uint64_t site;			/* hash of creation site and stack */
	/* not a parked goroutine: the one shown for the live goroutines of
	 * its creation site (model/facts.h), site is theirs; NULL = parked */
	const struct live_site *live;
	/* IO wait on a socket: its fd and inode (collect/go/go_netpoll.c);
	 * sock_inode 0 = none found */
	int32_t sock_fd;
	uint64_t sock_inode;
	bool send_queued;		/* its socket holds data the peer has not taken */
	/* that socket awaits its peer's reply (collect/sockets/peers.c): as
	 * struct thread_report's */
	bool awaiting_peer;
	uint32_t peer_silent_ms;
	char peer[56];
	/* every channel it waits on (a select's cases): n_wait_chans */
	const uint64_t *wait_chans;
	uint8_t n_wait_chans;
	/* awaiting_peer through another goroutine: this one, in IO wait on
	 * the silent peer, holds a channel it waits on, and no goroutine on
	 * another peer does (an HTTP handler's select and its transport's
	 * readLoop; collect/go/go_holders.c); 0 = none */
	uint64_t peer_via_goid;
	/* woken through another goroutine: this one, woken by a timer of its
	 * own, holds a channel it waits on (a backoff ticker's goroutine and
	 * the retry loop on its channel; collect/go/go_holders.c); 0 = none */
	uint64_t timer_waker_goid;
	/* judge */
	enum verdict verdict;
	size_t site_index;		/* into report.sites */
};

/* What a report follows: the kinds of parked units (judge/units.c). */
enum unit_kind {
	UNIT_THREAD,
	UNIT_GOROUTINE,
	UNIT_CONNECTION,	/* a request a TCP peer has not answered */
	UNIT_KINDS,
};

/* A TCP connection of a traced process that sent a request its peer has
 * not answered, and that no reported thread waits on (an event loop's:
 * collect/sockets/peers.c). One park is one request: bytes_acked moves with the next. */
struct conn_report {
	uint32_t pid;
	uint64_t inode;
	char local[56], peer[56];	/* "127.0.0.1:40000" */
	uint64_t silent_ns;		/* since the request's last byte was sent */
	uint64_t bytes_acked;
	uint64_t site;			/* the peer (address and port): its upstream */
	/* judge */
	enum verdict verdict;
	size_t site_index;		/* into report.sites */
};

/* Parked units of one kind and process grouped by stack (or wait, without
 * stacks; or peer, for connections). */
struct site_report {
	uint8_t kind;			/* enum unit_kind */
	uint32_t pid;
	uint64_t group;
	uint64_t site;			/* stack id, 0 = none */
	char comm[LT_COMM_LEN];
	uint32_t n_units;		/* threads, goroutines or connections (kind) */
	uint64_t min_parked_ns, max_parked_ns;
	uint32_t distinct_wait_objects;
	bool no_timeout;		/* every wait has no timeout */
	bool event_loop;		/* epoll/poll/select/io_uring waits */
	bool timed;			/* every wait carries a timeout */
	bool disk;			/* some thread in D state */
	bool woken_since_park;		/* a thread got wake-ups without running */
	bool wakeups_known;		/* precise mode: woken_since_park means something */
	bool lock_wait;			/* some thread waits for a held mutex */
	bool signal_wait;		/* every thread waits for signals */
	bool owner_resting;		/* the mutex owner rests in an event loop */
	bool stopped;			/* every thread stopped by a signal (T) */
	bool awaiting_peer;		/* every thread waits on a TCP connection whose
					 * peer has not answered its request for
					 * longer than the threshold (collect/sockets/peers.c) */
	uint32_t peer_silent_ms;	/* the shortest such silence */
	uint8_t baseline;		/* enum site_baseline (judge/baseline.h) */
	bool started_with_process;	/* every thread was created within the first
					 * seconds of its process (a service's own) */
	char peer[56];			/* the peer of the first one */
	uint8_t object_region;		/* enum object_region: where a lone unit's
					 * wait object lives */
	uint32_t links_checked;		/* units whose wait_link is known */
	uint32_t linked_units;		/* of them, WAIT_LINK_OUTSIDE: a pool links them */
	uint32_t arrivals;		/* threads that joined while observed */
	uint32_t departures;		/* threads that left (ran or exited) */
	uint32_t reports_seen;
	uint32_t growth_reports;	/* reports in which more arrived than left */
	double observed_seconds;
	double growth_per_min;		/* net arrivals per minute observed (rules.c) */
	enum verdict verdict;
	const char *reason;		/* static, one phrase */
	struct evidence evidence;	/* the proof or the rule that decided */
	size_t first_unit;		/* index of its longest-parked unit in the
					 * report's array of its kind (threads,
					 * goroutines, conns) */
	uint64_t cycle[LT_MAX_CYCLE];	/* deadlock: ids (tids) of the units in the cycle */
	uint8_t cycle_edge[LT_MAX_CYCLE];	/* enum owner_kind: what cycle[i] waits
					 * for cycle[i + 1] (the last: cycle[0]) to do */
	uint32_t cycle_len;
	/* proof waker_chain (judge/wakers.c): from the site's longest-parked
	 * thread, each unit whose wake-up the one before waits for */
	uint64_t chain[LT_MAX_CYCLE];		/* tids */
	uint32_t chain_pid[LT_MAX_CYCLE];
	uint8_t chain_edge[LT_MAX_CYCLE];	/* enum owner_kind: what chain[i] waits
						 * for chain[i + 1] to do */
	uint32_t chain_len;
	bool chain_cycle;			/* the last waits for chain[0] */
	uint32_t stacks_deferred;	/* threads grouped by their wait because
					 * their capture waits for a next report */
	/* one finding per cause (judge/related.c): sites of one process
	 * sharing a socket, a peer or a wait object */
	size_t related_to;		/* 1 + index of its finding's primary site, 0 = none */
	uint32_t n_related;		/* sites whose related_to names this one */
};

struct proc_report {
	uint32_t pid;
	char comm[LT_COMM_LEN];
	uint32_t live_threads;
	uint64_t created, exited;		/* during this interval */
	uint64_t created_total, exited_total;	/* since leaktrace started */
	uint32_t parked;			/* threads in this report */
	bool alive;				/* seen by the last scan */
	uint64_t start_ns;			/* CLOCK_MONOTONIC start, 0 = unknown */
	const struct identity *identity;	/* identity_cache.c; NULL = unknown */
	uint64_t exe_key;			/* its executable (build-id, else the file),
						 * with --baseline (exe_keys.c); 0 = unknown */
	/* Go processes (go_report.c) */
	bool is_go;
	char go_version[32];
	uint64_t go_live;			/* goroutines, the runtime's included (as in go_parked) */
	uint64_t go_created, go_exited;		/* during this interval, UINT64_MAX = unknown */
	uint64_t go_created_total, go_exited_total;	/* since attach, UINT64_MAX = unknown */
	uint32_t go_parked;			/* goroutines in this report */
	uint64_t go_cut;			/* goroutines/sudogs not read: walk bounds, budget */
	/* HotSpot JVMs (java_report.c): virtual thread carriers, 21+ */
	bool is_java;				/* its Java threads were read this report */
	uint32_t java_carriers;			/* carrier threads (CarrierThread) */
	uint32_t java_vthreads_mounted;		/* virtual threads mounted on them */
};

/* One cache of the shared byte budget (util/mem_budget.h), as reported. */
#define LT_MAX_CACHES 8
struct cache_report {
	const char *name;
	uint64_t bytes;		/* what its entries hold now */
	uint64_t entries;
	uint64_t evictions;	/* entries dropped to stay within the budget */
};

struct thread_key {
	uint32_t pid, tid;
	size_t index;
};

struct report {
	uint64_t mono_ns;		/* CLOCK_MONOTONIC when taken */
	uint64_t real_ns;		/* CLOCK_REALTIME when taken */
	uint64_t threshold_ns;
	uint64_t interval_ns;		/* since the previous report */
	int64_t clock_lag_ns;		/* CLOCK_MONOTONIC minus the task clock of park times */
	bool final;
	bool summarize_all;		/* summaries of every traced process, not only those with parked threads */
	/* where the report comes from (session.c): this host's name, and the
	 * Kubernetes node from NODE_NAME (NULL when not set) */
	const char *host, *node;
	uint64_t threads_scanned;
	uint64_t lost[DROP_MAX];		/* this report's losses, each collector
					 * adds its own (model/drops.h) */
	uint64_t drops[DROP_MAX];	/* losses since start: lost summed */
	uint64_t capture_failures;	/* stacks asked for and not obtained */
	uint64_t python_failures;	/* Python frame walks that failed (marker frame left) */
	uint64_t python_ns;		/* spent in Python frame walks and thread
					 * names (part of capture_ns) */
	uint64_t java_ns;		/* spent reading JVMs' threads (part of scan_ns) */
	/* The report's deadline (CLOCK_MONOTONIC, 0 = none; session.c): the
	 * slow collectors (unwinding, Go snapshots, lock owners) stop there
	 * and count in lost[DROP_DEADLINE_CUT] what they left (stacks, Go
	 * processes, lock-owner reads); the next report picks it up again. */
	uint64_t deadline_ns;
	struct thread_report *threads;
	size_t n_threads, cap_threads;
	/* (pid, tid) -> index into threads, built by report_sort */
	struct thread_key *by_tid;
	size_t n_by_tid, cap_by_tid;
	struct proc_report *procs;
	size_t n_procs, cap_procs;
	struct site_report *sites;
	size_t n_sites, cap_sites;
	struct goroutine_report *goroutines;
	size_t n_goroutines, cap_goroutines;
	struct conn_report *conns;
	size_t n_conns, cap_conns;
	/* facts beyond a unit's own record (model/facts.h) */
	struct owner_edge *owners;
	size_t n_owners, cap_owners;
	struct unit_proof *proofs;
	size_t n_proofs, cap_proofs;
	enum verdict worst;		/* highest verdict in this report */
	enum verdict min_verdict;	/* outputs skip threads and sites below it */
	/* cost of this report: scan, stack capture + unwinding, verdicts */
	uint64_t scan_ns, capture_ns, judge_ns;
	uint64_t captures;		/* stacks captured and unwound */
	long max_rss_kb;		/* leaktrace's peak RSS so far */
	uint64_t rss_bytes;		/* leaktrace's RSS now */
	/* the per-process caches' byte budget (util/mem_budget.h) */
	uint64_t budget_limit, budget_used;
	int n_caches;
	struct cache_report caches[LT_MAX_CACHES];
};

/* The site a parked thread groups in: its stack, or its wait's shape
 * without one (judge/units.c; collectors that need to know which threads
 * are alone in their site). */
uint64_t report_thread_group(const struct thread_report *t);

/* Append an empty site entry. NULL on allocation failure. */
struct site_report *report_add_site(struct report *r);

/* Append an empty connection entry. NULL on allocation failure. */
struct conn_report *report_add_conn(struct report *r);

/* Append an empty goroutine entry. NULL on allocation failure. */
struct goroutine_report *report_add_goroutine(struct report *r);

/* Facts (model/facts.h): waiter waits for its owner (same process), or a
 * unit never wakes. NULL on allocation failure. */
struct owner_edge *report_add_owner(struct report *r, const struct owner_edge *e);
struct unit_proof *report_add_proof(struct report *r, const struct unit_proof *p);

/* Whether r's deadline has passed (never when it has none). */
bool report_past_deadline(const struct report *r);

/* Whether a peer silent for silent_ms is past r's threshold: the unit
 * stalls on it (the peer rule, collect/sockets/peers.c). */
static inline bool report_peer_past_threshold(const struct report *r, uint32_t silent_ms)
{
	return silent_ms * 1000000ull >= r->threshold_ns;
}

/* Empty r, keeping its buffers. */
void report_reset(struct report *r);
void report_free(struct report *r);

/* The summary of pid, NULL if there is none. */
const struct proc_report *report_find_proc(const struct report *r, uint32_t pid);

/* Find or add the summary of pid. NULL on allocation failure. */
struct proc_report *report_proc(struct report *r, uint32_t pid);

/* Append an empty thread entry. NULL on allocation failure. */
struct thread_report *report_add_thread(struct report *r);

/* The thread tid of process pid in r, NULL if it is not in the report.
 * O(log n) after report_sort, O(n) on threads added since. */
const struct thread_report *report_find_thread(const struct report *r, uint32_t pid, uint32_t tid);

/* Sort: processes by pid, threads by pid then longest parked first; index
 * threads by (pid, tid) for report_find_thread. */
void report_sort(struct report *r);

/* The park time (on the scheduler's task clock, as the iterator reads it)
 * before which a thread is parked past the threshold: mono_ns minus
 * threshold_ns minus clock_lag_ns; 0 when none can be. The iterator
 * applies it in BPF, report_add_record again. */
uint64_t report_park_cutoff(const struct report *r);

/* Fill r->threads and the summary of its process from one iterator
 * record. A thread enters the report when it is parked (S/D) since
 * report_park_cutoff(r) or earlier. */
int report_add_record(struct report *r, const struct lt_thread_rec *rec);

/* Fill the summary of one process (alive, live threads, name). */
int report_add_proc_record(struct report *r, const struct lt_proc_rec *rec);

#endif
