#!/usr/bin/env python3
"""End-to-end: exact loss accounting at the per-report capture cap.

20,000 threads of one process park at once (many_parked, 64 KiB stacks):
one report asks the kernel for at most 16,384 stacks. The threads over the
cap must be counted as such (drops.capture_cap, stack_error -11 EAGAIN,
stack_deferred), not as "woke or exited" (-116 ESTALE, capture 0, as
before), be the youngest parks, get their stacks in the next report, and
with --events get them as "changed" records, with no wait-shaped site
appearing for one report. Then threads that wake or exit between a
report's scan and its capture (park_cycle) are counted as capture_ran and
capture_exited, and in every report each cause's count is the number of
threads showing its stack_error."""
import os
import re
import shutil
import tempfile

from ltlib import Tap, Workload, json_records, leftovers, run, split_reports

t = Tap()
N = 20000
CAP = 16384
TMP = tempfile.mkdtemp(prefix="lt-drops-")


def room_for_threads(n):
    """Free pids and threads for n more (pid_max and threads-max are host-wide)."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    with open("/proc/sys/kernel/threads-max") as f:
        threads_max = int(f.read())
    used = sum(len(os.listdir("/proc/%s/task" % p)) for p in os.listdir("/proc")
               if p.isdigit() and os.path.isdir("/proc/%s/task" % p))
    return min(pid_max, threads_max) - used >= n + 500, (pid_max, threads_max, used)


def reports_of(path):
    with open(path) as f:
        return split_reports(json_records(f.read()))


def ours(recs, pid, typ):
    return [r for r in recs if r.get("type") == typ and r.get("pid") == pid]


def check_snapshot(w):
    path = os.path.join(TMP, "snap.json")
    rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "8s", "-d", "20s", "-f", "json",
                      "-o", path], timeout=120)
    t.ok(rc == 0, "snapshot: leaktrace exits 0", err)
    reps = reports_of(path)
    if not t.ok(len(reps) >= 2, "snapshot: two reports or more (%d)" % len(reps)):
        return
    first, second = reps[0], reps[1]
    rep1, rep2 = first[-1], second[-1]
    threads = ours(first, w.pid, "thread")
    parked = len(threads)
    over = parked - CAP
    t.diag("first report: %d parked, %d captured, drops %s, capture_failures %d, capture %.0f ms"
           % (parked, rep1["captures"], rep1["drops"], rep1["capture_failures"], rep1["capture_ms"]))
    t.ok(parked > CAP + 3000, "snapshot: more than the cap parked in the first report (%d)" % parked)
    t.ok(rep1["drops"].get("capture_cap") == over,
         "snapshot: report 1 drops.capture_cap == parked - 16384 == %d" % over, rep1["drops"])
    deferred = [r for r in threads if r.get("stack_error") == -11 and r.get("stack_deferred")]
    t.ok(len(deferred) == over, "snapshot: %d threads stack_error -11 (EAGAIN) and stack_deferred"
         % over, len(deferred))
    stale = [r["tid"] for r in threads if r.get("stack_error") == -116]
    t.ok(not stale and rep1["drops"].get("capture_ran") == 0 and rep1["drops"].get("capture") == 0,
         "snapshot: none blamed on a thread that ran (-116, capture_ran, capture)",
         (stale[:5], rep1["drops"]))
    t.ok(rep1["capture_failures"] == over,
         "snapshot: capture_failures is the sum of the capture causes", rep1)
    t.ok(all("site" not in r for r in deferred), "snapshot: a deferred thread names no site yet",
         deferred[:1])
    captured = [r for r in threads if "user_stack" in r]
    t.ok(deferred and captured and max(r["parked_seconds"] for r in deferred) <=
         min(r["parked_seconds"] for r in captured),
         "snapshot: the deferred threads are the youngest parks (oldest captured first)",
         (max(r["parked_seconds"] for r in deferred or [{"parked_seconds": 0}]),
          min(r["parked_seconds"] for r in captured or [{"parked_seconds": 0}])))
    threads2 = ours(second, w.pid, "thread")
    no_stack = [r["tid"] for r in threads2 if "user_stack" not in r]
    t.ok(len(threads2) >= parked and not no_stack,
         "snapshot: report 2: every parked thread has its stack (%d without)" % len(no_stack),
         no_stack[:10])
    was_deferred = {r["tid"] for r in deferred}
    t.ok(was_deferred <= {r["tid"] for r in threads2 if "user_stack" in r},
         "snapshot: the threads deferred in report 1 have stacks in report 2")
    t.ok(rep2["capture_failures"] == 0 and rep2["drops"].get("capture_cap") == over,
         "snapshot: report 2 loses nothing (capture_cap total stays %d)" % over, rep2)
    t.ok(rep2["captures"] == over, "snapshot: report 2 captures exactly the deferred ones (%d)"
         % rep2["captures"], rep2)
    site2 = max(ours(second, w.pid, "site"), key=lambda x: x["threads"], default=None)
    t.ok(site2 and site2["threads"] > CAP and site2["evidence"]["arrivals"] == 0,
         "snapshot: report 2: the deferred threads join their stack's site without counting "
         "as arrivals (they were parked already)",
         site2 and (site2["threads"], site2["evidence"]))
    check_causes_match(reps)


# stack_error of a thread left without a stack, per drop name
ERRNO_OF = {"capture_cap": -11, "capture_ran": -116, "capture_exited": -3,
            "capture_no_frames": -61}


def check_causes_match(reps, label="snapshot"):
    """Every report: each capture cause's count (the growth of its total)
    is the number of threads showing its stack_error, and they sum to
    capture_failures."""
    prev, bad = {}, []
    for i, rep in enumerate(reps):
        drops = rep[-1]["drops"]
        threads = [r for r in rep if r.get("type") == "thread"]
        lost = {k: drops[k] - prev.get(k, 0) for k in drops}
        for name, err in ERRNO_OF.items():
            shown = sum(1 for r in threads if r.get("stack_error") == err)
            if shown != lost.get(name, 0):
                bad.append((i, name, lost.get(name), shown))
        if sum(v for k, v in lost.items() if k.startswith("capture")) != rep[-1]["capture_failures"]:
            bad.append((i, "capture_failures", rep[-1]["capture_failures"], lost))
        prev = drops
    t.ok(not bad, "%s: in every report, each cause's count is the threads with its "
         "stack_error, summing to capture_failures" % label, bad)


def check_cycle(exit_mode):
    """Threads that park 1.5 s at a time, wakes spread: with -t 1s some of
    those a scan found parked wake (or exit) before their capture."""
    label = "exiting threads" if exit_mode else "waking threads"
    w = Workload(["park_cycle", "--threads", "4000", "--period-ms", "1500"] +
                 (["--exit"] if exit_mode else []), timeout=60)
    path = os.path.join(TMP, "cycle-%d.json" % exit_mode)
    try:
        rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "2s", "-d", "9s", "-f", "json",
                          "-o", path], timeout=60)
    finally:
        w.stop()
    t.ok(rc == 0, "%s: leaktrace exits 0" % label, err)
    reps = reports_of(path)
    if not t.ok(len(reps) >= 3, "%s: three reports or more (%d)" % (label, len(reps))):
        return
    drops = reps[-1][-1]["drops"]
    t.diag("%s: drops at the end %s" % (label, {k: v for k, v in drops.items() if v}))
    name = "capture_exited" if exit_mode else "capture_ran"
    t.ok(drops.get(name, 0) > 0, "%s: counted as %s (%s)" % (label, name, drops.get(name)), drops)
    t.ok(drops.get("capture_cap") == 0 and drops.get("capture_failed") == 0,
         "%s: nothing over the cap, no iterator failure" % label, drops)
    if not exit_mode:
        t.ok(drops.get("capture_exited") == 0, "%s: none counted as exited" % label, drops)
    check_causes_match(reps, label)


def check_events(w):
    path = os.path.join(TMP, "events.json")
    rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "8s", "-d", "20s", "-f", "json",
                      "--events", "-o", path], timeout=120)
    t.ok(rc == 0, "events: leaktrace exits 0", err)
    reps = reports_of(path)
    if not t.ok(len(reps) >= 2, "events: two reports or more (%d)" % len(reps)):
        return
    new = [r for r in ours(reps[0], w.pid, "thread") if r.get("event") == "new"]
    no_stack = {r["tid"] for r in new if "user_stack" not in r}
    deferred = {r["tid"] for r in new if r.get("stack_deferred")}
    over = reps[0][-1]["drops"].get("capture_cap")
    t.ok(len(deferred) == len(no_stack) == over and over > 3000,
         "events: %d new threads without stack, all deferred, as counted in drops.capture_cap"
         % len(no_stack), (len(deferred), over))
    changed = {r["tid"] for r in ours(reps[1], w.pid, "thread")
               if r.get("event") == "changed" and "user_stack" in r}
    missing = no_stack - changed
    t.ok(no_stack and not missing, "events: every thread new without a stack gets a changed "
         "record with it in report 2 (%d missing)" % len(missing), sorted(missing)[:10])
    sites = [r for rep in reps for r in ours(rep, w.pid, "site")]
    t.ok(not [s for s in sites if s.get("event") == "gone"],
         "events: no site appears for one report and goes (no wait-shaped site)",
         [(s["event"], s["site"], s["threads"]) for s in sites])
    t.ok(all("user_stack" in s for s in sites if s.get("event") == "new"),
         "events: every new site carries a stack",
         [(s["event"], s["site"], s["threads"]) for s in sites])


def check_text(w):
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "8s", "-d", "9s"], timeout=120)
    t.ok(rc == 0, "text: leaktrace exits 0", err)
    first = out.split("final report:")[0]
    m = re.search(r"threads parked >= \S+: (\d+) in", first)
    note = re.search(r"^note: (\d+) threads over the per-report capture cap of 16384, "
                     r"retried next report \[capture_cap\]$", first, re.M)
    t.ok(m and note and int(note.group(1)) == int(m.group(1)) - CAP,
         "text: the note names the cap and counts the threads over it",
         [l for l in first.splitlines() if "parked >=" in l or l.startswith(("note", "dropped"))])
    t.ok("woke or exited" not in out, "text: no thread blamed for waking or exiting")


DEEP_PY = """
import sys, threading
sys.setrecursionlimit(1000)
def deep(n):
    if n == 0:
        print("READY", flush=True)
        threading.Event().wait()
    deep(n - 1)
deep(int(sys.argv[1]))
"""


def check_python_cut():
    """A Python thread parked 200 calls deep: its walk stops at 128 frames,
    counted as python_walks_cut; 100 deep is not cut."""
    for depth, cut in ((200, 1), (100, 0)):
        w = Workload(["python3", "-c", DEEP_PY, str(depth)], timeout=30)
        try:
            rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "2s", "-d", "3s", "-f", "json"])
        finally:
            w.stop()
        reps = split_reports(json_records(out)) if rc == 0 else []
        first = reps[0] if reps else []
        th = [r for r in first if r.get("type") == "thread"]
        # Python frames are "function (file:line)", native ones "symbol+0xoff"
        py = [sum(bool(re.search(r" \(.*:\d+\)$", f)) for f in r.get("user_stack", []))
              for r in th]
        drops = first[-1]["drops"] if first else {}
        t.ok(rc == 0 and drops.get("python_walks_cut") == cut and py and
             (max(py) == 128 if cut else depth < max(py) < 128),
             "python %d calls deep: python_walks_cut %d, %s Python frames" %
             (depth, cut, "128" if cut else "all"), (rc, err, drops, py))


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return
    ok, figures = room_for_threads(N)
    if not t.ok(ok, "room for %d more threads (pid_max, threads-max, in use: %s)" % (N, figures)):
        t.done()
    w = Workload(["many_parked", "--threads", str(N)], timeout=180)
    try:
        check_snapshot(w)
        check_events(w)
        check_text(w)
    finally:
        w.stop()
    check_cycle(False)
    check_cycle(True)
    check_python_cut()
    t.ok(leftovers() == [], "nothing left loaded", leftovers())
    shutil.rmtree(TMP, ignore_errors=True)
    t.done()


main()
