#!/usr/bin/env python3
"""python_pool: HEALTHY.  A concurrent.futures.ThreadPoolExecutor with
max_workers=4 whose workers sit idle (blocked on the work queue) after a few
initial jobs.  Idle pool threads must never be called a leak.

  ROLE main <tid>    main thread (sleeps in a loop)
  ROLE pool <tid>    x4, the executor's worker threads ("pool_0".."pool_3")
  READY              once all 4 workers exist and went idle

Each worker's tid is learned by submitting one job per worker that waits
on a barrier (so all 4 threads really get created) and returns
threading.get_native_id().

Options: --workers N (4), --jobs N (initial extra jobs, default 8),
--every SEC (submit one tiny job every SEC seconds, default off),
--seconds SEC.
"""
import argparse
import concurrent.futures
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


def report_tid(barrier):
    set_os_thread_name(threading.current_thread().name)
    barrier.wait(timeout=30)
    return threading.get_native_id()


def tiny_job(n):
    return sum(i * n for i in range(1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--every", type=float, default=0)
    ap.add_argument("--seconds", type=float, default=0)
    a = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    deadline = time.monotonic() + a.seconds if a.seconds > 0 else None

    print("ROLE main %d" % threading.get_native_id(), flush=True)
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=a.workers,
                                               thread_name_prefix="pool")
    barrier = threading.Barrier(a.workers)
    futs = [ex.submit(report_tid, barrier) for _ in range(a.workers)]
    tids = sorted({f.result() for f in futs})
    for tid in tids:
        print("ROLE pool %d" % tid, flush=True)
    for f in [ex.submit(tiny_job, i) for i in range(a.jobs)]:
        f.result()
    time.sleep(0.2)
    print("READY", flush=True)

    n = 0
    while True:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            sys.stdout.flush()
            os._exit(0)
        step = a.every if a.every > 0 else 1.0
        if deadline is not None:
            step = min(step, max(0.0, deadline - now))
        time.sleep(step)
        if a.every > 0:
            n += 1
            ex.submit(tiny_job, n)


if __name__ == "__main__":
    main()
