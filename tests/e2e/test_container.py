#!/usr/bin/env python3
"""A real container: Debian's podman runs a leaking workload in an image
imported from a local root filesystem (busybox-static and a static build of
tools/workloads/leaky.c, no registry), and leaktrace must name the
container (container_id, container_runtime) in JSON, label its Prometheus
series with it (promtool accepts them), and trace it, and a process started
in it after leaktrace, with --container ID-PREFIX, and nothing else.

If podman cannot start a container here, the test says so and fails,
unless LEAKTRACE_NO_CONTAINER_RUNTIME=1 says that the machine has none."""
import os
import shutil
import subprocess
import tempfile
import time

from ltlib import (LEAKTRACE, Tap, Workload, free_port, http_get, json_records, leftovers,
                   promtool_check, reports_in, stop, wait_for)
from podmanlib import RUN_LIMITS, Podman, busybox_rootfs

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-container-")
NAME = "lt-idtest-%d" % os.getpid()
IMAGE = "localhost/%s" % NAME
NO_RUNTIME = os.environ.get("LEAKTRACE_NO_CONTAINER_RUNTIME") == "1"
RUN_FLAGS = ["--network", "none"] + RUN_LIMITS
podman = Podman(TMP)


def start_container(rootfs):
    """(container id, host pid of its leaky) or raise with podman's reason."""
    podman.import_rootfs(rootfs, IMAGE)
    rc, out, err = podman("run", "-d", "--name", NAME, *RUN_FLAGS, IMAGE, "/leaky", "--exiters",
                          "0", timeout=120)
    if rc:
        raise RuntimeError("podman run failed: %s" % err[-300:])
    cid = out.splitlines()[-1]
    pid = podman.host_pid(NAME)
    # READY is printed once the leaking threads are parked
    wait_for(lambda: "READY" in podman("logs", NAME)[1], 15)
    return cid, pid


def parked_processes(path):
    """Processes with parked threads in the last complete report."""
    try:
        recs = json_records(open(path).read())
    except (OSError, ValueError):
        return 0
    n = cur = 0
    for r in recs:
        if r.get("type") == "summary" and r["parked"]:
            cur += 1
        elif r.get("type") == "report":
            n, cur = cur, 0
    return n


def check_container(cid, pid):
    outside = Workload(["leaky", "--exiters", "0"])
    out = os.path.join(TMP, "container.jsonl")
    port = free_port()
    lt = subprocess.Popen([LEAKTRACE, "--container", cid[:12], "-t", "1s", "-i", "1s",
                           "-f", "json", "-o", out, "--prometheus", "127.0.0.1:%d" % port],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    late_pid = None
    body, status = b"", 0
    try:
        wait_for(lambda: reports_in(out) >= 1, 20)
        # a process started in the container after leaktrace
        rc, _, err = podman("exec", "-d", NAME, "/leaky", "--exiters", "0")
        t.ok(rc == 0, "podman exec starts a second leaky in the container", err)
        wait_for(lambda: parked_processes(out) >= 2, 20)
        status, body = http_get("http://127.0.0.1:%d/metrics" % port)
    finally:
        rc, _, err = stop(lt, timeout=60)
        outside.stop()
    t.ok(rc == 0, "leaktrace --container %s exits 0" % cid[:12], err)
    recs = json_records(open(out).read())
    summ = {r["pid"]: r for r in recs if r.get("type") == "summary"}
    t.diag("traced pids %s, container's leaky %d" % (sorted(summ), pid))
    mine = summ.get(pid, {})
    t.ok(mine.get("container_id") == cid and mine.get("container_runtime") == "podman",
         "summary of the container's leaky: container_id %s..., container_runtime podman" % cid[:12],
         mine)
    t.ok(mine.get("cgroup", "").endswith("/libpod-%s" % cid),
         "its cgroup is libpod_parent/libpod-ID (cgroupfs manager)", mine.get("cgroup"))
    threads = [r for r in recs if r.get("type") == "thread" and r["pid"] == pid]
    condvar = [r for r in threads if r["thread"] == "leak-condvar"]
    t.ok(bool(condvar) and all(r["container_id"] == cid for r in threads) and
         any("leak_condvar_worker" in f for f in condvar[-1].get("user_stack", [])),
         "the container's parked leak-condvar thread: container_id, stack in leak_condvar_worker",
         condvar[-1:] or threads[:1])
    late = [p for p in summ if p not in (pid,)]
    t.ok(len(late) == 1 and summ[late[0]]["container_id"] == cid,
         "the process exec'd into the container after leaktrace is traced", sorted(summ))
    t.ok(outside.pid not in summ, "a leaky outside the container is not traced")

    rc, msg = promtool_check(body)
    t.ok(status == 200 and rc == 0, "promtool check metrics accepts the exposition", msg)
    text = body.decode("utf-8")
    series = ('leaktrace_live_threads{comm="leaky-main",unit="",container_id="%s",pod_uid=""} 14\n'
              % cid)
    t.ok(series in text and "pid=" not in text,
         "one Prometheus series for the container's two leaky processes, labelled by "
         "container_id, no pid", text[:2500])


def main():
    try:
        rootfs = os.path.join(TMP, "rootfs")
        err = busybox_rootfs(rootfs, "leaky")
        cid = pid = None
        if not err:
            t0 = time.monotonic()
            try:
                cid, pid = start_container(rootfs)
                t.diag("container %s (host pid %d) up in %.1f s" % (cid[:12], pid,
                                                                     time.monotonic() - t0))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                err = str(e)
        if err:
            if NO_RUNTIME:
                t.ok(True, "# SKIP no container runtime here (LEAKTRACE_NO_CONTAINER_RUNTIME=1): %s"
                     % err)
            else:
                t.ok(False, "podman cannot start a container here: %s "
                     "(LEAKTRACE_NO_CONTAINER_RUNTIME=1 if the machine has none)" % err)
            return
        t.ok(True, "podman runs the leaking workload in container %s" % cid[:12])
        try:
            check_container(cid, pid)
        except Exception as e:  # still clean up and say what broke
            t.ok(False, "the container checks ran through", repr(e))
    finally:
        left = podman.cleanup([NAME], [IMAGE])
        t.ok(not left, "the container, its image, cgroups and podman's directories are removed",
             left)
    t.ok(leftovers() == [], "nothing left loaded", leftovers())


try:
    main()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
