#!/usr/bin/env python3
"""Service identity from cgroups, for real: cgroups named the way systemd
and each container runtime name them (systemd and cgroupfs drivers, in the
cgroup v2 hierarchy) are created under one test cgroup, a leaking workload
is moved into each, and leaktrace must report the cgroup, unit, container
and pod of each in JSON, text, syslog and Prometheus (promtool accepts it),
with a hostile path component intact. Then the filters: --cgroup, --unit
and --container trace processes started after leaktrace and nothing else;
--pid adds to them; names that do not exist exit 3."""
import codecs
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

from ltlib import (LEAKTRACE, WORKLOADS, SyslogSink, Tap, Workload, free_port, http_get,
                   json_records, leftovers, parse_syslog, promtool_check, reports_in, stop,
                   unquote_syslog, wait_for)

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-identity-")
BASE = "lt-idtest-%d" % os.getpid()
LEAKY = os.path.join(WORKLOADS, "leaky")


def cgroup2_root():
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(root, "cgroup.subtree_control")):
            return root
    return None


def cid(name):
    return hashlib.sha256(name.encode()).hexdigest()


UID = str(uuid.uuid4())
UID_ = UID.replace("-", "_")
HOSTILE = b'ev"il\\ x=1:}\xff\xc3\xa9.service'
# as the JSON output and Prometheus read it: bytes that are not UTF-8 as Latin-1
codecs.register_error("lt_latin1", lambda e: ("".join(chr(b) for b in e.object[e.start:e.end]), e.end))
HOSTILE_TEXT = HOSTILE.decode("utf-8", "lt_latin1")

# (path below BASE, expected identity); container ids differ per layout so
# no two share Prometheus labels
LAYOUTS = [
    (b"system.slice/lt-demo.service", dict(unit="lt-demo.service")),
    (b"user.slice/user-1000.slice/user@1000.service/app.slice/lt-user.service",
     dict(unit="lt-user.service")),
    (b"system.slice/docker-%s.scope" % cid("docker-systemd").encode(),
     dict(unit="docker-%s.scope" % cid("docker-systemd"), container_id=cid("docker-systemd"),
          container_runtime="docker")),
    (b"docker/" + cid("docker-cgroupfs").encode(),
     dict(container_id=cid("docker-cgroupfs"), container_runtime="docker")),
    (b"machine.slice/libpod-%s.scope" % cid("podman-systemd").encode(),
     dict(unit="libpod-%s.scope" % cid("podman-systemd"), container_id=cid("podman-systemd"),
          container_runtime="podman")),
    (b"libpod_parent/libpod-" + cid("podman-cgroupfs").encode(),
     dict(container_id=cid("podman-cgroupfs"), container_runtime="podman")),
    (("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/cri-containerd-%s.scope"
      % (UID_, cid("containerd"))).encode(),
     dict(unit="cri-containerd-%s.scope" % cid("containerd"), container_id=cid("containerd"),
          container_runtime="containerd", pod_uid=UID, pod_qos="burstable")),
    (("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice/crio-%s.scope"
      % (UID_, cid("crio"))).encode(),
     dict(unit="crio-%s.scope" % cid("crio"), container_id=cid("crio"), container_runtime="cri-o",
          pod_uid=UID, pod_qos="besteffort")),
    (("kubepods/burstable/pod%s/%s" % (UID, cid("cri-cgroupfs"))).encode(),
     dict(container_id=cid("cri-cgroupfs"), container_runtime="cri", pod_uid=UID,
          pod_qos="burstable")),
    (("kubepods/pod%s/crio-%s" % (UID, cid("crio-cgroupfs"))).encode(),
     dict(container_id=cid("crio-cgroupfs"), container_runtime="cri-o", pod_uid=UID,
          pod_qos="guaranteed")),
    (b"system.slice/" + HOSTILE, dict(unit=HOSTILE_TEXT)),
]
FIELDS = ("unit", "container_id", "container_runtime", "pod_uid", "pod_qos")


def expected(rel, exp):
    e = {k: exp.get(k) for k in FIELDS}
    e["cgroup"] = ("/%s/" % BASE) + rel.decode("utf-8", "lt_latin1")
    return e


class Cgroups:
    """Every cgroup the test creates, removed (deepest first) at the end."""

    def __init__(self, root):
        self.root = root.encode()
        self.made = []

    def path(self, rel):
        return os.path.join(self.root, BASE.encode(), rel) if rel else os.path.join(
            self.root, BASE.encode())

    def make(self, rel):
        parts = [BASE.encode()] + [p for p in rel.split(b"/") if p]
        cur = self.root
        for p in parts:
            cur = os.path.join(cur, p)
            if not os.path.isdir(cur):
                os.mkdir(cur)
                self.made.append(cur)
        return cur

    def move(self, pid, rel):
        with open(os.path.join(self.path(rel), b"cgroup.procs"), "w") as f:
            f.write(str(pid))

    def spawn_in(self, rel, argv):
        """A workload that enters the cgroup before exec: all its threads
        are born there (a process started after leaktrace)."""
        procs = os.path.join(self.make(rel), b"cgroup.procs").decode("utf-8", "surrogateescape")
        return Workload(["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs] + argv)

    def cleanup(self):
        # processes left go back to the root cgroup so the directories empty
        for d in reversed(self.made):
            try:
                with open(os.path.join(d, b"cgroup.procs")) as f:
                    pids = f.read().split()
                for pid in pids:
                    with open(os.path.join(self.root, b"cgroup.procs"), "w") as f:
                        f.write(pid)
            except OSError:
                pass
        for d in reversed(self.made):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        return [d for d in self.made if os.path.isdir(d)]


def lt_popen(args, sink=None):
    cmd = [LEAKTRACE] + args
    return subprocess.Popen(sink.wrap(cmd) if sink else cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def check_identity(rec, exp):
    return all(rec.get(k) == v for k, v in exp.items())


def test_layouts(cg):
    """Every naming scheme in every format, under --cgroup of the test root."""
    outside = Workload(["leaky", "--exiters", "0"])
    ws = []
    for rel, _ in LAYOUTS:
        cg.make(rel)
        w = Workload(["leaky", "--exiters", "0"])
        cg.move(w.pid, rel)
        ws.append(w)
    sink = SyslogSink(TMP)
    out = os.path.join(TMP, "layouts.jsonl")
    port = free_port()
    lt = lt_popen(["--cgroup", "/" + BASE, "-t", "1s", "-i", "1s", "-f", "json",
                   "-o", out, "--syslog", "--prometheus", "127.0.0.1:%d" % port], sink=sink)
    late = None
    body, status = b"", 0
    try:
        wait_for(lambda: reports_in(out) >= 1, 60)
        # a cgroup and a process that appear after leaktrace started
        late = cg.spawn_in(b"system.slice/lt-late.service", [LEAKY, "--exiters", "0"])
        n = reports_in(out)
        wait_for(lambda: reports_in(out) >= n + 3, 60)
        status, body = http_get("http://127.0.0.1:%d/metrics" % port)
    finally:
        # SIGTERM: a final report, then exit 0
        rc, _, err = stop(lt, timeout=60)
        for w in ws + [outside] + ([late] if late else []):
            w.stop()
    msgs = sink.messages()
    t.ok(rc == 0, "leaktrace --cgroup /%s exits 0" % BASE, err)
    recs = json_records(open(out).read())
    pids = {r["pid"] for r in recs if "pid" in r}
    t.ok(outside.pid not in pids, "a process outside the cgroup subtree is not traced",
         sorted(pids))
    t.ok(late is not None and late.pid in pids,
         "a process started after leaktrace in a new cgroup of the subtree is traced")
    layouts = [(w.pid, rel, expected(rel, exp)) for w, (rel, exp) in zip(ws, LAYOUTS)]
    if late:
        layouts.append((late.pid, b"system.slice/lt-late.service",
                        expected(b"system.slice/lt-late.service", dict(unit="lt-late.service"))))
    for pid, rel, exp in layouts:
        name = rel.decode("utf-8", "backslashreplace")
        summ = [r for r in recs if r["type"] == "summary" and r["pid"] == pid]
        threads = [r for r in recs if r["type"] == "thread" and r["pid"] == pid]
        sites = [r for r in recs if r["type"] == "site" and r["pid"] == pid]
        t.ok(bool(summ) and bool(threads) and bool(sites) and
             all(check_identity(r, exp) for r in summ + threads + sites),
             "JSON summary, thread and site records of %s carry %s" %
             (name, {k: v for k, v in exp.items() if v and k != "cgroup"}),
             (exp, (summ + threads)[:1]))

    # Prometheus: one series per service, no pid label, promtool is happy
    rc_p, msg = promtool_check(body)
    t.ok(status == 200 and rc_p == 0, "promtool check metrics accepts the exposition", msg)
    text = body.decode("utf-8")
    t.ok("pid=" not in text, "no pid label by default")

    def esc(s):
        return (s or "").replace("\\", "\\\\").replace('"', '\\"')

    for pid, rel, exp in layouts:
        series = 'leaktrace_live_threads{comm="leaky-main",unit="%s",container_id="%s",pod_uid="%s"} 7\n' % (
            esc(exp["unit"]), exp["container_id"] or "", exp["pod_uid"] or "")
        t.ok(series in text, "Prometheus series of %s: %s" %
             (rel.decode("utf-8", "backslashreplace"), series.strip()), text[:3000])

    # syslog: identity keys after comm, hostile unit round-trips
    lines = [m.decode("ascii", "replace").partition(": ")[2].rstrip("\n") for m in msgs
             if b"leaktrace[" in m]
    parsed = [p for p in (parse_syslog(l) for l in lines) if p]
    t.ok(len(parsed) == len(lines) and lines, "every syslog line parses (%d)" % len(lines), lines[:5])
    for pid, rel, exp in layouts:
        mine = [dict(p) for p in parsed if dict(p).get("pid") == str(pid)]
        ok = bool(mine)
        for p in parsed:
            d = dict(p)
            if d.get("pid") != str(pid):
                continue
            keys = [k for k, _ in p]
            after = keys[keys.index("comm") + 1:]
            want = [k for k in ("unit", "container_id", "container_runtime", "pod_uid")
                    if exp[k]] + ["cgroup"]
            ok = ok and after[:len(want)] == want
            # syslog escapes bytes, so they come back as they were
            ok = ok and unquote_syslog(d["cgroup"]) == b"/%s/%s" % (BASE.encode(), rel)
            if exp["unit"]:
                ok = ok and unquote_syslog(d["unit"]) == rel.rsplit(b"/", 1)[1]
            if exp["container_id"]:
                ok = ok and d["container_id"] == exp["container_id"]
            if exp["pod_uid"]:
                ok = ok and d["pod_uid"] == exp["pod_uid"]
        t.ok(ok, "syslog lines of %s carry its identity right after comm" %
             rel.decode("utf-8", "backslashreplace"), mine[:2])
    return layouts


def test_text(cg):
    """The text process line, hostile component escaped."""
    rel_h = b"system.slice/" + HOSTILE
    rel_c = LAYOUTS[6][0]
    wh = Workload(["leaky", "--exiters", "0"])
    wc = Workload(["leaky", "--exiters", "0"])
    try:
        cg.make(rel_h)
        cg.make(rel_c)
        cg.move(wh.pid, rel_h)
        cg.move(wc.pid, rel_c)
        time.sleep(1.1)
        p = lt_popen(["--cgroup", "/" + BASE, "-t", "1s", "-d", "2s", "--no-stacks"])
        rc, out, err = stop(p, sig=0, timeout=30)
    finally:
        wh.stop()
        wc.stop()
    hostile_esc = "ev\"il\\\\ x=1:}\\xff\\xc3\\xa9.service"
    want_h = "PID %d leaky-main [unit %s, cgroup /%s/system.slice/%s]: " % (
        wh.pid, hostile_esc, BASE, hostile_esc)
    t.ok(rc == 0 and want_h in out, "text: hostile unit escaped on the process line", out[:2000] + err)
    want_c = "PID %d leaky-main [unit cri-containerd-%s.scope, container containerd %s, pod %s burstable, cgroup /%s/kubepods.slice/" % (
        wc.pid, cid("containerd"), cid("containerd")[:12], UID, BASE)
    t.ok(want_c in out, "text: unit, container, pod and cgroup on the process line", out[:2000])


def run_filter(args, seconds=4):
    out = os.path.join(TMP, "filter-%d.jsonl" % time.monotonic_ns())
    p = lt_popen(args + ["-t", "1s", "-i", "1s", "-d", "%ds" % seconds, "-f", "json", "-o", out,
                         "--no-stacks"])
    return p, out


def test_filters(cg):
    unit = "lt-idtest-%d-svc" % os.getpid()
    rel_u = b"system.slice/" + unit.encode() + b".service"
    rel_d = LAYOUTS[2][0]
    rel_other = b"system.slice/lt-other.service"
    for rel in (rel_u, rel_d, rel_other):
        cg.make(rel)
    outside = Workload(["leaky", "--exiters", "0"])
    other = cg.spawn_in(rel_other, [LEAKY, "--exiters", "0"])
    ws = [outside, other]
    try:
        # --unit NAME (without .service), --container PREFIX, --pid + --cgroup
        pu, out_u = run_filter(["--unit", unit])
        pc, out_c = run_filter(["--container", cid("docker-systemd")[:10]])
        pp, out_p = run_filter(["--pid", str(outside.pid), "--cgroup",
                                "/%s/%s" % (BASE, rel_u.decode())])
        time.sleep(1.0)
        # started after the three leaktraces
        wu = cg.spawn_in(rel_u, [LEAKY, "--exiters", "0"])
        wd = cg.spawn_in(rel_d, [LEAKY, "--exiters", "0"])
        ws += [wu, wd]
        res = [stop(p, sig=0, timeout=30) for p in (pu, pc, pp)]
    finally:
        for w in ws:
            w.stop()

    def pids_of(path):
        return {r["pid"] for r in json_records(open(path).read()) if r.get("type") == "summary"}

    rc, _, err = res[0]
    got = pids_of(out_u) if rc == 0 else set()
    t.ok(rc == 0 and got == {wu.pid},
         "--unit %s traces the unit's process started after leaktrace, nothing else" % unit,
         (got, wu.pid, err))
    rc, _, err = res[1]
    got = pids_of(out_c) if rc == 0 else set()
    t.ok(rc == 0 and got == {wd.pid},
         "--container PREFIX traces the container's process started after leaktrace", (got, wd.pid, err))
    rc, _, err = res[2]
    got = pids_of(out_p) if rc == 0 else set()
    t.ok(rc == 0 and got == {wu.pid, outside.pid},
         "--pid with --cgroup: the pid and the cgroup's processes", (got, wu.pid, outside.pid, err))


def test_errors(cg):
    # two containers sharing a prefix make it ambiguous
    a, b = "abcd" + "0" * 60, "abcd" + "1" * 60
    cg.make(b"docker/" + a.encode())
    cg.make(b"docker/" + b.encode())
    cases = [
        (["--cgroup", "/%s/no-such" % BASE], 3, "no cgroup"),
        (["--unit", "lt-no-such-unit-%d" % os.getpid()], 3, "no unit"),
        (["--container", "0123456789abcdef0123"], 3, "no container"),
        (["--container", "abcd"], 2, "matches several containers"),
        (["--container", "XYZ"], 2, "invalid container id prefix"),
        (["--unit", "a/b"], 2, "invalid unit name"),
        (["--unit", "x", "--cgroup", "/"], 2, "give one of"),
    ]
    for args, code, words in cases:
        p = subprocess.run([LEAKTRACE] + args + ["-d", "1s"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=30)
        lines = p.stderr.strip().splitlines()
        t.ok(p.returncode == code and len(lines) == 1 and words in lines[0],
             "%s: exit %d with one line (%s)" % (" ".join(args), code, words),
             (p.returncode, p.stderr))


def main():
    root = cgroup2_root()
    if not root:
        t.ok(False, "cgroup v2 is mounted (/sys/fs/cgroup/unified or /sys/fs/cgroup)")
        return
    t.diag("cgroup v2 at %s, test cgroup /%s" % (root, BASE))
    cg = Cgroups(root)
    try:
        for test in (test_layouts, test_text, test_filters, test_errors):
            t0 = time.monotonic()
            try:
                test(cg)
            except Exception as e:  # a broken step fails, the next ones still run
                t.ok(False, "%s ran through" % test.__name__, repr(e))
            t.diag("%s: %.1f s" % (test.__name__, time.monotonic() - t0))
    finally:
        left = cg.cleanup()
        t.ok(not left, "every cgroup the test created is removed", left)
    t.ok(leftovers() == [], "nothing left loaded", leftovers())


try:
    main()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
