#!/usr/bin/env python3
"""Hostile processes (issue 16): forged_go (tools/workloads/forged_go.c) is
a C program that leaktrace takes for a Go 1.22 program. Once leaktrace has
attached it turns every runtime structure hostile (allgs claiming 2^40
goroutines, g pointers into unmapped memory and into each other, inverted
stack bounds, looping frame-pointer chains and sudog lists, out-of-range
wait reasons and statuses); with --churn a thread rewrites all of it without
pause while leaktrace walks it.

Each run traces forged_go and a real Go program (preparked: 5 goroutines
parked on a channel) together, with ./leaktrace and with its ASan/UBSan
build (`make asan`, built here when missing), by --pid and system-wide.
It must end as documented (exit 0 at the end of -d, within a generous
timeout: no hang), print no sanitizer report, write only well-formed JSON,
keep each report of the forged process bounded (what it did not read is
counted in goroutines.cut, stacks at most 64 frames, at most 131072 parked
goroutines kept), and still report preparked's goroutines exactly."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from ltlib import LEAKTRACE_BIN, ROOT, Tap, Workload, leftovers, wait_for

t = Tap()
GO = os.environ.get("GO", "go")
GO_WL = os.path.join(ROOT, ".output", "go-workloads")
ASAN = os.path.join(ROOT, ".output", "asan", "leaktrace")
TMP = tempfile.mkdtemp(prefix="lt-hostile-")
PREPARKED = 5
ALLGS_LEN = 1 << 40        # what forged_go claims
ALLGS_READ = 1 << 20       # slots leaktrace reads at most (go_tracer.c MAX_ALLGS)
SEMA_CUT = 3 << 16         # sudogs queued past MAX_SEMA_NODES visits, also counted as cut
MAX_PARKED_READ = 1 << 17  # parked goroutines kept per process and report
MAX_STACK = 64
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")


def build():
    """preparked with the default toolchain; the ASan leaktrace. A failure is
    a `not ok` with its reason, never a silent skip."""
    ok = True
    if not os.path.exists(os.path.join(GO_WL, "preparked")):
        p = subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_WL,
                            "preparked"], env=dict(os.environ, GO=GO), capture_output=True,
                           text=True)
        ok = t.ok(p.returncode == 0, "preparked built with %s" % GO, p.stderr)
    p = subprocess.run(["make", "-s", "-C", ROOT, "asan"], capture_output=True, text=True)
    return t.ok(p.returncode == 0 and os.path.exists(ASAN), "make asan builds %s" % ASAN,
                p.stderr[-2000:]) and ok


def records(path):
    """Every stdout line as JSON: (records, lines that did not parse)."""
    recs, bad = [], []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                recs.append(json.loads(line))
            except ValueError:
                bad.append(line[:200])
    return recs, bad


def well_formed(g):
    """A goroutine record as the schema says, whatever the process forged."""
    stack = g.get("stack")
    return (isinstance(g.get("goid"), int) and isinstance(g.get("wait_reason"), str)
            and isinstance(stack, list) and len(stack) <= MAX_STACK
            and all(isinstance(f, str) and f and len(f) < 1024 for f in stack)
            and isinstance(g.get("created_by"), str) and isinstance(g.get("start_func"), str))


def check_run(binary, tag, churn, system_wide):
    forged = Workload(["forged_go"] + (["--churn"] if churn else []), ready="ready")
    normal = Workload([os.path.join(GO_WL, "preparked"), "-n", str(PREPARKED)])
    out, err = os.path.join(TMP, tag + ".json"), os.path.join(TMP, tag + ".err")
    args = [binary, "-d", "16s", "-i", "2s", "-t", "1s", "-f", "json", "-v"]
    if not system_wide:
        args += ["-p", "%d,%d" % (forged.pid, normal.pid)]
    attached = "go: attached to pid %d" % forged.pid
    try:
        with open(out, "w") as fo, open(err, "w") as fe:
            lt = subprocess.Popen(args, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        read_err = lambda: open(err, errors="replace").read()
        t.ok(wait_for(lambda: attached in read_err() or lt.poll() is not None, 60)
             and attached in read_err(),
             "%s: attached to forged_go while its allgs was plausible" % tag, read_err()[-2000:])
        os.kill(forged.pid, signal.SIGUSR1)
        forged.read_until("hostile")
        hostile_at = time.time()
        try:
            rc = lt.wait(timeout=180)
        except subprocess.TimeoutExpired:
            lt.kill()
            lt.wait()
            rc = None
        stderr = read_err()
        t.ok(rc == 0, "%s: exit 0 at the end of -d (rc=%s, no crash, no hang)" % (tag, rc),
             "\n".join(l for l in stderr.splitlines() if not l.startswith("libbpf"))[-3000:])
        t.ok(not SANITIZER.search(stderr), "%s: no sanitizer report" % tag,
             stderr[stderr.find("Sanitizer") - 200:][:3000] if "Sanitizer" in stderr else stderr[-2000:])
        recs, bad = records(out)
        t.ok(not bad and recs, "%s: every output line is one JSON record (%d records)" %
             (tag, len(recs)), bad[:3])
        # the forged process's summaries from the reports after it turned hostile
        sums = [r for r in recs if r.get("type") == "summary" and r.get("pid") == forged.pid
                and r.get("goroutines")]
        reports = [r for r in recs if r.get("type") == "report"]
        # system-wide, every Go process of the host costs up to its budget (2 s) a report
        t.ok(len(reports) >= 3 and len(sums) >= 2,
             "%s: reports kept coming (%d reports, %d forged_go summaries)" %
             (tag, len(reports), len(sums)), stderr[-1500:])
        cuts = [s["goroutines"]["cut"] for s in sums]
        parked = [s["goroutines"]["parked"] for s in sums]
        if churn:
            t.ok(all(isinstance(c, int) and 0 <= c < (1 << 64) for c in cuts)
                 and max(parked) <= MAX_PARKED_READ,
                 "%s: cut counts and parked goroutines bounded (max cut %d, max parked %d)" %
                 (tag, max(cuts), max(parked)))
        else:
            t.ok(max(cuts) >= ALLGS_LEN - ALLGS_READ and max(cuts) <= ALLGS_LEN + SEMA_CUT
                 and max(parked) <= MAX_PARKED_READ,
                 "%s: 2^40 claimed goroutines: the unread ones counted as cut (%d), "
                 "at most %d parked kept (%d)" % (tag, max(cuts), MAX_PARKED_READ, max(parked)))
        gs = [r for r in recs if r.get("type") == "goroutine" and r.get("pid") == forged.pid]
        malformed = [g for g in gs if not well_formed(g)]
        t.ok(gs and not malformed, "%s: %d forged goroutine records, all well-formed" %
             (tag, len(gs)), json.dumps(malformed[:2])[:2000])
        if not churn:
            odd = {g["goid"]: g for g in gs}
            t.ok(4 in odd and len(odd[4]["stack"]) == MAX_STACK,
                 "%s: a frame-pointer chain thousands of frames deep is cut at %d" %
                 (tag, MAX_STACK), json.dumps(odd.get(4))[:1500])
            t.ok(any(g["wait_reason"] == "unknown wait reason 255" for g in gs),
                 "%s: a wait-reason byte out of range is named as such" % tag)
            t.ok(3 in odd and len(odd[3]["stack"]) <= 2,
                 "%s: a frame-pointer chain that points at itself ends at once" % tag,
                 json.dumps(odd.get(3))[:1500])
        # the real Go program of the same run, final report: exactly its goroutines
        final = [r for r in recs if r.get("type") == "goroutine" and r.get("pid") == normal.pid
                 and r.get("time") == reports[-1]["time"]] if reports else []
        waiters = [g for g in final if g["wait_reason"] == "chan receive"
                   and any(f.startswith("main.") and "main.go:" in f for f in g["stack"])]
        t.ok(len(waiters) == PREPARKED,
             "%s: preparked traced in the same run: its %d parked goroutines reported "
             "(chan receive, main.go frames)" % (tag, PREPARKED),
             json.dumps(final[:3])[:2000])
    finally:
        forged.stop()
        normal.stop()


def main():
    t.diag("forged_go, preparked, leaktrace and its ASan build; outputs in %s" % TMP)
    if build():
        check_run(LEAKTRACE_BIN, "pid-static", churn=False, system_wide=False)
        check_run(LEAKTRACE_BIN, "system-wide-churn", churn=True, system_wide=True)
        check_run(ASAN, "asan-pid-static", churn=False, system_wide=False)
        check_run(ASAN, "asan-pid-churn", churn=True, system_wide=False)
        t.ok(leftovers() == [], "nothing left loaded after the runs", leftovers())
    t.done()


if __name__ == "__main__":
    main()
