#!/usr/bin/env python3
"""The source tree keeps its floors: no include in user/ runs back up
(tools/check-layers.sh: util < model < collect < judge < sinks < run). TAP."""
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

p = subprocess.run([os.path.join(ROOT, "tools", "check-layers.sh")], capture_output=True, text=True)
ups = [l for l in p.stdout.splitlines() if l.startswith("up: ")]
print("1..2")
print("%s 1 - no include runs back up the floors%s" % ("ok" if not ups else "not ok",
                                                      "" if not ups else ": " + ", ".join(ups[:5])))
print("%s 2 - check-layers.sh exits 0 exactly when there is none (rc %d)" %
      ("ok" if (p.returncode == 0) == (not ups) else "not ok", p.returncode))
