#!/usr/bin/env python3
"""End-to-end: stalls that are not leaks, in the real kernel.

upstream_stall calls an upstream on loopback that accepts and never
answers: one thread in recv() with no timeout, one in a poll() of that
socket with a 10-minute timeout (as Apache's mod_proxy does); next to them
a client whose request was answered and a server thread waiting for its
keep-alive client, both polling with a timeout; and an epoll loop whose
request on a non-blocking socket the upstream does not answer (the thread
rests in epoll_wait, the request holds no thread). A second copy of the
workload is SIGSTOPped whole. Checks, per thread: the two upstream callers
are `stuck` with the TCP-peer reason, their function on the stack and the
peer's address in the evidence; the answered client and the keep-alive
server are `idle` and not awaiting a peer; the event loop's thread is
`idle` and its request is a `connection` site, `stuck`, listing exactly
that socket (the two callers' sockets are theirs, not connection units);
the three wait on one upstream: one finding (`related`); every thread of the stopped
process is in state T and `stuck` as stopped; after SIGCONT none is.
"""
import os
import signal
import time

from ltlib import Tap, Workload, final_records, json_records, run

t = Tap()


def sites_by_tid(recs):
    out = {}
    for r in recs:
        if r.get("type") == "site" and r.get("kind") == "thread":
            for tid in r.get("tids", []):
                out[tid] = r
    return out


def trace(pids, duration="4s"):
    rc, out, err = run(["-p", ",".join(str(x) for x in pids), "-t", "2s", "-i", "2s",
                        "-d", duration, "-f", "json"], timeout=60)
    return (rc, err), final_records(json_records(out))


def main():
    stall = Workload(["upstream_stall", "--seconds", "60"])
    stopped = Workload(["upstream_stall", "--seconds", "60"])
    try:
        os.kill(stopped.pid, signal.SIGSTOP)
        time.sleep(2.5)  # past the threshold before the first report
        p, recs = trace([stall.pid, stopped.pid])
        t.ok(p[0] == 0, "leaktrace exits 0", p[1][-2000:])
        threads = {r["tid"]: r for r in recs if r.get("type") == "thread"}
        sites = sites_by_tid(recs)
        for role, func in (("blocking", "call_upstream_blocking"),
                           ("polled", "call_upstream_polled")):
            tid = stall.tid(role)
            th, site = threads.get(tid), sites.get(tid, {})
            ev = site.get("evidence", {})
            t.ok(th is not None, "%s caller (tid %d) reported" % (role, tid))
            if not th:
                continue
            t.ok(th["verdict"] == "stuck" and "TCP peer" in site.get("reason", ""),
                 "%s caller: stuck, waits for its TCP peer" % role,
                 "%s: %s" % (th["verdict"], site.get("reason")))
            t.ok(any(func in f for f in th.get("user_stack", [])),
                 "%s caller: %s on its stack" % (role, func), th.get("user_stack"))
            t.ok(ev.get("awaiting_peer") is True and ev.get("peer", "").startswith("127.0.0.1:")
                 and ev.get("peer_silent_seconds", 0) >= 2.0,
                 "%s caller: evidence names the silent peer for >= 2 s" % role, ev)
        for role in ("answered", "server"):
            tid = stall.tid(role)
            th, site = threads.get(tid), sites.get(tid, {})
            t.ok(th is not None and th["verdict"] == "idle"
                 and site.get("evidence", {}).get("awaiting_peer") is False,
                 "%s (tid %d): idle, not awaiting a peer" % (role, tid),
                 th and "%s: %s" % (th["verdict"], site.get("reason")))
        evl = threads.get(stall.tid("evloop"))
        t.ok(evl is not None and evl["verdict"] == "idle",
             "event loop thread (tid %d): idle in epoll_wait" % stall.tid("evloop"),
             evl and evl["verdict"])
        port = int(stall.lines_starting("EVLOOP_PORT")[0].split()[1])
        conn_sites = [r for r in recs if r.get("type") == "site" and r.get("kind") == "connection"
                      and r["pid"] == stall.pid]
        conns = [c for s in conn_sites for c in s.get("connections", [])]
        t.ok(len(conn_sites) == 1 and conn_sites[0]["verdict"] == "stuck"
             and "TCP peer" in conn_sites[0]["reason"]
             and [c["local"] for c in conns] == ["127.0.0.1:%d" % port]
             and conns[0]["silent_seconds"] >= 2.0,
             "the event loop's request: one connection site, stuck, exactly its socket",
             [(s["verdict"], s["reason"], s.get("connections")) for s in conn_sites])
        # one upstream, one finding (judge/related.c): the two callers' sites
        # and the event loop's connection site share the peer
        same = [sites.get(stall.tid("blocking"), {}), sites.get(stall.tid("polled"), {})] + conn_sites
        ids = {x.get("site") for x in same}
        leads = [x for x in same if "related" in x]
        t.ok(len(ids) == 3 and len(leads) == 1
             and set(leads[0]["related"]) == ids - {leads[0]["site"]}
             and all(x.get("related_to") == leads[0]["site"] for x in same if x is not leads[0]),
             "one upstream, one finding: both callers' sites and the connection site grouped",
             [(x.get("site"), x.get("related"), x.get("related_to")) for x in same])
        frozen = [r for r in recs if r.get("type") == "thread" and r["pid"] == stopped.pid]
        t.ok(len(frozen) == 6, "stopped process: its 6 threads reported", len(frozen))
        t.ok(frozen and all(r["state"] == "T" and r["verdict"] == "stuck" for r in frozen),
             "stopped process: every thread in state T and stuck",
             [(r["tid"], r["state"], r["verdict"]) for r in frozen])
        reasons = {sites.get(r["tid"], {}).get("reason") for r in frozen}
        t.ok(reasons and all("stopped by a signal" in (x or "") for x in reasons),
             "stopped process: judged as stopped, whatever it waited on", reasons)
        os.kill(stopped.pid, signal.SIGCONT)
        time.sleep(0.5)
        p, recs = trace([stopped.pid], "3s")
        again = [r for r in recs if r.get("type") == "thread" and r["pid"] == stopped.pid]
        t.ok(p[0] == 0 and again and all(r["state"] != "T" for r in again),
             "after SIGCONT: no thread of it stopped",
             [(r["tid"], r["state"], r["verdict"]) for r in again])
    finally:
        os.kill(stopped.pid, signal.SIGCONT)
        stall.stop()
        stopped.stop()
    t.done()


if __name__ == "__main__":
    main()
