"""Checks of Python frames in leaktrace's user stacks, shared by
tests/e2e/test_python.py (the host's CPython) and
tests/matrix/test_cpython.py (CPython of other Debian suites in a chroot).

The workload is tools/workloads/python_sites.py: two leaking call sites,
an idle pool, a sleeper; it prints the line of each blocking call."""
import os

from ltlib import Workload, final_records, json_records, run, threads_by_tid

SITES_PY = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "workloads",
                        "python_sites.py")

# role -> (innermost function of ours, the function that called it)
EXPECT = {
    "event": ("wait_for_payment", "handle_order"),
    "queue": ("wait_for_chunk", "handle_upload"),
    "sleeper": ("nap", "Thread.run"),
}


def frame_of(stack, func, path):
    """The Python frame "func (path:N)" in stack (qualified names before
    3.11 have no class: "run" for "Thread.run"), or None."""
    short = func.rsplit(".", 1)[-1]
    for f in stack:
        for name in (func, short):
            if f.startswith(name + " (") and (path is None or (" (" + path + ":") in f):
                return f
    return None


def check_python(t, label, argv, script_path, extra_args=()):
    """Run leaktrace on the workload (argv) twice: with Python frames (the
    stacks, sites and verdicts) and with --no-python (native only)."""
    w = Workload(list(argv) + ["--every", "0.5", "--max", "12"], timeout=60)
    try:
        lines = {l.split()[1]: int(l.split()[2]) for l in w.lines_starting("LINE ")}
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "5s", "-f", "json"]
                           + list(extra_args), timeout=90)
        t.ok(rc == 0, "%s: leaktrace exits 0" % label, err)
        recs = json_records(out)
        fin = final_records(recs)
        th = threads_by_tid(fin)
        w.drain()
        for role, (func, caller) in EXPECT.items():
            tid = w.tid(role)
            r = th.get(tid)
            stack = (r or {}).get("user_stack", [])
            want = "%s (%s:%d)" % (func, script_path, lines[role])
            t.ok(want in stack, "%s: %s tid %d: %s in user_stack" % (label, role, tid, want),
                 stack or r)  # no stack: show the record (stack_error, or absent)
            t.ok(frame_of(stack, caller, None) is not None,
                 "%s: %s tid %d: caller %s on the stack" % (label, role, tid, caller), stack)
            t.ok(not any(f.startswith("_PyEval_EvalFrameDefault") for f in stack),
                 "%s: %s: no interpreter eval frame left%s" % (
                     label, role, " (Python frames appended: eval loop not named natively)"
                     if "[python frames]" in stack else ""), stack)
            t.ok(not any("python frames unavailable" in f for f in stack),
                 "%s: %s: no failure marker" % (label, role), stack)
        # threading's names (the workload names them "sites-ROLE-thread",
        # longer than a comm), read from the interpreter's structures
        for role in ("event", "queue", "sleeper"):
            tid = w.tid(role)
            got = th.get(tid, {}).get("thread_name")
            t.ok(got == "sites-%s-thread" % role,
                 "%s: %s tid %d: thread_name is its threading.Thread name" % (label, role, tid),
                 got)
        pools = [th.get(x, {}).get("thread_name", "") for x in w.roles.get("pool", [])]
        t.ok(pools and all(n.startswith("ThreadPoolExecutor-") for n in pools),
             "%s: pool workers named by ThreadPoolExecutor" % label, pools)
        # the lock wait stays visible under the Python frames
        ev = th.get(w.tid("event"), {}).get("user_stack", [])
        # glibc's names, or 3.13+'s own lock (libc unsymbolized in minimal roots)
        lock_words = ("acquire", "futex", "sem_wait", "_PySemaphore_Wait", "_PyParkingLot_Park")
        t.ok(any(w in f for f in ev[:6] for w in lock_words),
             "%s: native lock wait frames stay innermost" % label, ev)
        for tid in w.roles.get("pool", []):
            st = th.get(tid, {}).get("user_stack", [])
            t.ok(frame_of(st, "_worker", None) is not None,
                 "%s: pool tid %d idle in _worker" % (label, tid), st)
        # two call sites, two sites, both leaks
        ev_sites = {th[x]["site"] for x in w.roles["event"] if x in th}
        q_sites = {th[x]["site"] for x in w.roles["queue"] if x in th}
        t.ok(len(ev_sites) == 1 and len(q_sites) == 1 and ev_sites != q_sites,
             "%s: two leaking call sites are two sites" % label, (ev_sites, q_sites))
        site_recs = {s["site"]: s for s in fin if s.get("type") == "site"}
        for role, sites in (("event", ev_sites), ("queue", q_sites)):
            verdicts = [site_recs[s]["verdict"] for s in sites if s in site_recs]
            t.ok(verdicts == ["leak"], "%s: %s site judged leak" % (label, role), verdicts)
        pool_v = {th[x]["verdict"] for x in w.roles.get("pool", []) if x in th}
        sleep_v = th.get(w.tid("sleeper"), {}).get("verdict")
        t.ok(pool_v and "leak" not in pool_v and sleep_v == "idle",
             "%s: pool and sleeper are not leaks (pool %s, sleeper %s)" % (label, pool_v, sleep_v))
        report = [x for x in fin if x.get("type") == "report"]
        t.ok(report and report[0].get("python_failures") == 0,
             "%s: report record counts 0 python failures" % label, report)
        t.ok(report and report[0].get("drops", {}).get("python_names_failed") == 0,
             "%s: no thread name read failed" % label, report and report[0].get("drops"))
        # --no-python: native stacks as before
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "1s", "-f", "json",
                            "--no-python"] + list(extra_args), timeout=60)
        th2 = threads_by_tid(final_records(json_records(out)))
        st = th2.get(w.tid("event"), {}).get("user_stack", [])
        t.ok(rc == 0 and st and not any(" (" in f and ".py:" in f for f in st),
             "%s: --no-python keeps native frames only" % label, st)
    finally:
        w.stop()
