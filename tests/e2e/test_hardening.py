#!/usr/bin/env python3
"""Hardening of a root daemon (issue 16): -o FILE is opened so that no other
local user can choose what root writes to (symlinks, FIFOs, devices, hard
links, other users' files refused; created 0640; the same on SIGHUP), and
after start-up leaktrace runs with few capabilities, no_new_privs and a
seccomp allowlist that kills it on anything else."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import urllib.request

from ltlib import LEAKTRACE, PRECISE, ROOT, Tap, free_port, reports_in, run, wait_for

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-hard-")
NOBODY = 65534
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")


def reports_in_text(text):
    return sum(1 for line in text.splitlines() if '"type":"report"' in line)


def victim_file(name):
    """A root-owned file that a symlink or hard link points at; must stay unchanged."""
    p = os.path.join(TMP, name)
    with open(p, "w") as f:
        f.write("precious\n")
    return p


def unchanged(path):
    with open(path) as f:
        return f.read() == "precious\n"


def refused(args, path, reason, name):
    """leaktrace -o PATH exits 2 with one line naming PATH and REASON."""
    rc, out, err = run(args + ["-o", path], timeout=30)
    lines = err.strip().splitlines()
    t.ok(rc == 2 and len(lines) == 1 and path in lines[0] and reason in lines[0]
         and lines[0].startswith("leaktrace: "),
         "%s: refused with exit 2 and one line (%r)" % (name, reason), "rc=%d stderr=%r" % (rc, err))


def test_output_files(target):
    base = ["-p", str(target.pid), "-d", "1s", "-i", "1s", "-f", "json"]

    # a new file: 0640 whatever the umask lets through (the umask may only narrow it)
    new = os.path.join(TMP, "new.jsonl")
    old_umask = os.umask(0o022)
    try:
        rc, _, err = run(base + ["-o", new], timeout=60)
    finally:
        os.umask(old_umask)
    mode = stat.S_IMODE(os.stat(new).st_mode) if os.path.exists(new) else None
    t.ok(rc == 0 and mode == 0o640, "new output file created 0640 (got %s)" %
         (oct(mode) if mode is not None else None), err)
    t.ok(reports_in(new) >= 1, "new output file holds the report")

    # appending to an existing root-owned file works and keeps what was there
    n = reports_in(new)
    rc, _, err = run(base + ["-o", new], timeout=60)
    t.ok(rc == 0 and reports_in(new) > n, "existing root-owned file: appended", err)

    victim = victim_file("victim")
    link = os.path.join(TMP, "link.jsonl")
    os.symlink(victim, link)
    refused(base, link, "symbolic link", "symlink to a root-owned file")
    t.ok(unchanged(victim), "symlink target untouched")
    dangling = os.path.join(TMP, "dangling.jsonl")
    os.symlink(os.path.join(TMP, "does-not-exist"), dangling)
    refused(base, dangling, "symbolic link", "dangling symlink (would create its target)")
    t.ok(not os.path.exists(os.path.join(TMP, "does-not-exist")), "dangling symlink: nothing created")

    fifo = os.path.join(TMP, "fifo")
    os.mkfifo(fifo)
    refused(base, fifo, "not a regular file", "FIFO (no reader: must not hang)")
    refused(base, TMP, "not a regular file", "directory")
    refused(base, "/dev/null", "not a regular file", "character device")

    hard = os.path.join(TMP, "hard.jsonl")
    os.link(victim, hard)
    refused(base, hard, "hard link", "hard link to a root-owned file")
    t.ok(unchanged(victim), "hard link target untouched")

    theirs = os.path.join(TMP, "theirs.jsonl")
    open(theirs, "w").close()
    os.chown(theirs, NOBODY, NOBODY)
    refused(base, theirs, "owned by another user (uid %d)" % NOBODY, "file owned by another user")
    t.ok(os.path.getsize(theirs) == 0, "other user's file untouched")

    # between runs: the file leaktrace wrote is replaced by a symlink
    swap = os.path.join(TMP, "swap.jsonl")
    rc, _, err = run(base + ["-o", swap], timeout=60)
    t.ok(rc == 0 and reports_in(swap) >= 1, "swap: first run writes the file", err)
    victim2 = victim_file("victim2")
    os.unlink(swap)
    os.symlink(victim2, swap)
    refused(base, swap, "symbolic link", "swap: symlink swapped in between runs")
    t.ok(unchanged(victim2), "swap: symlink target untouched")

FORMATS = ("text", "json", "folded", "pprof")


def test_output_rules_every_format(target):
    """The -o rules of one function (util/safe_open.c safe_output_check),
    at start, for every format: folded and pprof replace the file, so
    their checks once ran on the temporary file only and a symlink, a hard
    link or another user's file at the path was silently replaced."""
    victim = victim_file("victim-fmt")
    theirs = os.path.join(TMP, "theirs-fmt")
    open(theirs, "w").close()
    os.chown(theirs, NOBODY, NOBODY)
    for fmt in FORMATS:
        base = ["-p", str(target.pid), "-d", "1s", "-i", "1s", "-f", fmt]
        link = os.path.join(TMP, "link." + fmt)
        os.symlink(victim, link)
        refused(base, link, "symbolic link", "-f %s: symlink" % fmt)
        t.ok(os.path.islink(link) and unchanged(victim), "-f %s: the symlink stays, its target untouched" % fmt)
        hard = os.path.join(TMP, "hard." + fmt)
        os.link(victim, hard)
        refused(base, hard, "hard link", "-f %s: hard link" % fmt)
        os.unlink(hard)
        refused(base, theirs, "owned by another user (uid %d)" % NOBODY, "-f %s: another user's file" % fmt)
        refused(base, "/proc/self/status", "on procfs", "-f %s: /proc/self/status" % fmt)
        refused(base, "/sys/kernel/lt-hard-x", "on sysfs", "-f %s: a path in /sys" % fmt)
    t.ok(unchanged(victim) and os.path.getsize(theirs) == 0, "victims untouched")
    shm = "/dev/shm/lt-hard-%d" % os.getpid()
    refused(["-p", str(target.pid), "-d", "1s", "-f", "json"], shm, "under /dev", "a file under /dev (tmpfs)")
    t.ok(not os.path.exists(shm), "nothing created under /dev")
    bound = os.path.join(TMP, "bound.jsonl")
    open(bound, "w").close()
    subprocess.run(["mount", "--bind", "/proc/self/status", bound], check=True)
    try:
        refused(["-p", str(target.pid), "-d", "1s", "-f", "json"], bound, "on procfs",
                "a kernel file bind-mounted at the path")
    finally:
        subprocess.run(["umount", bound])


def test_replace_rechecks(target):
    """At each replace the path is checked again: a hard link put there
    since the last report is not removed; leaktrace stops with one line."""
    out = os.path.join(TMP, "rechecked.folded")
    lt = subprocess.Popen([LEAKTRACE, "-p", str(target.pid), "-t", "1s", "-i", "1s", "-f", "folded",
                           "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True)
    wait_for(lambda: os.path.exists(out), 30)
    victim = victim_file("victim-replace")
    os.unlink(out)
    os.link(victim, out)
    try:
        _, err = lt.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        lt.kill()
        _, err = lt.communicate()
    lines = err.strip().splitlines()
    t.ok(lt.returncode == 1 and any("cannot write %s: has more than one hard link" % out in l for l in lines),
         "a hard link swapped in between reports: not replaced, exit 1 with the reason", err)
    t.ok(os.stat(out).st_nlink == 2 and unchanged(victim), "the hard link is left in place")


def test_full_disk(target):
    """A full disk cuts the last JSON line; the next start ends it with a
    newline first, so every record after it parses."""
    mnt = os.path.join(TMP, "small")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", mnt], check=True)
    try:
        out = os.path.join(mnt, "out.jsonl")
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"x" * (60 * 1024 - 700))   # a page and 700 bytes left
        args = ["-p", str(target.pid), "-t", "1s", "-i", "1s", "-f", "json", "-o", out]
        rc, _, err = run(args + ["-d", "6s"], timeout=60)
        data = open(out, "rb").read()
        t.ok(rc == 1 and "No space left on device" in err, "full disk: exit 1, the reason said", err)
        cut = not data.endswith(b"\n")
        t.ok(cut, "full disk: the last line is cut (%d bytes written)" % len(data), data[-200:])
        os.unlink(filler)
        rc, _, err = run(args + ["-d", "1s"], timeout=60)
        lines = open(out, "rb").read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        bad = []
        for i, line in enumerate(lines):
            try:
                json.loads(line)
            except ValueError:
                bad.append(i)
        first_run = data.count(b"\n")
        # the cut line is what the full disk left of it, nothing appended
        alone = len(lines) > first_run and lines[first_run] == data.split(b"\n")[-1]
        t.ok(rc == 0 and alone and bad == ([first_run] if cut else []) and len(lines) > first_run + 1,
             "next start: the cut line stands alone, every other line parses (%d lines, bad %s)" %
             (len(lines), bad), err)
    finally:
        subprocess.run(["umount", mnt])


def stop_lt(lt):
    lt.send_signal(signal.SIGTERM)
    try:
        _, err = lt.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        lt.kill()
        _, err = lt.communicate()
    return lt.returncode, err


def test_sighup_symlink(target):
    """logrotate moves the file; before SIGHUP someone puts a symlink at the
    path: the reopen is refused (one line), leaktrace keeps writing the old
    file, then reopens the path once it is a plain file again."""
    out = os.path.join(TMP, "hup.jsonl")
    victim = victim_file("victim-hup")
    lt = subprocess.Popen([LEAKTRACE, "-p", str(target.pid), "-t", "1s", "-i", "1s", "-f", "json",
                           "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True)
    try:
        t.ok(wait_for(lambda: reports_in(out) >= 1, 20), "SIGHUP: first report written")
        rotated = out + ".1"
        os.rename(out, rotated)
        os.symlink(victim, out)
        lt.send_signal(signal.SIGHUP)
        n = reports_in(rotated)
        t.ok(wait_for(lambda: reports_in(rotated) >= n + 2, 10),
             "SIGHUP onto a symlink: reports go on to the already open file")
        t.ok(lt.poll() is None and unchanged(victim), "SIGHUP onto a symlink: running, target untouched")
        os.unlink(out)
        lt.send_signal(signal.SIGHUP)
        t.ok(wait_for(lambda: reports_in(out) >= 1, 10), "SIGHUP after the symlink is gone: new file")
        mode = stat.S_IMODE(os.stat(out).st_mode) if os.path.exists(out) else None
        t.ok(mode is not None and mode & 0o027 == 0, "reopened file is not world-readable (%s)" %
             (oct(mode) if mode is not None else None))
    finally:
        _, err = stop_lt(lt)
    refusals = [l for l in err.splitlines() if "cannot reopen" in l]
    t.ok(len(refusals) == 1 and out in refusals[0] and "symbolic link" in refusals[0],
         "SIGHUP onto a symlink: one line on stderr", err)
    t.ok(lt.returncode == 0, "SIGHUP cases: exit 0 on SIGTERM", err)


# capability numbers (linux/capability.h)
CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_SYSLOG = 2, 19, 21, 34
CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE = 38, 39, 40
KEPT_ALWAYS = (CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYSLOG, CAP_CHECKPOINT_RESTORE)
KEPT_PID = sum(1 << c for c in KEPT_ALWAYS + (CAP_PERFMON, CAP_BPF))
KEPT_SYSTEM_WIDE = sum(1 << c for c in KEPT_ALWAYS + (CAP_SYS_ADMIN,))


def status_of(path):
    fields = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def thread_statuses(pid):
    """/proc/PID/task/*/status of every thread, after the sandbox is in place."""
    out = []
    for tid in sorted(os.listdir("/proc/%d/task" % pid)):
        try:
            out.append(status_of("/proc/%d/task/%s/status" % (pid, tid)))
        except OSError:
            pass
    return out


def start_and_wait_report(args, out):
    lt = subprocess.Popen([LEAKTRACE] + args + ["-o", out], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    wait_for(lambda: reports_in(out) >= 1, 30)
    return lt



def check_sandboxed(statuses, kept, name):
    bad = [s for s in statuses if int(s.get("CapEff", "0"), 16) != kept or
           int(s.get("CapPrm", "0"), 16) != kept or int(s.get("CapBnd", "0"), 16) != kept or
           int(s.get("CapInh", "1"), 16) != 0 or int(s.get("CapAmb", "1"), 16) != 0]
    t.ok(statuses and not bad, "%s: every thread keeps only %#x (effective, permitted, bounding; "
         "no inheritable, no ambient)" % (name, kept),
         [(s.get("Name"), s.get("CapEff"), s.get("CapBnd")) for s in statuses])
    t.ok(statuses and all(s.get("NoNewPrivs") == "1" for s in statuses),
         "%s: NoNewPrivs 1 in every thread" % name)
    t.ok(statuses and all(s.get("Seccomp") == "2" for s in statuses),
         "%s: Seccomp 2 (filter) in every thread" % name)


def test_sandbox(target):
    """--pid with the Prometheus thread and syslog: the status of every thread."""
    out = os.path.join(TMP, "sandbox.jsonl")
    port = free_port()
    lt = start_and_wait_report(["-p", str(target.pid), "-t", "1s", "-i", "1s", "-f", "json",
                                "--prometheus", "127.0.0.1:%d" % port,
                                "--syslog"], out)
    try:
        statuses = thread_statuses(lt.pid)
        t.ok(len(statuses) >= 2, "--prometheus: leaktrace has its listener thread (%d threads)"
             % len(statuses))
        check_sandboxed(statuses, KEPT_PID, "--pid")
        try:
            body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read()
            t.ok(b"leaktrace_reports_total" in body, "metrics still served inside the sandbox")
        except OSError as e:
            t.ok(False, "metrics still served inside the sandbox", e)
        # SIGHUP reopen goes through the allowlist's one write-open
        os.rename(out, out + ".1")
        lt.send_signal(signal.SIGHUP)
        t.ok(wait_for(lambda: reports_in(out) >= 1, 10), "SIGHUP reopen works inside the sandbox")
    finally:
        rc, err = stop_lt(lt)
    t.ok(rc == 0 and "sandbox" not in err, "sandboxed run exits 0 on SIGTERM", err)

    # system-wide with --precise: Go processes that start later get uprobes,
    # which need CAP_SYS_ADMIN; the default Go mode only reads their memory
    out = os.path.join(TMP, "sandbox-sw.jsonl")
    lt = start_and_wait_report(["-t", "1s", "-i", "1s", "-f", "json", "--no-stacks"], out)
    try:
        check_sandboxed(thread_statuses(lt.pid), KEPT_SYSTEM_WIDE if PRECISE else KEPT_PID,
                        "system-wide")
    finally:
        rc, err = stop_lt(lt)
    t.ok(rc == 0, "system-wide sandboxed run exits 0", err)
    out = os.path.join(TMP, "sandbox-nogo.jsonl")
    lt = start_and_wait_report(["-t", "1s", "-i", "1s", "-f", "json", "--no-stacks", "--no-go"], out)
    try:
        check_sandboxed(thread_statuses(lt.pid), KEPT_PID, "system-wide --no-go")
    finally:
        stop_lt(lt)

    # --no-sandbox: as started
    out = os.path.join(TMP, "nosandbox.jsonl")
    lt = start_and_wait_report(["-p", str(target.pid), "-t", "1s", "-i", "1s", "-f", "json",
                                "--no-sandbox"], out)
    try:
        s = status_of("/proc/%d/status" % lt.pid)
        t.ok(s.get("Seccomp") == "0" and int(s["CapEff"], 16) & (1 << CAP_SYS_ADMIN),
             "--no-sandbox: no filter, capabilities kept", s.get("CapEff"))
    finally:
        stop_lt(lt)


def test_forbidden_call(target):
    """A system call outside the allowlist kills leaktrace with one line naming it."""
    env = dict(os.environ, LEAKTRACE_SANDBOX_SELFTEST="1")
    p = subprocess.run([LEAKTRACE, "-p", str(target.pid), "-t", "1s", "-i", "1s", "-d", "3s"],
                       capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    nr = 259  # mknodat on x86-64
    line = [l for l in p.stderr.splitlines() if "forbidden system call" in l]
    t.ok(p.returncode == -signal.SIGSYS, "forbidden call: killed by SIGSYS (rc %d)" % p.returncode,
         p.stderr)
    t.ok(len(line) == 1 and ("call %d " % nr) in line[0],
         "forbidden call: one line naming system call %d" % nr, p.stderr)
    t.ok(not os.path.exists("/leaktrace-sandbox-selftest"), "forbidden call: it did not happen")
    p = subprocess.run([LEAKTRACE, "-p", str(target.pid), "-t", "1s", "-i", "1s", "-d", "2s",
                        "--no-sandbox"], capture_output=True, text=True, timeout=60, env=env,
                       stdin=subprocess.DEVNULL)
    t.ok(p.returncode == 0 and "forbidden" not in p.stderr,
         "--no-sandbox: the self-test variable does nothing", p.stderr)


def test_asan_sandbox(target):
    """The ASan build with the sandbox on: LeakSanitizer's check at exit
    (a helper task that ptrace-attaches every thread) runs inside the
    allowlist of that build and finds nothing; it was killed by SIGSYS."""
    asan = os.path.join(ROOT, ".output", "asan", "leaktrace")
    p = subprocess.run(["make", "-s", "-C", ROOT, "asan"], capture_output=True, text=True)
    if not t.ok(p.returncode == 0 and os.path.exists(asan), "make asan builds %s" % asan,
                p.stderr[-2000:]):
        return
    for extra in ([], ["--prometheus", "127.0.0.1:%d" % free_port(), "--syslog"]):
        tag = "ASan leaktrace %s" % " ".join(["-p"] + extra)
        try:
            p = subprocess.run([asan, "-p", str(target.pid), "-t", "1s", "-i", "1s", "-d", "2s",
                                "-f", "json"] + extra, capture_output=True, text=True,
                               timeout=120, stdin=subprocess.DEVNULL)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, err = None, (e.stderr or b"").decode("utf-8", "replace")
        t.ok(rc == 0 and "forbidden system call" not in err and not SANITIZER.search(err)
             and reports_in_text(p.stdout if rc is not None else "") >= 1,
             "%s, sandbox on: reports, exit 0, no SIGSYS, no sanitizer report (rc %s)"
             % (tag, rc), err[-2000:])


def main():
    target = subprocess.Popen(["sleep", "600"])
    try:
        test_output_files(target)
        test_output_rules_every_format(target)
        test_replace_rechecks(target)
        test_full_disk(target)
        test_sighup_symlink(target)
        test_sandbox(target)
        test_forbidden_call(target)
        test_asan_sandbox(target)
    finally:
        target.kill()
        target.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
