#!/bin/sh
# Fetches the OpenJDK runtimes of Debian's newer suites for the JDK matrix
# (tests/matrix/test_jdk.py) into .output/cache/jdk/<name>/ and prints one
# line per JDK: "21-trixie OK /path/to/java" or "21-trixie FAIL reason".
# openjdk-21-jre-headless from trixie, and the newest openjdk-N-jre-headless
# sid has. Their glibc is newer than bookworm's: the suite's libc6,
# libstdc++6 and libgcc-s1 are unpacked beside them, and the printed `java`
# is a wrapper that runs the JDK's launcher through that suite's ld.so
# (the JVM is an ordinary process of this host to leaktrace). Never installs anything over the system: a private apt
# configuration made from the machine's Debian mirror, `apt-get download`,
# `dpkg -x` (as tools/go-toolchains.sh). JDK_OFFLINE=1: cached ones only.
# Exit status: 0 when every JDK is present, 1 otherwise.
# Usage: jdk-fetch.sh [CACHE_DIR]   (default .output/cache/jdk)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$here/.output/cache/jdk}

. "$(dirname "$0")/debian-mirror.sh"

apt_dir=$cache/.apt
apt_ready=
prepare_apt() {
	[ -n "$apt_ready" ] && return "$apt_ready"
	if [ "${JDK_OFFLINE:-}" = 1 ]; then
		apt_ready=1
		return 1
	fi
	if private_apt_update trixie sid; then
		apt_ready=0
	else
		apt_ready=1
	fi
	return "$apt_ready"
}

# Versions N of openjdk-N-jre-headless in the private lists, newest first
# (every suite's: fetch_one tries each in the suite asked for).
versions_known() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts) pkgnames openjdk- 2>/dev/null |
		sed -n 's/^openjdk-\([0-9][0-9]*\)-jre-headless$/\1/p' | sort -rn
}

home_in() {
	for h in "$1"/usr/lib/jvm/java-*-openjdk-*; do
		[ -x "$h/bin/java" ] && echo "$h" && return 0
	done
	return 1
}

# fetch_one NAME SUITE VERSION (VERSION empty: the newest of SUITE)
fetch_one() {
	name=$1 s=$2 v=$3
	dest=$cache/$name
	if [ -f "$dest/.complete" ] && [ -x "$dest/java" ]; then
		echo "$name OK $dest/java"
		return 0
	fi
	if ! prepare_apt; then
		echo "$name FAIL apt not available (offline or no mirror)"
		return 1
	fi
	work=$cache/.dl-$name
	rm -rf "$work" "$dest"
	mkdir -p "$work"
	got=
	for n in ${v:-$(versions_known)}; do
		p=openjdk-$n-jre-headless
		# shellcheck disable=SC2046
		if (cd "$work" && apt-get $(apt_opts) download "$p/$s") >"$work/$p.log" 2>&1; then
			got=$p
			break
		fi
	done
	for lib in libc6 libstdc++6 libgcc-s1; do
		# shellcheck disable=SC2046
		(cd "$work" && apt-get $(apt_opts) download "$lib/$s") >"$work/$lib.log" 2>&1 || got=
	done
	if [ -z "$got" ]; then
		echo "$name FAIL apt-get download openjdk-${v:-N}-jre-headless/$s: $(tail -qn1 "$work"/*.log 2>/dev/null | tail -n1)"
		return 1
	fi
	for deb in "$work"/*.deb; do
		if ! dpkg -x "$deb" "$dest"; then
			echo "$name FAIL dpkg -x $deb"
			return 1
		fi
	done
	rm -rf "$work"
	if ! h=$(home_in "$dest"); then
		echo "$name FAIL no bin/java in $got"
		return 1
	fi
	libs=$dest/usr/lib/x86_64-linux-gnu
	cat >"$dest/java" <<WRAP
#!/bin/sh
exec "$libs/ld-linux-x86-64.so.2" --library-path "$libs:$dest/lib/x86_64-linux-gnu" "$h/bin/java" "\$@"
WRAP
	chmod +x "$dest/java"
	if ! "$dest/java" -version >"$work.version" 2>&1; then
		echo "$name FAIL $dest/java -version: $(head -n1 "$work.version")"
		return 1
	fi
	rm -f "$work.version"
	touch "$dest/.complete"
	echo "$name OK $dest/java"
}

mkdir -p "$cache"
status=0
fetch_one 21-trixie trixie 21 || status=1
fetch_one newest-sid sid "" || status=1
exit $status
