#!/usr/bin/env python3
"""The OCI image run as the DaemonSet runs it: tools/build-image.sh builds
localhost/leaktrace:VERSION (Debian 12 minbase from debootstrap, cached in
.output/cache/image/, then podman import and podman build, offline), and
podman runs it with what dist/kubernetes/leaktrace-daemonset.yaml asks,
read from the manifest: hostPID, root with capabilities dropped but the
manifest's, no privilege escalation, seccomp unconfined, a read-only root,
/tmp in memory, the hostPath mounts, NODE_NAME, the arguments. Another
container (busybox and a static leaky that grows its condvar leak) leaks;
the containerized leaktrace must report that container's leaking threads
(container_id, verdict leak, the function from its stack), serve /metrics,
write its baselines to the state dir, exit 0 on stop, and leave nothing.

Two departures from a pod, both for the shared test machine: --network
host with --prometheus on a free loopback port (a pod has its own network
and 0.0.0.0:9464), and the state hostPath /var/lib/leaktrace is a folder of
the test made as kubelet makes a DirectoryOrCreate one (root, 0755).

If the image cannot be built (debootstrap cannot reach the mirror, no
podman), the test fails and says why."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import yaml

from ltlib import ROOT, Tap, free_port, http_get, json_records, leftovers, wait_for
from podmanlib import RUN_LIMITS, Podman, busybox_rootfs

t = Tap()
TMP = tempfile.mkdtemp(prefix="lt-image-")
MANIFEST = os.path.join(ROOT, "dist", "kubernetes", "leaktrace-daemonset.yaml")
VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()
IMAGE = "localhost/leaktrace:%s" % VERSION
BASE = "localhost/leaktrace-base"
LEAKY_IMAGE = "localhost/lt-image-leaky-%d" % os.getpid()
LEAKY = "lt-image-leaky-%d" % os.getpid()
TRACER = "lt-image-leaktrace-%d" % os.getpid()
BUILD_TIMEOUT = 1200
# the securityContext fields run_flags() turns into podman flags
SECURITY_FIELDS = {"runAsUser", "privileged", "allowPrivilegeEscalation",
                   "readOnlyRootFilesystem", "capabilities", "seccompProfile"}
podman = Podman(TMP)


def build_image():
    """tools/build-image.sh into the test's store: its output lines; raise
    with the script's reason."""
    env = dict(os.environ, PODMAN=" ".join(podman.argv))
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(ROOT, "tools", "build-image.sh")], env=env,
                       capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    if p.returncode:
        raise RuntimeError((p.stderr.strip() or p.stdout.strip())[-500:])
    t.diag("tools/build-image.sh: %.0f s" % (time.monotonic() - t0))
    return p.stdout.strip().splitlines()


def manifest_container():
    with open(MANIFEST) as f:
        ds = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "DaemonSet"][0]
    spec = ds["spec"]["template"]["spec"]
    return spec, spec["containers"][0]


def mebibytes(q):
    m = re.fullmatch(r"(\d+)Mi", q or "")
    return int(m.group(1)) if m else None


def run_flags(spec, c, state_dir, port):
    """podman run flags for the manifest's pod spec and container (see the
    docstring for the two departures); raises KeyError on a securityContext
    field, volume or environment variable of a kind it does not know, so a
    new one is not silently dropped."""
    sc = c["securityContext"]
    unknown = set(sc) - SECURITY_FIELDS
    if unknown:
        raise KeyError("securityContext %s" % sorted(unknown))
    flags = ["--network", "host"] + RUN_LIMITS
    if spec.get("hostPID"):
        flags.append("--pid=host")
    flags += ["--user", "%d:%d" % (sc["runAsUser"], sc["runAsUser"])]
    for cap in sc["capabilities"]["drop"]:
        flags += ["--cap-drop", cap]
    for cap in sc["capabilities"]["add"]:
        flags += ["--cap-add", "CAP_" + cap]
    if sc["seccompProfile"]["type"] == "Unconfined":
        flags += ["--security-opt", "seccomp=unconfined"]
    if sc["allowPrivilegeEscalation"] is False:
        flags += ["--security-opt", "no-new-privileges"]
    if sc["privileged"]:
        flags.append("--privileged")
    if sc["readOnlyRootFilesystem"]:
        # and no tmpfs but the manifest's
        flags += ["--read-only", "--read-only-tmpfs=false"]
    vols = {v["name"]: v for v in spec["volumes"]}
    for m in c["volumeMounts"]:
        v = vols[m["name"]]
        ro = ":ro" if m.get("readOnly") else ""
        if "hostPath" in v:
            src = v["hostPath"]["path"]
            if m["mountPath"] == "/var/lib/leaktrace":
                src = state_dir
            flags += ["-v", "%s:%s%s" % (src, m["mountPath"], ro)]
        elif v["emptyDir"].get("medium") == "Memory":
            flags += ["--tmpfs", "%s:size=%dm" % (m["mountPath"],
                                                   mebibytes(v["emptyDir"]["sizeLimit"]))]
        else:
            raise KeyError("volume %s" % m["name"])
    for e in c["env"]:
        if "value" in e:
            flags += ["-e", "%s=%s" % (e["name"], e["value"])]
        elif e["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName":
            flags += ["-e", "%s=%s" % (e["name"], socket.gethostname())]
        else:
            raise KeyError("env %s" % e["name"])
    args = [a if not a.startswith("--prometheus=") else "--prometheus=127.0.0.1:%d" % port
            for a in c["args"]]
    # short thresholds: the leak is found within seconds
    return flags, args + ["-t", "1s", "-i", "1s"]


def start_leaky():
    """The leaking container: (id, host pid of leaky)."""
    rootfs = os.path.join(TMP, "leaky-rootfs")
    err = busybox_rootfs(rootfs, "leaky")
    if err:
        raise RuntimeError(err)
    podman.import_rootfs(rootfs, LEAKY_IMAGE)
    rc, out, err = podman("run", "-d", "--name", LEAKY, "--network", "none", *RUN_LIMITS,
                          LEAKY_IMAGE, "/leaky", "--exiters", "0", "--grow", "1", timeout=120)
    if rc:
        raise RuntimeError("podman run of leaky failed: %s" % err[-300:])
    cid = out.splitlines()[-1]
    pid = podman.host_pid(LEAKY)
    wait_for(lambda: "READY" in podman("logs", LEAKY)[1], 15)
    return cid, pid


def tracer_records():
    rc, out, _ = podman("logs", TRACER, timeout=60)
    recs = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                recs += json_records(line)
            except ValueError:
                pass
    return recs


def leak_sites(pid):
    return [r for r in tracer_records() if r.get("type") == "site" and r.get("pid") == pid
            and r.get("verdict") == "leak"]


def vm_kib(pid, field):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def check(spec, c):
    cid, leaky_pid = start_leaky()
    t.ok(True, "podman runs leaky --grow 1 in container %s (host pid %d)" % (cid[:12], leaky_pid))
    state = os.path.join(TMP, "state")
    os.mkdir(state, 0o755)   # what kubelet makes for DirectoryOrCreate
    os.chmod(state, 0o755)
    port = free_port()
    flags, args = run_flags(spec, c, state, port)
    t.diag("podman run %s %s %s" % (" ".join(flags), IMAGE, " ".join(args)))
    rc, out, err = podman("run", "-d", "--name", TRACER, *flags, IMAGE, *args, timeout=120)
    t.ok(rc == 0, "podman runs the image with the manifest's capabilities, options and mounts", err)
    if rc:
        return
    tracer_pid = podman.host_pid(TRACER)
    sites = wait_for(lambda: leak_sites(leaky_pid), 60, step=1)
    status, body = http_get("http://127.0.0.1:%d/metrics" % port)
    hwm = vm_kib(tracer_pid, "VmHWM")
    rss = vm_kib(tracer_pid, "VmRSS")
    limit = mebibytes(c["resources"]["limits"]["memory"])
    t.ok(hwm and hwm <= limit * 1024,
         "leaktrace's peak RSS in the container is within the manifest's memory limit (%s MiB)"
         % limit, hwm)
    if hwm:
        t.diag("leaktrace in the container (host pid %d): VmRSS %.1f MiB, VmHWM %.1f MiB"
               % (tracer_pid, rss / 1024, hwm / 1024))
    site = sites[-1] if sites else {}
    t.ok(site.get("container_id") == cid and site.get("container_runtime") == "podman",
         "the containerized leaktrace reports the other container's site as a leak, with its "
         "container_id %s... and runtime podman" % cid[:12], site or tracer_records()[-5:])
    recs = tracer_records()
    threads = [r for r in recs if r.get("type") == "thread" and r.get("pid") == leaky_pid
               and r.get("verdict") == "leak"]
    t.ok(threads and all(r.get("container_id") == cid for r in threads) and
         any("leak_condvar_worker" in f for r in threads for f in r.get("user_stack", [])),
         "its leaking threads: container_id, user stack in leak_condvar_worker (symbols read "
         "through /proc/PID/root with the manifest's capabilities)", threads[-1:])
    text = body.decode("utf-8", "replace")
    t.ok(status == 200 and ('container_id="%s"' % cid) in text,
         "/metrics answers on 127.0.0.1:%d with the leaking container's series" % port,
         (status, text[:1000]))
    probe = c["livenessProbe"]["httpGet"]["path"]
    status, body = http_get("http://127.0.0.1:%d%s" % (port, probe))
    t.ok(status == 200 and body.startswith(b"ok: "),
         "the manifest's liveness probe %s answers 200 in the container" % probe, body)
    t.ok(threads and all(r.get("node") == socket.gethostname() for r in threads),
         "records name the node from the downward API's NODE_NAME", threads[-1:])
    saved = os.path.join(state, "baselines")
    content = open(saved).read() if os.path.exists(saved) else ""
    t.ok(content.startswith("leaktrace-baselines 1\n") and
         (os.stat(saved).st_mode & 0o777) == 0o600,
         "--state-dir: the hostPath (root, 0755) is accepted and holds a baselines file, mode "
         "0600", content[:300])

    rc, _, err = podman("stop", "-t", "30", TRACER, timeout=60)
    _, code, _ = podman("inspect", "-f", "{{.State.ExitCode}}", TRACER)
    final = tracer_records()
    t.ok(rc == 0 and code == "0" and final and final[-1].get("type") == "report",
         "SIGTERM (podman stop): a final report, exit 0", (rc, code, err, final[-1:]))


def main():
    try:
        spec, c = manifest_container()
        try:
            for line in build_image():
                t.diag(line)
            err = None
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            err = str(e)
        t.ok(err is None, "tools/build-image.sh builds %s" % IMAGE, err)
        if err is None:
            try:
                check(spec, c)
            except Exception as e:  # still clean up and say what broke
                t.ok(False, "the image checks ran through", repr(e))
    finally:
        left = podman.cleanup([TRACER, LEAKY], [IMAGE, BASE, LEAKY_IMAGE])
        t.ok(not left, "containers, images, cgroups and podman's directories are removed", left)
    t.ok(leftovers() == [], "nothing left loaded", leftovers())


try:
    main()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
