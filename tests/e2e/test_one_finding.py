#!/usr/bin/env python3
"""End-to-end test of the link from goroutines in `IO wait` to their socket
(user/collect/go/go_netpoll.c) and what the judge makes of it, in the real
kernel on real programs. Prints TAP.

- tools/workloads/go/upstreamhang -mode hang: each request's handler calls
  an upstream that never answers, with no timeout. The transport's readLoop
  goroutines, in IO wait on their connections, are the units of the stall
  (stuck: "waits for a reply its TCP peer has not sent", with the peer), and
  no separate connection site is reported for those connections.
- the same run: the handlers, parked in the select of the transport's
  roundTrip, wait for the readLoops (collect/go/go_holders.c): stuck,
  "waits for a goroutine that waits for a reply its TCP peer has not sent",
  each with peer_via_goid naming a readLoop; main.rawCall waits on the same
  upstream over a connection of its own. Handlers, readLoops and rawCall
  are one finding (judge/related.c), led by the handlers' site at
  main.main.func1 (the program's own code); no other site is grouped.
- upstreamhang -mode idle, with a keep-alive client holding its connection
  and the program's own idle pooled connection: no stuck site; the readers
  are idle ("reads a connection whose peer owes no reply").
- Prometheus (Debian's package), scraping itself every second, with a
  keep-alive client: no stuck site.

Environment: GO (default "go"); LEAKTRACE_GO_TOOLCHAINS="path/to/go ..." runs
the two workload checks again on binaries of other Go toolchains (the epoll
data is a plain pointer up to go1.21, a tagged one since).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from ltlib import LEAKTRACE, Tap, final_records, free_port, json_records, leftovers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WL_DIR = os.path.join(ROOT, ".output", "go-workloads")
IDLE_REASON = "reads a connection whose peer owes no reply"
PEER_REASON = "waits for a reply its TCP peer has not sent"
VIA_REASON = "waits for a goroutine that waits for a reply its TCP peer has not sent"
HANGS = 3


def build():
    """The workload built by each toolchain: [(go version, binary)]."""
    subprocess.run(["make", "-s", "-C", ROOT, "leaktrace"], check=True)
    gos = [os.environ.get("GO", "go")] + os.environ.get("LEAKTRACE_GO_TOOLCHAINS", "").split()
    out = []
    for i, go in enumerate(gos):
        d = WL_DIR if i == 0 else "%s-%d" % (WL_DIR, i)
        subprocess.run([os.path.join(ROOT, "tools", "workloads", "go", "build.sh"), d,
                        "upstreamhang"], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, GO=go))
        version = subprocess.check_output([go, "version"], text=True).split()[2]
        out.append((version, os.path.join(d, "upstreamhang")))
    return out


def end(p):
    """Stop a process this test started (its pid only)."""
    if p.poll() is None:
        p.kill()
    p.wait()
    if p.stdout:
        p.stdout.close()


def start_workload(binary, mode):
    p = subprocess.Popen([binary, "-mode", mode],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stdout:
        if line.startswith("PORT "):
            port = int(line.split()[1])
        if line.strip() == "READY":
            return p, port
    raise RuntimeError("upstreamhang -mode %s exited before READY" % mode)


def keepalive_client(port):
    """One request answered, the connection kept open (HTTP/1.1 keep-alive)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(10)
    s.recv(4096)
    return s


def hanging_request(port):
    """A request the front server never answers (its upstream does not)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return s


def trace(pid, seconds=5, events=False):
    out = subprocess.run([LEAKTRACE, "--pid", str(pid), "-t", "1s", "-i", "2s",
                          "-d", "%ds" % seconds, "-f", "json"] + (["--events"] if events else []),
                         capture_output=True, text=True, timeout=120)
    if out.returncode not in (0, 2):
        raise RuntimeError("leaktrace exited %d: %s" % (out.returncode, out.stderr[-400:]))
    if events:
        return [r for r in json_records(out.stdout) if r.get("pid") == pid]
    return [r for r in final_records(json_records(out.stdout)) if r.get("pid") == pid]


def sites(recs, **kw):
    return [r for r in recs if r.get("type") == "site"
            and all(r.get(k) == v for k, v in kw.items())]


def brief(recs):
    return "\n".join("%s %s %s: %s (%s)" % (s["kind"], s["site"], s["verdict"], s["reason"],
                                            s.get("start_func", ""))
                     for s in sites(recs))


def check_hang(t, binary, tag):
    p, port = start_workload(binary, "hang")
    clients = []
    try:
        clients = [hanging_request(port) for _ in range(HANGS)]
        time.sleep(1.5)
        recs = trace(p.pid)
        events = trace(p.pid, seconds=3, events=True)
    finally:
        for c in clients:
            c.close()
        end(p)
    readers = sites(recs, kind="goroutine", start_func="net/http.(*persistConn).readLoop")
    t.ok(len(readers) == 1 and readers[0]["verdict"] == "stuck"
         and readers[0]["reason"] == PEER_REASON and readers[0]["threads"] == HANGS,
         "%s hang: the %d transport readLoops in IO wait are one stuck site: %s"
         % (tag, HANGS, PEER_REASON), brief(recs))
    peer = readers[0]["evidence"].get("peer", "") if readers else ""
    t.ok(peer.startswith("127.0.0.1:") and readers[0]["evidence"].get("awaiting_peer"),
         "%s hang: the readLoops' site names the upstream that does not answer (%s)"
         % (tag, peer),
         readers and json.dumps(readers[0]["evidence"]))
    conns = sites(recs, kind="connection")
    t.ok(not conns, "%s hang: no separate connection site for the connections the readLoops wait on"
         % tag,
         brief(recs))
    check_related(t, recs, readers, tag)
    new_stuck = [e for e in events if e.get("type") == "site" and e.get("event") == "new"
                 and e.get("verdict") == "stuck"]
    handlers = sites(recs, kind="goroutine", start_func="net/http.(*conn).serve")
    t.ok(len(new_stuck) == 1 and handlers and new_stuck[0]["site"] == handlers[0]["site"],
         "%s hang: --events: one new stuck site event, the handlers' (the others are related)"
         % tag, brief(new_stuck))


def check_related(t, recs, readers, tag):
    """The handlers' http.Get waits for the transport's readLoops, which wait
    for the upstream; main.rawCall waits on the same upstream: one finding,
    led by the handlers' site (the program's own code, the most units), the
    readLoops' and main.rawCall's sites related; the sites that share no
    socket, peer or wait object with them stay apart."""
    raw = sites(recs, kind="goroutine", start_func="main.rawCall")
    handlers = sites(recs, kind="goroutine", start_func="net/http.(*conn).serve")
    loop_id = readers[0]["site"] if readers else None
    raw_id = raw[0]["site"] if raw else None
    h = handlers[0] if len(handlers) == 1 else {}
    t.ok(h.get("verdict") == "stuck" and h.get("threads") == HANGS
         and h.get("reason") == VIA_REASON
         and (h.get("culprit") or {}).get("function") == "main.main.func1",
         "%s hang: the %d handlers in http.Get are stuck at main.main.func1: %s"
         % (tag, HANGS, VIA_REASON), brief(recs) + "\n" + json.dumps(handlers)[:600])
    t.ok(h and sorted(h.get("related") or []) == sorted([loop_id, raw_id])
         and "related_to" not in h,
         "%s hang: handlers, readLoops and main.rawCall wait on one upstream: one finding led by "
         "the handlers' site, related [%s, %s]" % (tag, loop_id, raw_id),
         brief(recs) + "\n" + json.dumps(h.get("related")))
    t.ok(h and readers and raw and readers[0].get("related_to") == h["site"]
         and raw[0].get("related_to") == h["site"],
         "%s hang: the readLoops' and main.rawCall's sites are related_to the handlers'" % tag,
         json.dumps([{k: x.get(k) for k in ("site", "related", "related_to")}
                     for x in readers + raw]))
    loops = {r["goid"] for r in recs if r.get("type") == "goroutine"
             and r.get("start_func") == "net/http.(*persistConn).readLoop"}
    vias = [r.get("peer_via_goid") for r in recs if r.get("type") == "goroutine"
            and r.get("start_func") == "net/http.(*conn).serve"]
    t.ok(len(vias) == HANGS and all(v in loops for v in vias),
         "%s hang: each handler's peer_via_goid names a readLoop goroutine" % tag,
         "peer_via_goid %s, readLoops %s" % (vias, sorted(loops)))
    others = [s for s in sites(recs) if s["site"] not in (loop_id, raw_id, h.get("site"))]
    grouped = [s for s in others if "related" in s or "related_to" in s]
    t.ok(others and not grouped,
         "%s hang: the %d other sites (blackhole readers, writeLoops) are not grouped"
         % (tag, len(others)), brief(grouped))
    leads = [s for s in sites(recs) if s["verdict"] == "stuck" and "related_to" not in s]
    t.ok(len(leads) == 1, "%s hang: one stuck finding in all" % tag, brief(leads))


def check_idle(t, binary, tag):
    p, port = start_workload(binary, "idle")
    c = None
    try:
        c = keepalive_client(port)
        time.sleep(1.5)
        recs = trace(p.pid)
    finally:
        if c:
            c.close()
        end(p)
    stuck = [s for s in sites(recs) if s["verdict"] in ("stuck", "leak")]
    t.ok(not stuck, "%s idle: keep-alive reader and idle pooled connection: no stuck or leak site" % tag,
         brief(recs))
    server = sites(recs, kind="goroutine", start_func="net/http.(*conn).serve")
    pooled = sites(recs, kind="goroutine", start_func="net/http.(*persistConn).readLoop")
    t.ok(server and all(s["reason"].startswith(IDLE_REASON) for s in server),
         "%s idle: the server's keep-alive connection readers: idle, %s" % (tag, IDLE_REASON), brief(recs))
    t.ok(pooled and all(s["reason"].startswith(IDLE_REASON) for s in pooled),
         "%s idle: the transport's idle pooled connection reader: idle, %s"
         % (tag, IDLE_REASON),
         brief(recs))


PROM_CONFIG = """global:
  scrape_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:%d']
"""


def check_prometheus(t):
    prom = shutil.which("prometheus")
    if not prom:
        t.ok(False, "prometheus: not installed (tools/install-deps.sh installs it)")
        return
    d = tempfile.mkdtemp(prefix="lt-onebug-prom-")
    port = free_port()
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write(PROM_CONFIG % port)
    p = subprocess.Popen([prom, "--config.file=" + os.path.join(d, "prometheus.yml"),
                          "--storage.tsdb.path=" + os.path.join(d, "data"),
                          "--web.listen-address=127.0.0.1:%d" % port],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    c = None
    try:
        deadline = time.time() + 30
        while c is None and time.time() < deadline:
            try:
                c = socket.create_connection(("127.0.0.1", port))
            except OSError:
                time.sleep(0.3)
        c.sendall(b"GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        c.settimeout(10)
        c.recv(4096)
        time.sleep(4)  # a few scrapes: the pooled connection idles between them
        recs = trace(p.pid, seconds=7)
    finally:
        if c:
            c.close()
        end(p)
        shutil.rmtree(d, ignore_errors=True)
    stuck = [s for s in sites(recs) if s["verdict"] == "stuck"]
    t.ok(sites(recs) and not stuck, "prometheus: idle and scraping itself: no stuck site",
         brief(recs))
    idle_conn = [s for s in sites(recs) if s["reason"].startswith(IDLE_REASON)]
    t.ok(idle_conn, "prometheus: its keep-alive and pooled connection readers: %s" % IDLE_REASON,
         brief(recs))


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return 0
    variants = build()
    t = Tap()
    for tag, binary in variants:
        for check in (check_hang, check_idle):
            try:
                check(t, binary, tag)
            except Exception as e:  # a crash fails the check, not the run
                t.ok(False, "%s %s: %s" % (tag, check.__name__, e))
    try:
        check_prometheus(t)
    except Exception as e:
        t.ok(False, "check_prometheus: %s" % e)
    t.ok(leftovers() == [], "no BPF program or map left loaded")
    t.done()
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
