#!/usr/bin/env python3
"""End-to-end: Python frames in the user stacks of parked CPython threads,
and JIT frames named from perf maps (Node),
on the host's interpreter (Debian's stripped /usr/bin/python3). Other
interpreters (e.g. libpython shared builds) can be added with
LEAKTRACE_PYTHONS="/path/to/python3 ...", interpreters of unsupported versions
(marker frame expected) with LEAKTRACE_PYTHONS_UNSUPPORTED; other Debian
suites' CPython are
in tests/matrix/test_cpython.py."""
import os

from ltlib import ROOT, Tap, Workload, final_records, json_records, leftovers, run, threads_by_tid
from pycheck import SITES_PY, check_python

t = Tap()
script = os.path.realpath(SITES_PY)
pythons = ["/usr/bin/python3"] + os.environ.get("LEAKTRACE_PYTHONS", "").split()
for py in pythons:
    if not t.ok(os.access(py, os.X_OK), "%s exists" % py):
        continue
    check_python(t, os.path.basename(os.path.dirname(os.path.dirname(py))) + ":" + py,
                 [py, script], script)


def check_node():
    """A Node worker blocked in Atomics.wait inside blockForever: the JIT
    frame is named from /tmp/perf-PID.map."""
    js = os.path.join(ROOT, "tools", "workloads", "node_atomics_wait.js")
    if not t.ok(os.access("/usr/bin/node", os.X_OK), "node: /usr/bin/node exists"):
        return
    w = Workload(["/usr/bin/node", "--perf-basic-prof", "--interpreted-frames-native-stack",
                  # without these, --perf-basic-prof leaves isolate-*-v8.log in the cwd
                  "--logfile=/dev/null", "--no-logfile-per-isolate", js],
                 timeout=30)
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "json"])
        t.ok(rc == 0, "node: leaktrace exits 0", err)
        th = threads_by_tid(final_records(json_records(out)))
        tid = w.tid("worker")
        st = th.get(tid, {}).get("user_stack", [])
        t.ok(any(f.startswith("JS:~blockForever ") and "node_atomics_wait.js" in f for f in st),
             "node: worker tid %d: blockForever named from the perf map" % tid, st)
        t.ok(any("AtomicsWait" in f for f in st), "node: native Atomics.wait frames stay", st)
        others = [x for x, r in th.items() if x != tid and
                  any("blockForever" in f for f in r.get("user_stack", []))]
        t.ok(not others, "node: no other thread claims blockForever", others)
    finally:
        w.stop()
        try:
            os.unlink("/tmp/perf-%d.map" % w.pid)
        except OSError:
            pass


def check_unsupported(py):
    """An interpreter without offsets (e.g. 3.8): a marker frame, the native
    stack kept, the failure counted."""
    w = Workload([py, SITES_PY], timeout=60)
    try:
        rc, out, err = run(["-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "2s", "-f", "json"])
        fin = final_records(json_records(out))
        rec = threads_by_tid(fin).get(w.tid("event"), {})
        st = rec.get("user_stack", [])
        t.ok(any(f.startswith("[python frames unavailable: no offsets for python 3.") for f in st)
             and any(f.startswith("_PyEval_EvalFrameDefault") for f in st),
             "%s: marker frame, native eval frames kept" % py, st)
        t.ok(rec and "thread_name" not in rec,
             "%s: no thread_name (no layout for this version)" % py, rec.get("thread_name"))
        rep = [x for x in fin if x.get("type") == "report"]
        t.ok(rep and rep[0].get("python_failures", 0) > 0, "%s: failures counted" % py, rep)
    finally:
        w.stop()


for py in os.environ.get("LEAKTRACE_PYTHONS_UNSUPPORTED", "").split():
    check_unsupported(py)
check_node()
t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
t.done()
