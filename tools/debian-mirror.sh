# Sourced by the tools that fetch from Debian's suites (go-toolchains.sh,
# build-image.sh): debian_mirror prints the Debian mirror URLs of this
# machine's apt configuration (deb822 .sources and one-line .list files).
debian_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*$/\1/p' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)\/*[[:space:]].*/\2/p' "$f"
	done
}
