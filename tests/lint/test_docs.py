#!/usr/bin/env python3
"""The documentation says what the binary does: the man page's SYNOPSIS and
OPTIONS are what `leaktrace --help-man` writes from the option table
(user/run/options.c, tools/gen-man.py), and --help, the man page and
README's option table name the same options with the same arguments. TAP.
(The metrics are checked against docs/fleet.md by tests/e2e/test_docs_metrics.py:
serving them needs root.)"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEAKTRACE = os.path.join(ROOT, "leaktrace")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location("gen_man", os.path.join(ROOT, "tools", "gen-man.py"))
gen_man = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_man)

n = 0


def ok(cond, name, diag=None):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond and diag:
        for line in str(diag).splitlines()[:40]:
            print("#   " + line)


def from_help(text):
    """{long: (short, arg)} of argp's --help."""
    opts = {}
    for m in re.finditer(r"^ {2,}(?:-(\w), )?--([a-z][\w-]*)(?:=(\S+))?", text, re.M):
        opts[m.group(2)] = (m.group(1), m.group(3))
    return opts


def from_man(roff):
    """{long: (short, arg)} of the .TP headings of the man page's OPTIONS."""
    a = roff.find(".SH OPTIONS")
    b = roff.find("\n.SH ", a + 1)
    opts = {}
    lines = roff[a:b].splitlines()
    for i, line in enumerate(lines[:-1]):
        if line != ".TP":
            continue
        head = lines[i + 1].replace("\\-", "-")
        m = re.match(r"^(?:\\fB-(\w)\\fR, )?\\fB--([\w-]+)\\fR(?: \\fI(.+?)\\fR)?$", head)
        if m:
            opts[m.group(2)] = (m.group(1), m.group(3))
        else:
            opts["unparsed: " + head] = (None, None)
    return opts


def from_readme(md):
    """{long: (short, arg)} of the first column of README's option table (Usage)."""
    a = md.find("\n## Usage")
    b = md.find("\n## ", a + 1)
    opts = {}
    for line in md[a:b].splitlines():
        if not line.startswith("| `-"):
            continue
        first = line.split(" | ")[0].replace("\\|", "|")
        for span in re.findall(r"`([^`]+)`", first):
            m = re.match(r"^(?:-(\w), )?--([\w-]+)(?: (\S+))?$", span)
            if m:
                opts[m.group(2)] = (m.group(1), m.group(3))
            else:
                opts["unparsed: " + span] = (None, None)
    return opts


def differences(want, got):
    out = []
    for k in sorted(set(want) | set(got)):
        if k not in got:
            out.append("missing: --%s" % k)
        elif k not in want:
            out.append("not in the table: --%s" % k)
        elif want[k] != got[k]:
            out.append("--%s: table %s, here %s" % (k, want[k], got[k]))
    return out


def main():
    print("1..6")
    if not os.access(LEAKTRACE, os.X_OK):
        for name in ("man page generated", "help", "man", "README", "README length", "docs linked"):
            ok(False, "%s: ./leaktrace is not built (make)" % name)
        return
    with open(gen_man.PAGE) as f:
        page = f.read()
    gen = gen_man.generated(LEAKTRACE)
    try:
        fresh = gen_man.splice(page, gen)
    except ValueError as e:
        fresh = str(e)
    ok(fresh == page, "dist/leaktrace.8's SYNOPSIS and OPTIONS are the option table's "
       "(tools/gen-man.py)", "run tools/gen-man.py")
    table = from_man(gen["options"])
    help_text = subprocess.run([LEAKTRACE, "--help"], capture_output=True, text=True).stdout
    d = differences(table, from_help(help_text))
    ok(not d and len(table) > 30, "--help names the table's %d options with their arguments"
       % len(table), "\n".join(d))
    d = differences(table, from_man(page))
    ok(not d, "the man page names the same options", "\n".join(d))
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    d = differences(table, from_readme(readme))
    ok(not d, "README's option table (Usage) names the same options with the same arguments",
       "\n".join(d))
    lines = readme.count("\n")
    ok(lines <= 300, "README.md is short: %d lines (the rest is in docs/)" % lines)
    pages = sorted(os.path.basename(p) for p in os.listdir(os.path.join(ROOT, "docs"))
                   if p.endswith(".md"))
    unlinked = [p for p in pages if "](docs/%s" % p not in readme]
    ok(pages and not unlinked, "README links every page of docs/ (%d)" % len(pages),
       "not linked: " + ", ".join(unlinked))


main()
