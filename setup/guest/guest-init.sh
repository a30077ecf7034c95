#!/bin/bash
# PID 1 of the pinrace QEMU guest, started by the initramfs after switch_root
# onto the host's root (9p, read-only). Never exits: it powers the guest off.
#
# 1. mounts proc, sys, tmpfs on /tmp /run /mnt /dev/shm, debugfs,
#    /var/tmp, tracefs, and the writable 9p share "results" at the same path
#    as on the host;
# 2. reads RESULTS/.guest-env (written by vm.sh: PROJECT, MODROOT, KVER, KPKG,
#    RESULTS, QEMU_VERSION, NVDIMM_MIB), loads modules with modprobe -d MODROOT
#    -C EMPTYDIR, brings up rxe0 (rxe.sh), the pmem filesystems (pmem.sh),
#    the page-cache matrix (scratchfs.sh) and, when vm.sh attached an NVDIMM,
#    its namespaces (nvdimm-guest.sh: PINRACE_DAX_NVDIMM_DIR,
#    PINRACE_DAX_EXT4_DIR, PINRACE_DEVDAX);
# 3. writes RESULTS/manifest.txt, runs RESULTS/.guest-cmd in PROJECT with the
#    PINRACE_* variables, its output going to RESULTS/guest-output.log (not
#    to the console: the emulated serial port manages about 200 KB/s);
# 4. writes RESULTS/kernel.log (dmesg) and RESULTS/guest-exit (the command's
#    status, or 3 if setup failed: the command is then not run), powers off.
# Every step goes to RESULTS/setup.log and the console.
# No set -e / set -u here: PID 1 must never exit.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp LC_ALL=C.UTF-8
MARK=pinrace-guest-init
PRIV=/dev/.pinrace # on devtmpfs: writable before anything else is
SETUP_LOG=
RESULTS=

say() { echo "$MARK: $*" >/dev/console; }

log() {
	local t
	t=$(cut -d' ' -f1 /proc/uptime 2>/dev/null)
	say "$*"
	[ -n "$SETUP_LOG" ] && echo "[$t] $*" >>"$SETUP_LOG"
}

# Run a step, logging its command and output; returns its status.
step() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$SETUP_LOG" ] && { [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /' >>"$SETUP_LOG"; }
	if [ $rc -eq 0 ]; then log "ok: $*"; else log "FAILED ($rc): $*"; fi
	return $rc
}

mount_once() { # TYPE SOURCE DIR [OPTIONS]
	mountpoint -q "$3" && return 0
	mkdir -p "$3" 2>/dev/null
	mount -t "$1" ${4:+-o "$4"} "$2" "$3"
}

# /tmp, /run, /mnt and /var/tmp become tmpfs; host paths the guest needs that live
# below them are bound back from the 9p root (kept at $PRIV/host).
tmpfs_over() { # DIR
	local dir=$1 p
	mount_once tmpfs tmpfs "$dir" mode=1777 || return 1
	for p in "$PROJECT" "$MODROOT"; do
		case $p in
		"$dir"/*) mkdir -p "$p" && mount --bind "$PRIV/host$p" "$p" || return 1 ;;
		esac
	done
}

# devtmpfs lacks the links udev would make; bash's <(...) needs /dev/fd.
dev_links() {
	ln -sfn /proc/self/fd /dev/fd &&
		ln -sfn /proc/self/fd/0 /dev/stdin &&
		ln -sfn /proc/self/fd/1 /dev/stdout &&
		ln -sfn /proc/self/fd/2 /dev/stderr
}

early_mounts() {
	mount_once proc proc /proc &&
		mount_once sysfs sysfs /sys &&
		mount_once devtmpfs devtmpfs /dev &&
		dev_links &&
		mkdir -p "$PRIV/host" "$PRIV/results" &&
		mount --bind / "$PRIV/host" &&
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$PRIV/results"
}

late_mounts() {
	tmpfs_over /tmp && tmpfs_over /run && tmpfs_over /mnt && tmpfs_over /var/tmp || return 1
	mkdir -p "$RESULTS" && mount --move "$PRIV/results" "$RESULTS" || return 1
	# The binds made from it stay; a /dev that holds the whole host root would
	# surprise anything that walks /dev.
	umount "$PRIV/host" && rmdir "$PRIV/host" "$PRIV/results" "$PRIV" || return 1
	mount_once devpts devpts /dev/pts &&
		mount_once tmpfs tmpfs /dev/shm mode=1777 || return 1
	mount_once debugfs debugfs /sys/kernel/debug || log "warning: no debugfs"
	mount_once tracefs tracefs /sys/kernel/tracing || log "warning: no tracefs"
	return 0
}

modprobe_pinrace() { modprobe -d "$MODROOT" -C /run/pinrace/modprobe.d "$@"; }

ESSENTIAL_MODULES=(rdma_rxe ib_uverbs nd_e820 nd_pmem xfs)
# nfit after nd_e820: the memmap= regions are registered first (region0, 1).
ALL_MODULES=(crc32_generic "${ESSENTIAL_MODULES[@]}" nfit dax_pmem device_dax rdma_ucm ext4 btrfs loop udmabuf dummy veth vfio vfio_iommu_type1 vfio_pci)
# The setup pieces, the modules each needs and the variables that name
# what it provides. A module the kernel does not have (absent, not built
# in) leaves the piece out: its variables empty, the tests needing them
# skip naming the module and its option. A module that fails to load is
# broken setup.
declare -A PIECE_MODULES=([rdma]="rdma_rxe ib_uverbs" [pmem]="nd_e820 nd_pmem xfs" [nvdimm]="nfit"
	[devdax]="device_dax" [vfio]="vfio vfio_iommu_type1 vfio_pci")
declare -A PIECE_VARS=([rdma]="PINRACE_RDMA_DEV" [pmem]="PINRACE_DAX_DIR PINRACE_PAGECACHE_DIR PINRACE_XFS_DIR"
	[nvdimm]="PINRACE_DAX_NVDIMM_DIR PINRACE_DAX_EXT4_DIR PINRACE_DEVDAX" [devdax]="PINRACE_DEVDAX" [vfio]="PINRACE_VFIO_DEV")
declare -A MISSING=()
export PINRACE_LACKS_FILE=/run/pinrace/lacks.env

# What became of module M after the batch load: loaded, built in, absent, or
# failed. Absent also covers bool options built in without a module name.
module_state() { # M MODPROBE_OUTPUT
	local m=$1 out=$2
	if [ -e "/sys/module/$m/initstate" ]; then
		echo loaded
	elif grep -qE "/$m\.ko" "$MODROOT/lib/modules/$KVER/modules.builtin" 2>/dev/null; then
		echo "built in"
	elif [[ $out == *"Module $m not found"* ]]; then
		echo "absent (no such module; may be a non-modular built-in option)"
	else
		echo failed
	fi
}

# One modprobe for all modules (tools and indexes load once; that matters under
# TCG), in order: crc32_generic first, since 6.1's rxe cannot init crc32
# without it. Then report each; an essential module that is not there fails.
load_modules() {
	local out m st bad=0
	mkdir -p /run/pinrace/modprobe.d
	out=$(modprobe_pinrace -a "${ALL_MODULES[@]}" 2>&1)
	for m in "${ALL_MODULES[@]}"; do
		st=$(module_state "$m" "$out")
		if [ "$st" = failed ]; then
			st="failed: $(modprobe_pinrace "$m" 2>&1 | tr '\n' ' ')"
		fi
		if [[ " ${ESSENTIAL_MODULES[*]} " == *" $m "* ]]; then
			case $st in loaded | "built in" | absent*) ;; *) st="$st (ESSENTIAL)" bad=1 ;; esac
		fi
		case $st in absent*) piece_lacks_module "$m" ;; esac
		log "module $m: $st"
	done
	return $bad
}

# Module M is not in this kernel: the pieces that need it are left out.
piece_lacks_module() { # M
	local p
	for p in "${!PIECE_MODULES[@]}"; do
		[[ " ${PIECE_MODULES[$p]} " == *" $1 "* ]] || continue
		MISSING[$p]+="${MISSING[$p]:+, }module $1 ($(module_option "$1"))"
	done
}

# Run a piece's setup unless the kernel lacks its modules; then say so for
# each of its variables.
piece() { # NAME COMMAND...
	local name=$1 v
	shift
	if [ -n "${MISSING[$name]:-}" ]; then
		for v in ${PIECE_VARS[$name]}; do
			lacks "$v" "this kernel has no ${MISSING[$name]}" unset 2>>"$SETUP_LOG"
		done
		log "skipped $name setup: this kernel has no ${MISSING[$name]}"
		return 0
	fi
	"$@"
}

section() { # TITLE COMMAND...
	local title=$1
	shift
	printf '\n## %s\n' "$title"
	"$@" 2>&1
}

write_manifest() {
	local p
	{
		echo "kernel_release: $(uname -r)"
		echo "kernel_package: $KPKG"
		echo "kernel_cmdline: $(cat /proc/cmdline)"
		echo "qemu: $QEMU_VERSION"
		echo "cpus: $(nproc)"
		echo "memory: $(awk '/^MemTotal/ { print $2, $3 }' /proc/meminfo)"
		dpkg-query -W -f='package ${Package}: ${Version}\n' rdma-core ibverbs-providers \
			libibverbs1 liburing2 xfsprogs qemu-system-x86 perftest kmod 2>&1
		for p in /dev/udmabuf /dev/dma_heap/system /dev/infiniband/uverbs0 /dev/infiniband/rdma_cm; do
			if [ -e "$p" ]; then echo "device $p: yes"; else echo "device $p: no"; fi
		done
		echo "rdma_dev: rxe0"
		echo "rxe0_roce_v2_gid_index: $(bash "$PROJECT/setup/host/rxe.sh" gid rxe0 2>/dev/null || echo none)"
		section "rdma link show" rdma link show
		section "ibv_devinfo -v" ibv_devinfo -v
		section "mounts" grep -E " ($PINRACE_DAX_DIR|$PINRACE_PAGECACHE_DIR|/mnt/ext4|/mnt/btrfs|/mnt/tmpfs|/mnt/dax-[a-z0-9]+|$RESULTS|/) " /proc/mounts
		section "pmem" ls -l /dev/pmem* /dev/dax*
		section "nvdimm namespaces" ndctl list -RNu
		echo
		env | grep -E '^PINRACE_(DAX|DEVDAX|PAGECACHE|VFIO)' | sort
		section "modules" lsmod
	} >"$RESULTS/manifest.txt"
}

run_command() {
	log "running command (see guest-output.log)"
	(
		cd "$PROJECT" || exit 3
		ulimit -l unlimited
		exec bash "$RESULTS/.guest-cmd" </dev/null
	) >"$RESULTS/guest-output.log" 2>&1
}

# Stop whatever the command left behind, save the kernel log and the status,
# flush the results share and power off. Never returns.
finish() { # STATUS
	local status=$1
	kill -TERM -1 2>/dev/null
	sleep 0.5
	kill -KILL -1 2>/dev/null
	if [ -n "$RESULTS" ] && mountpoint -q "$RESULTS"; then
		dmesg >"$RESULTS/kernel.log" 2>&1
		echo "$status" >"$RESULTS/guest-exit.tmp" && mv "$RESULTS/guest-exit.tmp" "$RESULTS/guest-exit"
		log "exit status $status"
		SETUP_LOG=
		sync
		umount "$RESULTS" 2>/dev/null || umount -l "$RESULTS"
	fi
	say "done, status $status, powering off"
	sync
	echo o >/proc/sysrq-trigger
	sleep 20
	/bin/busybox poweroff -f
	while :; do sleep 3600; done
}

setup_failed() {
	log "SETUP FAILED: $*"
	finish 3
}

# QEMU's NVDIMM (vm.sh attached one when NVDIMM_MIB > 0): namespaces for
# XFS and ext4 with DAX and for device-DAX; their PINRACE_* variables.
nvdimm_up() {
	local env=/run/pinrace/nvdimm.env
	[ "${NVDIMM_MIB:-0}" -gt 0 ] || { log "no NVDIMM attached"; return 0; }
	[ -z "${MISSING[nvdimm]:-}" ] || { piece nvdimm true; return 0; }
	# no device-DAX (PREEMPT_RT kernels have no CONFIG_DEV_DAX): the
	# fsdax namespaces only, the devdax tests skip naming the option
	[ -z "${MISSING[devdax]:-}" ] || { piece devdax true; export PINRACE_NVDIMM_DEVDAX_SIZE=0; }
	step bash "$PROJECT/setup/guest/nvdimm-guest.sh" "$env" ||
		setup_failed "the NVDIMM namespaces failed (see setup.log)"
	set -a
	# shellcheck disable=SC1090
	. "$env"
	set +a
}

# The DMA device (vm.sh adds it with the IOMMU when IOMMU=1: edu, or with
# VFIO_ENGINE=nvme an NVMe controller) bound to vfio-pci: PINRACE_VFIO_DEV;
# for NVMe also PINRACE_VFIO_NVME_LBA, the LBAs the cases may overwrite (the
# disk is the boot's own image). Without the IOMMU the vfio tests skip
# saying the run did not ask for it; a kernel without VFIO, naming the module.
vfio_up() {
	local d bdf='' what=edu want="0x1234 0x11e8 " ids=(vendor device)
	[ "${IOMMU:-0}" = 1 ] || {
		# not a lack of the kernel: the skip reason only, not lacks.txt
		printf 'PINRACE_VFIO_DEV_LACKS=%q\n' "the guest was booted without the IOMMU (no selected test needs vfio)" >>"$PINRACE_LACKS_FILE"
		return 0
	}
	[ -z "${MISSING[vfio]:-}" ] || { piece vfio true; return 0; }
	[ "${VFIO_ENGINE:-edu}" != nvme ] || what=NVMe want="0x010802 " ids=(class)
	for d in /sys/bus/pci/devices/*; do
		[ "$(cd "$d" && cat "${ids[@]}" 2>/dev/null | tr '\n' ' ')" = "$want" ] && bdf=${d##*/}
	done
	[ -n "$bdf" ] || setup_failed "no $what device ($want) although vm.sh added one"
	[ -e "/sys/bus/pci/devices/$bdf/iommu_group" ] || {
		lacks PINRACE_VFIO_DEV "$what $bdf has no IOMMU group: the kernel did not enable the IOMMU (intel_iommu=on)" unset 2>>"$SETUP_LOG"
		return 0
	}
	step sh -c "echo vfio-pci >/sys/bus/pci/devices/$bdf/driver_override &&
		{ [ ! -e /sys/bus/pci/devices/$bdf/driver ] || echo $bdf >/sys/bus/pci/devices/$bdf/driver/unbind; } &&
		echo $bdf >/sys/bus/pci/drivers_probe &&
		test \"\$(basename \$(readlink /sys/bus/pci/devices/$bdf/driver))\" = vfio-pci" ||
		setup_failed "binding $what $bdf to vfio-pci failed"
	export PINRACE_VFIO_DEV=$bdf
	# 8 MiB of the 64 MiB image with 512-byte LBAs (all of it with 4 KiB)
	[ "$what" = edu ] || export PINRACE_VFIO_NVME_LBA=0+16384
	log "$what $bdf bound to vfio-pci, IOMMU group $(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")"
}

main() {
	early_mounts || setup_failed "cannot mount proc/sys/dev or the 9p results share"
	[ -r "$PRIV/results/.guest-env" ] || setup_failed "no .guest-env in the results share"
	# shellcheck disable=SC1091
	. "$PRIV/results/.guest-env"
	late_mounts || setup_failed "cannot set up tmpfs or the results mount at $RESULTS"
	SETUP_LOG=$RESULTS/setup.log
	: >"$SETUP_LOG"
	log "guest-init on $(uname -r), project $PROJECT, results $RESULTS"
	[ "$(uname -r)" = "$KVER" ] || setup_failed "running kernel $(uname -r), expected $KVER"

	export PINRACE_RDMA_DEV=rxe0 PINRACE_DAX_DIR=/mnt/dax PINRACE_PAGECACHE_DIR=/mnt/pagecache
	export PINRACE_RESULTS=$RESULTS PINRACE_IN_VM=1 PINRACE_KPKG=$KPKG
	# shellcheck source-path=SCRIPTDIR source=lacks.sh
	. "$PROJECT/setup/guest/lacks.sh"
	mkdir -p /run/pinrace && : >"$PINRACE_LACKS_FILE" && : >"${PINRACE_LACKS_FILE%.env}.txt"
	load_modules || setup_failed "an essential module did not load"
	piece rdma step bash "$PROJECT/setup/host/rxe.sh" up rxe0 lo || setup_failed "rxe setup failed"
	piece pmem step bash "$PROJECT/setup/host/pmem.sh" up || setup_failed "pmem filesystem setup failed"
	step bash "$PROJECT/setup/host/scratchfs.sh" up ||
		setup_failed "the ext4, btrfs and tmpfs filesystems of the matrix failed"
	nvdimm_up
	vfio_up
	export PINRACE_XFS_DIR=/mnt/pagecache PINRACE_EXT4_DIR=/mnt/ext4
	export PINRACE_BTRFS_DIR=/mnt/btrfs PINRACE_TMPFS_DIR=/mnt/tmpfs
	# What the kernel lacks: emptied variables and the reasons (lacks.sh).
	set -a
	# shellcheck disable=SC1090
	. "$PINRACE_LACKS_FILE"
	set +a
	cp "${PINRACE_LACKS_FILE%.env}.txt" "$RESULTS/lacks.txt" 2>/dev/null || : >"$RESULTS/lacks.txt"
	write_manifest || log "warning: manifest incomplete"
	log "setup complete"

	run_command
	finish $?
}

if [ $$ -ne 1 ]; then
	echo "guest-init.sh: runs only as PID 1 of the pinrace guest" >&2
	exit 2
fi
say "started"
main
finish 3
