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
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from ltlib import LEAKTRACE, OUR_MAPS, OUR_PROGS, Workload  # noqa: E402

# seconds the workloads stay parked before leaktrace starts
PRE_PARK = 4
EXITERS = 5
GO_PARKED = 20
# leaktrace run: threshold and interval (generous: TCG is ~10x slower)
RUN = ["-t", "2s", "-i", "4s", "-f", "json"]


def our_objects():
    """{(kind, id): (name, held)} of leaktrace's BPF programs and maps."""
    objs = {}
    for kind, names in (("prog", OUR_PROGS), ("map", OUR_MAPS)):
        out = subprocess.run(["bpftool", "-j", kind, "list"], capture_output=True,
                             text=True).stdout
        try:
            items = json.loads(out or "[]")
        except ValueError:
            items = []
        for i in items:
            if i.get("name") in names:
                objs[(kind, i.get("id"))] = (i["name"], bool(i.get("pids")))
    return objs


def leftovers(before, wait=10.0):
    """Our objects that appeared since `before` and that no live process
    holds (on the host, other leaktrace runs may come and go meanwhile).
    The kernel frees a sleepable program's maps after an RCU-tasks-trace
    grace period: give it a few seconds."""
    end = time.time() + wait
    while True:
        left = ["%s %s" % (k[0], name) for k, (name, held) in our_objects().items()
                if k not in before and not held]
        if not left or time.time() >= end:
            return left
        time.sleep(0.5)


def uname():
    return os.uname().release


def load_seconds():
    """How long leaktrace takes to start here (seconds of emulation and a
    cold 9p page cache), from a first short run on ourselves."""
    start = time.time()
    subprocess.run([LEAKTRACE, "-p", str(os.getpid()), "-i", "1s", "-d", "1s", "-f", "json"],
                   capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    return max(0.0, time.time() - start - 1)


def run_main(pids, duration):
    start = time.time()
    p = subprocess.run([LEAKTRACE, "-p", ",".join(str(x) for x in pids), "-d", "%ds" % duration]
                       + RUN,
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr,
            "seconds": time.time() - start}


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
    p.send_signal(signal.SIGKILL)
    p.wait()
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    return {"reported": reported, "rc": p.returncode, "stderr": err}


def main():
    out_path = sys.argv[1]
    go_bin = sys.argv[2] if len(sys.argv) > 2 else ""
    res = {"kernel": uname(), "pre_park": PRE_PARK, "exiters": EXITERS, "go_parked": GO_PARKED}
    wls = []
    try:
        # only threads created and exited after the start are counted: the
        # exiters must come once leaktrace runs, however slow the start is
        res["load_seconds"] = load = load_seconds()
        exit_after = int(2 * load) + 3
        res["duration"] = duration = exit_after + 6
        abba = Workload(["abba_deadlock"], timeout=60)
        wls.append(abba)
        # not given to --pid: none of its threads may show up
        other = Workload(["leaky", "--exiters", "0"], timeout=60)
        wls.append(other)
        go = None
        if go_bin:
            go = Workload([go_bin, "-n", str(GO_PARKED)], timeout=60)
            wls.append(go)
        leaky = Workload(["leaky", "--exiters", str(EXITERS), "--grow", "1",
                          "--exit-delay", str(PRE_PARK + exit_after)], timeout=60)
        wls.append(leaky)
        time.sleep(PRE_PARK)
        before = our_objects()
        pids = [leaky.pid, abba.pid] + ([go.pid] if go else [])
        res["main"] = run_main(pids, duration)
        leaky.drain()
        res["roles"] = {"leaky": leaky.roles, "abba": abba.roles, "other": other.roles}
        res["pids"] = {"leaky": leaky.pid, "abba": abba.pid, "other": other.pid,
                       "go": go.pid if go else None}
        res["exiters_seen"] = len(leaky.lines_starting("EXITER "))
        res["leftovers_exit"] = leftovers(before)
        res["killed"] = run_killed(leaky.pid)
        res["leftovers_kill"] = leftovers(before)
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
