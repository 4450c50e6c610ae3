#!/usr/bin/env python3
"""Matrix: leaktrace on Debian's stock kernels (bullseye 5.10, bookworm 6.1,
trixie 6.12, sid) booted under qemu by tests/kernels/kernels.py, and on the
host's kernel. In each, tests/kernels/guest_checks.py runs the workloads and
leaktrace once; the checks are judged here, printed as TAP lines and as a
kernel x check table, and the run is saved for the "Kernel support" table of
docs/internals.md (--readme rewrites it from the last run without booting).

A kernel that cannot be fetched is `not ok`, or `ok # SKIP offline` with
LEAKTRACE_KERNELS_OFFLINE=1. LEAKTRACE_KERNELS=bullseye,host limits the run.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "kernels"))
import kernels  # noqa: E402
from ltlib import Tap, final_records, json_records, threads_by_tid  # noqa: E402

GUEST = os.path.join(ROOT, "tests", "kernels", "guest_checks.py")
GO_WORKLOADS = os.path.join(ROOT, ".output", "go-workloads")
LAST_RUN = os.path.join(kernels.CACHE, "last-run.json")
OFFLINE = os.environ.get("LEAKTRACE_KERNELS_OFFLINE") == "1"
GUEST_TIMEOUT = 480

# (check, what it asserts); the table's columns, in order
CHECKS = (
    ("boot", "kernel boots and the checks run"),
    ("load", "leaktrace loads, runs and exits 0"),
    ("warn", "one warning line per missing feature, no other"),
    ("condvar", "condvar thread: futex wait, no timeout"),
    ("mutex", "mutex thread: futex wait, owner found"),
    ("pipe", "pipe reader: read(), no timeout"),
    ("age", "thread parked before start: full park time"),
    ("counts", "threads created and exited counted"),
    ("pid", "--pid: an untraced process is not reported"),
    ("stacks", "stacks: captured in BPF (5.18+), else read from /proc with the warning"),
    ("sites", "a leak and an idle pool of one process told apart, each rightly judged"),
    ("leak", "leak verdict on the growing condvar site"),
    ("deadlock", "deadlock verdict on the ABBA pair"),
    ("go", "goroutines of a Go program"),
    ("unload", "nothing left loaded after exit"),
    ("sigkill", "nothing left loaded after SIGKILL"),
)

# optional features: (name, first kernel, warning text, what degrades)
FEATURES = (
    ("task storage", (5, 11), "no BPF task storage",
     "per-thread state in a tid-keyed hash map"),
    ("bpf_task_pt_regs", (5, 15), "no bpf_task_pt_regs",
     "waits read from /proc/PID/task/TID/syscall"),
    ("stack capture", (5, 18), "cannot capture stacks",
     "user stacks unwound from /proc; kernel stacks need CAP_SYS_ADMIN (--no-sandbox)"),
)


def version_tuple(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def go_workload():
    """preparked, built by tools/workloads/go/build.sh (shared with
    tests/e2e/test_go.py); "" when Go is missing (the go check fails)."""
    binary = os.path.join(GO_WORKLOADS, "preparked")
    if not os.path.exists(binary):
        subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_WORKLOADS],
                       capture_output=True)
    return binary if os.path.exists(binary) else ""


# ---------------------------------------------------------------- judging

def go_site_line():
    """Line of preparked's `go` statement (marked GO-SITE in its source)."""
    src = os.path.join(ROOT, "tools", "workloads", "go", "preparked", "main.go")
    for i, line in enumerate(open(src), 1):
        if "GO-SITE" in line:
            return i
    return 0


class Verdicts:
    """check -> (cell, ok, detail); cell is what the table shows."""

    def __init__(self):
        self.items = {}

    def set(self, check, ok, detail="", cell=None):
        self.items[check] = (cell or ("ok" if ok else "FAIL"), bool(ok), detail)


def role_tid(res, wl, role):
    return (res.get("roles", {}).get(wl, {}).get(role) or [None])[0]


def sites(recs, kind="thread"):
    return [r for r in recs if r.get("type") == "site" and r.get("kind", "thread") == kind]


# python_sites.py's roles and the verdict each must get
SITES_ROLES = {"event": "leak", "queue": "leak", "pool": "idle", "sleeper": "idle"}


def judge_sites(v, res, th):
    """Every role thread of python_sites.py with its verdict: the leaking
    waits and the idle pool's are the same wait shape (a private futex,
    no timeout), told apart by their stacks alone."""
    roles = res.get("roles", {}).get("sites", {})
    wrong, n = [], 0
    for role, want in SITES_ROLES.items():
        for tid in roles.get(role, []):
            r = th.get(tid)
            if r is None:   # started too late to be parked past -t in the last report
                continue
            got = r.get("verdict")
            n += 1
            if got != want:
                wrong.append((role, tid, got, r and r.get("user_stack", [])[:6]))
    v.set("sites", n and not wrong, "%d/%d roles right: %s" % (n - len(wrong), n, wrong),
          cell="%d/%d" % (n - len(wrong), n))


def judge(res, release):
    v = Verdicts()
    ver = version_tuple(release)
    main = res.get("main") or {}
    if "error" in res and not main:
        v.set("boot", False, res["error"])
        return v
    v.set("boot", True)
    try:
        recs = json_records(main.get("stdout", ""))
    except ValueError as e:
        recs = []
        v.set("load", False, "stdout is not JSON lines: %s" % e)
    fin = final_records(recs)
    th = threads_by_tid(fin)
    err = main.get("stderr", "")
    if "load" not in v.items:
        v.set("load", main.get("rc") == 0 and any(r.get("type") == "report" for r in fin),
              "rc=%s %s" % (main.get("rc"), err[-600:]))

    warnings = [l for l in err.splitlines() if "warning" in l]
    expected = [f for f in FEATURES if ver < f[1]]
    missing = [f[2] for f in expected if sum(f[2] in l for l in warnings) != 1]
    v.set("warn", not missing and len(warnings) == len(expected),
          "expected %s, got %s" % ([f[2] for f in expected], warnings))
    res["features"] = {f[0]: not any(f[2] in l for l in warnings) for f in FEATURES}

    def thread(wl, role):
        return th.get(role_tid(res, wl, role))

    r = thread("leaky", "condvar")
    v.set("condvar", r and r["wait"]["kind"] == "futex" and r["wait"].get("timeout") is False,
          r and r["wait"])
    r = thread("leaky", "mutex")
    v.set("mutex", r and r["wait"]["kind"] == "futex" and
          r.get("lock_owner") == role_tid(res, "leaky", "mutex_holder"), r)
    r = thread("leaky", "pipe")
    v.set("pipe", r and r["wait"].get("syscall") == "read" and r["wait"].get("timeout") is False,
          r and r["wait"])
    r = thread("leaky", "condvar")
    # parked at start-up, PRE_PARK s before leaktrace and through its run
    want = res.get("pre_park", 0) + res.get("duration", 0) - 4
    v.set("age", r and r["parked_seconds"] >= want and r["parked_since_source"] == "exec_start",
          "want >= %ss from exec_start: %s" % (want, r))

    # the checks' own process started n threads that exited at once
    summ = [s for s in fin if s.get("type") == "summary" and
            s.get("pid") == res.get("pids", {}).get("self")]
    n = res.get("exiters", 0)
    v.set("counts", summ and main.get("exiters_started") and summ[0]["created_total"] == n and
          summ[0]["exited_total"] == n, "%d exiters: %s" % (n, summ))

    other = res.get("pids", {}).get("other")
    traced = set(p for p in res.get("pids", {}).values() if p) - {other}
    v.set("pid", fin and not any(r.get("pid") == other for r in recs) and
          all(r.get("pid") in traced for r in recs if r.get("type") in ("thread", "summary")),
          "untraced pid %s" % other)

    r = thread("leaky", "condvar")
    ustack = " ".join(r.get("user_stack", [])) if r else ""
    detail = r and {k: r.get(k) for k in ("user_stack", "kernel_stack", "stack_error")}
    if ver >= (5, 18):
        v.set("stacks", "leak_condvar_worker" in ustack and r.get("kernel_stack"), detail)
    else:   # from /proc: the user stack (the sandbox drops what the kernel stack needs)
        ok = "leak_condvar_worker" in ustack and "cannot capture stacks" in err
        v.set("stacks", ok, detail, cell="proc" if ok else None)
    judge_sites(v, res, th)

    grow = set(res.get("roles", {}).get("leaky", {}).get("grow", []))
    grow.add(role_tid(res, "leaky", "condvar"))
    leak = [s for s in sites(recs) if s["verdict"] == "leak" and grow & set(s.get("tids", []))]
    v.set("leak", leak, [(s["verdict"], s["reason"], s.get("tids")) for s in sites(fin)])
    ab = {role_tid(res, "abba", "deadlock_a"), role_tid(res, "abba", "deadlock_b")}
    dl = [s for s in sites(recs) if s["verdict"] == "deadlock" and ab & set(s.get("tids", []))]
    v.set("deadlock", dl, [s for s in sites(fin) if s.get("pid") == res["pids"].get("abba")])

    gpid = res.get("pids", {}).get("go")
    gs = [g for g in fin if g.get("type") == "goroutine" and g.get("pid") == gpid and
          g.get("created_by", "").endswith("preparked/main.go:%d" % go_site_line())]
    v.set("go", gpid and len(gs) >= res.get("go_parked", 1),
          "%d of %s preparked goroutines; stderr: %s" % (len(gs), res.get("go_parked"), err[-300:]))

    # the programs and maps the run held (at least the scan iterator's)
    v.set("unload", main.get("bpf_objects", 0) >= 2 and res.get("leftovers_exit") == [],
          "%s objects held, left: %s" % (main.get("bpf_objects"), res.get("leftovers_exit")))
    k = res.get("killed") or {}
    v.set("sigkill", k.get("reported") and k.get("rc") == -9 and k.get("bpf_objects", 0) >= 2
          and k.get("leftovers") == [], k)
    return v


# ---------------------------------------------------------------- running

def run_in_guest(kernel, go_bin):
    """The checks in a booted kernel. A guest whose kernel oopsed before it
    wrote results is booted once more: under qemu's multi-threaded software
    emulation a code patch racing another vCPU has been seen to leave a
    half-written instruction in __schedule (sid, 7.2); the retry is said."""
    data = run_in_guest_once(kernel, go_bin)
    err = data.get("error", "")
    if "no results" in err and re.search(r"Oops|RIP:|Kernel panic|invalid opcode", err):
        print("# %s: the guest kernel crashed before any result (%s); booting it once more"
              % (kernel.suite, err.replace("\n", " ")[-200:]), flush=True)
        data = run_in_guest_once(kernel, go_bin)
        data["retried"] = True
    return data


def run_in_guest_once(kernel, go_bin):
    with tempfile.TemporaryDirectory(prefix="ltk-", dir=os.path.join(ROOT, ".output")) as out:
        try:
            res = kernels.boot(kernel, [sys.executable, GUEST,
                                        kernels.GUEST_OUTDIR + "/results.json", go_bin],
                               timeout=GUEST_TIMEOUT, outdir=out,
                               env={"PYTHONDONTWRITEBYTECODE": "1"})
        except (kernels.FetchError, OSError) as e:     # no busybox-static, no qemu
            return {"error": "cannot boot: %s" % e}
        try:
            data = json.loads(res.file("results.json"))
        except (OSError, ValueError):
            data = {"error": "no results from the guest (rc %s): %s" %
                    (res.rc, (res.output + res.console)[-1500:])}
        data["boot_seconds"] = res.seconds
        return data


def run_on_host(go_bin):
    with tempfile.NamedTemporaryFile(suffix=".json", dir=os.path.join(ROOT, ".output")) as f:
        start = time.time()
        p = subprocess.run([sys.executable, GUEST, f.name, go_bin], capture_output=True, text=True,
                           timeout=GUEST_TIMEOUT, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        try:
            data = json.load(open(f.name))
        except ValueError:
            data = {"error": "guest_checks.py failed: %s" % (p.stdout + p.stderr)[-1500:]}
        data["boot_seconds"] = time.time() - start
        return data


def table(rows):
    """Plain-text kernel x check table."""
    head = ["kernel"] + [c for c, _ in CHECKS]
    lines = [head] + [[r["label"]] + [r["cells"].get(c, "-") for c, _ in CHECKS] for r in rows]
    widths = [max(len(l[i]) for l in lines) for i in range(len(head))]
    return "\n".join("  ".join(x.ljust(w) for x, w in zip(l, widths)).rstrip() for l in lines)


def readme_table(run):
    """Markdown for "Kernel support" (docs/internals.md), from a saved run."""
    out = ["| kernel | features detected | degrades | checks | time |", "|---|---|---|---|---|"]
    for r in run["rows"]:
        if r.get("unavailable"):
            out.append("| %s | | | not run: %s | |" % (r["label"], r["unavailable"]))
            continue
        feats = r.get("features") or {}
        have = [f for f, _, _, _ in FEATURES if feats.get(f)]
        lost = ["%s: %s" % (f, what) for f, _, _, what in FEATURES
                if f in feats and not feats[f]]
        bad = [c for c, _ in CHECKS if r["cells"].get(c) == "FAIL"]
        degr = [c for c, _ in CHECKS if r["cells"].get(c) == "degr"]
        verdict = ("pass (%d/%d)" % (len(CHECKS) - len(bad), len(CHECKS)) if not bad else
                   "**fail**: %s" % ", ".join(bad))
        if degr:
            verdict += "; degraded as documented: %s" % ", ".join(degr)
        out.append("| %s | %s | %s | %s | %.0f s |" % (
            r["label"], ", ".join(have) or "none of the optional", "; ".join(lost) or "nothing",
            verdict, r.get("seconds") or 0))
    out.append("")
    dates = sorted({r.get("date", run["date"]) for r in run["rows"]})
    out.append("Generated by `tests/matrix/test_kernels.py --readme` from the runs of %s; "
               "time: boot, checks and power-off of each kernel under emulation "
               "(fetching not included)." % ", ".join(dates))
    return "\n".join(out)


def save_run(run):
    """Save for --readme; a run limited by LEAKTRACE_KERNELS keeps the
    saved rows of the kernels it did not run."""
    order = list(kernels.SUITES) + ["host"]
    try:
        old = json.load(open(LAST_RUN))
    except (OSError, ValueError):
        old = {"rows": []}
    done = {r["suite"] for r in run["rows"]}
    rows = run["rows"] + [r for r in old.get("rows", []) if r.get("suite") not in done]
    rows.sort(key=lambda r: order.index(r["suite"]) if r.get("suite") in order else len(order))
    for r in run["rows"]:
        r["date"] = run["date"]
    os.makedirs(os.path.dirname(LAST_RUN), exist_ok=True)
    with open(LAST_RUN, "w") as f:
        json.dump(dict(run, rows=rows), f, indent=1)


README_BEGIN = "<!-- kernel-support:begin (tests/matrix/test_kernels.py --readme) -->"
README_END = "<!-- kernel-support:end -->"


def write_readme(run):
    path = os.path.join(ROOT, "docs", "internals.md")
    text = open(path).read()
    a, b = text.find(README_BEGIN), text.find(README_END)
    if a < 0 or b < a:
        print("%s has no %s ... %s markers" % (path, README_BEGIN, README_END), file=sys.stderr)
        return 1
    text = text[:a + len(README_BEGIN)] + "\n" + readme_table(run) + "\n" + text[b:]
    open(path, "w").write(text)
    return 0


def main():
    if "--readme" in sys.argv:
        try:
            return write_readme(json.load(open(LAST_RUN)))
        except OSError:
            print("no saved run (%s): run the matrix first" % LAST_RUN, file=sys.stderr)
            return 1
    t = Tap()
    start = time.time()
    wanted = os.environ.get("LEAKTRACE_KERNELS", ",".join(kernels.SUITES + ("host",))).split(",")
    go_bin = go_workload()
    rows = []
    for suite in wanted:
        if suite == "host":
            label = "host %s" % os.uname().release
            res = run_on_host(go_bin)
            release = os.uname().release
        else:
            try:
                k = kernels.fetch(suite)
            except (kernels.FetchError, subprocess.SubprocessError, OSError) as e:
                label = suite
                if OFFLINE:
                    print("ok %d - %s: kernel not fetched # SKIP offline (%s)" % (t.n + 1, suite, e))
                    t.n += 1
                else:
                    t.ok(False, "%s: kernel fetched" % suite, e)
                rows.append({"suite": suite, "label": label, "cells": {}, "unavailable": str(e)})
                continue
            label = "%s %s" % (k.short, suite)
            res = run_in_guest(k, go_bin)
            release = res.get("kernel", k.version)
        v = judge(res, release)
        for check, what in CHECKS:
            cell, ok, detail = v.items.get(check, ("FAIL", False, "not judged (no results)"))
            t.ok(ok, "%s: %s (%s)" % (label, what, check), None if ok else detail)
        t.diag("%s: %.0f s" % (label, res.get("boot_seconds", 0)))
        rows.append({"suite": suite, "label": label, "release": release, "features": res.get("features"),
                     "seconds": res.get("boot_seconds"),
                     "cells": {c: v.items.get(c, ("FAIL",))[0] for c, _ in CHECKS}})
    run = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "seconds": time.time() - start,
           "rows": rows}
    t.diag(table(rows))
    save_run(run)
    t.diag("checks: " + "; ".join("%s = %s" % c for c in CHECKS))
    t.diag("matrix took %.0f s" % run["seconds"])
    t.done()


if __name__ == "__main__":
    sys.exit(main())
