#!/usr/bin/env python3
"""End-to-end: a target's symbol names and thread names are the target's
to choose (docs/security.md "Threat model"); no output carries their control bytes
raw (issue 22). A C program whose parking function is renamed with
objcopy --redefine-sym to terminal escapes, a newline, ';' and '"', its
process and thread named with escapes too: text, folded, JSON, pprof,
syslog and /metrics hold no ESC (0x1b) nor any other control byte, and the
escaped name is still there to read."""
import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from ltlib import (LEAKTRACE, SyslogSink, Tap, Workload, free_port, http_get, leftovers,
                   promtool_check, reports_in, stop, wait_for)

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-escaping-")
EVIL_SYM = b'\x1b[31mevil\x1b[0m\n;"x'
PROC_NAME = b"\x1b[31mPROC\x1b[0m"     # at most 15 bytes: a comm
THREAD_NAME = b"\x1b[32mTHR\x1b[0m"
# the program's own name for the function, renamed after linking
SOURCE = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int started;

__attribute__((noinline)) void evil_park(void)
{
	pthread_mutex_lock(&mu);
	started = 1;
	for (;;)
		pthread_cond_wait(&cv, &mu);
}

static void *worker(void *arg)
{
	prctl(PR_SET_NAME, "%(thread)s");
	printf("ROLE evil %%d\n", gettid());
	fflush(stdout);
	evil_park();
	return arg;
}

int main(void)
{
	pthread_t t;

	prctl(PR_SET_NAME, "%(proc)s");
	pthread_create(&t, NULL, worker, NULL);
	while (!started)
		usleep(10000);
	usleep(50000);
	printf("READY\n");
	fflush(stdout);
	for (;;)
		pause();
}
"""


def c_string(b):
    return "".join("\\x%02x" % c if c < 0x20 or c >= 0x7f or c in b'"\\' else chr(c) for c in b)


def build():
    src = os.path.join(TMP, "evil.c")
    exe = os.path.join(TMP, "evil")
    with open(src, "w") as f:
        f.write(SOURCE % {"thread": c_string(THREAD_NAME), "proc": c_string(PROC_NAME)})
    # no -g: the name comes from the symbol table, which objcopy rewrites
    subprocess.run(["cc", "-O1", "-fno-omit-frame-pointer", "-o", exe, src, "-lpthread"], check=True)
    subprocess.run(["objcopy", b"--redefine-sym=evil_park=" + EVIL_SYM, exe], check=True)
    syms = subprocess.run(["nm", exe], capture_output=True).stdout
    return exe, EVIL_SYM in syms


def controls(data, utf8=True):
    """Offsets of control bytes: C0 but newline, DEL, C1 (raw, or
    U+0080..U+009F in UTF-8)."""
    bad = [i for i, c in enumerate(data) if (c < 0x20 and c != 0x0a) or c == 0x7f]
    if utf8:
        bad += [m.start() for m in re.finditer(rb"\xc2[\x80-\x9f]", data)]
    else:
        bad += [i for i, c in enumerate(data) if 0x80 <= c <= 0x9f]
    return bad


def no_controls(what, data, utf8=True):
    bad = controls(data, utf8)
    t.ok(not bad, "%s: no raw control byte (%d bytes)" % (what, len(data)),
         [data[max(0, i - 20):i + 20] for i in bad[:5]])


def text_escaped(b):
    """ESCAPE_TEXT / syslog: printable ASCII, \\ doubled, the rest \\xNN."""
    return "".join("\\\\" if c == 0x5c else chr(c) if 0x20 <= c < 0x7f else "\\x%02x" % c
                   for c in b)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root")
        return
    exe, renamed = build()
    t.ok(renamed, "objcopy --redefine-sym put the escapes in the symbol table")
    w = Workload([exe])
    tid = w.tid("evil")
    pid = str(w.pid)
    sink = SyslogSink(TMP)
    port = free_port()
    out = os.path.join(TMP, "out.jsonl")
    try:
        time.sleep(1.2)
        p = subprocess.run([LEAKTRACE, "-p", pid, "-t", "1s", "-d", "2s", "-i", "1s"],
                           capture_output=True, timeout=60)
        text = p.stdout
        t.ok(p.returncode == 0, "text run exits 0", p.stderr)
        p = subprocess.run([LEAKTRACE, "-p", pid, "-t", "1s", "-d", "1s", "-f", "folded"],
                           capture_output=True, timeout=60)
        folded = p.stdout
        pprof = os.path.join(TMP, "evil.pb.gz")
        p = subprocess.run([LEAKTRACE, "-p", pid, "-t", "1s", "-d", "1s", "-f", "pprof", "-o", pprof],
                           capture_output=True, timeout=60)
        t.ok(p.returncode == 0, "pprof run exits 0", p.stderr)
        lt = subprocess.Popen(sink.wrap([LEAKTRACE, "-p", pid, "-t", "1s", "-i", "1s", "-f", "json",
                                         "-o", out, "--syslog", "--prometheus",
                                         "127.0.0.1:%d" % port]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        wait_for(lambda: reports_in(out) >= 2, 20)
        status, metrics = http_get("http://127.0.0.1:%d/metrics" % port)
    finally:
        w.stop()
    rc, _, err = stop(lt, sig=0, timeout=30)
    t.ok(rc == 0, "JSON + syslog + prometheus run exits 0 when the process is gone", err)
    msgs = sink.messages()

    # text: the site's "at FRAME" line and the stack, names in the table
    no_controls("text", text, utf8=False)
    sym = text_escaped(EVIL_SYM)
    # the headline is the culprit frame: its function, no offset (docs/frames.md)
    at = [l for l in text.decode("ascii", "replace").splitlines()
          if " at " + sym + ":" in l or " at " + sym + " (" in l]
    t.ok(bool(at), "text: the site line reads 'at %s'" % sym, text.decode("ascii", "replace")[-1500:])
    t.ok(("<- " + sym + "+0x").encode() in text, "text: the stack shows the escaped frame")
    t.ok(("PID %s %s" % (pid, text_escaped(PROC_NAME))).encode() in text and
         text_escaped(THREAD_NAME).encode() in text, "text: process and thread names escaped")

    # folded: one line per site, "frames VALUE", the frame's ';' escaped
    no_controls("folded", folded)
    lines = folded.decode("utf-8").splitlines()
    want = "\\x1b[31mevil\\x1b[0m\\x0a\\x3b\"x"
    t.ok(any(re.fullmatch(r"[^ ]+ \d+", l) and (";" + want + ";") in l for l in lines),
         "folded: the frame is one ';'-separated field %r" % want, lines)

    # pprof: its strings (gzip, protobuf: the framing is binary, the
    # strings are not), the escaped name among them
    raw = gzip.open(pprof).read() if os.path.exists(pprof) else b""
    t.ok(b"\x1b[3" not in raw and b"\\x1b[31mevil\\x1b[0m\\x0a;\"x" in raw,
         "pprof: no raw escape sequence, the function name as text \\xNN", raw[:200])

    # JSON: parses, ESC as \u001b, the name round-trips
    data = open(out, "rb").read()
    no_controls("JSON", data)
    recs = [json.loads(l) for l in data.splitlines() if l.strip()]
    mine = [r for r in recs if r.get("type") == "thread" and r.get("tid") == tid]
    frames = mine[0].get("user_stack", []) if mine else []
    t.ok(any(f.startswith(EVIL_SYM.decode() + "+0x") for f in frames) and
         b"\\u001b[31mevil\\u001b[0m\\n;\\\"x" in data,
         "JSON: the frame escaped as \\u001b... and decodes to the symbol's bytes", frames)
    t.ok(mine and mine[0]["thread"] == THREAD_NAME.decode() and mine[0]["comm"] == PROC_NAME.decode(),
         "JSON: thread and process names round-trip", mine[:1])

    # syslog: printable ASCII lines, names as \xNN
    t.ok(bool(msgs) and all(all(0x20 <= b < 0x7f for b in m.rstrip(b"\n")) for m in msgs),
         "syslog: %d messages, each one line of printable ASCII" % len(msgs), msgs[:5])
    t.ok(any(('thread="%s"' % text_escaped(THREAD_NAME)).encode() in m for m in msgs),
         "syslog: the thread name escaped", msgs[:5])

    # /metrics: valid exposition, the comm label without a raw ESC
    no_controls("/metrics", metrics)
    rc, msg = promtool_check(metrics)
    t.ok(status == 200 and rc == 0, "promtool check metrics accepts it", msg)
    label = 'comm="%s"' % text_escaped(PROC_NAME).replace("\\", "\\\\")
    t.ok(label.encode() in metrics, "/metrics: label %s" % label, metrics[:600])
    t.ok(not leftovers(), "no BPF program or map left behind")
    shutil.rmtree(TMP, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
