#!/usr/bin/env bash
# LAVA's step of setup/lava/pinrace.yaml, on the device under test: prepare
# what the options name, run ./run.sh --host, report every case with
# lava-test-case, attach the run folder.
#
#   setup/lava/pinrace.sh [--tests GLOB] [--profile NAME] [--seed N]
#       [--device DEV] [--scratch DIR] [--dax DIR] [--config FILE]
#       [--modules "MOD..."] [--rxe-netdev NETDEV]
#       [--format-scratch BLOCKDEV] [--format-dax PMEMDEV]
#       [--suite DIR] [--results DIR] [--attach log|none|URL]
#
# An empty value is the same as leaving the option out. Nothing is formatted
# but the devices --format-scratch and --format-dax name, nothing mounted but
# on --scratch and --dax, nothing created but rxe0 on --rxe-netdev.
# Each case: lava-test-case pinrace.TEST.CASE --result pass|fail|skip (the
# name and the result as setup/reports/results-lib.sh's case_path and lava_result
# say: fail, error, flaky and a known kernel bug that showed again are
# "fail"; a self-test is "pass" when it caught its fault). When run.sh ends
# without results (bad input, broken setup, no RDMA device), one case
# "pinrace.run" fails with its exit status.
# LAVA_TEST_CASE names the lava-test-case command (make check's stand-in).
set -u
here=$(cd "$(dirname "$0")" && pwd)
suite=$(cd "$here/../.." && pwd)
PINRACE_PROG=lava-pinrace

tests='*' profile=quick seed='' device='' scratch='' dax='' config='' modules=''
rxe='' fmt_scratch='' fmt_dax='' results=/tmp/pinrace-results attach=log
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || { echo "$PINRACE_PROG: error: option $1 needs a value" >&2; exit 2; }
	case $1 in
	--tests) tests=${2:-*} ;;
	--profile) profile=${2:-quick} ;;
	--seed) seed=$2 ;;
	--device) device=$2 ;;
	--scratch) scratch=$2 ;;
	--dax) dax=$2 ;;
	--config) config=$2 ;;
	--modules) modules=$2 ;;
	--rxe-netdev) rxe=$2 ;;
	--format-scratch) fmt_scratch=$2 ;;
	--format-dax) fmt_dax=$2 ;;
	--suite) [ -z "$2" ] || suite=$2 ;;
	--results) results=${2:-/tmp/pinrace-results} ;;
	--attach) attach=${2:-none} ;;
	*) echo "$PINRACE_PROG: error: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift 2
done
. "$suite/setup/run/common.sh"
. "$suite/setup/reports/results-lib.sh"
case_cmd=${LAVA_TEST_CASE:-lava-test-case}

# One case that says the run itself failed, then stop.
run_failed() { # WHY
	log "$1"
	$case_cmd pinrace.run --result fail
	exit 0
}

# --- what the options name, and nothing else -------------------------------
[ -z "$fmt_scratch" ] || [ -n "$scratch" ] || run_failed "--format-scratch $fmt_scratch needs --scratch DIR to mount it at"
[ -z "$fmt_dax" ] || [ -n "$dax" ] || run_failed "--format-dax $fmt_dax needs --dax DIR to mount it at"
# A module this kernel lacks is said, not fatal: the tests that need it skip.
for m in $modules; do
	modprobe "$m" || warn "modprobe $m failed"
done
if [ -n "$rxe" ]; then
	bash "$suite/setup/host/rxe.sh" up rxe0 "$rxe" || run_failed "soft-RoCE rxe0 on $rxe failed"
fi
format_mount() { # DEV DIR MOUNT_OPTIONS
	[ -b "$1" ] || run_failed "$1: not a block device"
	! findmnt -rn -S "$1" >/dev/null || run_failed "$1 is mounted: not formatting it"
	mkfs.xfs -q -f -m reflink=1 "$1" || run_failed "mkfs.xfs $1 failed"
	mkdir -p "$2" && mount -o "$3" "$1" "$2" || run_failed "mount -o $3 $1 $2 failed"
}
[ -z "$fmt_scratch" ] || format_mount "$fmt_scratch" "$scratch" dax=never
[ -z "$fmt_dax" ] || format_mount "$fmt_dax" "$dax" dax=always

# --- the run ---------------------------------------------------------------
args=(--host --tests "$tests" --profile "$profile" --results "$results")
if [ -n "$config" ]; then
	args+=(--config "$config")
else
	args+=(--scratch "$scratch")
	[ -z "$dax" ] || args+=(--dax "$dax")
	[ -z "$device" ] || args+=(--device "$device")
fi
[ -z "$seed" ] || args+=(--seed "$seed")
mkdir -p "$results" || run_failed "cannot create $results"
rm -f "$results/latest"
log "./run.sh ${args[*]}"
"$suite/run.sh" "${args[@]}" --kcidb "$results/kcidb.json"
rc=$?
run=$(readlink -f "$results/latest" 2>/dev/null)
[ -n "$run" ] && [ -n "$(kernel_dirs "$run")" ] || run_failed "run.sh exited $rc without results"
mv "$results/kcidb.json" "$run/" 2>/dev/null
log "run.sh exited $rc; run folder $run"

# --- every case ------------------------------------------------------------
run_records "$run" | jq -r "$RESULTS_JQ"'"\(case_path) \(lava_result)"' |
	while read -r name result; do
		$case_cmd "$name" --result "$result"
	done

# --- the run folder ----------------------------------------------------------
tarball=/tmp/pinrace-$(basename "$run").tar.xz
tar -C "$(dirname "$run")" -cJf "$tarball" --exclude=dumps "$(basename "$run")" ||
	warn "could not pack $run"
case $attach in
none) ;;
log)
	echo "<pinrace-run-folder $(basename "$tarball")>"
	base64 -w 120 "$tarball"
	echo "</pinrace-run-folder>"
	;;
http://* | https://*)
	if curl -fsS -T "$tarball" "${attach%/}/$(basename "$tarball")"; then
		lava-test-reference run-folder --result pass --reference "${attach%/}/$(basename "$tarball")"
	else
		warn "uploading $tarball to $attach failed"
	fi
	;;
*) warn "--attach $attach: neither log, none nor an http(s) URL" ;;
esac
exit 0
