#!/usr/bin/env python3
"""Wakers for threads (issue 24 item 2): a thread is proven never to wake
when every thread that could wake it is itself proven never to wake. Prints
TAP.

tools/workloads/wakers_threads forks a child that holds the only write end
of a pipe the parent's reader thread reads. In the child two threads
deadlock AB-BA on two pthread mutexes and the child's main thread joins one
of them: the pair is a deadlock (owner_cycle), the joiner a leak (its join
target never exits) and the reader in the other process a leak (every
thread holding the write end never wakes), both with evidence.proof
waker_chain and the chain in the site's waker_chain. The --alive twin's
writer loops on sleeps and is what the child joins: the reader and the
joiner are not proven (stuck or idle). Run the pair through leaktrace with
-p both pids, -t 2s -i 2s -d 8s; then leaktrace leaves no BPF program.
"""
import os
import sys

from ltlib import Workload, final_records, json_records, run, run_checks

LT_ARGS = ["-t", "2s", "-i", "2s", "-d", "8s", "-f", "json"]


def sites_of(alive):
    """(workload, {role: site}) after leaktrace watched the pair."""
    w = Workload(["wakers_threads"] + (["--alive"] if alive else []))
    child = w.tid("joiner")
    try:
        rc, out, err = run(["-p", "%d,%d" % (w.pid, child)] + LT_ARGS, timeout=60)
    finally:
        w.stop()
        try:
            os.kill(child, 9)       # dies with its parent already (PDEATHSIG)
        except ProcessLookupError:
            pass
    if rc != 0:
        raise RuntimeError("leaktrace exited %d: %s" % (rc, err[-300:]))
    sites = [s for s in final_records(json_records(out)) if s.get("type") == "site"]
    by_role = {}
    for role, tids in w.roles.items():
        for s in sites:
            if tids[0] in s.get("tids", []):
                by_role[role] = s
    return w, by_role


def show(s):
    if not s:
        return "no site"
    return "%s (%s): %s; evidence %s; chain %s" % (
        s.get("verdict"), s.get("pid"), s.get("reason"), s.get("evidence"),
        s.get("waker_chain"))


def proof(s):
    return (s or {}).get("evidence", {}).get("proof")


def chain_tids(s):
    return [(c["pid"], c["tid"]) for c in (s or {}).get("waker_chain", [])]


def check_deadlocked(t):
    w, s = sites_of(alive=False)
    a, b, joiner, reader = (w.tid(r) for r in ("deadlock_a", "deadlock_b", "joiner", "reader"))
    child = joiner
    for role in ("deadlock_a", "deadlock_b"):
        t.ok(s.get(role, {}).get("verdict") == "deadlock" and proof(s.get(role)) == "owner_cycle",
             "deadlock: %s is deadlock, proof owner_cycle" % role, show(s.get(role)))
    j = s.get("joiner")
    t.ok(j and j["verdict"] == "leak" and proof(j) == "waker_chain",
         "deadlock: the join of a deadlocked thread is leak, proof waker_chain", show(j))
    t.ok(chain_tids(j)[:2] == [(child, joiner), (child, a)] and
         j["waker_chain"][0].get("waits_for") == "join" and
         {(child, a), (child, b)} <= set(chain_tids(j)),
         "deadlock: the joiner's chain is joiner -join-> deadlock_a -> deadlock_b", show(j))
    rd = s.get("reader")
    t.ok(rd and rd["verdict"] == "leak" and proof(rd) == "waker_chain",
         "deadlock: the pipe reader whose only writer process is deadlocked is leak, "
         "proof waker_chain", show(rd))
    ch = chain_tids(rd)
    t.ok(len(ch) >= 2 and ch[0] == (w.pid, reader) and
         rd["waker_chain"][0].get("waits_for") == "pipe" and
         ch[1][0] == child and {(child, a), (child, b)} <= set(ch),
         "deadlock: the reader's chain starts with a pipe edge into the child's threads "
         "and reaches the AB-BA pair", show(rd))


def check_alive(t):
    w, s = sites_of(alive=True)
    rd, j = s.get("reader"), s.get("joiner")
    t.ok(rd and rd["verdict"] in ("idle", "stuck") and not proof(rd),
         "alive: the reader whose writer loops on sleeps is not proven (idle/stuck)", show(rd))
    t.ok(j and j["verdict"] in ("idle", "stuck") and not proof(j),
         "alive: the join of a running thread is not proven (idle/stuck)", show(j))


def main():
    run_checks([check_deadlocked, check_alive])


if __name__ == "__main__":
    sys.exit(main())
