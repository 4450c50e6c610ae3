#!/usr/bin/env python3
"""End-to-end: reports a person reads in one look, with numbers that add up.

- Summaries first: 30,000 parked threads of one process print under 200
  lines of text by default (a line per service, sites worst first, 10 rows
  a site and "... N more"); --rows 0 shows every tid, --summary only the
  summary; JSON stays complete.
- A shell waiting for its child (wait4) is idle, "waits for its child";
  a child stuck forever is reported stuck itself, not hidden by its parent.
- Numbers: growth is net arrivals over the time observed (0 on first
  sight, whatever the spread of park times, shown as spread_seconds);
  goroutines parked never exceed those live; "alive" is false after the
  traced process exited; in the default mode no reason claims "never
  woken" (wake-ups are not observed).
"""
import os
import subprocess
import time

from ltlib import (LEAKTRACE, PRECISE, ROOT, Tap, Workload, final_records, json_records,
                   leftovers, threads_by_tid, wait_for)

t = Tap()
THREADS = 30000
GO_BIN = os.path.join(ROOT, ".output", "go-workloads", "preparked")


def lt(args, timeout=180):
    p = subprocess.run([LEAKTRACE] + args, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def tasks(pid):
    return sorted(int(x) for x in os.listdir("/proc/%d/task" % pid))


def check_layout():
    w = Workload(["many_parked", "--threads", str(THREADS)], timeout=180)
    try:
        last = tasks(w.pid)[-1]     # a worker's tid, a row past the first 10
        base = ["-p", str(w.pid), "-t", "1s", "-i", "2s", "-d", "4s"]
        rc, out, err = lt(base)
        lines = out.splitlines()
        t.diag("text, default layout: %d lines, %d bytes for %d threads"
               % (len(lines), len(out), THREADS))
        t.ok(rc == 0 and 0 < len(lines) < 200, "%d parked threads: %d lines of text (< 200)"
             % (THREADS, len(lines)), err[-500:])
        svc = [i for i, l in enumerate(lines) if l.startswith("services, worst first:")]
        proc = [i for i, l in enumerate(lines) if l.startswith("PID %d " % w.pid)]
        t.ok(svc and proc and svc[0] < proc[0] and
             lines[svc[0] + 1].startswith("  many_parked (PID %d): " % w.pid),
             "the summary (a line per service) comes before the sites", lines[:6])
        t.ok(any(l.strip().startswith("... ") and "more threads" in l for l in lines),
             "rows capped at 10 a site with '... N more threads'", lines[:30])
        t.ok(not any(l.lstrip().startswith("%d " % last) for l in lines),
             "the last worker's row (tid %d) is not among the default rows" % last)

        rc, out, err = lt(base[:-2] + ["-d", "3s", "--rows", "0"])
        rows = [l for l in out.splitlines() if l.lstrip().startswith("%d " % last)]
        t.ok(rc == 0 and rows, "--rows 0: tid %d has its row" % last, err[-300:])

        rc, out, err = lt(base[:-2] + ["-d", "3s", "--summary"])
        body = [l for l in out.splitlines() if l and not l[0].isdigit() and
                not l.startswith(("note: ", "dropped since start:"))]
        t.ok(rc == 0 and body and all(l.startswith(("services", "  ")) and "[" not in l
                                      for l in body),
             "--summary: the summary lines only (and the drop notes)", body[:10])

        rc, out, err = lt(base[:-2] + ["-d", "3s", "-f", "json"])
        fin = final_records(json_records(out))
        n = sum(1 for r in fin if r.get("type") == "thread" and r.get("pid") == w.pid)
        # a few workers may not have parked past -t yet at the first scan
        t.ok(rc == 0 and n >= THREADS * 0.99, "JSON is not capped: %d thread records" % n,
             err[-300:])
        rc, _, err = lt(base + ["-f", "json", "--rows", "3"])
        t.ok(rc == 2 and "--rows needs -f text" in err, "--rows with -f json refused (exit 2)", err)
    finally:
        w.stop()


def shell_waiting(child_argv):
    """bash running child_argv in the foreground ('; true' keeps bash from
    exec'ing it): (bash Popen, child pid) once the child runs."""
    cmd = " ".join(child_argv) + "; true"
    sh = subprocess.Popen(["bash", "-c", cmd], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = []

    def started():
        out = subprocess.run(["pgrep", "-P", str(sh.pid)], capture_output=True, text=True).stdout
        child[:] = [int(x) for x in out.split()]
        return bool(child)
    wait_for(started, 10)
    return sh, child[0] if child else 0


def check_wait4():
    # a child stuck forever: reads a pipe whose write end it holds itself
    stuck_py = "python3 -c 'import os; r, w = os.pipe(); os.read(r, 1)'"
    idle_sh, sleeper = shell_waiting(["sleep", "100"])
    stuck_sh, reader = shell_waiting([stuck_py])
    try:
        time.sleep(2.5)
        rc, out, err = lt(["-p", "%d,%d,%d" % (idle_sh.pid, stuck_sh.pid, reader), "-t", "1s",
                           "-i", "1s", "-d", "2s", "-f", "json"])
        th = threads_by_tid(final_records(json_records(out)))
        sites = {(s["pid"]): s for s in final_records(json_records(out)) if s.get("type") == "site"}
        for name, pid in (("shell waiting on sleep 100", idle_sh.pid),
                          ("shell waiting on a child stuck forever", stuck_sh.pid)):
            r, s = th.get(pid), sites.get(pid)
            t.ok(rc == 0 and r and r["wait"].get("syscall") == "wait4" and r["verdict"] == "idle"
                 and s and s["reason"] == "waits for its child",
                 "%s: idle, waits for its child" % name, (r, s, err[-300:]))
        r = th.get(reader)
        # stuck by shape, or proven (it holds the only write end of the pipe
        # it reads: a waker cycle, docs/wakers.md)
        t.ok(reader and r and r["verdict"] in ("stuck", "leak", "deadlock"),
             "the child stuck forever is reported itself (pid %d, %s): not hidden by its parent"
             % (reader, r and r["verdict"]),
             r)
    finally:
        for sh, child in ((idle_sh, sleeper), (stuck_sh, reader)):
            if child:
                try:
                    os.kill(child, 9)
                except OSError:
                    pass
            sh.wait(timeout=10)


def check_growth_and_reasons():
    w = Workload(["leaky", "--exiters", "0", "--grow", "1"])
    try:
        # threads grown before attach: the first report sees several
        # parked past -t, at spread park times
        time.sleep(3)
        rc, out, err = lt(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "4s", "-f", "json"])
        sites = [r for r in json_records(out) if r.get("type") == "site"]
        first = [s for s in sites if s["evidence"]["reports_seen"] < 2 and s["threads"] > 1 and
                 s["parked_max_seconds"] > s["parked_min_seconds"]]
        t.ok(rc == 0 and first and all(s["evidence"]["growth_per_min"] == 0 and
                                       s["evidence"]["spread_seconds"] > 0 for s in first),
             "first sight, park times spread: growth 0, the spread as spread_seconds",
             [s["evidence"] for s in first][:3])
        bad = []
        for s in sites:
            e = s["evidence"]
            # under 1 s observed (printed rounded to 0.1 s) there is no rate yet
            if e["reports_seen"] >= 2 and e["observed_seconds"] >= 0.95:
                want = (e["arrivals"] - e["departures"]) * 60.0 / e["observed_seconds"]
                ok = abs(max(want, 0) - e["growth_per_min"]) <= 0.05 * abs(want) + 0.1
                if not ok and not (e["observed_seconds"] < 1.05 and e["growth_per_min"] == 0):
                    bad.append(e)
        grown = [s for s in sites if s["evidence"]["reports_seen"] >= 2]
        t.ok(grown and not bad, "growth = net arrivals per minute observed (%d sites)" % len(grown),
             bad[:3])
        never = [s["reason"] for s in sites if "never woken" in s["reason"]]
        if PRECISE:
            t.ok(True, "reasons: --precise counts wake-ups (no check)")
        else:
            t.ok(sites and not never, "default mode: no reason claims 'never woken'", never)
        out_text = lt(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "1s"])[1]
        t.ok("first sight" in out_text and "/min, 0 arrived" not in out_text,
             "text: first sight says so, no rate beside 0 arrivals",
             [l for l in out_text.splitlines() if "evidence" in l][:4])
    finally:
        w.stop()


def check_alive():
    p = subprocess.Popen(["sleep", "3"])
    try:
        rc, out, err = lt(["-p", str(p.pid), "-t", "1s", "-i", "1s", "-f", "json"])
        summ = [r for r in final_records(json_records(out)) if r.get("type") == "summary"]
        t.ok(rc == 0 and "all traced processes have exited" in err and summ and
             summ[-1]["alive"] is False, "after 'all traced processes have exited': alive false",
             (summ, err[-300:]))
    finally:
        p.wait(timeout=10)


def check_goroutines():
    if not os.path.exists(GO_BIN):
        t.ok(False, "Go workload %s built (tools/workloads/go/build.sh)" % GO_BIN)
        return
    w = Workload([GO_BIN, "-n", "20"], timeout=60)
    try:
        rc, out, err = lt(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "json"])
        gs = [r["goroutines"] for r in json_records(out)
              if r.get("type") == "summary" and r.get("goroutines")]
        t.ok(rc == 0 and gs and all(g["parked"] <= g["live"] for g in gs),
             "goroutines parked <= live in every summary (runtime goroutines in both)", gs[-1:])
    finally:
        w.stop()


check_wait4()
check_growth_and_reasons()
check_alive()
check_goroutines()
check_layout()
t.ok(leftovers() == [], "nothing left loaded", leftovers())
t.done()
