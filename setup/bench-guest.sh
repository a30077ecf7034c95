#!/usr/bin/env bash
# Inside the guest (run by setup/bench.sh through vm.sh): the verifier
# against memcpy, then verified RDMA traffic against perftest, all in one
# boot on one device.  Writes OUT/guest-*.txt.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: bench-guest.sh OUT}
dev=${PINRACE_RDMA_DEV:-rxe0}
secs=${PINRACE_BENCH_SECS:-10}
msg_kib=64 depth=16

# The RoCE v2 GID of 127.0.0.1, found by scanning, never assumed.
gid_index() {
	local d=/sys/class/infiniband/$dev/ports/1 i
	for i in $(ls "$d/gids" | sort -n); do
		[ "$(cat "$d/gids/$i")" = 0000:0000:0000:0000:0000:ffff:7f00:0001 ] || continue
		[ "$(cat "$d/gid_attrs/types/$i" 2>/dev/null)" = "RoCE v2" ] || continue
		echo "$i"
		return 0
	done
	return 1
}

# perftest loopback: server in the background, client to 127.0.0.1;
# prints the client's average MB/s.
perftest() { # ib_read_bw|ib_write_bw
	local args=(-d "$dev" -x "$gid" -s $((msg_kib * 1024)) -t $depth -D "$secs" -F)
	"$1" "${args[@]}" >"$out/guest-$1-server.txt" 2>&1 &
	local srv=$!
	sleep 1
	"$1" "${args[@]}" 127.0.0.1 >"$out/guest-$1.txt" 2>&1
	wait $srv
	awk '/^ *[0-9]+ +[0-9]+ / { print $4 }' "$out/guest-$1.txt" | tail -1
}

"$top/build/tests/bench-verify" 64 >"$out/guest-verify.txt" 2>&1
gid=$(gid_index) || { echo "no RoCE v2 GID for 127.0.0.1 on $dev" >"$out/guest-error.txt"; exit 3; }
{
	echo "perftest_read_MBps: $(perftest ib_read_bw)"
	echo "perftest_write_MBps: $(perftest ib_write_bw)"
	"$top/build/tests/bench-rdma" read "$secs" $msg_kib $depth
	"$top/build/tests/bench-rdma" write "$secs" $msg_kib $depth
	echo "message_KiB: $msg_kib"
	echo "depth: $depth"
	echo "gid_index: $gid"
} >"$out/guest-rdma.txt" 2>&1
