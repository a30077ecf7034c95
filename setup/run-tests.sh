#!/usr/bin/env bash
# Run test binaries where this script runs (inside the guest, or on a lab
# host), one .tap file each, and judge the run from results.jsonl.
#
#   setup/run-tests.sh --results DIR [--tests GLOB] [--profile NAME] [--list]
#
# Each binary gets an outer timeout (its cases times its per-case timeout,
# plus a margin) on top of the per-case timeout the harness enforces; a
# binary that overruns it or dies is an error in results.jsonl, never lost.
# Exit: 0 when nothing unexpected happened (fail, error, xpass), 1 otherwise,
# 2 on bad usage.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PINRACE_PROG=run-tests
. "$top/setup/common.sh"

results='' glob='*' profile=quick list=0
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=${2:?}; shift ;;
	--tests) glob=${2:?}; shift ;;
	--profile) profile=${2:?}; shift ;;
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

# Test binaries: executables in build/tests matching the glob, benchmarks
# excluded (they run from `make bench`).
tests=()
for bin in "$top"/build/tests/*; do
	name=${bin##*/}
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	case $name in bench-*) continue ;; esac
	# shellcheck disable=SC2254
	case $name in $glob) tests+=("$bin") ;; esac
done
[ ${#tests[@]} -gt 0 ] || die 2 "no test matches '$glob' (did 'make' run?)"

if [ $list = 1 ]; then
	for bin in "${tests[@]}"; do "$bin" --list; done
	exit 0
fi

mkdir -p "$results" || die 2 "cannot create $results"
export PINRACE_RESULTS="$results"
jsonl="$results/results.jsonl"

info() { "$1" --info | sed -n "s/^$2: //p"; }

# A binary that did not finish: record it so the run says so.
record_error() {
	local name=$1 why=$2
	printf 'not ok 1 %s # error: %s\n' "$name" "$why" >>"$results/$name.tap"
	printf '{"kernel": "%s", "test": "%s", "case": "*", "status": "error", "finding": "none", "errno": null, "backing": "none", "mr": "none", "detail": "%s"}\n' \
		"$(uname -r)" "$name" "$why" >>"$jsonl"
}

# On a terminal a live line; otherwise (a guest console, CI) plain lines.
# Also kept in progress.log, which run.sh follows from outside the guest.
progress() {
	printf '%s\n' "$*" >>"$results/progress.log"
	if [ -t 2 ]; then printf '\r\033[K%s' "$*" >&2; else printf '%s\n' "$*" >&2; fi
}

i=0 start=$SECONDS
for bin in "${tests[@]}"; do
	name=${bin##*/}
	i=$((i + 1))
	cases=$(info "$bin" cases) per=$(info "$bin" timeout)
	limit=$(((${cases:-1}) * (${per:-300}) + 60))
	progress "[$i/${#tests[@]}] $name ($cases cases, $((SECONDS - start))s elapsed)"
	timeout -k 15 "$limit" "$bin" >"$results/$name.tap" 2>"$results/$name.stderr"
	rc=$?
	case $rc in
	0 | 1 | 2 | 3 | 4) ;;
	124 | 137) record_error "$name" "TIMEOUT $limit seconds (whole binary)" ;;
	*) record_error "$name" "exited with status $rc" ;;
	esac
	totals=$(grep -h '^# Totals:' "$results/$name.tap" | tail -1)
	progress "[$i/${#tests[@]}] $name: ${totals#\# Totals: }"
	[ -t 2 ] && printf '\n' >&2
done

unexpected=$(grep -cE '"status": "(fail|error|xpass)"' "$jsonl" 2>/dev/null)
[ "${unexpected:-0}" -eq 0 ]
