#!/usr/bin/env bash
# run.sh --bisect: run the selection once on one kernel and answer as
# `git bisect run` wants it, with one verdict line on stdout:
#
#   setup/run/bisect.sh [--share S] --results BASE -- ./run.sh ARGS...
#
# exit 0    good: the cases ran and no run of any failed
# exit 1    bad: failing runs make up at least the share S of the runs
#           (default: any failing run); a guest kernel that crashed or hung
#           in a case counts as a failing run of it
# exit 125  cannot tell: the kernel could not be fetched, the guest did not
#           boot or its setup broke, or every case skipped or was
#           inconclusive (an error that is not the kernel's: a timeout of
#           the harness, a broken setup); also fewer failing runs than S
#           asks for, when some failed
# A run that passed (pass, xpass) is good; one that failed (fail, or
# xfail: a known bug is still the bug) or a crash/hang error is bad.
# With --repeat or --rerun-failed every repeat counts.
# S: a fraction (0.5), a percentage (50%) or N/M.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=bisect
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

share='' base=''
while [ $# -gt 0 ]; do
	case $1 in
	--share) share=${2:?}; shift ;;
	--results) base=${2:?}; shift ;;
	--) shift && break ;;
	*) die 2 "unknown option '$1'" ;;
	esac
	shift
done
{ [ $# -gt 0 ] && [ -n "$base" ]; } || die 2 "usage: bisect.sh [--share S] --results BASE -- ./run.sh ARGS..."

# The share as a fraction in [0, 1] (awk reads it).
case $share in
'') frac=0 ;;
*%) frac=$(awk -v p="${share%\%}" 'BEGIN { print p / 100 }') ;;
*/*) frac=$(awk -v a="${share%/*}" -v b="${share#*/}" 'BEGIN { print a / b }') ;;
*) frac=$share ;;
esac

verdict() { # CODE LINE
	echo "bisect: $2"
	exit "$1"
}

before=$(readlink "$base/latest" 2>/dev/null)
"$@"
rc=$?
after=$(readlink "$base/latest" 2>/dev/null)
case $rc in 130 | 143) exit "$rc" ;; esac
{ [ -n "$after" ] && [ "$after" != "$before" ]; } ||
	verdict 125 "cannot tell (125): the run did not start (run.sh exit $rc: kernel fetch, dependencies or build failed)"
run=$base/$after
kdir=$run/$(kernel_dirs "$run" | head -n1)
release=$(kernel_field "$run" "$(basename "$kdir")" 3)
case $rc in
3) verdict 125 "cannot tell (125): the guest's setup broke on ${release:-the kernel} ($(sed -n 's/^reason: //p' "$kdir/status.txt" | head -n1))" ;;
12) verdict 125 "cannot tell (125): ${release:-the kernel} did not boot (see $kdir/console.log)" ;;
esac
[ -s "$kdir/results.jsonl" ] || verdict 125 "cannot tell (125): no results on ${release:-the kernel} (run.sh exit $rc)"

# Runs: every line of a case but a verdict line; good, bad or neither.
read -r good bad other first < <(jq -r -s '
	def bad: .status == "fail" or .status == "xfail"
		or (.status == "error" and (.finding == "hang" or .finding == "kernel-warning"));
	def good: .status == "pass" or .status == "xpass";
	map(select(.repeat != "verdict")) as $r
	| ($r | map(select(bad)) | first | if . then "\(.test)/\(.case):\(.status):\(.finding)" else "-" end) as $f
	| "\($r | map(select(good)) | length) \($r | map(select(bad)) | length) \($r | map(select((good or bad) | not)) | length) \($f)"' \
	< <(sed -E 's/("(run_)?seed": *)([0-9]+)/\1"\3"/g' "$kdir/results.jsonl"))
n=$((good + bad))
[ "$n" -gt 0 ] ||
	verdict 125 "cannot tell (125): every case skipped or was inconclusive on $release ($other run(s); $(jq -r -s 'map(select(.repeat != "verdict")) | first | .detail // ""' "$kdir/results.jsonl" | cut -c1-120))"
if [ "$bad" -eq 0 ]; then
	verdict 0 "good: $n run(s) on $release, none failed$([ "$other" = 0 ] || echo " ($other skipped or inconclusive)")"
fi
if awk -v b="$bad" -v n="$n" -v f="$frac" 'BEGIN { exit !(b / n >= f) }'; then
	verdict 1 "bad: $bad of $n run(s) failed on $release (first: ${first//:/ })"
fi
verdict 125 "cannot tell (125): $bad of $n run(s) failed on $release, under the share asked for ($share)"
