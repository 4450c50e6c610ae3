#!/usr/bin/env python3
"""End-to-end test of the goroutine tracer (user/collect/go/go_tracer.c) in the real
kernel, as root, on the Go workloads of tools/workloads/go, each built with
DWARF and stripped (-ldflags='-s -w'). Prints TAP.

It runs ./leaktrace --pid on each workload and reads its JSON lines:
"goroutine" records, goroutine "site" records with verdicts, and the
"goroutines" object of the process summary.

Environment: GO (default "go"); LEAKTRACE_GO_TOOLCHAINS="path/to/go ..."
adds the same checks for binaries built by other Go toolchains. The cost
per request is a figure of tools/bench.sh, not a timed test here.
"""
import calendar
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

from ltlib import LEAKTRACE, PRECISE, leftovers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, ".output")
WL_SRC = os.path.join(ROOT, "tools", "workloads", "go")
LEAKS = 20
PREPARKED = 50

results = []


def tap(ok, name, diag=None):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name), flush=True)
    if diag and not ok:
        for line in str(diag).splitlines()[:40]:
            print("#   " + line, flush=True)


def note(msg):
    print("# " + msg, flush=True)


def marker_line(prog, marker):
    with open(os.path.join(WL_SRC, prog, "main.go")) as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise RuntimeError("marker %s not in %s" % (marker, prog))


def build():
    subprocess.run(["make", "-s", "-C", ROOT, "leaktrace"], check=True)


def build_workloads(go, outdir):
    env = dict(os.environ, GO=go)
    subprocess.run([os.path.join(WL_SRC, "build.sh"), outdir], check=True, env=env,
                   stdout=subprocess.DEVNULL)


class Workload:
    def __init__(self, path, args=()):
        self.proc = subprocess.Popen([path] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = None
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("%s exited before READY" % path)
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
            if line.strip() == "READY":
                return
        raise RuntimeError("%s: no READY" % path)

    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def command(self, cmd, answer):
        """Sends a command line; the wall time when its answer came."""
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        while self.proc.stdout.readline().strip() != answer:
            pass
        return time.time()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Harness:
    """leaktrace attached to a pid; one report after `interval` seconds.
    Waits until the goroutine probes are attached before returning."""

    def __init__(self, pid, interval, count=1, min_parked=0.0):
        threshold = "%dms" % max(1, int(min_parked * 1000))
        self.proc = subprocess.Popen([LEAKTRACE, "-p", str(pid), "-t", threshold,
                                      "-i", "%.3fs" % interval, "-d", "%.3fs" % (interval * count),
                                      "-f", "json", "--no-stacks", "-v"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = []
        for line in self.proc.stderr:
            self.err.append(line)
            if "leaktrace: go: attached" in line:
                break
            if line.startswith("leaktrace: ") and "warning" not in line and "go:" not in line \
                    and "tracing" not in line:
                raise RuntimeError("leaktrace: " + line.strip())
        else:
            raise RuntimeError("leaktrace did not attach: " + "".join(self.err[-5:]))

    def result(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        self.out = out
        if self.proc.returncode:
            raise RuntimeError("leaktrace failed: " + err.strip()[-500:])
        snaps, cur = [], {"goroutines": [], "sites": []}
        for line in out.splitlines():
            rec = json.loads(line)
            if rec["type"] == "goroutine":
                cur["goroutines"].append(rec)
            elif rec["type"] == "site" and rec.get("kind") == "goroutine":
                cur["sites"].append(rec)
            elif rec["type"] == "summary" and "goroutines" in rec:
                cur.update(rec["goroutines"])
            elif rec["type"] == "report":
                snaps.append(cur)
                cur = {"goroutines": [], "sites": []}
        return snaps

    def stop(self):
        self.proc.send_signal(2)
        try:
            self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def get(url, n):
    for _ in range(n):
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()


def summary(snap):
    by = {}
    for g in snap["goroutines"]:
        key = "%s %s" % (g["wait_reason"], g["start_func"])
        by[key] = by.get(key, 0) + 1
    return ", ".join("%s x%d" % kv for kv in sorted(by.items()))


def check_httpleak(binary, tag):
    line = marker_line("httpleak", "LEAK-SITE")
    wl = Workload(binary)
    try:
        h = Harness(wl.proc.pid, interval=1.0, count=3)
        get(wl.url(), LEAKS)
        snap = h.result()[-1]
    finally:
        wl.stop()
    leaks = [g for g in snap["goroutines"] if g["wait_reason"] == "chan send"]
    site = re.compile(r"^main\.handler at .*/httpleak/main\.go:%d$" % line)
    good = [g for g in leaks if site.match(g["created_by"])
            and g["start_func"] == "main.handler.func1"]
    tap(len(leaks) == LEAKS and len(good) == LEAKS,
        "%s httpleak: exactly %d goroutines parked on chan send created at main.go:%d"
        % (tag, LEAKS, line), json.dumps(leaks[:3], indent=1) + "\nfound %d" % len(leaks))
    tap(all(not g["parked_estimated"] and 0 < g["parked_seconds"] < 5 for g in good),
        "%s httpleak: leaks parked after attach have a measured age" % tag,
        json.dumps(good[:2]))
    stack_ok = all(any(f.startswith("main.handler.func1 (main.go:%d)" % line)
                       for f in g["stack"]) and g["stack"][0].startswith("runtime.gopark")
                   for g in good)
    tap(bool(good) and stack_ok, "%s httpleak: stack walk gopark ... main.handler.func1" % tag,
        json.dumps(good[:1]))
    tap(bool(good) and all(g["verdict"] == "leak" for g in good),
        "%s httpleak: the %d leaked goroutines get verdict leak" % (tag, len(good)),
        json.dumps([s for s in snap["sites"] if s["verdict"] != "idle"])[:1500])
    # creations and exits are counted by the --precise uprobes only: unknown
    # (null) by default, where nothing runs in the traced process
    counted = (snap["created_total"] is not None and snap["created_total"] >= LEAKS) if PRECISE \
        else (snap["created_total"] is None and snap["exited_total"] is None)
    tap(counted and snap["live"] >= LEAKS,
        "%s httpleak: created %s, exited %s, live %d" % (tag, snap["created_total"], snap["exited_total"],
                                                         snap["live"]), json.dumps(snap)[:400])


def check_preparked(binary, tag):
    go_line = marker_line("preparked", "GO-SITE")
    park_line = marker_line("preparked", "PARK-SITE")
    wl = Workload(binary, ["-n", str(PREPARKED)])
    try:
        time.sleep(1.0)
        snap = Harness(wl.proc.pid, interval=0.5).result()[0]
    finally:
        wl.stop()
    # `go waiter(ch)` starts a compiler-made wrapper (main.main.func1, or
    # main.main.gowrap1 since Go 1.22, which inlines waiter): the inline
    # tables name waiter, as start_func and as a frame with its own line
    frame = re.compile(r"^main\.waiter \(main\.go:%d(, inlined)?\)$" % park_line)
    found = [g for g in snap["goroutines"] if g["wait_reason"] == "chan receive"
             and g["created_by"].endswith("/preparked/main.go:%d" % go_line)
             and g["start_func"] == "main.waiter"
             and any(frame.match(f) for f in g["stack"])]
    tap(len(found) == PREPARKED,
        "%s preparked: %d goroutines parked before attach found, start_func main.waiter, "
        "main.waiter (main.go:%d) on the stack" % (tag, PREPARKED, park_line),
        summary(snap))
    tap(bool(found) and all(g["parked_estimated"] and g["parked_seconds"] >= 0.4
                            for g in found),
        "%s preparked: their age is marked estimated" % tag,
        json.dumps(found[:1]))


def check_healthy(wl_dir, suffix, tag):
    expect = {
        "idleserver": lambda s: any(g["wait_reason"] == "IO wait" for g in s["goroutines"]),
        "workerpool": lambda s: sum(g["wait_reason"] == "chan receive" and
                                    g["start_func"] == "main.main.func1"
                                    for g in s["goroutines"]) >= 7,
        "sleeploop": lambda s: sum(g["wait_reason"] == "sleep"
                                   for g in s["goroutines"]) >= 4,
    }
    for name, pred in expect.items():
        binary = os.path.join(wl_dir, name + suffix)
        wl = Workload(binary)
        try:
            snap = Harness(wl.proc.pid, interval=0.5, count=4).result()[-1]
        finally:
            wl.stop()
        tap(pred(snap), "%s %s: goroutines read (%d parked, %d live)"
            % (tag, name, len(snap["goroutines"]), snap["live"]), summary(snap))
        bad = [g for g in snap["goroutines"] if g["verdict"] in ("leak", "deadlock")]
        tap(not bad, "%s %s: no goroutine gets leak or deadlock" % (tag, name),
            json.dumps(bad[:3]))
        note("%s %s: %s" % (tag, name, summary(snap)))


# How far parked_seconds may be from the truth. A park seen first by a
# later walk began between two walks: its age counts from their midpoint
# (half an interval, 0.25 s here, plus scheduling slack); with --precise the
# gopark probe stamps it exactly. A park already there at attach has an
# estimated age: since attach, or since the GC's stamp (g.waitsince) when a
# GC set it (Go sets it lazily; measured 0 here even after runtime.GC()):
# between the time since attach and the truth.
AGE_TOLERANCE_NEW = 0.15 if PRECISE else 0.4
AGE_TOLERANCE_OLD = 0.3


def record_time(rec):
    return calendar.timegm(time.strptime(rec["time"][:19], "%Y-%m-%dT%H:%M:%S")) + \
        float("0" + rec["time"][19:-1])


def check_parkage(binary, tag):
    """parked_seconds of goroutines parked for a known time, before and after
    attach, and a fresh age for one woken and parked again at the same place."""
    wl = Workload(binary)
    t_early = time.time() - 0.05   # parked 50 ms before READY
    try:
        time.sleep(2.0)
        h = Harness(wl.proc.pid, interval=0.5, count=8)
        t_attach = time.time()
        t_late = wl.command("late", "LATE") - 0.02
        time.sleep(1.5)
        t_wake = wl.command("wake", "WOKEN") - 0.02
        h.result()
        out = h.out
    finally:
        wl.stop()
    recs = [json.loads(l) for l in out.splitlines() if l.strip()]
    last_report = max(i for i, r in enumerate(recs) if r["type"] == "report")
    first = max((i for i, r in enumerate(recs[:last_report]) if r["type"] == "report"), default=-1)
    last = {r["start_func"]: r for r in recs[first + 1:last_report] if r["type"] == "goroutine"}
    g = last.get("main.early")
    truth = record_time(g) - t_early if g else None
    lower = record_time(g) - t_attach if g else None
    tap(g is not None and g["parked_estimated"] and
        lower - AGE_TOLERANCE_OLD <= g["parked_seconds"] <= truth + AGE_TOLERANCE_OLD,
        "%s parkage: main.early (parked before attach) parked_seconds %s, estimated, between "
        "%s since attach and the truth %s (+-%.2f s)" % (tag, g and g["parked_seconds"],
                                                        lower and round(lower, 3),
                                                        truth and round(truth, 3),
                                                        AGE_TOLERANCE_OLD), json.dumps(g))
    for name, since in (("main.late", t_late), ("main.repark", t_wake)):
        g = last.get(name)
        truth = record_time(g) - since if g else None
        tap(g is not None and abs(g["parked_seconds"] - truth) <= AGE_TOLERANCE_NEW
            and not g["parked_estimated"],
            "%s parkage: %s (parked after attach) parked_seconds %s, truth %s (+-%.2f s)"
            % (tag, name, g and g["parked_seconds"], truth and round(truth, 3),
               AGE_TOLERANCE_NEW), json.dumps(g))
    g = last.get("main.repark")
    tap(g is not None and g["parked_seconds"] < record_time(g) - t_early - 1.5,
        "%s parkage: woken and parked again at the same receive = a new park" % tag,
        json.dumps(g))


def check_hangclient(binary, tag):
    wl = Workload(binary)
    try:
        h = Harness(wl.proc.pid, interval=1.0, count=3)
        get(wl.url(), LEAKS)
        snap = h.result()[-1]
    finally:
        wl.stop()
    hung = [g for g in snap["goroutines"] if g["start_func"] == "main.main.func1.1"]
    tap(len(hung) == LEAKS and all(g["wait_reason"] == "select" for g in hung),
        "%s hangclient: %d http.Get goroutines parked in select" % (tag, LEAKS),
        summary(snap))
    tap(bool(hung) and all(g["verdict"] == "leak" for g in hung),
        "%s hangclient: the hung client goroutines get verdict leak" % tag,
        json.dumps([(g["goid"], g["verdict"]) for g in hung]))


def check_systemwide(binary, tag):
    """Without --pid, Go processes are found in the reports and traced too."""
    wl = Workload(binary)
    try:
        p = subprocess.Popen([LEAKTRACE, "-t", "1s", "-i", "1s", "-d", "5s", "-f", "json",
                              "--no-stacks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(2.0)  # discovered at the first report, then requests arrive
        get(wl.url(), LEAKS)
        out, err = p.communicate(timeout=60)
    finally:
        wl.stop()
    recs = [json.loads(l) for l in out.splitlines() if l.strip()]
    last = [r for r in recs if r["type"] == "goroutine" and r["pid"] == wl.proc.pid
            and r["wait_reason"] == "chan send"]
    final = [r for r in recs if r["type"] == "report"][-1:]
    mine = [r for r in recs if r["type"] == "goroutine" and r["pid"] == wl.proc.pid]
    tap(p.returncode == 0 and len({r["goid"] for r in last}) == LEAKS,
        "%s system-wide: the Go process is found and its %d chan-send leaks reported"
        % (tag, LEAKS), err[-500:] + json.dumps(mine[:2]))
    summ = [r for r in recs if r["type"] == "summary" and r["pid"] == wl.proc.pid]
    tap(any("goroutines" in r for r in summ), "%s system-wide: goroutine counts in the summary" % tag,
        summ[-1:])


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 0
    build()
    variants = [(os.environ.get("GO", "go"), os.path.join(OUT, "go-workloads"))]
    for i, go in enumerate(os.environ.get("LEAKTRACE_GO_TOOLCHAINS", "").split()):
        variants.append((go, os.path.join(OUT, "go-workloads-%d" % i)))
    for go, wl_dir in variants:
        build_workloads(go, wl_dir)
    for go, wl_dir in variants:
        version = subprocess.check_output([go, "version"], text=True).split()[2]
        for suffix, kind in (("", "dwarf"), (".stripped", "stripped")):
            tag = "%s %s" % (version, kind)
            for check, prog in ((check_httpleak, "httpleak"), (check_preparked, "preparked"),
                                (check_hangclient, "hangclient"), (check_parkage, "parkage")):
                try:
                    check(os.path.join(wl_dir, prog + suffix), tag)
                except Exception as e:  # a crash fails the checks, not the run
                    tap(False, "%s %s: %s" % (tag, prog, e))
            try:
                check_systemwide(os.path.join(wl_dir, "httpleak" + suffix), tag)
            except Exception as e:
                tap(False, "%s system-wide: %s" % (tag, e))
            try:
                check_healthy(wl_dir, suffix, tag)
            except Exception as e:
                tap(False, "%s healthy: %s" % (tag, e))
    left = leftovers()
    tap(left == [], "no goroutine uprobe or map left loaded after leaktrace exits", left)
    failed = results.count(False)
    print("1..%d" % len(results))
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
