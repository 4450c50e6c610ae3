#!/usr/bin/env python3
"""Goroutines that keep running and never finish (issue 24, item 4): the Go
collector counts the live goroutines of each creation site at every walk
(collect/go/go_live.c) and the rule keeps_running (judge/rules.c) calls a
site `leak` when their number grew over at least two reports and none of
them ended, though none stays parked past the threshold. Prints TAP.

The workload tools/workloads/go/liveloop (built with DWARF and stripped)
starts 20 goroutines a second that retry forever an operation that never
succeeds, sleeping 1 ms each turn: the leak. Its healthy twins, in the same
process: a fixed pool of busy-looping workers, a goroutine per TCP
connection on each side (20 connections a second, each closed after
300 ms), loops started with the program that run forever, ticker loops,
and 50 loops started in one burst 3 s after READY (grows once, then no
more). One `leaktrace -p PID,PID -t 2s -i 2s -d 10s -f json` reads both
builds. Checks, per build:
* the retry site (start function main.retry) is in the final report,
  judged `leak` by keeps_running with its reason, main.retry on its
  stack, at least leak_min_threads goroutines, no departure, growth in
  two reports or more;
* no site of a twin is `leak`, `stuck` or `deadlock` in any report.
"""
import os
import subprocess
import sys
import time

from ltlib import LEAKTRACE, ROOT, Tap, final_records, json_records, split_reports

WL_SRC = os.path.join(ROOT, "tools", "workloads", "go")
OUTDIR = os.path.join(ROOT, ".output", "go-workloads")
# -t no shorter than -i: a park that began between two walks is dated
# halfway between them, so with -t 1s -i 2s every goroutine that parks
# anew (a ticker loop's select, a 300 ms sleep) is reported parked for 1 s
# and judged by the parked rules (measured on go1.19: the ticker twin
# `leak` by leak_growing in 1 run of 3, with or without this rule)
LT_ARGS = ["-t", "2s", "-i", "2s", "-d", "10s", "-f", "json"]
REASON = "goroutines keep running and never finish: more at each report, none exited"
LEAK = "main.retry"
TWINS = ("main.poolWorker", "main.serveConn", "main.holdConn", "main.startupLoop",
         "main.tickerLoop", "main.burstLoop")
BAD = ("leak", "stuck", "deadlock")


def build():
    subprocess.run(["make", "-s", "-C", ROOT, "leaktrace"], check=True)
    env = dict(os.environ, GO=os.environ.get("GO", "go"))
    subprocess.run([os.path.join(WL_SRC, "build.sh"), OUTDIR, "liveloop"], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def start(path):
    p = subprocess.Popen([path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if p.stdout.readline().strip() != "READY":
        p.kill()
        p.wait()
        raise RuntimeError("%s: no READY" % path)
    return p


def goroutine_sites(recs, pid):
    return [s for s in recs if s.get("type") == "site" and s.get("kind") == "goroutine" and
            s["pid"] == pid]


def check_leak(t, tag, final, pid):
    sites = [s for s in goroutine_sites(final, pid) if s.get("start_func") == LEAK]
    leak = [s for s in sites if s["verdict"] == "leak"]
    t.ok(len(leak) == 1, "%s: the retry site (%s) is leak in the final report" % (tag, LEAK),
         "; ".join("%s: %s" % (s["verdict"], s["reason"]) for s in sites) or "no site")
    if not leak:
        return
    s = leak[0]
    ev = s.get("evidence", {})
    t.ok(ev.get("heuristic") == "keeps_running" and s["reason"] == REASON,
         "%s: decided by keeps_running: %r" % (tag, s["reason"]), ev)
    t.ok(any(f.startswith(LEAK + " ") for f in s.get("stack", [])),
         "%s: %s on its stack (%s)" % (tag, LEAK, " <- ".join(s.get("stack", [])[:4])), s)
    t.ok(s["threads"] >= 3 and ev.get("departures") == 0 and ev.get("growth_reports", 0) >= 2,
         "%s: %d live, +%d over %.1fs in %d reports of growth, none exited"
         % (tag, s["threads"], ev.get("arrivals", 0), ev.get("observed_seconds", 0),
            ev.get("growth_reports", 0)), ev)


def check_twins(t, tag, recs, pid):
    every = [s for rep in split_reports(recs) for s in goroutine_sites(rep, pid)]
    for fn in TWINS:
        mine = [s for s in every if s.get("start_func") == fn]
        bad = [s for s in mine if s["verdict"] in BAD]
        t.ok(not bad, "%s: twin %s: no site leak/stuck/deadlock (%d site records, %s)"
             % (tag, fn, len(mine), ",".join(sorted({s["verdict"] for s in mine})) or "none"),
             "; ".join("%s: %s (%s)" % (s["verdict"], s["reason"],
                                        s.get("evidence", {}).get("heuristic")) for s in bad))


def main():
    t = Tap()
    if os.geteuid() != 0:
        t.ok(False, "needs root (loads BPF programs)")
        t.done()
    build()
    procs = {}
    try:
        for tag in ("dwarf", "stripped"):
            name = "liveloop" if tag == "dwarf" else "liveloop.stripped"
            procs[tag] = start(os.path.join(OUTDIR, name))
        start_s = time.time()
        r = subprocess.run([LEAKTRACE, "-p", ",".join(str(p.pid) for p in procs.values())] +
                           LT_ARGS, capture_output=True, text=True, timeout=90,
                           stdin=subprocess.DEVNULL)
        t.diag("leaktrace ran %.1fs" % (time.time() - start_s))
    finally:
        for p in procs.values():
            p.kill()
            p.wait()
    t.ok(r.returncode == 0, "leaktrace exits 0", r.stderr[-400:])
    recs = json_records(r.stdout) if r.returncode == 0 else []
    final = final_records(recs)
    for tag, p in procs.items():
        check_leak(t, tag, final, p.pid)
        check_twins(t, tag, recs, p.pid)
    t.done()


if __name__ == "__main__":
    sys.exit(main())
