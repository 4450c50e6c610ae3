#!/usr/bin/env python3
"""Pool links (issue 24 item 3): a thread pool's idle workers, each waiting
on a condition of its own that the pool's idle queue links, are no threads
on private objects; threads that wait each on a condition nobody links
still leak. Prints TAP.

tools/workloads/pool_idle_queue starts 6 workers, one every 0.5 s, each
parked at once with no timeout on a condvar in a struct on its own stack:
healthy, the struct is queued LIFO on the pool's idle list (malloc'ed head,
each entry in the struct of the worker before it), as Varnish's pools do;
--private, nothing links it. Both have the shape the spread rule reads as a
leak (created over the observation, parked at once, none left). Each is run
through `leaktrace -v -p PID -t 2s -i 2s -d 8s -f json`: the pool is idle by
pool_linked with every worker but the queue's head linked (each through the
struct of the worker before it: evidence.linked_units), the twin is leak
with none linked. The cost of each pass (bytes read, ms) is printed
from -v; then leaktrace leaves no BPF program.
"""
import re
import sys

from ltlib import Workload, final_records, json_records, run, run_checks

LT_ARGS = ["-v", "-t", "2s", "-i", "2s", "-d", "8s", "-f", "json"]
WORKERS = 6


def site_of(private):
    """(role tids, the site of those tids, the -v lines of the link passes)."""
    role = "private" if private else "idle"
    w = Workload(["pool_idle_queue", "--workers", str(WORKERS), "--every", "0.5"] +
                 (["--private"] if private else []))
    try:
        rc, out, err = run(["-p", str(w.pid)] + LT_ARGS, timeout=60)
    finally:
        w.stop()
    if rc != 0:
        raise RuntimeError("leaktrace exited %d: %s" % (rc, err[-300:]))
    tids = w.roles.get(role, [])
    sites = [s for s in final_records(json_records(out))
             if s.get("type") == "site" and set(tids) & set(s.get("tids", []))]
    passes = [l for l in err.splitlines() if "pool links: pid %d:" % w.pid in l]
    return tids, (sites[0] if len(sites) == 1 else None), passes


def show(s):
    if not s:
        return "no single site"
    return "%s: %s; evidence %s" % (s.get("verdict"), s.get("reason"), s.get("evidence"))


def figures(t, what, passes):
    """The cost of the passes as -v printed them."""
    for l in passes[-2:]:
        t.diag("%s: %s" % (what, l.split("pool links: ", 1)[1]))
    kib = [int(m.group(1)) for m in (re.search(r"(\d+) KiB read", l) for l in passes) if m]
    t.ok(bool(passes) and all(k > 0 for k in kib),
         "%s: the links were read (%d passes, %s KiB each)" % (what, len(passes), kib[-1:] or "-"))


def check_pool(t):
    tids, s, passes = site_of(private=False)
    ev = (s or {}).get("evidence", {})
    t.ok(len(tids) == WORKERS and s and len(s.get("tids", [])) == WORKERS,
         "pool: the %d idle workers are one site" % WORKERS, show(s))
    t.ok(s and s["verdict"] == "idle" and ev.get("heuristic") == "pool_linked" and
         "queue" in s["reason"],
         "pool: idle by pool_linked (its queue links each worker's condition)", show(s))
    # the queue's head is linked by the pool's own struct, not through a worker
    t.ok(ev.get("links_checked") == WORKERS and ev.get("linked_units") == WORKERS - 1,
         "pool: every worker but the queue's head linked (linked_units %s of %s)" % (
             ev.get("linked_units"), ev.get("links_checked")), show(s))
    figures(t, "pool", passes)


def check_private(t):
    tids, s, passes = site_of(private=True)
    ev = (s or {}).get("evidence", {})
    t.ok(s and s["verdict"] == "leak" and "private objects" in s["reason"],
         "private: threads each on a condition nobody links are leak", show(s))
    t.ok(ev.get("links_checked") == WORKERS and ev.get("linked_units") == 0,
         "private: none linked (linked_units %s of %s)" % (
             ev.get("linked_units"), ev.get("links_checked")), show(s))
    figures(t, "private", passes)


def main():
    run_checks([check_pool, check_private])


if __name__ == "__main__":
    sys.exit(main())
