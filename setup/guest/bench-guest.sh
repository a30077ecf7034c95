#!/usr/bin/env bash
# Inside the guest (run by setup/run/bench.sh through vm.sh): the verifier
# against memcpy, then verified RDMA traffic against perftest, all in one
# boot on one device.  Writes OUT/guest-*.txt.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
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
# prints the client's average MB/s. Output files get SUFFIX.
perftest() { # ib_read_bw|ib_write_bw SECONDS SUFFIX
	local args=(-d "$dev" -x "$gid" -s $((msg_kib * 1024)) -t $depth -D "$2" -F)
	"$1" "${args[@]}" >"$out/guest-$1-server$3.txt" 2>&1 &
	local srv=$!
	sleep 1
	"$1" "${args[@]}" 127.0.0.1 >"$out/guest-$1$3.txt" 2>&1
	wait $srv
	awk '/^ *[0-9]+ +[0-9]+ / { print $4 }' "$out/guest-$1$3.txt" | tail -1
}

# bench-rdma OP for SECONDS, its output kept in FILE; prints its MB/s.
verified() { # read|write SECONDS FILE
	"$top/build/tests/bench-rdma" "$1" "$2" $msg_kib $depth >"$3" 2>&1
	sed -n "s/^verified_$1_MBps: //p" "$3"
}

mean() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "") printf "%.1f", (a + b) / 2 }'; }

"$top/build/tests/bench-verify" 64 >"$out/guest-verify.txt" 2>&1
gid=$(gid_index) || { echo "no RoCE v2 GID for 127.0.0.1 on $dev" >"$out/guest-error.txt"; exit 3; }
# Each operation as perftest, pinrace, pinrace, perftest (half the time
# each): a machine whose load drifts during the run weighs on both alike.
half=$(((secs + 1) / 2))
{
	for op in read write; do
		p1=$(perftest ib_${op}_bw $half -1)
		v1=$(verified $op $half "$out/guest-bench-$op-1.txt")
		v2=$(verified $op $half "$out/guest-bench-$op-2.txt")
		p2=$(perftest ib_${op}_bw $half -2)
		echo "perftest_${op}_MBps: $(mean "$p1" "$p2") ($p1, $p2)"
		echo "verified_${op}_MBps: $(mean "$v1" "$v2") ($v1, $v2)"
		grep -h -E '^(bad_blocks|checksum):' "$out/guest-bench-$op-1.txt" "$out/guest-bench-$op-2.txt" |
			sed "s/^/${op}_/"
	done
	echo "message_KiB: $msg_kib"
	echo "depth: $depth"
	echo "gid_index: $gid"
} >"$out/guest-rdma.txt" 2>&1
