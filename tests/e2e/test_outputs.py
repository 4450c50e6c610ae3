#!/usr/bin/env python3
"""End-to-end: the output formats of issue 13 against real workloads.
-f json --events (threads, sites, goroutines: new / changed / gone, nothing
for unchanged intervals), -f folded (summed against the JSON report),
-f pprof (read by Debian's `go tool pprof`), hostile names in every new
format, and the bytes per hour of both JSON modes for 1,000 parked threads
(a figure, not a pass/fail)."""
import codecs
import gzip
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from ltlib import LEAKTRACE, ROOT, Tap, Workload, json_records, final_records, run

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-outputs-")
GO = os.environ.get("GO", "go")
GO_WL = os.path.join(ROOT, ".output", "go-workloads")
codecs.register_error("lt_latin1", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))


class PipedWorkload(Workload):
    """A workload driven by lines on its stdin (tools/workloads/phases.c)."""

    def __init__(self, argv, ready="READY"):
        self.proc = subprocess.Popen([os.path.join(ROOT, ".output", "workloads", argv[0])] + argv[1:],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self._buf = b""
        self.pid = self.proc.pid
        self.roles = {}
        self.lines = []
        self.read_until(ready)

    def send(self, line, reply):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        self.read_until(reply)


def start_tracer(args, out):
    return subprocess.Popen([LEAKTRACE] + args + ["-o", out], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def records(path):
    try:
        with open(path) as f:
            return json_records(f.read())
    except (OSError, ValueError):
        return []


def wait_for(path, pred, timeout=20):
    """Poll the JSON lines in path until pred(records) holds."""
    end = time.time() + timeout
    while time.time() < end:
        recs = records(path)
        if pred(recs):
            return True
        time.sleep(0.2)
    return False


def reports_since(recs, n):
    return sum(1 for r in recs[n:] if r["type"] == "report")


def quiet_reports(recs):
    """Reports whose interval wrote no finding record at all."""
    quiet, events = 0, 0
    for r in recs:
        if r["type"] == "report":
            quiet += events == 0
            events = 0
        elif "event" in r:
            events += 1
    return quiet


def steps(recs, match):
    return [(r["event"], r["verdict"], r.get("threads")) for r in recs if "event" in r and match(r)]


def no_repeats(seq):
    """An event stream that never repeats an unchanged state: it starts with
    new, changes only to a different state, and is new again only after
    gone (a thread that ran and parked again)."""
    return bool(seq) and seq[0][0] == "new" and all(
        a != b and (b[0] != "new" or a[0] == "gone") and (a[0] != "gone" or b[0] == "new")
        for a, b in zip(seq, seq[1:]))


def test_events_threads():
    out = os.path.join(TMP, "events.json")
    w = PipedWorkload(["phases"])
    lt = start_tracer(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-f", "json", "--events"], out)
    first = w.tid("first")
    try:
        ok = wait_for(out, lambda rs: any(r.get("tid") == first for r in rs))
        n = len(records(out))
        ok = ok and wait_for(out, lambda rs: reports_since(rs, n) >= 3)   # unchanged intervals
        w.send("grow", "GROWN")
        joined = w.roles["joined"]
        ok = ok and wait_for(out, lambda rs: any(r.get("tid") == first and r["event"] == "changed"
                                                 for r in rs if "event" in r))
        n = len(records(out))
        ok = ok and wait_for(out, lambda rs: reports_since(rs, n) >= 3)
        w.send("release", "RELEASED")
        ok = ok and wait_for(out, lambda rs: sum(1 for r in rs if r.get("event") == "gone"
                                                 and r.get("tid") in [first] + joined) == 3)
        n = len(records(out))
        ok = ok and wait_for(out, lambda rs: reports_since(rs, n) >= 2)
    finally:
        lt.send_signal(signal.SIGTERM)
        err = lt.communicate(timeout=30)[1]
        w.stop()
    recs = records(out)
    t.ok(ok and lt.returncode == 0, "events: leaktrace followed the three phases and exited 0", err)
    mine = lambda tid: steps(recs, lambda r: r["type"] == "thread" and r["tid"] == tid)
    # alone and never woken: idle or stuck, as the verdict rules have it (docs/verdicts.md)
    alone = mine(first)[0][1] if mine(first) else None
    t.ok(alone in ("idle", "stuck") and
         mine(first) == [("new", alone, None), ("changed", "leak", None), ("gone", "leak", None)],
         "events: the first worker is new (%s), changed (leak), gone: nothing else" % alone, mine(first))
    for tid in joined:
        t.ok(mine(tid) == [("new", "leak", None), ("gone", "leak", None)],
             "events: joined worker %d is new (leak), gone: nothing else" % tid, mine(tid))
    site_ids = {r["site"] for r in recs if r.get("tid") == first and "site" in r}
    site = steps(recs, lambda r: r["type"] == "site" and r["site"] in site_ids)
    t.ok(site == [("new", alone, 1), ("changed", "leak", 3), ("gone", "leak", 0)],
         "events: its site is new (1 thread, %s), changed (3, leak), gone" % alone, site)
    others = {}
    for r in recs:
        if "event" in r:
            key = (r["type"], r.get("tid"), r.get("goid"), r.get("site") if r["type"] == "site" else None)
            others.setdefault(key, []).append((r["event"], r["verdict"], r.get("threads")))
    t.ok(all(no_repeats(s) for s in others.values()),
         "events: no finding is written twice in the same state", others)
    quiet = quiet_reports(recs)
    t.ok(quiet >= 4, "events: %d unchanged intervals wrote only the heartbeat" % quiet)
    beats = [r for r in recs if r["type"] == "report"]
    t.ok(beats and all(r.get("events") is True for r in beats),
         "events: one report record per interval, marked events", beats[:1])


def build_go_workloads():
    if os.path.exists(os.path.join(GO_WL, "httpleak")):
        return
    env = dict(os.environ, GO=GO)
    subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), GO_WL], check=True,
                   env=env, stdout=subprocess.DEVNULL)


class GoWorkload:
    def __init__(self, name):
        self.proc = subprocess.Popen([os.path.join(GO_WL, name)], stdout=subprocess.PIPE, text=True)
        self.port = None
        for line in self.proc.stdout:
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
            if line.strip() == "READY":
                break
        self.pid = self.proc.pid

    def get(self, n):
        for _ in range(n):
            urllib.request.urlopen("http://127.0.0.1:%d/" % self.port, timeout=5).read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def test_events_goroutines():
    out = os.path.join(TMP, "go-events.json")
    w = GoWorkload("httpleak")
    lt = start_tracer(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-f", "json", "--events"], out)
    gor = lambda rs: [r for r in rs if r["type"] == "goroutine"]
    # the handler's leaked goroutines (runtime ones are reported too)
    leaked_n = lambda rs: len({r["goid"] for r in gor(rs)
                               if any("main.handler.func1" in f for f in r.get("stack", []))})
    try:
        time.sleep(1.5)
        w.get(2)
        ok = wait_for(out, lambda rs: leaked_n(rs) >= 2)
        n = len(records(out))
        # the requests woke the runtime's threads (they ran: gone, then new
        # again) and the site turns leak: quiet intervals come after that
        ok = ok and wait_for(out, lambda rs: reports_since(rs, n) >= 5)
        w.get(2)
        ok = ok and wait_for(out, lambda rs: leaked_n(rs) >= 4)
        n = len(records(out))
        ok = ok and wait_for(out, lambda rs: reports_since(rs, n) >= 2)
        w.stop()    # leaktrace ends by itself: the traced process is gone
        err = lt.communicate(timeout=30)[1]
    finally:
        if lt.poll() is None:
            lt.kill()
            lt.wait()
        w.stop()
    recs = records(out)
    t.ok(ok and lt.returncode == 0, "go events: leaktrace saw 4 leaked goroutines and exited 0", err)
    by_goid = {}
    for r in gor(recs):
        by_goid.setdefault(r["goid"], []).append(r["event"])
    leaked = {r["goid"] for r in gor(recs)
              if r["event"] == "new" and any("main.handler.func1" in f for f in r["stack"])}
    leaked = {g: by_goid[g] for g in leaked}
    t.ok(len(leaked) == 4 and all(s[0] == "new" and s[-1] == "gone" and "new" not in s[1:]
                                  for s in leaked.values()),
         "go events: each of the 4 leaked goroutines: one new ... one gone", by_goid)
    t.ok(all(no_repeats([(e, None, None) for e in s if e != "changed"]) for s in by_goid.values()),
         "go events: no goroutine is new twice without a gone between", by_goid)
    sites = {}
    for r in recs:
        if r["type"] == "site" and r.get("kind") == "goroutine" and "event" in r:
            sites.setdefault(r["site"], []).append((r["event"], r["verdict"], r.get("threads")))
    leak_site = [s for s in sites.values() if any(th == 4 for _, _, th in s)]
    t.ok(len(leak_site) == 1 and leak_site[0][0][0] == "new" and leak_site[0][0][2] == 2
         and leak_site[0][-1][0] == "gone" and no_repeats(leak_site[0]),
         "go events: the handler's site: new (2), changed (4), gone, no repeats", sites)
    t.ok(quiet_reports(recs) >= 3, "go events: unchanged intervals wrote only the heartbeat",
         " | ".join("report" if r["type"] == "report" else "%s %s %s" % (
             r["event"], r["type"], r.get("goid", r.get("tid", r.get("site"))))
             for r in recs if r["type"] == "report" or "event" in r))


def folded_lines(text):
    out = []
    for line in text.splitlines():
        m = re.match(r"^(.*) (\d+)$", line)
        if not m:
            return None
        out.append((m.group(1).split(";"), int(m.group(2))))
    return out


def parked_seconds(js):
    return sum(r["parked_seconds"] for r in final_records(json_records(js)) if r["type"] == "thread")


def test_folded_against_json(w):
    """The same workload, one run per format: its threads stay parked, so
    counts match exactly and seconds fall between the JSON runs around."""
    rc, js, err = run(["-p", str(w.pid), "-t", "1s", "-d", "2s", "-i", "2s", "-f", "json"])
    rc2, folded, err2 = run(["-p", str(w.pid), "-t", "1s", "-d", "2s", "-i", "2s", "-f", "folded"])
    rc3, secs, err3 = run(["-p", str(w.pid), "-t", "1s", "-d", "2s", "-i", "2s", "-f", "folded",
                           "--folded-value", "seconds"])
    rc4, js_after, err4 = run(["-p", str(w.pid), "-t", "1s", "-d", "2s", "-i", "2s", "-f", "json"])
    t.ok(rc == rc2 == rc3 == rc4 == 0, "folded: four runs exit 0", err + err2 + err3 + err4)
    lines, sec_lines = folded_lines(folded), folded_lines(secs)
    t.ok(lines is not None and sec_lines is not None and lines,
         "folded: every line is 'frames VALUE'", folded)
    if not lines or not sec_lines:
        return
    final = final_records(json_records(js))
    sites = [r for r in final if r["type"] == "site"]
    threads = [r for r in final if r["type"] == "thread"]
    t.ok(sum(v for _, v in lines) == len(threads) == sum(s["threads"] for s in sites),
         "folded: values sum to the %d parked threads of the JSON report" % len(threads),
         (lines, len(threads)))
    t.ok(sorted(v for _, v in lines) == sorted(s["threads"] for s in sites),
         "folded: one line per site, valued its thread count", (lines, sites))
    lo, hi = parked_seconds(js), parked_seconds(js_after)
    got = sum(v for _, v in sec_lines)
    t.ok(lo - len(sites) <= got <= hi + len(sites),
         "folded --folded-value seconds: %d s, between %.1f and %.1f s in JSON" % (got, lo, hi))
    leak = [f for f, _ in lines if "leak_condvar_worker" in f]
    t.ok(leak and leak[0][0] == "leaky-main" and leak[0].index("start_thread") < leak[0].index("leak_condvar_worker"),
         "folded: root first: comm; ... start_thread; ... leak_condvar_worker", leak)


def pprof_top(path):
    p = subprocess.run([GO, "tool", "pprof", "-top", path], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, HOME=TMP, PPROF_TMPDIR=TMP))
    return p.returncode, p.stdout + p.stderr


def test_pprof_c(w):
    path = os.path.join(TMP, "leaky.pb.gz")
    rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "pprof", "-o", path])
    t.ok(rc == 0 and os.path.exists(path) and not [f for f in os.listdir(TMP) if ".tmp." in f],
         "pprof: -o FILE written, no temporary file left", err)
    prc, top = pprof_top(path)
    t.ok(prc == 0 and re.search(r"\bleak_condvar_worker\b", top),
         "go tool pprof -top names leak_condvar_worker (C workload)", top)
    t.ok("Type: threads" in top, "pprof: default sample type threads", top)


def test_pprof_go():
    path = os.path.join(TMP, "httpleak.pb.gz")
    w = GoWorkload("httpleak")
    try:
        w.get(3)
        rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s", "-f", "pprof", "-o", path])
    finally:
        w.stop()
    prc, top = pprof_top(path)
    t.ok(rc == 0 and prc == 0 and re.search(r"\bmain\.handler\.func1\b", top),
         "go tool pprof -top names main.handler.func1 (Go workload)", err + top)


def test_pprof_refuses_terminal():
    master, slave = pty.openpty()
    p = subprocess.run([LEAKTRACE, "-f", "pprof", "-d", "1s"], stdout=slave, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, text=True, timeout=30)
    os.close(slave)
    os.close(master)
    t.ok(p.returncode == 2 and len(p.stderr.splitlines()) == 1 and "-o FILE" in p.stderr,
         "pprof: refuses a terminal with one line and exit 2", (p.returncode, p.stderr))


def pb_strings(data):
    """string_table entries (field 6) of a profile.proto message."""
    out, i = [], 0

    def varint():
        nonlocal i
        v = shift = 0
        while True:
            b = data[i]
            i += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v
    while i < len(data):
        key = varint()
        if key & 7 == 0:
            varint()
        elif key & 7 == 2:
            n = varint()
            if key >> 3 == 6:
                out.append(data[i:i + n].decode("utf-8"))   # must be valid UTF-8
            i += n
        else:
            raise ValueError("wire type %d" % (key & 7))
    return out


def test_hostile():
    w = Workload(["hostile_name", "--process-too"])
    name = bytes.fromhex([l for l in w.lines if l.startswith("NAME_HEX")][0].split()[1])
    want = name.decode("utf-8", "lt_latin1")
    tid = w.tid("hostile")
    events = os.path.join(TMP, "hostile.json")
    path = os.path.join(TMP, "hostile.pb.gz")
    try:
        time.sleep(1.2)
        rc1, _, e1 = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "json", "--events",
                          "-o", events])
        rc2, folded, e2 = run(["-p", str(w.pid), "-t", "1s", "-d", "1s", "-f", "folded"])
        rc3, _, e3 = run(["-p", str(w.pid), "-t", "1s", "-d", "1s", "-f", "pprof", "-o", path])
    finally:
        w.stop()
    t.ok(rc1 == rc2 == rc3 == 0, "hostile: the three runs exit 0", e1 + e2 + e3)
    recs = records(events)
    mine = [r for r in recs if r.get("tid") == tid]
    t.ok(mine and all(r["comm"] == want and r["thread"] == want for r in mine),
         "hostile: --events records carry the name intact", mine)
    lines = folded_lines(folded)
    esc = "".join("\\x%02x" % b if b < 0x20 or b in b";\\" or b >= 0x80 else chr(b) for b in name)
    t.ok(lines is not None and any(f[0] == esc for f, _ in lines),
         "hostile: folded lines stay 'frames VALUE' with the name escaped as %r" % esc, folded)
    try:
        strings = pb_strings(gzip.open(path).read())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        strings = ["error: %s" % e]
    # valid UTF-8, control characters as the text \xNN (pprof's views print to terminals)
    want_pprof = "".join("\\x%02x" % ord(c) if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f else c
                         for c in want)
    t.ok(want_pprof in strings, "hostile: the pprof string table holds the name %r (valid UTF-8)" %
         want_pprof, strings[:20])


def measure_bytes_per_hour():
    w = Workload(["many_parked", "--threads", "1000"], timeout=60)
    sizes = {}
    try:
        time.sleep(1.2)
        for mode, extra in (("snapshot", []), ("events", ["--events"])):
            path = os.path.join(TMP, "mp-%s.json" % mode)
            rc, _, err = run(["-p", str(w.pid), "-t", "1s", "-i", "2s", "-d", "10s", "-f", "json",
                              "-o", path] + extra, timeout=120)
            with open(path, "rb") as f:
                reports = f.read().split(b'"type":"report"')
            # steady state: the reports after the first, at the default 5 s interval
            steady = sum(len(r) for r in reports[2:-1]) / max(1, len(reports) - 3)
            sizes[mode] = (rc, len(reports[0]) + len(reports[1]), steady * 720)
    finally:
        w.stop()
    for mode, (rc, first, hour) in sizes.items():
        t.diag("1,000 idle parked threads, %s mode: first report %d bytes, then %.0f bytes/hour "
               "at -i 5s" % (mode, first, hour))
    t.ok(all(rc == 0 for rc, _, _ in sizes.values()) and sizes["events"][2] * 100 < sizes["snapshot"][2],
         "events mode writes under 1% of snapshot mode for unchanged parked threads", sizes)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return
    test_events_threads()
    w = Workload(["leaky"])
    try:
        time.sleep(1.2)
        test_folded_against_json(w)
        test_pprof_c(w)
    finally:
        w.stop()
    test_pprof_refuses_terminal()
    test_hostile()
    try:
        build_go_workloads()
    except (OSError, subprocess.CalledProcessError) as e:
        t.ok(False, "go workloads build: %s" % e)
    else:
        test_events_goroutines()
        test_pprof_go()
    measure_bytes_per_hour()
    shutil.rmtree(TMP, ignore_errors=True)
    t.done()


main()
