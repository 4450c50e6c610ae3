#!/usr/bin/env python3
"""Memory under process churn (issue 22, item 1), for real: leaktrace in
a 512 MiB memory cgroup (tracing the cgroup the programs run
in: other tests on a shared machine stay out) while 300 short-lived Go programs
(tools/workloads/go/shortlived, a 7.4 MB binary, threads parked past the
threshold while leaktrace reports) start and exit, 10 at a time. Before the
per-process caches were freed at exit and capped by bytes, RSS grew by
~8 MB per exited Go process (889 MB after 100) and the OOM killer ended
leaktrace after ~50. Prints TAP.

Checks: the stacks of those processes were captured (else the test proves
nothing), no OOM kill and leaktrace alive, RSS bounded throughout, the
unwinder's cache back down to what it held before the churn once the
programs have exited, and the memory figures in the report record.
"""
import json
import os
import subprocess
import time

from ltlib import (LEAKTRACE, ROOT, MemCgroup, Tap, leftovers, stop, vm_rss_kb,
                   wait_for, reports_in)

N_PROCS = 300
PARALLEL = 10
LIFE = "3s"
CGROUP_LIMIT = 512 << 20
# the default budget under 512 MiB is 60% (307 MiB); room for the rest
RSS_BOUND_MB = (CGROUP_LIMIT * 60 // 100 >> 20) + 64
GO_OUT = os.path.join(ROOT, ".output", "go-memory")


def build_shortlived():
    subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_OUT,
                    "shortlived"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(GO_OUT, "shortlived")


def report_records(path):
    recs = []
    with open(path) as f:
        for line in f:
            if '"type":"report"' in line:
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    pass	# a line being written
    return recs


def captured_pids(path, ours):
    """Our Go programs with a parked thread's user stack unwound through
    their binary (runtime frames with file:line, e.g. "runtime.futex+0x23
    (sys_linux_amd64.s:560)"): what costs the unwinder its state."""
    pids = set()
    with open(path) as f:
        for line in f:
            if '"shortlived"' not in line or '"type":"thread"' not in line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("pid") in ours and \
               any(fr.startswith("runtime.") and ".go:" in fr for fr in r.get("user_stack") or []):
                pids.add(r["pid"])
    return pids


def cgroup2_root():
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(root, "cgroup.subtree_control")):
            return root
    raise RuntimeError("no cgroup v2 hierarchy")


def main():
    t = Tap()
    binary = build_shortlived()
    t.diag("shortlived: %.1f MB" % (os.path.getsize(binary) / 1e6))
    tmp = "/tmp/lt-memory-%d" % os.getpid()
    os.makedirs(tmp, exist_ok=True)
    out = os.path.join(tmp, "reports.json")
    cg = MemCgroup("lt-memory", CGROUP_LIMIT)
    # the Go programs in a cgroup of their own, traced with --cgroup: other
    # tests' processes on a shared machine neither fill nor empty the caches
    work = "lt-memory-work-%d" % os.getpid()
    work_path = os.path.join(cgroup2_root(), work)
    os.makedirs(work_path, exist_ok=True)

    def into_work():
        with open(os.path.join(work_path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    t.diag("cgroup %s (%s)" % (cg.path, "v2" if cg.v2 else "v1"))
    # LEAKTRACE_UNDER_TEST=path runs another build (e.g. one without the fix)
    lt = subprocess.Popen([os.environ.get("LEAKTRACE_UNDER_TEST", LEAKTRACE), "-t", "1s", "-i", "1s", "-f", "json", "-o", out, "--cgroup", "/" + work],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          preexec_fn=cg.preexec)
    ours, running, rss = set(), [], []
    try:
        wait_for(lambda: reports_in(out) >= 3, 30)
        before = (report_records(out) or [{}])[-1]
        rss_start = vm_rss_kb(lt.pid) or 0
        started = 0
        while started < N_PROCS or running:
            running = [p for p in running if p.poll() is None]
            while len(running) < PARALLEL and started < N_PROCS:
                p = subprocess.Popen([binary, LIFE], stdout=subprocess.DEVNULL,
                                     preexec_fn=into_work)
                ours.add(p.pid)
                running.append(p)
                started += 1
            rss.append(vm_rss_kb(lt.pid) or 0)
            if lt.poll() is not None:
                break
            time.sleep(0.1)
        n_before = reports_in(out)
        wait_for(lambda: reports_in(out) >= n_before + 3, 15)
        rss_end = vm_rss_kb(lt.pid)
        after = (report_records(out) or [{}])[-1]
        alive = lt.poll() is None
    finally:
        for p in running:
            p.kill()
            p.wait()
        rc, _, err = stop(lt)
        oom = cg.oom_kills()
        cg.remove()
        os.rmdir(work_path)

    got = captured_pids(out, ours)
    t.ok(len(got) >= N_PROCS * 0.8,
         "parked threads' stacks unwound through the binary for %d of %d Go programs"
         % (len(got), N_PROCS))
    t.ok(alive and oom == 0, "leaktrace alive, no OOM kill in its %d MiB cgroup (oom_kill %d)"
         % (CGROUP_LIMIT >> 20, oom), err[-2000:])
    peak = max(rss) // 1024 if rss else 0
    t.diag("RSS: %d MB before the churn, peak %d MB, %s MB after (%d processes)"
           % (rss_start // 1024, peak, (rss_end or 0) // 1024, N_PROCS))
    t.ok(peak < RSS_BOUND_MB, "RSS peak %d MB < %d MB" % (peak, RSS_BOUND_MB))
    none = {"entries": -1, "bytes": 0, "evictions": -1}
    ub = before.get("memory", {}).get("caches", {}).get("unwind", none)
    ua = after.get("memory", {}).get("caches", {}).get("unwind", none)
    t.diag("unwinder cache: %d processes / %.1f MB before, %d / %.1f MB after; evictions %d"
           % (ub["entries"], ub["bytes"] / 1e6, ua["entries"], ua["bytes"] / 1e6,
              ua["evictions"]))
    # freed at exit, not pushed out by the budget: no eviction was needed
    t.ok(0 <= ua["entries"] <= ub["entries"] and ua["evictions"] == 0,
         "the exited programs' unwinder state freed at exit: %d processes cached (%d before), "
         "%d evicted" % (ua["entries"], ub["entries"], ua["evictions"]))
    mem = after.get("memory", {"budget": 0, "used": -1, "caches": {}})
    t.ok(mem["budget"] == CGROUP_LIMIT // 100 * 60 and after.get("rss_kb", 0) > 0 and
         mem["used"] == sum(c["bytes"] for c in mem["caches"].values()),
         "report record: rss_kb %d, budget 60%% of the cgroup's limit (%d), used = sum of caches"
         % (after.get("rss_kb", 0), mem["budget"]), json.dumps(mem))
    t.ok(rc == 0, "leaktrace exits 0 (rc %s)" % rc, err[-2000:])
    left = leftovers()
    t.ok(not left, "no BPF program or map left behind", left)
    if not t.failed:
        subprocess.run(["rm", "-rf", tmp])
    t.done()


if __name__ == "__main__":
    main()
