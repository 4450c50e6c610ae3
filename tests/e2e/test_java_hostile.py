#!/usr/bin/env python3
"""A hostile JVM (issue 25): leaktrace reads a JVM's VMStructs tables from its
memory, and a traced process controls that memory. A real JVM (the host's
OpenJDK 17 running JavaBugs' deadlocks) has its exported tables rewritten
through /proc/PID/mem (HotSpot itself never reads them: they are for
debuggers), a different corruption per round, each followed by a fresh
leaktrace and its ASan/UBSan build (`make asan`): field offsets all garbage
(the thread walk reads garbage JavaThreads, oops, strings and monitors),
static addresses garbage (the thread list, code cache and oop encodings),
names pointing into code (no NUL within the bound), a stride past the bound
(the table refused). Each must exit 0 at the end of -d with no sanitizer
report and well-formed JSON whose Java fields stay within their bounds; the
original table is put back after each round."""
import json
import os
import random
import re
import struct
import subprocess
import tempfile

from ltlib import LEAKTRACE_BIN, ROOT, Tap, Workload, leftovers

t = Tap()
JDK = "/usr/lib/jvm/java-17-openjdk-amd64"
ASAN = os.path.join(ROOT, ".output", "asan", "leaktrace")
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")
TMP = tempfile.mkdtemp(prefix="lt-javahostile-")
# Not Java's: tracer__scan's UBSan report, seen with any multi-threaded
# target (a Python process with 5 sleeping threads too) in the merged tree
# of 10:10 UTC; while it stands the ASan rounds stop there and are TODO.
# Any other sanitizer report fails.
KNOWN_UBSAN = "tracer.c:591:24: runtime error: member access within null pointer of type " \
              "'struct proc_report'"


def libjvm(pid):
    """(path, load address) of the JVM's libjvm.so (its offset-0 mapping)."""
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].endswith("/libjvm.so") and int(parts[2], 16) == 0:
                return parts[5], int(parts[0].split("-")[0], 16)
    return None, 0


def symbols(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True).stdout
    # names carry their version: gHotSpotVMStructs@@SUNWprivate_1.1
    return {p[2].split("@")[0]: int(p[0], 16) for p in (l.split() for l in out.splitlines())
            if len(p) == 3}


class Mem:
    def __init__(self, pid):
        self.f = open("/proc/%d/mem" % pid, "r+b", buffering=0)

    def read(self, addr, n):
        self.f.seek(addr)
        return self.f.read(n)

    def u64(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def write(self, addr, data):
        self.f.seek(addr)
        self.f.write(data)


def table(mem, syms, base):
    """The structs table: (address, stride, offsets of type name, is static,
    offset, address fields, number of entries)."""
    v = lambda n: mem.u64(base + syms["gHotSpotVM" + n])
    addr, stride = v("Structs"), v("StructEntryArrayStride")
    offs = (v("StructEntryTypeNameOffset"), v("StructEntryIsStaticOffset"),
            v("StructEntryOffsetOffset"), v("StructEntryAddressOffset"))
    n = 0
    while n < 8192 and mem.u64(addr + n * stride + offs[0]):
        n += 1
    return addr, stride, offs, n


def corrupt(mem, syms, base, kind, rng):
    addr, stride, (o_name, o_static, o_off, o_addr), n = table(mem, syms, base)
    for i in range(n):
        e = addr + i * stride
        static = struct.unpack("<i", mem.read(e + o_static, 4))[0]
        if kind == "offsets" and not static:
            mem.write(e + o_off, struct.pack("<Q", rng.randrange(0, 4096)))
        elif kind == "statics" and static:
            mem.write(e + o_addr, struct.pack("<Q", rng.choice(
                [0x10, addr + rng.randrange(0, 1 << 16), (1 << 47) - 8, e])))
        elif kind == "names" and i % 3 == 0:
            mem.write(e + o_name, struct.pack("<Q", base + syms["JNI_CreateJavaVM"]))
    if kind == "stride":
        mem.write(base + syms["gHotSpotVMStructEntryArrayStride"], struct.pack("<Q", 1 << 20))


def well_formed(r):
    j = r.get("java")
    return j is None or (isinstance(j.get("name"), str) and len(j["name"]) < 64 and
                         len(j.get("lock_class", "")) < 96 and
                         all(isinstance(f, str) and len(f) < 1024 for f in r.get("user_stack", [])))


def check_round(w, mem, syms, base, kind, binary, tag):
    path, _ = libjvm(w.pid)
    addr, stride, offs, n = table(mem, syms, base)
    saved = mem.read(addr, n * stride + stride)
    saved_stride = mem.read(base + syms["gHotSpotVMStructEntryArrayStride"], 8)
    corrupt(mem, syms, base, kind, random.Random(kind))
    try:
        out = os.path.join(TMP, tag + ".json")
        with open(out, "w") as fo:
            p = subprocess.run([binary, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s",
                                "-f", "json"], stdout=fo, stderr=subprocess.PIPE, text=True,
                               timeout=120)
        others = "\n".join(l for l in p.stderr.splitlines() if KNOWN_UBSAN not in l)
        todo = "tracer.c:591 UBSan report, not Java's" if KNOWN_UBSAN in p.stderr and \
            not SANITIZER.search(others) else None
        t.ok(p.returncode == 0, "%s: exit 0 (rc=%s, no crash, no hang)" % (tag, p.returncode),
             p.stderr[-2000:], todo=todo)
        t.ok(not SANITIZER.search(p.stderr), "%s: no sanitizer report" % tag, p.stderr[-3000:],
             todo=todo)
        recs, bad = [], []
        for line in open(out, errors="replace"):
            try:
                recs.append(json.loads(line))
            except ValueError:
                bad.append(line[:200])
        threads = [r for r in recs if r.get("type") == "thread" and r.get("pid") == w.pid]
        t.ok(not bad and threads and all(well_formed(r) for r in threads),
             "%s: well-formed JSON, %d threads of the JVM, Java fields bounded" %
             (tag, len(threads)), bad[:3], todo=todo)
    finally:
        mem.write(addr, saved)
        mem.write(base + syms["gHotSpotVMStructEntryArrayStride"], saved_stride)


classes = TMP
p = subprocess.run(["javac", "--release", "17", "-d", classes] +
                   [os.path.join(ROOT, "tools", "workloads", "java", f)
                    for f in ("JavaBugs.java", "Bank.java")], capture_output=True, text=True)
t.ok(p.returncode == 0, "javac compiles the Java workloads", p.stderr)
p = subprocess.run(["make", "-s", "-C", ROOT, "asan"], capture_output=True, text=True)
t.ok(p.returncode == 0 and os.path.exists(ASAN), "make asan builds %s" % ASAN, p.stderr[-2000:])
w = Workload([JDK + "/bin/java", "-cp", classes, "JavaBugs", "sync-deadlock", "lock-deadlock"],
             timeout=60)
try:
    path, base = libjvm(w.pid)
    syms = symbols(path) if path else {}
    found = t.ok("gHotSpotVMStructs" in syms, "libjvm.so of pid %d exports the tables" % w.pid,
                 path)
    mem = Mem(w.pid)
    for kind in ("offsets", "statics", "names", "stride") if found else ():
        for binary, b in ((LEAKTRACE_BIN, "leaktrace"), (ASAN, "asan")):
            check_round(w, mem, syms, base, kind, binary, "%s-%s" % (b, kind))
    # put back: the JVM is read again, its deadlock found
    rc = subprocess.run([LEAKTRACE_BIN, "-p", str(w.pid), "-t", "1s", "-i", "1s", "-d", "3s",
                         "-f", "json"], capture_output=True, text=True, timeout=60)
    recs = [json.loads(l) for l in rc.stdout.splitlines() if l.startswith("{")]
    t.ok(any(r.get("type") == "site" and r.get("verdict") == "deadlock" and
             r.get("pid") == w.pid for r in recs),
         "table restored: the JVM's deadlocks are found again")
finally:
    w.stop()
t.ok(not leftovers(), "no BPF programs or maps left", leftovers(0))
t.done()
