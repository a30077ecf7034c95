#!/usr/bin/env bash
# A test binary that does not finish, as run-tests.sh records it, for make
# check. selftest-harness runs three times on this machine:
#   - past its whole-binary limit (PINRACE_BINARY_TIMEOUT=3): timeout(1)'s
#     SIGTERM stops it in the middle of a case; the harness records that
#     case as an error and each case it did not reach as a skip;
#   - killed with SIGKILL after its first case, well before its limit: it
#     writes nothing more, and run-tests.sh records the rest as skips;
#   - resumed (--resume, as after a guest crash: two cases done, the plan
#     counting all) one case at a time, one of them killed: that case is
#     an error, the others run, the plan holds.
# Each time the binary's error is one more test point and one record (case
# "*") that says why, and the outputs stay readable: prove finds no bad plan
# and as many points per test as results.jsonl has records
# (setup/check/check-consumers.sh).
#
#   setup/check/check-stopped.sh
#
# Prints "ok - ..." / "not ok - ..." lines; exit 1 when any is not ok.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-stopped
. "$top/setup/run/common.sh"

bin=$top/build/tests/selftest-harness
[ -x "$bin" ] || die 2 "no $bin (did 'make' run?)"
tmp=$(mktemp -d)
trap 'pkill -KILL -f "^$bin" 2>/dev/null; rm -rf "$tmp"' EXIT
failed=0
verdict() { # STATUS WHAT
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2" && failed=1; fi
}
ncases=$("$bin" --list | grep -c .)

# Each case of the binary has exactly one record in DIR (case "*" aside).
one_record_each() { # DIR
	[ "$(jq -r 'select(.case != "*") | .case' "$1/results.jsonl" | sort | uniq -c |
		awk '$1 == 1 { n++ } END { print n + 0 }')" = "$ncases" ]
	verdict $? "${1##*/}: each of the $ncases cases has exactly one record"
}

# What run-tests.sh left in DIR after it exited RC: WANT_WHY is a regex the
# binary's error must match, WANT_SKIP one the not-run cases' skips must.
judge() { # DIR RC WANT_WHY WANT_SKIP
	local d=$1 rc=$2 name=${1##*/} why skips
	why=$(jq -r 'select(.case == "*") | .detail' "$d/results.jsonl" 2>/dev/null)
	skips=$(jq -r 'select(.status == "skip") | .detail' "$d/results.jsonl" 2>/dev/null)
	[ "$rc" = 1 ]
	verdict $? "$name: run-tests.sh exits 1 (got $rc)"
	grep -qE "$3" <<<"$why"
	verdict $? "$name: the binary's error says why: ${why:-none}"
	[ -n "$skips" ] && ! grep -vqE "$4" <<<"$skips"
	verdict $? "$name: each case not reached is a skip that says why: $(sort -u <<<"$skips" | paste -sd';')"
	one_record_each "$d"
	grep -q "^1\.\.$((ncases + 1))$" "$d/selftest-harness.tap"
	verdict $? "$name: the plan counts the cases and the binary's error ($(grep -m1 '^1\.\.' "$d/selftest-harness.tap"))"
	bash "$top/setup/check/check-consumers.sh" "$d"
}

d=$tmp/stopped-by-timeout
PINRACE_BINARY_TIMEOUT=3 bash "$top/setup/run/run-tests.sh" --results "$d" \
	--tests selftest-harness >/dev/null 2>&1
judge "$d" $? '^TIMEOUT 3 seconds \(whole binary\): SIGTERM ended it$' \
	'^not run: selftest-harness stopped by SIGTERM$'
jq -r 'select(.status == "error" and .case != "*") | .detail' "$d/results.jsonl" |
	grep -q 'stopped by SIGTERM while this case ran'
verdict $? "stopped-by-timeout: the case it was in is an error that says so"

d=$tmp/killed-mid-run
bash "$top/setup/run/run-tests.sh" --results "$d" --tests selftest-harness >/dev/null 2>&1 &
run=$!
for ((i = 0; i < 300; i++)); do
	grep -q '^ok 1 ' "$d/selftest-harness.tap" 2>/dev/null && break
	sleep 0.1
done
pkill -KILL -f "^$bin"
wait $run
judge "$d" $? '^killed by SIGKILL after [0-9]+ s, before its [0-9]+ s limit' \
	'^not run: killed by SIGKILL after'

d=$tmp/killed-in-resume
mkdir -p "$d"
PINRACE_RESULTS=$d "$bin" --case '@(timeout|crash)' 2>/dev/null |
	sed "s/^1\.\.2\$/1..$ncases/" >"$d/selftest-harness.tap"
bash "$top/setup/run/run-tests.sh" --results "$d" --tests selftest-harness --resume >/dev/null 2>&1 &
run=$!
for ((i = 0; i < 300; i++)); do
	pkill -KILL -f "^$bin --case ignores" && break
	sleep 0.1
done
wait $run
rc=$?
[ "$rc" = 1 ]
verdict $? "killed-in-resume: run-tests.sh exits 1 (got $rc)"
why=$(jq -r 'select(.case == "ignores-sigterm") | "\(.status): \(.detail)"' "$d/results.jsonl")
[ "$why" = "error: selftest-harness ended without a result for this case" ]
verdict $? "killed-in-resume: the killed case is an error that says so: ${why:-none}"
one_record_each "$d"
grep -q "^1\.\.$ncases$" "$d/selftest-harness.tap"
verdict $? "killed-in-resume: the plan stays $ncases"
bash "$top/setup/check/check-consumers.sh" "$d"
exit $failed
