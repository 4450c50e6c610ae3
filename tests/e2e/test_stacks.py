#!/usr/bin/env python3
"""End-to-end: stacks of parked threads (kernel + DWARF-unwound user stacks),
sites, stripped binaries, and that capturing does not disturb the target."""
import os
import shutil
import subprocess
import tempfile

from ltlib import (WORKLOADS, Tap, Workload, final_records, json_records, leftovers, run,
                   threads_by_tid)

t = Tap()

# what each forever-blocked thread of leaky must show
EXPECT = {
    "condvar": ("leak_condvar_worker", "pthread_cond_wait", ("futex_wait",)),
    "mutex": ("leak_mutex_worker", "pthread_mutex_lock", ("futex_wait",)),
    "pipe": ("leak_pipe_reader", "read", ("pipe_read",)),
}


def has_frame(frames, name):
    """A frame "name+0x..." (exact function name), or a substring for kernel waits."""
    return any(f == name or f.startswith(name + "+") for f in frames)


def has_sub(frames, sub):
    return any(sub in f for f in frames)


def check_leaky(label, path, stripped):
    w = Workload([path, "--exiters", "0", "--grow", "0.4"])
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "json"])
        t.ok(rc == 0, "%s: leaktrace exits 0" % label, err)
        fin = final_records(json_records(out))
        th = threads_by_tid(fin)
        w.drain()
        for role, (func, libc_func, kfuncs) in EXPECT.items():
            r = th.get(w.tid(role))
            if not t.ok(r is not None and "user_stack" in r, "%s: %s thread has stacks" % (label, role), r):
                continue
            us, ks = r["user_stack"], r["kernel_stack"]
            if stripped:
                t.ok(any("[build-id " in f for f in us),
                     "%s: %s app frames carry module+offset and build-id" % (label, role), us)
            else:
                t.ok(has_frame(us, func), "%s: %s user_stack has %s" % (label, role, func), us)
            t.ok(has_frame(us, libc_func), "%s: %s user_stack has %s" % (label, role, libc_func), us)
            t.ok(any(has_sub(ks, k) for k in kfuncs),
                 "%s: %s kernel_stack has %s" % (label, role, "/".join(kfuncs)), ks)
            t.ok(len(r["site"]) == 16, "%s: %s has a site id" % (label, role), r)
        sites = {th[w.tid(role)]["site"] for role in EXPECT if w.tid(role) in th}
        t.ok(len(sites) == 3, "%s: threads parked at different places have different sites" % label, sites)
        grow = [th[g] for g in w.roles.get("grow", []) if g in th]
        cond = th.get(w.tid("condvar"))
        t.ok(len(grow) >= 2 and cond and all(g["site"] == cond["site"] for g in grow),
             "%s: threads parked at the same place share one site (%d grow threads)" % (label, len(grow)),
             [(g["tid"], g["site"]) for g in grow])
        site_recs = [s for s in fin if s.get("type") == "site" and cond and s["site"] == cond["site"]]
        t.ok(len(site_recs) == 1 and site_recs[0]["threads"] == 1 + len(grow)
             and cond["tid"] in site_recs[0]["tids"],
             "%s: one site record counts the condvar site's threads" % label, site_recs)
    finally:
        w.stop()


leaky = os.path.join(WORKLOADS, "leaky")
check_leaky("leaky -O2 -g, no frame pointers", leaky, stripped=False)
tmp = tempfile.mkdtemp(prefix="lt-stacks-")
try:
    stripped = os.path.join(tmp, "leaky.stripped")
    shutil.copy(leaky, stripped)
    subprocess.run(["strip", "--strip-all", stripped], check=True)
    check_leaky("stripped leaky", stripped, stripped=True)
finally:
    shutil.rmtree(tmp)

# a binary deleted (or replaced) while it runs still gets symbolized
tmp = tempfile.mkdtemp(prefix="lt-deleted-")
try:
    copy = os.path.join(tmp, "leaky")
    shutil.copy(leaky, copy)
    w = Workload([copy, "--exiters", "0"])
    try:
        os.unlink(copy)
        with open(copy, "wb") as f:	# a different file at the same path
            f.write(b"#!/bin/sh\nexit 0\n")
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "2s", "-f", "json"])
        r = threads_by_tid(final_records(json_records(out))).get(w.tid("condvar"))
        t.ok(r is not None and has_frame(r.get("user_stack", []), "leak_condvar_worker"),
             "deleted and replaced binary: stack still names leak_condvar_worker",
             r and r.get("user_stack"))
    finally:
        w.stop()
finally:
    shutil.rmtree(tmp)

# C++ frames are demangled
w = Workload(["abba_deadlock"])
try:
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "2s", "-f", "json"])
    th = threads_by_tid(final_records(json_records(out)))
    for role, func in (("deadlock_a", "lock_a_then_b()"), ("deadlock_b", "lock_b_then_a()")):
        r = th.get(w.tid(role))
        t.ok(r is not None and has_frame(r.get("user_stack", []), func),
             "C++ frame demangled: %s" % func, r and r.get("user_stack"))
finally:
    w.stop()

# a pool: 8 threads parked at the same place are one site
w = Workload(["worker_pool", "--interval", "3600"])
try:
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "json"])
    th = threads_by_tid(final_records(json_records(out)))
    pool = [th[p] for p in w.roles["pool"] if p in th]
    t.ok(len(pool) == 8 and len({p["site"] for p in pool}) == 1,
         "8 pool workers share one site", [(p["tid"], p.get("site")) for p in pool])
    t.ok(all(has_frame(p["user_stack"], "pool_worker") for p in pool), "pool stacks name pool_worker",
         pool[:1])
    # options: no stacks / kernel only / depth
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "1s", "-f", "json", "--no-stacks"])
    recs = [r for r in json_records(out) if r["type"] == "thread"]
    t.ok(recs and not any("user_stack" in r for r in recs), "--no-stacks: no stacks captured")
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "1s", "-f", "json", "--kernel-stacks-only"])
    recs = [r for r in json_records(out) if r["type"] == "thread"]
    t.ok(recs and all(r["user_stack"] == [] and r["kernel_stack"] for r in recs),
         "--kernel-stacks-only: kernel stacks only", recs[:1])
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "1s", "-f", "json", "--stack-depth", "2"])
    recs = [r for r in json_records(out) if r["type"] == "thread"]
    t.ok(recs and all(len(r["user_stack"]) <= 2 for r in recs), "--stack-depth 2 caps frames", recs[:1])
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "1s"])
    t.ok("pool_worker" in out and "[idle] 8 threads" in out, "text report shows the site once with its count", out)
finally:
    w.stop()

# capture must not disturb: a timed sleep under repeated capture sleeps its full time, not restarted
w = Workload(["sleeper_timed", "--sleep", "4", "--loops", "1"])
try:
    rc, out, err = run(["-p", str(w.pid), "-t", "200ms", "-i", "200ms", "-d", "3s", "-f", "json"])
    caps = sum(r.get("captures", 0) for r in json_records(out) if r["type"] == "report")
    t.ok(caps >= 1, "the sleeping thread was captured (%d captures)" % caps, err)
    line = w.read_until("SLEPT", 10)
    ns, rc_sleep = int(line.split()[1]), int(line.split()[2])
    t.ok(rc_sleep == 0 and 3.95e9 <= ns < 4.5e9,
         "timed sleep under capture slept its full time, uninterrupted (%.3f s, rc %d)" % (ns / 1e9, rc_sleep),
         line)
finally:
    w.stop()
t.ok(leftovers() == [], "nothing left loaded", leftovers())
t.done()
