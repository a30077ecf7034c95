#!/bin/bash
# Soft-RoCE (rdma_rxe) device management, for use inside the guest.
#
#   setup/host/rxe.sh up   [DEV [NETDEV]]   create DEV (rxe0) on NETDEV (lo), wait for ACTIVE
#   setup/host/rxe.sh down [DEV]            delete DEV
#   setup/host/rxe.sh gid  [DEV [ADDR]]     print the GID index whose GID is ADDR
#                                      (default ::ffff:127.0.0.1) with type RoCE v2
#
# The rdma_rxe module must already be loaded (6.1 also wants crc32_generic first).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"

rxe_up() { # DEV NETDEV
	local dev=$1 netdev=$2 i
	ip link set "$netdev" up || die 1 "cannot bring $netdev up"
	if ! rdma link show "$dev/1" >/dev/null 2>&1; then
		rdma link add "$dev" type rxe netdev "$netdev" ||
			die 1 "rdma link add $dev type rxe netdev $netdev failed (on 6.1: is crc32_generic loaded?)"
	fi
	for i in $(seq 50); do
		if ibv_devinfo -d "$dev" 2>/dev/null | grep -q 'PORT_ACTIVE'; then
			log "$dev on $netdev is ACTIVE"
			return 0
		fi
		[ "$i" = 1 ] && log "waiting for $dev to become ACTIVE"
		sleep 0.2
	done
	die 1 "$dev did not become PORT_ACTIVE"
}

rxe_down() { # DEV
	rdma link delete "$1" || die 1 "rdma link delete $1 failed"
}

# Scan the port's GID table (what show_gids does) for ADDR with RoCE v2.
rxe_gid() { # DEV ADDR
	local dev=$1 want=$2 port=/sys/class/infiniband/$1/ports/1 f idx gid type
	[ -d "$port" ] || die 1 "no RDMA device $dev"
	want=$(gid_hex "$want")
	for f in "$port"/gids/*; do
		idx=${f##*/}
		gid=$(cat "$f" 2>/dev/null) || continue
		type=$(cat "$port/gid_attrs/types/$idx" 2>/dev/null) || continue
		if [ "$gid" = "$want" ] && [ "$type" = "RoCE v2" ]; then
			echo "$idx"
			return 0
		fi
	done
	die 1 "no RoCE v2 GID $2 on $dev"
}

# ::ffff:a.b.c.d -> the colon-grouped hex form sysfs prints.
gid_hex() {
	local a b c d
	case $1 in
	::ffff:*.*.*.*)
		IFS=. read -r a b c d <<<"${1#::ffff:}"
		printf '0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x\n' "$a" "$b" "$c" "$d"
		;;
	*) echo "$1" ;;
	esac
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
up) rxe_up "${1:-rxe0}" "${2:-lo}" ;;
down) rxe_down "${1:-rxe0}" ;;
gid) rxe_gid "${1:-rxe0}" "${2:-::ffff:127.0.0.1}" ;;
*) die 2 "usage: rxe.sh up [DEV [NETDEV]] | down [DEV] | gid [DEV [ADDR]]" ;;
esac
