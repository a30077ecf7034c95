#!/usr/bin/env bash
# What a kernel configured by a .config will run and skip, and why, read
# against the suite's fragment (tests/config) and each case's declared
# needs and backing (TEST --requires). Nothing is booted or probed.
#
#   setup/guest/checkconfig.sh [--tests GLOB] [--release R] [--cases] [--results KDIR] CONFIG
#   setup/guest/checkconfig.sh --missing KDIR    what a run's kernel folder says it lacked
#
# --release R   the kernel release (default: the .config's "Linux/x86 R" line)
# --cases       one line per case: TEST/CASE <tab> run|skip <tab> why
# --results KDIR  also compare with what a run on that kernel did (its
#               results.jsonl, or the guest's list.txt of run.sh --list):
#               each case predicted to skip must have skipped, each
#               predicted to run must not have
# Output: the options the config lacks (with the tests needing each), the
# release-bound pieces it is too old for, then a table per test: cases
# that run, that skip, and why; the pieces only the guest can find by
# trying. Exit 0 when every case would run, 1 when some would skip (or
# disagree with --results), 2 on bad usage.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=${PINRACE_PROG:-check-config}
. "$top/setup/run/common.sh"

# --missing KDIR: what a kernel folder of a run records the kernel lacked,
# one line each: its .config's missing options (config-check.txt, written
# by vm.sh) and what the guest's setup found missing (lacks.txt).
if [ "${1:-}" = --missing ]; then
	kdir=${2:?usage: checkconfig.sh --missing KDIR}
	sed -n 's/^missing option: /missing config option: /p; s/^too old: /too old for: /p' \
		"$kdir/config-check.txt" 2>/dev/null
	sed 's/^/guest setup lacks /' "$kdir/lacks.txt" 2>/dev/null
	exit 0
fi

glob='*' release='' per_case=0 against='' config=''
while [ $# -gt 0 ]; do
	case $1 in
	--tests) glob=${2:?}; shift ;;
	--release) release=${2:?}; shift ;;
	--cases) per_case=1 ;;
	--results) against=${2:?}; shift ;;
	-*) die 2 "unknown option '$1'" ;;
	*)
		[ -z "$config" ] || die 2 "one CONFIG file, not '$config' and '$1'"
		config=$1
		;;
	esac
	shift
done
[ -n "$config" ] || die 2 "usage: checkconfig.sh [--tests GLOB] [--release R] [--cases] [--results KDIR] CONFIG"
{ [ -f "$config" ] && [ -r "$config" ]; } || die 2 "--check-config $config: no such file"
grep -qE '^(# )?CONFIG_[A-Z0-9_]+[= ]' "$config" || die 2 "$config is not a kernel .config (no CONFIG_ lines)"
[ -z "$against" ] || [ -s "$against/results.jsonl" ] || [ -s "$against/list.txt" ] ||
	die 2 "--results $against: no results.jsonl (a run) or list.txt (run.sh --list) there"
fragment=$top/tests/config
[ -n "$release" ] || release=$(sed -n 's/^# Linux\/[^ ]* \([0-9][^ ]*\) Kernel Configuration$/\1/p' "$config" | head -n1)

# Every selected case: TEST/CASE <tab> needs <tab> backing.
shopt -s extglob
requires() {
	local bin name
	for bin in "$top"/build/tests/*; do
		name=${bin##*/}
		[[ -f $bin && -x $bin ]] || continue
		case $name in bench-* | peer-*) continue ;; esac
		# shellcheck disable=SC2254
		case $name in $glob) "$bin" --requires ;; esac
	done
}
reqs=$(requires)
[ -n "$reqs" ] || die 2 "no test matches '$glob' (did 'make' run?)"

# One line per case: TEST/CASE <tab> run|skip <tab> reasons ("; "-joined)
# <tab> missing options <tab> probed pieces.
verdicts() {
	awk -F'\t' -v release="$release" '
	function glob2re(g,   r, i, ch, depth) {
		r = "^"; depth = 0
		for (i = 1; i <= length(g); i++) {
			ch = substr(g, i, 1)
			if (ch == "*") r = r ".*"
			else if (ch == "?") r = r "."
			else if (ch == "@" && substr(g, i + 1, 1) == "(") { r = r "("; i++; depth++ }
			else if (ch == "|" && depth) r = r "|"
			else if (ch == ")" && depth) { r = r ")"; depth-- }
			else if (ch ~ /[.+^$\\\[\]{}()|]/) r = r "\\" ch
			else r = r ch
		}
		return r "$"
	}
	function vercmp(a, b,   x, y, n, i) { # <0, 0, >0 on major.minor.patch
		n = split(a, x, /[^0-9]+/); split(b, y, /[^0-9]+/)
		for (i = 1; i <= 3; i++) if (x[i] + 0 != y[i] + 0) return x[i] + 0 - (y[i] + 0)
		return 0
	}
	FILENAME == ARGV[1] {	# the fragment
		if ($0 ~ /^# requires: /) {
			g++; line = substr($0, 13)
			i = index(line, ": "); toks[g] = substr(line, 1, i - 1); what[g] = substr(line, i + 2)
			next
		}
		if (!g) next
		if ($0 ~ /^# module: /) { mod = substr($0, 11); next }
		if ($0 ~ /^CONFIG_[A-Z0-9_]+=/) {
			split($0, kv, "="); no[g]++; opt[g, no[g]] = kv[1]
			omod[g, no[g]] = mod; mod = ""; next
		}
		if ($0 ~ /^# since: /) { since[g] = substr($0, 10); next }
		if ($0 ~ /^# probed: /) { probed[g] = substr($0, 11); next }
		if ($0 ~ /^# never: /) { never[g] = substr($0, 10); next }
		next
	}
	FILENAME == ARGV[2] {	# the .config
		if ($0 ~ /^CONFIG_[A-Z0-9_]+=/) { i = index($0, "="); v = substr($0, i + 1)
			set[substr($0, 1, i - 1)] = (v != "n") }
		next
	}
	{	# a case: TEST/CASE, needs, backing
		n = split($2, nd, ","); delete have
		for (i = 1; i <= n; i++) have["need:" nd[i]] = 1
		why = ""; miss = ""; prb = ""
		for (k = 1; k <= g; k++) {
			nt = split(toks[k], t, " "); ok = 1
			for (i = 1; i <= nt && ok; i++) {
				split(t[i], kv, ":")
				re = glob2re(substr(t[i], length(kv[1]) + 2))
				if (kv[1] == "need") {
					ok = 0
					for (x in have) if (substr(x, 6) ~ re) ok = 1
				} else if (kv[1] == "backing") ok = $3 ~ re
				else if (kv[1] == "case") ok = $1 ~ re
				else ok = 0
			}
			if (!ok) continue
			gm = ""
			for (j = 1; j <= no[k]; j++)
				if (!set[opt[k, j]]) {
					gm = gm (gm ? ", " : "") opt[k, j]
					miss = miss (miss ? " " : "") opt[k, j]
				}
			if (gm != "") why = why (why ? "; " : "") gm " not set: " what[k]
			if (since[k] != "" && release != "") {
				split(since[k], sv, " "); sub(/:$/, "", sv[2])
				if (vercmp(release, sv[1]) < 0) {
					rest = since[k]; sub(/^[^ ]+ [^ ]+: /, "", rest)
					why = why (why ? "; " : "") "release " release " older than " sv[1] ": " rest " (" sv[2] ")"
				}
			}
			if (probed[k] != "") prb = prb (prb ? "|" : "") probed[k]
			if (never[k] != "") why = why (why ? "; " : "") never[k]
		}
		printf "%s\t%s\t%s\t%s\t%s\n", $1, why == "" ? "run" : "skip", why, miss, prb
	}' "$fragment" "$config" - <<<"$reqs"
}
v=$(verdicts)

if [ $per_case = 1 ]; then
	cut -f1-3 <<<"$v"
else
	echo "check-config: $config (release ${release:-unknown}) against tests/config"
	# Missing options, each with the tests that need it.
	awk -F'\t' '$4 != "" { split($1, tc, "/"); n = split($4, o, " ")
		for (i = 1; i <= n; i++) if (!seen[o[i], tc[1]]++) t[o[i]] = t[o[i]] (t[o[i]] ? " " : "") tc[1] }
		END { for (x in t) printf "missing option: %s (tests: %s)\n", x, t[x] }' <<<"$v" | sort
	awk -F'\t' '{ n = split($3, r, "; "); for (i = 1; i <= n; i++) if (r[i] ~ /^release /) c[r[i]]++ }
		END { for (x in c) printf "too old: %s: %d case(s)\n", x, c[x] }' <<<"$v" | sort
	{
		printf 'TEST\tRUN\tSKIP\tWHY\n'
		awk -F'\t' '{ split($1, tc, "/"); t = tc[1]; if (!(t in run)) { order[++n] = t; run[t] = 0; skip[t] = 0 }
			if ($2 == "run") run[t]++; else { skip[t]++; m = split($3, r, "; ")
				for (i = 1; i <= m; i++) if (!seen[t, r[i]]++) why[t] = why[t] (why[t] ? "; " : "") r[i] } }
			END { for (i = 1; i <= n; i++) printf "%s\t%d\t%d\t%s\n", order[i], run[order[i]], skip[order[i]], why[order[i]] == "" ? "-" : why[order[i]] }' <<<"$v"
	} | column -t -s $'\t'
	cut -f5 <<<"$v" | tr '|' '\n' | grep . | sort -u | sed 's/^/found by trying in the guest (no option shows it): /'
	awk -F'\t' '{ c[$2]++ } END { printf "check-config: %d case(s) would run, %d would skip\n", c["run"], c["skip"] }' <<<"$v"
fi

rc=0
! grep -q $'\tskip\t' <<<"$v" || rc=1
if [ -n "$against" ]; then
	# What the run did, case by case (the last line of a case counts).
	if [ -s "$against/results.jsonl" ]; then
		did=$(jq -r '"\(.test)/\(.case)\t\(.status)\t\(.detail // "")"' "$against/results.jsonl" |
			awk -F'\t' '{ s[$1] = $2; d[$1] = $3 } END { for (c in s) print c "\t" s[c] "\t" d[c] }')
	else # the guest's --list: "TEST/CASE <tab> run" or "skip: why" (or "error: why")
		did=$(awk -F'\t' 'NF == 2 { st = $2; why = ""; i = index(st, ": ")
			if (i) { why = substr(st, i + 2); st = substr(st, 1, i - 1) } print $1 "\t" st "\t" why }' "$against/list.txt")
	fi
	# A case predicted to run that skipped for a piece only the guest can
	# find by trying (a probed line of its groups) is not a disagreement.
	out=$(awk -F'\t' -v dir="$against" 'FILENAME == ARGV[1] { p[$1] = $2; w[$1] = $3; pr[$1] = $5; next }
		($1 in p) { n++; skip = ($2 == "skip")
			if ((p[$1] == "skip") == skip) { agree++; if (skip) ks++ }
			else if (skip && pr[$1] != "") { probed++; printf "found by trying: %s: %s\n", $1, $3 }
			else printf "disagrees: %s: predicted %s%s, the run: %s (%s)\n", $1, p[$1], w[$1] == "" ? "" : " (" w[$1] ")", $2, $3 }
		END { printf "against %s: %d of %d case(s) agree (%d predicted and seen skipping), %d skipped for a piece found by trying\n", dir, agree, n, ks, probed }' \
		<(printf '%s\n' "$v") - <<<"$did")
	printf '%s\n' "$out"
	! grep -q '^disagrees:' <<<"$out" || rc=1
fi
exit $rc
