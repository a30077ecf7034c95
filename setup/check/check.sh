#!/usr/bin/env bash
# `make check`: the project's own tests.
#   1. the self-tests on this machine (detectors fed injected faults, the
#      harness fed misbehaving cases), and a test binary stopped in the
#      middle of its run (setup/check/check-stopped.sh);
#   2. run.sh's handling of bad input (exit 2, nothing started:
#      setup/check/check-input.sh), host
#      config files that name what the suite may not touch, and
#      setup/host/nvdimm.sh's refusals to reconfigure or format what no option
#      names;
#   3. --compare, junit.xml and report.html on results folders made here from
#      step 1's results (one with a regression injected), the report and
#      junit.xml opened in headless Chromium;
#   4. the quick profile as one matrix run over $PINRACE_CHECK_KERNELS
#      (default below): the matrix, its report in Chromium, a real --compare,
#      its outputs read by prove, PyYAML, xmllint, jq (setup/check/check-consumers.sh);
#   5. the crash self-test: a guest on $PINRACE_CHECK_CRASH_KERNEL crashes on
#      purpose (sysrq) in the middle of a test; the run must record that case
#      as an error, boot a fresh guest and finish every other case.
#   6. run.sh --bisect's three answers (setup/check/check-bisect.sh).
# Either variable set empty skips its step (PINRACE_CHECK_KERNELS empty: 6 too).
# Ends with "check: N passed, N failed, N skipped"; exit 1 on anything
# unexpected.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check
. "$top/setup/run/common.sh"

. "$top/setup/reports/results-lib.sh"

kernels=${PINRACE_CHECK_KERNELS-debian:bookworm debian:trixie debian:sid}
crash_kernel=${PINRACE_CHECK_CRASH_KERNEL-debian:trixie}
out="$top/results/check-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
passed=0 failed=0 skipped=0

# One check's verdict: CONDITION-STATUS WHAT.
verdict() {
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $2"
	else
		failed=$((failed + 1))
		echo "not ok - $2"
	fi
}

# The "ok - WHAT" / "not ok - WHAT" lines of a check script, counted as
# verdicts (WHAT prefixed with PREFIX).
sub_checks() { # PREFIX CMD...
	local prefix=$1 line n=0
	shift
	while IFS= read -r line; do
		[[ $line =~ ^(not )?ok( [0-9]+)?\ -\ (.*)$ ]] || continue
		n=$((n + 1))
		if [[ -z ${BASH_REMATCH[1]} && $line == *" # SKIP"* ]]; then
			skipped=$((skipped + 1))
			echo "ok - $prefix${BASH_REMATCH[3]}"
		else
			verdict "${#BASH_REMATCH[1]}" "$prefix${BASH_REMATCH[3]}"
		fi
	done < <("$@" 2>&1)
	# a check that said nothing (a missing script, a crash) is a failure
	[ "$n" -gt 0 ] || verdict 1 "$prefix${*: -2:1} ${*: -1}: printed no ok/not ok line"
}

# Count a run's results.jsonl into the totals: xfail is an expected
# outcome; fail, error and xpass are not.
tally() {
	local jsonl=$1 p f s
	[ -s "$jsonl" ] || { failed=$((failed + 1)); log "no results in $jsonl"; return; }
	p=$(grep -cE '"status": "(pass|xfail)"' "$jsonl")
	f=$(grep -cE '"status": "(fail|error|xpass)"' "$jsonl")
	s=$(grep -c '"status": "skip"' "$jsonl")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	grep -E '"status": "(fail|error|xpass)"' "$jsonl" |
		jq -r '"UNEXPECTED \(.kernel) \(.test) \(.case): \(.status) \(.finding) \(.detail)"' >&2
}

# 1. self-tests here
log "self-tests on this machine"
bash "$top/setup/run/run-tests.sh" --results "$out/host" --tests 'selftest-*'
tally "$out/host/results.jsonl"
sub_checks "self-tests: " bash "$top/setup/check/check-consumers.sh" "$out/host"
[ "$(jq -r 'select(.role != "selftest") | "\(.test)/\(.case)"' "$out/host/results.jsonl")" = '' ]
verdict $? "self-tests: every record says role selftest (kept apart from kernel findings)"
# a binary stopped by its time limit, or killed, in the middle of its run
sub_checks "" bash "$top/setup/check/check-stopped.sh"

# 2. bad input: exit 2, one printable line, nothing created or started
# (setup/check/check-input.sh, with a stand-in QEMU that records calls)
sub_checks "" bash "$top/setup/check/check-input.sh"
# setup/host/nvdimm.sh reconfigures a namespace or formats a device only when an
# option names it: its refusals, against stand-in ndctl, mkfs and mount.
sub_checks "nvdimm.sh " bash "$top/setup/check/check-nvdimm-refusal.sh"

# 3. compare, junit and report on folders made here
# A run folder with one kernel whose results are JSONL (sed may edit them).
synth_run() { # DIR KERNEL_DIR JSONL [SED_SCRIPT]
	mkdir -p "$1/$2"
	printf '%s\tdebian:synthetic\t%s\t-\n' "$2" "$2" >"$1/kernels.tsv"
	sed -e "${4:-}" "$3" >"$1/$2/results.jsonl"
	printf 'exit: 0\nboots: 1\n' >"$1/$2/status.txt"
}

# RUN's report.html in Chromium: the matrix has a row per test of the run.
check_report() { # RUN WHAT
	local dom want got
	want=$(run_records "$1" | jq -s 'group_by(.role) | map(map(.test) | unique | length) | add // 0')
	dom=$(report_dom "$1/report.html")
	got=$(grep -o '<tr class="test">' <<<"$dom" | wc -l)
	grep -q '<table id="matrix">' <<<"$dom" && [ "$got" -eq "$want" ] && [ "$want" -gt 0 ]
	verdict $? "$2: report.html in headless Chromium: table#matrix with $got of $want test rows"
}

# RUN's junit.xml parses in Chromium; skips and xfails are <skipped>.
check_junit() { # RUN WHAT
	local dom xf sk
	dom=$(report_dom "$1/junit.xml")
	xf=$(run_records "$1" | jq -s 'map(select(.role == "kernel" and .status == "xfail")) | length')
	sk=$(run_records "$1" | jq -s 'map(select(.role == "kernel" and (.status == "skip" or .status == "xfail"))) | length')
	[ -n "$dom" ] && ! grep -q parsererror <<<"$dom" &&
		[ "$(grep -o '<skipped type="xfail"' "$1/junit.xml" | wc -l)" -eq "$xf" ] &&
		[ "$(grep -o '<skipped ' "$1/junit.xml" | wc -l)" -eq "$sk" ]
	verdict $? "$2: junit.xml parses in Chromium; $sk <skipped/> of which $xf XFAIL"
}

# run.sh --compare OLD NEW must exit WANT and print PATTERN.
check_compare() { # WANT PATTERN WHAT OLD NEW
	local rc
	"$top/run.sh" --compare "$4" "$5" >"$out/compare.out" 2>&1
	rc=$?
	sed 's/^/    /' "$out/compare.out"
	[ $rc -eq "$1" ] && grep -qE "$2" "$out/compare.out"
	verdict $? "$3: --compare exit $rc (want $1)"
}

log "compare, junit.xml and report.html on results made from the self-tests"
syn=$out/synthetic
host_jsonl=$out/host/results.jsonl
victims=$(jq -r 'select(.test == "selftest-verify" and .status == "pass") | .case' "$host_jsonl")
victim=$(sed -n 1p <<<"$victims") skipper=$(sed -n 2p <<<"$victims") third=$(sed -n 3p <<<"$victims")
# Two of the self-tests play kernel cases (reports list self-tests apart).
as_kernel="/\"test\": \"selftest-verify\", \"case\": \"\\($victim\\|$skipper\\)\"/{
	s/, *\"role\": \"[a-z]*\"//; s/\"role\": \"[a-z]*\", *//; s/^{/{\"role\": \"kernel\", /; }"
synth_run "$syn/old" k "$host_jsonl" "$as_kernel"
# The regression: a pass becomes a stale read; another pass becomes a skip.
synth_run "$syn/new" k "$host_jsonl" \
	"/\"test\": \"selftest-verify\", \"case\": \"$victim\"/{s/\"status\": \"pass\"/\"status\": \"fail\"/; s/\"finding\": \"none\"/\"finding\": \"stale-read\"/}
	 /\"test\": \"selftest-verify\", \"case\": \"$skipper\"/s/\"status\": \"pass\"/\"status\": \"skip\"/
	 $as_kernel"
# A self-test that misses its fault: the suite is broken, not the kernel.
synth_run "$syn/broken" k "$host_jsonl" "/\"test\": \"selftest-verify\", \"case\": \"$third\"/s/\"status\": \"pass\"/\"status\": \"fail\"/"
check_compare 1 "^ +REGRESSION +selftest-verify/$victim +pass -> fail stale-read" \
	"injected regression ($victim: pass -> fail stale-read)" "$syn/old" "$syn/new"
check_compare 0 "^compare: 0 regression" "a run against itself" "$syn/old" "$syn/old"
check_compare 0 "^ +FIXED +selftest-verify/$victim" "the regression, backwards, is a fix" "$syn/new" "$syn/old"
check_compare 1 "^ +the suite is broken on this kernel: .*selftest-verify/$third" "a self-test missing its fault" "$syn/old" "$syn/broken"
for r in old new; do
	bash "$top/setup/reports/junit.sh" "$syn/$r" && bash "$top/setup/reports/report.sh" "$syn/$r" &&
		bash "$top/setup/reports/summary.sh" "$syn/$r" >/dev/null
done
check_report "$syn/new" "synthetic run"
check_junit "$syn/new" "synthetic run"
for f in reports kcidb lava-standin; do sub_checks '' bash "$top/setup/check/check-$f.sh" "$syn/new"; done

# 4. the quick profile on every kernel: one matrix run, one guest at a
#    time (PINRACE_CHECK_JOBS=N runs N side by side): on 2 cores under TCG
#    three guests at once took as long (20m51s) and starved the two-host
#    peer past its 80 s reply limit on 7.2
matrix_check() {
	local rc run d kdirs
	log "quick profile on: $kernels"
	"$top/run.sh" --kernel "${kernels// /,}" --tests "${PINRACE_CHECK_TESTS:-*}" \
		--results "$out/vm" --jobs "${PINRACE_CHECK_JOBS:-1}"
	rc=$?
	run=$(readlink -f "$out/vm/latest")
	if [ $rc -ge 2 ]; then
		failed=$((failed + 1))
		log "run.sh exited $rc (not a test result: setup, crash or hang)"
	fi
	mapfile -t kdirs < <(kernel_dirs "$run")
	for d in "${kdirs[@]}"; do tally "$run/$d/results.jsonl"; done
	[ -s "$run/matrix.txt" ] && [ "$(head -n1 "$run/matrix.txt" | wc -w)" -gt 0 ]
	verdict $? "the matrix run wrote matrix.txt for ${#kdirs[@]} kernel(s)"
	run_records "$run" | jq -e -s 'all(.role == "kernel" or .role == "selftest")' >/dev/null
	verdict $? "the matrix run: every record has a role (kernel or selftest)"
	check_report "$run" "the matrix run"
	check_junit "$run" "the matrix run"
	for f in reports kcidb lava-standin; do sub_checks '' bash "$top/setup/check/check-$f.sh" "$run"; done
	check_compare 0 "^compare: 0 regression" "the matrix run against itself" "$run" "$run"
	sub_checks "the matrix run: " bash "$top/setup/check/check-consumers.sh" "$run"
	if [ ${#kdirs[@]} -ge 2 ]; then
		"$top/run.sh" --compare "$run/${kdirs[0]}" "$run/${kdirs[-1]}" | sed 's/^/    /'
		rc=${PIPESTATUS[0]}
		[ "$rc" -le 1 ]
		verdict $? "compare ${kdirs[0]} with ${kdirs[-1]} of the matrix run: exit $rc (0 or 1)"
	fi
}
[ -z "$kernels" ] || matrix_check

# 5. the crash self-test. The crash comes from a watcher of the kernel log
# that sees the case start, so the case must last: ignores-sigterm runs
# past its 2 s timeout until the harness's SIGKILL, 3 s after SIGTERM.
crash_selftest() {
	local want=selftest-harness/ignores-sigterm tests='selftest-[hkv]*' rc crun k all n crashed
	log "crash self-test on $crash_kernel: the guest crashes at $want"
	PINRACE_SELFTEST_CRASH=$want "$top/run.sh" --kernel "$crash_kernel" --tests "$tests" \
		--results "$out/crash"
	rc=$?
	crun=$(readlink -f "$out/crash/latest")
	k=$crun/$(kernel_dirs "$crun" | head -n1)
	# Every case of the selected tests, as the host lists them.
	all=$(for b in "$top"/build/tests/$tests; do
		[[ -f $b && -x $b ]] && "$b" --list | cut -f1
	done | sort)
	n=$(grep -c . <<<"$all")
	crashed=$(jq -r 'select(.status == "error" and (.detail | test("crashed during this case.*sysrq")))
		| "\(.test)/\(.case): \(.detail)"' "$k/results.jsonl")
	[ $rc -eq 10 ]
	verdict $? "crash self-test: run.sh exit $rc (want 10, the guest crashed)"
	[ "${crashed%%: *}" = "$want" ]
	verdict $? "crash self-test: the case the guest died in is an error: ${crashed:-none}"
	[ "$(jq -r --arg w "$want" 'select("\(.test)/\(.case)" == $w) | .role' "$k/results.jsonl")" = selftest ]
	verdict $? "crash self-test: its record says role selftest"
	[ "$(jq -r '"\(.test)/\(.case)"' "$k/results.jsonl" | sort)" = "$all" ]
	verdict $? "crash self-test: each of the $n cases has exactly one result"
	[ "$(jq -r --arg w "${crashed%%: *}" 'select("\(.test)/\(.case)" != $w and
		(.status == "fail" or .status == "error" or .status == "xpass")) | .case' "$k/results.jsonl")" = '' ]
	verdict $? "crash self-test: no other case is unexpected"
	grep -q "pinrace: ${want%%/*} ${want#*/} begin" "$k/console.boot1.log" 2>/dev/null &&
		grep -q '^boots: 2$' "$k/status.txt" &&
		[ "$(grep -oE '^(not )?ok [0-9]+' "$k/${want%%/*}.tap" | awk '{ print $NF }' | paste -sd' ')" = \
			"$(seq -s' ' 1 "$(sed -n 's/^1\.\.//p' "$k/${want%%/*}.tap" | head -n1)")" ]
	verdict $? "crash self-test: console.boot1.log kept, 2 boots, ${want%%/*}.tap numbered 1 to its plan across both boots"
	sub_checks "crash self-test: " bash "$top/setup/check/check-consumers.sh" "$crun"
}
[ -z "$crash_kernel" ] || crash_selftest
# 6. run.sh --bisect's 0, 1 and 125, one short guest boot each
sub_checks "" bash "$top/setup/check/check-bisect.sh"

log "results in $out"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
