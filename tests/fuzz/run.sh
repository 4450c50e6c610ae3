#!/bin/sh
# Run each fuzz harness for FUZZ_SECONDS (default 50) from its committed
# seeds (tests/fuzz/corpus/T) plus seeds taken from real files of this
# machine, the regression inputs (tests/fuzz/regress/T) and what earlier runs
# found (.output/fuzz/corpus/T). A crash leaves its input in
# .output/fuzz/crashes/T/: copy it to tests/fuzz/regress/T/ once fixed.
# One line per target: executions, seconds, crashes; exit 1 on any crash.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-50}
out=.output/fuzz
status=0
for t in "$@"; do
	work=$out/corpus/$t crashes=$out/crashes/$t
	mkdir -p "$work" "$crashes"
	extra=""
	case $t in
	symtab) extra="/bin/true /usr/lib/x86_64-linux-gnu/libz.so.1" ;;
	go_binary) extra="$out/go/sleeploop" ;;
	ksyms) head -c 65536 /proc/kallsyms > "$work/kallsyms-head" 2>/dev/null ;;
	maps) cp /proc/self/maps "$work/self-maps" ;;
	proc_status) cp /proc/self/status "$work/self-status" ;;
	proc_stat) cp /proc/self/stat "$work/self-stat" ;;
	esac
	for f in $extra; do [ -r "$f" ] && cp "$f" "$work/seed-$(basename "$f")"; done
	log=$out/$t.log
	"$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=2097152 \
		-print_final_stats=1 -artifact_prefix="$crashes/" \
		"$work" "tests/fuzz/corpus/$t" $( [ -d "tests/fuzz/regress/$t" ] && echo "tests/fuzz/regress/$t") \
		> "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	n=$(find "$crashes" -type f | wc -l)
	printf 'fuzz %-12s %8s executions in %ss, %d crash input(s)%s\n' "$t" "${execs:-?}" "$secs" "$n" \
		"$([ $rc -ne 0 ] && echo ": see $log")"
	[ $rc -ne 0 ] || [ "$n" -ne 0 ] && status=1
done
exit $status
