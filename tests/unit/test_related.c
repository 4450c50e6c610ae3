// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of judge/related.c: judged sites of one process that share a
 * socket, an unanswering peer or a wait object are one finding, led by the
 * worst site (ties: the one whose culprit is the program's own code). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "judge/related.h"
#include "model/frame.h"
#include "model/report.h"

#define PID 100

static const struct frame readloop_frames[] = {
	{ .kind = FRAME_GO, .function = "internal/poll.(*FD).Read" },
	{ .kind = FRAME_GO, .function = "net/http.(*persistConn).readLoop" },
};
static const struct frame handler_frames[] = {
	{ .kind = FRAME_GO, .function = "internal/poll.(*FD).Read" },
	{ .kind = FRAME_GO, .function = "main.rawCall" },
};
static const struct frame *const readloop_stack[] = { &readloop_frames[0], &readloop_frames[1] };
static const struct frame *const handler_stack[] = { &handler_frames[0], &handler_frames[1] };

/* One site of pid with one goroutine unit: its index. */
static size_t add_site(struct report *r, uint32_t pid, enum verdict v, const struct frame *const *stack)
{
	struct site_report *s = report_add_site(r);
	struct goroutine_report *g = report_add_goroutine(r);

	assert_non_null(s);
	assert_non_null(g);
	memset(s, 0, sizeof(*s));
	memset(g, 0, sizeof(*g));
	s->kind = UNIT_GOROUTINE;
	s->pid = g->pid = pid;
	s->group = 0x1000 + r->n_sites;
	s->n_units = 1;
	s->verdict = g->verdict = v;
	s->first_unit = r->n_goroutines - 1;
	g->site_index = r->n_sites - 1;
	g->stack = stack;
	g->stack_len = stack ? 2 : 0;
	return r->n_sites - 1;
}

static void set_peer(struct report *r, size_t site, const char *peer)
{
	struct goroutine_report *g = &r->goroutines[r->sites[site].first_unit];

	g->awaiting_peer = true;
	snprintf(g->peer, sizeof(g->peer), "%s", peer);
}

/* The readLoop and the program's own call wait on one peer: one finding,
 * led by the own code's site; another peer and an idle site stay apart. */
static void test_same_peer(void **state)
{
	struct report r = { 0 };
	size_t loop, own, other, idle;

	(void)state;
	loop = add_site(&r, PID, VERDICT_STUCK, readloop_stack);
	own = add_site(&r, PID, VERDICT_STUCK, handler_stack);
	other = add_site(&r, PID, VERDICT_STUCK, handler_stack);
	idle = add_site(&r, PID, VERDICT_IDLE, NULL);
	set_peer(&r, loop, "127.0.0.1:8080");
	set_peer(&r, own, "127.0.0.1:8080");
	set_peer(&r, other, "127.0.0.1:9090");
	set_peer(&r, idle, "127.0.0.1:8080");
	assert_int_equal(related__group(&r), 0);
	assert_int_equal(r.sites[loop].related_to, own + 1);
	assert_int_equal(r.sites[own].related_to, 0);
	assert_int_equal(r.sites[own].n_related, 1);
	assert_int_equal(r.sites[other].related_to, 0);
	assert_int_equal(r.sites[other].n_related, 0);
	assert_int_equal(r.sites[idle].related_to, 0);
	assert_int_equal(r.sites[idle].n_related, 0);
	report_free(&r);
}

/* The worst verdict leads, whatever its frames; the same socket in two
 * processes (inode numbers are per host, but facts are per process) and
 * sites sharing nothing are not grouped. */
static void test_worst_leads(void **state)
{
	struct report r = { 0 };
	size_t stuck, leak, elsewhere, lone;

	(void)state;
	stuck = add_site(&r, PID, VERDICT_STUCK, handler_stack);
	leak = add_site(&r, PID, VERDICT_LEAK, readloop_stack);
	elsewhere = add_site(&r, PID + 1, VERDICT_STUCK, handler_stack);
	lone = add_site(&r, PID, VERDICT_STUCK, handler_stack);
	r.goroutines[stuck].sock_inode = 77;
	r.goroutines[leak].sock_inode = 77;
	r.goroutines[elsewhere].sock_inode = 77;
	r.goroutines[lone].sock_inode = 78;
	assert_int_equal(related__group(&r), 0);
	assert_int_equal(r.sites[stuck].related_to, leak + 1);
	assert_int_equal(r.sites[leak].n_related, 1);
	assert_int_equal(r.sites[elsewhere].related_to, 0);
	assert_int_equal(r.sites[lone].related_to, 0);
	report_free(&r);
}

/* Causes chain: a shares a channel with b, b a socket with a connection
 * site c: one finding of three; the connection's peer key alone joins too. */
static void test_chain(void **state)
{
	struct report r = { 0 };
	struct site_report *cs;
	struct conn_report *c;
	size_t a, b;

	(void)state;
	a = add_site(&r, PID, VERDICT_STUCK, handler_stack);
	b = add_site(&r, PID, VERDICT_STUCK, readloop_stack);
	r.goroutines[a].wait_object = 0xc000080180;
	r.goroutines[b].wait_object = 0xc000080180;
	r.goroutines[b].sock_inode = 4242;
	cs = report_add_site(&r);
	c = report_add_conn(&r);
	assert_non_null(cs);
	assert_non_null(c);
	memset(cs, 0, sizeof(*cs));
	memset(c, 0, sizeof(*c));
	cs->kind = UNIT_CONNECTION;
	cs->pid = c->pid = PID;
	cs->n_units = 1;
	cs->verdict = c->verdict = VERDICT_STUCK;
	c->inode = 4242;
	c->site_index = r.n_sites - 1;
	assert_int_equal(related__group(&r), 0);
	assert_int_equal(r.sites[a].related_to, 0);
	assert_int_equal(r.sites[a].n_related, 2);
	assert_int_equal(r.sites[b].related_to, a + 1);
	assert_int_equal(r.sites[2].related_to, a + 1);
	report_free(&r);
}

/* A second judging of the same report regroups from scratch. */
static void test_regroup(void **state)
{
	struct report r = { 0 };
	size_t a, b;

	(void)state;
	a = add_site(&r, PID, VERDICT_STUCK, handler_stack);
	b = add_site(&r, PID, VERDICT_STUCK, readloop_stack);
	set_peer(&r, a, "10.0.0.1:443");
	set_peer(&r, b, "10.0.0.1:443");
	assert_int_equal(related__group(&r), 0);
	assert_int_equal(related__group(&r), 0);
	assert_int_equal(r.sites[a].n_related, 1);
	assert_int_equal(r.sites[b].related_to, a + 1);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_peer),
		cmocka_unit_test(test_worst_leads),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_regroup),
	};

	return cmocka_run_group_tests_name("related sites", tests, NULL, NULL);
}
