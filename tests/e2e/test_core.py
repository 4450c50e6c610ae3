#!/usr/bin/env python3
"""End-to-end: the core report against the leaky workload, in the real kernel."""
import os
import re
import signal
import subprocess
import time

from ltlib import (LEAKTRACE, PRECISE, Tap, Workload, final_records, json_records, leftovers, run,
                   threads_by_tid)

t = Tap()

# 1. threads parked before leaktrace starts, exiters created while it runs
PRE_PARK = 3.0
# the exiters start 4 s after leaktrace does: its start-up (BPF load and
# attach) takes 1.5 s here, and more on a loaded machine
RUN_S = 10
w = Workload(["leaky", "--exiters", "25", "--exit-delay", str(PRE_PARK + 4)])
other = Workload(["leaky", "--exiters", "0"])
try:
    time.sleep(PRE_PARK)
    rc, out, err = run(["--pid", str(w.pid), "-t", "2s", "-i", "3s", "-d", "%ds" % RUN_S, "-f", "json"])
    t.ok(rc == 0, "leaktrace --pid -d exits 0", err)
    recs = json_records(out)
    t.ok(all("type" in r for r in recs), "every JSON record has a type")
    fin = final_records(recs)
    th = threads_by_tid(fin)

    for role, kind, extra in (("condvar", "futex", None), ("mutex", "futex", None),
                              ("pipe", "syscall", "read")):
        tid = w.tid(role)
        r = th.get(tid)
        t.ok(r is not None, "%s thread %d reported" % (role, tid), out[-2000:])
        if r is None:
            continue
        t.ok(r["wait"]["kind"] == kind, "%s thread: wait.kind is %s" % (role, kind), r["wait"])
        t.ok(r["wait"].get("timeout") is False, "%s thread: timeout false" % role, r["wait"])
        if extra:
            t.ok(r["wait"].get("syscall") == extra, "%s thread waits in %s()" % (role, extra), r["wait"])
        if kind == "futex":
            t.ok(r["wait"]["futex_addr"].startswith("0x") and int(r["wait"]["futex_addr"], 16) > 0,
                 "%s thread: futex address given" % role, r["wait"])
        t.ok(r["pid"] == w.pid and r["state"] == "S", "%s thread: pid and state S" % role, r)
        t.ok(r["comm"] == "leaky-main", "%s thread: process name" % role, r["comm"])

    # the condvar thread parked before leaktrace started: its age covers that time
    r = th.get(w.tid("condvar"))
    if r:
        t.ok(r["parked_seconds"] >= PRE_PARK + RUN_S - 0.5,
             "already-parked thread's parked_seconds covers the time before start (%.1f s)"
             % r["parked_seconds"], r)
        t.ok(r["thread_age_seconds"] >= r["parked_seconds"] - 0.5, "thread age >= parked time", r)
        if PRECISE:
            t.ok(r.get("wakeups") == 0, "never-woken thread has 0 wakeups", r)
        else:
            t.ok("wakeups" not in r, "wake-ups are not counted in the default mode", r)

    for role in ("busy", "short_wait"):
        tid = w.tid(role)
        t.ok(tid not in th, "%s thread %d is not reported" % (role, tid),
             th.get(tid))
    w.read_until("EXITERS_DONE", 10)
    exiters = [int(l.split()[1]) for l in w.lines_starting("EXITER ")]
    t.ok(len(exiters) == 25, "workload reported its 25 exiters")
    t.ok(not any(e in th for e in exiters), "exited threads are not reported")
    t.ok(all(r["pid"] == w.pid for r in fin if r.get("type") in ("thread", "summary")),
         "--pid excludes other processes (other leaky pid %d)" % other.pid)
    summ = [r for r in fin if r.get("type") == "summary" and r["pid"] == w.pid]
    t.ok(len(summ) == 1, "one summary for the traced process", fin)
    if summ:
        s = summ[0]
        t.ok(s["created_total"] == 25 and s["exited_total"] == 25,
             "thread creation/exit counts match the workload (25/25): %d/%d"
             % (s["created_total"], s["exited_total"]), s)
        t.ok(s["live_threads"] == 7, "live threads = 7 (%d)" % s["live_threads"], s)
        t.ok(s["parked"] == sum(1 for r in fin if r.get("type") == "thread"),
             "summary's parked count matches thread records", s)
    allsum = [r for r in recs if r.get("type") == "summary"]
    t.ok(sum(r["created"] for r in allsum) == 25, "per-interval created counts add up to 25", allsum)
    t.ok(leftovers() == [], "nothing left loaded after exit", leftovers())

    # 2. text format: table grouped by process with a summary line
    rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-d", "1500ms", "--no-stacks"])
    # the process line: PID, comm, its service identity in [...] where known
    t.ok(rc == 0 and re.search(r"^PID %d leaky-main( \[[^\n]*\])?: " % w.pid, out, re.M)
         and "live threads" in out,
         "text report has the per-process summary line", out + err)
    t.ok("leak-condvar" in out and "no timeout" in out, "text report lists the parked thread", out)

    # 3. system-wide run sees both workloads and never itself
    rc, out, err = run(["-t", "1s", "-d", "1500ms", "-f", "json", "--no-stacks"])
    th = threads_by_tid(json_records(out))
    t.ok(w.tid("condvar") in th and other.tid("condvar") in th,
         "system-wide run reports both processes", err)
    t.ok(not any(r["comm"] == "leaktrace" for r in th.values()), "leaktrace never reports itself")

    # 4. SIGINT gives a final report and exit 0
    p = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "30s", "-f", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    recs = json_records(out)
    t.ok(p.returncode == 0 and any(r.get("type") == "report" and r["final"] for r in recs),
         "SIGINT: final report and exit 0", err)
    t.ok(leftovers() == [], "nothing left loaded after SIGINT", leftovers())

    # 5. all traced processes exit: leaktrace says so and exits 0
    short = Workload(["leaky", "--exiters", "0", "--seconds", "3"])
    rc, out, err = run(["-p", str(short.pid), "-t", "1s", "-i", "1s", "--no-stacks"], timeout=30)
    short.stop()
    t.ok(rc == 0 and "all traced processes have exited" in err,
         "exits 0 when the traced process exits", err)
finally:
    w.stop()
    other.stop()

# 6. bad input: one line on stderr, documented exit code
def bad(args, code, name, **kw):
    rc, out, err = run(args, **kw)
    lines = err.strip().splitlines()
    t.ok(rc == code and len(lines) == 1 and lines[0].startswith("leaktrace: "),
         "%s: exit %d with one line (%s)" % (name, code, err.strip()[:80]), "rc=%d err=%r" % (rc, err))

bad(["-t", "10q"], 2, "malformed threshold")
bad(["-i", "-5s"], 2, "negative interval")
bad(["-f", "xml"], 2, "unknown format")
bad(["--bogus"], 2, "unknown option")
bad(["-p", "abc"], 2, "malformed pid")
bad(["-t"], 2, "missing value")
# issue 22: floors, decimal only, combinations that mean nothing
bad(["-i", "1ns"], 2, "interval below the 100ms floor")
bad(["-t", "0x10"], 2, "hexadecimal threshold")
bad(["-p", "010"], 2, "pid with a leading zero")
bad(["--stack-depth", " 5"], 2, "stack depth with a blank")
bad(["-p", "1", "--go", "--no-go"], 2, "--go with --no-go")
bad(["--no-stacks", "--user-stacks-only"], 2, "--no-stacks with --user-stacks-only")
bad(["--folded-value", "seconds"], 2, "--folded-value without -f folded")
bad(["--prometheus-pid"], 2, "--prometheus-pid without --prometheus")
bad(["-p", "2"], 3, "a kernel thread without --kernel-threads")
bad(["-p", "999999999"], 3, "pid that does not exist")
bad(["-d", "1s"], 4, "not root", preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
# a kernel without BTF: hide vmlinux BTF in a private mount namespace
p = subprocess.run(["unshare", "-m", "sh", "-c",
                    "mount --bind /dev/null /sys/kernel/btf/vmlinux && exec %s -d 1s" % LEAKTRACE],
                   capture_output=True, text=True, timeout=30)
lines = p.stderr.strip().splitlines()
t.ok(p.returncode == 5 and len(lines) == 1 and "BTF" in lines[0],
     "kernel without BTF: exit 5 with one line (%s)" % p.stderr.strip()[:80], p.stderr)
rc, out, err = run(["--help"])
t.ok(rc == 0 and "--threshold" in out and "EXAMPLES" in out, "--help prints usage, exit 0", err)
rc, out, err = run(["-V"])
t.ok(rc == 0 and out.startswith("leaktrace "), "-V prints the version", out)
t.ok(leftovers() == [], "nothing left loaded after the error paths", leftovers())
t.done()
