#!/usr/bin/env python3
"""Real servers from Debian under leaktrace (issue 17): PostgreSQL, Apache
httpd, HAProxy, Squid, nginx, memcached and Redis, each started on loopback
with its own configuration in a temporary folder (as its own user where it
needs one), traced by their own pids with
`leaktrace -p PIDS -t 5s -i 5s -d 20s -f json`, in three phases:

  idle     after start-up, no traffic
  traffic  a little loopback traffic (bounded loops) during the window
  faults   faults injected from outside: a PostgreSQL backend holding a row
           lock is SIGSTOPped while another backend waits for that row;
           Apache (mod_proxy, a thread per request), HAProxy, Squid and nginx
           proxy a request to an upstream on loopback that accepts and never
           answers

All servers are traced by one leaktrace run per phase. The table gives, per
server and phase: sites, verdict counts, and each site's verdict, reason
and top frames. Checks: a healthy server (idle, traffic) has no site
`stuck`, `leak` or `deadlock`; an injected fault is found (the stalled
thread or process is in the report) and judged at least `stuck`. Checks
today's rules fail carry a TAP TODO directive (TODO below); remove an entry
when a rule lands. Every server is stopped, even on failure. The packages
come from tools/install-deps.sh; a missing one is a `not ok`.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.server

from ltlib import LEAKTRACE, Tap, final_records, json_records

LT_ARGS = ["-t", "5s", "-i", "5s", "-d", "20s", "-f", "json"]
SEVERE = ("stuck", "leak", "deadlock")
TODO_REASON = "precision rules (issue 17)"
# (server, phase) checks the verdict rules still fail (apache2, nginx and
# memcached were unmarked when the precision rules of issue 17 landed; the
# PostgreSQL and Apache faults when stopped threads and requests a TCP peer
# does not answer became evidence; Redis when a lone condition wait of a
# thread started with its process (jemalloc's) became a service's rest; the
# event-loop proxies' faults when stalled requests became connection units)
# (phase "found"/"fault": the stalled thread reported / judged >= stuck).
TODO = set()
PG_BIN = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("exited with %d before listening" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("not listening on %d after %ds" % (port, timeout))


def http_get(port, path="/", host="127.0.0.1", timeout=3, proxy_url=None):
    """One HTTP/1.0 request; returns the status line (or raises)."""
    target = proxy_url or path
    with socket.create_connection((host, port), timeout) as s:
        s.sendall(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % target).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def descendants(pid):
    """pid and every process below it (servers fork workers)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def holders_of_peer(pids, port):
    """The pids among pids holding a TCP connection to 127.0.0.1:port (the
    process of a server that the stalled request is in)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and int(cols[2].rsplit(":", 1)[1], 16) == port:
                inodes.add("socket:[%s]" % cols[9])
    out = []
    for pid in pids:
        fd_dir = "/proc/%d/fd" % pid
        try:
            links = [os.readlink(os.path.join(fd_dir, fd)) for fd in os.listdir(fd_dir)]
        except OSError:
            continue
        if inodes & set(links):
            out.append(pid)
    return out


class Upstreams:
    """Loopback upstreams for the proxies: one HTTP server that answers, one
    that accepts and never answers (the connections are held until stop)."""

    def __init__(self):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                body = b"upstream ok\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.ok = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        self.ok_port = self.ok.server_address[1]
        threading.Thread(target=self.ok.serve_forever, daemon=True).start()
        self.hole = socket.socket()
        self.hole.bind(("127.0.0.1", 0))
        self.hole.listen(64)
        self.hole_port = self.hole.getsockname()[1]
        self.held = []
        self.stopping = False
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self):
        while not self.stopping:
            try:
                c, _ = self.hole.accept()
            except OSError:
                return
            self.held.append(c)

    def stop(self):
        self.stopping = True
        self.ok.shutdown()
        self.ok.server_close()
        self.hole.close()
        for c in self.held:
            c.close()


class Server:
    """A server process tree started from a temporary folder, in its own
    session (so its process group holds every worker it forks)."""
    name = "?"
    binary = "?"
    user = None
    stop_signal = signal.SIGTERM

    def __init__(self, upstreams):
        self.up = upstreams
        self.dir = tempfile.mkdtemp(prefix="lt-%s-" % self.name)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.fault_pids = []      # processes the fault stalls
        self.fault_frame = None   # in those, the stalled thread has this on its user stack
        self.fault_clients = []   # client processes/threads to clean up
        self.stopped = []         # pids we SIGSTOPped

    def own(self, *paths):
        if self.user:
            pw = pwd.getpwnam(self.user)
            for p in (self.dir,) + paths:
                os.chown(p, pw.pw_uid, pw.pw_gid)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def spawn(self, argv, **kw):
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir,
                                     start_new_session=True, **kw)
        wait_port(self.port, self.proc)
        time.sleep(1.0)  # let it finish start-up (workers forked, threads parked)

    def pids(self):
        return descendants(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def traffic(self, stop):
        """A little traffic until stop is set, bounded to 100 requests."""
        for _ in range(100):
            if stop.is_set():
                return
            try:
                self.request()
            except OSError:
                pass
            stop.wait(0.15)

    def request(self):
        http_get(self.port)

    def inject_fault(self):
        """Start a request that stalls; return a description, or None when
        this server has no fault here."""
        return None

    def stop(self):
        for pid in self.stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        for c in self.fault_clients:
            if hasattr(c, "kill") and c.poll() is None:
                c.kill()
                c.wait()
        if self.proc:
            for sig in (self.stop_signal, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except OSError:
                    pass
                try:
                    self.proc.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    pass
            try:  # workers that outlive their parent
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def stall_request(self, port=None, **kw):
        """A client thread whose request goes to the upstream that never
        answers; the server processes holding that upstream connection are
        the stalled ones."""
        def go():
            try:
                http_get(port or self.port, timeout=120, **kw)
            except OSError:
                pass
        threading.Thread(target=go, daemon=True).start()
        for _ in range(50):
            time.sleep(0.1)
            self.fault_pids = holders_of_peer(self.pids(), self.up.hole_port)
            if self.fault_pids:
                return
        raise RuntimeError("no server process connected to the silent upstream")


class Postgres(Server):
    name, binary, user = "postgresql", "postgres", "postgres"
    stop_signal = signal.SIGINT  # fast shutdown: does not wait for sessions

    def start(self):
        data = os.path.join(self.dir, "data")
        self.own()
        pw = pwd.getpwnam("postgres")
        as_pg = dict(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        subprocess.run([os.path.join(PG_BIN, "initdb"), "-D", data, "-A", "trust", "-U",
                        "postgres", "--no-sync"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=self.dir, **as_pg)
        self.spawn([os.path.join(PG_BIN, "postgres"), "-D", data, "-p", str(self.port),
                    "-k", self.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                   **as_pg)
        self.sql("CREATE TABLE t (id int primary key, v int); INSERT INTO t VALUES (1, 0)")

    def psql(self, **kw):
        return ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-X", "-q",
                "-A", "-t"]

    def sql(self, query):
        return subprocess.run(self.psql() + ["-c", query], check=True, capture_output=True,
                              text=True, timeout=30).stdout.strip()

    def request(self):
        self.sql("UPDATE t SET v = v + 1 WHERE id = 1; SELECT count(*) FROM pg_class")

    def inject_fault(self):
        holder = subprocess.Popen(self.psql(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.fault_clients.append(holder)
        holder.stdin.write("BEGIN;\nUPDATE t SET v = v + 1 WHERE id = 1;\n"
                           "SELECT pg_backend_pid();\n")
        holder.stdin.flush()
        holder_pid = int(holder.stdout.readline().strip())
        waiter = subprocess.Popen(self.psql() + ["-c", "UPDATE t SET v = v + 1 WHERE id = 1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.fault_clients.append(waiter)
        waiting = ""
        for _ in range(50):
            waiting = self.sql("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if waiting:
                break
            time.sleep(0.1)
        if not waiting:
            raise RuntimeError("no backend waits for the row lock")
        os.kill(holder_pid, signal.SIGSTOP)
        self.stopped.append(holder_pid)
        # the stopped holder is the stalled one (stopped: stuck); its waiter
        # rests on its latch in epoll, like any idle backend
        self.fault_pids = [int(waiting.split()[0]), holder_pid]
        return "backend %s waits for a row lock held by SIGSTOPped backend %d" % (
            waiting.split()[0], holder_pid)


class Apache(Server):
    name, binary, user = "apache2", "apache2", "www-data"

    def start(self):
        mods = "/usr/lib/apache2/modules"
        os.makedirs(os.path.join(self.dir, "htdocs"))
        self.write("htdocs/index.html", "hello\n")
        conf = self.write("httpd.conf", "\n".join([
            "ServerRoot %s" % self.dir, "ServerName 127.0.0.1",
            "Listen 127.0.0.1:%d" % self.port, "PidFile %s/httpd.pid" % self.dir,
            "DefaultRuntimeDir %s" % self.dir, "ErrorLog %s/error.log" % self.dir,
            "Mutex file:%s default" % self.dir, "User www-data", "Group www-data",
        ] + ["LoadModule %s_module %s/mod_%s.so" % (m, mods, m) for m in
             ("mpm_event", "authz_core", "dir", "mime", "proxy", "proxy_http")] + [
            "StartServers 1", "ServerLimit 1", "ThreadsPerChild 8", "MaxRequestWorkers 8",
            "DocumentRoot %s/htdocs" % self.dir, "DirectoryIndex index.html",
            "TypesConfig /etc/mime.types",
            "ProxyTimeout 600",
            "ProxyPass /ok http://127.0.0.1:%d/" % self.up.ok_port,
            "ProxyPass /hang http://127.0.0.1:%d/" % self.up.hole_port, ""]))
        self.own()
        self.spawn(["apache2", "-f", conf, "-DFOREGROUND"])

    def request(self):
        http_get(self.port, "/")
        http_get(self.port, "/ok")

    def inject_fault(self):
        self.stall_request(path="/hang")
        self.fault_frame = "apr_socket_recv"
        return "a worker thread proxies /hang to an upstream that never answers"


class HAProxy(Server):
    name, binary, user = "haproxy", "haproxy", None

    def start(self):
        self.hang_port = free_port()
        conf = self.write("haproxy.cfg", """global
    nbthread 2
defaults
    mode http
    timeout connect 5s
    timeout client 600s
    timeout server 600s
frontend web
    bind 127.0.0.1:%d
    default_backend ok
frontend hang
    bind 127.0.0.1:%d
    default_backend hole
backend ok
    server up 127.0.0.1:%d
backend hole
    server up 127.0.0.1:%d
""" % (self.port, self.hang_port, self.up.ok_port, self.up.hole_port))
        self.spawn(["haproxy", "-db", "-f", conf])

    def inject_fault(self):
        self.stall_request(port=self.hang_port)
        return "a request proxied to an upstream that never answers (event loop)"


class Squid(Server):
    name, binary, user = "squid", "squid", "proxy"

    def start(self):
        conf = self.write("squid.conf", "\n".join([
            "http_port 127.0.0.1:%d" % self.port, "cache deny all", "cache_mem 8 MB",
            "access_log none", "cache_store_log none", "cache_log %s/cache.log" % self.dir,
            "pid_filename %s/squid.pid" % self.dir, "coredump_dir %s" % self.dir,
            "cache_effective_user proxy", "http_access allow localhost",
            "http_access deny all", "read_timeout 10 minutes", "shutdown_lifetime 0 seconds",
            "netdb_filename none", ""]))
        self.own()
        self.spawn(["squid", "-N", "-f", conf])

    def request(self):
        http_get(self.port, proxy_url="http://127.0.0.1:%d/" % self.up.ok_port)

    def inject_fault(self):
        self.stall_request(proxy_url="http://127.0.0.1:%d/" % self.up.hole_port)
        return "a request proxied to an upstream that never answers (event loop)"


class Nginx(Server):
    name, binary, user = "nginx", "nginx", "www-data"

    def start(self):
        os.makedirs(os.path.join(self.dir, "htdocs"))
        self.write("htdocs/index.html", "hello\n")
        conf = self.write("nginx.conf", """worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
user www-data;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(d)s/body; proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fcgi; uwsgi_temp_path %(d)s/uwsgi; scgi_temp_path %(d)s/scgi;
    server {
        listen 127.0.0.1:%(port)d;
        root %(d)s/htdocs;
        location /ok { proxy_pass http://127.0.0.1:%(ok)d/; }
        location /hang { proxy_pass http://127.0.0.1:%(hole)d/; proxy_read_timeout 600s; }
    }
}
""" % dict(d=self.dir, port=self.port, ok=self.up.ok_port, hole=self.up.hole_port))
        self.own()
        self.spawn(["nginx", "-c", conf, "-p", self.dir, "-g", "daemon off;"])

    def request(self):
        http_get(self.port, "/")
        http_get(self.port, "/ok")

    def inject_fault(self):
        self.stall_request(path="/hang")
        return "a request proxied to an upstream that never answers (event loop)"


class Memcached(Server):
    name, binary, user = "memcached", "memcached", "memcache"

    def start(self):
        self.spawn(["memcached", "-u", "memcache", "-l", "127.0.0.1", "-p", str(self.port),
                    "-U", "0", "-t", "4", "-m", "16"])

    def request(self):
        with socket.create_connection(("127.0.0.1", self.port), 3) as s:
            s.sendall(b"set k 0 0 5\r\nhello\r\nget k\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk


class Redis(Server):
    name, binary, user = "redis", "redis-server", "redis"

    def start(self):
        self.own()
        pw = pwd.getpwnam("redis")
        self.spawn(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir,
                    "--daemonize", "no", "--io-threads", "2", "--io-threads-do-reads", "yes"],
                   user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])

    def request(self):
        with socket.create_connection(("127.0.0.1", self.port), 3) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
            data = b""
            while data.count(b"\r\n") < 3:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk


SERVERS = (Postgres, Apache, HAProxy, Squid, Nginx, Memcached, Redis)


def trace(servers):
    """One leaktrace run over every running server; returns the records of
    its final report, by pid, and a failure text."""
    pid_owner = {}
    for s in servers:
        for p in s.pids():
            pid_owner[p] = s
    if not pid_owner:
        return {}, "no server running"
    r = subprocess.run([LEAKTRACE, "-p", ",".join(map(str, sorted(pid_owner)))] + LT_ARGS,
                       capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        return {}, "leaktrace exited %d: %s" % (r.returncode, r.stderr[-400:])
    by_server = {s.name: [] for s in servers}
    for rec in final_records(json_records(r.stdout)):
        s = pid_owner.get(rec.get("pid"))
        if s:
            by_server[s.name].append(rec)
    return by_server, ""


def frames(site, n=3):
    stack = site.get("user_stack") or site.get("stack") or []
    return " <- ".join(stack[:n]) or "(no user stack)"


def table(t, phase, by_server):
    t.diag("phase %s: server | sites | verdicts" % phase)
    for name, recs in by_server.items():
        sites = [r for r in recs if r.get("type") == "site"]
        counts = {}
        for s in sites:
            counts[s["verdict"]] = counts.get(s["verdict"], 0) + s.get("threads", 1)
        t.diag("  %-10s %3d sites  %s" % (name, len(sites), " ".join(
            "%s:%d" % kv for kv in sorted(counts.items())) or "-"))
        for s in sorted(sites, key=lambda s: s["verdict"]):
            t.diag("      [%s] %d %s (%s): %s | %s" % (
                s["verdict"], s.get("threads", 1), s.get("kind", "thread"),
                s.get("comm", ""), s["reason"], frames(s)))


def inject_faults(t, servers):
    """Each server's fault: [(server, what was done)] of those injected."""
    faulty = []
    for s in servers:
        try:
            what = s.inject_fault()
        except Exception as e:
            t.ok(False, "%s: fault injected" % s.name, e)
            continue
        if what:
            faulty.append((s, what))
    return faulty


def check_healthy(t, phase, by_server):
    for name, recs in by_server.items():
        severe = [r for r in recs if r.get("type") == "site" and r["verdict"] in SEVERE]
        t.ok(not severe, "%s %s: no site stuck, leak or deadlock" % (name, phase),
             "\n".join("%s: %s | %s" % (s["verdict"], s["reason"], frames(s)) for s in severe),
             TODO_REASON if (name, phase) in TODO else None)


def check_faults(t, faulty, by_server):
    """The stalled unit: a thread of the fault's pids (with the fault's
    frame, when it names one), or, in an event loop where a stalled request
    holds no thread, a connection site of those pids (its request to the
    silent upstream)."""
    rank = {"idle": 0, "stuck": 1, "leak": 2, "deadlock": 3}
    for s, what in faulty:
        recs = by_server.get(s.name, [])
        threads = [r for r in recs if r.get("type") == "thread" and r["pid"] in s.fault_pids
                   and (not s.fault_frame
                        or any(s.fault_frame in f for f in r.get("user_stack", [])))]
        conns = [r for r in recs if r.get("type") == "site" and r.get("kind") == "connection"
                 and r["pid"] in s.fault_pids]
        units = threads + conns
        t.diag("fault %s: %s (pids %s%s); reported: %s" % (
            s.name, what, s.fault_pids, ", thread with %s" % s.fault_frame if s.fault_frame else "",
            ", ".join(["thread %d %s %s" % (r["tid"], r["verdict"], r.get("thread", ""))
                       for r in threads] +
                      ["connection site of pid %d to %s %s: %s" % (
                          r["pid"], r["evidence"].get("peer"), r["verdict"], r["reason"])
                       for r in conns]) or "none"))
        t.ok(bool(units), "%s fault: the stalled thread or request is reported" % s.name,
             "stalled pids %s" % s.fault_pids,
             TODO_REASON if (s.name, "found") in TODO else None)
        worst = max((rank[r["verdict"]] for r in units), default=-1)
        t.ok(worst >= 1, "%s fault: judged at least stuck (worst %s)" % (
            s.name, [k for k, v in rank.items() if v == worst] or "none"), None,
            TODO_REASON if (s.name, "fault") in TODO else None)


def main():
    global PG_BIN
    t = Tap()
    started = time.time()
    if os.geteuid() != 0:
        t.ok(False, "needs root (loads BPF programs)")
        t.done()
    pg = sorted(d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()) \
        if os.path.isdir("/usr/lib/postgresql") else []
    PG_BIN = "/usr/lib/postgresql/%s/bin" % pg[-1] if pg else None
    up = Upstreams()
    servers = []
    try:
        for cls in SERVERS:
            missing = shutil.which(cls.binary) is None and not (cls is Postgres and PG_BIN)
            if missing or (cls is Postgres and not PG_BIN):
                t.ok(False, "%s: installed (tools/install-deps.sh)" % cls.name)
                continue
            s = cls(up)
            try:
                s.start()
                servers.append(s)
                t.ok(True, "%s: started on 127.0.0.1:%d, pids %s" % (s.name, s.port, s.pids()))
            except Exception as e:
                t.ok(False, "%s: started" % s.name, "%s\n%s" % (e, tail(s)))
                s.stop()
        by_server, err = trace(servers)
        t.ok(not err, "idle: traced", err)
        table(t, "idle", by_server)
        check_healthy(t, "idle", by_server)

        stop = threading.Event()
        clients = [threading.Thread(target=s.traffic, args=(stop,), daemon=True)
                   for s in servers]
        for c in clients:
            c.start()
        by_server, err = trace(servers)
        stop.set()
        for c in clients:
            c.join(10)
        t.ok(not err, "traffic: traced", err)
        table(t, "traffic", by_server)
        check_healthy(t, "traffic", by_server)

        faulty = inject_faults(t, servers)
        by_server, err = trace([s for s, _ in faulty])
        t.ok(not err, "faults: traced", err)
        table(t, "faults", by_server)
        check_faults(t, faulty, by_server)
    finally:
        for s in servers:
            s.stop()
        up.stop()
    t.diag("took %.0fs" % (time.time() - started))
    t.done()


def tail(server, n=800):
    try:
        with open(os.path.join(server.dir, "server.log")) as f:
            return f.read()[-n:]
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
