#!/bin/bash
# Cost benchmark (not a test). Run as root after `make` (and `make
# workloads`). In one run it prints:
#   pipe    BPF program runs per `perf bench sched pipe` round trip, and the
#           pinned pipe benchmark as a ratio against no tracing: leaktrace's
#           default mode, --precise, libbpf-tools' offcputime
#   churn   a pinned thread create+join loop: default and --precise against
#           no tracing
#   progs   ns/event of every program (bpf_stats) over the two parts above
#   cycle   report-cycle cost with 1,000 and 10,000 parked threads
#   go      CPU time of a traced Go HTTP server per request (keepalive and
#           new connection), untraced, default mode (no uprobes) and --precise,
#           uprobe hits per request
#   goroutines  snapshot cost (first and later snapshots, ms) and leaktrace's
#           peak RSS with 10,000 and 100,000 parked goroutines
# Wall times swing by ±30% on a shared VM (by 3x when other jobs load it):
# rounds are interleaved, the pipe and create+join figures are CPU time
# (user + system, where BPF programs are charged) besides wall time, and the
# ratios use the fastest round of each configuration (the Go part: medians).
#
#   tools/bench.sh [ROUNDS] [LOOPS]
# LT=PATH measures another build (one without --precise: its only mode is
# shown as "default"); LT_BEFORE=PATH adds an older build as one more
# configuration of the pipe and create+join rounds. BENCH_PIN=CPU (default 1) is the CPU of the pinned
# parts. BENCH_THREADS (20000) threads per create+join round, GO_REQUESTS
# (20000; keepalive 4x). BENCH_SKIP="pipe churn cycle go python java goroutines peer" skips parts.
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
LOOPS=${2:-50000}
LT=${LT:-./leaktrace}
PIN=${BENCH_PIN:-1}
THREADS=${BENCH_THREADS:-20000}
GO_REQUESTS=${GO_REQUESTS:-20000}
SKIP=" ${BENCH_SKIP:-} "
OFFCPU=$(command -v offcputime || echo /usr/sbin/offcputime)
GO_WL=.output/go-workloads
WORK=$(mktemp -d /tmp/lt-bench.XXXXXX)

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x "$LT" ] || die "build leaktrace first (make)"
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
[ -x .output/workloads/churn ] || die "build the workloads first (make workloads)"
skipped() { [[ $SKIP == *" $1 "* ]]; }
if "$LT" --help 2>/dev/null | grep -q -- --precise; then HAS_PRECISE=1; else HAS_PRECISE=; fi

tracer=
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled=$old_stats; [ -n "$tracer" ] && kill $tracer 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# "name run_time_ns run_cnt" of every BPF program process $1 holds open
# (other tracers may run beside us: their programs are not ours to count)
prog_stats() {
	python3 - "$1" <<'EOF'
import json, os, subprocess, sys
fdinfo = "/proc/%s/fdinfo" % sys.argv[1]
ids = set()
for fd in os.listdir(fdinfo) if os.path.isdir(fdinfo) else []:
    try:
        for line in open(os.path.join(fdinfo, fd)):
            if line.startswith("prog_id:"):
                ids.add(int(line.split()[1]))
    except OSError:
        pass
out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout
for p in json.loads(out or "[]"):
    if p["id"] in ids:
        print(p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
EOF
}

# stats_delta BEFORE AFTER: "name ns cnt" runs between two prog_stats
stats_delta() {
	awk 'NR == FNR {ns[$1] -= $2; cnt[$1] -= $3; next} {ns[$1] += $2; cnt[$1] += $3}
	     END {for (p in ns) print p, ns[p], cnt[p]}' "$1" "$2"
}

# start_tracer PROG_NAME CMD...: start CMD, wait until it holds PROG_NAME
start_tracer() {
	local want=$1; shift
	"$@" >/dev/null 2>&1 &
	tracer=$!
	for _ in $(seq 100); do
		if prog_stats "$tracer" 2>/dev/null | grep -q "^$want "; then
			# let it finish starting (symbol tables, first scan): its
			# start-up CPU is not hot-path cost
			sleep 1
			return 0
		fi
		kill -0 "$tracer" 2>/dev/null || break
		sleep 0.2
	done
	die "tracer $* did not load $want"
}

stop_tracer() {
	kill -INT "$tracer" 2>/dev/null
	wait "$tracer" 2>/dev/null
	tracer=
}

# the configurations measured against no tracing: "label program cmd..."
configs() {
	echo "default dump_threads $LT -t 10s -i 1h"
	[ -n "$HAS_PRECISE" ] && echo "precise dump_threads $LT --precise -t 10s -i 1h"
	[ -n "${LT_BEFORE:-}" ] && echo "before dump_threads $LT_BEFORE -t 10s -i 1h"
	if [ "$1" = pipe ] && [ -x "$OFFCPU" ] && ! skipped peer; then
		echo "offcputime sched_switch $OFFCPU 3600"
	fi
}

# measured CMD...: run CMD under the current config; appends its figure to
# $WORK/$label.$part and the BPF runs meanwhile to $WORK/$label.$part.stats
measured() {
	local part=$1 label=$2; shift 2
	local before=$WORK/before after=$WORK/after
	[ -n "$tracer" ] && prog_stats "$tracer" > "$before"
	"$@" >> "$WORK/$label.$part"
	if [ -n "$tracer" ]; then
		prog_stats "$tracer" > "$after"
		stats_delta "$before" "$after" >> "$WORK/$label.$part.stats"
	fi
}

# interleave PART CMD...: ROUNDS rounds of CMD untraced, then under each config
interleave() {
	local part=$1; shift
	for _ in $(seq "$ROUNDS"); do
		measured "$part" none "$@"
		while read -r label prog cmd; do
			# shellcheck disable=SC2086
			start_tracer "$prog" $cmd
			measured "$part" "$label" "$@"
			stop_tracer
		done < <(configs "$part")
	done
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# runs_per FILE UNITS: BPF program runs per unit of work, all of them and
# those on the context-switch path (system-wide, fork/exit also count other
# processes' threads created meanwhile)
runs_per() {
	[ -s "$1" ] || { printf 0; return; }
	awk -v n="$2" '{c += $3} $1 ~ /switch|wakeup/ {h += $3}
		END {printf "%.3f (on sched_switch/sched_wakeup: %.3f)", c / n, h / n}' "$1"
}

# column COL FILE: fastest (smallest) value of column COL
column_min() { awk -v c="$1" '{print $c}' "$2" | sort -g | head -1; }

# ratios PART UNIT UNITS_PER_RUN UNIT_NAME: fastest of each config (files of
# "wall cpu" lines, per unit) against no tracing
ratios() {
	local part=$1 unit=$2 units=$3 bw bc label
	bw=$(column_min 1 "$WORK/none.$part")
	bc=$(column_min 2 "$WORK/none.$part")
	printf '  %-12s wall %9.3f %s           CPU %9.3f %s\n' "no tracing" "$bw" "$unit" "$bc" "$unit"
	while read -r label _; do
		local w c
		w=$(column_min 1 "$WORK/$label.$part")
		c=$(column_min 2 "$WORK/$label.$part")
		printf '  %-12s wall %9.3f %s x%.3f    CPU %9.3f %s x%.3f   BPF runs per %s: %s\n' \
			"$label" "$w" "$unit" "$(echo "$w / $bw" | bc -l)" "$c" "$unit" \
			"$(echo "$c / $bc" | bc -l)" "$4" \
			"$(runs_per "$WORK/$label.$part.stats" "$(( units * ROUNDS ))")"
	done < <(configs "$part")
}

# timed SCALE CMD...: "wall cpu" seconds of CMD (cpu = user + system,
# children included), each multiplied by SCALE
timed() {
	local scale=$1; shift
	/usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" >/dev/null 2>&1
	awk -v s="$scale" '{printf "%.6f %.6f\n", $1 * s, ($2 + $3) * s}' "$WORK/time"
}

# microseconds per round trip of one pinned perf bench run
pipe_usecs() {
	timed "$(echo "1000000 / $LOOPS" | bc -l)" taskset -c "$PIN" perf bench sched pipe -l "$LOOPS"
}

part_pipe() {
	echo "== pinned pipe: perf bench sched pipe -l $LOOPS on CPU $PIN, fastest of $ROUNDS interleaved rounds"
	interleave pipe pipe_usecs
	ratios pipe "us/round trip" "$LOOPS" "round trip"
}

# microseconds per thread of one pinned create+join loop of $THREADS threads
churn_usecs() {
	timed "$(echo "1000000 / $THREADS" | bc -l)" \
		taskset -c "$PIN" .output/workloads/churn --threads "$THREADS" --batch 1
}

part_churn() {
	echo "== pinned create+join: $THREADS threads created and joined one at a time on CPU $PIN, fastest of $ROUNDS interleaved rounds"
	interleave churn churn_usecs
	ratios churn "us/thread" "$THREADS" "thread"
}

part_progs() {
	echo "== ns per BPF event (bpf_stats run_time_ns/run_cnt, over the rounds above)"
	for f in "$WORK"/*.stats; do
		[ -s "$f" ] || continue
		local what=${f##*/}
		awk -v what="${what%.stats}" 'NF == 3 {ns[$1] += $2; cnt[$1] += $3}
			END {for (p in ns) if (cnt[p]) printf "  %-18s %-18s %9.1f ns/event  (%d events)\n",
				what, p, ns[p] / cnt[p], cnt[p]}' "$f" | sort
	done
}

# Report cycles with N parked threads: the first (every stack captured and
# unwound) and the later ones (stacks of threads that did not run reused).
report_cycle() {
	local n=$1 wl out=$WORK/many_parked.out
	.output/workloads/many_parked --threads "$n" > "$out" &
	wl=$!
	for _ in $(seq 600); do grep -q READY "$out" 2>/dev/null && break; sleep 0.1; done
	"$LT" -p "$wl" -t 1s -i 1s -d 5s -f json 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
reps = [r for r in map(json.loads, sys.stdin) if r["type"] == "report"]
first = next((r for r in reps if r["captures"]), None)
later = [r for r in reps if r is not first and r["parked"]]
if not first:
    print("  %6d parked: no capture happened" % n); sys.exit()
cyc = lambda r: r["scan_ms"] + r["capture_ms"] + r["judge_ms"]
print("  %6d parked: first cycle %7.1f ms (scan %.1f, capture+unwind %.1f = %.1f us/thread, judge %.1f); "
      "later cycles %6.1f ms (scan %.1f); peak RSS %.1f MiB" % (
      n, cyc(first), first["scan_ms"], first["capture_ms"], first["capture_ms"] * 1000 / first["captures"],
      first["judge_ms"], sum(map(cyc, later)) / max(len(later), 1),
      sum(r["scan_ms"] for r in later) / max(len(later), 1), reps[-1]["max_rss_kb"] / 1024))
' "$n"
	kill "$wl"
	wait "$wl" 2>/dev/null
}

part_cycle() {
	echo "== report cycle with parked threads (many_parked workload, -p, stacks on)"
	for n in 1000 10000; do report_cycle "$n"; done
}

# CPU seconds (utime + stime) the process $1 used so far
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); print ($12 + $13) / hz}' "/proc/$1/stat"
}

# go_round PID URL N KEEPALIVE: microseconds of server CPU per request
go_round() {
	local c0 c1
	c0=$(cpu_seconds "$1")
	"$GO_WL/loadgen" -url "$2" -n "$3" -c 8 -k="$4" >/dev/null || die "loadgen failed"
	c1=$(cpu_seconds "$1")
	echo "($c1 - $c0) * 1000000 / $3" | bc -l
}

part_go() {
	if [ ! -x "$GO_WL/idleserver" ] && command -v go >/dev/null; then
		tools/workloads/go/build.sh "$GO_WL" >/dev/null 2>&1
	fi
	if [ ! -x "$GO_WL/idleserver" ] || [ ! -x "$GO_WL/loadgen" ]; then
		echo "== Go CPU per request skipped: no Go toolchain to build tools/workloads/go"
		return
	fi
	echo "== Go CPU per request: idleserver (net/http) utime+stime from /proc/PID/stat, loadgen -c 8, median of $ROUNDS interleaved rounds"
	local out=$WORK/idleserver.out srv port
	"$GO_WL/idleserver" > "$out" &
	srv=$!
	for _ in $(seq 100); do grep -q READY "$out" && break; sleep 0.1; done
	port=$(awk '/^PORT/ {print $2}' "$out")
	local url=http://127.0.0.1:$port/
	"$GO_WL/loadgen" -url "$url" -n 2000 -c 8 >/dev/null	# warm up
	for keepalive in true false; do
		local n=$GO_REQUESTS kind="new connection"
		[ "$keepalive" = true ] && n=$(( GO_REQUESTS * 4 )) kind=keepalive
		rm -f "$WORK"/*.go "$WORK"/*.go.stats
		for _ in $(seq "$ROUNDS"); do
			measured go none go_round "$srv" "$url" "$n" "$keepalive"
			# the default mode puts nothing in the Go process: wait for
			# the thread programs, then one report cycle has attached
			start_tracer dump_threads "$LT" -p "$srv" -t 10s -i 1h
			measured go default go_round "$srv" "$url" "$n" "$keepalive"
			stop_tracer
			if [ -n "$HAS_PRECISE" ]; then
				start_tracer go_gopark "$LT" --precise -p "$srv" -t 10s -i 1h
				measured go precise go_round "$srv" "$url" "$n" "$keepalive"
				stop_tracer
			fi
		done
		local base mode traced
		base=$(median < "$WORK/none.go")
		for mode in default ${HAS_PRECISE:+precise}; do
			traced=$(median < "$WORK/$mode.go")
			printf '  %-15s %-8s %d requests: %7.2f us CPU/request untraced, %7.2f traced: x%.3f; uprobe hits per request %s\n' \
				"$kind" "$mode" "$n" "$base" "$traced" "$(echo "$traced / $base" | bc -l)" \
				"$(awk -v n="$(( n * ROUNDS ))" '$1 ~ /^go_/ {c += $3} END {printf "%.2f", c / n}' \
					"$WORK/$mode.go.stats" 2>/dev/null || echo 0.00)"
			[ -f "$WORK/$mode.go.stats" ] && mv "$WORK/$mode.go.stats" "$WORK/go-$mode-$keepalive.stats"
		done
	done
	kill "$srv"
	wait "$srv" 2>/dev/null
}

echo "leaktrace benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, $LT${HAS_PRECISE:+ (default and --precise modes)}"
python_bench() {
	local n=$1 wl out
	out=/tmp/lt-bench-py.$$
	/usr/bin/python3 tools/workloads/python_many_parked.py --threads "$n" > "$out" &
	wl=$!
	for _ in $(seq 600); do grep -q READY "$out" 2>/dev/null && break; sleep 0.1; done
	"$LT" -p "$wl" -t 1s -i 1s -d 2s -f json 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
reps = [r for r in map(json.loads, sys.stdin) if r["type"] == "report" and r["captures"]]
if not reps:
    print("  %5d parked Python threads: no capture happened" % n); sys.exit()
r = reps[0]
print("  %5d parked Python threads: first cycle: walks %.2f ms = %.1f us/thread of %.1f us/thread "
      "capture+unwind+walk (%d captures, %d walk failures)" % (
      n, r["python_ms"], r["python_ms"] * 1000 / r["captures"], r["capture_ms"] * 1000 / r["captures"],
      r["captures"], r["python_failures"]))' "$n"
	kill "$wl"; wait "$wl" 2>/dev/null; rm -f "$out"
}

# A JVM (the host's JDK 17) with n threads parked on one CountDownLatch:
# java_ms of the first report (find libjvm.so, read its symbols and
# VMStructs tables, walk the threads) and of the next ones (the walk).
java_bench() {
	local n=$1 wl out classes=.output/bench-java
	mkdir -p "$classes"
	javac --release 17 -d "$classes" tools/workloads/java/JavaBugs.java tools/workloads/java/Bank.java ||
		{ echo "  java bench: javac failed"; return; }
	out=/tmp/lt-bench-java.$$
	java -cp "$classes" JavaBugs "parked-$n" > "$out" &
	wl=$!
	for _ in $(seq 600); do grep -q READY "$out" 2>/dev/null && break; sleep 0.1; done
	"$LT" -p "$wl" -t 1s -i 1s -d 4s -f json 2>/dev/null | python3 -c '
import json, sys
n = int(sys.argv[1])
reps = [r for r in map(json.loads, sys.stdin) if r["type"] == "report"]
if len(reps) < 2:
    print("  %5d parked Java threads: fewer than 2 reports" % n); sys.exit()
later = sorted(r["java_ms"] for r in reps[1:])
print("  %5d parked Java threads: first report %.2f ms (probe + tables + walk), then %.2f ms "
      "per report (median of %d) = %.1f us/thread; stack capture %.2f ms for %d stacks" % (
      n, reps[0]["java_ms"], later[len(later) // 2], len(later),
      later[len(later) // 2] * 1000 / n, reps[0]["capture_ms"], reps[0]["captures"]))' "$n"
	kill "$wl"; wait "$wl" 2>/dev/null; rm -f "$out"
}

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
	# "... N ms (M ms CPU)" per snapshot: the first reads every park, later
	# ones only what changed
	echo "$log" | awk -v n="$n" -v loadavg="$(cut -d' ' -f1 /proc/loadavg)" '
		/snapshot:/ { w = $(NF - 4); c = $(NF - 2); sub(/^\(/, "", c)
			if (!k++) { fw = w; fc = c } else { lw += w; lc += c } }
		/^RSS/ { rss = $2 / 1024 }
		END { if (!k) { printf "  %6d goroutines: no snapshot\n", n; exit }
			printf "  %6d goroutines: first snapshot %.0f ms (%.0f ms CPU), later %.0f ms (%.0f ms CPU, mean of %d); peak RSS %.1f MiB; load %s\n",
				n, fw, fc, (k > 1 ? lw / (k - 1) : 0), (k > 1 ? lc / (k - 1) : 0), k - 1, rss, loadavg }'
}

part_goroutines() {
	echo "== goroutine snapshot cost (parked goroutines in one Go process)"
	for n in 10000 100000; do go_snapshot_bench "$n"; done
}

part_java() {
	echo "== Java threads (JavaBugs parked-N on the host JDK, -p, stacks on)"
	for n in 10 1000; do java_bench "$n"; done
}

part_python() {
	echo "== Python frame walk (python_many_parked workload, -p, stacks on)"
	for n in 1 1000; do python_bench "$n"; done
}

skipped pipe || part_pipe
skipped churn || part_churn
skipped cycle || part_cycle
skipped go || part_go
skipped python || part_python
skipped java || part_java
skipped goroutines || part_goroutines
part_progs
