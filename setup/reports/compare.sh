#!/usr/bin/env bash
# What changed between two results (./run.sh --compare OLD NEW):
#
#   setup/reports/compare.sh [--results BASE] OLD NEW
#
# OLD and NEW are each a run folder (all its kernels), a kernel folder of a
# run (or an older single-kernel run folder), or the name of a kernel of the
# latest run under BASE (default results/): its spec (debian:sid), suite
# (sid), release or folder name. Two single kernels are compared with each
# other; the kernels of two runs are paired by spec, then by folder name.
#
# Cases are matched by (test, case); the last line of a case counts. Listed:
#   REGRESSION  passing (pass, xpass), skipped or absent before, failing now
#               (fail, xfail, error); or failing with a data finding it did
#               not have before (a new finding); or new kernel-log lines in
#               the case (kmsg) where it had none
#   FLAKY       failed in some of its repeats only (--repeat, --rerun-failed):
#               listed apart, not a regression; says whether an intermittent
#               expectation covers it
#   FIXED       failing before, passing now
#   NEW SKIP    ran before, skipped now
#   ERRNO       a different errno (neither side skipped)
#   RUNS NOW    skipped before, runs now (and did not regress)
#   CHANGED     any other change of status or finding
#   GONE        in OLD, not in NEW
#   KERNEL LOG  a WARNING/BUG/Oops line in NEW's kernel.log that OLD's lacks
#               (numbers masked), outside the cases: listed, not a regression
# Only kernel cases are listed. The suite's self-tests (RESULTS_JQ in
# results-lib.sh says which) are one line per pair, "detectors: 14/14 ->
# 14/14 injected faults caught", preceded by "the suite is broken on this
# kernel: ..." when a self-test of NEW missed its fault (NEW's results
# cannot be trusted: exit 1, counted apart from regressions).
# Exit: 1 when there is a regression or the suite is broken on a NEW
# kernel, 0 otherwise, 2 bad input.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG="compare"
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

base=$top/results
[ "${1:-}" != --results ] || { base=${2:?}; shift 2; }
[ $# -eq 2 ] || die 2 "usage: compare.sh [--results BASE] OLD NEW"
need_cmd jq

# Lines "PATH<tab>SPEC<tab>LABEL" for the kernels of one argument.
resolve() {
	local arg=$1 d up latest hit
	if [ -d "$arg" ]; then
		d=$(cd "$arg" && pwd)
		if [ -r "$d/kernels.tsv" ]; then
			while IFS=$'\t' read -r k spec _; do
				printf '%s\t%s\t%s\n' "$d/$k" "$spec" "$k"
			done <"$d/kernels.tsv"
		elif [ -e "$d/results.jsonl" ]; then
			up=$(dirname "$d")
			printf '%s\t%s\t%s\n' "$d" "$(kernel_field "$up" "$(basename "$d")" 2)" "$(basename "$d")"
		else
			die 2 "$arg: no results here (neither results.jsonl nor kernels.tsv)"
		fi
		return
	fi
	latest=$base/latest
	[ -r "$latest/kernels.tsv" ] ||
		die 2 "$arg: no such results folder (and no latest run in $base to find a kernel in)"
	latest=$(cd "$latest" && pwd)
	hit=$(awk -F'\t' -v a="$arg" '$1 == a || $2 == a || $3 == a || $2 == "debian:" a' "$latest/kernels.tsv")
	[ "$(grep -c . <<<"$hit")" -eq 1 ] ||
		die 2 "$arg: not a results folder, nor one kernel of $latest ($(cut -f2 "$latest/kernels.tsv" | paste -sd' '))"
	IFS=$'\t' read -r d spec _ <<<"$hit"
	printf '%s\t%s\t%s\n' "$latest/$d" "$spec" "$d"
}

# WARNING/BUG/Oops lines of a kernel.log, numbers masked, one of each.
log_warnings() {
	[ -r "$1/kernel.log" ] || return 0
	grep -a -E 'WARNING:|BUG:|Oops|general protection fault' "$1/kernel.log" |
		sed -E 's/^\[ *[0-9.]+\] //; s/0x[0-9a-f]+/N/g; s/[0-9]+/N/g' | sort -u
}

# Compare one pair of kernel folders; prints the changes and a last line
# "counts R F S E W" (regressions, fixed, new skips, errno changes, log lines).
compare_pair() { # OLD_DIR NEW_DIR
	local old=$1 new=$2 w
	w=$(comm -13 <(log_warnings "$old") <(log_warnings "$new"))
	jq -n -r --slurpfile old <(cat "$old/results.jsonl" 2>/dev/null) \
		--slurpfile new <(cat "$new/results.jsonl" 2>/dev/null) "$RESULTS_JQ"'
	def bykey: reduce .[] as $r ({}; .[[$r.test, $r.case] | tojson] = $r);
	def failing: .status == "fail" or .status == "xfail" or .status == "error";
	def passing: .status == "pass" or .status == "xpass";
	def datafinding: .finding != "none" and .finding != "refused";
	def warned: (.kmsg // []) | length > 0;
	def desc: if . == null then "absent" else
		[.status, (select(.finding != "none") | .finding), (.errno // empty)] | join(" ") end;
	def name: "\(.test)/\(.case)";
	def short: (.detail // "") | gsub("\\s+"; " ") | .[0:110];
	def flakyev($a; $b): if $b.status == "flaky" then ["FLAKY", "\($a | desc) -> flaky \($b.repeats.bad)/\($b.repeats.runs) \($b.repeats.finding)"
		+ (if $b.repeats.expected then " (known intermittent)" else " (unexpected: no intermittent expectation)" end), ($b | short)] else empty end;
	def events($a; $b):
		flakyev($a; $b),
		if $a == null then
			(if ($b | failing) then ["REGRESSION", "new case, \($b | desc)", ($b | short)] else empty end)
		elif $b == null then ["GONE", ($a | desc), ""]
		else
			(($b | failing) and (($a | failing | not) or
				(($b | datafinding) and $b.finding != $a.finding))) as $reg
			| (($b | warned) and ($a | warned | not)) as $warn
			| (if $reg then ["REGRESSION", "\($a | desc) -> \($b | desc)", ($b | short)]
			   elif $warn then ["REGRESSION", "new kernel log lines: \($b.kmsg[0])", ""]
			   else empty end),
			  (if ($a | failing) and ($b | passing) then ["FIXED", "\($a | desc) -> \($b | desc)", ""] else empty end),
			  (if $a.status != "skip" and $b.status == "skip" then ["NEW SKIP", "\($a | desc) -> skip", ($b | short)] else empty end),
			  (if $a.status == "skip" and $b.status != "skip" and ($reg | not) then ["RUNS NOW", "skip -> \($b | desc)", ""] else empty end),
			  (if $a.errno != $b.errno and $a.status != "skip" and $b.status != "skip" then
				["ERRNO", "\($a.errno // "none") -> \($b.errno // "none") (\($a | desc) -> \($b | desc))", ""] else empty end),
			  (if ($a | desc) != ($b | desc) and ($reg | not) and (($a | failing) and ($b | passing) | not) and $b.status != "flaky"
				and ($a.status == "skip") == ($b.status == "skip") and $a.errno == $b.errno
			   then ["CHANGED", "\($a | desc) -> \($b | desc)", ""] else empty end)
		end;
	def score: detectors | "\(.caught)/\(.ran)";
	($old | bykey | map(select(role == "selftest"))) as $os
	| ($new | bykey | map(select(role == "selftest"))) as $ns
	| ($old | bykey | with_entries(select(.value | role == "kernel"))) as $o
	| ($new | bykey | with_entries(select(.value | role == "kernel"))) as $n

	| [($o + $n) | keys[] as $k | ($o[$k] // $n[$k] | name) as $nm
	   | events($o[$k]; $n[$k]) | {kind: .[0], name: $nm, what: .[1], detail: .[2]}] as $ev
	| ["REGRESSION", "FLAKY", "FIXED", "NEW SKIP", "ERRNO", "RUNS NOW", "CHANGED", "GONE"] as $order
	| ($ns | broken_line | "suite: \(.)"),
	  (if ($os + $ns | length) > 0 then "suite: detectors: \($os | score) -> \($ns | score) injected faults caught" else empty end),
	  ($order[] as $k | $ev[] | select(.kind == $k)
	   | "\(.kind)\t\(.name)\t\(.what)" + (if .detail != "" then "\t" + .detail else "" end)),
	  "counts \([$ev[] | select(.kind == "REGRESSION") | .name] | unique | length)"
	  + " \([$ev[] | select(.kind == "FIXED")] | length)"
	  + " \([$ev[] | select(.kind == "NEW SKIP")] | length)"
	  + " \([$ev[] | select(.kind == "ERRNO")] | length)"
	  + " \([$n[]] | length) \([$o[]] | length)"
	  + " \($ns | detectors.missed | length)",
	  "flakycount \([$ev[] | select(.kind == "FLAKY")] | length)"' || return
	[ -z "$w" ] || while IFS= read -r l; do printf 'KERNEL LOG\t(outside cases)\tnew: %s\n' "$l"; done <<<"$w"
	echo "logcount $(grep -c . <<<"$w")"
}

has_results() { [ -s "$1/results.jsonl" ]; }

o=$(resolve "$1") || exit 2
n=$(resolve "$2") || exit 2
[ -n "$o" ] || die 2 "$1: no kernels"
[ -n "$n" ] || die 2 "$2: no kernels"
mapfile -t olds <<<"$o"
mapfile -t news <<<"$n"

# Pairs "OLD_LINE<newline>NEW_LINE": one each, else by spec, else by folder.
pairs=() unpaired=()
if [ ${#olds[@]} -eq 1 ] && [ ${#news[@]} -eq 1 ]; then
	pairs=("${olds[0]}" "${news[0]}")
else
	used=' '
	for o in "${olds[@]}"; do
		IFS=$'\t' read -r _ ospec olabel <<<"$o"
		match=''
		for j in "${!news[@]}"; do
			IFS=$'\t' read -r _ nspec nlabel <<<"${news[j]}"
			[[ $used == *" $j "* ]] && continue
			if { [ -n "$ospec" ] && [ "$ospec" = "$nspec" ]; } || [ "$olabel" = "$nlabel" ]; then
				match=$j
				break
			fi
		done
		if [ -n "$match" ]; then
			pairs+=("$o" "${news[match]}")
			used+="$match "
		else
			unpaired+=("only in OLD: $olabel")
		fi
	done
	for j in "${!news[@]}"; do
		[[ $used == *" $j "* ]] || unpaired+=("only in NEW: $(cut -f3 <<<"${news[j]}")")
	done
fi
[ ${#pairs[@]} -gt 0 ] || die 2 "no kernel of $1 pairs with one of $2 (${unpaired[*]})"

# Every results.jsonl is checked (the schema: setup/reports/results-schema.jq) before
# anything is printed.
for p in "${pairs[@]}"; do
	d=$(cut -f1 <<<"$p")
	has_results "$d" || die 2 "$d: no results.jsonl to compare"
	bad=$(results_check "$d/results.jsonl") || die 2 "$bad"
done

regs=0 fixed=0 skips=0 errnos=0 logs=0 status=0 broken=0 flaky=0
for ((p = 0; p < ${#pairs[@]}; p += 2)); do
	IFS=$'\t' read -r odir ospec olabel <<<"${pairs[p]}"
	IFS=$'\t' read -r ndir nspec nlabel <<<"${pairs[p + 1]}"
	echo "== $olabel${ospec:+ ($ospec)} -> $nlabel${nspec:+ ($nspec)}"
	echo "   old: $odir"
	echo "   new: $ndir"
	out=$(compare_pair "$odir" "$ndir") || die 2 "comparing $odir and $ndir failed"
	read -r _ r f s e nn on b <<<"$(grep '^counts ' <<<"$out")"
	l=$(sed -n 's/^logcount //p' <<<"$out")
	k=$(sed -n 's/^flakycount //p' <<<"$out")
	sed -n "s/^suite: /   /p" <<<"$out"
	grep -v -e '^counts ' -e '^logcount ' -e '^suite: ' -e '^flakycount ' <<<"$out" | column -t -s $'\t' | sed 's/^/   /'
	echo "   $r regression(s), $k flaky, $f fixed, $s new skip(s), $e errno change(s), $l new kernel-log line(s); kernel cases: $on old, $nn new"
	[ "$b" = 0 ] || broken=$((broken + 1))
	flaky=$((flaky + k))
	regs=$((regs + r)) fixed=$((fixed + f)) skips=$((skips + s)) errnos=$((errnos + e)) logs=$((logs + l))
done
for u in "${unpaired[@]}"; do echo "== $u (not compared)"; done
[ $regs -eq 0 ] && [ $broken -eq 0 ] || status=1
[ $broken -eq 0 ] || echo "compare: the suite is broken on $broken NEW kernel(s): their results cannot be trusted"
echo "compare: $regs regression(s), $flaky flaky, $fixed fixed, $skips new skip(s), $errnos errno change(s), $logs new kernel-log line(s)"
exit $status
