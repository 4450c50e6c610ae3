#!/bin/sh
# Install leaktrace's build, test and benchmark dependencies (Debian/Ubuntu).
# Idempotent: does nothing when everything is present.
set -e
PKGS="make gcc g++ clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
libdw-dev libcmocka-dev libmicrohttpd-dev libseccomp-dev libsystemd-dev libc6-dbg golang-go python3 prometheus
libbpf-tools linux-perf procps iproute2 curl valgrind debootstrap gawk mawk
podman runc busybox-static python3-yaml libclang-rt-14-dev prometheus-alertmanager
postgresql apache2 haproxy squid nginx-light memcached redis-server
etcd-server prometheus-node-exporter prometheus-pushgateway varnish
qemu-system-x86 openjdk-17-jdk-headless jetty9"
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
# prometheus' and the servers' postinsts try to start their services (the
# servers of tests/e2e/test_servers.py, on their default ports); tests start
# their own: deny starts while installing, unless a policy already exists
if [ ! -e /usr/sbin/policy-rc.d ]; then
	$SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
