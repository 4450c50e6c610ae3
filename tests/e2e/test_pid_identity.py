#!/usr/bin/env python3
"""A --pid process is a pid and a start time (issue 22): when the traced
process exits and another takes its pid, leaktrace must not trace the new
one, must say the traced processes have exited and end with its final
report (exit 10 under --fail-on-leak when a leak was seen, 0 otherwise),
even without -d. The pid is reused for real: pid_reuse creates its child
with exactly that pid (clone3 set_tid), in the host pid space leaktrace
traces. A kernel thread given with --pid is refused (exit 3) unless
--kernel-threads asks for it."""
import os
import signal
import subprocess
import tempfile
import time

from ltlib import (LEAKTRACE, ROOT, Tap, Workload, json_records, leftovers, reports_in, run,
                   split_reports, wait_for)

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-pidid-")
EXIT_BOUND = 30  # seconds from the reuse to leaktrace's exit (it checks every -i 1s)
NEW_COMMS = ("reused-pid", "pid_reuse")  # the new process's name, before and after it sets it
GO_WL = os.path.join(ROOT, ".output", "go-workloads")


def reuse_pid(pid, *program):
    """pid_reuse with a child at exactly pid; None (and a not ok) if it
    could not take it."""
    try:
        return Workload(["pid_reuse", str(pid), "--seconds", "60"] +
                        (["--"] + list(program) if program else []))
    except RuntimeError as e:
        t.ok(False, "pid_reuse takes pid %d" % pid, e)
        return None


def pid_reuse():
    # a new leaked thread every 0.5 s: arrivals make the site a leak
    target = Workload(["leaky", "--exiters", "0", "--grow", "0.5"])
    pid = target.pid
    out, err = os.path.join(TMP, "reuse.json"), os.path.join(TMP, "reuse.err")
    with open(out, "w") as fo, open(err, "w") as fe:
        lt = subprocess.Popen([LEAKTRACE, "-p", str(pid), "-t", "1s", "-i", "1s", "-f", "json",
                               "--fail-on-leak"], stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
    reuse = None
    try:
        t.ok(wait_for(lambda: '"verdict":"leak"' in open(out).read() or lt.poll() is not None,
                      30) and lt.poll() is None,
             "leaktrace -p %d reports a leak while its target runs" % pid, open(err).read())
        target.stop()  # SIGKILL and reaped: the pid is free
        reuse = reuse_pid(pid)
        t.ok(reuse and "REUSED %d" % pid in reuse.lines, "a new process has pid %d" % pid,
             reuse and reuse.lines)
        try:
            rc = lt.wait(timeout=EXIT_BOUND)
        except subprocess.TimeoutExpired:
            rc = None
    finally:
        if lt.poll() is None:
            lt.kill()
            lt.wait()
        if reuse:
            reuse.stop()
        target.stop()
    stderr = open(err).read()
    recs = json_records(open(out).read())
    t.ok(rc is not None, "leaktrace ends by itself within %d s of the reuse (no -d)" % EXIT_BOUND,
         stderr[-2000:])
    t.ok("all traced processes have exited" in stderr,
         "it says all traced processes have exited", stderr[-2000:])
    t.ok(any(r.get("type") == "report" and r.get("final") for r in recs), "a final report")
    t.ok(rc == 10, "exit 10 as documented for --fail-on-leak after a leak (rc %s)" % rc,
         stderr[-1000:])
    newcomer = [r for r in recs if r.get("comm") in NEW_COMMS or r.get("thread") in NEW_COMMS]
    t.ok(not newcomer, "the new process under pid %d is never reported" % pid, newcomer[:3])
    t.ok(all(r.get("pid") == pid for r in recs if r.get("type") in ("thread", "summary")),
         "only the traced pid is reported")
    t.ok(leftovers() == [], "nothing left loaded", leftovers())


def build_preparked():
    if not os.path.exists(os.path.join(GO_WL, "preparked")):
        subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_WL,
                        "preparked"], capture_output=True, text=True)
    return t.ok(os.path.exists(os.path.join(GO_WL, "preparked")), "preparked (Go) built")


def go_pid_reuse():
    """The same Go binary restarted under the traced pid has the same
    addresses (Go links at fixed ones): its goroutines must not be read as
    the old process's. A second target keeps leaktrace running."""
    if not build_preparked():
        return
    binary = os.path.join(GO_WL, "preparked")
    old = Workload([binary, "-n", "3"])
    keeper = subprocess.Popen(["sleep", "600"])
    pid = old.pid
    out, err = os.path.join(TMP, "go-reuse.json"), os.path.join(TMP, "go-reuse.err")
    with open(out, "w") as fo, open(err, "w") as fe:
        lt = subprocess.Popen([LEAKTRACE, "-p", "%d,%d" % (pid, keeper.pid), "-t", "1s", "-i", "1s",
                               "-f", "json", "--no-stacks"], stdout=fo, stderr=fe,
                              stdin=subprocess.DEVNULL)
    reuse = None
    try:
        seen = lambda: any(r.get("type") == "goroutine" and r.get("pid") == pid
                           for r in json_records(open(out).read()))
        t.ok(wait_for(seen, 30), "goroutines of Go process %d reported" % pid, open(err).read())
        old.stop()
        reused_at = reports_in(out)
        reuse = reuse_pid(pid, binary, "-n", "20")
        time.sleep(5)  # the newcomer's 20 goroutines parked > -t 1s for several reports
        try:
            with open("/proc/%d/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            comm = None
        t.ok(comm == "preparked", "pid %d is the same Go binary again (%s)" % (pid, comm))
    finally:
        lt.send_signal(signal.SIGTERM)
        try:
            lt.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lt.kill()
            lt.wait()
        if reuse:
            reuse.stop()
        old.stop()
        keeper.kill()
        keeper.wait()
    reps = split_reports(json_records(open(out).read()))
    after = [r for rep in reps[reused_at + 1:] for r in rep
             if r.get("pid") == pid and r.get("type") in ("goroutine", "thread")]
    t.ok(len(reps) > reused_at + 2 and not after,
         "%d reports after the reuse: no goroutine or thread of the newcomer under pid %d"
         % (len(reps) - reused_at - 1, pid), after[:2])
    t.ok(lt.returncode == 0, "SIGTERM: exit 0", open(err).read()[-1000:])


def kernel_thread():
    with open("/proc/2/comm") as f:
        name = f.read().strip()
    rc, out, err = run(["-p", "2", "-d", "1s"])
    lines = err.strip().splitlines()
    t.ok(rc == 3 and len(lines) == 1 and lines[0].startswith("leaktrace: ")
         and "kernel thread" in lines[0],
         "-p 2 (%s, a kernel thread): exit 3 with one line (%s)" % (name, err.strip()[:100]),
         "rc=%d err=%r" % (rc, err))
    rc, out, err = run(["-p", "2", "--kernel-threads", "-d", "2s", "-i", "1s", "-t", "1s",
                        "-f", "json", "--no-stacks"])
    summ = [r for r in json_records(out) if r.get("type") == "summary"]
    t.ok(rc == 0 and summ and all(r["pid"] == 2 for r in summ)
         and "all traced processes have exited" not in err,
         "-p 2 --kernel-threads: traced until -d, exit 0", "rc=%d err=%r" % (rc, err[-500:]))


pid_reuse()
go_pid_reuse()
kernel_thread()
t.done()
