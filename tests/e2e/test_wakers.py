#!/usr/bin/env python3
"""Wakers (issue 24): a unit that something can still wake is never a leak
by shape. Prints TAP.

Timers: tools/workloads/go/timerwait starts goroutines one by one (every
100 ms), each in a select on channels of its own that nobody sends on or
closes, so a shape rule sees parked goroutines keep arriving on private
objects. With -timer, one case of each select is its own time.Timer's
channel: the runtime timer wakes it (idle, reason "sleep, timer or GC
wait"); without, the twin's leak stays a leak. With -ticker, a goroutine per
start loops on a select over its own time.Ticker and a quit channel. With
-fed, a goroutine per start waits on channels of its own that a feeder on a
ticker holds (main.waitFed), and one waits on a WaitGroup whose worker waits
so (main.waitGroupFed): idle, "a timer wakes" the holder
(collect/go/go_holders.c), while the twin's unfed waiters stay a leak. (A plain
receive on a timer's channel is left to the shape rules: ranging over a
stopped Ticker blocks forever, tests/e2e/test_gobugs.py ticker_stop_range.) Built by the system's Go (before Go 1.23: a timer's channel told by
its capacity and element) and by Go 1.26 from .output/cache/go (hchan.timer),
DWARF and stripped, and with GODEBUG=asynctimerchan=0 (the timer
channels of Go 1.23+, hchan.timer set); a toolchain missing from the cache is fetched (tools/go-toolchains.sh);
one that cannot be is `not ok` (`# SKIP` with LEAKTRACE_GO_OFFLINE=1).
"""
import json
import os
import subprocess
import sys

from ltlib import LEAKTRACE, Tap, final_records, go_toolchains, json_records, stop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, ".output")
WL_SRC = os.path.join(ROOT, "tools", "workloads", "go")
LT_ARGS = ["-t", "2s", "-i", "2s", "-d", "10s", "-f", "json"]
N = 40


def toolchains():
    """(name, go binary or None, why missing)"""
    go126, why = go_toolchains(["1.26"])["1.26"]
    return [("system", "go", ""), ("go1.26", go126, why)]


def build(go, outdir):
    env = dict(os.environ, GO=go)
    subprocess.run([os.path.join(WL_SRC, "build.sh"), outdir, "timerwait"], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def sites_of(binary, args, env=None):
    """Goroutine sites of the workload's waiters (start function main.wait*
    or main.tick), after leaktrace watched it start them."""
    wl = subprocess.Popen([binary, "-n", str(N), "-fed", "-range"] + args, stdout=subprocess.PIPE,
                          stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, **(env or {})))
    try:
        r = subprocess.run([LEAKTRACE, "-p", str(wl.pid)] + LT_ARGS, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        stop(wl)
    if r.returncode != 0:
        raise RuntimeError("leaktrace exited %d: %s" % (r.returncode, r.stderr[-300:]))
    return [s for s in final_records(json_records(r.stdout))
            if s.get("type") == "site" and s.get("kind") == "goroutine"
            and (s.get("start_func", "").startswith(("main.wait", "main.range"))
                 or s.get("start_func") == "main.tick")]


def check(t, tag, binary, env=None):
    sites = sites_of(binary, ["-timer", "-ticker"], env)
    fed_sites = sites
    for fn, what in (("main.waitTimer", "select with a timer case"),
                     ("main.tick", "select loop over a ticker")):
        mine = [s for s in sites if s["start_func"] == fn]
        t.ok(mine and all(s["verdict"] == "idle" and "timer" in s["reason"] for s in mine),
             "%s: %s is idle (a timer wakes it)" % (tag, what),
             "\n".join("%s %d: %s" % (s["verdict"], s["threads"], s["reason"]) for s in mine)
             or "no site of %s" % fn)
    sites = sites_of(binary, [], env)
    mine = [s for s in sites if s["start_func"] == "main.waitForever"]
    t.ok(any(s["verdict"] == "leak" for s in mine),
         "%s: the twin without a timer (nothing can wake it) is still a leak, beside fed "
         "waiters" % tag,
         "\n".join("%s %d: %s" % (s["verdict"], s["threads"], s["reason"]) for s in mine)
         or "no site of main.waitForever")
    for fn, what in (("main.waitFed", "a select on channels a ticker goroutine holds"),
                     ("main.waitGroupFed", "a WaitGroup whose worker waits so")):
        mine = [s for s in fed_sites + sites if s["start_func"] == fn]
        t.ok(mine and all(s["verdict"] == "idle" and "a timer wakes" in s["reason"]
                          for s in mine),
             "%s: %s is idle (a timer wakes its holder)" % (tag, what),
             "\n".join("%s %d: %s" % (s["verdict"], s["threads"], s["reason"]) for s in mine)
             or "no site of %s" % fn)
    # ranging over a Ticker: with Go 1.23+ timer channels (hchan.timer) a
    # running one is told from a stopped one (timer.when); else both are
    # left to the shape rules: only the stopped one is checked there
    timer_chans = name_of(tag) != "system" and (env or {}).get("GODEBUG") == "asynctimerchan=0"
    all_sites = fed_sites + sites
    stopped = [s for s in all_sites if s["start_func"] == "main.rangeStopped"]
    t.ok(stopped and all(s["verdict"] == "leak" for s in stopped),
         "%s: ranging over a stopped Ticker (blocked forever) is a leak" % tag,
         "\n".join("%s %d: %s" % (s["verdict"], s["threads"], s["reason"]) for s in stopped)
         or "no site of main.rangeStopped")
    running = [s for s in all_sites if s["start_func"] == "main.rangeTicker"]
    if timer_chans:
        t.ok(running and all(s["verdict"] == "idle" and "timer" in s["reason"] for s in running),
             "%s: ranging over a running Ticker is idle (its timer runs)" % tag,
             "\n".join("%s %d: %s" % (s["verdict"], s["threads"], s["reason"]) for s in running)
             or "no site of main.rangeTicker")
    else:
        t.diag("%s: ranging over a running Ticker (no hchan.timer: left to shapes): %s" % (
            tag, ", ".join("%s %d" % (s["verdict"], s["threads"]) for s in running)))


def name_of(tag):
    return tag.split()[0]


def main():
    t = Tap()
    if os.geteuid() != 0:
        t.ok(False, "needs root (loads BPF programs)")
        t.done()
    for name, go, why in toolchains():
        if go is None:
            if os.environ.get("LEAKTRACE_GO_OFFLINE") == "1":
                t.skip("%s: toolchain present" % name, "offline (%s)" % why)
            else:
                t.ok(False, "%s: toolchain present (%s)" % (name, why))
            continue
        outdir = os.path.join(OUT, "wakers-%s" % name)
        try:
            build(go, outdir)
        except subprocess.CalledProcessError as e:
            t.ok(False, "%s: timerwait built" % name, e)
            continue
        for suffix, kind in (("", "dwarf"), (".stripped", "stripped")):
            try:
                check(t, "%s %s" % (name, kind), os.path.join(outdir, "timerwait" + suffix))
            except Exception as e:
                t.ok(False, "%s %s: ran" % (name, kind), e)
        if name != "system":   # the module says go 1.19: asynctimerchan=1 by default
            try:
                check(t, "%s asynctimerchan=0" % name, os.path.join(outdir, "timerwait"),
                      {"GODEBUG": "asynctimerchan=0"})
            except Exception as e:
                t.ok(False, "%s asynctimerchan=0: ran" % name, e)
    t.done()


if __name__ == "__main__":
    sys.exit(main())
