#!/bin/sh
# Builds every Go workload (or only the NAMEs given) twice into OUTDIR:
# <name> with DWARF and symbols, and <name>.stripped with -ldflags='-s -w'. Offline: module mode with no
# dependencies, caches under OUTDIR. GO=/path/to/go picks another toolchain.
set -eu
out=${1:?usage: build.sh OUTDIR [NAME...]}
shift
only=" $* "
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
go=${GO:-go}
export GOCACHE="${GOCACHE:-$out/.gocache}" GOPATH="${GOPATH:-$out/.gopath}"
export GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on CGO_ENABLED=0
cd "$here"
for dir in */; do
	name=${dir%/}
	[ -f "$name/main.go" ] || continue
	[ "$only" = "  " ] || case "$only" in *" $name "*) ;; *) continue ;; esac
	"$go" build -o "$out/$name" "./$name"
	"$go" build -ldflags='-s -w' -o "$out/$name.stripped" "./$name"
done
