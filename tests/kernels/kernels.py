#!/usr/bin/env python3
"""Debian's stock kernels booted under qemu, for tests.

fetch(suite)  downloads that suite's linux-image-amd64 kernel with a private
              apt configuration (never installed on the system) and unpacks
              it under .output/cache/kernels/<suite>/, reused between runs.
initramfs(k)  builds a busybox-static initramfs with the kernel's 9p/virtio
              modules whose init mounts the host's / read-only over 9p,
              runs one command in a chroot of it and powers off.
boot(k, cmd)  boots the kernel with software emulation (the KVM here cannot
              run stock kernels) and returns the command's output and exit
              code.

Command line:
    kernels.py fetch [SUITE...]            fetch (or find cached) kernels
    kernels.py run SUITE -- CMD [ARG...]   run CMD in SUITE's kernel
    kernels.py matrix                      run tests/matrix/test_kernels.py
"""
import argparse
import glob
import gzip
import hashlib
import lzma
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.path.join(ROOT, ".output", "cache", "kernels")
# Debian suites whose stock kernel the tests boot, oldest first
SUITES = ("bullseye", "bookworm", "trixie", "sid")
MIRROR_DEFAULT = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# modules the initramfs loads (their dependencies come from .modinfo)
GUEST_MODULES = ("9p", "9pnet_virtio", "virtio_pci")
SHARE_TAG = "hostroot"
REPO_TAG = "repo"
OUT_TAG = "results"


class FetchError(Exception):
    """A kernel that cannot be fetched (network, mirror, package layout)."""


class Kernel:
    def __init__(self, suite, version, vmlinuz, moddir):
        self.suite = suite
        self.version = version      # uname -r
        self.vmlinuz = vmlinuz
        self.moddir = moddir        # .../lib/modules/VERSION

    @property
    def short(self):
        """5.10, 6.1, ...: major.minor of the version."""
        m = re.match(r"(\d+\.\d+)", self.version)
        return m.group(1) if m else self.version

    def __repr__(self):
        return "Kernel(%s %s)" % (self.suite, self.version)


def log(msg):
    print("# kernels: " + msg, file=sys.stderr, flush=True)


def mirror():
    """The system's Debian mirror (it serves the other suites too)."""
    try:
        for f in glob.glob("/etc/apt/sources.list.d/*.sources"):
            for line in open(f):
                m = re.match(r"URIs:\s*(\S+)", line)
                if m and "security" not in m.group(1):
                    return m.group(1).rstrip("/")
    except OSError:
        pass
    return MIRROR_DEFAULT


# ---------------------------------------------------------------- apt

def _apt_dir():
    return os.path.join(CACHE, "apt")


def _apt_opts():
    d = _apt_dir()
    return ["-o", "Dir::Etc::sourcelist=" + os.path.join(d, "sources.list"),
            "-o", "Dir::Etc::sourceparts=-",
            "-o", "Dir::State::Lists=" + os.path.join(d, "lists"),
            # without it the private update would overwrite the system's cache
            "-o", "Dir::Cache=" + os.path.join(d, "cache"),
            # Debian's container images turn the package cache off; without
            # it every apt-cache call parses all four suites' lists again
            "-o", "Dir::Cache::pkgcache=pkgcache.bin",
            "-o", "Dir::Cache::srcpkgcache=srcpkgcache.bin",
            "-o", "Dir::State::status=" + os.path.join(d, "status"),
            "-o", "APT::Get::List-Cleanup=0",
            "-o", "Acquire::Retries=2",
            "-o", "Debug::NoLocking=1",
            "-q"]


def _apt(args, cwd=None, timeout=900):
    p = subprocess.run(["apt-get"] + _apt_opts() + args, capture_output=True, text=True,
                       cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)
    if p.returncode:
        raise FetchError("apt-get %s failed: %s" % (" ".join(args),
                         (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]))
    return p.stdout


def _apt_cache(args):
    p = subprocess.run(["apt-cache"] + _apt_opts() + args, capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    if p.returncode:
        raise FetchError("apt-cache %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


_updated = False


def _apt_update():
    """One private `apt-get update` per process, for every suite at once."""
    global _updated
    if _updated:
        return
    d = _apt_dir()
    for sub in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    open(os.path.join(d, "status"), "a").close()
    with open(os.path.join(d, "sources.list"), "w") as f:
        for s in SUITES:
            f.write("deb [arch=amd64 signed-by=%s] %s %s main\n" % (KEYRING, mirror(), s))
    log("apt-get update (private lists under %s)" % os.path.relpath(d, ROOT))
    _apt(["update"])
    _updated = True


def _depends(pkg_eq_version):
    """Direct Depends of PKG=VERSION (names only)."""
    out = _apt_cache(["show", pkg_eq_version])
    deps = []
    for line in out.splitlines():
        if line.startswith("Depends:"):
            for alt in line[len("Depends:"):].split(","):
                deps.append(alt.split("|")[0].split("(")[0].strip())
            break
    return deps


def _candidate(pkg, suite):
    """Version of PKG in SUITE, from the private lists."""
    out = _apt_cache(["madison", pkg])
    for line in out.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 3 and re.search(r"\s%s/main\b" % re.escape(suite), " " + parts[2]):
            return parts[1]
    raise FetchError("%s: no %s package in the mirror's lists" % (suite, pkg))


def _image_packages(suite):
    """The .deb names (pkg=version) holding SUITE's default kernel and its
    modules: linux-image-amd64's versioned dependency, and on sid its
    linux-binary-* / linux-modules-* dependencies."""
    meta_ver = _candidate("linux-image-amd64", suite)
    image = [d for d in _depends("linux-image-amd64=" + meta_ver)
             if d.startswith("linux-image-")]
    if not image:
        raise FetchError("%s: linux-image-amd64 %s depends on no linux-image-*" % (suite, meta_ver))
    image = image[0]
    ver = _candidate(image, suite)
    pkgs = [(image, ver)]
    for d in _depends("%s=%s" % (image, ver)):
        if d.startswith(("linux-binary-", "linux-modules-")):
            pkgs.append((d, _candidate(d, suite)))
    return pkgs


# ---------------------------------------------------------------- fetch

def _find_kernel(root):
    """(version, vmlinuz, moddir) in an unpacked package tree, or None."""
    for mods in sorted(glob.glob(os.path.join(root, "lib", "modules", "*")) +
                       glob.glob(os.path.join(root, "usr", "lib", "modules", "*"))):
        ver = os.path.basename(mods)
        for vmlinuz in (os.path.join(root, "boot", "vmlinuz-" + ver),
                        os.path.join(mods, "vmlinuz")):
            if os.path.isfile(vmlinuz) and os.path.isdir(os.path.join(mods, "kernel")):
                return ver, vmlinuz, mods
    return None


# what the guest needs of a kernel package: the kernel and the folders the
# 9p/virtio modules and their dependencies (fscache, netfs) live in
KEEP = re.compile(r"(^|/)vmlinuz|/modules/[^/]+/kernel/(fs|net/9p|drivers/virtio|lib)/")


def _unpack(deb, root):
    """`dpkg-deb -x` of the files KEEP matches only: a kernel's modules
    unpacked are ~400 MB, the guest needs ~2 MB of them."""
    p = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
        for m in tar:
            if (m.isfile() or m.issym()) and KEEP.search(m.name):
                tar.extract(m, root, set_attrs=False)
    err = p.stderr.read().decode(errors="replace")
    if p.wait():
        raise FetchError("dpkg-deb --fsys-tarfile %s: %s" % (os.path.basename(deb), err.strip()))


def cached(suite):
    """The kernel of SUITE already unpacked in the cache, or None."""
    root = os.path.join(CACHE, suite, "root")
    if not os.path.exists(os.path.join(CACHE, suite, "complete")):
        return None
    found = _find_kernel(root)
    return Kernel(suite, *found) if found else None


def fetch(suite, refresh=False):
    """SUITE's kernel, from the cache or downloaded; raises FetchError."""
    if not refresh:
        k = cached(suite)
        if k:
            return k
    _apt_update()
    pkgs = _image_packages(suite)
    sdir = os.path.join(CACHE, suite)
    debs = os.path.join(sdir, "debs")
    root = os.path.join(sdir, "root")
    shutil.rmtree(sdir, ignore_errors=True)
    os.makedirs(debs)
    log("%s: downloading %s" % (suite, " ".join("%s=%s" % p for p in pkgs)))
    _apt(["download"] + ["%s=%s" % p for p in pkgs], cwd=debs)
    for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
        _unpack(deb, root)
        os.unlink(deb)      # the unpacked part is what is kept
    found = _find_kernel(root)
    if not found:
        raise FetchError("%s: no vmlinuz and modules in %s" % (suite, " ".join(p[0] for p in pkgs)))
    open(os.path.join(sdir, "complete"), "w").close()
    return Kernel(suite, *found)


# ---------------------------------------------------------------- initramfs

def _module_index(moddir):
    """name -> path of every module of the kernel (.ko or .ko.xz); module
    names use '_' where file names may use '-'."""
    idx = {}
    for dirpath, _, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            m = re.match(r"(.+)\.ko(\.xz|\.zst)?$", f)
            if m:
                idx[m.group(1).replace("-", "_")] = os.path.join(dirpath, f)
    return idx


def _module_bytes(path):
    if path.endswith(".xz"):
        return lzma.open(path).read()
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    return open(path, "rb").read()


def _modinfo_depends(data):
    """The depends= list of a module image's .modinfo section (NUL-separated
    key=value strings); found by content, so no ELF parser is needed."""
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    if not m:
        return []
    return [d.decode() for d in m.group(1).split(b",") if d]


def module_load_order(moddir, wanted=GUEST_MODULES):
    """(name, bytes) of the wanted modules and their dependencies, each after
    what it depends on. Modules built into the kernel are simply absent."""
    idx = _module_index(moddir)
    order, seen = [], set()

    def visit(name, depth=0):
        name = name.replace("-", "_")
        if name in seen or name not in idx or depth > 32:
            return
        seen.add(name)
        data = _module_bytes(idx[name])
        for dep in _modinfo_depends(data):
            visit(dep, depth + 1)
        order.append((name, data))

    for w in wanted:
        visit(w)
    return order


INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko || echo "init: insmod $m failed"; done
fail() { echo "init: $*"; echo "LTK-EXIT 125"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose @SHARE@ /newroot || fail "cannot mount the host root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 @OUT@ /newroot@OUTDIR@ || fail "cannot mount the results share"
for d in proc sys dev; do mount --move /$d /newroot/$d; done
mount -t tmpfs tmpfs /newroot/tmp
mount -t tmpfs tmpfs /newroot/run
mount -t tmpfs tmpfs /newroot/var/tmp
# the repository again, at its own path: a clone under /tmp (as CI's may
# be) is hidden by the tmpfs above
. /newroot@OUTDIR@/env
mkdir -p "/newroot$LTK_ROOT" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose @REPO@ "/newroot$LTK_ROOT" || fail "cannot mount the repository"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t bpf bpf /newroot/sys/fs/bpf
mount -t debugfs debugfs /newroot/sys/kernel/debug
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup
echo "LTK-BOOTED $(uname -r)"
chroot /newroot /bin/sh -c '. @OUTDIR@/env; cd "$LTK_CWD"; exec /bin/sh @OUTDIR@/cmd </dev/null'
echo "LTK-EXIT $?"
poweroff -f
"""


def _cpio_newc(entries):
    """An uncompressed newc cpio archive of (name, mode, data) entries
    (data None for a directory)."""
    out = bytearray()

    def pad():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        data = data or b""
        nm = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nm), 0)
        out.extend(b"070701" + b"".join(b"%08X" % f for f in fields) + nm)
        pad()
        out.extend(data)
        pad()
    return bytes(out)


def initramfs(kernel):
    """Path of the kernel's initramfs (built once, cached next to it)."""
    init = (INIT.replace("@SHARE@", SHARE_TAG).replace("@OUT@", OUT_TAG)
            .replace("@OUTDIR@", GUEST_OUTDIR).replace("@REPO@", REPO_TAG))
    # named after its init script: a changed init is never served from the cache
    out = os.path.join(CACHE, kernel.suite, "initramfs-%s-%s.cpio.gz" % (
        kernel.version, hashlib.sha1(init.encode()).hexdigest()[:12]))
    busybox = shutil.which("busybox")
    if os.path.exists(out):
        return out
    # a dynamic busybox would need the host's libc inside the initramfs
    if not busybox or subprocess.run(["ldd", busybox], capture_output=True).returncode == 0:
        raise FetchError("busybox-static is not installed (tools/install-deps.sh)")
    d, x, f = 0o040755, 0o100755, 0o100644
    entries = [(n, d, None) for n in ("bin", "proc", "sys", "dev", "newroot", "modules")]
    entries.append(("bin/busybox", x, open(busybox, "rb").read()))
    names = []
    for name, data in module_load_order(kernel.moddir):
        entries.append(("modules/%s.ko" % name, f, data))
        names.append(name)
    entries.append(("modules/order", f, ("\n".join(names) + "\n").encode()))
    entries.append(("init", x, init.encode()))
    with open(out + ".tmp", "wb") as fo:
        fo.write(gzip.compress(_cpio_newc(entries), compresslevel=1))
    os.rename(out + ".tmp", out)
    return out


# ---------------------------------------------------------------- boot

# where the writable results share appears inside the guest: a folder the
# host's root filesystem has and nothing else uses
GUEST_OUTDIR = "/media"


class Result:
    def __init__(self, rc, output, console, outdir, seconds):
        self.rc = rc                # the command's exit code; None: no exit seen
        self.output = output        # its stdout+stderr
        self.console = console      # the whole serial console (boot log)
        self.outdir = outdir        # host folder of the results share
        self.seconds = seconds

    def file(self, name):
        with open(os.path.join(self.outdir, name)) as f:
            return f.read()


def boot(kernel, argv, timeout=600, outdir=None, env=None, cwd=None, memory="2G", smp=2):
    """Boot KERNEL and run argv in the host's root filesystem (read-only,
    tmpfs on /tmp, /run, /var/tmp). Files written to $LTK_OUT inside the
    guest land in outdir. Returns a Result; rc is None when the guest did
    not get to report an exit code (crash, timeout)."""
    initrd = initramfs(kernel)
    own_out = outdir is None
    if own_out:
        outdir = tempfile.mkdtemp(prefix="ltk-out-", dir=os.path.join(ROOT, ".output"))
    os.makedirs(outdir, exist_ok=True)
    env = dict(env or {})
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env.update(LTK_OUT=GUEST_OUTDIR, LTK_CWD=cwd or ROOT, LTK_ROOT=ROOT, HOME="/root",
               LANG="C.UTF-8")
    with open(os.path.join(outdir, "env"), "w") as f:
        for k, v in env.items():
            f.write("export %s=%s\n" % (k, shlex.quote(v)))
    with open(os.path.join(outdir, "cmd"), "w") as f:
        f.write("exec %s > %s/output 2>&1\n" % (" ".join(shlex.quote(a) for a in argv),
                                                GUEST_OUTDIR))
    qemu = ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "max",
            "-m", memory, "-smp", str(smp), "-nographic", "-nodefaults", "-no-reboot",
            "-serial", "stdio", "-nic", "none",
            "-kernel", kernel.vmlinuz, "-initrd", initrd,
            "-append", "console=ttyS0 quiet panic=-1 oops=panic",
            "-virtfs", "local,path=/,mount_tag=%s,security_model=none,readonly=on,"
                       "multidevs=remap" % SHARE_TAG,
            "-virtfs", "local,path=%s,mount_tag=%s,security_model=none,multidevs=remap"
                       % (outdir, OUT_TAG),
            "-virtfs", "local,path=%s,mount_tag=%s,security_model=none,readonly=on,"
                       "multidevs=remap" % (ROOT, REPO_TAG)]
    start = time.time()
    try:
        p = subprocess.run(qemu, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        console = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        console = (e.stdout or b"").decode("utf-8", "replace") + \
            "\nkernels: guest timed out after %ds\n" % timeout
    m = re.findall(r"LTK-EXIT (\d+)", console)
    rc = int(m[-1]) if m else None
    try:
        output = open(os.path.join(outdir, "output"), errors="replace").read()
    except OSError:
        output = ""
    return Result(rc, output, console, outdir, time.time() - start)


# ---------------------------------------------------------------- CLI

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="fetch (or find cached) kernels")
    f.add_argument("suites", nargs="*", default=list(SUITES))
    f.add_argument("--refresh", action="store_true", help="download even when cached")
    r = sub.add_parser("run", help="run a command in a suite's kernel")
    r.add_argument("suite", choices=SUITES)
    r.add_argument("argv", nargs=argparse.REMAINDER)
    r.add_argument("--timeout", type=int, default=600)
    sub.add_parser("matrix", help="run the kernel matrix (tests/matrix/test_kernels.py)")
    a = ap.parse_args()
    if a.cmd == "fetch":
        bad = 0
        for s in a.suites:
            try:
                k = fetch(s, refresh=a.refresh)
                print("%-9s %-24s %s" % (s, k.version, os.path.relpath(k.vmlinuz, ROOT)))
            except (FetchError, subprocess.TimeoutExpired) as e:
                print("%-9s cannot fetch: %s" % (s, e))
                bad = 1
        return bad
    if a.cmd == "run":
        argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
        if not argv:
            ap.error("run: no command")
        k = fetch(a.suite)
        res = boot(k, argv, timeout=a.timeout, cwd=os.getcwd())
        sys.stdout.write(res.output)
        if res.rc is None:
            sys.stderr.write(res.console[-3000:])
            print("kernels: %s: no exit code from the guest" % k.version, file=sys.stderr)
            return 125
        return res.rc
    os.execv(sys.executable, [sys.executable,
                              os.path.join(ROOT, "tests", "matrix", "test_kernels.py")])


if __name__ == "__main__":
    sys.exit(main())
