# shellcheck shell=bash
# The checks behind setup/host/host.sh: what a host config may name, and what
# an RDMA device needs before anything runs. Sourced; uses conf and cfg.
# shellcheck disable=SC2154 # conf and cfg are host.sh's

# Filesystems the system lives on: a scratch directory or a reconfigurable
# device must be none of them.
SYSTEM_MOUNTS=(/ /boot /usr /var /home)

# KEY DIR: a directory of the filesystem KEY names, not a system one.
check_scratch() {
	local key=$1 dir=$2 want=${1#scratch_} got opts m
	[[ $dir == /* ]] || die 2 "$conf: $key $dir: not an absolute path"
	[ -d "$dir" ] || die 2 "$conf: $key $dir: no such directory"
	got=$(findmnt -n -o FSTYPE -T "$dir" | tail -n1)
	opts=,$(findmnt -n -o OPTIONS -T "$dir" | tail -n1),
	case $want in
	fsdax | fsdax_ext4)
		[[ ($got == xfs || $got == ext4) && ($opts == *,dax=always,* || $opts == *,dax,*) ]] ||
			die 2 "$conf: $key $dir is $got mounted without -o dax=always: not filesystem-DAX"
		[ "$want" = fsdax ] || [ "$got" = ext4 ] || die 2 "$conf: $key $dir is on $got, not ext4"
		;;
	*)
		[ "$got" = "$want" ] || die 2 "$conf: $key $dir is on $got, not $want"
		[[ $opts != *,dax=always,* && $opts != *,dax,* ]] ||
			die 2 "$conf: $key $dir is mounted -o dax=always: a page-cache scratch must not be DAX"
		;;
	esac
	for m in "${SYSTEM_MOUNTS[@]}"; do
		[ -e "$m" ] && [ "$(stat -c %d "$m")" = "$(stat -c %d "$dir")" ] &&
			die 2 "$conf: $key $dir is on the filesystem of $m ($(findmnt -n -o SOURCE -T "$dir" | tail -n1)): the tests need one of their own"
	done
	return 0
}

# KEY DEV: a pmem or device-dax device the suite may reconfigure.
check_pmem() {
	local key=$1 dev=$2 real name part m t ok
	[ -e "$dev" ] || die 2 "$conf: $key $dev: no such device"
	real=$(realpath "$dev") name=${real##*/}
	[ -b "$real" ] || [ -c "$real" ] || die 2 "$conf: $key $dev: not a device"
	! grep -q "^${real}[[:space:]]" /proc/swaps || die 2 "$conf: $key $dev is in use as swap"
	[ -z "$(ls -A "/sys/class/block/$name/holders" 2>/dev/null)" ] ||
		die 2 "$conf: $key $dev is held by $(ls "/sys/class/block/$name/holders") (LVM, md or dm)"
	for part in $(lsblk -nrpo NAME "$real" 2>/dev/null); do
		while IFS= read -r m; do
			for t in "${SYSTEM_MOUNTS[@]}"; do
				[ "$m" != "$t" ] || die 2 "$conf: $key $dev holds $m, a filesystem the system lives on"
			done
			ok=0
			for t in "${scratch_targets[@]}"; do [ "$m" != "$t" ] || ok=1; done
			[ $ok = 1 ] || die 2 "$conf: $key $dev is mounted at $m, where no scratch directory of the config is"
		done < <(findmnt -n -o TARGET -S "$part")
	done
	[[ $name =~ ^(pmem|dax)[0-9] ]] || die 2 "$conf: $key $dev: not a pmem or device-dax device (pmemN, daxN.M)"
}

# KEY NS: an ndctl namespace; its device (in ns_dev) gets the checks above.
check_namespace() {
	local ns=$2
	command -v ndctl >/dev/null || die 2 "$conf: $1 $ns: ndctl is not installed"
	ns_dev=$(ndctl list -n "$ns" 2>/dev/null | jq -r '.[0] // . | .blockdev // .chardev // empty' 2>/dev/null)
	[ -n "$ns_dev" ] || die 2 "$conf: $1 $ns: ndctl lists no such namespace (or it has no device)"
	ns_dev=/dev/$ns_dev
	check_pmem "$1" "$ns_dev"
}

# A RoCE v2 IPv4 GID in DEV's port P's table, or why not (on stdout).
port_problem() { # DEV P
	local p=/sys/class/infiniband/$1/ports/$2 f i
	case $(cat "$p/state") in *ACTIVE*) ;; *) echo "port $2 is $(cut -d' ' -f2 "$p/state") (link down? cable, switch)" && return ;; esac
	[ "$(cat "$p/link_layer")" = Ethernet ] || { echo "port $2 is InfiniBand: pinrace needs RoCE (Ethernet)" && return; }
	for f in "$p"/gids/*; do
		i=${f##*/}
		[[ $(cat "$f" 2>/dev/null) == 0000:0000:0000:0000:0000:ffff:* ]] &&
			[ "$(cat "$p/gid_attrs/types/$i" 2>/dev/null)" = "RoCE v2" ] && return
	done
	echo "port $2 has no RoCE v2 IPv4 GID (give $(cat "$p/gid_attrs/ndevs/0" 2>/dev/null || echo its netdev) an IPv4 address)"
}

# The RDMA device, step by step: the first missing piece is said, exit 4.
check_rdma() {
	local dev=${cfg[rdma_device]:-} sys=/sys/class/infiniband devs p w why='' ports
	[ -d $sys ] || die 4 "no RDMA device: the kernel has no RDMA subsystem loaded (/sys/class/infiniband is missing): load ib_core and the HCA's driver (mlx5_ib), or rdma_rxe for soft-RoCE"
	devs=$(find $sys -mindepth 1 -maxdepth 1 -printf '%f ')
	devs=${devs% }
	[ -n "$devs" ] || die 4 "no RDMA device: /sys/class/infiniband is empty: load the HCA's driver (mlx5_ib), or soft-RoCE: modprobe rdma_rxe; rdma link add rxe0 type rxe netdev NETDEV"
	[ -n "$dev" ] || die 2 "$conf: no rdma_device (this machine has: $devs)"
	[ -d "$sys/$dev" ] || die 2 "$conf: rdma_device $dev: no such RDMA device (this machine has: $devs)"
	compgen -G '/dev/infiniband/uverbs*' >/dev/null || die 4 "$dev: no /dev/infiniband/uverbs*: user space cannot reach it (modprobe ib_uverbs)"
	ibv_devices 2>/dev/null | awk 'NR > 2 { print $1 }' | grep -qxF "$dev" ||
		die 4 "$dev: libibverbs does not list it: no user-space provider for its driver (install ibverbs-providers)"
	ports=${cfg[rdma_port]:-$(ls "$sys/$dev/ports")}
	for p in $ports; do
		[ -d "$sys/$dev/ports/$p" ] || die 2 "$conf: rdma_port $p: $dev has no such port"
		w=$(port_problem "$dev" "$p")
		[ -n "$w" ] || return 0
		why+="$w; "
	done
	die 4 "$dev has no usable port: ${why%; }"
}
