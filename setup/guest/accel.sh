#!/usr/bin/env bash
# Which accelerator the guests get (sourced by run.sh; `bash setup/guest/accel.sh
# MODE` prints the result as shell assignments).
#
#   accel_choose auto|kvm|tcg    sets ACCEL (kvm or tcg) and ACCEL_WHY (one
#                                line: why this one); false when kvm was
#                                asked for and does not work here
#
# A /dev/kvm that opens proves little (on some hosts KVM_CREATE_VM succeeds
# and a guest then dies at once with "KVM internal error ... emulation
# failure"), so the check runs a real guest: a 64 KiB firmware whose reset
# vector writes to QEMU's isa-debug-exit port. QEMU exits 131 when that
# instruction ran under KVM, within PINRACE_KVM_CHECK_TIMEOUT (default 10) s.

# The reason KVM cannot run a guest here, or nothing when it can.
accel_kvm_broken() {
	local qemu=${PINRACE_QEMU:-qemu-system-x86_64} dir blob rc out pid i
	[ -e /dev/kvm ] || { echo "no /dev/kvm on this machine"; return; }
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "/dev/kvm is not readable and writable by $(id -un)"
		return
	fi
	dir=$(mktemp -d) || { echo "cannot create a temporary folder"; return; }
	blob=$dir/reset.bin
	# mov al, 0x41; out 0xf4, al; hlt; jmp $-3 at the reset vector (0xfff0)
	{
		head -c 65520 /dev/zero
		printf '\xb0\x41\xe6\xf4\xf4\xeb\xfd'
		head -c 9 /dev/zero
	} >"$blob"
	# A KVM that cannot run the guest says so and pauses it: stop there.
	"$qemu" -machine q35,accel=kvm -cpu host -m 16 -bios "$blob" -display none \
		-nodefaults -monitor none -serial none -device isa-debug-exit,iobase=0xf4,iosize=4 \
		</dev/null >"$dir/out" 2>&1 &
	pid=$! rc=124
	for ((i = 0; i < ${PINRACE_KVM_CHECK_TIMEOUT:-10} * 10; i++)); do
		if ! kill -0 $pid 2>/dev/null; then
			wait $pid
			rc=$?
			break
		fi
		grep -q -E 'KVM internal error|emulation failure' "$dir/out" && rc=125 && break
		sleep 0.1
	done
	kill -KILL $pid 2>/dev/null && wait $pid 2>/dev/null
	out=$(grep -v '^$' "$dir/out" | head -n2 | tr '\n' ' ' | sed 's/ *$//' | cut -c1-200)
	rm -rf "$dir"
	case $rc in
	131) ;;
	125) echo "a test guest under KVM stopped at once: $out" ;;
	124) echo "a test guest under KVM did not finish within ${PINRACE_KVM_CHECK_TIMEOUT:-10} s${out:+: $out}" ;;
	*) echo "a test guest under KVM failed (QEMU exit $rc)${out:+: $out}" ;;
	esac
}

accel_choose() { # MODE
	local broken
	case $1 in
	tcg)
		ACCEL=tcg ACCEL_WHY="TCG as asked (--accel tcg)"
		return 0
		;;
	kvm | auto) ;;
	*) ACCEL='' ACCEL_WHY="unknown accelerator '$1' (auto, kvm or tcg)" && return 1 ;;
	esac
	broken=$(accel_kvm_broken)
	if [ -z "$broken" ]; then
		ACCEL=kvm ACCEL_WHY="KVM works here (a test guest ran under it)"
		return 0
	fi
	if [ "$1" = kvm ]; then
		ACCEL='' ACCEL_WHY="--accel kvm: KVM does not work here: $broken"
		return 1
	fi
	ACCEL=tcg ACCEL_WHY="falling back to TCG: $broken"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	accel_choose "${1:-auto}"
	rc=$?
	printf 'ACCEL=%q\nACCEL_WHY=%q\n' "$ACCEL" "$ACCEL_WHY"
	exit $rc
fi
