#!/usr/bin/env bash
# Print a run's summary and keep it in RUN/matrix.txt:
#   setup/summary.sh RUN
# RUN is a run folder (one sub-folder per kernel) or a single results folder.
# First the kernels and how each guest ended, then the test-by-kernel matrix
# (counts per outcome: p pass, x xfail, s skip; F fail, E error, X xpass are
# unexpected), then the cases: all of them for one kernel; for several,
# those not a plain pass or skip everywhere or not alike on every kernel.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PINRACE_PROG="summary"
. "$top/setup/common.sh"
. "$top/setup/results-lib.sh"

run=${1:?usage: summary.sh RUN}
[ -d "$run" ] || die 2 "$run: no such folder"
bad=$(check_run "$run") || die 2 "$bad"
mapfile -t dirs < <(kernel_dirs "$run")
if [ ${#dirs[@]} -eq 0 ]; then
	echo "no results in $run"
	exit 0
fi

table() { sed 's/\t\t/\t-\t/g; s/\t\t/\t-\t/g; s/\t$/\t-/' | column -t -s $'\t'; }

kernels() {
	local d st why
	for d in "${dirs[@]}"; do
		st=$(sed -n 's/^exit: //p' "$run/$d/status.txt" 2>/dev/null)
		why=$(sed -n 's/^reason: //p' "$run/$d/status.txt" 2>/dev/null | head -n1)
		case $st in
		'') st='-' ;;
		0) st='ok' ;;
		1) st='unexpected results' ;;
		3) st='broken setup' ;;
		10) st='CRASHED' ;;
		11) st='HUNG' ;;
		12) st='did not boot' ;;
		*) st="exit $st" ;;
		esac
		printf '%s\t%s\t%s\t%s\n' "$(kernel_field "$run" "$d" 2)" "$d" "$st" "${why:0:110}"
	done
}

records() { run_records "$run"; }

# Column heads: the kernel folders (a lone results folder: its kernel).
heads() {
	if [ "${dirs[0]}" = . ]; then
		head -n1 "$run/results.jsonl" | jq -c '[.kernel]'
	else
		printf '%s\n' "${dirs[@]}" | jq -R . | jq -c -s .
	fi
}

# TSV: the matrix, one row per test, one column per kernel, then totals.
matrix() {
	records | jq -r -s --argjson dirs "$(printf '%s\n' "${dirs[@]}" | jq -R . | jq -s .)" \
		--argjson heads "$(heads)" '
		def cell: [["pass", "p"], ["xfail", "x"], ["skip", "s"], ["xpass", "X"],
			["fail", "F"], ["error", "E"], ["flaky", "~"]] as $k
			| . as $r | [$k[] | . as [$s, $l] | ($r | map(select(.status == $s)) | length)
			| select(. > 0) | "\(.)\($l)"] | join(" ") | if . == "" then "-" else . end;
		. as $all
		| (["TEST"] + $heads | @tsv),
		  ($all | map(.test) | unique[] as $t
		   | [$t] + [$dirs[] as $d | $all | map(select(.dir == $d and .test == $t)) | cell] | @tsv),
		  (["(all)"] + [$dirs[] as $d | $all | map(select(.dir == $d)) | cell] | @tsv)'
}

# TSV: cases, with their outcome on each kernel.
cases() {
	records | jq -r -s --argjson dirs "$(printf '%s\n' "${dirs[@]}" | jq -R . | jq -s .)" \
		--argjson heads "$(heads)" '
		def outcome: if . == null then "-" else
			[.status, (select(.status == "flaky") | "\(.repeats.bad)/\(.repeats.runs)"),
			 (select(.finding != "none") | .finding), (.errno // empty)] | join(" ") end;
		. as $all
		| ($dirs | length) as $n
		| (if $n == 1 then ["TEST", "CASE", "STATUS", "FINDING", "ERRNO"]
		   else ["TEST", "CASE"] + $heads end | @tsv),
		  (if $n == 1 then
			$all[] | [.test, .case, .status, .finding, (.errno // "-")] | @tsv
		   else $all | group_by([.test, .case])[]
		   | . as $g
		   | [$dirs[] as $d | ($g | map(select(.dir == $d)) | first)] as $row
		   | if ($row | map(outcome) | unique | length) > 1
			or ($row | any(. == null or (.status != "pass" and .status != "skip")))
			or ($row | any(.finding != "none")) then
			[$g[0].test, $g[0].case] + ($row | map(outcome)) | @tsv
		     else empty end end)'
}

# TSV: the layout cases grouped by operation (rows) and MR mode (columns),
# all kernels and filesystems together, counted like the matrix.
by_op() {
	records | jq -r -s '
		def cell: [["pass", "p"], ["xfail", "x"], ["skip", "s"], ["xpass", "X"],
			["fail", "F"], ["error", "E"], ["flaky", "~"]] as $k
			| . as $r | [$k[] | . as [$s, $l] | ($r | map(select(.status == $s)) | length)
			| select(. > 0) | "\(.)\($l)"] | join(" ") | if . == "" then "-" else . end;
		map(select(.op != null and .mr != null and .mr != "none")) as $all
		| if ($all | length) == 0 then empty else
		  ($all | map(.mr) | unique) as $mrs
		  | (["OPERATION"] + $mrs | @tsv),
		    ($all | map(.op) | unique[] as $o
		     | [$o] + [$mrs[] as $m | $all | map(select(.op == $o and .mr == $m)) | cell]
		     | @tsv) end'
}

totals() {
	local d l=''
	for d in "${dirs[@]}"; do
		[ -s "$run/$d/results.jsonl" ] || continue
		[ ${#dirs[@]} -eq 1 ] || l=" $d"
		jq -r -s --arg d "$l" '"totals\($d): " + (group_by(.status)
			| map("\(.[0].status) \(length)") | join(", "))' "$run/$d/results.jsonl"
	done
}

{
	[ "${dirs[0]}" = . ] || { kernels | table && echo; }
	for d in "${dirs[@]}"; do bash "$top/setup/checkconfig.sh" --missing "$run/$d" | sed "s|^|$d: |"; done
	matrix | table
	echo "p pass, x xfail (known), s skip; F fail, E error, X xpass: unexpected; ~ flaky (over repeats)"
	echo
	cases | table
	grouped=$(by_op)
	if [ -n "$grouped" ]; then
		echo
		echo "layout cases by operation and MR mode (every kernel and filesystem):"
		printf '%s\n' "$grouped" | table
	fi
	totals
} | tee "$run/matrix.txt"
