#!/usr/bin/env bash
# `make check`: the project's own tests.
#   1. the self-tests on this machine (detectors fed injected faults, the
#      harness fed misbehaving cases);
#   2. run.sh's handling of bad input (exit 2, nothing started), host
#      config files that name what the suite may not touch, and
#      setup/nvdimm.sh's refusals to reconfigure or format what no option
#      names;
#   3. --compare, junit.xml and report.html on results folders made here from
#      step 1's results (one with a regression injected), the report and
#      junit.xml opened in headless Chromium;
#   4. the quick profile as one matrix run over $PINRACE_CHECK_KERNELS
#      (default below): the matrix, its report in Chromium, a real --compare;
#   5. the crash self-test: a guest on $PINRACE_CHECK_CRASH_KERNEL crashes on
#      purpose (sysrq) in the middle of a test; the run must record that case
#      as an error, boot a fresh guest and finish every other case.
# Either variable set empty skips its step.
# Ends with "check: N passed, N failed, N skipped"; exit 1 on anything
# unexpected.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PINRACE_PROG=check
. "$top/setup/common.sh"

. "$top/setup/results-lib.sh"

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
bash "$top/setup/run-tests.sh" --results "$out/host" --tests 'selftest-*'
tally "$out/host/results.jsonl"

# 2. bad input: exit 2, a message, no results folder
cli() {
	local want=$1 what=$2
	shift 2
	local before after rc
	before=$(find "$top/results" -mindepth 1 -maxdepth 1 | wc -l)
	"$top/run.sh" "$@" >"$out/cli.out" 2>&1
	rc=$?
	after=$(find "$top/results" -mindepth 1 -maxdepth 1 | wc -l)
	if [ $rc -eq "$want" ] && [ "$before" -eq "$after" ] && grep -q error: "$out/cli.out"; then
		passed=$((passed + 1))
		echo "ok - run.sh $what: exit $rc, $(head -1 "$out/cli.out")"
	else
		failed=$((failed + 1))
		echo "not ok - run.sh $what: exit $rc (want $want), output: $(cat "$out/cli.out")"
	fi
}
cli 2 "--bogus" --bogus
cli 2 "unknown kernel" --kernel debian:nosuch
cli 2 "missing bzImage" --kernel /nonexistent/bzImage --modules /tmp
cli 2 "--host without --scratch" --host
cli 2 "missing scratch dir" --host --scratch /nonexistent/dir
cli 2 "unknown profile" --profile nosuch
cli 2 "a kernel listed twice" --kernel debian:sid,debian:trixie,debian:sid
cli 2 "an empty kernel in the list" --kernel ,debian:sid
cli 2 "--modules without a bzImage" --kernel debian:sid --modules /tmp
cli 2 "a bzImage:MODDIR whose MODDIR is missing" --kernel "$top/Makefile:/nonexistent/mods"
cli 2 "--kernel with --host" --host --scratch /tmp --kernel debian:sid
cli 2 "--compare with one folder" --compare /tmp
cli 2 "--compare a missing folder" --compare /nonexistent/a /nonexistent/b
cli 4 "--host without an RDMA device" --host --scratch /tmp
# Host mode from a config file: it names everything the suite may touch;
# a file naming anything else is refused before anything runs.
conf=$out/host-conf shm=$(mktemp -d -p /dev/shm pinrace-check.XXXXXX)
mkdir -p "$conf"
hostconf() { # NAME LINE...: a config file in $conf
	local f=$conf/$1.conf
	shift
	printf '%s\n' "$@" >"$f"
}
hostconf ok "rdma_device = mlx5_0" "scratch_tmpfs = $shm"
hostconf unknown "rdma_device = mlx5_0" "scratch_tmpfs = $shm" "frobnicate = 1"
hostconf rootfs "rdma_device = mlx5_0" "scratch_ext4 = /"
hostconf sysdisk "rdma_device = mlx5_0" "scratch_tmpfs = $shm" \
	"pmem_device = $(findmnt -n -o SOURCE / | tail -n1)"
hostconf notpmem "rdma_device = mlx5_0" "scratch_tmpfs = $shm" "pmem_device = /dev/null"
cli 2 "--config that cannot be read" --host --config "$conf/nonexistent.conf"
cli 2 "--config with an unknown key" --host --config "$conf/unknown.conf"
cli 2 "--config with the root filesystem as scratch" --host --config "$conf/rootfs.conf"
cli 2 "--config naming the system disk as pmem" --host --config "$conf/sysdisk.conf"
cli 2 "--config naming a device that is not pmem" --host --config "$conf/notpmem.conf"
cli 2 "--config with --scratch" --host --config "$conf/ok.conf" --scratch "$shm"
cli 2 "--config without --host" --config "$conf/ok.conf"
cli 4 "--config on a machine without an RDMA device" --host --config "$conf/ok.conf"
rmdir "$shm"
# setup/nvdimm.sh reconfigures a namespace or formats a device only when an
# option names it: its refusals, against stand-in ndctl, mkfs and mount.
while IFS= read -r line; do
	case $line in
	"ok "*) verdict 0 "nvdimm.sh ${line#ok * - }" ;;
	"not ok "*) verdict 1 "nvdimm.sh ${line#not ok * - }" ;;
	esac
done < <(bash "$top/setup/check-nvdimm-refusal.sh" 2>&1)

# 3. compare, junit and report on folders made here
# A run folder with one kernel whose results are JSONL (sed may edit them).
synth_run() { # DIR KERNEL_DIR JSONL [SED_SCRIPT]
	mkdir -p "$1/$2"
	printf '%s\tdebian:synthetic\t%s\t-\n' "$2" "$2" >"$1/kernels.tsv"
	sed -e "${4:-}" "$3" >"$1/$2/results.jsonl"
	printf 'exit: 0\nboots: 1\n' >"$1/$2/status.txt"
}

# The DOM of FILE as headless Chromium builds it (a fresh profile each time).
prof=''
trap '[ -z "$prof" ] || rm -rf "$prof"' EXIT
chromium_dom() {
	local rc
	prof=$(mktemp -d)
	timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
		--dump-dom "file://$1" 2>/dev/null
	rc=$?
	rm -rf "$prof"
	prof=''
	return $rc
}

# RUN's report.html in Chromium: the matrix has a row per test of the run.
check_report() { # RUN WHAT
	local dom want got
	want=$(run_records "$1" | jq -s 'map(.test) | unique | length')
	dom=$(chromium_dom "$1/report.html")
	got=$(grep -o '<tr class="test">' <<<"$dom" | wc -l)
	grep -q '<table id="matrix">' <<<"$dom" && [ "$got" -eq "$want" ] && [ "$want" -gt 0 ]
	verdict $? "$2: report.html in headless Chromium: table#matrix with $got of $want test rows"
}

# RUN's junit.xml parses in Chromium; skips and xfails are <skipped>.
check_junit() { # RUN WHAT
	local dom xf sk
	dom=$(chromium_dom "$1/junit.xml")
	xf=$(run_records "$1" | jq -s 'map(select(.status == "xfail")) | length')
	sk=$(run_records "$1" | jq -s 'map(select(.status == "skip" or .status == "xfail")) | length')
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
victim=$(sed -n 1p <<<"$victims") skipper=$(sed -n 2p <<<"$victims")
synth_run "$syn/old" k "$host_jsonl"
# The regression: a pass becomes a stale read; another pass becomes a skip.
synth_run "$syn/new" k "$host_jsonl" \
	"/\"test\": \"selftest-verify\", \"case\": \"$victim\"/{s/\"status\": \"pass\"/\"status\": \"fail\"/; s/\"finding\": \"none\"/\"finding\": \"stale-read\"/}
	 /\"test\": \"selftest-verify\", \"case\": \"$skipper\"/s/\"status\": \"pass\"/\"status\": \"skip\"/"
check_compare 1 "^ +REGRESSION +selftest-verify/$victim +pass -> fail stale-read" \
	"injected regression ($victim: pass -> fail stale-read)" "$syn/old" "$syn/new"
check_compare 0 "^compare: 0 regression" "a run against itself" "$syn/old" "$syn/old"
check_compare 0 "^ +FIXED +selftest-verify/$victim" "the regression, backwards, is a fix" "$syn/new" "$syn/old"
for r in old new; do
	bash "$top/setup/junit.sh" "$syn/$r" && bash "$top/setup/report.sh" "$syn/$r"
done
check_report "$syn/new" "synthetic run"
check_junit "$syn/new" "synthetic run"

# 4. the quick profile on every kernel: one matrix run
matrix_check() {
	local rc run d kdirs
	log "quick profile on: $kernels"
	"$top/run.sh" --kernel "${kernels// /,}" --tests "${PINRACE_CHECK_TESTS:-*}" \
		--results "$out/vm"
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
	check_report "$run" "the matrix run"
	check_junit "$run" "the matrix run"
	check_compare 0 "^compare: 0 regression" "the matrix run against itself" "$run" "$run"
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
# until the harness kills it at its 2 s timeout.
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
	[ "$(jq -r '"\(.test)/\(.case)"' "$k/results.jsonl" | sort)" = "$all" ]
	verdict $? "crash self-test: each of the $n cases has exactly one result"
	[ "$(jq -r --arg w "${crashed%%: *}" 'select("\(.test)/\(.case)" != $w and
		(.status == "fail" or .status == "error" or .status == "xpass")) | .case' "$k/results.jsonl")" = '' ]
	verdict $? "crash self-test: no other case is unexpected"
	grep -q "pinrace: ${want%%/*} ${want#*/} begin" "$k/console.boot1.log" 2>/dev/null &&
		grep -q '^boots: 2$' "$k/status.txt" && [ -s "$k/${want%%/*}.resume1.tap" ]
	verdict $? "crash self-test: console.boot1.log kept, 2 boots, the rest in ${want%%/*}.resume1.tap"
}
[ -z "$crash_kernel" ] || crash_selftest

log "results in $out"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
