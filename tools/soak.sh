#!/bin/bash
# Long soak, run by hand (root, from the tree, after `make leaktrace workloads`):
# system-wide leaktrace in a memory cgroup while short-lived Go programs
# (tools/workloads/go/shortlived, 7.4 MB, threads parked past the threshold)
# start and exit, PARALLEL at a time, until GO_PROCS have run or DURATION
# has passed. Prints RSS (first, after the warm-up, end, peak), the memory
# per exited process and per cached process, evictions. The short version
# is tests/e2e/test_soak.py.
#
#   tools/soak.sh [DURATION_S=3600] [GO_PROCS=10000]
#   env: PARALLEL=4 LIFE=1500ms LIMIT=268435456 (cgroup bytes) WARMUP=60
#        EXTRA="--no-go ..." (more leaktrace options)
#        OWN_CGROUP=1: trace only the soak's programs (a cgroup v2 of their
#        own, --cgroup), on a machine shared with other work
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:-3600}
procs=${2:-10000}
parallel=${PARALLEL:-4}
life=${LIFE:-1500ms}
limit=${LIMIT:-268435456}
warmup=${WARMUP:-60}
work=$(mktemp -d /tmp/lt-soak-sh.XXXXXX)
out=$work/reports.json

"$here/tools/workloads/go/build.sh" "$work/go" shortlived >/dev/null
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	cg=/sys/fs/cgroup/lt-soak-sh-$$; mkdir "$cg"; echo "$limit" > "$cg/memory.max"
	events=$cg/memory.events
else
	cg=/sys/fs/cgroup/memory/lt-soak-sh-$$; mkdir "$cg"
	echo "$limit" > "$cg/memory.limit_in_bytes"; events=$cg/memory.oom_control
fi
scope=
if [ "${OWN_CGROUP:-0}" = 1 ]; then
	for root in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ -e "$root/cgroup.subtree_control" ] && break
	done
	workcg=$root/lt-soak-sh-work-$$; mkdir "$workcg"
	scope="--cgroup /lt-soak-sh-work-$$"
fi
# shellcheck disable=SC2086
sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
	"$here/leaktrace" -t 1s -i 1s -f json -o "$out" $scope ${EXTRA:-} 2>"$work/stderr" &
lt=$!
cleanup() {
	kill "$lt" 2>/dev/null || true
	wait "$lt" 2>/dev/null || true
	rmdir "$cg" 2>/dev/null || true
	[ -z "${workcg:-}" ] || rmdir "$workcg" 2>/dev/null || true
}
trap cleanup EXIT
rss() { awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$lt/status" 2>/dev/null || echo 0; }

sleep 3
first=$(rss) peak=$first warm=0 started=0 t0=$SECONDS
echo "leaktrace pid $lt in $cg (limit $((limit >> 20)) MiB), output $out"
while [ $((SECONDS - t0)) -lt "$duration" ] && [ "$started" -lt "$procs" ] &&
      kill -0 "$lt" 2>/dev/null; do
	while [ "$(jobs -rp | wc -l)" -le "$parallel" ] && [ "$started" -lt "$procs" ]; do
		if [ -n "${workcg:-}" ]; then
			sh -c 'echo $$ > "$1/cgroup.procs"; exec "$2" "$3"' sh "$workcg" \
				"$work/go/shortlived" "$life" >/dev/null &
		else
			"$work/go/shortlived" "$life" >/dev/null &
		fi
		started=$((started + 1))
	done
	r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
	if [ "$warm" = 0 ] && [ $((SECONDS - t0)) -ge "$warmup" ]; then
		warm=$r warm_procs=$started
	fi
	if [ $(((SECONDS - t0) % 60)) = 0 ]; then
		echo "$((SECONDS - t0)) s: $started Go programs, RSS $r MB"
		sleep 1
	fi
	sleep 0.2
done
wait $(jobs -rp | grep -vx "$lt") 2>/dev/null || true
sleep 3
end=$(rss)
alive=yes; kill -0 "$lt" 2>/dev/null || alive=no
oom=$(awk '$1 == "oom_kill" { print $2 }' "$events")
echo "ran $((SECONDS - t0)) s, $started Go programs ($parallel at a time, $life each); leaktrace alive: $alive, oom_kill ${oom:-0}"
echo "RSS: first $first MB, after warm-up $warm MB, end $end MB, peak $peak MB"
if [ "$warm" -gt 0 ] && [ "$started" -gt "${warm_procs:-0}" ]; then
	awk -v a="$warm" -v b="$end" -v n="$((started - warm_procs))" \
		'BEGIN { printf "RSS growth per 1000 exited programs after warm-up: %.1f MB\n", (b - a) * 1000 / n }'
fi
grep '"type":"report"' "$out" | tail -1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
m = r["memory"]
print("budget %d MiB, used %.1f MiB" % (m["budget"] >> 20, m["used"] / 2**20))
for name, c in m["caches"].items():
    per = " (%.1f MB per entry)" % (c["bytes"] / c["entries"] / 1e6) if c["entries"] else ""
    print("  %-8s %4d entries %7.1f MB%s, %d evicted" % (name, c["entries"], c["bytes"] / 1e6, per, c["evictions"]))
'
