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
import subprocess
import tempfile

from ltlib import LEAKTRACE, Tap, Workload, json_records, leftovers, run, wait_for

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-pidid-")
EXIT_BOUND = 30  # seconds from the reuse to leaktrace's exit (it checks every -i 1s)
NEW_COMMS = ("reused-pid", "pid_reuse")  # the new process's name, before and after it sets it


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
        reuse = Workload(["pid_reuse", str(pid), "--seconds", "60"])
        t.ok("REUSED %d" % pid in reuse.lines, "a new process has pid %d" % pid, reuse.lines)
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
kernel_thread()
t.done()
