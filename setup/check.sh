#!/usr/bin/env bash
# `make check`: the project's own tests.
#   1. the self-tests on this machine (detectors fed injected faults, the
#      harness fed misbehaving cases);
#   2. run.sh's handling of bad input (exit 2, nothing started);
#   3. the quick profile in a QEMU guest, for each kernel in
#      $PINRACE_CHECK_KERNELS (default below).
# Ends with "check: N passed, N failed, N skipped"; exit 1 on anything
# unexpected.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PINRACE_PROG=check
. "$top/setup/common.sh"

kernels=${PINRACE_CHECK_KERNELS:-debian:bookworm debian:trixie debian:sid}
out="$top/results/check-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
passed=0 failed=0 skipped=0

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
	before=$(ls "$top/results" | wc -l)
	"$top/run.sh" "$@" >"$out/cli.out" 2>&1
	rc=$?
	after=$(ls "$top/results" | wc -l)
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
cli 4 "--host without an RDMA device" --host --scratch /tmp

# 3. the quick profile in a guest, per kernel
for k in $kernels; do
	log "quick profile on $k"
	"$top/run.sh" --kernel "$k" --results "$out/vm"
	rc=$?
	run=$(readlink -f "$out/vm/latest")
	if [ $rc -ge 2 ]; then
		failed=$((failed + 1))
		log "$k: run.sh exited $rc (not a test result: setup, crash or hang)"
	fi
	tally "$run/results.jsonl"
done

log "results in $out"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
