#!/usr/bin/env bash
# `make bench`: speed as ratios to references measured in the same run.
#   1. the verifier against memcpy over the same 64 MiB, natively, and
#      against merely reading that memory (its ceiling);
#   2. the same in the guest, then verified RDMA READ/WRITE (bench-rdma)
#      against perftest's ib_read_bw/ib_write_bw on the same device in the
#      same boot.
# PINRACE_BENCH_KERNEL picks the guest kernel (default debian:trixie).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=bench
. "$top/setup/run/common.sh"

out="$top/results/bench-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
# Other work on the machine slows memcpy and the verifier unevenly: say how
# busy it was (the goals hold for an idle machine).
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# load average: $load" >"$out/native-verify.txt"
"$top/build/tests/bench-verify" 64 >>"$out/native-verify.txt" 2>&1 ||
	die 1 "bench-verify failed: $(cat "$out/native-verify.txt")"
log "native verifier: $(grep '^verify/memcpy ratio' "$out/native-verify.txt") at load $load"

. "$top/setup/guest/accel.sh"
accel_choose "${PINRACE_ACCEL:-auto}" || die 3 "$ACCEL_WHY"
log "accelerator: $ACCEL ($ACCEL_WHY)"
export PINRACE_ACCEL=$ACCEL
eval "$(bash "$top/setup/guest/kernel.sh" "${PINRACE_BENCH_KERNEL:-debian:trixie}")" ||
	die 3 "fetching the kernel failed"
bash "$top/setup/guest/vm.sh" --kver "$KVER" --kimage "$KIMAGE" --modroot "$MODROOT" \
	--kpkg "${KPKG:-}" --results "$out" --timeout 900 -- \
	bash "$top/setup/guest/bench-guest.sh" "$out" ||
	die 1 "the guest part failed: see $out/console.log"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
val() { sed -n "s/^$2: \([0-9.]*\).*/\1/p" "$out/$1" | tail -1; }
rratio() { sed -n "s|^$2 ratio: \([0-9.]*\).*|\1|p" "$out/$1"; }
valg() { sed -n 's/^verify\/memcpy ratio: [0-9.]* (\(.*\))/\1/p' "$out/$1"; }
# "fastest: xxh3, selected xxh3 at 1.00 of its speed" -> "xxh3 | xxh3 | 1.00"
vpick() { sed -n 's/^fastest: \(.*\), selected \(.*\) at \([0-9.]*\) of its speed/\2 | \1 | \3/p' "$out/$1"; }

pr=$(val guest-rdma.txt perftest_read_MBps) pw=$(val guest-rdma.txt perftest_write_MBps)
vr=$(val guest-rdma.txt verified_read_MBps) vw=$(val guest-rdma.txt verified_write_MBps)
{
	echo "| measurement | pinrace | reference | ratio | goal |"
	echo "|---|---|---|---|---|"
	echo "| verifier vs memcpy, 64 MiB, native (load $load) | $(valg native-verify.txt) | memcpy | $(rratio native-verify.txt verify/memcpy) | >= 2 |"
	echo "| reading alone vs memcpy, 64 MiB, native (the verifier's ceiling) | read-only | memcpy | $(rratio native-verify.txt read-only/memcpy) | - |"
	echo "| verifier vs reading alone, 64 MiB, native | $(valg native-verify.txt) | read-only | $(rratio native-verify.txt verify/read-only) | - |"
	echo "| verifier vs memcpy, 64 MiB, guest ($KVER, $(cat "$out/accel" 2>/dev/null || echo "$ACCEL")) | $(valg guest-verify.txt) | memcpy | $(rratio guest-verify.txt verify/memcpy) | >= 1 |"
	echo "| checksum chosen vs the fastest, native | $(vpick native-verify.txt) | >= 0.95 |"
	echo "| checksum chosen vs the fastest, guest | $(vpick guest-verify.txt) | >= 0.95 |"
	echo "| verified RDMA READ vs ib_read_bw (64 KiB, depth 16) | $vr MB/s | $pr MB/s | $(ratio "$vr" "$pr") | >= 0.8 |"
	echo "| verified RDMA WRITE vs ib_write_bw (64 KiB, depth 16) | $vw MB/s | $pw MB/s | $(ratio "$vw" "$pw") | >= 0.8 |"
} | tee "$out/bench.md"
log "details in $out"
