#!/usr/bin/env bash
# run.sh's handling of bad input, for make check: every invocation below
# exits with its status (2: bad usage) and one printable line saying why,
# creates nothing under results/ or the kernel cache, and installs, builds,
# fetches and boots nothing. Proved with stand-ins first on PATH that record
# their calls: qemu-system-x86_64 (never run: setup/guest/vm.sh finds QEMU on
# PATH), make, apt-get and dpkg-query (passed through to the real ones for
# the few cases that get that far); PINRACE_CACHE points at an empty folder
# that must stay empty.
#
#   setup/check/check-input.sh
#
# Prints "ok - ..." / "not ok - ..." lines; exit 1 when any is not ok.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-input
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

tmp=$(mktemp -d)
shm=$(mktemp -d -p /dev/shm pinrace-check.XXXXXX)
trap 'rm -rf "$tmp" "$shm"' EXIT
fake=$tmp/bin calls=$tmp/calls cache=$tmp/cache
mkdir -p "$fake" "$cache" "$top/results"
: >"$calls"
stand_in() { # NAME PASS_THROUGH(0|1)
	local real
	real=$(command -v "$1") || real=/bin/false
	{
		echo '#!/bin/sh'
		printf 'echo "%s $*" >>%q\n' "$1" "$calls"
		if [ "$2" = 1 ]; then printf 'exec %q "$@"\n' "$real"; else echo 'exit 1'; fi
	} >"$fake/$1"
	chmod +x "$fake/$1"
}
stand_in qemu-system-x86_64 0
for c in make apt-get dpkg-query; do stand_in "$c" 1; done

failed=0
verdict() { # STATUS WHAT
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2" && failed=1; fi
}

# What exists under results/ (depth 1: run folders, latest), a --results
# folder and the cache.
snapshot() { # [DIR]
	find "$top/results" -mindepth 1 -maxdepth 1 2>/dev/null
	[ -z "${1:-}" ] || find "$1" 2>/dev/null
	find "$cache" -mindepth 1 2>/dev/null
}

# cli WANT WHAT [--watch DIR] [--script PATH] -- ARGS...: run.sh (or the
# script PATH of this tree) ARGS must exit WANT with one printable "error:"
# line (WANT 2 or 3 or 4), or any output (WANT 0).
cli() {
	local want=$1 what=$2 watch='' script=run.sh before after rc out n why=''
	shift 2
	[ "$1" != --watch ] || { watch=$2 && shift 2; }
	[ "$1" != --script ] || { script=$2 && shift 2; }
	[ "$1" = -- ] && shift
	before=$(snapshot "$watch")
	: >"$calls"
	env -u PINRACE_QEMU PATH="$fake:$PATH" PINRACE_CACHE="$cache" \
		"$top/$script" "$@" >"$tmp/out" 2>&1 </dev/null
	rc=$?
	after=$(snapshot "$watch")
	out=$(head -n1 "$tmp/out")
	n=$(wc -l <"$tmp/out")
	[ "$rc" -eq "$want" ] || why+=" exit $rc, want $want;"
	if [ "$want" -ne 0 ]; then
		[ "$n" -eq 1 ] || why+=" $n lines of output;"
		[[ $out == *error:* ]] || why+=" no 'error:' line;"
		LC_ALL=C grep -q '[^[:print:]]' <(tr -d '\n' <"$tmp/out") && why+=" unprintable bytes in the message;"
	fi
	[ "$before" = "$after" ] ||
		why+=" created: $(comm -13 <(sort <<<"$before") <(sort <<<"$after") | head -n3 | paste -sd' ');"
	grep -q '^qemu-system' "$calls" && why+=" QEMU called;"
	if [ "$want" -eq 2 ] && grep -q . "$calls"; then
		why+=" started work: $(cut -d' ' -f1 "$calls" | sort -u | paste -sd' ');"
	fi
	if [ -z "$why" ]; then
		verdict 0 "$script $what: exit $rc, $(printf '%s' "$out" | LC_ALL=C tr -c '[:print:]' '?')"
	else
		verdict 1 "$script $what:$why output: $(head -c 300 "$tmp/out" | LC_ALL=C tr -c '[:print:]' '?')"
	fi
}

# Control: a run that gets as far as booting does call the stand-in QEMU
# (a cached kernel given as a bzImage and its module tree, so that nothing
# is downloaded; the stand-in exits 1, so the guest "did not boot": 12).
control() {
	local env KIMAGE='' MODROOT=''
	for env in "$(pinrace_cache)"/kernels/debian-*.env; do
		[ -r "$env" ] && eval "$(grep -E '^(KIMAGE|MODROOT)=' "$env")" && break
	done
	if [ -z "$KIMAGE" ] || [ ! -f "$KIMAGE" ]; then
		echo "ok - control: the stand-in QEMU sees a boot # SKIP no cached kernel in $(pinrace_cache)"
		return
	fi
	: >"$calls"
	env -u PINRACE_QEMU PATH="$fake:$PATH" PINRACE_CACHE="$cache" timeout 300 \
		"$top/run.sh" --kernel "$KIMAGE:$MODROOT" --tests selftest-kmsg --results "$tmp/control" \
		>"$tmp/out" 2>&1 </dev/null
	local rc=$?
	[ $rc -eq 12 ] && grep -q '^qemu-system' "$calls"
	verdict $? "control: a run that boots calls the stand-in QEMU ($(grep -c '^qemu-system' "$calls") calls, run.sh exit $rc, want 12)"
	rm -rf "${cache:?}"/* "$tmp/control"
}
control

# --- the cases checked before issue 14 -------------------------------------------
cli 2 "--bogus" -- --bogus
cli 2 "unknown kernel" -- --kernel debian:nosuch
cli 2 "missing bzImage" -- --kernel /nonexistent/bzImage --modules /tmp
cli 2 "--host without --scratch" -- --host
cli 2 "missing scratch dir" -- --host --scratch /nonexistent/dir
cli 2 "unknown profile" -- --profile nosuch
cli 2 "a kernel listed twice" -- --kernel debian:sid,debian:trixie,debian:sid
cli 2 "an empty kernel in the list" -- --kernel ,debian:sid
cli 2 "--modules without a bzImage" -- --kernel debian:sid --modules /tmp
cli 2 "a bzImage:MODDIR whose MODDIR is missing" -- --kernel "$top/Makefile:/nonexistent/mods"
cli 2 "--kernel with --host" -- --host --scratch /tmp --kernel debian:sid
cli 2 "an unknown --accel" -- --accel xen
cli 2 "--jobs 0" -- --jobs 0
cli 2 "--compare with one folder" -- --compare /tmp
cli 2 "--compare a missing folder" -- --compare /nonexistent/a /nonexistent/b
cli 4 "--host without an RDMA device, only RDMA cases selected" -- --host --scratch /tmp --tests mr-churn

# Host mode from a config file: it names everything the suite may touch;
# a file naming anything else is refused before anything runs.
conf=$tmp/conf
mkdir -p "$conf"
hostconf() { # NAME LINE...: a config file in $conf
	local f=$conf/$1.conf
	shift
	printf '%s\n' "$@" >"$f"
}
hostconf ok "rdma_device = mlx5_0" "scratch_tmpfs = $shm"
hostconf unknown "rdma_device = mlx5_0" "scratch_tmpfs = $shm" "frobnicate = 1"
hostconf rootfs "rdma_device = mlx5_0" "scratch_ext4 = /"
hostconf sysdisk "rdma_device = mlx5_0" "scratch_tmpfs = $shm" \
	"pmem_device = $(findmnt -n -o SOURCE / | tail -n1)"
hostconf notpmem "rdma_device = mlx5_0" "scratch_tmpfs = $shm" "pmem_device = /dev/null"
hostconf escape "rdma_device = mlx5_0"$'\e[31m\r' "scratch_tmpfs = $shm"
head -c 512 /dev/urandom >"$conf/random.conf"
cli 2 "--config that cannot be read" -- --host --config "$conf/nonexistent.conf"
cli 2 "--config with an unknown key" -- --host --config "$conf/unknown.conf"
cli 2 "--config with the root filesystem as scratch" -- --host --config "$conf/rootfs.conf"
cli 2 "--config naming the system disk as pmem" -- --host --config "$conf/sysdisk.conf"
cli 2 "--config naming a device that is not pmem" -- --host --config "$conf/notpmem.conf"
cli 2 "--config with --scratch" -- --host --config "$conf/ok.conf" --scratch "$shm"
cli 2 "--config without --host" -- --config "$conf/ok.conf"
hostconf nvmelba "rdma_device = mlx5_0" "scratch_tmpfs = $shm" "vfio_nvme_lba = 16384"
cli 2 "--config with a vfio_nvme_lba that is not START+COUNT" -- --host --config "$conf/nvmelba.conf"
PINRACE_VFIO_ENGINE=bogus cli 2 "with PINRACE_VFIO_ENGINE=bogus" -- --tests 'vfio-*'
cli 4 "--config on a machine without an RDMA device" -- --host --config "$conf/ok.conf"

# --- issue 14's table ---------------------------------------------------------------
cli 2 "a kernel list ending in a comma" -- --kernel debian:sid,
cli 2 "a kernel list with a newline in it" -- --kernel $'debian:sid\ndebian:trixie'
cli 2 "a glob that matches no test (guest mode)" -- --tests 'nomatch*'
cli 2 "a glob that matches no test (--host)" -- --host --scratch /tmp --tests 'nomatch*'
cli 0 "--list for a guest boots nothing and makes no run folder" -- --list --kernel debian:sid
cli 2 "--seed past 64 bits" -- --seed 99999999999999999999999
cli 2 "--seed 2^64" -- --seed 18446744073709551616
cli 2 "--seed with a leading zero (octal)" -- --seed 010
cli 2 "--seed 0x and 17 hex digits" -- --seed 0x1ffffffffffffffff
cli 2 "--seed that is not a number" -- --seed 12abc
cli 2 "--timeout 0" -- --timeout 0
cli 2 "--timeout past any integer" -- --timeout 99999999999999999999999
mods=$tmp/mods
mkdir -p "$mods/lib/modules/6.1.0-1-amd64/kernel"
cli 2 "a kernel image that is not one (/etc/passwd:DIR)" --watch "$mods" -- --kernel "/etc/passwd:$mods"
cli 2 "--results under /proc" -- --results /proc/nope
cli 2 "--results naming a file" -- --results /etc/hostname
cli 2 "--results under a file" -- --results /etc/hostname/runs
cli 2 "--config naming a directory" -- --host --config /tmp
cli 2 "--config of random bytes" -- --host --config "$conf/random.conf"
cli 2 "--config with escape sequences and CR in a value" -- --host --config "$conf/escape.conf"
cli 2 "--scratch with a newline in it" -- --host --scratch $'/tmp\n/var'
cli 2 "--device with an escape sequence" -- --host --scratch /tmp --device $'mlx5_0\e[2J'
cli 2 "a kernel with a blank before it" -- --kernel ' debian:sid'
cli 2 "--profile with a path in it" -- --profile ../workloads/quick

# --compare of results.jsonl files that are not records.
rec=$(error_record 6.1.0 selftest-demo one none "made up by check-input")
mkrun() { # DIR LINES
	mkdir -p "$1/k"
	printf 'k\tdebian:synthetic\tk\t-\n' >"$1/kernels.tsv"
	printf '%s\n' "$2" >"$1/k/results.jsonl"
}
mkrun "$tmp/good" "$rec"
mkrun "$tmp/cut" "$rec"$'\n'"${rec:0:40}"
mkrun "$tmp/binary" "$rec"$'\n'"$(printf '\x01\xfe\xff{\x7f')"
mkrun "$tmp/empty-object" '{}'
mkrun "$tmp/old-seed" "${rec/\"seed\": null/\"seed\": 12}"
for r in cut binary empty-object; do
	cli 2 "--compare with a $r line in results.jsonl" -- --compare "$tmp/good" "$tmp/$r"
	grep -q "$tmp/$r/k/results.jsonl:[12]: " "$tmp/out"
	verdict $? "--compare names the file and line of the $r record: $(head -c 200 "$tmp/out")"
done
env -u PINRACE_QEMU PATH="$fake:$PATH" "$top/run.sh" --compare "$tmp/good" "$tmp/old-seed" >"$tmp/out" 2>&1
verdict $? "--compare reads a record of an older run (numeric seed) as before"

# --- issue 17: the KCIDB file, at the end of a run or from a run folder -------------
cli 2 "--kcidb in a missing folder" -- --kcidb /no/such/folder/out.json
cli 2 "--kcidb under a file" -- --kcidb /etc/hostname/out.json
cli 2 "--kcidb under /proc" -- --kcidb /proc/nope.json
cli 2 "--kcidb naming a folder" -- --kcidb "$tmp"
cli 2 "without arguments" --script setup/reports/kcidb.sh --
cli 2 "of a missing run folder" --script setup/reports/kcidb.sh -- /no/such/run "$tmp/out.json"
cli 2 "of a folder that is no run" --script setup/reports/kcidb.sh -- "$conf" "$tmp/out.json"
cli 2 "into a missing folder" --script setup/reports/kcidb.sh -- "$tmp/good" /no/such/folder/out.json
cli 2 "with a glob that matches no test" --script setup/check/check-lava.sh -- --tests 'nomatch*'
cli 2 "with an unknown kernel" --script setup/check/check-lava.sh -- --kernel debian:nosuch
cli 2 "with a bzImage" --script setup/check/check-lava.sh -- --kernel "$top/Makefile"
cli 2 "with an unknown option" --script setup/check/check-lava.sh -- --bogus

# The reports of a run where no kernel produced results.
mkdir -p "$tmp/noresults/k"
printf 'k\tdebian:synthetic\tk\t-\n' >"$tmp/noresults/kernels.tsv"
bash "$top/setup/reports/junit.sh" "$tmp/noresults" && xmllint --noout "$tmp/noresults/junit.xml" &&
	grep -q 'tests="0"' "$tmp/noresults/junit.xml"
verdict $? "junit.sh writes junit.xml with zero cases when no kernel produced results"

exit $failed
