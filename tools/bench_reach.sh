#!/bin/bash
# Cost of one Go reachability pass (collect/go/go_reach.c; not a test).
# Run as root after `make`. For each heap size (MB, default "10 1024") it
# starts tools/workloads/go/bigheap (64-byte pointerful objects reachable
# from a global, 3 goroutines blocked forever), runs leaktrace -v on it and
# prints, from the pass's own figures: heap size, bytes read, bytes/s read,
# CPU ms (and per 100 MB of heap), leaktrace's extra memory, proofs.
#
#   tools/bench_reach.sh [MB...]
set -u
cd "$(dirname "$0")/.."
LT=${LT:-./leaktrace}
OUT=$(mktemp -d /tmp/lt-bench-reach.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
tools/workloads/go/build.sh "$OUT" bigheap >/dev/null || exit 1
printf "%-8s %10s %10s %10s %9s %12s %10s %7s\n" heap_MB heap_read MB_read MB/s CPU_ms CPU_ms/100MB extra_MB proven
for mb in ${@:-10 1024}; do
	"$OUT/bigheap" "$mb" > "$OUT/wl.out" &
	wl=$!
	until grep -q READY "$OUT/wl.out" 2>/dev/null; do
		kill -0 $wl 2>/dev/null || { echo "bigheap $mb failed"; continue 2; }
		sleep 0.2
	done
	start=$(date +%s%N)
	line=$("$LT" -v -p $wl -t 1s -i 2s -d 3s -f json 2>&1 >/dev/null | grep "reachability pass" | head -1)
	kill $wl; wait $wl 2>/dev/null
	# "... proven, ... heap H MB, read R MB, C ms CPU, E MB extra" + wall from the pass's CPU
	python3 - "$mb" "$line" <<'PY'
import re, sys
mb, line = sys.argv[1], sys.argv[2]
m = re.search(r"(\d+) proven.*heap ([\d.]+) MB, read ([\d.]+) MB, ([\d.]+) ms CPU, ([\d.]+) MB extra", line)
if not m:
    print("%-8s no pass: %s" % (mb, line or "(none)"))
    sys.exit(0)
proven, heap, read, cpu, extra = int(m[1]), float(m[2]), float(m[3]), float(m[4]), float(m[5])
print("%-8s %10.1f %10.1f %10.0f %9.1f %12.1f %10.1f %7d" % (
    mb, heap, read, read / (cpu / 1e3) if cpu else 0, cpu, cpu * 100 / heap if heap else 0,
    extra, proven))
PY
done
