#!/bin/bash
# The page-cache filesystems of the matrix, inside the guest (or on a lab
# host that names its own directories instead):
#
#   setup/host/scratchfs.sh up      ext4 and btrfs on loop devices backed by files
#                              in /run, tmpfs; prints the PINRACE_*_DIR lines
#   setup/host/scratchfs.sh down    unmount them and detach the loop devices
#
# xfs is the pmem-backed page-cache mount of setup/host/pmem.sh. Each mount is
# checked to be the filesystem it claims before it is named.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=../guest/lacks.sh
. "$here/guest/lacks.sh"

SIZE_MB=${PINRACE_SCRATCH_MB:-256}
IMG_DIR=/run/pinrace-scratch

# A filesystem or loop devices the kernel lacks leave VAR empty (its
# cases skip naming the module and option); any other failure is broken.
loop_fs() { # FS DIR VAR MKFS...
	local fs=$1 dir=$2 var=$3 img=$IMG_DIR/$1.img dev
	shift 3
	if ! grep -qw "$fs" /proc/filesystems; then
		lacks "$var" "this kernel has no $fs filesystem (module $fs, $(module_option "$fs"))" unset
		return 0
	fi
	if [ ! -e /dev/loop-control ]; then
		lacks "$var" "this kernel has no loop devices for $fs (module loop, $(module_option loop))" unset
		return 0
	fi
	truncate -s "${SIZE_MB}M" "$img"
	"$@" "$img" >/dev/null 2>&1 || die 1 "$* $img failed"
	dev=$(losetup -f --show "$img") || die 1 "losetup $img failed"
	mkdir -p "$dir"
	mount -t "$fs" "$dev" "$dir" || die 1 "mount -t $fs $dev $dir failed"
	check "$fs" "$dir"
}

check() { # FS DIR
	local got
	got=$(findmnt -n -o FSTYPE --mountpoint "$2") || die 1 "$2 is not mounted"
	[ "$got" = "$1" ] || die 1 "$2 is $got, not $1"
	log "$2: $1"
}

up() {
	need_cmd mkfs.ext4 mkfs.btrfs losetup findmnt
	mkdir -p "$IMG_DIR"
	mount -t tmpfs -o size=$((2 * SIZE_MB + 16))M tmpfs "$IMG_DIR"
	loop_fs ext4 /mnt/ext4 PINRACE_EXT4_DIR mkfs.ext4 -q -F
	loop_fs btrfs /mnt/btrfs PINRACE_BTRFS_DIR mkfs.btrfs -q -f
	mkdir -p /mnt/tmpfs
	mount -t tmpfs -o size="${SIZE_MB}M" tmpfs /mnt/tmpfs
	check tmpfs /mnt/tmpfs
	echo "PINRACE_EXT4_DIR=/mnt/ext4"
	echo "PINRACE_BTRFS_DIR=/mnt/btrfs"
	echo "PINRACE_TMPFS_DIR=/mnt/tmpfs"
}

down() {
	local d dev
	for d in /mnt/ext4 /mnt/btrfs /mnt/tmpfs; do
		dev=$(findmnt -n -o SOURCE --mountpoint "$d" 2>/dev/null) || continue
		umount "$d" && case $dev in /dev/loop*) losetup -d "$dev" ;; esac
	done
	umount "$IMG_DIR" 2>/dev/null || true
}

case ${1:-up} in
up) up ;;
down) down ;;
*) die 2 "usage: scratchfs.sh up|down" ;;
esac
