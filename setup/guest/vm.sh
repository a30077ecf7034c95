#!/bin/bash
# Run a command inside a QEMU (TCG) guest booted from a given kernel, with
# soft-RoCE (rxe0) and two emulated pmem devices set up.
#
#   setup/guest/vm.sh --kver V --kimage F --modroot D --results DIR
#               [--timeout SECONDS] [--mem SIZE] [--kpkg STRING] -- COMMAND [ARGS...]
#
# The guest's root is the host's root, shared read-only over 9p; DIR is shared
# writable at the same path. The guest (setup/guest/guest-init.sh) runs COMMAND in
# the project directory and leaves in DIR: guest-output.log, setup.log,
# manifest.txt, kernel.log (dmesg), guest-exit. QEMU's console goes to
# DIR/console.log; after the guest is done, guest-output.log is copied to
# stdout. PINRACE_VERBOSE=1 streams both to stderr while the guest runs.
#
# --mem is the guest's usable RAM (default 3G, at least 2G); each pmem region
# is PINRACE_PMEM_SIZE (default 1G) on top, placed at 4G and above.
# PINRACE_NVDIMM_SIZE (default 2G, 0: none) adds QEMU's emulated NVDIMM (ACPI
# NFIT, a label area), backed by a sparse file in PINRACE_NVDIMM_DIR (default
# /var/tmp) that lives as long as the boot; the guest carves it into
# namespaces (setup/guest/nvdimm-guest.sh).
# PINRACE_BOOT_TIMEOUT (default 300 s) bounds the wait for guest-init to start.
# PINRACE_ACCEL (tcg, or kvm: -cpu host) picks the accelerator; the run's
# PINRACE_ACCEL_FILE, when it names one ("accel: tcg" after a fallback),
# overrides it. A KVM boot that never reaches guest-init (within
# PINRACE_KVM_BOOT_TIMEOUT, default 60 s) is booted again under TCG, said in
# one line and written to PINRACE_ACCEL_FILE, so the run's later boots use
# TCG too. DIR/accel names the accelerator of the last boot.
# PINRACE_IOMMU=1 (kernel-run.sh sets it when a selected test needs "vfio":
# setup/guest/iommu-need.sh) adds an emulated IOMMU with interrupt remapping
# (intel-iommu on q35, kernel-irqchip=split; intel_iommu=on iommu=pt, so
# the guest's own devices keep identity mappings) and QEMU's edu DMA device,
# which guest-init.sh binds to vfio-pci. PINRACE_VFIO_ENGINE=nvme (default
# edu; setup/guest/vfio-engine.sh) adds an emulated NVMe controller instead,
# on a 64 MiB sparse image in DIR that lives as long as the boot.
# PINRACE_SMP (2), PINRACE_KERNEL_ARGS (appended to the kernel command line) and
# PINRACE_QEMU (qemu-system-x86_64) adjust the machine. --kpkg (else $KPKG,
# else what kernel.sh recorded in MODROOT) names the kernel in the manifest.
#
# Exit status: COMMAND's if the guest finished (3 = guest setup failed);
# 10 guest kernel crashed; 11 timeout (guest hung, QEMU killed);
# 12 guest never reached guest-init (after one retry); 2 bad usage (before
# any boot; a command's own 2 comes with a fresh DIR/guest-exit).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
project=$(dirname "$here")
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"

E_CRASH=10 E_TIMEOUT=11 E_NOBOOT=12
MARK_STARTED='pinrace-guest-init: started'
QEMU=${PINRACE_QEMU:-qemu-system-x86_64}

usage() {
	die 2 "usage: vm.sh --kver V --kimage F --modroot D --results DIR [--timeout S] [--mem SIZE] [--kpkg STR] -- COMMAND [ARGS...]"
}

to_mib() { # 3G | 3072M | 3072 -> MiB
	case $1 in
	*[Gg]) echo $((${1%[Gg]} * 1024)) ;;
	*[Mm]) echo "${1%[Mm]}" ;;
	*) echo "$1" ;;
	esac
}

kver='' kimage='' modroot='' results='' timeout=1800 mem=3G kpkg=${KPKG:-}
while [ $# -gt 0 ]; do
	case $1 in
	--kver | --kimage | --modroot | --results | --timeout | --mem | --kpkg)
		[ $# -ge 2 ] || usage
		declare "${1#--}=$2"
		shift 2
		;;
	--) shift && break ;;
	*) die 2 "unknown argument '$1' (did you forget -- before the command?)" ;;
	esac
done
[ $# -gt 0 ] || usage
{ [ -n "$kver" ] && [ -n "$kimage" ] && [ -n "$modroot" ] && [ -n "$results" ]; } || usage
[ -f "$kimage" ] || die 2 "kernel image '$kimage' does not exist"
[ -d "$modroot/lib/modules/$kver" ] || die 2 "'$modroot/lib/modules/$kver' does not exist"
[[ $timeout =~ ^[0-9]+$ ]] || die 2 "--timeout wants seconds, got '$timeout'"
[[ $mem =~ ^[0-9]+[MmGg]?$ ]] || die 2 "--mem wants a size like 3G or 3072M, got '$mem'"
mem_mib=$(to_mib "$mem")
pmem_mib=$(to_mib "${PINRACE_PMEM_SIZE:-1G}")
nvdimm_mib=$(to_mib "${PINRACE_NVDIMM_SIZE:-2G}")
[[ $nvdimm_mib =~ ^[0-9]+$ ]] && { [ "$nvdimm_mib" = 0 ] || [ "$nvdimm_mib" -ge 512 ]; } ||
	die 2 "PINRACE_NVDIMM_SIZE wants 0 or a size of at least 512M, got '${PINRACE_NVDIMM_SIZE:-}'"
[ "$mem_mib" -ge 2048 ] || die 2 "--mem must be at least 2G (the guest's RAM below 4G is 2G)"
[[ $project != *[[:space:]]* ]] || die 2 "the project path '$project' contains white space"
[[ $results != *,* ]] || die 2 "the results path '$results' contains a comma (QEMU option syntax)"
# shellcheck source-path=SCRIPTDIR source=vfio-engine.sh
. "$here/guest/vfio-engine.sh"
vfio_engine=$(vfio_engine) || exit 2
need_cmd "$QEMU" realpath
mkdir -p "$results" || die 2 "cannot create results directory '$results'"
results=$(realpath "$results")
kimage=$(realpath "$kimage")
modroot=$(realpath "$modroot")
[ -n "$kpkg" ] || kpkg=$(cat "$modroot/.pinrace-kpkg" 2>/dev/null || echo unknown)

initrd=$(bash "$here/guest/initramfs.sh" "$kver" "$modroot") || die 1 "building the initramfs failed"

# The kernel's own .config (Debian's boot/config-V or lib/modules/V/config, a
# build tree's .config), read against the suite's fragment once per folder:
# config-check.txt, which --list and the summary quote.
kernel_config() {
	local c
	for c in "$modroot/boot/config-$kver" "$(dirname "$modroot")/boot/config-$kver" \
		"$modroot/lib/modules/$kver/config" "$(dirname "$kimage")/config-$kver" \
		"$(dirname "$kimage")/../../../.config" "$modroot/lib/modules/$kver/build/.config"; do
		[ -f "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}
if [ ! -e "$results/config-check.txt" ] && kconfig=$(kernel_config); then
	bash "$here/guest/checkconfig.sh" "$kconfig" >"$results/config-check.txt" 2>&1 || true
fi

# The command and the guest's environment, as files in the results share.
{
	echo '#!/bin/bash'
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$results/.guest-cmd"
{
	printf 'PROJECT=%q\nMODROOT=%q\nRESULTS=%q\nKVER=%q\nKPKG=%q\nQEMU_VERSION=%q\n' \
		"$project" "$modroot" "$results" "$kver" "$kpkg" "$("$QEMU" --version | head -n1)"
	printf 'NVDIMM_MIB=%q\n' "$nvdimm_mib"
	printf 'IOMMU=%q\n' "${PINRACE_IOMMU:-0}"
	printf 'VFIO_ENGINE=%q\n' "$vfio_engine"
} >"$results/.guest-env"

# Guest RAM below 4G is 2G on q35 once -m is over 2.75G; the rest of -m sits
# from 4G up. The pmem regions take the first 2 * pmem of that.
total_mib=$((mem_mib + 2 * pmem_mib))
cmdline="console=ttyS0,115200 panic=-1 oops=panic"
cmdline+=" memmap=${pmem_mib}M!4G memmap=${pmem_mib}M!$((4096 + pmem_mib))M"
# memfd_secret() is off by default before 6.5 ("mm/secretmem: make it on by
# default"): secretmem-pin needs it on every kernel
cmdline+=" secretmem.enable=1"
cmdline+=" pinrace.init=$project/setup/guest/guest-init.sh ${PINRACE_KERNEL_ARGS:-}"

accel=${PINRACE_ACCEL:-tcg}
if [ -n "${PINRACE_ACCEL_FILE:-}" ] && [ -r "$PINRACE_ACCEL_FILE" ]; then
	accel=$(sed -n 's/^accel: //p' "$PINRACE_ACCEL_FILE" | tail -n1)
fi
case $accel in kvm | tcg) ;; *) die 2 "PINRACE_ACCEL wants kvm or tcg, got '$accel'" ;; esac

# The NVDIMM sits in the hotplug area above RAM: one slot, maxmem covering it.
machine=q35 memory=${total_mib}M nvdimm_args=() nvdimm_file='' iommu_args=() nvme_file=''
case ${PINRACE_IOMMU:-0} in
0) ;;
1)
	machine+=,kernel-irqchip=split
	# shellcheck disable=SC2054 # commas inside QEMU option values
	iommu_args=(-device intel-iommu,intremap=on -device edu)
	if [ "$vfio_engine" = nvme ]; then
		nvme_file=$results/vfio-nvme.img # made once cleanup is armed
		# shellcheck disable=SC2054 # commas inside QEMU option values
		iommu_args=(-device intel-iommu,intremap=on
			-drive "file=$nvme_file,if=none,id=vfionvme,format=raw"
			-device nvme,serial=pinrace,drive=vfionvme)
	fi
	cmdline+=" intel_iommu=on iommu=pt"
	;;
*) die 2 "PINRACE_IOMMU wants 0 or 1, got '$PINRACE_IOMMU'" ;;
esac
if [ "$nvdimm_mib" -gt 0 ]; then
	nvdimm_dir=${PINRACE_NVDIMM_DIR:-/var/tmp}
	nvdimm_file=$(mktemp "$nvdimm_dir/pinrace-nvdimm-XXXXXX.img") ||
		die 2 "cannot create the NVDIMM backing file in $nvdimm_dir (PINRACE_NVDIMM_DIR)"
	[[ $nvdimm_file != *,* ]] || die 2 "the NVDIMM path '$nvdimm_file' contains a comma"
	truncate -s "${nvdimm_mib}M" "$nvdimm_file" # sparse: only what the guest writes
	machine+=,nvdimm=on memory+=",slots=2,maxmem=$((total_mib + nvdimm_mib))M"
	# shellcheck disable=SC2054 # commas inside QEMU option values
	nvdimm_args=(-object "memory-backend-file,id=nvmem0,share=on,mem-path=$nvdimm_file,size=${nvdimm_mib}M"
		-device nvdimm,id=nvdimm0,memdev=nvmem0,label-size=128K)
fi

# The QEMU command line for $accel. Under TCG the guest's TSC is the host's
# raw TSC: when the host itself is a VM that is snapshotted, forked or
# migrated, that TSC leaps (one sandbox's guest clock went from 361 s to
# 461460 s, and timeout(1) stopped a test), so the guest keeps time by the
# HPET instead, which QEMU drives from the host's monotonic clock
# (tsc=unstable also bounds sched_clock by it). Races lost nothing to it
# (pagecache-race ext4/* on 7.2: 58.6 layout changes and 1809 transfers a
# case, against 57.1 and 1341 on the TSC; the same outcomes). KVM guests
# use kvm-clock.
set_qemu_cmd() {
	local cpu=max clock='tsc=unstable '
	[ "$accel" != kvm ] || cpu=host clock=''
	# shellcheck disable=SC2054 # commas inside QEMU option values
	qemu_cmd=(
		"$QEMU" -machine "$machine,accel=$accel" -cpu "$cpu" -smp "${PINRACE_SMP:-2}" -m "$memory"
		"${iommu_args[@]}" "${nvdimm_args[@]}"
		-nographic -no-reboot -monitor none -nic none
		-serial "file:$results/console.log"
		-kernel "$kimage" -initrd "$initrd" -append "$clock$cmdline"
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$results,mount_tag=results,security_model=none"
	)
}
set_qemu_cmd

qemu_pid='' tail_pids=()
# Wait up to N half-seconds for PID to go; true if it went.
gone() { # PID N
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.5
	done
	! kill -0 "$1" 2>/dev/null
}

stop_qemu() {
	if [ -n "$qemu_pid" ]; then
		kill -TERM "$qemu_pid" 2>/dev/null || true
		gone "$qemu_pid" 10 || kill -KILL "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
		qemu_pid=''
	fi
	local t
	for t in "${tail_pids[@]}"; do
		# tail --pid ends by itself after a last read once QEMU is gone.
		gone "$t" 4 || kill "$t" 2>/dev/null || true
		wait "$t" 2>/dev/null || true
	done
	tail_pids=()
}
cleanup() {
	stop_qemu
	[ -z "$nvdimm_file" ] || rm -f "$nvdimm_file"
	[ -z "$nvme_file" ] || rm -f "$nvme_file"
}
trap cleanup EXIT
[ -z "$nvme_file" ] || truncate -s 64M "$nvme_file" || die 3 "cannot create the NVMe image $nvme_file"
trap 'exit 130' INT
trap 'exit 143' TERM

# The first kernel death line on the console, for the one-line reason.
crash_line() {
	grep -a -m1 -E 'Kernel panic|Oops|BUG:|general protection fault|pinrace-initramfs: FAILED' \
		"$results/console.log" 2>/dev/null | tr -d '\r' | sed 's/^\[ *[0-9.]*\] //' | cut -c1-160
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# One boot. Sets RC and REASON; returns 0 when the guest finished by itself.
boot_once() {
	local t0 started='' rc
	RC=0 REASON=''
	boot_limit=${PINRACE_BOOT_TIMEOUT:-300}
	[ "$accel" != kvm ] || boot_limit=${PINRACE_KVM_BOOT_TIMEOUT:-60}
	echo "$accel" >"$results/accel"
	rm -f "$results"/{console.log,guest-exit,guest-exit.tmp,kernel.log,setup.log,manifest.txt,guest-output.log}
	: >"$results/console.log"
	t0=$(now)
	"${qemu_cmd[@]}" </dev/null >"$results/qemu.log" 2>&1 &
	qemu_pid=$!
	if [ "${PINRACE_VERBOSE:-0}" = 1 ]; then
		local f
		for f in console.log guest-output.log; do
			tail -n +1 --pid="$qemu_pid" -F "$results/$f" >&2 2>/dev/null &
			tail_pids+=($!)
		done
	fi
	while kill -0 "$qemu_pid" 2>/dev/null; do
		if [ -z "$started" ] && grep -aq "$MARK_STARTED" "$results/console.log"; then
			started=$(elapsed "$t0")
		fi
		if [ -z "$started" ] && awk -v e="$(elapsed "$t0")" -v l="$boot_limit" 'BEGIN { exit !(e > l) }'; then
			stop_qemu
			RC=$E_NOBOOT REASON="guest did not reach guest-init within $boot_limit s"
			return 1
		fi
		if awk -v e="$(elapsed "$t0")" -v l="$timeout" 'BEGIN { exit !(e > l) }'; then
			stop_qemu
			RC=$E_TIMEOUT REASON="timeout: guest still running after $timeout s, QEMU killed (console: $results/console.log)"
			return 1
		fi
		sleep 0.25
	done
	rc=0
	wait "$qemu_pid" || rc=$?
	qemu_pid=''
	stop_qemu # the console tail
	if [ -z "$started" ] && grep -aq "$MARK_STARTED" "$results/console.log"; then
		started='?'
	fi
	TIMES="guest-init started after ${started:-(never)} s, QEMU exited after $(elapsed "$t0") s"

	local why setup
	why=$(crash_line)
	setup=$(grep -a -m1 -o 'SETUP FAILED.*' "$results/console.log" | tr -d '\r')
	if [ -z "$started" ]; then
		RC=$E_NOBOOT REASON="guest never reached guest-init (QEMU exit $rc)${why:+: $why}"
		return 1
	fi
	if [ -r "$results/guest-exit" ]; then
		RC=$(cat "$results/guest-exit")
		[[ $RC =~ ^[0-9]+$ ]] || RC=$E_CRASH REASON="unreadable guest-exit file"
		[ -z "$setup" ] || REASON="guest $setup (see $results/setup.log)"
	elif [ -n "$setup" ]; then
		RC=3 REASON="guest $setup"
	else
		RC=$E_CRASH REASON="guest kernel crashed: ${why:-QEMU exited ($rc) without guest-exit}"
	fi
	return 0
}

TIMES=''
log "booting $kver (${mem_mib}M RAM + 2x${pmem_mib}M pmem + ${nvdimm_mib}M NVDIMM, timeout ${timeout}s)"
booted=0
boot_once && booted=1
if [ $booted = 0 ] && [ "$RC" = "$E_NOBOOT" ] && [ "$accel" = kvm ]; then
	qerr=$(grep -a -m1 -v '^$' "$results/qemu.log" 2>/dev/null | cut -c1-120)
	REASON+=${qerr:+, QEMU said: $qerr}
	log "KVM: the guest failed before its first line ($REASON): falling back to TCG for the run"
	[ -z "${PINRACE_ACCEL_FILE:-}" ] ||
		printf 'accel: tcg\nreason: KVM guest of %s failed before its first line: %s\n' \
			"$kver" "$REASON" >>"$PINRACE_ACCEL_FILE"
	cp "$results/console.log" "$results/console.kvm-failure.log" 2>/dev/null || true
	accel=tcg
	set_qemu_cmd
	boot_once && booted=1
fi
if [ $booted = 0 ] && [ "$RC" = "$E_NOBOOT" ]; then
	warn "boot failed ($REASON); retrying the boot once"
	cp "$results/console.log" "$results/console.boot-failure.log" 2>/dev/null || true
	boot_once || true
fi
[ -z "$TIMES" ] || log "$kver: $TIMES"

[ ! -r "$results/guest-output.log" ] || cat "$results/guest-output.log"
if [ "$RC" -lt 10 ] && [ -r "$results/kernel.log" ] &&
	n=$(grep -c -E 'BUG:|Oops|WARNING:|Call Trace' "$results/kernel.log") && [ "$n" -gt 0 ]; then
	warn "the guest kernel logged $n BUG/Oops/WARNING/Call Trace lines: see $results/kernel.log"
fi
[ -z "$REASON" ] || log "$REASON"
exit "$RC"
