#!/usr/bin/env python3
"""The small-deadlock corpus (tests/e2e/test_go_deadlocks.py) on Go 1.19,
1.21, 1.24, 1.26 and 1.27, each built with DWARF and stripped (-s -w), with
the toolchains tools/go-toolchains.sh keeps in .output/cache/go/<version>/
(tests/matrix/test_go_toolchains.py fetches them). Per toolchain and build:
every deadlock proven (leak, or deadlock for the lock cycles, with
evidence.proof), no twin leak or deadlock. A toolchain that is not there is
`not ok` (`ok # SKIP` with LEAKTRACE_GO_OFFLINE=1). Prints TAP; about 4
minutes. GO_VERSIONS="1.24 1.27" restricts the set.
"""
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.path.join(ROOT, ".output", "cache", "go")
VERSIONS = os.environ.get("GO_VERSIONS", "1.19 1.21 1.24 1.26 1.27").split()


def main():
    have, missing = [], []
    for v in VERSIONS:
        go = os.path.join(CACHE, v, "usr", "lib", "go-%s" % v, "bin", "go")
        (have if os.access(go, os.X_OK) else missing).append((v, go))
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
    for v, go in missing:
        n += 1
        if skip:
            print("ok %d - go%s: toolchain present # SKIP offline (%s missing)" % (n, v, go))
        else:
            print("not ok %d - go%s: toolchain present (%s missing: tools/go-toolchains.sh)"
                  % (n, v, go))
    print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
