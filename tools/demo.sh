#!/bin/bash
# Demo: install dependencies, build, and run leaktrace on the bundled leaky
# workload (threads stuck forever on a condvar, a mutex and a pipe, plus one
# more leaked thread every 3 s). Prints reports for ~13 s. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (sudo $0)" >&2; exit 4; }
./tools/install-deps.sh
make -s -j2 leaktrace workloads
.output/workloads/leaky --grow 3 > /tmp/leaktrace-demo.out &
wl=$!
trap 'kill $wl 2>/dev/null; wait $wl 2>/dev/null' EXIT
sleep 1
echo "demo: leaky workload is pid $wl; running: leaktrace --pid $wl -t 2s -i 4s -d 13s"
echo
./leaktrace --pid "$wl" --threshold 2s --interval 4s --duration 13s
