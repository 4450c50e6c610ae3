#!/bin/sh
# Builds Go workloads twice into OUTDIR: <name> with DWARF and symbols,
# and <name>.stripped with -ldflags='-s -w'. Offline: module mode with no
# dependencies, caches under OUTDIR. GO=/path/to/go picks another toolchain
# (a path: its GOROOT is derived from it); NAMEs restrict the set (default: all).
set -eu
out=${1:?usage: build.sh OUTDIR [NAME...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
go=${GO:-go}
# an unpacked toolchain (a path, not a go from PATH) is its own GOROOT
case $go in
*/*)
	GOROOT=$(cd "$(dirname "$(readlink -f "$go")")/.." && pwd)
	export GOROOT
	;;
esac
export GOCACHE="${GOCACHE:-$out/.gocache}" GOPATH="${GOPATH:-$out/.gopath}"
export GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on CGO_ENABLED=0
cd "$here"
names=$*
[ -n "$names" ] || names=$(for d in */; do [ -f "$d/main.go" ] && echo "${d%/}"; done)
for name in $names; do
	"$go" build -o "$out/$name" "./$name"
	"$go" build -ldflags='-s -w' -o "$out/$name.stripped" "./$name"
done
