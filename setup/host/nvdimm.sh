#!/bin/bash
# NVDIMM namespaces for the DAX tests, on a lab host or in the guest: an
# fsdax namespace with XFS (reflink, 2 MiB stripe unit) mounted -o dax=always,
# one with ext4 mounted -o dax=always, and a devdax namespace (/dev/daxX.Y).
#
#   setup/host/nvdimm.sh show
#       regions and namespaces (mode, size, device) and what is mounted;
#       changes nothing
#   setup/host/nvdimm.sh up [--xfs NS] [--ext4 NS] [--devdax NS]
#                      [--reconfigure NS [--size SIZE]]... [--format DEV]...
#                      [--mnt DIR]
#       give each named namespace its role: mount the filesystem already on
#       it, or name its device-DAX character device; prints the
#       PINRACE_DAX_NVDIMM_DIR=, PINRACE_DAX_EXT4_DIR=, PINRACE_DEVDAX= lines
#       for the tests. Mounts go under DIR (default /mnt/pinrace): dax-xfs and
#       dax-ext4.
#
# Nothing is destroyed unless an option names it exactly:
#   --reconfigure NS   NS may be (re)created in the mode its role needs
#                      (ndctl create-namespace; its data is lost). A namespace
#                      of size 0 (its region's seed) needs --size SIZE.
#   --format DEV       DEV (/dev/pmemX[.Y], the device of an fs role) may get a
#                      new filesystem (its data is lost).
# A role whose namespace is in another mode, or whose device holds no
# filesystem or another one, without these options; an option that names
# something no role uses; an unknown namespace or a mounted device to format:
# each is refused with a one-line error and exit 2, before anything is
# touched. Exit 1: an operation failed on the way.
#
# setup/check/check-nvdimm-refusal.sh proves the refusals with stand-in commands;
# it points PINRACE_ND_DEV (/dev) and PINRACE_ND_SYSFS (/sys/bus/nd/devices)
# at its own folders.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=daxcheck.sh
. "$here/host/daxcheck.sh"

DEV=${PINRACE_ND_DEV:-/dev}
SYSFS=${PINRACE_ND_SYSFS:-/sys/bus/nd/devices}

refuse() { die 2 "refused: $*"; }

# Every namespace, idle ones included, as "NS REGION MODE SIZE DEVICE" lines
# (DEVICE: blockdev, chardev, or -).
namespaces() {
	ndctl list -RNi 2>/dev/null | jq -r '
		.. | objects | select((.dev? // "") | startswith("region"))
		| .dev as $r | .namespaces[]?
		| [.dev, $r, (.mode // "raw"), (.size // 0),
		   (.blockdev // .chardev // "-")] | join(" ")'
}

# The device a namespace gets in MODE: pmemR / pmemR.M, or daxR.M.
device_for() { # NS MODE
	local id=${1#namespace} r m
	r=${id%%.*} m=${id#*.}
	case $2 in
	devdax) echo "$DEV/dax$r.$m" ;;
	*) if [ "$m" = 0 ]; then echo "$DEV/pmem$r"; else echo "$DEV/pmem$r.$m"; fi ;;
	esac
}

fs_type() { blkid -o value -s TYPE "$1" 2>/dev/null || true; }
mounted_at() { findmnt -n -o TARGET --source "$1" 2>/dev/null | head -n1 || true; }

show() {
	need_cmd ndctl jq
	printf '%-16s %-8s %-8s %12s %-14s %s\n' NAMESPACE REGION MODE SIZE DEVICE MOUNTED
	namespaces | while read -r ns r mode size dev; do
		local at=-
		[ "$dev" = - ] || [[ $dev == dax* ]] || at=$(mounted_at "$DEV/$dev")
		printf '%-16s %-8s %-8s %12s %-14s %s\n' "$ns" "$r" "$mode" "$size" "$dev" "${at:--}"
	done
}

# --- up: plan everything, refuse or go ------------------------------------

declare -A role_ns=() reconf=() size_of=() formats=() plan_dev=()
mnt=/mnt/pinrace

parse_up() {
	local last=''
	while [ $# -gt 0 ]; do
		case $1 in
		--xfs | --ext4 | --devdax | --reconfigure | --size | --format | --mnt)
			{ [ $# -ge 2 ] && [ -n "$2" ]; } || die 2 "$1 needs a value"
			;;
		esac
		case $1 in
		--xfs | --ext4 | --devdax)
			[ -z "${role_ns[${1#--}]:-}" ] || die 2 "$1 given twice"
			role_ns[${1#--}]=$2
			;;
		--reconfigure) reconf[$2]=1 last=$2 ;;
		--size)
			[ -n "$last" ] || die 2 "--size goes after the --reconfigure it sizes"
			[[ $2 =~ ^[0-9]+[KkMmGgTt]?$ ]] || die 2 "--size wants a size like 512M, got '$2'"
			size_of[$last]=$2
			;;
		--format) formats[$2]=1 ;;
		--mnt) mnt=$2 ;;
		*) die 2 "unknown argument '$1' (see the header of setup/host/nvdimm.sh)" ;;
		esac
		shift 2
	done
	[ ${#role_ns[@]} -gt 0 ] || die 2 "up needs at least one of --xfs, --ext4, --devdax"
}

# Decide what each role needs; refuse (exit 2) before touching anything.
plan() {
	local all role ns want line r mode size dev seed f used_ns=' ' used_dev=' '
	all=$(namespaces) || true
	[ -n "$all" ] || refuse "ndctl lists no namespaces: no NVDIMM here (or nfit/nd_pmem not loaded)"
	for role in xfs ext4 devdax; do
		ns=${role_ns[$role]:-}
		[ -n "$ns" ] || continue
		[[ $used_ns != *" $ns "* ]] || refuse "$ns is named for two roles"
		used_ns+="$ns "
		want=fsdax
		[ $role != devdax ] || want=devdax
		line=$(awk -v n="$ns" '$1 == n' <<<"$all")
		[ -n "$line" ] || refuse "no namespace $ns (setup/host/nvdimm.sh show lists them)"
		read -r _ r mode size dev <<<"$line"
		if [ "${reconf[$ns]:-}" = 1 ]; then
			[ "$dev" = - ] || [[ $dev == dax* ]] || [ -z "$(mounted_at "$DEV/$dev")" ] ||
				refuse "$ns: $DEV/$dev is mounted at $(mounted_at "$DEV/$dev"): unmount it before --reconfigure $ns"
			if [ "$size" = 0 ]; then
				[ -n "${size_of[$ns]:-}" ] || refuse "$ns has size 0 (a seed): --reconfigure $ns needs --size"
				seed=$(cat "$SYSFS/$r/namespace_seed" 2>/dev/null || true)
				[ "$seed" = "$ns" ] || refuse "$ns is not the seed of $r (${seed:-none}): cannot create it"
			fi
			dev=$(device_for "$ns" "$want")
		elif [ "$mode" != "$want" ] || [ "$size" = 0 ]; then
			refuse "$ns is $mode (size $size), the $role role needs $want: add --reconfigure $ns to recreate it (its data is lost)"
		else
			dev=$DEV/$dev
		fi
		plan_dev[$role]=$dev
		used_dev+="$dev "
		[ $role != devdax ] || continue
		if [ "${formats[$dev]:-}" = 1 ]; then
			[ "${reconf[$ns]:-}" = 1 ] || [ -z "$(mounted_at "$dev")" ] ||
				refuse "$dev is mounted at $(mounted_at "$dev"): unmount it before --format $dev"
		elif [ "${reconf[$ns]:-}" = 1 ]; then
			refuse "$ns is recreated, so $dev needs a new filesystem: add --format $dev"
		else
			f=$(fs_type "$dev")
			[ "$f" = "$role" ] ||
				refuse "$dev holds ${f:-no filesystem}, the $role role needs $role: add --format $dev to make one (its data is lost)"
		fi
	done
	for ns in "${!reconf[@]}"; do
		[[ $used_ns == *" $ns "* ]] || refuse "--reconfigure $ns: no role (--xfs, --ext4, --devdax) names $ns"
	done
	for f in "${!formats[@]}"; do
		{ [[ $used_dev == *" $f "* ]] && [[ $f != */dax* ]]; } ||
			refuse "--format $f: it is not the device of an --xfs or --ext4 role (${used_dev# })"
	done
}

reconfigure() { # NS MODE
	local ns=$1 mode=$2 r size line
	line=$(namespaces | awk -v n="$ns" '$1 == n')
	read -r _ r _ size _ <<<"$line"
	if [ "$size" = 0 ]; then
		ndctl create-namespace -r "$r" -m "$mode" -s "${size_of[$ns]}" >/dev/null ||
			die 1 "ndctl create-namespace -r $r -m $mode -s ${size_of[$ns]} failed"
	else
		ndctl create-namespace -f -e "$ns" -m "$mode" ${size_of[$ns]:+-s "${size_of[$ns]}"} >/dev/null ||
			die 1 "ndctl create-namespace -f -e $ns -m $mode failed"
	fi
	log "$ns: $mode"
}

wait_dev() { # DEV
	local _
	for _ in $(seq 50); do
		[ -e "$1" ] && return 0
		sleep 0.2
	done
	die 1 "$1 did not appear"
}

# A 2 MiB stripe unit for PMD faults; below 1 GiB xfsprogs wants fewer AGs
# and a log stripe unit with it.
mkfs_xfs() { # DEV
	# shellcheck disable=SC2054 # commas inside mkfs option values
	local opts=(-d su=2m,sw=1)
	# shellcheck disable=SC2054
	[ "$(blockdev --getsize64 "$1")" -ge $((1 << 30)) ] ||
		opts=(-d su=2m,sw=1,agcount=4 -l su=4k)
	mkfs.xfs -f -q -m reflink=1 "${opts[@]}" "$1" >/dev/null ||
		die 1 "mkfs.xfs ${opts[*]} on $1 failed"
	XFS_OPTS=("${opts[@]}")
}

mkfs_ext4() { # DEV: 4 KiB blocks (DAX needs the page size), 2 MiB stripes
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$1" >/dev/null ||
		die 1 "mkfs.ext4 on $1 failed"
}

fs_role() { # ROLE (xfs|ext4)
	local role=$1 ns=${role_ns[$1]} dev=${plan_dev[$1]} dir at got
	if [ "${reconf[$ns]:-}" = 1 ]; then reconfigure "$ns" fsdax; fi
	wait_dev "$dev"
	if [ "${formats[$dev]:-}" = 1 ]; then
		"mkfs_$role" "$dev"
		log "$dev: new $role filesystem"
	fi
	at=$(mounted_at "$dev")
	dir=${at:-$mnt/dax-$role}
	if [ -z "$at" ]; then
		mkdir -p "$dir" || die 1 "cannot create $dir"
		if [ "$role" = xfs ] && [ "${formats[$dev]:-}" = 1 ]; then
			# a device it may format: without reflink where the kernel wants that
			xfs_dax_mount "$dev" "$dir" PINRACE_DAX_NVDIMM_DIR "${XFS_OPTS[@]}" ||
				die 1 "mount -t xfs -o dax=always $dev $dir failed, with reflink and without (dmesg says why)"
		else
			mount -t "$role" -o dax=always "$dev" "$dir" ||
				die 1 "mount -t $role -o dax=always $dev $dir failed (dmesg says why)"
		fi
	fi
	got=$(statx_dax "$dir")
	[ "$got" = yes ] || die 1 "$dir ($dev): files are not DAX (STATX_ATTR_DAX=$got)"
	log "$dev ($ns): $role mounted at $dir, files DAX"
	case $role in
	xfs) echo "PINRACE_DAX_NVDIMM_DIR=$dir" ;;
	ext4) echo "PINRACE_DAX_EXT4_DIR=$dir" ;;
	esac
}

devdax_role() {
	local ns=${role_ns[devdax]} dev=${plan_dev[devdax]}
	if [ "${reconf[$ns]:-}" = 1 ]; then reconfigure "$ns" devdax; fi
	wait_dev "$dev"
	[ -c "$dev" ] || die 1 "$dev is not a character device"
	log "$dev ($ns): device-DAX"
	echo "PINRACE_DEVDAX=$dev"
}

up() {
	need_cmd ndctl jq blkid findmnt
	parse_up "$@"
	plan
	[ -z "${role_ns[xfs]:-}" ] || fs_role xfs
	[ -z "${role_ns[ext4]:-}" ] || fs_role ext4
	[ -z "${role_ns[devdax]:-}" ] || devdax_role
}

cmd=${1:-}
[ $# -eq 0 ] || shift
case $cmd in
show)
	[ $# -eq 0 ] || die 2 "show takes no arguments"
	show
	;;
up) up "$@" ;;
*) die 2 "usage: nvdimm.sh show | up [--xfs NS] [--ext4 NS] [--devdax NS] [--reconfigure NS [--size S]]... [--format DEV]... [--mnt DIR]" ;;
esac
