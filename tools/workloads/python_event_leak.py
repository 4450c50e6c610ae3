#!/usr/bin/env python3
"""python_event_leak: one Python thread per "request", each waiting forever
on a threading.Event that is never set (a leak per request).

  ROLE main <tid>     main thread (sleeps in a loop, healthy)
  ROLE leak <tid>     one per request, thread name "request-<n>",
                      handle_request -> wait_for_reply -> Event().wait()
  READY               after the --requests initial threads are parked

Options: --requests N (initial requests, default 5), --every SEC (then one
more request every SEC seconds), --max N (cap, default 1000), --seconds SEC.
tids are threading.get_native_id() values (kernel tids).
"""
import argparse
import os
import signal
import sys
import threading
import time


def set_os_thread_name(name):
    """Best effort: make the kernel comm match the Python thread name."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def wait_for_reply(event):
    event.wait()  # never set


def handle_request(event, started, out):
    set_os_thread_name(threading.current_thread().name)
    out.append(threading.get_native_id())
    started.set()
    wait_for_reply(event)


def spawn(n):
    started = threading.Event()
    out = []
    t = threading.Thread(target=handle_request, name="request-%d" % n,
                         args=(threading.Event(), started, out), daemon=True)
    t.start()
    started.wait()
    print("ROLE leak %d" % out[0], flush=True)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=5)
    ap.add_argument("--every", type=float, default=0)
    ap.add_argument("--max", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=0)
    a = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    deadline = time.monotonic() + a.seconds if a.seconds > 0 else None

    print("ROLE main %d" % threading.get_native_id(), flush=True)
    n = 0
    for _ in range(min(a.requests, a.max)):
        n += 1
        spawn(n)
    time.sleep(0.2)
    print("READY", flush=True)

    nxt = time.monotonic() + a.every
    while True:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            sys.stdout.flush()
            os._exit(0)
        if a.every > 0 and n < a.max and now >= nxt:
            n += 1
            spawn(n)
            nxt += a.every
            continue
        step = 1.0
        if a.every > 0 and n < a.max:
            step = min(step, max(0.0, nxt - now))
        if deadline is not None:
            step = min(step, max(0.0, deadline - now))
        time.sleep(step)


if __name__ == "__main__":
    main()
