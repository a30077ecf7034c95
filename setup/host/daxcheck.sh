# shellcheck shell=bash
# Is a filesystem really DAX? Source it (setup/host/pmem.sh, setup/host/nvdimm.sh).
#
#   statx_dax DIR   prints yes when a new file in DIR reports
#                   STATX_ATTR_DAX, no when it does not; dies when statx
#                   cannot tell (a failed mkfs can leave DIR on tmpfs)

STATX_ATTR_DAX=0x200000

statx_dax() { # DIR
	local f=$1/.pinrace-dax-probe attr
	attr=$(xfs_io -f -c 'pwrite -q 0 4096' -c 'statx -r' "$f" |
		awk '$1 == "stat.attributes" { print $3 }')
	rm -f "$f"
	[ -n "$attr" ] || die 1 "cannot read statx attributes in $1"
	if (((attr & STATX_ATTR_DAX) != 0)); then echo yes; else echo no; fi
}

# shellcheck source-path=SCRIPTDIR source=../guest/lacks.sh
. "$(dirname "${BASH_SOURCE[0]}")/../guest/lacks.sh"

# Mount the fresh XFS (made with reflink and MKFS OPTS) on DEV at DIR with
# dax=always; a kernel whose XFS takes DAX only without reflink (before
# 6.0, ea6c49b784f0) gets an XFS made again without it, and VAR's reflink
# cases skip saying so. A kernel with no filesystem DAX at all leaves VAR
# empty (status 2). Anything else fails (1).
xfs_dax_mount() { # DEV DIR VAR [MKFS OPTS...]
	local dev=$1 dir=$2 var=$3 err
	shift 3
	err=$(mount -t xfs -o dax=always "$dev" "$dir" 2>&1) && return 0
	mkfs.xfs -f -q -m reflink=0 "$@" "$dev" >/dev/null || return 1
	err=$(head -n1 <<<"$err" | sed 's/.*: //; s/,.*//')
	if mount -t xfs -o dax=always "$dev" "$dir"; then
		lacks "$var" "XFS with reflink and DAX: this kernel ($(uname -r)) mounts XFS -o dax=always only without reflink (with it: $err); DAX with reflink came in 6.0 (ea6c49b784f0)"
		return 0
	fi
	mount -t xfs "$dev" "$dir" || return 1
	umount "$dir"
	lacks "$var" "filesystem DAX: this kernel ($(uname -r)) mounts XFS on $dev but not with -o dax=always (CONFIG_FS_DAX)" unset
	return 2
}
