#!/bin/bash
# Hot-path benchmark (not a test): prints ns/event of each BPF program from
# bpf_stats and the slowdown of `perf bench sched pipe` with leaktrace
# attached vs. not, interleaved in one run; the same for libbpf-tools'
# offcputime as the reference peer. Run as root after `make`.
#   tools/bench.sh [ROUNDS] [LOOPS]
# BENCH_PIN=1 pins perf bench to CPU 1; BENCH_SKIP_STACKS, BENCH_SKIP_PEER
# skip the report-cycle and offcputime parts; BENCH_SKIP_GO the goroutine snapshots.
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
LOOPS=${2:-50000}
LT=./leaktrace
OFFCPU=$(command -v offcputime || echo /usr/sbin/offcputime)

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LT" ] || die "build leaktrace first (make)"
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"

old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled=$old_stats; kill $tracer 2>/dev/null; wait 2>/dev/null' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# usecs/op of one perf bench run; BENCH_PIN=CPU runs both ends on one CPU,
# which removes the cross-CPU wake-up latency that makes unpinned runs on a
# VM swing by tens of percent, and leaves the context-switch cost itself
pipe_usecs() {
	${BENCH_PIN:+taskset -c "$BENCH_PIN"} perf bench sched pipe -l "$LOOPS" 2>/dev/null |
		awk '/usecs\/op/ {print $1}'
}

# start a tracer in the background and wait until its programs are loaded
start_tracer() {
	"$@" >/dev/null 2>&1 &
	tracer=$!
	for _ in $(seq 50); do
		if bpftool -j prog show 2>/dev/null | grep -qE "\"($STATNAMES)\""; then
			# let the tracer finish starting up (symbol tables, first scan)
			# so its start-up CPU does not count as hot-path cost
			sleep 1
			return 0
		fi
		sleep 0.1
	done
	die "tracer $* did not load"
}

stop_tracer() {
	kill -INT "$tracer" 2>/dev/null
	wait "$tracer" 2>/dev/null
}

# run_time_ns/run_cnt per program of the running tracer: "name ns cnt" lines
prog_stats() {
	bpftool -j prog show | python3 -c '
import json, sys
names = set(sys.argv[1].split(","))
for p in json.load(sys.stdin):
    if p.get("name") in names and p.get("run_cnt"):
        print(p["name"], p.get("run_time_ns", 0), p["run_cnt"])' "$1"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# bench NAME STATNAMES CMD...: interleaved base/traced rounds
bench() {
	local name=$1 statnames=$2; shift 2
	local base=() traced=() stats=""
	STATNAMES=${statnames//,/|}
	for r in $(seq "$ROUNDS"); do
		base+=("$(pipe_usecs)")
		start_tracer "$@"
		traced+=("$(pipe_usecs)")
		stats+=$(prog_stats "$statnames")$'\n'
		stop_tracer
	done
	local b t
	b=$(printf '%s\n' "${base[@]}" | median)
	t=$(printf '%s\n' "${traced[@]}" | median)
	echo "== $name"
	echo "perf bench sched pipe -l $LOOPS${BENCH_PIN:+ pinned to CPU $BENCH_PIN}, median of $ROUNDS interleaved rounds:"
	printf '  no tracing  %8.3f usecs/op\n  traced      %8.3f usecs/op\n  slowdown    %8.3f (ratio traced/untraced)\n' "$b" "$t" \
		"$(echo "$t / $b" | bc -l)"
	echo "ns per BPF event (bpf_stats run_time_ns/run_cnt, summed over rounds):"
	printf '%s' "$stats" | awk 'NF==3 {ns[$1]+=$2; cnt[$1]+=$3}
		END {for (p in ns) printf "  %-16s %10.1f ns/event  (%d events)\n", p, ns[p]/cnt[p], cnt[p]}'
}

# Report cycles with N parked threads: first cycle (every stack captured and
# unwound), steady state (stacks of threads that did not run are reused).
stacks_bench() {
	local n=$1 wl pid
	.output/workloads/many_parked --threads "$n" > /tmp/lt-bench-wl.$$ &
	wl=$!
	for _ in $(seq 300); do grep -q READY /tmp/lt-bench-wl.$$ 2>/dev/null && break; sleep 0.1; done
	"$LT" -p "$wl" -t 1s -i 1s -d 4s -f json 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
reps = [r for r in map(json.loads, sys.stdin) if r["type"] == "report"]
first = next((r for r in reps if r["captures"]), None)
steady = [r for r in reps if r is not first and r["parked"]]
if not first:
    print("  %6d parked: no capture happened" % n); sys.exit()
cyc = lambda r: r["scan_ms"] + r["capture_ms"] + r["judge_ms"]
print("  %6d parked: first cycle %7.1f ms (scan %.1f, capture+unwind %.1f = %.1f us/thread, verdicts %.1f); "
      "steady cycle %6.1f ms; peak RSS %.1f MiB" % (
      n, cyc(first), first["scan_ms"], first["capture_ms"], first["capture_ms"] * 1000 / first["captures"],
      first["judge_ms"], sum(map(cyc, steady)) / max(len(steady), 1), reps[-1]["max_rss_kb"] / 1024))
' "$n"
	kill "$wl"; wait "$wl" 2>/dev/null; rm -f /tmp/lt-bench-wl.$$
}

if [ -z "${BENCH_SKIP_STACKS:-}" ]; then
	echo "== report cycle with parked threads (many_parked workload, stacks on)"
	for n in 1000 10000; do stacks_bench "$n"; done
fi

bench "leaktrace (system-wide)" \
	"handle_switch,handle_wakeup,handle_fork,handle_exit,handle_switch_hash,handle_wakeup_hash,handle_fork_hash,handle_exit_hash" \
	"$LT" -t 10s -i 1h
if [ -x "$OFFCPU" ] && [ -z "${BENCH_SKIP_PEER:-}" ]; then
	bench "libbpf-tools offcputime (reference)" "sched_switch,sched_switch_raw,sched_switch_btf" \
		"$OFFCPU" 3600
else
	echo "== offcputime reference skipped (not installed, or BENCH_SKIP_PEER set)"
fi

# Goroutine snapshots at scale: a Go program with N goroutines parked on one
# channel (preparked), leaktrace -v --pid on it for a few reports; prints the
# time of each snapshot (go_tracer's own figure) and leaktrace's peak RSS.
# GO=/path/to/go picks the toolchain (default: go in PATH).
go_snapshot_bench() {
	local n=$1 out=.output/bench-go wl log
	GO=${GO:-go} tools/workloads/go/build.sh "$out" preparked >/dev/null || {
		echo "  go snapshot bench: cannot build preparked"; return; }
	"$out/preparked.stripped" -n "$n" >/dev/null &
	wl=$!
	sleep $((2 + n / 25000))
	log=$(/usr/bin/time -f "RSS %M" "$LT" -p "$wl" --go -t 1s -i 2s -d 6s -f json --no-stacks -v \
		2>&1 >/dev/null | grep -E "snapshot:|^RSS")
	kill "$wl"; wait "$wl" 2>/dev/null
	echo "$log" | awk -v n="$n" '
		/snapshot:/ { for (i = 1; i <= NF; i++) if ($i == "ms") t = t sprintf(" %.0f", $(i - 1)); k++ }
		/^RSS/ { rss = $2 / 1024 }
		END { printf "  %6d goroutines: snapshots (ms):%s; peak RSS %.1f MiB\n", n, t, rss }'
}

if [ -z "${BENCH_SKIP_GO:-}" ]; then
	echo "== goroutine snapshots (preparked, stripped, one Go process)"
	for n in 10000 100000; do go_snapshot_bench "$n"; done
fi
