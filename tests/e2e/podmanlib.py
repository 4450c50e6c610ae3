"""Podman for the e2e tests (test_container.py, test_image.py): offline,
with a private store under the test's folder, and the litter it leaves
elsewhere removed at the end.

On hybrid cgroups podman needs runc (crun refuses them), the cgroupfs
manager and file events, and the limits root may set without
CAP_SYS_RESOURCE. Images come from local root filesystems (`podman
import`), never from a registry."""
import os
import shutil
import subprocess

from ltlib import ROOT

# what podman writes outside --root/--runroot/--tmpdir: removed at the end
# when the test created them
LITTER = ["/var/lib/containers/cache", "/var/lib/containers", "/run/libpod",
          "/run/containers/networks", "/run/containers"]
CGROUP_ROOT = "/sys/fs/cgroup"
RUN_LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]


def libpod_parents():
    """libpod_parent cgroups (the cgroupfs manager's parent) per hierarchy."""
    found = []
    for h in sorted(os.listdir(CGROUP_ROOT)):
        d = os.path.join(CGROUP_ROOT, h, "libpod_parent")
        if os.path.isdir(d):
            found.append(d)
    return found


class Podman:
    """podman with its store in TMP; cleanup() removes what it made."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.argv = ["podman", "--root", os.path.join(tmp, "root"),
                     "--runroot", os.path.join(tmp, "runroot"),
                     "--tmpdir", os.path.join(tmp, "tmp"), "--runtime", "runc",
                     "--storage-driver", "vfs", "--cgroup-manager=cgroupfs",
                     "--events-backend=file", "--log-level=error"]
        self.before = {"cgroups": libpod_parents(),
                       "litter": {d: os.path.exists(d) for d in LITTER}}

    def __call__(self, *args, timeout=60):
        """(returncode, stdout, stderr), stripped."""
        p = subprocess.run(self.argv + list(args), capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def import_rootfs(self, rootfs, image):
        """Import a root filesystem directory as IMAGE; raise with podman's reason."""
        if not shutil.which("podman"):
            raise RuntimeError("podman is not installed")
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        p = subprocess.run(self.argv + ["import", "-", image], stdin=tar.stdout,
                           capture_output=True, text=True, timeout=120)
        tar.wait()
        if p.returncode:
            raise RuntimeError("podman import failed: %s" % p.stderr.strip()[-300:])

    def host_pid(self, name):
        """Host pid of a running container's first process; raise if none."""
        rc, out, err = self("inspect", "-f", "{{.State.Pid}}", name)
        if rc or not out.isdigit() or out == "0":
            raise RuntimeError("podman inspect %s: no pid (%s %s)" % (name, out, err[-200:]))
        return int(out)

    def cleanup(self, containers=(), images=()):
        """Remove containers, images, cgroups and podman's directories made
        since __init__: what is left (a list, empty when all went)."""
        for c in containers:
            self("rm", "-f", "-t", "0", c)
        for i in images:
            self("rmi", "-f", i)
        # runc removes the container's cgroups; the parent (and conmon's) stay
        for d in libpod_parents():
            if d not in self.before["cgroups"]:
                for sub in ("conmon", ""):
                    try:
                        os.rmdir(os.path.join(d, sub) if sub else d)
                    except OSError:
                        pass
        for d in LITTER:
            if not self.before["litter"].get(d) and os.path.isdir(d):
                shutil.rmtree(d, ignore_errors=True)
        # overlay mounts podman may have left under the test folder
        with open("/proc/self/mounts") as f:
            mounts = [l.split()[1] for l in f if l.split()[1].startswith(self.tmp)]
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        left = [d for d in libpod_parents() if d not in self.before["cgroups"]]
        left += [d for d in LITTER if not self.before["litter"].get(d) and os.path.exists(d)]
        return left


def busybox_rootfs(rootfs, workload):
    """busybox-static and a static build of tools/workloads/WORKLOAD.c as
    /WORKLOAD in ROOTFS: None, or what went wrong."""
    os.makedirs(os.path.join(rootfs, "bin"))
    busybox = shutil.which("busybox")
    if not busybox:
        return "busybox (busybox-static) is not installed"
    shutil.copy(busybox, os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "sleep", "cat"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    wl = os.path.join(ROOT, "tools", "workloads")
    p = subprocess.run(["cc", "-static", "-O2", "-g", "-pthread", "-I", wl,
                        os.path.join(wl, workload + ".c"), "-o", os.path.join(rootfs, workload)],
                       capture_output=True, text=True)
    if p.returncode:
        return "cannot build a static %s: %s" % (workload, p.stderr.strip()[:300])
    return None
