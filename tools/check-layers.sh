#!/bin/sh
# The floors of user/, lowest first: a module may include headers of its own
# floor or of floors below it, never above (docs/internals.md "Source layout").
# Prints every include that runs back up and exits 1 if there is one.
# Usage: tools/check-layers.sh [--fan-in]   (--fan-in: modules including each
# header, directly and through other headers)
cd "$(dirname "$0")/.." || exit 2
floors="util model collect judge sinks run"
floor_of() {
	n=0
	for f in $floors; do
		case "$1" in "$f"/*) echo $n; return ;; esac
		n=$((n + 1))
	done
	echo -1
}
bad=0
for src in $(find user -name '*.[ch]' | sort); do
	rel=${src#user/}
	from=$(floor_of "$rel")
	for inc in $(sed -n 's/^#include "\([a-z_/]*\.h\)".*/\1/p' "$src"); do
		[ -f "user/$inc" ] || continue
		to=$(floor_of "$inc")
		if [ "$to" -gt "$from" ]; then
			echo "up: $rel -> $inc"
			bad=$((bad + 1))
		fi
	done
done
# "file header" for every include of a header of user/ (files under user/)
include_edges() {
	for src in $(find user -name '*.[ch]' | sort); do
		for inc in $(sed -n 's/^#include "\([a-z_/]*\.h\)".*/\1/p' "$src"); do
			[ -f "user/$inc" ] && echo "${src#user/} $inc"
		done
	done
}

# Per header: the modules (.c) that include it directly and through other
# headers (POSIX awk: runs with mawk, gawk, busybox).
fan_in() {
	include_edges | awk '
	{ adj[$1] = adj[$1] " " $2; if ($1 ~ /\.c$/) mods[$1] = 1; hdr[$2] = 1 }
	END {
		for (m in mods) {
			n_mods++
			for (h in seen) delete seen[h]
			sp = 0; stack[++sp] = m
			while (sp > 0) {
				f = stack[sp--]
				k = split(adj[f], next_, " ")
				for (i = 1; i <= k; i++) {
					if (next_[i] in seen) continue
					seen[next_[i]] = 1; stack[++sp] = next_[i]
					if (f == m) direct[next_[i]]++
				}
			}
			for (h in seen) trans[h]++
		}
		for (h in hdr)
			printf "%d %d/%d %d/%d %s\n", trans[h], direct[h] + 0, n_mods, trans[h] + 0, n_mods, h
	}' | sort -rn | cut -d' ' -f2-
}

if [ "$1" = "--fan-in" ]; then
	echo "modules including each header: directly, transitively (top 15)"
	fan_in | head -15
	# the issue's bound: no header beyond the model's own in more than a third
	fan_in | awk '$3 !~ /^model\// { split($2, t, "/"); if (t[1] * 3 > t[2]) over++ }
		END { printf "fan-in: %d headers outside model/ reach more than a third of the modules\n", over }'
fi
echo "layers: $bad includes run back up the floors ($floors)"
[ "$bad" -eq 0 ]
