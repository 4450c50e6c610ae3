#!/bin/sh
# Fetches every Go release Debian ships into .output/cache/go/<version>/ and
# prints one line per toolchain: "go1.N OK /path/to/bin/go" or
# "go1.N FAIL reason". Never installs anything over the system: a private apt
# configuration made from the machine's Debian mirror, `apt-get download`,
# `dpkg -x`. Exit status: 0 when every toolchain is present, 1 otherwise.
# Usage: go-toolchains.sh [CACHE_DIR]   (default .output/cache/go)
# GO_VERSIONS="1.24 1.27" restricts the set.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$here/.output/cache/go}
# version:suite, as Debian ships them (a newer suite wins when both have one)
versions=${GO_VERSIONS:-"1.19 1.21 1.22 1.23 1.24 1.26 1.27"}
suite_of() {
	case $1 in
	1.19) echo bookworm ;;
	1.21 | 1.22 | 1.23) echo bookworm-backports ;;
	1.24 | 1.25) echo trixie ;;
	*) echo sid ;;
	esac
}

. "$(dirname "$0")/debian-mirror.sh"

apt_dir=$cache/.apt
# One apt update for all suites, only when a toolchain is missing.
apt_ready=
prepare_apt() {
	[ -n "$apt_ready" ] && return "$apt_ready"
	if private_apt_update bookworm bookworm-backports trixie sid; then
		apt_ready=0
	else
		apt_ready=1
	fi
	return "$apt_ready"
}

fetch_one() {
	v=$1
	dest=$cache/$v
	gobin=$dest/usr/lib/go-$v/bin/go
	if [ -x "$gobin" ] && [ -f "$dest/.complete" ]; then
		echo "go$v OK $gobin"
		return 0
	fi
	if ! prepare_apt; then
		echo "go$v FAIL apt not available"
		return 1
	fi
	work=$cache/.dl-$v
	rm -rf "$work" "$dest"
	mkdir -p "$work"
	s=$(suite_of "$v")
	for p in golang-$v-go golang-$v-src; do
		# shellcheck disable=SC2046
		if ! (cd "$work" && apt-get $(apt_opts) -t "$s" download "$p/$s") >"$work/$p.log" 2>&1; then
			echo "go$v FAIL apt-get download $p/$s: $(tail -n1 "$work/$p.log")"
			return 1
		fi
	done
	for deb in "$work"/*.deb; do
		if ! dpkg -x "$deb" "$dest"; then
			echo "go$v FAIL dpkg -x $deb"
			return 1
		fi
	done
	rm -rf "$work"
	if ! [ -x "$gobin" ]; then
		echo "go$v FAIL no $gobin in the packages"
		return 1
	fi
	touch "$dest/.complete"
	echo "go$v OK $gobin"
}

mkdir -p "$cache"
status=0
for v in $versions; do
	fetch_one "$v" || status=1
done
exit $status
