#!/usr/bin/env bash
# Keep a run's full per-case table in RUN/matrix.txt and print its summary:
#   setup/reports/summary.sh RUN
# RUN is a run folder (one sub-folder per kernel) or a single results folder.
#
# Both start with the kernels and how each guest ended, a line "the suite is
# broken on this kernel" for a kernel where a detector self-test missed the
# fault it injected, and one line per kernel for the self-tests
# ("detectors: 14/14 injected faults caught"). Self-tests appear nowhere
# else: the tables below are about the kernel only.
# The terminal then gets the totals, the unexpected cases, the findings
# (finding by kernel) and the protections (refusals), and the name of
# matrix.txt, which also holds the test-by-kernel matrix (counts per
# outcome: p pass, x xfail, s skip; F fail, E error, X xpass, ~ flaky are
# unexpected), the kernel cases by pin source (also on the terminal), every case that is not a plain pass or skip everywhere or not
# alike on every kernel (all of them for one kernel), the layout cases by
# operation, and the self-tests' own matrix.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG="summary"
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

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
	local d st why acc
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
		acc=$(sed -n 's/^accel: //p' "$run/$d/status.txt" 2>/dev/null)
		[ -z "$acc" ] || st+=" ($acc)"
		printf '%s\t%s\t%s\t%s\n' "$(kernel_field "$run" "$d" 2)" "$d" "$st" "${why:0:110}"
	done
}

all_records=$(run_records "$run")
records() { printf '%s\n' "$all_records" | jq -c "$RESULTS_JQ"' select(role == "kernel")'; }
selftests() { printf '%s\n' "$all_records" | jq -c "$RESULTS_JQ"' select(role == "selftest")'; }


# Column heads: the kernel folders (a lone results folder: its kernel).
heads() {
	if [ "${dirs[0]}" = . ]; then
		head -n1 "$run/results.jsonl" | jq -c '[.kernel]'
	else
		printf '%s\n' "${dirs[@]}" | jq -R . | jq -c -s .
	fi
}

# TSV: the matrix of the records on stdin, one row per test, one column
# per kernel, then totals.
matrix() {
	jq -r -s --argjson dirs "$(printf '%s\n' "${dirs[@]}" | jq -R . | jq -s .)" \
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

# TSV: kernel cases by pin source (rows: rdma, cpu, io_uring, vmsplice,
# odirect...; none for cases of no source), one column per kernel, counted
# like the matrix.
by_source() {
	records | jq -r -s --argjson dirs "$(printf '%s\n' "${dirs[@]}" | jq -R . | jq -s .)" \
		--argjson heads "$(heads)" '
		def cell: [["pass", "p"], ["xfail", "x"], ["skip", "s"], ["xpass", "X"],
			["fail", "F"], ["error", "E"], ["flaky", "~"]] as $k
			| . as $r | [$k[] | . as [$s, $l] | ($r | map(select(.status == $s)) | length)
			| select(. > 0) | "\(.)\($l)"] | join(" ") | if . == "" then "-" else . end;
		map(.source //= "none") as $all
		| if ($all | map(select(.source != "none")) | length) == 0 then empty else
		  (["SOURCE"] + $heads | @tsv),
		  ($all | map(.source) | unique[] as $s
		   | [$s] + [$dirs[] as $d | $all | map(select(.dir == $d and .source == $s)) | cell]
		   | @tsv) end'
}

dirs_json=$(printf '%s\n' "${dirs[@]}" | jq -R . | jq -c -s .)

# Per kernel: the suite-broken line (if any) first, then the detectors line.
detectors() {
	printf '%s\n' "$all_records" | jq -r -s --argjson dirs "$dirs_json" "$RESULTS_JQ"'
		. as $all | [$dirs[] as $d | $all | map(select(.dir == $d)) | select(length > 0)] as $ks
		| ($ks[] | (.[0] | if .dir == "." then .kernel else .dir end) as $k | broken_line | "\($k): \(.)"),
		  ($ks[] | (.[0] | if .dir == "." then .kernel else .dir end) as $k | "\($k): \(detectors_line)")'
}

# TSV: finding by kernel, kernel cases only (xfail: known, tests/expectations.txt).
findings() {
	records | jq -r -s --argjson dirs "$dirs_json" --argjson heads "$(heads)" "$RESULTS_JQ"'
		map(select(finding)) as $f
		| if ($f | length) == 0 then empty else
		  (["FINDING"] + $heads | @tsv),
		  ($f | map(.finding) | unique[] as $n
		   | [$n] + [$dirs[] as $d | $f | map(select(.dir == $d and .finding == $n))
			| if length == 0 then "-" else "\(length) case(s)"
			  + (map(select(.status == "xfail")) | length | if . > 0 then ", \(.) known" else "" end) end]
		   | @tsv) end'
}

# One line per kernel: the refusals (the kernel protecting the data).
protections() {
	records | jq -r -s --argjson dirs "$dirs_json" "$RESULTS_JQ"'
		map(select(protection)) as $p | $dirs[] as $d | $p | map(select(.dir == $d))
		| select(length > 0)
		| "protections \(if $d == "." then .[0].kernel else $d end): \(length) refusal(s) (\(map(.errno // "refused") | unique | join(", "))) in "
		  + (map(.test) | unique | join(", "))'
}

# Kernel cases that are unexpected (fail, error, xpass, flaky), at most 25.
unexpected() {
	records | jq -r -s "$RESULTS_JQ"'
		map(select(unexpected)) | length as $n | .[0:25][]
		| [(if .dir == "." then .kernel else .dir end), "\(.test)/\(.case)", ([.status, (select(.finding != "none") | .finding)] | join(" ")),
		   ((.detail // "") | gsub("\\s+"; " ") | .[0:90])] | @tsv' | table
}

totals() {
	local d l=''
	for d in "${dirs[@]}"; do
		[ -s "$run/$d/results.jsonl" ] || continue
		[ ${#dirs[@]} -eq 1 ] || l=" $d"
		printf '%s\n' "$all_records" | jq -r -s --arg d "$d" --arg l "$l" "$RESULTS_JQ"'
			map(select(.dir == $d and role == "kernel")) | "totals\($l) (kernel cases): " + (group_by(.status)
			| map("\(.[0].status) \(length)") | join(", ")
			| if . == "" then "no kernel cases" else . end)'
	done
}

# What the races proved: blocks judged strictly per test, inconclusive
# race cases (results.jsonl's evidence fields, lib/blocks/judge.h).
evidence() {
	records | jq -r -s '
		map(select(.reads != null or .freed != null)) as $r
		| if ($r | length) == 0 then empty else
		  "strictly judged blocks: " + ($r | group_by(.test)
			| map("\(.[0].test) \(map(.strict // 0) | add)") | join(", ")),
		  "inconclusive race cases: \($r | map(select(.status == "skip"
			and ((.detail // "") | startswith("inconclusive: ")))) | length) of \($r | length)" end'
}

head_part() {
	[ "${dirs[0]}" = . ] || { kernels | table && echo; }
	detectors
	echo
}

findings_part() {
	local f
	f=$(findings)
	if [ -n "$f" ]; then
		echo "findings (kernel behaviour only; known: tests/expectations.txt):"
		printf '%s\n' "$f" | table
	else
		echo "findings: none on any kernel"
	fi
	protections
}

{
	head_part
	for d in "${dirs[@]}"; do bash "$top/setup/guest/checkconfig.sh" --missing "$run/$d" | sed "s|^|$d: |"; done
	records | matrix | table
	echo "p pass, x xfail (known), s skip; F fail, E error, X xpass: unexpected; ~ flaky (over repeats)"
	echo
	findings_part
	echo
	cases | table
	sources=$(by_source)
	if [ -n "$sources" ]; then
		echo
		echo "kernel cases by pin source:"
		printf '%s\n' "$sources" | table
	fi
	grouped=$(by_op)
	if [ -n "$grouped" ]; then
		echo
		echo "layout cases by operation and MR mode (every kernel and filesystem):"
		printf '%s\n' "$grouped" | table
	fi
	if [ -n "$(selftests | head -c1)" ]; then
		echo
		echo "self-tests (the suite's detectors fed the faults they must catch):"
		selftests | matrix | table
	fi
	totals
	evidence
} >"$run/matrix.txt"

head_part
totals
sources=$(by_source)
[ -z "$sources" ] || { echo "by pin source:" && printf '%s\n' "$sources" | table | sed 's/^/  /'; }
evidence
u=$(unexpected)
if [ -n "$u" ]; then
	echo "unexpected:"
	printf '%s\n' "$u" | sed 's/^/  /'
fi
findings_part
echo "full per-case table: $run/matrix.txt"
