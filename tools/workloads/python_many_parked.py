#!/usr/bin/env python3
"""python_many_parked: --threads N Python threads (default 1000), each
blocked forever in park_forever() -> threading.Event().wait(). For the cost
of the Python frame walk in tools/bench.sh. Prints READY when all parked."""
import argparse
import os
import signal
import threading
import time


def park_forever(started):
    started.release()
    threading.Event().wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1000)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.stack_size(256 * 1024)
    started = threading.Semaphore(0)
    for _ in range(a.threads):
        threading.Thread(target=park_forever, args=(started,), daemon=True).start()
    for _ in range(a.threads):
        started.acquire()
    time.sleep(0.3)
    print("READY", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
