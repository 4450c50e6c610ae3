# Sourced by the tools that fetch from Debian's suites (go-toolchains.sh,
# jdk-fetch.sh, build-image.sh): debian_mirror prints the Debian mirror URLs
# of this machine's apt configuration (deb822 .sources and one-line .list
# files); apt_opts and private_apt_update keep a private apt configuration
# in $apt_dir (set by the caller), so nothing is installed over the system.
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

# Options that make apt-get/apt-cache use the private configuration.
apt_opts() {
	echo "-q -o Dir::Etc::sourcelist=$apt_dir/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache \
-o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0"
}

# One `apt-get update` of the suites given, from this machine's mirror,
# into $apt_dir. 0, or 1 with a line on stderr.
private_apt_update() {
	url=$(debian_mirror | head -n1)
	if [ -z "$url" ]; then
		echo "no Debian mirror configured in /etc/apt" >&2
		return 1
	fi
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	: >"$apt_dir/sources.list"
	for s in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $url $s main" >>"$apt_dir/sources.list"
	done
	# shellcheck disable=SC2046
	if ! apt-get $(apt_opts) update >"$apt_dir/update.log" 2>&1; then
		echo "apt-get update failed (see $apt_dir/update.log)" >&2
		return 1
	fi
}
