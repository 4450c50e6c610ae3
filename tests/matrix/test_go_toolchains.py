#!/usr/bin/env python3
"""Goroutine tracing against every Go release Debian ships (TAP).

tools/go-toolchains.sh fetches the toolchains into .output/cache/go/; each
one builds the Go workloads waitkinds, workerpool and httpleak once, with
DWARF and stripped (-s -w), into .output/cache/go/workloads/<version>/
(rebuilt only when a source changed). For every toolchain x build kind,
./leaktrace --pid on each workload must report, per goroutine: found,
wait_reason exactly the words of that version's runtime (read from the
toolchain's own runtime sources), created_by (the go statement's line),
start_func (the function the go statement calls, also when its wrapper
inlines it), inlined frames (a goroutine parked and a thread asleep inside
functions the compiler inlined: their names and lines in the goroutine's
stack and the thread's user_stack, from the binary's inline tables),
wait_object (one per
private channel, one for a shared channel or lock), and the verdict where
the judging gives one (httpleak: leak, workerpool: idle). leaktrace -v also
says whether the binary's own wait reason names and (with DWARF) every
struct g/sudog offset agree with the built-in tables: a mismatch fails.
A newer Go (1.28) is simulated by patching the version in a 1.27 binary
(newest table after a checked walk, with a warning) and in a 1.19 binary
(the newest table does not fit: a clear error).

A toolchain that cannot be fetched is `not ok`, unless LEAKTRACE_GO_OFFLINE=1
(then `ok # SKIP offline`). GO_VERSIONS="1.24 1.27" restricts the set.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEAKTRACE = os.path.join(ROOT, "leaktrace")
CACHE = os.path.join(ROOT, ".output", "cache", "go")
WL_SRC = os.path.join(ROOT, "tools", "workloads", "go")
WORKLOADS = ("waitkinds", "workerpool", "httpleak")
KINDS = (("dwarf", ""), ("stripped", ".stripped"))
LEAKS = 20
PER_KIND = 3  # goroutines per wait kind in waitkinds

n_tests = 0
n_failed = 0
table = {}  # (toolchain, kind) -> {check: "ok" | "FAIL" | "skip"}
CHECKS = ("found", "wait_reason", "created_by", "start_func", "inlined", "wait_object",
          "verdict", "names=table", "offsets=DWARF", "thread_stack")


def tap(ok, name, diag=None, row=None, check=None):
    global n_tests, n_failed
    n_tests += 1
    if not ok:
        n_failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n_tests, name), flush=True)
    if diag is not None and not ok:
        for line in str(diag).splitlines()[:30]:
            print("#   " + line, flush=True)
    if row and check:
        cell = table.setdefault(row, {})
        if cell.get(check) != "FAIL":
            cell[check] = "ok" if ok else "FAIL"


def skip(name, reason):
    global n_tests
    n_tests += 1
    print("ok %d - %s # SKIP %s" % (n_tests, name, reason), flush=True)


def fetch():
    """{version: path to bin/go or None}, with the failure reasons."""
    env = dict(os.environ)
    p = subprocess.run([os.path.join(ROOT, "tools", "go-toolchains.sh"), CACHE], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^go(\d+\.\d+) (OK|FAIL) (.*)$", line)
        if m:
            found[m.group(1)] = (m.group(2) == "OK", m.group(3))
        else:
            print("# " + line)
    return found


def source_lines(prog):
    """go-statement lines of a workload: {function name: line}."""
    lines = {}
    with open(os.path.join(WL_SRC, prog, "main.go")) as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"^\s*go (\w+)\(", line)
            if m:
                lines[m.group(1)] = n
            if "LEAK-SITE" in line:
                lines["LEAK-SITE"] = n
    return lines


def runtime_words(goroot):
    """The wait reason words this toolchain's runtime uses (runtime2.go)."""
    with open(os.path.join(goroot, "src", "runtime", "runtime2.go")) as f:
        src = f.read()
    words = dict(re.findall(r"^\s*(waitReason\w+):\s*\"([^\"]*)\",", src, re.M))

    def word(name, fallback):
        return words.get(name, fallback)
    return {
        "recvPrivate": words["waitReasonChanReceive"],
        "sendPrivate": words["waitReasonChanSend"],
        "recvShared": words["waitReasonChanReceive"],
        "selectTwo": words["waitReasonSelect"],
        "lockMutex": word("waitReasonSyncMutexLock", words["waitReasonSemacquire"]),
        "rlockRW": word("waitReasonSyncRWMutexRLock", words["waitReasonSemacquire"]),
        "waitGroup": word("waitReasonSyncWaitGroupWait", words["waitReasonSemacquire"]),
        "condWait": words["waitReasonSyncCondWait"],
        "sleepLong": words["waitReasonSleep"],
        "recvInlined": words["waitReasonChanReceive"],
        "waitOn": words["waitReasonChanReceive"],
    }


def build(version, go):
    """Builds the workloads once per toolchain; True when all are there."""
    out = os.path.join(CACHE, "workloads", version)
    srcs = [os.path.join(WL_SRC, w, "main.go") for w in WORKLOADS]
    srcs += [os.path.join(WL_SRC, "build.sh"), go]
    newest = max(os.path.getmtime(s) for s in srcs)
    bins = [os.path.join(out, w + k) for w in WORKLOADS for _, k in KINDS]
    if all(os.path.exists(b) and os.path.getmtime(b) >= newest for b in bins):
        return out, None
    t0 = time.time()
    p = subprocess.run([os.path.join(WL_SRC, "build.sh"), out] + list(WORKLOADS),
                       env=dict(os.environ, GO=go), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print("# go%s: workloads built in %.0f s" % (version, time.time() - t0), flush=True)
    return out, None if p.returncode == 0 else p.stdout[-1500:]


class Workload:
    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdout=subprocess.PIPE, text=True)
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("%s exited before READY" % path)
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
            if line.strip() == "READY":
                return
        raise RuntimeError("%s: no READY" % path)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def trace(pid, interval, count, during=None, threads=None):
    """leaktrace -v --pid: (last report's goroutine records, stderr, rc); with
    threads (a list), thread stacks are captured and their records added to it."""
    p = subprocess.Popen([LEAKTRACE, "-p", str(pid), "--go", "-t", "1ms", "-i", "%.2fs" % interval,
                          "-d", "%.2fs" % (interval * count), "-f", "json", "-v"] +
                         ([] if threads is not None else ["--no-stacks"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    head = []
    if during:
        # only once the goroutine probes are attached: arrivals must follow attach
        for line in p.stderr:
            head.append(line)
            if "leaktrace: go: attached" in line or "goroutines not traced" in line:
                break
        during()
    out, err = p.communicate(timeout=120)
    err = "".join(head) + err
    reports, cur = [], []
    for line in out.splitlines():
        rec = json.loads(line)
        if rec["type"] == "goroutine" and rec["pid"] == pid:
            cur.append(rec)
        elif rec["type"] == "thread" and rec.get("pid") == pid and threads is not None:
            threads.append(rec)
        elif rec["type"] == "report":
            reports.append(cur)
            cur = []
    err = "\n".join(l for l in err.splitlines() if not l.startswith("libbpf:"))
    return (reports[-1] if reports else []), err, p.returncode


def check_verbose(err, row, tag, dwarf):
    m = re.search(r"wait reasons: (\d+) from (\S+), (.*)", err)
    tap(bool(m) and m.group(3) == "table agrees" and m.group(2) != "table",
        "%s: the binary's own wait reason names (%s) agree with the table"
        % (tag, m.group(2) if m else "?"), err[-800:], row, "names=table")
    if dwarf:
        m = re.search(r"offsets check: (.*)", err)
        tap(bool(m) and m.group(1).endswith(" agrees"),
            "%s: every struct g/sudog offset of the table agrees with DWARF" % tag,
            m.group(1) if m else err[-800:], row, "offsets=DWARF")


def marker_lines(prog):
    """{marker: line} of the "// NAME" end-of-line markers of a workload."""
    with open(os.path.join(WL_SRC, prog, "main.go")) as f:
        return {m.group(1): n for n, line in enumerate(f, 1)
                for m in [re.search(r"// ([A-Z][A-Z-]+)$", line.rstrip())] if m}


def follows(stack, inner, outer):
    """inner (a regex) is a frame of stack directly followed by outer."""
    return any(re.match(inner, a) and re.match(outer, b) for a, b in zip(stack, stack[1:]))


def check_inlined(by, threads, row, tag):
    """Waits inside functions the compiler inlined, named from the inline tables."""
    m = marker_lines("waitkinds")
    park = r"^main\.waitOn \(main\.go:%d, inlined\)$" % m["INLINED-PARK"]
    bad = [g["stack"] for g in by.get("main.recvInlined", [])
           if not follows(g["stack"], park, r"^main\.recvInlined \(main\.go:%d\)$" % m["INLINED-CALL"])]
    tap(by.get("main.recvInlined") and not bad,
        "%s waitkinds: stack has main.waitOn (main.go:%d, inlined) <- main.recvInlined (main.go:%d)"
        % (tag, m["INLINED-PARK"], m["INLINED-CALL"]),
        "\n".join(" <- ".join(s) for s in bad[:3]), row, "inlined")
    # `go waitOn(ch)`: the wrapper inlines it since Go 1.22, calls it before
    own = r"^main\.waitOn \(main\.go:%d(, inlined)?\)$" % m["INLINED-PARK"]
    bad = [g["stack"] for g in by.get("main.waitOn", []) if not any(re.match(own, f) for f in g["stack"])]
    tap(by.get("main.waitOn") and not bad,
        "%s waitkinds: go waitOn(ch): start_func main.waitOn, main.waitOn (main.go:%d) on the stack"
        % (tag, m["INLINED-PARK"]), "\n".join(" <- ".join(s) for s in bad[:3]), row, "inlined")
    read = r"^main\.readPipe \(main\.go:%d, inlined\)$" % m["INLINED-READ"]
    caller = r"^main\.blockThread\+0x[0-9a-f]+ \(main\.go:%d\)$" % m["INLINED-READ-CALL"]
    stacks = [t.get("user_stack") or [] for t in threads]
    tap(any(follows(s, read, caller) for s in stacks),
        "%s waitkinds: a thread's user_stack has main.readPipe (main.go:%d, inlined) <- "
        "main.blockThread+0x.. (main.go:%d)" % (tag, m["INLINED-READ"], m["INLINED-READ-CALL"]),
        "\n".join(" <- ".join(s) for s in stacks if any("main." in f for f in s)), row, "inlined")


def check_waitkinds(binary, words, row, tag, dwarf):
    lines = source_lines("waitkinds")
    wl = Workload(binary)
    threads = []
    try:
        time.sleep(0.3)
        gs, err, rc = trace(wl.proc.pid, 0.5, 1, threads=threads)
    finally:
        wl.stop()
    check_verbose(err, row, tag, dwarf)
    by = {}
    for g in gs:
        by.setdefault(g["start_func"], []).append(g)
    summary = ", ".join("%s %s x%d" % (k, v[0]["wait_reason"], len(v)) for k, v in sorted(by.items()))
    missing = [f for f in words if len(by.get("main." + f, [])) != PER_KIND]
    tap(rc == 0 and not missing, "%s waitkinds: %d goroutines of each kind found by start_func"
        % (tag, PER_KIND), "rc %d, missing %s\n%s\n%s" % (rc, missing, summary, err[-500:]),
        row, "found")
    tap(rc == 0 and not missing, "%s waitkinds: start_func is the go statement's function" % tag,
        summary, row, "start_func")
    bad = ["%s: %r (want %r)" % (f, g["wait_reason"], w) for f, w in words.items()
           for g in by.get("main." + f, []) if g["wait_reason"] != w]
    tap(not missing and not bad, "%s waitkinds: wait_reason is the runtime's own words" % tag,
        "\n".join(bad[:10]), row, "wait_reason")
    site = re.compile(r"^main\.main at .*/waitkinds/main\.go:(\d+)$")
    bad = ["%s: %s" % (f, g["created_by"]) for f in words for g in by.get("main." + f, [])
           if not site.match(g["created_by"]) or int(site.match(g["created_by"]).group(1)) != lines[f]]
    tap(not missing and not bad, "%s waitkinds: created_by is main.main at the go statement's line"
        % tag, "\n".join(bad[:10]), row, "created_by")
    # one object per private channel, one shared by all waiters of a shared one
    expect = {"recvPrivate": PER_KIND, "sendPrivate": PER_KIND, "selectTwo": PER_KIND,
              "recvShared": 1, "lockMutex": 1, "rlockRW": 1, "waitGroup": 1,
              "recvInlined": PER_KIND, "waitOn": PER_KIND}
    bad = []
    for f, want in expect.items():
        objs = [g["wait_object"] for g in by.get("main." + f, [])]
        if None in objs or len(set(objs)) != want:
            bad.append("%s: %s (want %d distinct)" % (f, objs, want))
    objs = [g["wait_object"] for g in by.get("main.sleepLong", [])]
    if any(objs):
        bad.append("sleepLong: %s (want none)" % objs)
    tap(not missing and not bad, "%s waitkinds: wait_object distinct per private channel, one "
        "per shared channel or lock" % tag, "\n".join(bad), row, "wait_object")
    check_inlined(by, threads, row, tag)


def check_workerpool(binary, row, tag):
    wl = Workload(binary)
    threads = []
    try:
        gs, err, rc = trace(wl.proc.pid, 0.6, 3, threads=threads)
    finally:
        wl.stop()
    # native stacks of the Go threads: Go names (from .gopclntab when stripped)
    # with file:line, and no junk address after the outermost frame
    stacks = [t.get("user_stack") or [] for t in threads]
    named = [s for s in stacks if s and s[0].startswith("runtime.")]
    junk = [s for s in stacks if s and re.match(r"^0x[0-9a-f]+$", s[-1])]
    tap(bool(named) and not junk and all(re.search(r"\(\S+\.(go|s):\d+(, inlined)?\)$", f) or
                                         not binary.endswith(".stripped") for s in named for f in s),
        "%s workerpool: thread stacks named from Go's tables, no junk last frame" % tag,
        "\n".join(" <- ".join(s) for s in stacks[:4]), row, "thread_stack")
    workers = [g for g in gs if g["start_func"] == "main.main.func1"]
    tap(rc == 0 and len(workers) >= 7 and all(g["wait_reason"] == "chan receive" for g in workers),
        "%s workerpool: >= 7 of 8 workers parked on chan receive" % tag,
        "rc %d: %s" % (rc, [(g["start_func"], g["wait_reason"]) for g in gs]), row, "found")
    objs = {g["wait_object"] for g in workers}
    tap(len(objs) == 1 and None not in objs, "%s workerpool: all workers wait on one channel" % tag,
        objs, row, "wait_object")
    tap(bool(workers) and all(g["verdict"] == "idle" for g in workers),
        "%s workerpool: workers are idle" % tag, [g["verdict"] for g in workers], row, "verdict")


def check_httpleak(binary, row, tag):
    line = source_lines("httpleak")["LEAK-SITE"]
    wl = Workload(binary)

    def requests():
        # in two waves a report apart: the site keeps growing across reports
        for i in range(LEAKS):
            if i == LEAKS // 2:
                time.sleep(1.2)
            with urllib.request.urlopen("http://127.0.0.1:%d/" % wl.port, timeout=10) as r:
                r.read()
    try:
        gs, err, rc = trace(wl.proc.pid, 1.0, 4, requests)
    finally:
        wl.stop()
    leaks = [g for g in gs if g["start_func"] == "main.handler.func1"]
    tap(rc == 0 and len(leaks) == LEAKS and all(g["wait_reason"] == "chan send" for g in leaks),
        "%s httpleak: %d goroutines parked on chan send" % (tag, LEAKS),
        "rc %d: %s\n%s" % (rc, [(g["start_func"], g["wait_reason"]) for g in gs][:30], err[-400:]),
        row, "found")
    site = re.compile(r"^main\.handler at .*/httpleak/main\.go:%d$" % line)
    tap(bool(leaks) and all(site.match(g["created_by"]) for g in leaks),
        "%s httpleak: created_by main.handler at main.go:%d" % (tag, line),
        [g["created_by"] for g in leaks[:3]], row, "created_by")
    objs = [g["wait_object"] for g in leaks]
    tap(bool(leaks) and None not in objs and len(set(objs)) == len(objs),
        "%s httpleak: each leak waits on its own channel" % tag, objs[:5], row, "wait_object")
    tap(bool(leaks) and all(g["verdict"] == "leak" for g in leaks),
        "%s httpleak: verdict leak" % tag, [g["verdict"] for g in leaks], row, "verdict")


def patched_version(src, old, new, dest):
    """A copy of src with its Go version string replaced (same length)."""
    with open(src, "rb") as f:
        data = f.read()
    assert len(old) == len(new) and old.encode() in data
    with open(dest, "wb") as f:
        f.write(data.replace(old.encode(), new.encode()))
    os.chmod(dest, 0o755)
    return dest


def go_version(go):
    return subprocess.check_output([go, "version"], text=True, env=dict(
        os.environ, GOROOT=os.path.dirname(os.path.dirname(go)), GOTOOLCHAIN="local")).split()[2]


def run_as_newer(dirs, version, name):
    """waitkinds.stripped of toolchain `version` with its version patched to
    go1.28, traced: (goroutines, stderr, rc)."""
    tmp = os.path.join(CACHE, "workloads", "newer")
    os.makedirs(tmp, exist_ok=True)
    out, full = dirs[version]
    fake = patched_version(os.path.join(out, "waitkinds.stripped"), full, "go1.28" + full[6:],
                           os.path.join(tmp, name))
    wl = Workload(fake)
    try:
        time.sleep(0.3)
        return trace(wl.proc.pid, 0.5, 1)
    finally:
        wl.stop()


def check_newer(dirs):
    """1.28 simulated: a 1.27 binary fits the newest table, a 1.19 one does not."""
    row = ("go1.28 (patched)", "stripped")
    if "1.27" in dirs:
        gs, err, rc = run_as_newer(dirs, "1.27", "waitkinds-127as128")
        ok = rc == 0 and "newer than the offsets tables" in err and \
            len([g for g in gs if g["start_func"] == "main.recvPrivate"
                 and g["wait_reason"] == "chan receive"]) == PER_KIND
        tap(ok, "go1.28 (a 1.27 binary): newest table after a checked walk, with a warning",
            "rc %d\n%s" % (rc, err[-600:]), row, "found")
    if "1.19" in dirs:
        gs, err, rc = run_as_newer(dirs, "1.19", "waitkinds-119as128")
        tap(rc != 0 and "go1.28" in err and not gs,
            "go1.28 (a 1.19 binary): the newest table does not fit: a clear error, no goroutines",
            "rc %d, %d goroutines\n%s" % (rc, len(gs), err[-600:]), row, "verdict")


def print_table():
    rows = sorted(table)
    print("# %-18s %-9s %s" % ("toolchain", "build", " ".join("%-13s" % c for c in CHECKS)))
    for r in rows:
        cells = table[r]
        print("# %-18s %-9s %s" % (r[0], r[1], " ".join("%-13s" % cells.get(c, "-") for c in CHECKS)))


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 0
    t0 = time.time()
    offline = os.environ.get("LEAKTRACE_GO_OFFLINE") == "1"
    subprocess.run(["make", "-s", "-C", ROOT, "leaktrace"], check=True)
    toolchains = fetch()
    dirs = {}
    for version in sorted(toolchains, key=lambda v: tuple(map(int, v.split(".")))):
        ok, what = toolchains[version]
        name = "go%s: toolchain fetched from Debian" % version
        if not ok:
            if offline:
                skip(name, "offline: " + what)
            else:
                tap(False, name, what)
            for kind, _ in KINDS:
                table[("go" + version, kind)] = {"found": "no toolchain"}
            continue
        tap(True, name)
        out, err = build(version, what)
        tap(err is None, "go%s: workloads built (DWARF and stripped)" % version, err)
        if err is None:
            dirs[version] = (out, go_version(what))
    for version, (out, full) in dirs.items():
        goroot = os.path.dirname(os.path.dirname(toolchains[version][1]))
        words = runtime_words(goroot)
        for kind, suffix in KINDS:
            row = (full, kind)
            tag = "%s %s" % (full, kind)
            for check, args in ((check_waitkinds, (words,)), (check_workerpool, ()),
                                (check_httpleak, ())):
                name = check.__name__[6:]
                try:
                    extra = (kind == "dwarf",) if check is check_waitkinds else ()
                    check(os.path.join(out, name + suffix), *args, row, tag, *extra)
                except Exception as e:  # a crash fails this entry, not the run
                    tap(False, "%s %s: %s" % (tag, name, e), row=row, check="found")
    try:
        check_newer(dirs)
    except Exception as e:
        tap(False, "go1.28 (patched): %s" % e)
    print_table()
    print("# matrix time %.0f s" % (time.time() - t0))
    print("1..%d" % n_tests)
    print("%d passed, %d failed" % (n_tests - n_failed, n_failed))
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
