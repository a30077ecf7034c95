#!/usr/bin/env bash
# One kernel of a run: boot a guest (setup/guest/vm.sh) that runs setup/run/run-tests.sh
# into KDIR, follow its progress, and when the guest kernel crashes or hangs
# mid-test, record the case that was running as an error, keep that boot's
# logs as *.bootN.log, and boot a fresh guest for the rest (run-tests.sh
# --resume). Lines already in results.jsonl are never touched.
#
#   setup/guest/kernel-run.sh --dir KDIR --label LABEL [--pos I/N] [--prev SECONDS]
#                       [--timeout S] [--host] -- RUN-TESTS-ARGS...
#
# The kernel is KVER, KIMAGE, MODROOT, KPKG from the environment (what
# setup/guest/kernel.sh prints); --host runs run-tests.sh on this machine instead.
# --pos and --prev (seconds the earlier kernels took, on average) feed the
# estimate of the time left. Variables passed into the guest, when set:
# PINRACE_SEED, and PINRACE_SELFTEST_CRASH (first boot only; see run-tests.sh).
#
# Progress: on a terminal one live line (kernel, test i of N, elapsed,
# estimate left); otherwise one line per finished test. With
# PINRACE_LIVE_FILE (setup/guest/jobs.sh) the live line goes to that file, for
# the line that shows every kernel running at once.
# A hang: the guest is stopped when no case finished for the per-case
# timeout plus PINRACE_HANG_MARGIN (default 120) seconds, or at --timeout.
# After PINRACE_MAX_CRASHES (default 5) crashes the kernel's run stops.
#
# Writes KDIR/status.txt. Exit: run-tests.sh's 0 or 1; 3 broken setup in the
# guest; 10 the guest crashed, 11 it hung (also when a later boot finished
# the run); 12 it did not boot; 2 bad usage.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG="run.sh"
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

kdir='' label='' pos=1/1 prev=0 timeout=2400 host=0
while [ $# -gt 0 ]; do
	case $1 in
	--dir) kdir=${2:?}; shift ;;
	--label) label=${2:?}; shift ;;
	--pos) pos=${2:?}; shift ;;
	--prev) prev=${2:?}; shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--host) host=1 ;;
	--) shift && break ;;
	*) die 2 "unknown option '$1'" ;;
	esac
	shift
done
[[ -n $kdir && -d $kdir ]] || die 2 "--dir KDIR (an existing folder) is required"
tests_args=("$@")
jsonl=$kdir/results.jsonl
margin=${PINRACE_HANG_MARGIN:-120}
tty=0
[ -t 2 ] && [ "${PINRACE_VERBOSE:-0}" != 1 ] && tty=1

# --- progress ----------------------------------------------------------------

t_kernel=$SECONDS
nlines=0 total=0 cur='' cur_i=0 cur_n=0 cur_per=0 cur_t0=0 cur_tap='' t_tests=''
last_done=0 last_count=0 live=0

hms() { # SECONDS -> 1h02m, 3m05s, 42s
	local s=$1
	if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
	elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60))
	else printf '%ds' "$s"; fi
}

livefile=${PINRACE_LIVE_FILE:-}
line_out() { # a finished line (clears the live line first)
	[ "$live" = 1 ] || { [ -n "$livefile" ] && [ $tty = 1 ]; } && printf '\r\033[K' >&2
	live=0
	printf '%s: %s\n' "$PINRACE_PROG" "$*" >&2
}

count_results() { [ -s "$jsonl" ] && wc -l <"$jsonl" || echo 0; }

# Seconds left: this kernel's cases at the rate so far, plus the kernels
# after it at the earlier kernels' average (or this one's projection).
estimate() {
	local done_n=$1 ran left k_i=${pos%/*} k_n=${pos#*/} mine
	[ -n "$t_tests" ] && [ "$done_n" -gt 0 ] && [ "$total" -gt 0 ] || return 1
	ran=$((SECONDS - t_tests))
	left=$((ran * (total - done_n) / done_n))
	[ $left -ge 0 ] || left=0
	mine=$((SECONDS - t_kernel + left))
	[ "$prev" -gt 0 ] && mine=$prev
	echo $((left + (k_n - k_i) * mine))
}

show_live() {
	local n est what
	[ $tty = 1 ] || return 0
	n=$(count_results)
	if [ -n "$cur" ]; then
		what="test $cur_i/$cur_n $cur"
	elif [ -z "$t_tests" ]; then
		what="booting (boot $boots)"
	else
		what="between tests"
	fi
	est=$(estimate "$n") && est=", ~$(hms "$est") left" || est=''
	if [ -n "$livefile" ]; then
		printf '[%s %s] %s, %s done, %s' "$pos" "$label" "$what" "$n" \
			"$(hms $((SECONDS - t_kernel)))" >"$livefile.tmp" && mv "$livefile.tmp" "$livefile"
		return 0
	fi
	printf '\r\033[K[%s %s] %s, %s cases done, %s elapsed%s' "$pos" "$label" \
		"$what" "$n" "$(hms $((SECONDS - t_kernel)))" "$est" >&2
	live=1
}

# Read the progress.log records written since the last call.
read_progress() {
	local rec f
	[ -r "$kdir/progress.log" ] || return 0
	while IFS= read -r rec; do
		nlines=$((nlines + 1))
		IFS=$'\t' read -r -a f <<<"$rec"
		case ${f[0]} in
		plan) total=$(($(count_results) + ${f[3]:-0})) ;;
		start)
			cur=${f[4]} cur_i=${f[2]} cur_n=${f[3]} cur_per=${f[6]:-300} cur_tap=${f[8]:-}
			cur_t0=$SECONDS last_done=$SECONDS
			[ -n "$t_tests" ] || t_tests=$SECONDS
			;;
		done)
			[ $tty = 1 ] || line_out "[$pos $label] $((f[2]))/${f[3]} ${f[4]}: ${f[5]:-} ($(hms $((SECONDS - cur_t0))))"
			cur=''
			;;
		esac
	done < <(tail -n +$((nlines + 1)) "$kdir/progress.log")
}

# True (and the guest stopped) when the running test made no progress for
# its per-case timeout plus the margin. Not with --host: no guest to stop.
watchdog() { # VM_PID
	local n
	[ $host = 0 ] && [ -n "$cur" ] || return 1
	n=$(count_results)
	if [ "$n" != "$last_count" ]; then
		last_count=$n last_done=$SECONDS
		return 1
	fi
	[ $((SECONDS - last_done)) -gt $((cur_per + margin)) ] || return 1
	kill -TERM "$1" 2>/dev/null
	return 0
}

# --- one boot ----------------------------------------------------------------

vm_pid='' boots=0 stalled=0 boot_from=0
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$vm_pid" ]; then
		kill -TERM "$vm_pid" 2>/dev/null
		wait "$vm_pid" 2>/dev/null
	fi
	[ "$live" = 1 ] && printf '\r\033[K' >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

guest_env() { # the env prefix for the guest command
	local e=(env)
	[ -z "${PINRACE_SEED:-}" ] || e+=("PINRACE_SEED=$PINRACE_SEED")
	[ -z "${PINRACE_REPLAY:-}" ] || e+=("PINRACE_REPLAY=$PINRACE_REPLAY")
	[ $boots -gt 1 ] || [ -z "${PINRACE_SELFTEST_CRASH:-}" ] ||
		e+=("PINRACE_SELFTEST_CRASH=$PINRACE_SELFTEST_CRASH")
	printf '%s\n' "${e[@]}"
}

# Boot once (or run here with --host); sets RC.
boot() {
	local cmd env_prefix args=("${tests_args[@]}")
	boots=$((boots + 1)) stalled=0
	# Only this boot's records count: a test the last boot died in is over.
	read_progress
	boot_from=$nlines cur=''
	[ $boots -eq 1 ] || args+=(--resume)
	cmd=(bash "$top/setup/run/run-tests.sh" --results "$kdir" "${args[@]}")
	if [ $host = 1 ]; then
		"${cmd[@]}" 2>>"$kdir/guest-output.log" &
	else
		mapfile -t env_prefix < <(guest_env)
		local out=("$kdir/vm.log")
		[ "${PINRACE_VERBOSE:-0}" = 1 ] && out=(/dev/stderr)
		PINRACE_IOMMU=${PINRACE_IOMMU:-$(bash "$top/setup/guest/iommu-need.sh" "${tests_args[@]}")} \
			bash "$top/setup/guest/vm.sh" --kver "$KVER" --kimage "$KIMAGE" \
			--modroot "$MODROOT" --kpkg "${KPKG:-}" --results "$kdir" \
			--timeout "$timeout" -- "${env_prefix[@]}" "${cmd[@]}" >/dev/null 2>>"${out[0]}" &
	fi
	vm_pid=$!
	while kill -0 "$vm_pid" 2>/dev/null; do
		read_progress
		if [ $stalled = 0 ] && watchdog "$vm_pid"; then
			stalled=1
			line_out "[$pos $label] no case finished for $((SECONDS - last_done)) s in $cur: stopping the guest"
		fi
		show_live
		sleep 1
	done
	wait "$vm_pid"
	RC=$?
	vm_pid=''
	read_progress
	[ $stalled = 0 ] || RC=11
	# vm.sh's own failures (initramfs, usage) before any guest ran: setup.
	case $RC in 1 | 2) [ $host = 1 ] || [ -r "$kdir/guest-exit" ] || RC=3 ;; esac
	case $RC in 130 | 143) [ $stalled = 1 ] || exit "$RC" ;; esac
}

# --- after a crash or hang ---------------------------------------------------

# The test running when the guest died: this boot's last progress record,
# if a start.
dead_test() {
	tail -n +$((boot_from + 1)) "$kdir/progress.log" 2>/dev/null |
		tail -n1 | awk -F'\t' '$1 == "start" { print $5 }'
}

# The case of TEST that last wrote its start marker to the console.
last_marked_case() {
	tr -d '\r' <"$kdir/console.log" 2>/dev/null |
		awk -v t="pinrace: $1 " '{ i = index($0, t) } i && / begin seed=/ {
			c = substr($0, i + length(t)); sub(/ begin seed=.*/, "", c) } END { print c }'
}

has_result() { # TEST CASE
	[ -s "$jsonl" ] && jq -e -s --arg t "$1" --arg c "$2" \
		'any(.[]; .test == $t and (.case == $c or .case == "*"))' "$jsonl" >/dev/null
}

# The first case of TEST, in run order, without a result.
next_case() {
	local c
	while IFS= read -r c; do
		has_result "$1" "$c" || { echo "$c"; return; }
	done < <("$top/build/tests/$1" --list 2>/dev/null | cut -f1 | sed "s|^$1/||")
}

# The kernel's last words: console lines after the last case start marker,
# from the first BUG/Oops/panic/... on, up to 12, as a JSON array.
death_lines() {
	tr -d '\r' <"$kdir/console.log" 2>/dev/null |
		awk '/pinrace: .* begin seed=/ { n = 0; delete l; next } { l[++n] = $0 }
			END { for (i = 1; i <= n; i++) print l[i] }' |
		sed 's/^\[ *[0-9.]*\] //' |
		grep -a -E -A11 -m1 'sysrq: Trigger|Kernel panic|BUG:|Oops|general protection fault|watchdog:|hung_task|rcu_.*stall|Call Trace' |
		head -n 12 | jq -R -s -c 'split("\n") | map(select(length > 0))'
}

# The extra fields of the record of a case the guest died in: the boot and
# its log; the seed of the case (its start marker) and of the run (TAP).
seeds_of() { # TEST CASE TAP BOOT LOG
	local seed run_seed
	seed=$(tr -d '\r' <"$kdir/console.log" 2>/dev/null |
		awk -v m="pinrace: $1 $2 begin seed=" '{ i = index($0, m) }
			i { s = substr($0, i + length(m)); sub(/[^0-9].*/, "", s) } END { print s }')
	run_seed=$(sed -n 's/^# kernel .*, seed \([0-9]\{1,20\}\),.*/\1/p' "$3" 2>/dev/null | tail -n1)
	jq -n -c --arg s "$seed" --arg r "$run_seed" --argjson b "$4" --arg l "$5" '
		def str: if . == "" then null else . end;
		{seed: ($s | str), run_seed: ($r | str), boot: $b, log: $l}'
}

# Record the case the guest died in; set WHY. False when it cannot be
# attributed to a case (then there is nothing to resume past).
record_death() { # KIND (crash|hang) BOOT
	local kind=$1 n=$2 t c how kmsg first log tap k
	t=$(dead_test)
	[ -n "$t" ] || { WHY="the guest $kind outside any test"; return 1; }
	c=$(last_marked_case "$t")
	if [ -n "$c" ] && ! has_result "$t" "$c"; then
		how="during this case"
	else
		how=${c:+"after case $c finished, before this one logged its start"}
		how=${how:-"before any case of the test logged its start"}
		c=$(next_case "$t")
		[ -n "$c" ] || { c='*' how="after its last case"; }
	fi
	log=console.boot$n.log
	tap=$kdir/${cur_tap:-$t.tap}
	kmsg=$(death_lines)
	first=$(jq -r 'first(.[] | select(test("Kernel panic"))) // .[0] // empty' <<<"$kmsg")
	if [ "$kind" = crash ]; then
		WHY="guest kernel crashed $how${first:+: $first} (boot $n, see $log)"
		error_record "$KVER" "$t" "$c" kernel-warning "$WHY" "$kmsg" "$(seeds_of "$t" "$c" "$tap" "$n" "$log")" >>"$jsonl"
	else
		WHY="guest hung $how: stopped after $((SECONDS - last_done)) s without a finished case (boot $n, see $log)"
		error_record "$KVER" "$t" "$c" hang "$WHY" "$kmsg" "$(seeds_of "$t" "$c" "$tap" "$n" "$log")" >>"$jsonl"
	fi
	tap_append error "$tap" "$c" "$WHY"
	WHY="$t/$c: $WHY"
	return 0
}

# Keep a dead boot's logs: the next boot starts them afresh.
keep_logs() { # BOOT
	local f
	for f in console guest-output setup qemu vm; do
		[ ! -e "$kdir/$f.log" ] || mv "$kdir/$f.log" "$kdir/$f.boot$1.log"
	done
}

# --- main ----------------------------------------------------------------------

first_bad=0 crashes=0 reasons=()
while :; do
	boot
	case $RC in
	10 | 11) ;;
	*) break ;;
	esac
	[ $first_bad -ne 0 ] || first_bad=$RC
	crashes=$((crashes + 1))
	kind=crash
	[ "$RC" = 11 ] && kind=hang
	if ! record_death $kind $boots; then
		reasons+=("$WHY")
		keep_logs $boots
		break
	fi
	reasons+=("$WHY")
	line_out "[$pos $label] $WHY"
	keep_logs $boots
	if [ $crashes -ge "${PINRACE_MAX_CRASHES:-5}" ]; then
		reasons+=("stopped after $crashes crashes/hangs")
		line_out "[$pos $label] $crashes crashes or hangs: not booting again"
		break
	fi
	line_out "[$pos $label] booting a fresh guest for the remaining tests"
done
{ [ $live = 1 ] || { [ -n "$livefile" ] && [ $tty = 1 ]; }; } && printf '\r\033[K' >&2 && live=0
[ $host = 1 ] || [ ! -s "$kdir/vm.log" ] || grep -v ': booting ' "$kdir/vm.log" >&2

rc=$RC
case $rc in 0 | 1) [ $first_bad -eq 0 ] || rc=$first_bad ;; esac
totals=$([ -s "$jsonl" ] && jq -r -s 'group_by(.status) | map("\(.[0].status) \(length)") | join(", ")' "$jsonl")
line_out "[$pos $label] finished in $(hms $((SECONDS - t_kernel))), $boots boot(s), exit $rc: ${totals:-no results}"
{
	echo "exit: $rc"
	echo "boots: $boots"
	echo "seconds: $((SECONDS - t_kernel))"
	[ $host = 1 ] || [ ! -s "$kdir/accel" ] || echo "accel: $(cat "$kdir/accel")"
	for r in "${reasons[@]}"; do echo "reason: $r"; done
} >"$kdir/status.txt"
exit "$rc"
