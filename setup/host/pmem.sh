#!/bin/bash
# Filesystems on the guest's emulated pmem (memmap=), for use inside the guest.
#
#   setup/host/pmem.sh [up]   mkfs + mount the first memmap= device (/dev/pmem0) at
#                        /mnt/dax (dax=always) and the second (/dev/pmem1) at
#                        /mnt/pagecache (dax=never), then verify
#   setup/host/pmem.sh verify check that the DAX mount really is DAX and the other is not
#
# Both are XFS with reflink (the DAX one without, on a kernel whose XFS
# takes DAX only without reflink: daxcheck.sh's xfs_dax_mount). The DAX one also gets a 2 MiB stripe unit so files
# get 2 MiB-aligned extents and PMD faults are possible (PINRACE_DAX_MKFS_OPTS
# overrides; if mkfs rejects them it falls back to plain reflink).
# The devices are found by their bus (e820: the memmap= regions), so that an
# emulated NVDIMM's namespaces (setup/guest/nvdimm-guest.sh) never take their place.
# The nd_e820, nd_pmem and xfs modules must be loaded.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=daxcheck.sh
. "$here/host/daxcheck.sh"

DAX_DIR=${PINRACE_DAX_DIR:-/mnt/dax}
PC_DIR=${PINRACE_PAGECACHE_DIR:-/mnt/pagecache}

# The block devices of the memmap= regions (nd_e820), in order.
e820_devs() {
	local b
	for b in /sys/block/pmem*; do
		[[ $(readlink -f "$b") != */e820_pmem/* ]] || echo "/dev/${b##*/}"
	done
}

# Sets DAX_DEV and PC_DEV once both memmap= devices are there.
find_devs() {
	local _ devs
	for _ in $(seq 50); do
		mapfile -t devs < <(e820_devs)
		if [ ${#devs[@]} -ge 2 ] && [ -b "${devs[0]}" ] && [ -b "${devs[1]}" ]; then
			DAX_DEV=${devs[0]} PC_DEV=${devs[1]}
			return 0
		fi
		sleep 0.2
	done
	die 1 "two memmap= pmem devices did not appear (found: ${devs[*]:-none}; is nd_e820/nd_pmem loaded and memmap= on the command line?)"
}

make_fs() { # DEV DIR MOUNTOPT [EXTRA MKFS OPTS...]
	local dev=$1 dir=$2 opt=$3
	shift 3
	if mountpoint -q "$dir"; then
		umount "$dir" || die 1 "cannot unmount the old $dir"
	fi
	# shellcheck disable=SC2068 # extra options are deliberately word-split
	if ! mkfs.xfs -f -q -m reflink=1 $@ "$dev" >/dev/null; then
		[ $# -gt 0 ] || die 1 "mkfs.xfs on $dev failed"
		warn "mkfs.xfs $* on $dev failed, retrying without them"
		set --
		mkfs.xfs -f -q -m reflink=1 "$dev" >/dev/null || die 1 "mkfs.xfs on $dev failed"
	fi
	mkdir -p "$dir" || die 1 "cannot create $dir"
	if [ "$opt" = dax=always ]; then
		# shellcheck disable=SC2068
		xfs_dax_mount "$dev" "$dir" PINRACE_DAX_DIR $@ || return
	else
		mount -t xfs -o "$opt" "$dev" "$dir" || die 1 "mount -o $opt $dev $dir failed"
	fi
	log "$dev: xfs mounted at $dir with $opt"
}

check_mount() { # DIR DEV WANT_DAX(yes|no) WANT_OPT
	local dir=$1 dev=$2 want=$3 opt=$4 src fstype opts got
	read -r src fstype opts < <(findmnt -n -o SOURCE,FSTYPE,OPTIONS --mountpoint "$dir") ||
		die 1 "$dir is not a mount point"
	{ [ "$src" = "$dev" ] && [ "$fstype" = xfs ]; } ||
		die 1 "$dir is $fstype on $src, expected xfs on $dev"
	[[ ,$opts, == *,$opt,* ]] || die 1 "$dir is mounted without $opt ($opts)"
	got=$(statx_dax "$dir")
	[ "$got" = "$want" ] || die 1 "$dir: STATX_ATTR_DAX is '$got', expected '$want'"
	log "verified $dir: $opt, STATX_ATTR_DAX=$got"
}

verify() {
	find_devs
	check_mount "$DAX_DIR" "$DAX_DEV" yes dax=always
	check_mount "$PC_DIR" "$PC_DEV" no dax=never
}

case ${1:-up} in
up)
	need_cmd mkfs.xfs xfs_io findmnt mountpoint
	find_devs
	rc=0
	# shellcheck disable=SC2086
	make_fs "$DAX_DEV" "$DAX_DIR" dax=always ${PINRACE_DAX_MKFS_OPTS--d su=2m,sw=1} || rc=$?
	[ $rc = 0 ] || [ $rc = 2 ] || die 1 "mount -o dax=always $DAX_DEV $DAX_DIR failed, with reflink and without"
	make_fs "$PC_DEV" "$PC_DIR" dax=never
	if [ $rc = 0 ]; then verify; else check_mount "$PC_DIR" "$PC_DEV" no dax=never; fi
	;;
verify) verify ;;
*) die 2 "usage: pmem.sh [up|verify]" ;;
esac
