#!/usr/bin/env python3
"""The in-kernel half of the kernel matrix: runs inside a booted guest (or
on the host for the host's kernel) and only gathers evidence; the judging
is done by tests/matrix/test_kernels.py on the host.

Kept compact for software emulation: the workloads start once, one
leaktrace run covers the waits, the pre-parked age, counts, --pid
filtering, stacks, verdicts and goroutines; a second, short one is killed
with SIGKILL. Writes one JSON document to the path given as argv[1].
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from ltlib import LEAKTRACE, Workload  # noqa: E402

SITES_PY = os.path.join(HERE, "..", "..", "tools", "workloads", "python_sites.py")
# seconds the workloads stay parked before leaktrace starts
PRE_PARK = 4
EXITERS = 5
GO_PARKED = 20
# leaktrace run: threshold, interval, duration (generous: TCG is ~10x slower)
DURATION = 20
RUN = ["-t", "2s", "-i", "4s", "-d", "%ds" % DURATION, "-f", "json"]


def bpf_ids_of(pid):
    """("prog"|"map", id) of every BPF program and map a process holds, from
    its fds' fdinfo: what it loaded, told apart from other leaktrace runs
    on a shared host (bpftool shows no holder pids on every kernel)."""
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    try:
        fds = os.listdir(d)
    except OSError:
        return ids
    for fd in fds:
        try:
            text = open(os.path.join(d, fd)).read()
        except OSError:
            continue
        for kind, num in re.findall(r"^(prog|map)_id:\s*(\d+)", text, re.M):
            ids.add((kind, int(num)))
    return ids


def loaded_ids():
    ids = set()
    for kind in ("prog", "map"):
        out = subprocess.run(["bpftool", "-j", kind, "list"], capture_output=True,
                             text=True).stdout
        try:
            ids |= {(kind, i.get("id")) for i in json.loads(out or "[]")}
        except ValueError:
            pass
    return ids


def leftovers(ids, wait=15.0):
    """Those of ids still loaded. The kernel frees objects after RCU grace
    periods (tasks-trace ones for sleepable programs): give it a while."""
    end = time.time() + wait
    while True:
        left = sorted("%s %d" % k for k in ids & loaded_ids())
        if not left or time.time() >= end:
            return left
        time.sleep(0.5)


def uname():
    return os.uname().release


def start_exiters():
    """EXITERS threads of this process that exit at once: it is traced too,
    and creates no other threads, so leaktrace must count exactly these."""
    for _ in range(EXITERS):
        th = threading.Thread(target=lambda: None)
        th.start()
        th.join()


def run_main(pids):
    """One leaktrace run over pids and this process; the exiters start once
    its first report is out, so they are counted however slow it loads."""
    start = time.time()
    with tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen([LEAKTRACE, "-p", ",".join(str(x) for x in pids + [os.getpid()])]
                             + RUN, stdout=subprocess.PIPE, stderr=err, text=True,
                             stdin=subprocess.DEVNULL)
        out, started, ids = [], False, set()
        for line in p.stdout:
            out.append(line)
            # a report before the final one: the counts that follow are seen
            if not started and re.search(r'"type":\s*"report".*"final":\s*false', line):
                ids = bpf_ids_of(p.pid)
                start_exiters()
                started = True
        rc = p.wait()
        p.stdout.close()
        err.seek(0)
        return {"rc": rc, "stdout": "".join(out), "stderr": err.read(),
                "exiters_started": started, "seconds": time.time() - start,
                "bpf_ids": ids}


def run_killed(pid):
    """leaktrace killed with SIGKILL once its first report is out."""
    p = subprocess.Popen([LEAKTRACE, "-p", str(pid), "-t", "1s", "-i", "1s", "-f", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL)
    reported = False
    end = time.time() + 120
    while time.time() < end:
        line = p.stdout.readline()
        if not line:
            break
        if '"type":"report"' in line.replace(" ", ""):
            reported = True
            break
    ids = bpf_ids_of(p.pid)
    p.send_signal(signal.SIGKILL)
    p.wait()
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    return {"reported": reported, "rc": p.returncode, "stderr": err, "bpf_objects": len(ids),
            "leftovers": leftovers(ids)}


def main():
    out_path = sys.argv[1]
    go_bin = sys.argv[2] if len(sys.argv) > 2 else ""
    res = {"kernel": uname(), "pre_park": PRE_PARK, "duration": DURATION, "exiters": EXITERS,
           "go_parked": GO_PARKED}
    wls = []
    try:
        abba = Workload(["abba_deadlock"], timeout=60)
        wls.append(abba)
        # not given to --pid: none of its threads may show up
        other = Workload(["leaky", "--exiters", "0"], timeout=60)
        wls.append(other)
        go = None
        if go_bin:
            go = Workload([go_bin, "-n", str(GO_PARKED)], timeout=60)
            wls.append(go)
        leaky = Workload(["leaky", "--exiters", "0", "--grow", "1"], timeout=60)
        wls.append(leaky)
        # leaks on private condition waits beside an idle pool in one
        # process: one wait shape, told apart by their stacks only
        sites = Workload([sys.executable, SITES_PY, "--every", "2", "--max", "8"], timeout=90)
        wls.append(sites)
        time.sleep(PRE_PARK)
        pids = [leaky.pid, abba.pid, sites.pid] + ([go.pid] if go else [])
        res["main"] = run_main(pids)
        leaky.drain()
        sites.drain()
        res["roles"] = {"leaky": leaky.roles, "abba": abba.roles, "other": other.roles,
                        "sites": sites.roles}
        res["pids"] = {"leaky": leaky.pid, "abba": abba.pid, "other": other.pid, "sites": sites.pid,
                       "go": go.pid if go else None, "self": os.getpid()}
        ids = res["main"].pop("bpf_ids")
        res["main"]["bpf_objects"] = len(ids)
        res["leftovers_exit"] = leftovers(ids)
        res["killed"] = run_killed(leaky.pid)
    except Exception as e:  # reported by the judge, with what was gathered
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        for w in wls:
            w.stop()
    with open(out_path, "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
