#!/bin/sh
# No function in user/ over 80 lines (house style: short functions). A
# function is what the kernel style writes: a signature starting at column
# 0, its "{" alone on a line at column 0, its "}" alone at column 0; its
# length counts the lines from the signature's first to "}", both included.
# Prints "FILE:LINE: NAME LENGTH lines" for every function over the limit,
# and exits 1 if one is not in the allowlist below.
# Usage: tools/check-functions.sh [--stats] [DIR]   (DIR: default user/;
#        --stats: count, median, p90 and max of all function lengths)
# Works with any POSIX awk (mawk, gawk, busybox).
cd "$(dirname "$0")/.." || exit 2
LIMIT=80
# file:function pairs allowed over the limit (space-separated); keep it empty
ALLOW=""
stats=0
[ "$1" = "--stats" ] && { stats=1; shift; }
dir=${1:-user}
# shellcheck disable=SC2046 # file names of the tree have no spaces
awk -v limit="$LIMIT" -v allow="$ALLOW" -v stats="$stats" -v dir="$dir/" '
function fname(sig,    s) {
	s = sig
	sub(/\(.*/, "", s)
	sub(/.*[^A-Za-z0-9_]/, "", s)
	return s
}
FNR == 1 { sig = ""; open = 0 }
/^[A-Za-z_]/ && !open { sig = $0; sigline = FNR }
/^\{[ \t]*$/ && !open && sig ~ /\(/ { open = 1; start = FNR; name = fname(sig); next }
/^\}/ && open {
	open = 0
	len = FNR - sigline + 1
	lens[++n] = len
	if (len > limit) {
		rel = FILENAME
		if (index(rel, dir) == 1)
			rel = substr(rel, length(dir) + 1)
		key = rel ":" name
		allowed = (" " allow " ") ~ (" " key " ")
		printf "%s:%d: %s %d lines%s\n", FILENAME, sigline, name, len,
			allowed ? " (allowed for now)" : ""
		over++
		if (!allowed)
			bad++
	}
	sig = ""
}
END {
	if (stats) {
		# insertion sort: a few thousand lengths
		for (i = 2; i <= n; i++) {
			v = lens[i]
			for (j = i - 1; j >= 1 && lens[j] > v; j--)
				lens[j + 1] = lens[j]
			lens[j + 1] = v
		}
		p90 = int((n * 9 + 9) / 10)
		printf "functions: %d, median %d, p90 %d, max %d lines, %d over %d\n",
			n, n ? lens[int((n + 1) / 2)] : 0, n ? lens[p90] : 0, n ? lens[n] : 0,
			over + 0, limit
	}
	printf "functions: %d over %d lines (%d allowed for now)\n", over + 0, limit,
		over - bad
	exit bad ? 1 : 0
}' $(find "$dir" -name '*.c' | sort)
