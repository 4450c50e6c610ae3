#!/usr/bin/env python3
"""Put the SYNOPSIS and OPTIONS that `leaktrace --help-man` writes from the
option table (user/run/options.c) into dist/leaktrace.8, between its
`.\\" generated:NAME:begin` and `.\\" generated:NAME:end` markers.

    tools/gen-man.py [LEAKTRACE]          rewrite dist/leaktrace.8
    tools/gen-man.py --check [LEAKTRACE]  exit 1 and say so when it differs

tests/lint/test_docs.py runs the check."""
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PAGE = os.path.join(ROOT, "dist", "leaktrace.8")
SECTIONS = ("synopsis", "options")


def generated(leaktrace):
    """{"synopsis": roff, "options": roff} from the binary's own table."""
    out = subprocess.run([leaktrace, "--help-man"], capture_output=True, text=True,
                         check=True).stdout
    at = out.index(".SH OPTIONS\n")
    return {"synopsis": out[:at], "options": out[at:]}


def markers(name):
    return ('.\\" generated:%s:begin (tools/gen-man.py)\n' % name,
            '.\\" generated:%s:end\n' % name)


def splice(page, parts):
    """page with each marked section replaced by parts[name]."""
    for name in SECTIONS:
        begin, end = markers(name)
        a, b = page.find(begin), page.find(end)
        if a < 0 or b < a:
            raise ValueError("%s has no %s ... %s markers" % (PAGE, begin.strip(), end.strip()))
        page = page[:a + len(begin)] + parts[name] + page[b:]
    return page


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    leaktrace = args[0] if args else os.path.join(ROOT, "leaktrace")
    with open(PAGE) as f:
        page = f.read()
    new = splice(page, generated(leaktrace))
    if "--check" in sys.argv:
        if new != page:
            print("dist/leaktrace.8 differs from the option table: run tools/gen-man.py")
            sys.exit(1)
        return
    if new != page:
        with open(PAGE, "w") as f:
            f.write(new)


if __name__ == "__main__":
    main()
