#!/bin/sh
# Install leaktrace's build, test and benchmark dependencies (Debian/Ubuntu).
# Idempotent: does nothing when everything is present.
set -e
PKGS="make gcc g++ clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
libdw-dev libcmocka-dev libmicrohttpd-dev libc6-dbg golang-go python3 prometheus
libbpf-tools linux-perf procps iproute2 curl valgrind podman runc busybox-static python3-yaml"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# prometheus' postinst tries to start the service; tests start their own
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
