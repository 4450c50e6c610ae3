#!/usr/bin/env python3
"""Matrix: Python frames in user stacks on the CPython of other Debian
suites: 3.9 (bullseye), 3.13 (trixie), 3.14 (sid); the host's 3.11 is in
tests/e2e/test_python.py. Each runs in a minimal root of its suite made with
`debootstrap --variant=minbase --include=python3 SUITE DIR MIRROR` (the
mirror of /etc/apt/sources.list.d/debian.sources), cached in
.output/cache/pyroots/SUITE, entered with chroot: the interpreter is an
ordinary host process to leaktrace. Missing roots are built in parallel.

A suite that cannot be fetched is `not ok` with the reason, or
`ok ... # SKIP offline` with LEAKTRACE_PY_OFFLINE=1."""
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from ltlib import ROOT, Tap, leftovers  # noqa: E402
from pycheck import SITES_PY, check_python  # noqa: E402

SUITES = [("bullseye", "3.9"), ("trixie", "3.13"), ("sid", "3.14")]
CACHE = os.path.join(ROOT, ".output", "cache", "pyroots")
OFFLINE = os.environ.get("LEAKTRACE_PY_OFFLINE") == "1"
DEBOOTSTRAP_TIMEOUT = 1500
IN_ROOT = "/opt/leaktrace/python_sites.py"


def mirror():
    """The machine's Debian mirror (deb822 URIs:, else a sources.list line)."""
    for path in ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"):
        try:
            text = open(path).read()
        except OSError:
            continue
        m = re.search(r"^URIs:\s*(\S+)", text, re.M) or \
            re.search(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def unmount_under(path):
    """debootstrap mounts proc/sys in the target; a killed run may leave them"""
    with open("/proc/mounts") as f:
        mounts = [l.split()[1] for l in f]
    for m in sorted((m for m in mounts if m.startswith(path + "/")), reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)


def build_root(suite, results):
    """Root of suite in CACHE (built when missing): results[suite] = (dir or
    None, message)."""
    root = os.path.join(CACHE, suite)
    if os.path.exists(os.path.join(root, "usr", "bin", "python3")):
        results[suite] = (root, "cached")
        return
    if OFFLINE:
        results[suite] = (None, "offline, no cached root")
        return
    if not shutil.which("debootstrap"):
        results[suite] = (None, "debootstrap not installed (tools/install-deps.sh)")
        return
    tmp = root + ".tmp"
    unmount_under(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(CACHE, exist_ok=True)
    start = time.time()
    log = os.path.join(CACHE, suite + ".log")
    try:
        with open(log, "w") as lf:
            p = subprocess.run(["debootstrap", "--variant=minbase", "--include=python3", suite, tmp,
                                mirror()], stdout=lf, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=DEBOOTSTRAP_TIMEOUT)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    unmount_under(tmp)
    if rc != 0 or not os.path.exists(os.path.join(tmp, "usr", "bin", "python3")):
        tail = open(log).read().strip().splitlines()[-1:] if os.path.exists(log) else []
        results[suite] = (None, "debootstrap %s failed (%s): %s" % (suite, rc, " ".join(tail)))
        return
    os.rename(tmp, root)
    results[suite] = (root, "built in %.0fs" % (time.time() - start))


def python_version(root):
    p = subprocess.run(["chroot", root, "/usr/bin/python3", "-V"], capture_output=True, text=True)
    return (p.stdout + p.stderr).strip()


t = Tap()
results = {}
builders = [threading.Thread(target=build_root, args=(s, results)) for s, _ in SUITES]
for b in builders:
    b.start()
for b in builders:
    b.join()

table = []
for suite, want in SUITES:
    root, msg = results[suite]
    if root is None:
        if OFFLINE:
            print("ok %d - %s: # SKIP offline (%s)" % (t.n + 1, suite, msg))
            t.n += 1
        else:
            t.ok(False, "%s: root filesystem with python3" % suite, msg)
        table.append((suite, want, "-", msg))
        continue
    version = python_version(root)
    t.ok(version.startswith("Python " + want + "."), "%s: %s (%s)" % (suite, version, msg), version)
    os.makedirs(os.path.join(root, "opt", "leaktrace"), exist_ok=True)
    shutil.copy(SITES_PY, os.path.join(root, IN_ROOT.lstrip("/")))
    before = t.failed
    check_python(t, "%s/%s" % (suite, version), ["/usr/sbin/chroot", root, "/usr/bin/python3", IN_ROOT],
                 IN_ROOT)
    table.append((suite, version, "pass" if t.failed == before else "FAIL", msg))

t.diag("suite     python          result  root")
for row in table:
    t.diag("%-9s %-15s %-7s %s" % row)
t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
t.done()
