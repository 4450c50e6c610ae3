#!/usr/bin/env python3
"""The small-deadlock corpus (tests/e2e/test_go_deadlocks.py) on Go 1.19,
1.21, 1.24, 1.26 and 1.27, each built with DWARF and stripped (-s -w), with
the toolchains tools/go-toolchains.sh keeps in .output/cache/go/<version>/
(fetched here when missing). Per toolchain and build:
every deadlock proven (leak, or deadlock for the lock cycles, with
evidence.proof), no twin leak or deadlock. A toolchain that is not there is
`not ok` (`ok # SKIP` with LEAKTRACE_GO_OFFLINE=1). Prints TAP; about 4
minutes. GO_VERSIONS="1.24 1.27" restricts the set.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from ltlib import go_toolchains  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VERSIONS = os.environ.get("GO_VERSIONS", "1.19 1.21 1.24 1.26 1.27").split()


def main():
    have, missing = [], []
    for v, (go, why) in go_toolchains(VERSIONS).items():
        if go:
            have.append((v, go))
        else:
            missing.append((v, why))
    env = dict(os.environ, GO_DEADLOCK_ONLY_EXTRA="1",
               GO_DEADLOCK_TOOLCHAINS=" ".join("%s=%s" % vg for vg in have))
    # streamed: a toolchain's lines show as soon as it is done
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "e2e", "test_go_deadlocks.py")],
                         cwd=os.path.join(ROOT, "tests", "e2e"), env=env, stdout=subprocess.PIPE,
                         text=True)
    n = 0
    for line in p.stdout:
        if line.startswith("1.."):
            continue
        n += line.startswith(("ok ", "not ok "))
        print(line, end="", flush=True)
    p.wait()
    skip = os.environ.get("LEAKTRACE_GO_OFFLINE") == "1"
    for v, why in missing:
        n += 1
        if skip:
            print("ok %d - go%s: toolchain present # SKIP offline (%s)" % (n, v, why))
        else:
            print("not ok %d - go%s: toolchain present (%s)" % (n, v, why))
    print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
