#!/usr/bin/env python3
"""End-to-end: --baseline, a service's normal, kept across a restart.

The `leaky` workload runs in a cgroup named like a systemd service; its
lone pipe reader is `stuck` without --baseline. leaktrace --cgroup
--baseline starts after it: the first report forms the service's baseline,
so the reader's site is `normal` and `idle`. The process is then restarted
(new pid, same unit, same binary) with --grow: its reader's site is found
in the baseline again (`normal`, `idle`), while its condvar workers' site
grows past the baseline's one thread (`grew`) and is judged on its own
evidence again (not `idle`). With --state-dir the baseline a run formed
holds in the next run (a daemon restart), and a foreign state file is one
warning.
"""
import os
import shutil
import subprocess
import tempfile
import time

from ltlib import LEAKTRACE, WORKLOADS, Tap, Workload, json_records, leftovers, split_reports

t = Tap()
BASE = "lt-baseline-%d" % os.getpid()


def cgroup2_root():
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(root, "cgroup.subtree_control")):
            return root
    return None


def spawn_in(procs, *args):
    """leaky, entering the cgroup before exec."""
    return Workload(["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs,
                     os.path.join(WORKLOADS, "leaky"), "--exiters", "0"] + list(args))


def site_of_tid(report, tid):
    for r in report:
        if r.get("type") == "site" and tid in r.get("tids", []):
            return r
    return None


def baseline_run(*extra):
    """A short leaktrace --cgroup --baseline run: (returncode, reports, stderr)."""
    p = subprocess.run([LEAKTRACE, "--cgroup", os.path.join("/", BASE), "--baseline", "-t", "1s",
                        "-i", "1s", "-d", "2500ms", "-f", "json"] + list(extra),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, split_reports(json_records(p.stdout)), p.stderr


def check_state_dir(w):
    """--state-dir: the baseline one run formed holds in the next (a daemon
    restart), where --baseline-after would otherwise leave it pending."""
    state = tempfile.mkdtemp(prefix="lt-state-")
    reader = w.tid("pipe")
    rc, reps, err = baseline_run("--state-dir", state)
    path = os.path.join(state, "baselines")
    saved = open(path).read() if os.path.exists(path) else ""
    t.ok(rc == 0 and saved.startswith("leaktrace-baselines 1\nservice "),
         "the first run saves its baselines to %s" % path, err[-1000:] + saved[:500])
    t.ok(oct(os.stat(path).st_mode & 0o777) == "0o600" if saved else False, "state file mode 0600")
    # the restart: the process is younger than --baseline-after, so only a
    # kept baseline can judge it now
    rc, reps, err = baseline_run("--baseline-after", "1h")
    s = site_of_tid(reps[0], reader) if reps else None
    t.ok(s is not None and s["evidence"].get("baseline") == "pending",
         "control, no --state-dir: the young process's site is pending",
         s and (s["verdict"], s["evidence"].get("baseline")))
    rc, reps, err = baseline_run("--baseline-after", "1h", "--state-dir", state)
    s = site_of_tid(reps[0], reader) if reps else None
    t.ok(rc == 0 and s is not None and s["evidence"].get("baseline") == "normal" and
         s["verdict"] == "idle",
         "restarted with --state-dir: the kept baseline holds from the first report (normal, idle)",
         (err[-1000:], s and (s["verdict"], s["evidence"].get("baseline"))))
    # a corrupt or foreign file: one warning, ignored, replaced once a new
    # baseline forms
    with open(path, "w") as f:
        f.write('{"not": "a baseline file"}\n')
    rc, reps, err = baseline_run("--state-dir", state)
    warnings = [l for l in err.splitlines() if "ignored" in l]
    t.ok(rc == 0 and len(warnings) == 1 and warnings[0].startswith("leaktrace: warning: state ")
         and "not a baseline file" in warnings[0], "a foreign state file: one warning, ignored",
         err[-1000:])
    t.ok(open(path).read().startswith("leaktrace-baselines 1\n"),
         "and replaced by the baselines formed in that run")
    t.ok(not [f for f in os.listdir(state) if f != "baselines"], "no temporary file left",
         os.listdir(state))
    check_events_restart(w, state)
    shutil.rmtree(state)


def events_run(w, state):
    """A short leaktrace -f json --events run on w: its records."""
    p = subprocess.run([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2500ms",
                        "-f", "json", "--events", "--state-dir", state],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, json_records(p.stdout), p.stderr


def check_events_restart(w, state):
    """--events with --state-dir: a restarted leaktrace does not announce
    again as new what the former run announced, and says what went away."""
    rc, recs, err = events_run(w, state)
    # not the main thread: with --grow it wakes every 1.5 s to start a
    # thread, so it leaves and rejoins the parked threads (new again, rightly)
    new1 = {r["tid"] for r in recs if r.get("type") == "thread" and r.get("event") == "new"
            and r["tid"] != w.pid}
    t.ok(rc == 0 and new1 and os.path.exists(os.path.join(state, "findings-events")),
         "--events: the first run announces %d threads new and saves its findings" % len(new1),
         err[-1000:])
    rc, recs, err = events_run(w, state)
    # (w grows a thread every 1.5 s: those are new to both runs)
    again = [r for r in recs if r.get("type") == "thread" and r.get("event") == "new" and
             r["tid"] in new1]
    t.ok(rc == 0 and not again, "restarted with --state-dir: none of the %d threads the first "
         "run announced is announced new again" % len(new1), [r.get("tid") for r in again][:5])


def main():
    root = cgroup2_root()
    if not root:
        t.ok(False, "a cgroup v2 hierarchy is mounted")
        t.done()
    cg = os.path.join(root, BASE, "lt-baseline.service")
    os.makedirs(cg)
    procs = os.path.join(cg, "cgroup.procs")
    a = b = None
    try:
        a = spawn_in(procs)
        reader = a.tid("pipe")
        time.sleep(1.2)
        # control: the same thread without --baseline
        out = subprocess.run([LEAKTRACE, "-p", str(a.pid), "-t", "1s", "-d", "2s", "-f", "json"],
                             capture_output=True, text=True, timeout=60)
        s = site_of_tid(json_records(out.stdout), reader)
        t.ok(s is not None and s["verdict"] == "stuck" and "baseline" not in s["evidence"],
             "without --baseline: the lone pipe reader is stuck, no baseline evidence",
             s and (s["verdict"], s["reason"]))
        lt = subprocess.Popen([LEAKTRACE, "--cgroup", os.path.join("/", BASE), "--baseline",
                               "-t", "1s", "-i", "2s", "-d", "14s", "-f", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(5)           # two reports: the baseline is formed in the first
        a.stop()
        b = spawn_in(procs, "--grow", "1.5")   # the restart: new pid, same service and binary
        restarted = b.tid("pipe")
        out, err = lt.communicate(timeout=60)
        t.ok(lt.returncode == 0, "leaktrace --cgroup --baseline exits 0", err[-2000:])
        reps = split_reports(json_records(out))
        t.diag("%d reports" % len(reps))
        s = site_of_tid(reps[0], reader) if reps else None
        t.ok(s is not None and s["evidence"].get("baseline") == "normal" and s["verdict"] == "idle"
             and "baseline" in s["reason"],
             "first report: the reader's site forms the baseline, idle",
             s and (s["verdict"], s["reason"], s["evidence"].get("baseline")))
        seen = [x for x in (site_of_tid(r, restarted) for r in reps) if x]
        t.ok(seen and all(x["evidence"].get("baseline") == "normal" and x["verdict"] == "idle"
                          for x in seen),
             "after the restart (pid %d -> %d): the reader's site is in the baseline, idle"
             % (a.pid, b.pid), [(x["verdict"], x["evidence"].get("baseline")) for x in seen])
        # B started while leaktrace ran: the fork handler saw its threads made
        made = [r for rep in reps for r in rep if r.get("type") == "thread" and r["pid"] == b.pid
                and r["tid"] != b.pid]
        t.ok(made and all(r.get("created_by_tid") == b.pid for r in made),
             "threads created while traced name their creator (the main thread, %d)" % b.pid,
             sorted({(r["tid"], r.get("created_by_tid")) for r in made}))
        grown = [x for x in (site_of_tid(r, b.tid("condvar")) for r in reps) if x]
        grown = [x for x in grown if x["threads"] > 1]
        t.ok(grown and grown[-1]["evidence"].get("baseline") == "grew"
             and grown[-1]["verdict"] != "idle",
             "the condvar workers' site grew past the baseline: judged on its own evidence",
             [(x["threads"], x["verdict"], x["reason"], x["evidence"].get("baseline"))
              for x in grown])
        check_state_dir(b)
    finally:
        for w in (a, b):
            if w:
                w.stop()
        for d in (cg, os.path.join(root, BASE)):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)
    left = leftovers()
    t.ok(not left, "nothing left loaded", left)
    t.done()


if __name__ == "__main__":
    main()
