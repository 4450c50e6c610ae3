#!/usr/bin/env python3
"""The source tree keeps its floors: no include in user/ runs back up
(tools/check-layers.sh: util < model < collect < judge < sinks < run); the
judge reads facts only (no /proc, no target memory, no sockets: the
collectors read them); no header but the model's own reaches more than a
third of the modules. TAP."""
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JUDGE = os.path.join(ROOT, "user", "judge")
# what reading a process or the host looks like in C
READS = re.compile(r'/proc|\b(f?open|openat|opendir|pread|preadv|readlink|readlinkat|'
                   r'process_vm_readv|socket|ptrace)\s*\(')


def code_of(path):
    """The file without its comments: /proc in a comment is documentation,
    in a string it is a read."""
    with open(path) as f:
        text = f.read()
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


p = subprocess.run([os.path.join(ROOT, "tools", "check-layers.sh"), "--fan-in"],
                   capture_output=True, text=True)
ups = [l for l in p.stdout.splitlines() if l.startswith("up: ")]
print("1..5")
print("%s 1 - no include runs back up the floors%s" % ("ok" if not ups else "not ok",
                                                      "" if not ups else ": " + ", ".join(ups[:5])))
print("%s 2 - check-layers.sh exits 0 exactly when there is none (rc %d)" %
      ("ok" if (p.returncode == 0) == (not ups) else "not ok", p.returncode))

reads, collect_incs = [], []
for name in sorted(os.listdir(JUDGE)):
    if not name.endswith((".c", ".h")):
        continue
    code = code_of(os.path.join(JUDGE, name))
    reads += ["%s: %s" % (name, m.group(0)) for m in READS.finditer(code)]
    collect_incs += ["%s: %s" % (name, m.group(1))
                     for m in re.finditer(r'#include "(collect/[^"]+)"', code)]
print("%s 3 - user/judge/ reads no process, file or socket (facts only)%s" %
      ("ok" if not reads else "not ok", "" if not reads else ": " + ", ".join(reads[:5])))
print("%s 4 - user/judge/ includes no collector header%s" %
      ("ok" if not collect_incs else "not ok",
       "" if not collect_incs else ": " + ", ".join(collect_incs[:5])))
m = re.search(r"^fan-in: (\d+) headers outside model/", p.stdout, re.M)
print("%s 5 - no header outside model/ reaches more than a third of the modules (%s)" %
      ("ok" if m and m.group(1) == "0" else "not ok", m.group(0) if m else "no fan-in line"))
