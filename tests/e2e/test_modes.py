#!/usr/bin/env python3
"""End-to-end: the default mode (nothing on the context-switch path) and
--precise, each run explicitly whatever LEAKTRACE_TEST_PRECISE says.

parked_seconds of threads parked at known times, one before leaktrace
started and one after, must be within 100 ms of the truth; the default mode
must load no program on sched_switch/sched_wakeup and leave out the fields
only precise mode can fill (wakeups, woken_since_park)."""
import datetime
import json
import os
import signal
import subprocess
import time

from ltlib import (LEAKTRACE_BIN, Tap, Workload, final_records, held_bpf_ids, json_records,
                   leftovers)

TOLERANCE_S = 0.1
HOT_PATH = ("handle_switch", "handle_wakeup", "handle_switch_hash", "handle_wakeup_hash")

t = Tap()


def parse_utc(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def programs_of(pid):
    """Names of the BPF programs the process pid holds."""
    ids = held_bpf_ids([pid])["prog"]
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout
    return {p.get("name") for p in json.loads(out or "[]") if p.get("id") in ids}


def read_report(lt, deadline):
    """Read leaktrace's JSON lines up to the end of one report."""
    lines = []
    while time.time() < deadline:
        line = lt.stdout.readline()
        if not line:
            break
        lines.append(line)
        if json.loads(line).get("type") == "report":
            return lines
    return lines


def run_mode(precise):
    mode = "precise" if precise else "default"
    w = Workload(["park_clock"])
    try:
        time.sleep(1.5)	# the early thread is parked well before leaktrace starts
        args = [LEAKTRACE_BIN, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "5s", "-f", "json"]
        if precise:
            args.insert(1, "--precise")
        lt = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out = read_report(lt, time.time() + 30)
        progs = programs_of(lt.pid)
        if precise:
            t.ok(progs & {"handle_switch", "handle_switch_hash"} and
                 progs & {"handle_wakeup", "handle_wakeup_hash"},
                 "%s: programs on sched_switch and sched_wakeup" % mode, sorted(progs))
        else:
            t.ok("dump_threads" in progs or "dump_threads_hash" in progs,
                 "%s: task iterator loaded" % mode, sorted(progs))
            t.ok(not progs & set(HOT_PATH), "%s: nothing on sched_switch/sched_wakeup" % mode,
                 sorted(progs))
        # the late thread parks while leaktrace runs
        os.kill(w.pid, signal.SIGUSR1)
        w.read_until("PARKED late")
        rest, err = lt.communicate(timeout=60)
        t.ok(lt.returncode == 0, "%s: exit 0" % mode, err)
        recs = final_records(json_records("".join(out) + rest))
    finally:
        w.stop()
    threads = {r["tid"]: r for r in recs if r.get("type") == "thread"}
    truth = {}
    for line in w.lines_starting("PARKED "):
        _, role, ns = line.split()
        truth[role] = int(ns) / 1e9
    for role, source in (("early", "exec_start"),
                         ("late", "sched_switch" if precise else "exec_start")):
        r = threads.get(w.tid(role))
        if not t.ok(r is not None and role in truth, "%s: %s thread reported" % (mode, role),
                    recs):
            continue
        want = parse_utc(r["time"]) - truth[role]
        t.ok(abs(r["parked_seconds"] - want) <= TOLERANCE_S,
             "%s: %s thread parked_seconds %.3f within %d ms of the truth %.3f"
             % (mode, role, r["parked_seconds"], TOLERANCE_S * 1000, want), r)
        t.ok(r["parked_since_source"] == source,
             "%s: %s thread park time from %s" % (mode, role, source), r)
        if precise:
            # the late thread was woken once, by the signal that made it park
            want_wakeups = 1 if role == "late" else 0
            t.ok(r.get("wakeups") == want_wakeups, "%s: %s thread: wakeups counted (%d)"
                 % (mode, role, want_wakeups), r)
        else:
            t.ok("wakeups" not in r, "%s: %s thread: wakeups absent, not 0" % (mode, role), r)
    sites = [r for r in recs if r.get("type") == "site" and r.get("kind") == "thread"]
    t.ok(sites and all(("woken_since_park" in s["evidence"]) == precise for s in sites),
         "%s: woken_since_park %s" % (mode, "given" if precise else "absent"),
         [s["evidence"] for s in sites])
    summary = [r for r in recs if r.get("type") == "summary"]
    t.ok(summary and summary[0]["live_threads"] == 3 and summary[0]["parked"] == 3,
         "%s: summary: 3 live threads, 3 parked (early, late, main in pause)" % mode, summary)


run_mode(False)
run_mode(True)
left = leftovers()
t.ok(not left, "no BPF programs or maps left loaded", left)
t.done()
