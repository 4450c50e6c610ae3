#!/usr/bin/env python3
"""Never blocked by what users create (issue 22, item 2): a process of user
nobody makes a FIFO at /tmp/perf-<its pid>.map and parks a thread in code
in anonymous memory, so leaktrace looks for that frame's name in the perf
map. Before the fix leaktrace's open of the FIFO waited for a writer
forever: no report after the first park. Now the perf map is refused
(with -v, one line saying it is a FIFO), the reports keep coming, the
thread is reported. The same for a FIFO where a build-id debug file
should be (/usr/lib/debug/.build-id/...) of a binary with its own id.
And the report's deadline: a Go snapshot that always spends its 2 s budget
(forged_go --churn) does not starve the Go program traced after it."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from ltlib import (LEAKTRACE, ROOT, Tap, Workload, json_records, leftovers, split_reports,
                   wait_for)

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-unblock-")
DURATION = 10
GO = os.environ.get("GO", "go")
GO_WL = os.path.join(ROOT, ".output", "go-workloads")
PREPARKED = 5

# A thread calls into an anonymous executable page holding
# "mov eax, 34 (pause); syscall; ret": its frame 0 is in no file, the one
# case where leaktrace consults the process's perf map.
ATTACKER = r"""
import ctypes, mmap, os, sys, threading
path = "/tmp/perf-%d.map" % os.getpid()
os.mkfifo(path, 0o644)
code = bytes([0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xc3])
page = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                 prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
jit = ctypes.CFUNCTYPE(ctypes.c_long)(addr)
started = threading.Event()
def park():
    print("ROLE jit %d" % threading.get_native_id(), flush=True)
    started.set()
    jit()
threading.Thread(target=park, daemon=True).start()
started.wait()
print("READY", flush=True)
threading.Event().wait()
"""

# The main thread parks in pause(); the binary's build-id is made up for this
# run, so no other process on the host has it.
PARKER_C = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("READY\n"); fflush(stdout); pause(); return 0; }
"""


def release_fifo(path):
    """Give a reader stuck in open() its writer (then EOF), and remove the FIFO:
    a leaktrace without the fix (any on this host) is let go."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass
    try:
        os.unlink(path)
    except OSError:
        pass


def run_leaktrace(pid, extra=()):
    """leaktrace -p PID -v for DURATION seconds: (rc, records, stderr); rc is
    None when it did not end by itself (hung: stopped with SIGTERM, which
    interrupts a wait in open(), after twice the duration)."""
    out_path, err_path = os.path.join(TMP, "out"), os.path.join(TMP, "err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        # files, not pipes: -v writes more than a pipe holds while we wait
        p = subprocess.Popen([LEAKTRACE, "-p", str(pid), "-t", "1s", "-i", "1s", "-d",
                              "%ds" % DURATION, "-f", "json", "-v"] + list(extra),
                             stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        rc = p.wait(timeout=DURATION * 2 + 10)
    except subprocess.TimeoutExpired:
        p.terminate()
        rc = None
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(out_path) as f:
        out = f.read()
    with open(err_path) as f:
        err = f.read()
    return rc, json_records(out), err


def thread_stacks(recs, tid):
    return [r for r in recs if r.get("type") == "thread" and r.get("tid") == tid]


def test_perf_map_fifo():
    attacker = Workload(["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup",
                         "--clear-groups", "/usr/bin/python3", "-c", ATTACKER])
    fifo = "/tmp/perf-%d.map" % attacker.pid
    try:
        tid = attacker.tid("jit")
        st = os.lstat(fifo)
        t.ok(st.st_uid == 65534 and (st.st_mode & 0o170000) == 0o010000,
             "the perf map is a FIFO of user nobody")
        time.sleep(1.5)  # parked past the threshold before the first report
        rc, recs, err = run_leaktrace(attacker.pid)
        reports = [r for r in recs if r.get("type") == "report"]
        t.diag("perf map FIFO: %d reports in %d s" % (len(reports), DURATION))
        t.ok(rc == 0, "leaktrace ended by itself at -d (rc %s)" % rc, err[-2000:])
        t.ok(len(reports) >= DURATION // 2, "reports keep coming: %d in %d s" %
             (len(reports), DURATION), err[-2000:])
        th = thread_stacks(recs, tid)
        t.ok(len(th) >= DURATION // 2, "the parked thread %d is in the reports (%d times)" %
             (tid, len(th)))
        frame0 = th[-1].get("user_stack", [""])[0] if th and th[-1].get("user_stack") else ""
        t.ok(frame0.startswith("0x"), "its frame 0 is the anonymous code, unnamed (%r)" % frame0,
             th[-1] if th else None)
        line = "leaktrace: not reading /proc/%d/root%s: is a FIFO" % (attacker.pid, fifo)
        t.ok(line in err, "-v says the perf map was refused as a FIFO", err[-2000:])
        t.ok(err.count(line) == 1, "said once, not at every report (%d)" % err.count(line))
    finally:
        release_fifo(fifo)
        attacker.stop()


def build_parker():
    src = os.path.join(TMP, "parker.c")
    with open(src, "w") as f:
        f.write(PARKER_C)
    build_id = os.urandom(20).hex()
    exe = os.path.join(TMP, "parker")
    subprocess.run(["cc", "-O1", "-o", exe, src, "-Wl,--build-id=0x" + build_id], check=True)
    return exe, build_id


def test_debug_file_fifo():
    exe, build_id = build_parker()
    ddir = "/usr/lib/debug/.build-id/" + build_id[:2]
    made_dir = not os.path.isdir(ddir)
    os.makedirs(ddir, exist_ok=True)
    fifo = os.path.join(ddir, build_id[2:] + ".debug")
    os.mkfifo(fifo)
    parker = Workload([exe])
    try:
        time.sleep(1.5)
        rc, recs, err = run_leaktrace(parker.pid)
        reports = [r for r in recs if r.get("type") == "report"]
        t.diag("debug file FIFO: %d reports in %d s" % (len(reports), DURATION))
        t.ok(rc == 0 and len(reports) >= DURATION // 2,
             "debug file FIFO: reports keep coming (%d, rc %s)" % (len(reports), rc), err[-2000:])
        th = thread_stacks(recs, parker.pid)
        names = " ".join(th[-1].get("user_stack", [])) if th else ""
        t.ok("main" in names, "debug file FIFO: the thread's stack is named from the binary "
             "itself (%s)" % names[:200], th[-1] if th else None)
        t.ok(("not reading %s: is a FIFO" % fifo) in err, "-v says the debug file is a FIFO",
             err[-2000:])
    finally:
        parker.stop()
        release_fifo(fifo)
        if made_dir:
            shutil.rmtree(ddir, ignore_errors=True)


def test_deadline_go():
    """The report's deadline (1 s at -i 1s) against a Go snapshot that always
    spends its own 2 s budget: forged_go --churn (tests/e2e/test_hostile_go.py)
    traced before a real Go program. The program left out at the deadline
    is counted in drops.deadline_cut and goes first in the next report, so its
    goroutines are still reported."""
    if not os.path.exists(os.path.join(GO_WL, "preparked")):
        p = subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_WL,
                            "preparked"], env=dict(os.environ, GO=GO), capture_output=True,
                           text=True)
        if not t.ok(p.returncode == 0, "preparked built with %s" % GO, p.stderr):
            return
    forged = Workload(["forged_go", "--churn"], ready="ready")
    normal = Workload([os.path.join(GO_WL, "preparked"), "-n", str(PREPARKED)])
    out, err = os.path.join(TMP, "go.json"), os.path.join(TMP, "go.err")
    try:
        with open(out, "w") as fo, open(err, "w") as fe:
            lt = subprocess.Popen([LEAKTRACE, "-p", "%d,%d" % (forged.pid, normal.pid), "-t", "1s",
                                   "-i", "1s", "-d", "16s", "-f", "json", "-v"],
                                  stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        attached = "go: attached to pid %d" % forged.pid
        read_err = lambda: open(err, errors="replace").read()
        wait_for(lambda: attached in read_err() or lt.poll() is not None, 60)
        os.kill(forged.pid, signal.SIGUSR1)
        forged.read_until("hostile")
        try:
            rc = lt.wait(timeout=120)
        except subprocess.TimeoutExpired:
            lt.kill()
            lt.wait()
            rc = None
        t.ok(rc == 0, "Go deadline: exit 0 at the end of -d (rc %s)" % rc, read_err()[-2000:])
        reports = split_reports(json_records(open(out).read()))
        # drops are totals since start: a report that cut raised it
        totals = [rep[-1].get("drops", {}).get("deadline_cut", 0) for rep in reports]
        cut = [i for i, n in enumerate(totals) if n > (totals[i - 1] if i else 0)]
        t.diag("Go deadline: %d reports, drops.deadline_cut %s" % (len(reports), totals))
        t.ok(cut, "Go deadline: a report left the real program for the next one "
             "(drops.deadline_cut rose)")
        def waiters(rep):
            """preparked's own parked goroutines in one report"""
            return [r for r in rep if r.get("type") == "goroutine" and r.get("pid") == normal.pid
                    and r.get("wait_reason") == "chan receive"
                    and any(f.startswith("main.") for f in r.get("stack", []))]
        later = [rep for rep in reports[cut[0] + 1:] if len(waiters(rep)) == PREPARKED] \
            if cut else []
        t.ok(len(later) >= 2 and len(later) == len(reports) - cut[0] - 1,
             "Go deadline: the real program's %d goroutines reported in every report after "
             "the cut (%d of %d)" % (PREPARKED, len(later), len(reports) - cut[0] - 1 if cut else 0))
    finally:
        forged.stop()
        normal.stop()


def main():
    try:
        test_perf_map_fifo()
        test_debug_file_fifo()
        test_deadline_go()
        left = leftovers()
        t.ok(not left, "no BPF program or map left behind", left)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
