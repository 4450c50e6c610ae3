#!/usr/bin/env python3
"""Matrix: Java waits judged by Java state on real HotSpot JVMs (issue 25):
the host's OpenJDK 17 (bookworm), and the JDKs tools/jdk-fetch.sh unpacks
into .output/cache/jdk (21 from trixie, the newest from sid: run through
their suite's ld.so and glibc), plus any
listed in LEAKTRACE_JDKS="/path/to/jdk ...". Each JDK runs
tools/workloads/java/JavaBugs.java (compiled once by the host's javac,
--release 17) with every bug at once, under `leaktrace -p PID -f json`:
- synchronized AB-BA -> deadlock, the cycle naming both Java threads and
  both lock classes; ReentrantLock AB-BA -> deadlock;
- a thread per request on a fresh CountDownLatch -> leak;
- a thread BLOCKED on a monitor whose owner sleeps -> stuck, owner named;
- idle fixed pool and ForkJoinPool workers, JVM threads -> idle;
- Java frames with class, method and line in the stacks: interpreted
  (a second run with -Xint) and JIT-compiled (Bank.transfer run hot first,
  then deadlocked: compiled frames are named without a line);
- 21+: virtual threads (tools/workloads/java/VThreads.java): 50 parked on a
  latch (unmounted) and 3 pinned in class initializers
  (mounted): the summary counts 3 mounted on its carriers, and exactly 3
  carriers' thread records say a virtual thread is mounted.
A JDK that cannot be fetched is `not ok` with the reason (`# SKIP offline`
with LEAKTRACE_JDK_OFFLINE=1)."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from ltlib import (ROOT, Tap, Workload, final_records, json_records, leftovers, run,  # noqa: E402
                   tids_by_name)

SRC = os.path.join(ROOT, "tools", "workloads", "java")
CACHE = os.path.join(ROOT, ".output", "cache", "jdk")
HOST_JDK = "/usr/lib/jvm/java-17-openjdk-amd64"
OFFLINE = os.environ.get("LEAKTRACE_JDK_OFFLINE") == "1"
MODES = ["sync-deadlock", "lock-deadlock", "latch-leak", "monitor-stuck", "pool-idle"]


def compile_workloads(out):
    srcs = [os.path.join(SRC, f) for f in ("JavaBugs.java", "Bank.java", "VThreads.java")]
    p = subprocess.run(["javac", "--release", "17", "-g", "-d", out] + srcs,
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr


def fetched_jdks(t):
    """(name, java command or None, message) of the JDKs jdk-fetch.sh provides."""
    env = dict(os.environ)
    if OFFLINE:
        env["JDK_OFFLINE"] = "1"
    p = subprocess.run([os.path.join(ROOT, "tools", "jdk-fetch.sh"), CACHE], env=env,
                       capture_output=True, text=True, timeout=1200)
    jdks = []
    for line in p.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3:
            jdks.append((parts[0], parts[2] if parts[1] == "OK" else None, parts[2]))
    if not jdks:
        t.ok(False, "tools/jdk-fetch.sh lists JDKs", p.stderr)
    return jdks


def java_version(java):
    p = subprocess.run([java, "-version"], capture_output=True, text=True)
    return (p.stderr.splitlines() or ["?"])[0]


def site_of(sites, tid):
    for s in sites:
        if tid in s.get("tids", []):
            return s
    return {}


def check_deadlock(t, name, sites, threads, tids, a, b, classes):
    ta, tb = tids.get(a, [0])[0], tids.get(b, [0])[0]
    s = site_of(sites, ta)
    cyc = s.get("cycle", [])
    names = sorted(c.get("java", {}).get("name", "") for c in cyc)
    got = sorted(c.get("java", {}).get("lock_class", "") for c in cyc)
    t.ok(s.get("verdict") == "deadlock" and sorted(c["tid"] for c in cyc) == sorted([ta, tb]),
         "%s: %s/%s (tids %d, %d) -> deadlock with both in the cycle" % (name, a, b, ta, tb), s)
    t.ok(names == [a, b] and all(c in got for c in classes) if len(classes) == 2 else
         names == [a, b] and got and all(g == classes[0] for g in got),
         "%s: the cycle names %s and %s and lock classes %s" % (name, a, b, classes), cyc)


def check_jdk(t, name, java, classes):
    w = Workload([java, "-cp", classes, "JavaBugs"] + MODES, timeout=60)
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "2s", "-i", "2s", "-d", "7s", "-f", "json"],
                           timeout=90)
        t.ok(rc == 0, "%s: leaktrace exits 0" % name, err[-2000:])
        recs = final_records(json_records(out))
        sites = [r for r in recs if r.get("type") == "site" and r.get("pid") == w.pid]
        threads = {r["tid"]: r for r in recs if r.get("type") == "thread" and r.get("pid") == w.pid}
        tids = tids_by_name(w.pid)
        check_deadlock(t, name, sites, threads, tids, "sync-a", "sync-b",
                       ["JavaBugs$LockA", "JavaBugs$LockB"])
        check_deadlock(t, name, sites, threads, tids, "rl-a", "rl-b",
                       ["java.util.concurrent.locks.ReentrantLock$NonfairSync"])
        reqs = [x for n, v in tids.items() if n.startswith("req-") for x in v]
        verdicts = {site_of(sites, x).get("verdict") for x in reqs}
        t.ok(len(reqs) == 6 and verdicts == {"leak"},
             "%s: 6 requests parked on fresh CountDownLatches -> leak" % name, verdicts)
        waiter, holder = tids.get("waiter", [0])[0], tids.get("holder", [0])[0]
        wr = threads.get(waiter, {})
        t.ok(site_of(sites, waiter).get("verdict") == "stuck" and wr.get("lock_owner") == holder and
             wr.get("java", {}).get("state") == "BLOCKED" and
             wr.get("java", {}).get("lock_class") == "JavaBugs$StuckMonitor",
             "%s: waiter BLOCKED on StuckMonitor held by the sleeping holder -> stuck" % name, wr)
        pool = [x for n, v in tids.items() if n.startswith("pool-1-thread-") for x in v]
        fj = [x for n, v in tids.items() if n.startswith("ForkJoinPool-1-") for x in v]
        pv = {site_of(sites, x).get("verdict") for x in pool + fj}
        # a ForkJoinPool starts workers as work comes, and may retire them
        t.ok(len(pool) == 4 and len(fj) <= 3 and pv == {"idle"},
             "%s: idle fixed pool (4) and ForkJoinPool (%d) workers -> idle" % (name, len(fj)),
             (len(pool), len(fj), pv))
        rt = [threads[x] for n in ("Reference Handl", "Finalizer", "Signal Dispatch")
              for x in tids.get(n, []) if x in threads]
        t.ok(rt and all(r.get("java", {}).get("runtime") and r.get("verdict") == "idle" for r in rt),
             "%s: Reference Handler, Finalizer, Signal Dispatcher are idle JVM runtime threads"
             % name, [(r.get("thread"), r.get("verdict"), r.get("java")) for r in rt])
        known = set(reqs + [waiter] + [x for n in ("sync-a", "sync-b", "rl-a", "rl-b")
                                       for x in tids.get(n, [])])
        bad = [s for s in sites if s.get("verdict") in ("leak", "deadlock", "stuck") and
               not set(s.get("tids", [])) & known]
        t.ok(not bad, "%s: no other site judged stuck, leak or deadlock" % name,
             [(s.get("verdict"), s.get("user_stack", [])[:4]) for s in bad])
    finally:
        w.stop()


def source_line(path, text):
    """The line number of the first line of path containing text."""
    with open(path) as f:
        return next((i for i, l in enumerate(f, 1) if text in l), 0)


def check_frames(t, name, java, classes):
    """-Xint: the ReentrantLock waiter's stack names its Java frames with
    lines; default JIT: Bank.transfer, compiled after running hot, is named
    in the tellers' deadlock."""
    w = Workload([java, "-Xint", "-cp", classes, "JavaBugs", "lock-deadlock"], timeout=60)
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "2s", "-d", "3s", "-f", "json"],
                           timeout=60)
        recs = final_records(json_records(out))
        tid = tids_by_name(w.pid).get("rl-a", [0])[0]
        st = next((r.get("user_stack", []) for r in recs if r.get("type") == "thread" and
                   r.get("tid") == tid), [])
        line = source_line(os.path.join(SRC, "JavaBugs.java"), 'start("rl-a"')
        want = "JavaBugs.lambda$lockDeadlock$2 (JavaBugs.java:%d)" % line
        t.ok(any(f.startswith("java.util.concurrent.locks.ReentrantLock.lock (ReentrantLock.java:")
                 and not f.endswith(":?)") for f in st) and want in st,
             "%s -Xint: rl-a's stack has ReentrantLock.lock (ReentrantLock.java:N) and %s" %
             (name, want), st)
        t.ok(not any(f.startswith("0x") for f in st),
             "%s -Xint: no unnamed code cache frame left" % name, st)
    finally:
        w.stop()
    w = Workload([java, "-cp", classes, "JavaBugs", "hot"], timeout=120)
    try:
        # a monitor wait is reported a threshold after it is first seen
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "2s", "-d", "5s", "-f", "json"],
                           timeout=60)
        recs = final_records(json_records(out))
        tids = tids_by_name(w.pid)
        tellers = tids.get("teller-1", []) + tids.get("teller-2", [])
        stacks = [r.get("user_stack", []) for r in recs if r.get("type") == "thread" and
                  r.get("tid") in tellers]
        sites = [r for r in recs if r.get("type") == "site" and set(r.get("tids", [])) & set(tellers)]
        t.ok(len(stacks) == 2 and all(any(f.startswith("Bank.transfer (Bank.java") for f in s) for s in stacks),
             "%s JIT: both tellers' stacks name the compiled Bank.transfer (Bank.java)" % name,
             stacks)
        t.ok(sites and all(s.get("verdict") == "deadlock" for s in sites),
             "%s JIT: the tellers' deadlock is found" % name, [s.get("verdict") for s in sites])
    finally:
        w.stop()


def java_major(version):
    """21 of 'openjdk version "21.0.8" ...', 0 when unreadable."""
    try:
        return int(version.split('"')[1].split(".")[0].split("-")[0])
    except (IndexError, ValueError):
        return 0


def check_vthreads(t, name, java, classes):
    """Mounted virtual threads per carrier (21+: JavaThread::_vthread)."""
    w = Workload([java, "-Djdk.virtualThreadScheduler.parallelism=4", "-cp", classes, "VThreads",
                  "50", "3"], timeout=60)
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "json"],
                           timeout=60)
        recs = final_records(json_records(out))
        summ = next((r for r in recs if r.get("type") == "summary" and r.get("pid") == w.pid), {})
        jv = summ.get("java", {})
        t.ok(jv.get("vthreads_mounted") == 3 and 3 <= jv.get("carriers", 0) < 50,
             "%s: 3 pinned virtual threads mounted, 50 parked ones not (summary %s)" % (name, jv),
             summ)
        car = [r for r in recs if r.get("type") == "thread" and r.get("pid") == w.pid and
               "carrier" in r.get("java", {})]
        mounted = [r["java"]["name"] for r in car if r["java"]["carrier"]["vthreads_mounted"]]
        t.ok(len(mounted) == 3 and all(n.startswith("ForkJoinPool-") for n in mounted),
             "%s: 3 carrier threads say a virtual thread is mounted: %s" % (name, mounted),
             [r.get("java") for r in car])
    finally:
        w.stop()


t = Tap()
tmp = tempfile.mkdtemp(prefix="lt-jdk-")
ok, msg = compile_workloads(tmp)
t.ok(ok, "javac --release 17 compiles the Java workloads", msg)
jdks = [("17-host", HOST_JDK + "/bin/java" if os.path.exists(HOST_JDK + "/bin/java") else None,
         "installed" if os.path.exists(HOST_JDK) else "openjdk-17 not installed")]
jdks += fetched_jdks(t)
jdks += [("extra:" + h, h + "/bin/java", "LEAKTRACE_JDKS") for h in os.environ.get("LEAKTRACE_JDKS", "").split()]
table = []
for name, java, msg in jdks:
    if java is None:
        if OFFLINE:
            print("ok %d - %s: # SKIP offline (%s)" % (t.n + 1, name, msg))
            t.n += 1
        else:
            t.ok(False, "%s: JDK available" % name, msg)
        table.append((name, "-", "-", msg))
        continue
    before = t.failed
    version = java_version(java)
    t.diag("%s: %s (%s)" % (name, version, java))
    if ok:
        check_jdk(t, name, java, tmp)
        check_frames(t, name, java, tmp)
        if java_major(version) >= 21:
            check_vthreads(t, name, java, tmp)
    table.append((name, version, "pass" if t.failed == before else "FAIL", msg))
t.diag("jdk        version                                   result  source")
for row in table:
    t.diag("%-10s %-41s %-7s %s" % row)
t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
t.done()
