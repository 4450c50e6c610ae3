#!/bin/sh
# The floors of user/, lowest first: a module may include headers of its own
# floor or of floors below it, never above (docs/internals.md "Source layout").
# Prints every include that runs back up and exits 1 if there is one.
# Usage: tools/check-layers.sh [--fan-in]   (--fan-in: modules including each header)
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
if [ "$1" = "--fan-in" ]; then
	mods=$(find user -name '*.c' | wc -l)
	for h in $(cd user && find . -name '*.h' | sed 's#^\./##' | sort); do
		n=$(grep -rl "#include \"$h\"" user --include='*.c' | wc -l)
		echo "$n/$mods $h"
	done | sort -rn | head -15
fi
echo "layers: $bad includes run back up the floors ($floors)"
[ "$bad" -eq 0 ]
