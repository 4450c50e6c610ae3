#!/usr/bin/env python3
"""No function in user/ is over 80 lines (tools/check-functions.sh), and the
checker finds one that is: a planted tree with an 81-line function, an
80-line one and a struct initializer that only looks like one. TAP."""
import os
import re
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "tools", "check-functions.sh")


def run(*args):
    return subprocess.run([CHECK, *args], capture_output=True, text=True)


def function(name, lines):
    # signature + "{" + body + "}" = lines
    body = "".join("\tx += %d;\n" % i for i in range(lines - 3))
    return "static int %s(int x)\n{\n%s}\n\n" % (name, body)


tests = []
p = run("--stats")
over = [l for l in p.stdout.splitlines() if re.search(r": \S+ \d+ lines$", l)]
stats = [l for l in p.stdout.splitlines() if l.startswith("functions: ") and "median" in l]
tests.append((not over, "no function in user/ over 80 lines outside the allowlist%s" %
              ("" if not over else ": " + ", ".join(over[:5]))))
tests.append(((p.returncode == 0) == (not over),
              "check-functions.sh exits 0 exactly when there is none (rc %d)" % p.returncode))
print("# " + (stats[0] if stats else "no statistics line"))

with tempfile.TemporaryDirectory(prefix="lt-functions-") as d:
    with open(os.path.join(d, "planted.c"), "w") as f:
        f.write(function("long_one", 81))
        f.write(function("just_fits", 80))
        f.write("static const int table[] = {\n" + "\t1,\n" * 100 + "};\n")
    q = run("--stats", d)
    flagged = [l for l in q.stdout.splitlines() if " lines" in l and not l.startswith("functions")]
tests.append((q.returncode == 1 and len(flagged) == 1 and
              re.search(r"planted\.c:1: long_one 81 lines$", flagged[0]) is not None,
              "a planted 81-line function is reported with file:line and length, "
              "the 80-line one and the initializer are not (%s)" % "; ".join(flagged)))
tests.append(("functions: 2, median 80, p90 81, max 81 lines, 1 over 80" in q.stdout,
              "the distribution of the planted tree is counted"))

print("1..%d" % len(tests))
for i, (ok, what) in enumerate(tests, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
