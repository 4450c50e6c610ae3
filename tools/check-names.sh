#!/bin/sh
# Methods are named object__verb (retsnoop, libbpf): once a prefix has a
# method "obj__verb", every exported function starting "obj_" is a method
# of the same object and must be spelled "obj__verb" too (peer_finder__new
# beside peer_finder_collect is two styles for one object).
# Prints "FILE:LINE: NAME (object OBJ has OBJ__ methods)" for each one and
# exits 1 if there is one. Exported = defined at column 0 without static.
# Usage: tools/check-names.sh [DIR]   (default user/); any POSIX awk.
cd "$(dirname "$0")/.." || exit 2
dir=${1:-user}
# shellcheck disable=SC2046 # file names of the tree have no spaces
awk '
function fname(line,    s) {
	s = line
	sub(/\(.*/, "", s)
	sub(/.*[^A-Za-z0-9_]/, "", s)
	return s
}
# a definition: column 0, not static, a name and "(", not a prototype
/^[A-Za-z_]/ && !/^static/ && !/^(typedef|struct [A-Za-z0-9_]+ \{|enum|union|#)/ && /\(/ && !/;[ \t]*$/ {
	n = fname($0)
	if (n == "" || n == "main")
		next
	names[++count] = n
	where[count] = FILENAME ":" FNR
	if (index(n, "__") > 1)
		objects[substr(n, 1, index(n, "__") - 1)] = 1
}
END {
	for (i = 1; i <= count; i++) {
		n = names[i]
		if (index(n, "__"))
			continue
		# the longest object prefix "obj_" of the name
		best = ""
		for (o in objects)
			if (index(n, o "_") == 1 && length(o) > length(best))
				best = o
		if (best != "") {
			printf "%s: %s (object %s has %s__ methods)\n", where[i], n, best, best
			bad++
		}
	}
	printf "names: %d functions named obj_verb beside obj__ methods\n", bad + 0
	exit bad ? 1 : 0
}' $(find "$dir" -name '*.c' | sort)
