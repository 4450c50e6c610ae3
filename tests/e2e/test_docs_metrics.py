#!/usr/bin/env python3
"""End-to-end: every metric leaktrace serves on /metrics is documented, with
its type, in docs/fleet.md's metrics table and in the man page's METRICS, and
nothing documented is missing from what it serves. Names come from the
`# TYPE` lines of a real scrape (every family has one, series or not). TAP."""
import os
import re
import subprocess

from ltlib import LEAKTRACE, ROOT, Tap, Workload, free_port, http_get, leftovers, stop, wait_for

t = Tap()


def served(port):
    """{name: type} of one scrape after the first report, or None."""
    def scrape():
        try:
            status, body = http_get("http://127.0.0.1:%d/metrics" % port, timeout=3)
        except OSError:        # not listening yet
            return None
        text = body.decode("utf-8", "replace") if status == 200 else ""
        if not re.search(r"^leaktrace_reports_total [1-9]", text, re.M):
            return None
        return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    return wait_for(scrape, 20, step=0.5)


def documented_fleet():
    """{name: type} of the metrics table of docs/fleet.md (`| metric | type | ...`)."""
    with open(os.path.join(ROOT, "docs", "fleet.md")) as f:
        md = f.read()
    out = {}
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`((?:leaktrace|process)_\w+)`", cells[0])
        types = [x.strip() for x in cells[1].split(",")]
        if not names or not all(x in ("gauge", "counter") for x in types):
            continue
        for i, n in enumerate(names):
            out[n] = types[i] if len(types) == len(names) else types[0]
    return out


def documented_man():
    """Names in the man page's METRICS section (.B and .BR lines)."""
    with open(os.path.join(ROOT, "dist", "leaktrace.8")) as f:
        roff = f.read()
    a = roff.index(".SH METRICS")
    b = roff.index("\n.SH ", a + 1)
    names = set()
    for line in roff[a:b].splitlines():
        if line.startswith(".B ") or line.startswith(".BR "):
            names.update(re.findall(r"\b((?:leaktrace|process)_\w+)", line.replace("\\", "")))
    return names


def main():
    w = Workload(["leaky"])
    port = free_port()
    lt = subprocess.Popen([LEAKTRACE, "-p", str(w.pid), "-t", "1s", "-i", "1s",
                           "--prometheus", "127.0.0.1:%d" % port, "--min-verdict", "deadlock"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        got = served(port)
    finally:
        rc, _, err = stop(lt)
        w.stop()
    t.ok(bool(got) and len(got) > 20, "a scrape after the first report names %d metric families"
         % len(got or {}), err[-2000:])
    got = got or {}
    docs = documented_fleet()
    missing = sorted(set(got) - set(docs))
    t.ok(not missing, "every served metric is in docs/fleet.md's table (%d there)" % len(docs),
         "undocumented: " + ", ".join(missing))
    gone = sorted(set(docs) - set(got))
    t.ok(not gone, "every metric of docs/fleet.md's table is served", "not served: " + ", ".join(gone))
    wrong = ["%s: served %s, documented %s" % (n, got[n], docs[n]) for n in sorted(got)
             if n in docs and docs[n] != got[n]]
    t.ok(not wrong, "docs/fleet.md gives each its served type", "\n".join(wrong))
    man = documented_man()
    d = sorted(set(got) ^ man)
    t.ok(not d, "the man page's METRICS names the same %d metrics" % len(man),
         "differ: " + ", ".join(d))
    t.ok(leftovers() == [], "nothing left loaded after SIGTERM (exit %s)" % rc, leftovers())


main()
t.done()
