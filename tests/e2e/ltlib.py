"""Helpers for leaktrace end-to-end tests: TAP output, workloads, runs.

Tests run as root against the real kernel: they start workload programs
from .output/workloads, run ./leaktrace on them and check its JSON lines.
"""
import glob
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# LEAKTRACE_TEST_PRECISE=1 runs the tests against --precise (programs on
# sched_switch/sched_wakeup) instead of the default mode: LEAKTRACE is then
# a wrapper that execs ./leaktrace --precise, with the same pid
PRECISE = os.environ.get("LEAKTRACE_TEST_PRECISE", "") not in ("", "0")
LEAKTRACE_BIN = os.path.join(ROOT, "leaktrace")
LEAKTRACE = (os.path.join(ROOT, "tests", "e2e", "leaktrace-precise") if PRECISE
             else LEAKTRACE_BIN)
WORKLOADS = os.path.join(ROOT, ".output", "workloads")
# names of leaktrace's BPF programs and maps: none may outlive a run
OUR_PROGS = ("handle_switch", "handle_wakeup", "handle_fork", "handle_exit",
             "dump_threads", "capture_stacks", "handle_switch_hash", "handle_wakeup_hash",
             "handle_fork_hash", "handle_exit_hash", "dump_threads_hash", "go_gopark",
             "go_newproc1", "go_goexit0")
OUR_MAPS = ("go_parked", "go_counts", "task_state", "task_state_hash", "creators", "targets", "proc_counts",
            "capture_tids", "stack_scratch", "leaktrac.bss", "leaktrac.rodata")


class Tap:
    """Minimal TAP producer: ok/not ok lines, a plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        if PRECISE:
            self.diag("precise mode (LEAKTRACE_TEST_PRECISE=1): leaktrace --precise")

    def ok(self, cond, name, diag=None, todo=None):
        """todo: the reason this check is expected to fail today (TAP TODO
        directive): its failure is shown but does not fail the run, and a
        pass is shown as an unexpected one, to be unmarked."""
        self.n += 1
        if not cond and not todo:
            self.failed += 1
        line = "%s %d - %s" % ("ok" if cond else "not ok", self.n, name)
        if todo:
            line += " # TODO " + todo
        print(line, flush=True)
        if not cond and diag is not None:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line, flush=True)
        return cond

    def skip(self, name, reason):
        """A check that cannot run here, said so (TAP SKIP): never silent."""
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, reason), flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


class Workload:
    """A workload process printing ROLE <role> <tid> lines and READY."""

    def __init__(self, argv, ready="READY", timeout=15):
        if not os.path.isabs(argv[0]) and not argv[0].startswith("python"):
            argv = [os.path.join(WORKLOADS, argv[0])] + list(argv[1:])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     bufsize=0)
        self._buf = b""
        self.pid = self.proc.pid
        self.roles = {}
        self.lines = []
        self.read_until(ready, timeout)

    def read_until(self, marker, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            if b"\n" not in self._buf:
                r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
                if not r:
                    if self.proc.poll() is not None:
                        break
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                self._buf += chunk
                continue
            raw, self._buf = self._buf.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").strip()
            self.lines.append(line)
            parts = line.split()
            if len(parts) == 3 and parts[0] == "ROLE":
                self.roles.setdefault(parts[1], []).append(int(parts[2]))
            if line.startswith(marker):
                return line
        raise RuntimeError("workload %s: no %r within %ss (got %r)" %
                           (self.pid, marker, timeout, self.lines[-5:]))

    def drain(self):
        """Consume the lines printed so far (e.g. ROLE lines of threads
        started after READY) without waiting for more."""
        try:
            self.read_until("\0never\0", timeout=0.3)
        except RuntimeError:
            pass

    def tid(self, role):
        return self.roles[role][0]

    def lines_starting(self, prefix):
        return [l for l in self.lines if l.startswith(prefix)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()


def run(args, timeout=60, **kw):
    """Run leaktrace to completion: (rc, stdout, stderr)."""
    p = subprocess.run([LEAKTRACE] + list(args), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    return p.returncode, p.stdout, p.stderr


def stop(p, sig=signal.SIGTERM, timeout=20):
    """Signal a Popen with pipes (sig 0: let it end by itself), wait at most
    timeout, then kill: (returncode, stdout, stderr) as text."""
    if p.poll() is None and sig:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def json_records(text):
    """Parse JSON lines; raise on a line that is not one JSON object."""
    recs = []
    for line in text.splitlines():
        if line.strip():
            recs.append(json.loads(line))
    return recs


def split_reports(recs):
    """JSON records split into reports (each ends with its "report" record)."""
    out, cur = [], []
    for r in recs:
        cur.append(r)
        if r.get("type") == "report":
            out.append(cur)
            cur = []
    return out


def final_records(recs):
    """Records of the last report (the one with final=true)."""
    reps = split_reports(recs)
    return reps[-1] if reps else []


def threads_by_tid(recs):
    return {r["tid"]: r for r in recs if r.get("type") == "thread"}


def tids_by_name(pid):
    """OS thread name (comm: a Java name cut to 15 bytes) -> tids of pid."""
    names = {}
    for d in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(d + "/comm") as f:
                names.setdefault(f.read().strip(), []).append(int(os.path.basename(d)))
        except OSError:
            pass
    return names


GO_CACHE = os.path.join(ROOT, ".output", "cache", "go")


def go_toolchains(versions):
    """{version: (path to bin/go or None, reason)} for Go releases from
    .output/cache/go, fetching the missing ones with tools/go-toolchains.sh
    (a test may run before the matrix that fetches them all). No fetch with
    LEAKTRACE_GO_OFFLINE=1: a missing one then says so."""
    def path(v):
        return os.path.join(GO_CACHE, v, "usr", "lib", "go-%s" % v, "bin", "go")
    missing = [v for v in versions if not os.access(path(v), os.X_OK)]
    reasons = {}
    if missing and os.environ.get("LEAKTRACE_GO_OFFLINE") != "1":
        p = subprocess.run([os.path.join(ROOT, "tools", "go-toolchains.sh"), GO_CACHE],
                           env=dict(os.environ, GO_VERSIONS=" ".join(missing)),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in p.stdout.splitlines():
            m = re.match(r"^go(\d+\.\d+) FAIL (.*)$", line)
            if m:
                reasons[m.group(1)] = m.group(2)
    out = {}
    for v in versions:
        ok = os.access(path(v), os.X_OK)
        out[v] = (path(v) if ok else None,
                  "" if ok else reasons.get(v, "not in .output/cache/go (tools/go-toolchains.sh)"))
    return out


def run_checks(checks):
    """A test's main: needs root, runs each check(t) (an exception is a
    `not ok` naming the check), then nothing of leaktrace may be left
    loaded. Exits with the TAP plan."""
    t = Tap()
    if os.geteuid() != 0:
        t.ok(False, "needs root (loads BPF programs)")
        t.done()
    for check in checks:
        try:
            check(t)
        except Exception as e:
            t.ok(False, "%s: ran" % check.__name__, e)
    left = leftovers()
    t.ok(not left, "no leaktrace BPF program or map left behind", left)
    t.done()


def leftovers(wait=10.0):
    """leaktrace programs/maps still loaded (bpftool JSON listings). The
    kernel frees a sleepable program's maps after an RCU-tasks-trace grace
    period, so give it a few seconds before calling anything a leftover."""
    end = time.time() + wait
    while True:
        left = _leftovers_now()
        if not left or time.time() >= end:
            return left
        time.sleep(0.2)


def held_bpf_ids(pids=None):
    """{"prog": ids, "map": ids} of the BPF objects open in the processes
    pids (default: all), from /proc/PID/fdinfo: Debian's bpftool is built
    without the "pids" field of its listings."""
    held = {"prog": set(), "map": set()}
    for pid in pids or [d for d in os.listdir("/proc") if d.isdigit()]:
        fdinfo = "/proc/%s/fdinfo" % pid
        try:
            fds = os.listdir(fdinfo)
        except OSError:
            continue
        for fd in fds:
            try:
                with open(os.path.join(fdinfo, fd)) as f:
                    for line in f:
                        key, _, val = line.partition(":")
                        if key in ("prog_id", "map_id"):
                            held[key[:-3]].add(int(val))
            except (OSError, ValueError):
                continue
    return held


def _leftovers_now():
    left = []
    held = None
    for kind, names in (("prog", OUR_PROGS), ("map", OUR_MAPS)):
        out = subprocess.run(["bpftool", "-j", kind, "list"], capture_output=True, text=True).stdout
        try:
            items = json.loads(out or "[]")
        except ValueError:
            items = []
        ours = [i for i in items if i.get("name") in names]
        if ours and held is None:
            held = held_bpf_ids()
        # an object a live process still holds (another leaktrace running
        # beside the tests) is not a leftover
        left += ["%s %s" % (kind, i.get("name")) for i in ours
                 if not i.get("pids") and i.get("id") not in held[kind]]
    return left


# Fleet outputs: HTTP, Prometheus exposition, syslog lines.

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=5):
    """(status, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(cond, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def reports_in(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if '"type":"report"' in line)
    except FileNotFoundError:
        return 0


def promtool_check(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


SYSLOG_PAIR = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]+)')


def parse_syslog(msg):
    """key=value pairs of one finding line; None if it does not parse whole."""
    pairs, pos = [], 0
    while pos < len(msg):
        m = SYSLOG_PAIR.match(msg, pos)
        if not m:
            return None
        pairs.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos < len(msg):
            if msg[pos] != " ":
                return None
            pos += 1
    return pairs


def unquote_syslog(v):
    v = v[1:-1]
    out, i = bytearray(), 0
    while i < len(v):
        if v[i] == "\\":
            if v[i + 1] == "x":
                out.append(int(v[i + 2:i + 4], 16))
                i += 4
            else:
                out += v[i + 1].encode()
                i += 2
        else:
            out += v[i].encode()
            i += 1
    return bytes(out)


class SyslogSink:
    """A private /dev whose "log" is a datagram socket of ours: syslog(3)
    of a program run through wrap() writes there."""

    NODES = ("null", "zero", "urandom", "random")

    def __init__(self, tmp):
        self.dev = os.path.join(tmp, "dev")
        os.mkdir(self.dev)
        for node in self.NODES:
            open(os.path.join(self.dev, node), "w").close()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(os.path.join(self.dev, "log"))
        self.sock.settimeout(0.5)
        # read as they come: syslog(3) blocks once the socket queue is full
        self.msgs = []
        self.stopping = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                self.msgs.append(self.sock.recv(65536))
            except socket.timeout:
                if self.stopping.is_set():
                    return

    def wrap(self, argv):
        """argv run in a mount namespace where /dev is the private one."""
        binds = " && ".join("mount --bind /dev/%s %s/%s" % (n, self.dev, n) for n in self.NODES)
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                '%s && mount --bind %s /dev && exec "$@"' % (binds, self.dev), "sh"] + list(argv)

    def messages(self):
        """Every datagram received (until 0.5 s of silence); closes the socket."""
        self.stopping.set()
        self.reader.join()
        self.sock.close()
        return self.msgs


class MemCgroup:
    """A memory-limited cgroup of our own: cgroup v2 (memory.max) where the
    memory controller is there, else the v1 memory hierarchy
    (memory.limit_in_bytes), as on hybrid hosts. preexec() moves a child
    started with Popen(preexec_fn=...) into it before it execs."""

    def __init__(self, name, limit_bytes):
        v2 = None
        for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
            try:
                with open(os.path.join(root, "cgroup.controllers")) as f:
                    if "memory" in f.read().split():
                        v2 = root
                        break
            except OSError:
                pass
        self.v2 = v2 is not None
        base = v2 if self.v2 else "/sys/fs/cgroup/memory"
        self.path = os.path.join(base, "%s-%d" % (name, os.getpid()))
        os.makedirs(self.path, exist_ok=True)
        limit_file = "memory.max" if self.v2 else "memory.limit_in_bytes"
        with open(os.path.join(self.path, limit_file), "w") as f:
            f.write(str(limit_bytes))

    def preexec(self):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def oom_kills(self):
        """Processes the OOM killer ended in this cgroup."""
        name = "memory.events" if self.v2 else "memory.oom_control"
        with open(os.path.join(self.path, name)) as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
        return 0

    def remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)


def vm_rss_kb(pid):
    """VmRSS of pid in kB, None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
