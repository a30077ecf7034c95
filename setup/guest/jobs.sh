#!/usr/bin/env bash
# Several kernels of a run side by side: up to N setup/guest/kernel-run.sh at once,
# each exactly as run.sh would start it alone (its own guest, folder, crash
# and hang handling), in the order given.
#
#   setup/guest/jobs.sh --default NKERNELS      the default N for this machine
#   setup/guest/jobs.sh --jobs N [--timeout S] --kernel KDIR LABEL [--kernel ...] -- RUN-TESTS-ARGS...
#
# KDIR/.kernel-env holds the kernel's variables (what setup/guest/kernel.sh
# prints). Progress: on a terminal one live line with every running kernel
# (each kernel-run.sh writes its own to KDIR/.live); otherwise the kernels'
# lines, each prefixed with its [I/N kernel]. Exit: 0 when every kernel
# finished (its status is in KDIR/status.txt), 130/143 when interrupted.
#
# The default N: one guest per core, each with the memory vm.sh gives a
# guest (RAM, two pmem regions, the NVDIMM's file: about 7 GiB) available.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=run.sh
. "$top/setup/run/common.sh"

GUEST_MIB=7168

default_jobs() { # NKERNELS
	local cores mem n
	cores=$(nproc)
	mem=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	n=$((mem / GUEST_MIB))
	[ "$n" -le "$cores" ] || n=$cores
	[ "$n" -le "$1" ] || n=$1
	[ "$n" -ge 1 ] || n=1
	echo "$n"
}

if [ "${1:-}" = --default ]; then
	default_jobs "${2:-1}"
	exit 0
fi

jobs=1 timeout=2400 kdirs=() labels=()
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) jobs=${2:?}; shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--kernel) kdirs+=("${2:?}") labels+=("${3:?}"); shift 2 ;;
	--) shift && break ;;
	*) die 2 "unknown option '$1'" ;;
	esac
	shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die 2 "--jobs wants a number, not '$jobs'"
n=${#kdirs[@]}
tty=0
[ -t 2 ] && [ "${PINRACE_VERBOSE:-0}" != 1 ] && tty=1

pids=() # pids[i]: kernel I's kernel-run.sh while it runs
live=0
# shellcheck disable=SC2317 # called by the traps
stop_all() {
	local p
	for p in "${pids[@]}"; do [ -z "$p" ] || kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do [ -z "$p" ] || wait "$p" 2>/dev/null; done
	[ "$live" = 0 ] || printf '\r\033[K' >&2
	exit "$1"
}
trap 'stop_all 130' INT
trap 'stop_all 143' TERM

start() { # I RUN-TESTS-ARGS...
	local i=$1
	shift
	rm -f "${kdirs[i]}/.live"
	(
		# shellcheck disable=SC1091 # written by run.sh
		. "${kdirs[i]}/.kernel-env"
		export KVER KIMAGE MODROOT KPKG PINRACE_LIVE_FILE=${kdirs[i]}/.live
		exec bash "$top/setup/guest/kernel-run.sh" --dir "${kdirs[i]}" --label "${labels[i]}" \
			--pos "$((i + 1))/$n" --timeout "$timeout" -- "$@"
	) &
	pids[i]=$!
}

running() {
	local i c=0
	for i in "${!pids[@]}"; do [ -z "${pids[i]}" ] || c=$((c + 1)); done
	echo $c
}

# Reap the kernels that finished.
reap() {
	local i
	for i in "${!pids[@]}"; do
		if [ -z "${pids[i]}" ] || kill -0 "${pids[i]}" 2>/dev/null; then
			continue
		fi
		wait "${pids[i]}" 2>/dev/null
		pids[i]=''
		rm -f "${kdirs[i]}/.live"
	done
}

# One line: each running kernel's own live line, cut to the terminal.
show() {
	local i text='' cols
	[ $tty = 1 ] || return 0
	for i in "${!pids[@]}"; do
		if [ -z "${pids[i]}" ] || [ ! -s "${kdirs[i]}/.live" ]; then
			continue
		fi
		text+="${text:+ | }$(cat "${kdirs[i]}/.live")"
	done
	[ -n "$text" ] || return 0
	cols=$(tput cols 2>/dev/null || echo 160)
	printf '\r\033[K%s' "${text:0:$((cols - 1))}" >&2
	live=1
}

next=0
while [ "$next" -lt "$n" ] || [ "$(running)" -gt 0 ]; do
	reap
	while [ "$next" -lt "$n" ] && [ "$(running)" -lt "$jobs" ]; do
		start $next "$@"
		next=$((next + 1))
	done
	show
	sleep 1
done
[ $live = 0 ] || printf '\r\033[K' >&2
exit 0
