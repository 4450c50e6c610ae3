#!/bin/sh
# Builds the OCI image localhost/leaktrace:VERSION with podman, offline but
# for the first Debian download, which is cached:
#  1. a minimal Debian 12 root (`debootstrap --variant=minbase bookworm`,
#     the mirror of /etc/apt) with leaktrace's run-time libraries, trimmed of
#     documentation and apt's lists, kept as a tarball in
#     .output/cache/image/ (`make clean` keeps it): built once per package
#     list, then reused;
#  2. `podman import` of that tarball as localhost/leaktrace-base;
#  3. `make install DESTDIR=` into a build context and `podman build` of
#     dist/container/Containerfile on the base (COPY only, no RUN: nothing
#     is fetched and no container runs during the build).
# The libraries are installed at bootstrap time because a build step would
# need the network (and a runtime) inside `podman build`.
#
# Usage: build-image.sh            PODMAN="podman --root DIR ..." for a
# private store (tests/e2e/test_image.py); IMAGE_CACHE=DIR for the tarball;
# DEBIAN_MIRROR=URL instead of the mirror of /etc/apt.
# Prints "base: cached|built in Ns", "image: NAME SIZE bytes". Exit 0, or 1
# with a one-line reason (e.g. the mirror cannot be reached).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${IMAGE_CACHE:-$here/.output/cache/image}
podman=${PODMAN:-podman}
version=$(cat "$here/VERSION")
image=localhost/leaktrace:$version
base=localhost/leaktrace-base
# `ldd leaktrace`: libbpf, libdw, libelf, libz, libmicrohttpd, libseccomp,
# libsystemd, libstdc++ (minbase has several already; listed all the same)
packages="libbpf1 libelf1 libdw1 zlib1g libmicrohttpd12 libseccomp2 libsystemd0 libstdc++6"
suite=bookworm

die() {
	echo "build-image: $*" >&2
	exit 1
}

. "$(dirname "$0")/debian-mirror.sh"

# debootstrap mounts proc and sys in the target; a failed run may leave them
unmount_under() {
	grep -o " $1/[^ ]*" /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

# the root filesystem tarball, named after what it holds
key=$(echo "$suite $packages" | sha256sum | cut -c1-12)
tarball=$cache/$suite-minbase-$key.tar

build_base() {
	command -v debootstrap >/dev/null || die "debootstrap is not installed (tools/install-deps.sh)"
	url=${DEBIAN_MIRROR:-$(debian_mirror | head -n1)}
	[ -n "$url" ] || die "no Debian mirror configured in /etc/apt"
	mkdir -p "$cache"
	work=$cache/.root-$$
	log=$cache/debootstrap.log
	trap 'unmount_under "$work"; rm -rf "$work" "$tarball.tmp"' EXIT
	start=$(date +%s)
	if ! timeout 900 debootstrap --variant=minbase \
		--include="$(echo "$packages" | tr ' ' ,)" "$suite" "$work" "$url" >"$log" 2>&1; then
		die "debootstrap $suite from $url failed: $(grep -E '^(E|W):' "$log" | tail -n1) (see $log)"
	fi
	unmount_under "$work"
	# what an image does not need: documentation, apt's lists and
	# downloads, logs, the build host's name and resolver
	rm -rf "$work"/usr/share/doc/* "$work"/usr/share/man/* "$work"/usr/share/info/* \
		"$work"/usr/share/locale/* "$work"/var/cache/apt/* "$work"/var/lib/apt/lists/* \
		"$work"/var/log/* "$work"/etc/hostname "$work"/etc/resolv.conf
	tar --numeric-owner -C "$work" -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf "$work"
	trap - EXIT
	echo "base: built in $(($(date +%s) - start))s ($tarball)"
}

if [ -f "$tarball" ]; then
	echo "base: cached ($tarball)"
else
	build_base
fi

# shellcheck disable=SC2086
$podman import "$tarball" "$base" >/dev/null || die "podman import of $tarball failed"

ctx=$here/.output/image
rm -rf "$ctx"
mkdir -p "$ctx"
make -s -C "$here" install DESTDIR="$ctx/root" PREFIX=/usr >/dev/null ||
	die "make install DESTDIR=$ctx/root failed"
# shellcheck disable=SC2086
$podman build --pull=never --format oci -q -t "$image" -f "$here/dist/container/Containerfile" \
	--label "org.opencontainers.image.version=$version" "$ctx" >/dev/null ||
	die "podman build of dist/container/Containerfile failed"
rm -rf "$ctx"
# shellcheck disable=SC2086
size=$($podman image inspect --format '{{.Size}}' "$image") || die "podman image inspect failed"
echo "image: $image $size bytes"
