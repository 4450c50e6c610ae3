#!/usr/bin/env python3
"""End-to-end: fleet mode. --prometheus scraped by a real Prometheus,
hostile names through JSON / Prometheus / syslog, bounded memory under
thread churn, SIGHUP reopening -o FILE, SIGTERM shutdown."""
import codecs
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

from ltlib import (LEAKTRACE, PRECISE, ROOT, SyslogSink, Tap, Workload, free_port, http_get, json_records,
                   leftovers, parse_syslog, promtool_check, reports_in, stop, unquote_syslog,
                   wait_for)

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-fleet-")
# same reading of invalid UTF-8 as leaktrace's JSON and Prometheus output
codecs.register_error("lt_latin1", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))
IDENTITY_KEYS = ("unit", "container_id", "container_runtime", "pod_uid", "cgroup")
# where a line comes from ends every line (NODE_NAME sets node)
ORIGIN_KEYS = ("host", "node")
SYSLOG_KEYS = ("finding", "pid", "tid", "comm", "thread", "state", "parked_seconds", "wait",
               "syscall", "timeout", "verdict", "site", "site_threads") + IDENTITY_KEYS + ORIGIN_KEYS
SITE_KEYS = ("site", "pid", "comm", "kind", "id", "threads", "goroutines", "verdict",
             "reason", "frame") + IDENTITY_KEYS + ORIGIN_KEYS
NODE = "node-7\x1b[31m"       # NODE_NAME as the downward API would set it, hostile


def start_leaktrace(args, **kw):
    return subprocess.Popen([LEAKTRACE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, **kw)


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def listening_on(port):
    """Local addresses (hex, as in /proc/net/tcp*) listening on port."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, p = local.split(":")
                if state == "0A" and int(p, 16) == port:
                    found.append(addr)
    return found


class Prometheus:
    """Debian's prometheus scraping one target every second."""

    def __init__(self, target):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="prom-", dir=TMP)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: leaktrace\n"
                    "    static_configs:\n      - targets: ['%s']\n" % target)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port], stdout=self.log, stderr=self.log,
            stdin=subprocess.DEVNULL)
        self.ready = wait_for(lambda: self._ready(), 30)

    def _ready(self):
        try:
            return http_get("http://127.0.0.1:%d/-/ready" % self.port, 1)[0] == 200
        except OSError:
            return False

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (self.port, urllib.parse.quote(q))
        status, body = http_get(url)
        doc = json.loads(body)
        return doc["data"]["result"] if doc.get("status") == "success" else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def test_prometheus():
    w = Workload(["leaky", "--exiters", "3", "--exit-delay", "2"])
    port = free_port()
    out = os.path.join(TMP, "prom.jsonl")
    # --prometheus-pid: the queries below select this process by pid
    lt = start_leaktrace(["--pid", str(w.pid), "-t", "1s", "-i", "1s", "--prometheus",
                          "127.0.0.1:%d" % port, "--prometheus-pid", "-f", "json", "-o", out])
    prom = Prometheus("127.0.0.1:%d" % port)
    try:
        t.ok(prom.ready, "prometheus %d is ready" % prom.port)
        w.read_until("EXITERS_DONE", 15)
        q = 'leaktrace_parked_threads{pid="%d"}' % w.pid

        def scraped():
            r = prom.query(q)
            created = prom.query('leaktrace_threads_created_total{pid="%d"}' % w.pid)
            if r and created and float(created[0]["value"][1]) == 3:
                return r
            return None
        res = wait_for(scraped, 30, 0.5)
        t.ok(bool(res), "prometheus has %s" % q, open(prom.log.name).read()[-2000:])
        recs = json_records(open(out).read())
        summ = [r for r in recs if r.get("type") == "summary" and r["pid"] == w.pid]
        want = summ[-1]["parked"] if summ else -1
        if res:
            total = sum(float(s["value"][1]) for s in res)
            t.diag("parked threads of pid %d: prometheus %g, JSON %d, series %s" %
                   (w.pid, total, want, sorted((s["metric"]["verdict"], s["value"][1]) for s in res)))
            t.ok(total == want and want >= 3,
                 "parked threads in prometheus = last JSON summary (%g = %d)" % (total, want), res)
            t.ok(all(s["metric"].get("comm") == "leaky-main" for s in res), "comm label", res)
            t.ok(all("tid" not in s["metric"] for s in res), "no tid label", res)
            t.ok(sorted(s["metric"]["verdict"] for s in res) ==
                 sorted(["none", "idle", "stuck", "leak", "deadlock"]), "one series per verdict", res)
        for expr, want_v in (('leaktrace_live_threads{pid="%d"}' % w.pid, 7),
                             ('leaktrace_threads_created_total{pid="%d"}' % w.pid, 3),
                             ('leaktrace_threads_exited_total{pid="%d"}' % w.pid, 3),
                             ('leaktrace_series_truncated', 0),
                             ('up{job="leaktrace"}', 1)):
            r = prom.query(expr)
            v = float(r[0]["value"][1]) if r else None
            t.ok(v == want_v, "%s = %s (%s)" % (expr, want_v, v), r)
        for expr in ("leaktrace_reports_total", "leaktrace_last_report_timestamp_seconds",
                     "process_cpu_seconds_total", "process_resident_memory_bytes",
                     'leaktrace_oldest_parked_seconds{pid="%d"}' % w.pid,
                     'leaktrace_parked_sites{pid="%d"}' % w.pid):
            r = prom.query(expr)
            t.ok(bool(r) and float(r[0]["value"][1]) > 0, "%s > 0 (%s)" % (expr, r and r[0]["value"][1]), r)
        r = prom.query('leaktrace_drops_total')
        t.ok(r is not None and {"capture", "capture_cap", "proc_counts", "sites_evicted",
                                "task_storage"} <= {s["metric"]["kind"] for s in r},
             "drops by kind", r)
        r = prom.query('leaktrace_build_info')
        t.ok(bool(r) and len(r) == 1 and r[0]["metric"].get("kernel") == os.uname().release and
             r[0]["metric"].get("mode") == ("precise" if PRECISE else "default") and
             r[0]["metric"].get("version") == open(os.path.join(ROOT, "VERSION")).read().strip()
             and r[0]["value"][1] == "1", "leaktrace_build_info{version,kernel,mode} 1", r)
        r = prom.query('leaktrace_stalled_connections{pid="%d"}' % w.pid)
        t.ok(bool(r) and float(r[0]["value"][1]) == 0, "leaktrace_stalled_connections 0 (no sockets)", r)
        now = time.time()
        r = prom.query("leaktrace_last_report_timestamp_seconds")
        t.ok(bool(r) and abs(float(r[0]["value"][1]) - now) < 10, "last report timestamp is recent", r)

        status, body = http_get("http://127.0.0.1:%d/metrics" % port)
        rc, msg = promtool_check(body)
        t.ok(status == 200 and rc == 0, "promtool check metrics accepts the exposition", msg)
        t.ok(http_get("http://127.0.0.1:%d/other" % port)[0] == 404, "other paths: 404")
        status, body = http_get("http://127.0.0.1:%d/healthz" % port)
        t.ok(status == 200 and body.startswith(b"ok: last report cycle "),
             "/healthz: 200 while reports run (%r)" % body)
        t.ok(listening_on(port) == ["0100007F"], "listens on 127.0.0.1 only", listening_on(port))
    finally:
        prom.stop()
        rc, _, err = stop(lt)
        w.stop()
    t.ok(rc == 0, "SIGTERM: exit 0", err)

    # address forms: bare port is loopback, [::1] works, a port in use fails
    w = Workload(["leaky", "--exiters", "0"])
    try:
        port = free_port()
        lt = start_leaktrace(["-p", str(w.pid), "--prometheus", str(port), "-i", "1s", "--no-stacks"])
        ok = wait_for(lambda: listening_on(port), 10)
        t.ok(ok == ["0100007F"], "bare PORT listens on 127.0.0.1", ok)
        lt2 = start_leaktrace(["-p", str(w.pid), "--prometheus", ":%d" % port, "-d", "5s"])
        rc2, _, err2 = stop(lt2, sig=0, timeout=30)
        t.ok(rc2 == 1 and err2.count("\n") == 1 and "cannot listen" in err2,
             "port in use: exit 1, one line (%s)" % err2.strip(), err2)
        stop(lt)
        if os.path.exists("/proc/net/if_inet6"):
            port = free_port()
            lt = start_leaktrace(["-p", str(w.pid), "--prometheus", "[::1]:%d" % port, "-i", "1s",
                                  "--no-stacks"])
            st = wait_for(lambda: _get6(port), 10)
            t.ok(st == 200, "[::1]:PORT serves /metrics over IPv6", st)
            stop(lt)
    finally:
        w.stop()
    rc, out, err = run_lt(["--prometheus", "1.2.3:4"])
    t.ok(rc == 2 and err.startswith("leaktrace: ") and err.count("\n") == 1,
         "malformed address: exit 2 with one line", err)


def _get6(port):
    try:
        return http_get("http://[::1]:%d/metrics" % port, 1)[0]
    except OSError:
        return None


def run_lt(args):
    p = subprocess.run([LEAKTRACE] + args, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def test_hostile():
    w = Workload(["hostile_name", "--process-too"])
    name = bytes.fromhex([l for l in w.lines if l.startswith("NAME_HEX")][0].split()[1])
    tid = w.tid("hostile")
    want = name.decode("utf-8", "lt_latin1")
    # past the 1 s threshold before leaktrace's first report, so every report has it
    time.sleep(1.2)
    sink = SyslogSink(TMP)
    port = free_port()
    out = os.path.join(TMP, "hostile.jsonl")
    lt = subprocess.Popen(sink.wrap([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-f",
                                     "json", "-o", out, "--syslog", "--prometheus",
                                     "127.0.0.1:%d" % port]),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, NODE_NAME=NODE))
    body = b""
    try:
        wait_for(lambda: reports_in(out) >= 3, 20)
        status, body = http_get("http://127.0.0.1:%d/metrics" % port)
    finally:
        w.stop()
    rc, _, err = stop(lt, sig=0, timeout=30)
    t.ok(rc == 0, "leaktrace --syslog in a private /dev exits 0 when the process is gone", err)
    msgs = sink.messages()

    # JSON lines
    lines = open(out, "rb").read().splitlines()
    try:
        recs = [json.loads(l) for l in lines if l.strip()]
    except ValueError as e:
        recs = None
        t.ok(False, "every JSON line parses", e)
    if recs is not None:
        t.ok(True, "every JSON line parses (%d lines)" % len(lines))
        per_report, cur = [], 0
        for r in recs:
            if r.get("type") == "thread" and r["tid"] == tid:
                cur += 1
            if r.get("type") == "report":
                per_report.append(cur)
                cur = 0
        t.ok(len(per_report) >= 3 and all(n == 1 for n in per_report[:-1]),
             "exactly one thread record for tid %d per report %s" % (tid, per_report))
        th = [r for r in recs if r.get("type") == "thread" and r["tid"] == tid]
        t.ok(bool(th) and th[0]["thread"] == want and th[0]["comm"] == want,
             "name bytes %s round-trip through JSON" % name.hex(), th[:1])
        host = socket.gethostname()
        t.ok(all(r.get("host") == host and r.get("node") == NODE for r in recs),
             "every JSON record names its host (%s) and node (NODE_NAME)" % host,
             [r for r in recs if r.get("host") != host or r.get("node") != NODE][:2])

    # Prometheus
    rc, msg = promtool_check(body)
    t.ok(status == 200 and rc == 0, "promtool check metrics accepts the hostile exposition", msg)
    text = body.decode("utf-8")  # raises on invalid UTF-8
    esc = want.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    # the identity labels (unit, container_id, pod_uid) depend on where the tests run
    t.ok(re.search(r'leaktrace_live_threads\{comm="%s",unit="[^"]*",container_id="[0-9a-f]*",'
                   r'pod_uid="[0-9a-f-]*"\} 2\n' % re.escape(esc), text) is not None,
         "hostile comm escaped as a label value", text[:1500])

    # syslog
    text_msgs = [m.decode("ascii", "replace") for m in msgs]
    t.diag("%d syslog datagrams, e.g. %s" % (len(msgs), text_msgs[:1]))
    findings = []
    for m in text_msgs:
        head, _, body_ = m.partition(": ")
        body_ = body_.rstrip("\n")
        if "leaktrace[" in head:
            findings.append(body_)
    t.ok(len(findings) >= 2, "syslog got finding lines (%d)" % len(findings), text_msgs)
    t.ok(all(all(0x20 <= b < 0x7f for b in m.rstrip(b"\n")) for m in msgs),
         "every syslog message is one line of printable ASCII", msgs)
    parsed = [parse_syslog(f) for f in findings]
    t.ok(all(p is not None for p in parsed), "every finding line parses as key=value pairs", findings)
    good = [p for p in parsed if p]
    def keys_ok(p):
        allowed = SITE_KEYS if p[0][0] == "site" else SYSLOG_KEYS
        return len({k for k, _ in p}) == len(p) and all(k in allowed for k, _ in p)
    t.ok(all(keys_ok(p) for p in good), "no unknown or repeated keys (nothing injected)", good)
    t.ok(good and all(dict(p).get("host") == '"%s"' % socket.gethostname() and
                      unquote_syslog(dict(p).get("node", '""')) == NODE.encode() for p in good),
         "every syslog line ends with host and node (escaped)", good)
    new_sites = [dict(p) for p in good if p[0] == ("site", "new") and dict(p).get("kind") == "thread"]
    t.ok(new_sites and all(unquote_syslog(d.get("frame", '""')).startswith(b"hostile_name_worker (hostile_name.c:")
                           for d in new_sites),
         "a new thread site's line names its culprit frame with file:line", new_sites)
    sites = [dict(p) for p in good if p[0][0] == "site" and dict(p).get("pid") == str(w.pid)]
    t.ok([d["site"] for d in sites][:1] == ["new"] and [d["site"] for d in sites][-1:] == ["gone"]
         and all(unquote_syslog(d["comm"]) == name for d in sites),
         "hostile thread's site: site=new ... site=gone with the escaped name", sites)
    mine = [dict(p) for p in good if dict(p).get("tid") == str(tid)]
    kinds = [d["finding"] for d in mine]
    t.ok(kinds[:1] == ["new"] and kinds[-1:] == ["gone"] and kinds.count("new") == 1,
         "hostile thread: one finding=new ... finding=gone, not one per interval %s" % kinds, mine)
    if mine:
        t.ok(unquote_syslog(mine[0]["thread"]) == name and unquote_syslog(mine[0]["comm"]) == name,
             "name bytes round-trip through syslog escaping", mine[0])


def test_churn_and_sighup():
    churn = Workload(["churn", "--threads", "20000", "--start-delay", "6"], ready="ROLE")
    w = Workload(["leaky", "--exiters", "0"])
    out = os.path.join(TMP, "churn.jsonl")
    port = free_port()
    lt = start_leaktrace(["-p", "%d,%d" % (churn.pid, w.pid), "-t", "1s", "-i", "1s", "-f", "json",
                          "-o", out, "--prometheus", "127.0.0.1:%d" % port, "--syslog"])
    try:
        t.ok(wait_for(lambda: reports_in(out) >= 3, 15), "reports before the churn")
        http_get("http://127.0.0.1:%d/metrics" % port)
        before = vmrss_kib(lt.pid)
        t0 = time.time()
        churn.read_until("READY", 20)
        churn.read_until("CREATED", 120)
        t.diag("churn of 20000 threads took %.1f s" % (time.time() - t0))
        n = reports_in(out)
        wait_for(lambda: reports_in(out) >= n + 3, 15)
        http_get("http://127.0.0.1:%d/metrics" % port)
        after = vmrss_kib(lt.pid)
        t.diag("leaktrace VmRSS before churn %d KiB, after %d KiB (%+d KiB)" %
               (before, after, after - before))
        t.ok(before > 0 and after - before <= 2048, "RSS after 20000-thread churn within +2 MiB "
             "(%d -> %d KiB)" % (before, after))

        # SIGHUP: logrotate renames the file, leaktrace opens a new one
        rotated = out + ".1"
        os.rename(out, rotated)
        lt.send_signal(signal.SIGHUP)
        t.ok(wait_for(lambda: reports_in(out) >= 2, 10), "SIGHUP: new output file gets reports")
        t.ok(lt.poll() is None, "SIGHUP does not stop leaktrace")
        json_records(open(out).read())
        n_old = reports_in(rotated)
        time.sleep(1.5)
        t.ok(reports_in(rotated) == n_old, "rotated file is no longer written")
    finally:
        rc, _, err = stop(lt)
        churn.stop()
        w.stop()
    t.ok(rc == 0, "SIGTERM: exit 0", err)
    recs = json_records(open(out).read())
    rep = [r for r in recs if r.get("type") == "report"]
    t.ok(bool(rep) and rep[-1]["final"], "SIGTERM: final report written")
    allrep = [r for r in json_records(open(out + ".1").read()) + recs if r.get("type") == "report"]
    summ = [r for r in json_records(open(out + ".1").read()) + recs
            if r.get("type") == "summary" and r["pid"] == churn.pid]
    if rep:
        t.diag("final drops %s, capture_failures %d" % (rep[-1]["drops"], rep[-1]["capture_failures"]))
        t.ok(all(isinstance(v, int) and v >= 0 for v in rep[-1]["drops"].values()),
             "drops are reported")
    if summ:
        s = summ[-1]
        t.diag("churn summary: created_total %d exited_total %d" % (s["created_total"], s["exited_total"]))
        lost = sum(r["drops"]["proc_counts"] for r in allrep[-1:])
        t.ok(s["created_total"] == 20000 or lost > 0,
             "20000 created threads counted (or the loss reported)", s)
    t.ok(leftovers() == [], "nothing left loaded after SIGTERM", leftovers())


try:
    test_prometheus()
    test_hostile()
    test_churn_and_sighup()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
