#!/usr/bin/env python3
"""End-to-end: the metrics server cannot be starved (issue 22). 16 slowloris
clients sending one byte a second and 500 idle connections, all from
127.0.0.1 and reopened as soon as they are closed, while a scraper fetches
/metrics every 1.5 s: from 127.0.0.2 (a scraper usually comes from another
address than the attacker) every probe is answered within 3 s; from
127.0.0.1 itself too (past the per-address limit the attacker's oldest
connection without a request is cut, not the newcomer). Loopback only,
bounded in time."""
import errno
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from ltlib import LEAKTRACE, Tap, Workload, free_port, leftovers, stop

t = Tap()
ATTACK = "127.0.0.1"
SCRAPER = "127.0.0.2"
PROBE_TIMEOUT = 3.0
TMP = tempfile.mkdtemp(prefix="lt-slowloris-")


class Attack:
    """16 slowloris clients and 500 idle connections, all reopened when
    the server closes them, until stop()."""

    def __init__(self, port, slow=16, idle=500):
        self.port = port
        self.stopping = threading.Event()
        self.closed_by_server = 0
        self.threads = [threading.Thread(target=self.slowloris, daemon=True) for _ in range(slow)]
        self.threads.append(threading.Thread(target=self.idle, args=(idle,), daemon=True))
        for th in self.threads:
            th.start()

    def connect(self):
        s = socket.socket()
        s.bind((ATTACK, 0))
        s.settimeout(2)
        try:
            s.connect((ATTACK, self.port))
        except OSError:
            s.close()
            return None
        return s

    def slowloris(self):
        request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-a: b\r\n" * 1000
        while not self.stopping.is_set():
            s = self.connect()
            if not s:
                time.sleep(0.05)
                continue
            try:
                for b in request:
                    s.send(bytes([b]))
                    if self.stopping.wait(1.0):
                        break
            except OSError:
                self.closed_by_server += 1
            s.close()

    def idle(self, n):
        sel = selectors.DefaultSelector()
        while not self.stopping.is_set():
            opened = 0
            # reopened at most ~1,000 a second: a flood, without eating a core
            while len(sel.get_map()) < n and opened < 10 and not self.stopping.is_set():
                opened += 1
                s = socket.socket()
                s.setblocking(False)
                s.bind((ATTACK, 0))
                err = s.connect_ex((ATTACK, self.port))
                if err not in (0, errno.EINPROGRESS):
                    s.close()
                    break
                sel.register(s, selectors.EVENT_READ)
            time.sleep(0.01)
            for key, _ in sel.select(0.1):
                try:
                    gone = key.fileobj.recv(1) == b""
                except OSError:
                    gone = True
                if gone:
                    self.closed_by_server += 1
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
        for key in list(sel.get_map().values()):
            key.fileobj.close()

    def stop(self):
        self.stopping.set()
        for th in self.threads:
            th.join(5)


def fetch(port, source, timeout):
    """(seconds, status line or the error) of one GET /metrics from source."""
    start = time.monotonic()
    s = socket.socket()
    s.settimeout(timeout)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: leaktrace\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                raise socket.timeout("timed out")
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        ok = data.startswith(b"HTTP/1.1 200") and b"leaktrace_reports_total" in data
        return time.monotonic() - start, "200" if ok else data[:40]
    except OSError as e:
        return time.monotonic() - start, str(e) or type(e).__name__
    finally:
        s.close()


def probe(port, source, duration):
    """Every 1.5 s, one GET with a 3 s timeout from source."""
    results = []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        results.append(fetch(port, source, PROBE_TIMEOUT))
        time.sleep(max(0, 1.5 - results[-1][0]))
    return results


def check_probes(results, source):
    answered = [d for d, st in results if st == "200"]
    t.diag("under attack, from %s: %d of %d probes answered, slowest %.3f s" %
           (source, len(answered), len(results), max(answered) if answered else -1))
    t.ok(len(results) >= 6 and len(answered) == len(results),
         "every probe from %s answered within %.0f s under 16 slowloris + 500 idle "
         "connections from %s" % (source, PROBE_TIMEOUT, ATTACK), results)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return
    w = Workload(["leaky"])
    port = free_port()
    lt = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "--no-stacks",
                           "-f", "json", "-o", os.path.join(TMP, "out.jsonl"),
                           "--prometheus", "127.0.0.1:%d" % port],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    attack = None
    try:
        time.sleep(1.5)
        first = fetch(port, SCRAPER, PROBE_TIMEOUT)
        t.ok(first[1] == "200", "metrics answered before the attack (%.2f s)" % first[0], first)
        attack = Attack(port)
        time.sleep(3)   # every slot the attacker can get is taken
        check_probes(probe(port, SCRAPER, 15), SCRAPER)
        # the per-address limit is the attacker's too: its oldest idle
        # connection makes room, not the scraper's
        check_probes(probe(port, ATTACK, 10), ATTACK)
        t.ok(attack.closed_by_server > 0, "the server closed attacking connections (%d)" %
             attack.closed_by_server)
        t.ok(lt.poll() is None, "leaktrace still running")
    finally:
        if attack:
            attack.stop()
        w.stop()
    rc, _, err = stop(lt, sig=0, timeout=30)
    t.ok(rc == 0, "leaktrace exits 0 when the process is gone", err)
    t.ok(not leftovers(), "no BPF program or map left behind")
    shutil.rmtree(TMP, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
