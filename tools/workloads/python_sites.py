#!/usr/bin/env python3
"""python_sites: two different Python call sites that each leak threads, a
healthy idle pool and a sleeper, for checking Python frames in user stacks
on every CPython from 3.9 (no syntax newer than 3.9 here).

  ROLE event <tid>    handle_order -> wait_for_payment -> Event().wait()   (leaks)
  ROLE queue <tid>    handle_upload -> wait_for_chunk -> Queue().get()     (leaks)
  ROLE pool <tid>     ThreadPoolExecutor workers, idle on their work queue
  ROLE sleeper <tid>  nap -> time.sleep(3600)
  ROLE main <tid>
  (threads of ROLE event, queue and sleeper are named "sites-ROLE-thread")
  LINE <site> <n>     line of the blocking call of each site in this file
  READY               after the first threads of each kind are parked

Options: --every SEC (one more thread at both leak sites every SEC, up to
--max each), --initial N (threads per leak site before READY, default 2).
"""
import argparse
import concurrent.futures
import os
import queue
import signal
import threading
import time


def wait_for_payment(ev):
    ev.wait()  # LINE event


def handle_order(started, out):
    out.append(threading.get_native_id())
    started.set()
    wait_for_payment(threading.Event())


def wait_for_chunk(q):
    q.get()  # LINE queue


def handle_upload(started, out):
    out.append(threading.get_native_id())
    started.set()
    wait_for_chunk(queue.Queue())


def nap(started, out):
    out.append(threading.get_native_id())
    started.set()
    time.sleep(3600)  # LINE sleeper


THREAD_NAME = "sites-%s-thread"  # longer than a comm (15 bytes): not cut


def spawn(role, target):
    started, out = threading.Event(), []
    threading.Thread(target=target, args=(started, out), daemon=True,
                     name=THREAD_NAME % role).start()
    started.wait()
    print("ROLE %s %d" % (role, out[0]), flush=True)


def pool_tid():
    return threading.get_native_id()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=float, default=0)
    ap.add_argument("--max", type=int, default=50)
    ap.add_argument("--initial", type=int, default=2)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    with open(__file__) as f:
        for n, line in enumerate(f, 1):
            if "# LINE " in line and "print" not in line:
                print("LINE %s %d" % (line.split("# LINE ")[1].strip(), n), flush=True)
    print("ROLE main %d" % threading.get_native_id(), flush=True)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    barrier = threading.Barrier(2)
    tids = {f.result() for f in [pool.submit(lambda: (barrier.wait(10), pool_tid())[1])
                                 for _ in range(2)]}
    for tid in sorted(tids):
        print("ROLE pool %d" % tid, flush=True)
    spawn("sleeper", nap)
    n = 0
    for _ in range(a.initial):
        spawn("event", handle_order)
        spawn("queue", handle_upload)
        n += 1
    time.sleep(0.2)
    print("READY", flush=True)
    while True:
        time.sleep(a.every if a.every > 0 else 1)
        if a.every > 0 and n < a.max:
            spawn("event", handle_order)
            spawn("queue", handle_upload)
            n += 1


if __name__ == "__main__":
    main()
