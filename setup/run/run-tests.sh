#!/usr/bin/env bash
# Run test binaries where this script runs (inside the guest, or on a lab
# host), one .tap file each, and judge the run from results.jsonl.
#
#   setup/run/run-tests.sh --results DIR [--tests GLOB] [--case GLOB] [--profile NAME]
#                      [--repeat N] [--rerun-failed N] [--resume] [--list]
#
# --case GLOB runs only the matching cases of each test. --repeat N runs
# each test binary N times (TEST.tap, TEST.repeat2.tap...; each line of
# results.jsonl says its "repeat"); --rerun-failed N runs each case that
# ended unexpected N more times (TEST.rerunK.tap); then setup/run/repeat.sh
# appends a verdict line per repeated case (pass, fail or flaky) and
# writes repeats.tap.
#
# Each binary gets an outer timeout (its cases times its per-case timeout,
# plus a margin; PINRACE_BINARY_TIMEOUT=S sets it, for the self-tests) on
# top of the per-case timeout the harness enforces; a binary that overruns
# it or dies is an error in results.jsonl and one more test point in its
# TAP, never lost, and each case it did not reach a skip that says why.
#
# --resume (a fresh guest after the last one crashed): every case that
# already has a line in DIR/results.jsonl is done and not run again (case
# "*" marks a whole test done). A test none of whose cases ran runs as
# usual; the rest of a test that was cut short runs case by case
# (--case NAME), appended to TEST.tap with the numbers that follow (one
# stream a test: its plan counts every case). Nothing written is rewritten.
#
# DIR/progress.log, one tab-separated record a line, for run.sh to follow:
#   plan   TIME  TESTS  CASES
#   start  TIME  I  N  TEST  CASES  CASE_TIMEOUT  LIMIT  TAP_FILE
#   done   TIME  I  N  TEST  pass:N fail:N xfail:N xpass:N skip:N error:N
#
# Self-test only: inside the pinrace guest (PINRACE_IN_VM=1),
# PINRACE_SELFTEST_CRASH=TEST/CASE crashes the kernel (sysrq c) the moment
# that case writes its start marker to the kernel log.
#
# Exit: 0 when nothing unexpected happened (fail, error, xpass), 1 otherwise,
# 2 on bad usage.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG="run-tests"
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"
. "$top/setup/run/tests-lib.sh"

results='' glob='*' profile=quick list=0 resume=0 repeat=1 rerun=0 case_glob=''
while [ $# -gt 0 ]; do
	case $1 in
	--repeat) repeat=${2:?}; shift ;;
	--rerun-failed) rerun=${2:?}; shift ;;
	--case) case_glob=${2:?}; shift ;;
	--results) results=${2:?}; shift ;;
	--tests) glob=${2:?}; shift ;;
	--profile) profile=${2:?}; shift ;;
	--resume) resume=1 ;;
	--list) list=1 ;;
	*) die 2 "unknown option '$1'" ;;
	esac
	shift
done
[ -n "$results" ] || [ $list = 1 ] || die 2 "--results DIR is required"
[ -f "$top/workloads/$profile.profile" ] ||
	die 2 "no profile '$profile' (workloads/$profile.profile)"

export PINRACE_PROFILE="$top/workloads/$profile.profile"
export PINRACE_EXPECT="${PINRACE_EXPECT:-$top/tests/expectations.txt}"

# Test binaries: executables in build/tests matching the glob (ksh
# alternatives allowed: '!(two-host-*)'), benchmarks excluded (they run
# from `make bench`), and so is peer-rdma (the two-host tests' peer).
tests=()
for bin in "$top"/build/tests/*; do
	[[ -f $bin && -x $bin ]] && suite_test_matches "${bin##*/}" "$glob" && tests+=("$bin")
done
[ ${#tests[@]} -gt 0 ] || die 2 "no test matches '$glob' (did 'make' run?)"

cargs=()
[ -z "$case_glob" ] || cargs=(--case "$case_glob")
if [ $list = 1 ]; then
	for bin in "${tests[@]}"; do "$bin" --list "${cargs[@]}"; done
	exit 0
fi

mkdir -p "$results" || die 2 "cannot create $results"
export PINRACE_RESULTS="$results"
jsonl="$results/results.jsonl"

info() { "$1" --info | sed -n "s/^$2: //p"; }

# The case names on stdin that TAP has no test point for.
without_point() { grep -vxF -f <(tap_point_names "$1"; echo '*'); }

# A binary that did not finish: each case it left without a test point is
# a skip that says why (in the TAP and results.jsonl alike), then the
# binary's own error point and record, so the run says so and every case
# is counted once.
record_error() { # BIN WHY TAP
	local name=${1##*/} why=$2 tap=$3 c
	while IFS= read -r c; do
		tap_append skip "$tap" "$c" "not run: $why"
		error_record "$(uname -r)" "$name" "$c" none "not run: $why" '[]' '{"status": "skip"}' >>"$jsonl"
	done < <(all_cases "$1" "$name" | without_point "$tap")
	tap_append error "$tap" "$name" "$why"
	error_record "$(uname -r)" "$name" '*' none "$why" >>"$jsonl"
}

# Why BIN's run ended with timeout(1)'s status RC, ELAPSED seconds in:
# nothing when it finished.
binary_stopped() { # RC ELAPSED LIMIT
	case $1 in
	0 | 1 | 2 | 3 | 4) ;;
	124) echo "TIMEOUT $3 seconds (whole binary): SIGTERM ended it" ;;
	137) if [ "$2" -ge "$3" ]; then
		echo "TIMEOUT $3 seconds (whole binary): still running 15 s after SIGTERM, SIGKILL"
	else
		echo "killed by SIGKILL after $2 s, before its $3 s limit (the OOM killer? see the kernel log)"
	fi ;;
	*) if [ "$1" -gt 128 ]; then
		echo "killed by signal $(($1 - 128)) ($(kill -l $(($1 - 128)) 2>/dev/null)) after $2 s"
	else
		echo "exited with status $1"
	fi ;;
	esac
}

# Human lines for the guest's output (a terminal on a lab host gets a live
# line); machine records in progress.log, which run.sh follows from outside.
say() {
	if [ -t 2 ]; then printf '\r\033[K%s' "$*" >&2; else printf '%s\n' "$*" >&2; fi
}
record() { (IFS=$'\t' && printf '%s\n' "$*") >>"$results/progress.log"; }

# --- resume ------------------------------------------------------------------

# Case names of a test in run order, and those results.jsonl already has.
all_cases() { "$1" --list "${cargs[@]}" | cut -f1 | sed "s|^$2/||"; }
done_cases() { jq -r --arg t "$1" 'select(.test == $t) | .case' "$jsonl" 2>/dev/null; }

# The cases of BIN still to run, one a line; nothing when all are done.
todo_cases() { # BIN NAME
	local d
	d=$(done_cases "$2")
	if [ -z "$d" ]; then
		all_cases "$1" "$2"
	elif ! grep -qxF '*' <<<"$d"; then
		all_cases "$1" "$2" | grep -vxF -f <(printf '%s\n' "$d")
	fi
}

# A case name as a --case glob that matches only itself.
glob_quote() {
	local s=$1 out='' ch i
	for ((i = 0; i < ${#s}; i++)); do
		ch=${s:i:1}
		case $ch in [][*?\\]) out+="\\$ch" ;; *) out+=$ch ;; esac
	done
	printf '%s\n' "$out"
}

# Run the given cases of BIN one at a time, appended to its TAP file with
# the numbers that follow the last one there (the plan at its top counts
# them all), flushed line by line so a crash keeps what ran.
run_cases() { # BIN PER_CASE_LIMIT TAP CASE...
	local bin=$1 per=$2 tap=$3 c n why
	shift 3
	n=$(tap_points "$tap")
	# a new file (--rerun-failed's) gets the plan of its cases
	grep -qE '^1\.\.[0-9]+' "$tap" 2>/dev/null || printf 'TAP version 13\n1..%d\n' $# >>"$tap"
	{
		echo "# $(basename "$bin"): resumed after a guest crash, one case at a time"
		for c in "$@"; do
			timeout -k 15 "$per" "$bin" --case "$(glob_quote "$c")"
		done
	} 2>>"${tap%.tap}.stderr" | awk -v n="$n" '
		/^TAP version/ || /^1\.\.[0-9]+$/ || /^# Totals:/ { next }
		/^# kernel .*, seed / { if (seeds++) next }
		/^# [^ ]+: / && head[$0]++ { next }
		/^(not )?ok [0-9]+ / { n++; sub(/ok [0-9]+ /, "ok " n " ") }
		{ print; fflush() }' >>"$tap"
	# a case whose run ended before its test point (killed, timed out)
	why="${bin##*/} ended without a result for this case"
	while IFS= read -r c; do
		tap_append error "$tap" "$c" "$why"
		error_record "$(uname -r)" "${bin##*/}" "$c" none "$why" >>"$jsonl"
	done < <(printf '%s\n' "$@" | without_point "$tap")
}

# Totals of NAME's cases from results.jsonl (for a resumed test).
jsonl_totals() {
	jq -r -s --arg t "$1" '[.[] | select(.test == $t)] as $r
		| ["pass", "fail", "xfail", "xpass", "skip", "error"]
		| map(. as $s | "\($s):\([$r[] | select(.status == $s)] | length)") | join(" ")' "$jsonl"
}

# --- self-test: a crash on purpose --------------------------------------------

crash_pid=''
arm_selftest_crash() {
	local want=${PINRACE_SELFTEST_CRASH:-}
	[ -n "$want" ] || return 0
	[ "${PINRACE_IN_VM:-0}" = 1 ] ||
		die 2 "PINRACE_SELFTEST_CRASH crashes the kernel: only inside the pinrace guest"
	[[ $want == */* ]] || die 2 "PINRACE_SELFTEST_CRASH wants TEST/CASE, not '$want'"
	local marker="pinrace: ${want%%/*} ${want#*/} begin "
	warn "self-test: this guest's kernel will crash when $want starts"
	dmesg -w 2>/dev/null > >(grep -q -m1 -F "$marker" && echo c >/proc/sysrq-trigger) &
	crash_pid=$! # dmesg: killing it ends the grep too
}
# shellcheck disable=SC2317 # called by the trap
disarm() { [ -z "$crash_pid" ] || kill "$crash_pid" 2>/dev/null; }
# The profile's background pressure (setup/host/pressure.sh) and, in the guest,
# the two-host namespaces (setup/guest/twohost.sh) end with the run, however it
# ends.
pressure=''
# shellcheck disable=SC2317 # called by the trap
finish() {
	disarm
	[ -z "$pressure" ] || bash "$top/setup/host/pressure.sh" stop --results "$results"
	[ "${PINRACE_IN_VM:-0}" != 1 ] || [ ! -d /run/pinrace-twohost ] ||
		bash "$top/setup/guest/twohost.sh" down
}
trap finish EXIT

# --- the run -----------------------------------------------------------------

# Which tests run and how many cases each: everything, or what is left.
declare -A todo=() ncase=() nall=()
total=0 bound=0
for bin in "${tests[@]}"; do
	name=${bin##*/}
	n=$(info "$bin" cases)
	[ -z "$case_glob" ] || n=$("$bin" --requires "${cargs[@]}" | grep -c .)
	per=$(info "$bin" timeout)
	nall[$name]=${n:-0}
	if [ $resume = 1 ]; then
		todo[$name]=$(todo_cases "$bin" "$name")
		n=$(grep -c . <<<"${todo[$name]}")
	fi
	ncase[$name]=${n:-0}
	[ $resume = 1 ] || n=$((${n:-0} * repeat))
	total=$((total + ${n:-0}))
	bound=$((bound + ${n:-0} * ${per:-300} + 60))
done
record plan "$(date +%s)" ${#tests[@]} $total
arm_selftest_crash

# Background pressure beside the tests: the profile's fio jobs in the
# page-cache scratch directories, for no longer than the run may take.
pressure=$(bash "$top/setup/host/pressure.sh" jobs "$PINRACE_PROFILE")
if [ -n "$pressure" ]; then
	pdirs=()
	for d in "${PINRACE_XFS_DIR:-}" "${PINRACE_EXT4_DIR:-}" "${PINRACE_BTRFS_DIR:-}"; do
		[ -z "$d" ] || pdirs+=("$d")
	done
	[ ${#pdirs[@]} -gt 0 ] || pdirs=("$PINRACE_PAGECACHE_DIR")
	bash "$top/setup/host/pressure.sh" start "$PINRACE_PROFILE" "${pdirs[@]}" --results "$results" \
		--runtime "$bound" --owner $$ || warn "background pressure did not start: see $results/pressure/"
fi

i=0 start=$SECONDS
for bin in "${tests[@]}"; do
	name=${bin##*/}
	i=$((i + 1))
	cases=${ncase[$name]}
	if [ "$cases" -eq 0 ] && [ $resume = 1 ]; then
		say "[$i/${#tests[@]}] $name: done before the crash"
		continue
	fi
	per=$(info "$bin" timeout)
	per=${per:-300}
	limit=${PINRACE_BINARY_TIMEOUT:-$((cases * per + 60))}
	tap=$results/$name.tap
	record start "$(date +%s)" $i ${#tests[@]} "$name" "$cases" "$per" "$limit" "${tap##*/}"
	say "[$i/${#tests[@]}] $name ($cases cases, $((SECONDS - start))s elapsed)"
	if [ "$cases" -ne "${nall[$name]}" ]; then
		mapfile -t list <<<"${todo[$name]}"
		run_cases "$bin" $((per + 60)) "$tap" "${list[@]}"
		totals=$(jsonl_totals "$name")
		echo "# Totals: $totals" >>"$tap"
	else
		for ((rep = 1; rep <= repeat; rep++)); do
			[ $rep = 1 ] || tap=$results/$name.repeat$rep.tap
			[ "$repeat" = 1 ] || export PINRACE_REPEAT=$rep
			t0=$SECONDS
			timeout -k 15 "$limit" "$bin" "${cargs[@]}" >"$tap" 2>>"$results/$name.stderr"
			why=$(binary_stopped $? $((SECONDS - t0)) "$limit")
			[ -z "$why" ] || record_error "$bin" "$why" "$tap"
		done
		totals=$(grep -h '^# Totals:' "$tap" | tail -1)
		totals=${totals#\# Totals: }
	fi
	record "done" "$(date +%s)" $i ${#tests[@]} "$name" "$totals"
	say "[$i/${#tests[@]}] $name: $totals"
	[ -t 2 ] && printf '\n' >&2
done

# --rerun-failed N: each case that ended unexpected, N more times.
if [ "$rerun" -gt 0 ] && [ -s "$jsonl" ]; then
	for bin in "${tests[@]}"; do
		name=${bin##*/}
		mapfile -t again < <(jq -r --arg t "$name" 'select(.test == $t and
			(.status == "fail" or .status == "error" or .status == "xpass")) | .case' "$jsonl" | sort -u)
		{ [ ${#again[@]} -gt 0 ] && [ "${again[0]}" != '*' ]; } || continue
		say "$name: rerunning ${#again[@]} unexpected case(s) $rerun time(s)"
		per=$(info "$bin" timeout)
		for ((rep = 1; rep <= rerun; rep++)); do
			export PINRACE_REPEAT=$((rep + 1))
			run_cases "$bin" $((${per:-300} + 60)) "$results/$name.rerun$rep.tap" "${again[@]}"
		done
	done
fi
{ [ "$repeat" -le 1 ] && [ "$rerun" = 0 ]; } ||
	bash "$top/setup/run/repeat.sh" verdict "$results" "$([ "$repeat" -gt 1 ] && echo "$repeat")"

unexpected=$(bash "$top/setup/run/repeat.sh" unexpected "$jsonl")
[ "${unexpected:-0}" -eq 0 ]
