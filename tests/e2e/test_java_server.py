#!/usr/bin/env python3
"""A real Java application server (issue 25): Debian's Jetty 9 (jetty9,
on the host's OpenJDK 17) serving a webapp of the test's own
(tools/workloads/java/jetty: servlets compiled by javac against Jetty's
servlet API jar, deployed into a temporary jetty.base and started as
`java -jar start.jar` on a free port, not as the system service), under
`leaktrace -p PID -t 2s -i 2s -f json`:
- idle, under traffic (concurrent requests to /ok) and after bursts:
  no site of Jetty's judged stuck, leak or deadlock; the resting request
  pool (qtp*) is idle;
- /leak starts a thread per request waiting forever on a fresh
  CountDownLatch: the leaked-N threads -> leak, LeakServlet$Waiter.run in
  the site's Java frames;
- /deadlock?side=a and ?side=b take LockA/LockB in opposite order on two
  request threads (renamed dl-a, dl-b) -> deadlock, the cycle naming both
  Java threads and both lock classes, DeadlockServlet.doGet in the stack."""
import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time

from ltlib import (ROOT, Tap, final_records, free_port, http_get, json_records, leftovers, run,
                   tids_by_name, wait_for)

t = Tap()
HOME = "/usr/share/jetty9"
SRC = os.path.join(ROOT, "tools", "workloads", "java", "jetty")
BAD = ("stuck", "leak", "deadlock")


def make_base(tmp, port):
    """A jetty.base with the http and deploy modules and the exploded webapp
    /app (WEB-INF/web.xml and the compiled servlets)."""
    base = os.path.join(tmp, "base")
    classes = os.path.join(base, "webapps", "app", "WEB-INF", "classes")
    os.makedirs(classes)
    shutil.copy(os.path.join(SRC, "web.xml"), os.path.dirname(classes))
    api = glob.glob(os.path.join(HOME, "lib", "servlet-api-*.jar"))
    srcs = sorted(glob.glob(os.path.join(SRC, "*.java")))
    p = subprocess.run(["javac", "--release", "17", "-g", "-cp", ":".join(api), "-d", classes] + srcs,
                       capture_output=True, text=True)
    with open(os.path.join(base, "start.ini"), "w") as f:
        f.write("--module=http,deploy\njetty.http.host=127.0.0.1\njetty.http.port=%d\n"
                "jetty.threadPool.minThreads=10\n" % port)
    return base, p.returncode == 0 and bool(api), p.stderr or "no servlet-api jar in %s/lib" % HOME


def trace(pid, dur="6s"):
    """Final records of `leaktrace -p PID` for pid: (sites, threads by tid, rc, stderr)."""
    rc, out, err = run(["-p", str(pid), "-t", "2s", "-i", "2s", "-d", dur, "-f", "json"], timeout=120)
    recs = final_records(json_records(out))
    sites = [r for r in recs if r.get("type") == "site" and r.get("pid") == pid]
    threads = {r["tid"]: r for r in recs if r.get("type") == "thread" and r.get("pid") == pid}
    return sites, threads, rc, err


def site_of(sites, tid):
    return next((s for s in sites if tid in s.get("tids", [])), {})


def bad_sites(sites):
    return [(s.get("verdict"), s.get("reason"), s.get("user_stack", [])[:6]) for s in sites
            if s.get("verdict") in BAD]


def check_healthy(t, pid, what, busy=False):
    """busy: under traffic every pool thread may be serving (none resting)."""
    sites, threads, rc, err = trace(pid)
    t.ok(rc == 0 and sites, "%s: leaktrace exits 0 with Jetty's sites" % what, err[-1500:])
    t.ok(not bad_sites(sites), "%s: no site judged stuck, leak or deadlock" % what, bad_sites(sites))
    pool = [x for n, v in tids_by_name(pid).items() if n.startswith("qtp") for x in v]
    resting = [threads[x] for x in pool if x in threads and
               threads[x].get("java", {}).get("waits") == "park"]
    t.ok((resting or busy) and all(r.get("verdict") == "idle" for r in resting),
         "%s: the resting request pool (%d qtp threads parked) is idle" % (what, len(resting)),
         [(r.get("java"), r.get("verdict")) for r in resting])


def hammer(url, seconds, workers):
    """workers threads issuing GETs for seconds: the number of 200s."""
    done, end = [0], time.time() + seconds

    def loop():
        while time.time() < end:
            try:
                if http_get(url, timeout=5)[0] == 200:
                    done[0] += 1
            except OSError:
                pass
    ths = [threading.Thread(target=loop, daemon=True) for _ in range(workers)]
    for th in ths:
        th.start()
    return ths, done


def check_leak(t, pid, port):
    # requests arrive over time, as a service's do (6 at once before attach
    # is a burst, judged as a pool's: docs/verdicts.md, leak_spread)
    codes = []
    for _ in range(6):
        codes.append(http_get("http://127.0.0.1:%d/app/leak" % port)[0])
        time.sleep(0.4)
    sites, threads, rc, err = trace(pid)
    leaked = [x for n, v in tids_by_name(pid).items() if n.startswith("leaked-") for x in v]
    ss = [site_of(sites, x) for x in leaked]
    t.ok(codes == [200] * 6 and len(leaked) == 6 and all(s.get("verdict") == "leak" for s in ss),
         "6 requests to /leak: the 6 leaked-N threads -> leak", (codes, len(leaked),
                                                                [s.get("verdict") for s in ss],
                                                                [(s.get("reason"), s.get("user_stack", [])[:8])
                                                                 for s in ss if s.get("verdict") != "leak"]))
    s = ss[0] if ss else {}
    names = sorted(threads.get(x, {}).get("java", {}).get("name", "") for x in leaked)
    t.ok(names == sorted("leaked-%d" % i for i in range(1, 7)) and
         all(threads[x]["java"].get("lock_class") == "java.util.concurrent.CountDownLatch$Sync"
             for x in leaked if x in threads),
         "the leaked threads are named leaked-1..6 and park on CountDownLatch$Sync",
         [threads.get(x, {}).get("java") for x in leaked])
    tnames = sorted(threads.get(x, {}).get("thread_name", "") for x in leaked)
    t.ok(tnames == names, "their thread_name is their Java name (as Python threads' is threading's)",
         tnames)
    t.ok(any(f.startswith("LeakServlet$Waiter.run (LeakServlet.java:") for f in s.get("user_stack", [])),
         "the leak site's stack names LeakServlet$Waiter.run (LeakServlet.java:N)", s.get("user_stack"))
    t.ok("private object" in (s.get("reason") or ""),
         "the leak site says why: %s" % s.get("reason"), s)


def check_deadlock(t, pid, port):
    for side in ("a", "b"):
        threading.Thread(target=lambda s=side: _get_quiet(port, s), daemon=True).start()
    wait_for(lambda: {"dl-a", "dl-b"} <= set(tids_by_name(pid)), 10)
    time.sleep(1)  # both past their first lock
    # a monitor wait is reported a threshold after leaktrace first sees it
    sites, threads, rc, err = trace(pid, "7s")
    tids = tids_by_name(pid)
    ta, tb = tids.get("dl-a", [0])[0], tids.get("dl-b", [0])[0]
    s = site_of(sites, ta)
    cyc = s.get("cycle", [])
    t.ok(s.get("verdict") == "deadlock" and sorted(c.get("tid") for c in cyc) == sorted([ta, tb]),
         "two requests to /deadlock: dl-a/dl-b (tids %d, %d) -> deadlock, both in the cycle" %
         (ta, tb), (s.get("verdict"), s.get("reason"), cyc))
    t.ok(sorted(c.get("java", {}).get("name", "") for c in cyc) == ["dl-a", "dl-b"] and
         sorted(c.get("java", {}).get("lock_class", "") for c in cyc) ==
         ["DeadlockServlet$LockA", "DeadlockServlet$LockB"],
         "the cycle names the Java threads dl-a, dl-b and DeadlockServlet$LockA/LockB", cyc)
    stacks = [threads.get(x, {}).get("user_stack", []) for x in (ta, tb)] + [s.get("user_stack", [])]
    t.ok(all(any(f.startswith("DeadlockServlet.doGet (DeadlockServlet.java:") for f in st)
             for st in stacks),
         "both threads' stacks and the site's name DeadlockServlet.doGet (DeadlockServlet.java:N)",
         stacks)
    t.ok(s.get("reason") == "threads wait in a cycle for mutexes held by each other",
         "the deadlock site says why: %s" % s.get("reason"), s)
    other = [b for b in bad_sites([x for x in sites if not set(x.get("tids", [])) & {ta, tb}])
             if b[0] != "leak"]
    t.ok(not other, "no other site judged stuck or deadlock", other)


def _get_quiet(port, side):
    try:
        http_get("http://127.0.0.1:%d/app/deadlock?side=%s" % (port, side), timeout=600)
    except OSError:
        pass


def main():
    if not os.path.exists(os.path.join(HOME, "start.jar")):
        t.ok(False, "jetty9 installed (%s/start.jar; tools/install-deps.sh)" % HOME)
        t.done()
    tmp = tempfile.mkdtemp(prefix="lt-jetty-")
    port = free_port()
    base, ok, msg = make_base(tmp, port)
    t.ok(ok, "javac compiles the webapp's servlets against Jetty's servlet API", msg)
    if not ok:
        t.done()
    log = open(os.path.join(tmp, "jetty.log"), "w")
    jetty = subprocess.Popen(["java", "-jar", os.path.join(HOME, "start.jar"), "jetty.home=" + HOME,
                              "jetty.base=" + base], cwd=base, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    try:
        up = wait_for(lambda: _ok(port), 90, 0.5)
        t.ok(up, "Jetty %d serves /app/ok on port %d" % (jetty.pid, port),
             open(log.name).read()[-2000:])
        if up:
            check_healthy(t, jetty.pid, "idle")
            ths, done = hammer("http://127.0.0.1:%d/app/ok" % port, 8, 8)
            check_healthy(t, jetty.pid, "under traffic (8 concurrent clients)", busy=True)
            for th in ths:
                th.join()
            t.diag("%d requests served under traffic" % done[0])
            for _ in range(3):
                ths, done = hammer("http://127.0.0.1:%d/app/ok" % port, 1, 40)
                for th in ths:
                    th.join()
            check_healthy(t, jetty.pid, "after 3 bursts of 40 concurrent clients")
            check_leak(t, jetty.pid, port)
            check_deadlock(t, jetty.pid, port)
    finally:
        jetty.kill()
        jetty.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
    t.done()


def _ok(port):
    try:
        return http_get("http://127.0.0.1:%d/app/ok" % port, timeout=2)[0] == 200
    except OSError:
        return False


main()
