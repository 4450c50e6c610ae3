#!/usr/bin/env python3
"""End-to-end: leaktrace under systemd's supervision.

The unit in dist/ installs as is (no placeholder), `systemd-analyze verify`
accepts it, `systemd-analyze security` scores it (no worse than measured);
the sd_notify protocol on a socket of our own, as systemd would hold it:
READY=1 only once the BPF programs are attached, WATCHDOG=1 pings from the
report loop at half WATCHDOG_USEC, STOPPING=1 at SIGTERM, with the seccomp
sandbox on; logrotate with dist/leaktrace.logrotate rotates the JSON file
and leaktrace goes on in a new one after SIGHUP."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from ltlib import LEAKTRACE, ROOT, Tap, Workload, held_bpf_ids, json_records, leftovers, stop, wait_for

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-systemd-")
UNIT = os.path.join(ROOT, "dist", "leaktrace.service")
# `systemd-analyze security` of dist/leaktrace.service when it was measured
# (docs/fleet.md): a change to the unit may lower it, not raise it
MAX_EXPOSURE = 3.1


def test_unit():
    text = open(UNIT).read()
    t.ok("@" not in text.replace("AF_", ""), "dist/leaktrace.service has no placeholder")
    prefix = os.path.join(TMP, "usr")
    p = subprocess.run(["make", "-s", "install", "PREFIX=" + prefix,
                        "LOGROTATEDIR=" + os.path.join(TMP, "logrotate.d")], cwd=ROOT,
                       capture_output=True, text=True)
    unit = os.path.join(prefix, "lib", "systemd", "system", "leaktrace.service")
    t.ok(p.returncode == 0 and os.path.exists(unit), "make install PREFIX=%s" % prefix, p.stderr)
    if p.returncode:
        return
    exec_line = [l for l in open(unit) if l.startswith("ExecStart=")]
    t.ok(exec_line and exec_line[0].startswith("ExecStart=%s/sbin/leaktrace " % prefix),
         "installed unit starts the installed binary", exec_line)
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True, text=True)
    t.ok(p.returncode == 0 and not p.stderr.strip(), "systemd-analyze verify accepts the unit",
         p.stdout + p.stderr)
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", unit],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for leaktrace.service: ([0-9.]+)", p.stdout)
    score = float(m.group(1)) if m else None
    t.diag("systemd-analyze security: exposure %s" % score)
    t.ok(score is not None and score <= MAX_EXPOSURE,
         "exposure %s <= %s" % (score, MAX_EXPOSURE), p.stdout[-3000:] + p.stderr)
    t.ok(os.path.exists(os.path.join(TMP, "logrotate.d", "leaktrace")), "logrotate file installed")


def recv_all(sock, timeout):
    """Datagrams received within timeout seconds, with their arrival time."""
    got, end = [], time.time() + timeout
    while time.time() < end:
        sock.settimeout(max(0.05, end - time.time()))
        try:
            got.append((time.time(), sock.recv(4096).decode()))
        except socket.timeout:
            break
    return got


def test_notify():
    w = Workload(["leaky", "--exiters", "0"])
    path = os.path.join(TMP, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="2000000")
    out = os.path.join(TMP, "notify.jsonl")
    # the sandbox stays on (the default): the pings go out under its filter
    lt = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-f", "json", "-o", out],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    try:
        sock.settimeout(20)
        try:
            first = sock.recv(4096).decode()
        except socket.timeout:
            first = ""
        attached = held_bpf_ids([lt.pid])
        t.ok(first.startswith("READY=1"), "READY=1 is the first message", first)
        t.ok(any(attached.values()), "its BPF programs are attached when READY=1 arrives", attached)
        msgs = recv_all(sock, 5)
        pings = [ts for ts, m in msgs if m == "WATCHDOG=1"]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        t.diag("watchdog pings in 5 s: %d, gaps %s" % (len(pings), ["%.2f" % g for g in gaps]))
        # WATCHDOG_USEC=2s: a ping every second, between reports too; a gap
        # of 2 s would have systemd kill the service
        t.ok(3 <= len(pings) <= 6 and all(0.8 <= g < 2.0 for g in gaps),
             "WATCHDOG=1 every WATCHDOG_USEC/2 (%d pings)" % len(pings), msgs)
        lt.send_signal(signal.SIGTERM)
        msgs = recv_all(sock, 5)
        t.ok(any(m == "STOPPING=1" for _, m in msgs), "STOPPING=1 at SIGTERM", msgs)
    finally:
        rc, _, err = stop(lt)
        sock.close()
        w.stop()
    t.ok(rc == 0 and "SIGSYS" not in err, "exit 0 with the sandbox on", err)
    t.ok(any(r.get("type") == "report" for r in json_records(open(out).read())), "reports written")


def test_logrotate():
    """dist/leaktrace.logrotate on our own log path; its postrotate (systemctl
    reload) stands in for kill -HUP of the leaktrace we started."""
    w = Workload(["leaky", "--exiters", "0"])
    logdir = os.path.join(TMP, "log")
    os.makedirs(logdir)
    log = os.path.join(logdir, "leaktrace.jsonl")
    lt = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-f", "json", "-o", log],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(log) and os.path.getsize(log) > 0, 15)
        conf = open(os.path.join(ROOT, "dist", "leaktrace.logrotate")).read()
        conf = conf.replace("/var/log/leaktrace/leaktrace.jsonl", log)
        conf = conf.replace("systemctl reload leaktrace.service", "kill -HUP %d" % lt.pid)
        cfg = os.path.join(TMP, "logrotate.conf")
        with open(cfg, "w") as f:
            f.write(conf)
        p = subprocess.run(["logrotate", "-f", "-s", os.path.join(TMP, "logrotate.state"), cfg],
                           capture_output=True, text=True)
        t.ok(p.returncode == 0, "logrotate -f with dist/leaktrace.logrotate", p.stdout + p.stderr)
        rotated = log + ".1"
        t.ok(os.path.exists(rotated) and not os.path.exists(log + ".1.gz"),
             "rotated to .1 (delaycompress)", os.listdir(logdir))
        reopened = wait_for(lambda: os.path.exists(log) and
                            any(r.get("type") == "report" for r in json_records(open(log).read())), 15)
        t.ok(reopened, "leaktrace writes its reports to a new file after the SIGHUP", os.listdir(logdir))
        if os.path.exists(log):
            st = os.stat(log)
            t.ok(st.st_mode & 0o777 == 0o640, "the new file is leaktrace's own, 0640 (nocreate)",
                 oct(st.st_mode))
        if os.path.exists(rotated):
            t.ok(open(rotated).read().endswith("\n"), "the rotated file ends with a whole line")
    finally:
        rc, _, err = stop(lt)
        w.stop()
    t.ok(rc == 0, "exit 0", err)


if not shutil.which("systemd-analyze") or not shutil.which("logrotate"):
    t.ok(False, "systemd-analyze and logrotate are installed (tools/install-deps.sh)")
else:
    test_unit()
    test_notify()
    test_logrotate()
left = leftovers()
t.ok(not left, "no BPF program or map left", left)
t.done()
