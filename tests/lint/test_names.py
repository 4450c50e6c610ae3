#!/usr/bin/env python3
"""Methods are named object__verb: no exported function of user/ is named
obj_verb beside obj__ methods (tools/check-names.sh), and the checker finds
one planted in a temp tree. TAP."""
import os
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "tools", "check-names.sh")


def run(*args):
    return subprocess.run([CHECK, *args], capture_output=True, text=True)


tests = []
p = run()
bad = [l for l in p.stdout.splitlines() if not l.startswith("names: ")]
tests.append((not bad, "every method in user/ is object__verb%s" %
              ("" if not bad else ": " + ", ".join(bad[:5]))))
tests.append(((p.returncode == 0) == (not bad),
              "check-names.sh exits 0 exactly when there is none (rc %d)" % p.returncode))

with tempfile.TemporaryDirectory(prefix="lt-names-") as d:
    with open(os.path.join(d, "planted.c"), "w") as f:
        f.write("struct peer_finder *peer_finder__new(void)\n{\n\treturn 0;\n}\n\n"
                "int peer_finder_collect(struct peer_finder *f)\n{\n\treturn 0;\n}\n\n"
                "static int peer_finder_helper(void)\n{\n\treturn 0;\n}\n\n"
                "int peer_table_read(void)\n{\n\treturn 0;\n}\n")
    q = run(d)
    flagged = [l for l in q.stdout.splitlines() if not l.startswith("names: ")]
tests.append((q.returncode == 1 and len(flagged) == 1 and
              flagged[0].endswith("planted.c:6: peer_finder_collect (object peer_finder has "
                                  "peer_finder__ methods)"),
              "a planted peer_finder_collect beside peer_finder__new is reported with "
              "file:line; a static helper and another object are not (%s)" % "; ".join(flagged)))

print("1..%d" % len(tests))
for i, (ok, what) in enumerate(tests, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
