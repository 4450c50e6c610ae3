#!/usr/bin/env python3
"""Hardening of a root daemon (issue 16): -o FILE is opened so that no other
local user can choose what root writes to (symlinks, FIFOs, devices, hard
links, other users' files refused; created 0640; the same on SIGHUP), and
after start-up leaktrace runs with few capabilities, no_new_privs and a
seccomp allowlist that kills it on anything else."""
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from ltlib import LEAKTRACE, Tap, Workload, json_records, run

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-hard-")
NOBODY = 65534


def wait_for(cond, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def reports_in(path):
    try:
        with open(path) as f:
            return sum(1 for line in f if '"type":"report"' in line.replace(" ", ""))
    except OSError:
        return 0


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
        lt.send_signal(signal.SIGTERM)
        try:
            _, err = lt.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            lt.kill()
            _, err = lt.communicate()
    refusals = [l for l in err.splitlines() if "cannot reopen" in l]
    t.ok(len(refusals) == 1 and out in refusals[0] and "symbolic link" in refusals[0],
         "SIGHUP onto a symlink: one line on stderr", err)
    t.ok(lt.returncode == 0, "SIGHUP cases: exit 0 on SIGTERM", err)


def main():
    target = subprocess.Popen(["sleep", "600"])
    try:
        test_output_files(target)
        test_sighup_symlink(target)
    finally:
        target.kill()
        target.wait()
        shutil.rmtree(TMP, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
