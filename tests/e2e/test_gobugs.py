#!/usr/bin/env python3
"""Goroutine leaks that happened before leaktrace attached (issue 18): the
corpus of tools/workloads/go/bugs, 33 blocking-bug patterns of real Go
projects and 34 healthy look-alikes, in the real kernel, as root. Prints TAP.

Each pattern runs in its own process until its bug has happened (or the
healthy program has settled) and prints its ground truth: the goroutines
parked at that moment, from its own runtime.Stack(all) dump. Then one
`leaktrace -p PIDS -t 2s -i 2s -d 8s -f json` per batch of processes reads
them all; the table gives, per pattern, the goroutines left parked (truth),
how many of them the final report lists, and the verdicts they got.

Checks:
* every goroutine a bug left blocked is in the final report (real check);
* a bug's blocked goroutines are all judged `leak` or `deadlock`, and no
  site of a look-alike is `stuck`, `leak` or `deadlock`: marked TAP TODO for
  the patterns today's rules get wrong (TODO_BUGS, TODO_HEALTHY), so the
  run shows them without failing; a TODO line that passes is to be unmarked.
Recall and false alarms are printed as figures, and how many bugs each rule
(reason) caught.

Environment: GO (default "go"); LEAKTRACE_GO_TOOLCHAINS="path/to/go ..."
runs the corpus again with binaries of other toolchains.
"""
import collections
import json
import os
import subprocess
import sys
import time

from ltlib import LEAKTRACE, ROOT, Tap, final_records, json_records

WL_SRC = os.path.join(ROOT, "tools", "workloads", "go")
BATCH = 23  # processes per leaktrace run: 67 patterns in 3 (goroutine tracing takes up to 64)
LT_ARGS = ["-t", "2s", "-i", "2s", "-d", "8s", "-f", "json"]
SEVERE = ("stuck", "leak", "deadlock")

# Patterns whose TODO check fails with today's verdict rules (measured:
# tests print the table); remove a name when a rule lands.
# conn_read_no_deadline: 20 clients read sockets whose peer (this same
# program, holding the accepted conns in a global) never writes; an IO
# wait can be woken by the peer at any time, so no proof can say "forever".
# The clients sent nothing, so no reply is owed (the peer rule needs a
# request sent and unanswered); from outside this is a keep-alive or a
# server-push subscriber at rest, which must stay idle (test_one_finding.py).
TODO_BUGS = {"conn_read_no_deadline"}
# Small bugs (1-5 goroutines) that only a reachability proof catches. Root
# stacks of parked goroutines are read by their stack maps (precise), heap
# objects conservatively: a lock allocated alone (an 8-byte sync.Mutex, no
# pointers) can share a 16-byte tiny-allocator block with a live object and
# look reachable, and then no proof is claimed (never a false one).
# Measured with stack maps over 5 runs (4 on go1.19.8, 1 on go1.27.3):
# 30-32/33 proven, the misses abba_mutex and wg_waiter_holds_lock (twice
# each); the bugs waiting on channels, conditions, RWMutexes and
# WaitGroups, TODO here while stacks were read conservatively (27/33
# proven), were proven in every run. Traced on a missed abba_mutex: a
# global points to the other object of the Mutex's tiny block
# (docs/reachability.md "Missed proofs"); Go's own detector marks so too.
PROOF_ONLY = {
    "abba_mutex", "abc_mutex_cycle", "mutex_chan_abba", "wg_waiter_holds_lock",
}
PROOF_REASON = "conservative marking can miss a proof (a Mutex in a shared tiny block)"
TODO_HEALTHY = set()
TODO_REASON = "no proof or fact tells it from a healthy look-alike (see TODO_BUGS)"


class Pattern:
    def __init__(self, binary, name):
        self.name = name
        self.proc = subprocess.Popen([binary, name], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        self.truth = None
        self.error = None

    def read_truth(self):
        """READY then the ground-truth JSON line (the program gives itself
        10 s to get there and exits 1 otherwise)."""
        ready = self.proc.stdout.readline().strip()
        if ready != "READY":
            self.error = "no READY: %r %s" % (ready, self.proc.stderr.read(300).strip())
            return
        self.truth = json.loads(self.proc.stdout.readline())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def list_patterns(binary):
    out = subprocess.check_output([binary, "-list"], text=True)
    return [line.split(None, 2) for line in out.splitlines()]


def run_batch(binary, names):
    """Start the batch, trace it once, stop it; returns (patterns, final
    records, leaktrace's stderr)."""
    pats = []
    try:
        for n in names:
            pats.append(Pattern(binary, n))
        for p in pats:
            p.read_truth()
        live = [p for p in pats if p.truth is not None]
        if not live:
            return pats, [], "no pattern got ready"
        pids = ",".join(str(p.pid) for p in live)
        r = subprocess.run([LEAKTRACE, "-p", pids] + LT_ARGS, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        recs = final_records(json_records(r.stdout)) if r.returncode == 0 else []
        return pats, recs, "" if r.returncode == 0 else "rc %d: %s" % (r.returncode, r.stderr[-300:])
    finally:
        for p in pats:
            p.stop()


class Outcome:
    """What leaktrace said about one pattern's process."""

    def __init__(self, pat, recs):
        self.pat = pat
        pid = pat.pid
        truth = pat.truth["parked"] if pat.truth else []
        self.truth_goids = {g["goid"] for g in truth}
        gor = {r["goid"]: r for r in recs if r.get("type") == "goroutine" and r["pid"] == pid}
        self.found = self.truth_goids & set(gor)
        self.verdicts = collections.Counter(gor[g]["verdict"] for g in self.found)
        self.sites = [r for r in recs if r.get("type") == "site" and r["pid"] == pid]
        self.truth_sites = [s for s in self.sites if s.get("kind") == "goroutine"
                            and self.truth_goids & set(s.get("goids", []))]
        self.proofs = sorted({s.get("evidence", {}).get("proof") or "shape"
                              for s in self.truth_sites})

    def missing(self):
        return sorted(self.truth_goids - self.found)

    def all_leak_or_deadlock(self):
        return bool(self.found) and set(self.verdicts) <= {"leak", "deadlock"} \
            and self.found == self.truth_goids

    def severe_sites(self):
        return [s for s in self.sites if s["verdict"] in SEVERE]

    def verdict_text(self):
        return " ".join("%s:%d" % kv for kv in sorted(self.verdicts.items())) or "-"

    def reasons(self):
        return sorted({"%s (%s)" % (s["verdict"], s["reason"]) for s in self.truth_sites})


def check_toolchain(t, binary, tag):
    listed = list_patterns(binary)
    kinds = {n: k for n, k, _ in listed}
    names = [n for n, _, _ in listed]
    # mix bugs and look-alikes in each batch: the same load for both
    order = {n: i for i, n in enumerate(names)}
    names.sort(key=lambda n: (order[n] % 3, n))
    outcomes = []
    for i in range(0, len(names), BATCH):
        start = time.time()
        pats, recs, err = run_batch(binary, names[i:i + BATCH])
        t.diag("%s batch of %d: %.1fs" % (tag, len(pats), time.time() - start))
        for p in pats:
            if p.error or err:
                t.ok(False, "%s %s: ran and was traced" % (tag, p.name), p.error or err)
                continue
            outcomes.append(Outcome(p, recs))
    outcomes.sort(key=lambda o: (kinds[o.pat.name] != "bug", o.pat.name))
    print_table(t, tag, outcomes, kinds)
    recall = found_all = bugs = alarms = alarms_ld = healthy_n = 0
    for o in outcomes:
        name = o.pat.name
        if kinds[name] == "bug":
            bugs += 1
            ok = not o.missing()
            found_all += ok
            t.ok(ok, "%s %s: all %d blocked goroutines found" % (tag, name, len(o.truth_goids)),
                 "missing goids: %s" % o.missing()[:20])
            judged = o.all_leak_or_deadlock()
            recall += judged
            t.ok(judged, "%s %s: blocked goroutines judged leak or deadlock (got %s)"
                 % (tag, name, o.verdict_text()), None,
                 TODO_REASON if name in TODO_BUGS else
                 PROOF_REASON if name in PROOF_ONLY and not judged else None)
        else:
            healthy_n += 1
            severe = o.severe_sites()
            alarms += bool(severe)
            alarms_ld += any(s["verdict"] in ("leak", "deadlock") for s in severe)
            t.ok(not severe, "%s %s: no site stuck, leak or deadlock" % (tag, name),
                 "\n".join("%s %s %s: %s" % (s["kind"], s["site"], s["verdict"], s["reason"])
                           for s in severe),
                 TODO_REASON if name in TODO_HEALTHY else None)
    proven = sum(1 for o in outcomes if kinds[o.pat.name] == "bug" and o.all_leak_or_deadlock()
                 and o.proofs and "shape" not in o.proofs)
    t.diag("%s figures: bugs judged with a proof (reachability or wait reason) %d/%d"
           % (tag, proven, bugs))
    rules = collections.Counter(r for o in outcomes if kinds[o.pat.name] == "bug"
                                and o.all_leak_or_deadlock() for r in o.reasons())
    for reason, n in sorted(rules.items(), key=lambda kv: -kv[1]):
        t.diag("%s bugs caught by %s: %d" % (tag, reason, n))
    t.diag("%s figures: blocked goroutines all found in %d/%d bugs; recall (bugs judged leak "
           "or deadlock) %d/%d; false alarms (look-alikes with a stuck/leak/deadlock site) "
           "%d/%d, of which leak/deadlock %d" % (tag, found_all, bugs, recall, bugs, alarms,
                                                 healthy_n, alarms_ld))


def print_table(t, tag, outcomes, kinds):
    t.diag("%s: pattern | kind | parked (ground truth) | found | verdicts of those | proof | sites"
           % tag)
    for o in outcomes:
        t.diag("  %-26s %-7s %5d %5d  %-22s %-14s %s" % (
            o.pat.name, kinds[o.pat.name], len(o.truth_goids), len(o.found), o.verdict_text(),
            ",".join(o.proofs) or "-", "; ".join(o.reasons())))


def build(go, outdir):
    env = dict(os.environ, GO=go)
    subprocess.run(["make", "-s", "-C", ROOT, "leaktrace"], check=True)
    subprocess.run([os.path.join(WL_SRC, "build.sh"), outdir, "bugs"], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def main():
    t = Tap()
    if os.geteuid() != 0:
        t.ok(False, "needs root (loads BPF programs)")
        t.done()
    variants = [(os.environ.get("GO", "go"), os.path.join(ROOT, ".output", "go-workloads"))]
    for i, go in enumerate(os.environ.get("LEAKTRACE_GO_TOOLCHAINS", "").split()):
        variants.append((go, os.path.join(ROOT, ".output", "go-workloads-%d" % i)))
    for go, outdir in variants:
        try:
            start = time.time()
            build(go, outdir)
            t.diag("%s: built in %.1fs" % (go, time.time() - start))
            version = subprocess.check_output([go, "version"], text=True).split()[2]
            check_toolchain(t, os.path.join(outdir, "bugs"), version)
        except Exception as e:  # a crash fails this toolchain, not the run
            t.ok(False, "%s: corpus ran: %s" % (go, e))
    t.done()


if __name__ == "__main__":
    sys.exit(main())
