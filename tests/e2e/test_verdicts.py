#!/usr/bin/env python3
"""End-to-end: verdicts on a labelled corpus of workloads, in the real kernel.

Leaking workloads (request_leak_server fed by a small client,
socket_read_leak, abba_deadlock, python_event_leak) and healthy ones
(worker_pool, python_pool, epoll_server, timed_waits, join_busy) run side by
side under one leaktrace invocation; every ROLE thread is checked against its
expected verdict, and every leak/deadlock must be found within 2T of the
thread crossing the threshold T (or of leaktrace starting, when it crossed T
before). Then --fail-on-leak exit codes and --min-verdict filtering.
"""
import datetime
import os
import socket
import subprocess
import threading
import time

from ltlib import (LEAKTRACE, ROOT, Tap, Workload, final_records, json_records, leftovers,
                   split_reports, threads_by_tid)

T = 2.0                 # threshold, seconds
INTERVAL = 1.0
DURATION = 2 * T + 2    # time for the last eligible thread's 2T window, plus a report
SLACK = 0.3             # report timing granularity (ms timestamps, scan time)
PY = os.path.join(ROOT, "tools", "workloads")

t = Tap()


def lt_argv(pids, *extra):
    return [LEAKTRACE, "-p", ",".join(str(p) for p in pids), "-f", "json"] + list(extra)


def ts(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def drain(w, secs=0.3):
    """Collect ROLE lines printed since READY (workloads keep leaking)."""
    try:
        w.read_until("\0never", secs)
    except RuntimeError:
        pass


def request_client(port, n, every, replies):
    """One request per connection, reading the "ok" reply, every `every` s."""
    for _ in range(n):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"hi\n")
                replies.append(s.recv(16))
        except OSError as e:
            replies.append(repr(e).encode())
        time.sleep(every)


# workload key -> (argv, {role: expected verdicts})
# "-" = not reported at all is also fine (never parked past T).
LEAKS = {
    "request_leak_server": (["request_leak_server"], {"leak": {"leak"}, "acceptor": {"idle", "-"}}),
    "socket_read_leak": (["socket_read_leak", "--self-connect", "2", "--every", "0.4"],
                         {"leak": {"leak"}, "acceptor": {"idle", "-"}}),
    "abba_deadlock": (["abba_deadlock"], {"deadlock_a": {"deadlock"}, "deadlock_b": {"deadlock"},
                                          "main": {"idle", "-"}}),
    "python_event_leak": (["python3", os.path.join(PY, "python_event_leak.py"), "--every", "0.4"],
                          {"leak": {"leak"}, "main": {"idle", "-"}}),
}
HEALTHY = {
    "worker_pool": (["worker_pool"], {"pool": {"idle", "-"}, "main": {"idle", "-"}}),
    "python_pool": (["python3", os.path.join(PY, "python_pool.py")],
                    {"pool": {"idle", "-"}, "main": {"idle", "-"}}),
    "epoll_server": (["epoll_server"], {"event_loop": {"idle"}}),
    "timed_waits": (["timed_waits"], {"timed": {"idle", "-"}, "sleeper": {"idle", "-"},
                                      "main": {"idle", "-"}}),
    # The main thread waits in pthread_join on workers spinning on CPU: idle
    # ("joins threads that are still running"). A lone joiner with no
    # timeout is also acceptable as stuck (worth a look, not a leak).
    "join_busy": (["join_busy"], {"main_join": {"idle", "stuck"}, "busy": {"-"}}),
}
BAD = ("leak", "deadlock")

ws = {}
try:
    for name, (argv, _) in list(LEAKS.items()) + list(HEALTHY.items()):
        ws[name] = Workload(argv)
    port = int(ws["request_leak_server"].lines_starting("PORT")[0].split()[1])
    replies = []
    client = threading.Thread(target=request_client, args=(port, 10, 0.4, replies), daemon=True)
    client.start()
    time.sleep(1.5)     # a few requests cross T while leaktrace watches
    started = time.time()
    p = subprocess.run(lt_argv([w.pid for w in ws.values()], "-t", "%gs" % T,
                               "-i", "%gs" % INTERVAL, "-d", "%gs" % DURATION),
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    client.join(10)
    for w in ws.values():
        drain(w)
    t.ok(p.returncode == 0, "corpus run exits 0", p.stderr)
    t.ok(len(replies) == 10 and all(r == b"ok\n" for r in replies),
         "request_leak_server answered 10 requests with ok", replies)
    reps = split_reports(json_records(p.stdout))
    t.ok(len(reps) >= DURATION / INTERVAL - 1, "%d reports" % len(reps), p.stdout[-1500:])
    fin = final_records(json_records(p.stdout))
    fin_th = threads_by_tid(fin)
    final_time = ts(fin[-1]["time"])

    # per tid: [(report time, thread record)] over every report
    seen = {}
    for rep in reps:
        rtime = ts(rep[-1]["time"])
        for r in rep:
            if r.get("type") == "thread":
                seen.setdefault(r["tid"], []).append((rtime, r))

    table = []
    for name, (_, roles) in list(LEAKS.items()) + list(HEALTHY.items()):
        w = ws[name]
        for role, expected in roles.items():
            tids = w.roles.get(role, [])
            t.ok(tids, "%s: ROLE %s printed" % (name, role), w.lines[-5:])
            got, latencies, eligible, missed = {}, [], 0, []
            for tid in tids:
                v = fin_th[tid].get("verdict", "none") if tid in fin_th else "-"
                got[v] = got.get(v, 0) + 1
                if not expected & set(BAD):
                    # healthy thread: never leak/deadlock, in any report
                    bad = [(rt, r.get("verdict")) for rt, r in seen.get(tid, ())
                           if r.get("verdict") in BAD]
                    t.ok(not bad, "%s %s %d: never leak/deadlock" % (name, role, tid), bad)
                    t.ok(v in expected, "%s %s %d: final verdict %s in %s" %
                         (name, role, tid, v, sorted(expected)), fin_th.get(tid))
                    continue
                hist = seen.get(tid, ())
                if not hist:
                    continue
                crossed = ts(hist[0][1]["parked_since"]) + T
                since = max(crossed, started)
                if since + 2 * T > final_time:
                    # crossed T too late for its 2T window: still judged with its site
                    t.ok(v in expected, "%s %s %d (late): final verdict %s" % (name, role, tid, v),
                         fin_th.get(tid))
                    continue
                eligible += 1
                first = next((rt for rt, r in hist if r.get("verdict") in expected), None)
                if first is None:
                    missed.append(tid)
                    t.ok(False, "%s %s %d: %s found" % (name, role, tid, "/".join(expected)),
                         [(round(rt - since, 1), r.get("verdict")) for rt, r in hist])
                    continue
                latencies.append(first - since)
                t.ok(first - since <= 2 * T + SLACK,
                     "%s %s %d: %s within 2T (%.1f s after crossing T)" %
                     (name, role, tid, "/".join(expected), first - since), hist[-1][1])
                t.ok(v in expected, "%s %s %d: final verdict %s" % (name, role, tid, v),
                     fin_th.get(tid))
            if expected & set(BAD):
                t.ok(eligible >= 1, "%s %s: at least one thread crossed T 2T before the end (%d)"
                     % (name, role, eligible))
            table.append((name, role, "/".join(sorted(expected)),
                          ", ".join("%s x%d" % kv for kv in sorted(got.items())),
                          "%.1f s" % max(latencies) if latencies else ""))

    # no healthy process has a leak/deadlock site in any report
    healthy_pids = {ws[n].pid: n for n in HEALTHY}
    bad_sites = [(healthy_pids[r["pid"]], r["verdict"], r["reason"]) for rep in reps for r in rep
                 if r.get("type") == "site" and r["pid"] in healthy_pids and r["verdict"] in BAD]
    t.ok(not bad_sites, "no leak/deadlock site in healthy workloads", bad_sites)

    # the deadlock site names both threads of the cycle
    ab = ws["abba_deadlock"]
    pair = {ab.tid("deadlock_a"), ab.tid("deadlock_b")}
    dl = [r for r in fin if r.get("type") == "site" and r["pid"] == ab.pid]
    dl = [r for r in dl if r["verdict"] == "deadlock"]
    t.ok(dl and all({c["tid"] for c in r.get("cycle", [])} == pair for r in dl),
         "abba_deadlock: deadlock sites' cycle names both tids %s" % sorted(pair), dl)
    t.ok(all(fin_th.get(a, {}).get("lock_owner") == b for a, b in (tuple(pair), tuple(pair)[::-1])),
         "abba_deadlock: each thread's lock_owner is the other",
         [fin_th.get(x) for x in pair])
    # what decided: the owner cycle is a proof; a leak here is a heuristic's, named
    t.ok(dl and all(r["evidence"].get("proof") == "owner_cycle" and
                    r["evidence"].get("heuristic") == "in_cycle" for r in dl),
         "abba_deadlock: evidence.proof owner_cycle, evidence.heuristic in_cycle",
         [r.get("evidence") for r in dl])
    ours = {w.pid for w in ws.values()}
    leaks = [r for r in fin if r.get("type") == "site" and r["pid"] in ours and r["verdict"] == "leak"]
    t.ok(leaks and all("proof" not in r["evidence"] and
                       r["evidence"].get("heuristic") in ("leak_growing", "leak_spread", "leak_pile")
                       for r in leaks),
         "leak sites: no evidence.proof, evidence.heuristic names the leak rule (%d)" % len(leaks),
         [(r["reason"], r["evidence"].get("proof"), r["evidence"].get("heuristic")) for r in leaks])

    t.diag("corpus (T=%gs, -i %gs, -d %gs; latency = first verdict after crossing T):"
           % (T, INTERVAL, DURATION))
    fmt = "%-20s %-11s %-14s %-22s %s"
    t.diag(fmt % ("workload", "role", "expected", "got (final)", "latency"))
    for row in table:
        t.diag(fmt % row)

    # --fail-on-leak both ways, and --min-verdict leak, three runs at once
    leak_pid, pool_pid = ws["request_leak_server"].pid, ws["worker_pool"].pid
    common = ["-t", "1s", "-i", "1s", "-d", "3s"]
    runs = {
        "leak": lt_argv([leak_pid], "--fail-on-leak", *common),
        "pool": lt_argv([pool_pid], "--fail-on-leak", *common),
        "min": lt_argv([leak_pid, pool_pid, ws["join_busy"].pid, ws["epoll_server"].pid],
                       "--min-verdict", "leak", *common),
    }
    procs = {k: subprocess.Popen(v, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 stdin=subprocess.DEVNULL) for k, v in runs.items()}
    res = {}
    for k, pr in procs.items():
        out, err = pr.communicate(timeout=60)
        res[k] = (pr.returncode, out, err)
    rc, out, err = res["leak"]
    t.ok(rc == 10 and "--fail-on-leak" in err,
         "--fail-on-leak on request_leak_server exits 10 (%d)" % rc, err + out[-800:])
    rc, out, err = res["pool"]
    t.ok(rc == 0, "--fail-on-leak on worker_pool exits 0 (%d)" % rc, err + out[-800:])
    rc, out, err = res["min"]
    recs = json_records(out)
    judged = [r for r in recs if r.get("type") in ("thread", "site")]
    t.ok(rc == 0 and judged and all(r.get("verdict") in BAD for r in judged),
         "--min-verdict leak: only leak/deadlock thread and site records (%d)" % len(judged),
         [(r["type"], r.get("tid"), r.get("verdict")) for r in judged if r.get("verdict") not in BAD])
    leak_tids = set(ws["request_leak_server"].roles.get("leak", []))
    t.ok(leak_tids and leak_tids <= set(threads_by_tid(final_records(recs))),
         "--min-verdict leak keeps every leaked request thread")
    t.ok(any(r.get("type") == "summary" and r["pid"] == pool_pid for r in final_records(recs)),
         "--min-verdict keeps the per-process summaries")
finally:
    for w in ws.values():
        w.stop()
t.ok(leftovers() == [], "nothing left loaded", leftovers())
t.done()
