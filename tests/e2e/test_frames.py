#!/usr/bin/env python3
"""End-to-end: structured frames (docs/frames.md) on real programs.
The culprit frame (the first frame of the program's own code) of a C leak
built with -g (file:line from DWARF), of a Python leak (past threading and
the interpreter) and of a Go goroutine leak (past the runtime); site ids
that do not depend on JIT addresses (20 Node workers blocked in
Atomics.wait are one site without a perf map, and keep their site id when
the map appears later); pprof read by `go tool pprof` (-list shows the Go
leak's source line, -sample_index=parked shows shares of the total, the
main binary is the program's); folded stacks with --folded-verdict."""
import os
import re
import signal
import subprocess
import tempfile
import time

from ltlib import (LEAKTRACE, ROOT, Tap, Workload, final_records, json_records, leftovers, run,
                   split_reports, threads_by_tid)

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-frames-")
GO = os.environ.get("GO", "go")
GO_WL = os.path.join(ROOT, ".output", "go-workloads")
NODE = "/usr/bin/node"
NODE_JS = os.path.join(ROOT, "tools", "workloads", "node_workers_leak.js")
WORKERS = 20


def source_line(path, needle):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return n
    raise RuntimeError("%s: no %r" % (path, needle))


def site_of(recs, kind, member):
    """The site record of recs whose tids (threads) or goids hold member."""
    key = "tids" if kind == "thread" else "goids"
    for r in recs:
        if r.get("type") == "site" and r.get("kind") == kind and member in r.get(key, []):
            return r
    return None


def check_c():
    """leaky (-O2 -g): the condvar leak's culprit is leak_condvar_worker at
    the line of its pthread_cond_wait, in JSON and as the text headline."""
    src = os.path.join(ROOT, "tools", "workloads", "leaky.c")
    line = source_line(src, "pthread_cond_wait(&l->cv, &l->mu);")
    w = Workload(["leaky"])
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "json"])
        rc2, text, err2 = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s"])
    finally:
        w.stop()
    t.ok(rc == rc2 == 0, "c: leaktrace exits 0 (json, text)", err + err2)
    fin = final_records(json_records(out))
    tid = w.tid("condvar")
    c = (site_of(fin, "thread", tid) or {}).get("culprit") or {}
    t.ok(c.get("function") == "leak_condvar_worker" and c.get("line") == line
         and (c.get("file") or "").endswith("/tools/workloads/leaky.c")
         and os.path.isabs(c.get("file") or "") and (c.get("module") or "").endswith("/leaky"),
         "c: condvar site culprit is leak_condvar_worker at leaky.c:%d (full path, module)" % line, c)
    th = threads_by_tid(fin).get(tid, {})
    tc = th.get("culprit") or {}
    t.ok(tc.get("function") == "leak_condvar_worker" and tc.get("line") == line,
         "c: the thread record names it too", th)
    want = "at leak_condvar_worker (leaky.c:%d)" % line
    t.ok(want in text, "c: text headline '%s'" % want, text)


def check_python():
    """python_sites.py: the Event leak's culprit is wait_for_payment at the
    line of ev.wait(), past threading.py and the interpreter's frames."""
    script = os.path.realpath(os.path.join(ROOT, "tools", "workloads", "python_sites.py"))
    w = Workload(["/usr/bin/python3", script, "--every", "0.5", "--max", "6"], timeout=60)
    try:
        lines = {l.split()[1]: int(l.split()[2]) for l in w.lines_starting("LINE ")}
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "json"],
                           timeout=90)
        rc2, text, err2 = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s"], timeout=90)
    finally:
        w.stop()
    t.ok(rc == rc2 == 0, "python: leaktrace exits 0 (json, text)", err + err2)
    fin = final_records(json_records(out))
    for role, func in (("event", "wait_for_payment"), ("queue", "wait_for_chunk")):
        s = site_of(fin, "thread", w.tid(role)) or {}
        c = s.get("culprit") or {}
        t.ok(c.get("function") == func and c.get("file") == script and c.get("line") == lines[role]
             and c.get("module") is None,
             "python: %s site culprit is %s (%s:%d)" % (role, func, script, lines[role]), s)
    want = "at wait_for_payment (python_sites.py:%d)" % lines["event"]
    t.ok(want in text, "python: text headline '%s'" % want, text)


def build_go():
    if not os.path.exists(os.path.join(GO_WL, "httpleak")):
        subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_WL],
                       check=True, env=dict(os.environ, GO=GO), stdout=subprocess.DEVNULL)


def start_httpleak():
    p = subprocess.Popen([os.path.join(GO_WL, "httpleak")], stdout=subprocess.PIPE, text=True)
    port = None
    for line in p.stdout:
        if line.startswith("PORT "):
            port = int(line.split()[1])
        if line.strip() == "READY":
            break
    import urllib.request
    for _ in range(3):
        urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read()
    return p


def pprof(*args):
    p = subprocess.run([GO, "tool", "pprof"] + list(args), capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, PPROF_TMPDIR=TMP))
    return p.returncode, p.stdout + p.stderr


def check_go():
    """httpleak: the leaked goroutines' culprit is main.handler.func1 (not
    runtime.gopark / chan send); pprof -list shows its source line."""
    src = os.path.join(ROOT, "tools", "workloads", "go", "httpleak", "main.go")
    line = source_line(src, "LEAK-SITE")
    build_go()
    p = start_httpleak()
    path = os.path.join(TMP, "go.pb.gz")
    try:
        rc, out, err = run(["-p", str(p.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "json"])
        rc2, _, err2 = run(["-p", str(p.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "pprof",
                            "-o", path])
    finally:
        p.kill()
        p.wait()
    t.ok(rc == rc2 == 0, "go: leaktrace exits 0 (json, pprof)", err + err2)
    fin = final_records(json_records(out))
    sites = [r for r in fin if r.get("type") == "site" and r.get("kind") == "goroutine"
             and r.get("threads") == 3]
    c = (sites[0].get("culprit") or {}) if sites else {}
    t.ok(len(sites) == 1 and c.get("function") == "main.handler.func1" and c.get("line") == line
         and (c.get("file") or "").endswith("/httpleak/main.go"),
         "go: the leak site's culprit is main.handler.func1 at main.go:%d" % line, sites or fin)
    prc, listing = pprof("-list", "main.handler.func1", path)
    code = "go func() { ch <- 1 }()"
    # "   .   3   15:	go func() { ch <- 1 }()": flat, cum (3 goroutines), line, code
    t.ok(prc == 0 and re.search(r"^\s+\.\s+3\s+%d:\s*%s" % (line, re.escape(code)), listing, re.M),
         "go: pprof -list main.handler.func1 shows line %d with its 3 goroutines" % line, listing)
    prc, top = pprof("-sample_index=parked", "-top", path)
    shares = [float(x) for x in re.findall(r"([\d.]+)%", top)]
    t.ok(prc == 0 and "Type: parked" in top and shares and max(shares) <= 100.0,
         "go: -sample_index=parked: shares of the total, none over 100%", top)


def check_pprof_main_binary():
    """The main binary of a C profile is the program, not libc."""
    w = Workload(["leaky"])
    path = os.path.join(TMP, "c.pb.gz")
    try:
        rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "pprof",
                          "-o", path])
    finally:
        w.stop()
    prc, top = pprof("-top", path)
    t.ok(rc == 0 and prc == 0 and re.search(r"^File: leaky$", top, re.M),
         "pprof: main binary is leaky", err + top)
    prc, top = pprof("-top", "-sample_index=parked", path)
    t.ok(not re.search(r"\+0x[0-9a-f]", top) and "leak_condvar_worker" in top,
         "pprof: function-level frames (no +0x offsets)", top)


def check_folded_verdict():
    w = Workload(["leaky"])
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "folded",
                            "--folded-verdict"])
    finally:
        w.stop()
    lines = out.splitlines()
    t.ok(rc == 0 and lines and all(re.match(r"^(idle|stuck|leak|deadlock);leaky", l) for l in lines)
         and any(";leak_condvar_worker;" in l for l in lines)
         and not any("+0x" in l.split(";", 2)[2] for l in lines),
         "folded --folded-verdict: verdict;comm;... and no offsets on named frames", out + err)


def node_worker_sites(recs, tids):
    """{tid: site} of the worker tids in one report's records that are
    blocked in Atomics.wait (V8 may wake a worker for an interrupt: it is
    then not parked past the threshold for a while)."""
    th = threads_by_tid(recs)
    return {tid: th[tid].get("site") for tid in tids
            if any("Builtin_AtomicsWait" in f for f in th.get(tid, {}).get("user_stack", []))}


def check_node_no_map():
    """20 workers, no perf map: each isolate's JIT code at its own address
    (20 sites when the id hashed addresses), one site all the same. V8 may
    wake a worker (an interrupt) and park it again: at least 18 of them
    reported, up to 3 runs."""
    # interpreted functions get their own code copy in each isolate
    w = Workload([NODE, "--interpreted-frames-native-stack", NODE_JS, str(WORKERS)], timeout=90)
    time.sleep(1)
    tids = [w.tid("worker%d" % i) for i in range(WORKERS)]
    sites, err = {}, ""
    try:
        for _ in range(3):
            rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "json"])
            sites = node_worker_sites(final_records(json_records(out)), tids)
            if rc or len(sites) >= WORKERS - 2:
                break
    finally:
        w.stop()
    t.ok(rc == 0 and len(sites) >= WORKERS - 2 and len(set(sites.values())) == 1,
         "node, no perf map: the %d Atomics.wait workers are one site" % WORKERS,
         "%d workers reported, sites %s %s" % (len(sites), sorted(set(sites.values())), err))


def reports_so_far(path):
    """The whole reports written to path so far (a last line may be cut)."""
    recs = []
    with open(path) as f:
        for line in f:
            if line.endswith("\n"):
                recs += json_records(line)
    return split_reports(recs)


def named(th, tid):
    return any("blockForever" in f for f in th.get(tid, {}).get("user_stack", []))


def check_node_map_later():
    """--perf-basic-prof with the map hidden at first: once a report has
    the first wave's stacks (unnamed), the map appears and a second wave
    starts (named blockForever): all 20 in one site, the first one's (at
    least 18 reported: V8 may wake a worker for an interrupt)."""
    w = Workload([NODE, "--perf-basic-prof", "--interpreted-frames-native-stack",
                  # without these, --perf-basic-prof leaves isolate-*-v8.log in the
                  # cwd (and /dev/null sends the workers' log to stdout)
                  "--logfile=" + os.path.join(TMP, "v8.log"), "--no-logfile-per-isolate", NODE_JS,
                  str(WORKERS // 2)], timeout=90)
    pmap = "/tmp/perf-%d.map" % w.pid
    hidden = pmap + ".lt-frames-hidden"
    out_path = os.path.join(TMP, "node.json")
    first = [w.tid("worker%d" % i) for i in range(WORKERS // 2)]
    early, early_th, lt, err = {}, {}, None, ""
    try:
        os.rename(pmap, hidden)
        with open(out_path, "w") as out:
            lt = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-f", "json"],
                                  stdout=out, stderr=subprocess.PIPE)
        end = time.time() + 30
        full = lambda e: len(e) >= len(first) - 1 and all(e.values())
        while time.time() < end and not full(early):
            time.sleep(0.5)
            for rep in reports_so_far(out_path):
                early = node_worker_sites(rep, first)
                early_th = threads_by_tid(rep)
                if full(early):
                    break
        os.rename(hidden, pmap)
        w.proc.send_signal(signal.SIGUSR2)
        w.read_until("READY", 60)
        time.sleep(3)
        lt.send_signal(signal.SIGTERM)  # a final report, then exit 0
        err = lt.communicate(timeout=60)[1].decode("utf-8", "replace")
    finally:
        if lt and lt.poll() is None:
            lt.kill()
            lt.wait()
        w.stop()
        for p in (pmap, hidden):
            try:
                os.unlink(p)
            except OSError:
                pass
    second = [w.tid("worker%d" % i) for i in range(WORKERS // 2, WORKERS)]
    reports = reports_so_far(out_path)
    late = node_worker_sites(reports[-1], first + second) if reports else {}
    th = threads_by_tid(reports[-1]) if reports else {}
    t.ok(lt.returncode == 0 and len(early) >= len(first) - 1 and len(set(early.values())) == 1
         and not any(named(early_th, x) for x in first),
         "node, map hidden: the first %d workers are one site, unnamed" % len(first), (err, early))
    t.ok(any(x in late for x in second) and all(named(th, x) for x in second if x in late),
         "node: the second wave is named blockForever from the map",
         {x: th.get(x, {}).get("user_stack") for x in second[:1]})
    t.ok(len(late) >= WORKERS - 2 and set(late.values()) == set(early.values()),
         "node, map appeared: all %d workers in the first wave's site" % WORKERS,
         (sorted(set(early.values())), sorted(set(late.values())), len(late)))


check_c()
check_python()
check_folded_verdict()
check_pprof_main_binary()
if t.ok(os.access(NODE, os.X_OK), "node: %s exists" % NODE):
    check_node_no_map()
    check_node_map_later()
check_go()
t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
t.done()
