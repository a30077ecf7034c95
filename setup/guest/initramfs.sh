#!/bin/bash
# Build (or reuse) the guest's initramfs for one kernel and print its path.
#
#   setup/guest/initramfs.sh KVER MODROOT
#
# The initramfs holds busybox-static, the modules of the virtio + 9p stack
# (decompressed: busybox insmod wants plain .ko) in dependency order, and an
# /init that mounts the host's root from the 9p tag "root" read-only and
# switch_roots onto it, running the program named by pinrace.init= on the
# kernel command line. Cached under ${PINRACE_CACHE:-/var/cache/pinrace}/initramfs/,
# keyed by KVER and a hash of everything that goes in.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=lacks.sh
. "$here/guest/lacks.sh"

[ $# -eq 2 ] || die 2 "usage: initramfs.sh KVER MODROOT"
kver=$1 modroot=$2
[ -d "$modroot/lib/modules/$kver" ] || die 2 "no $modroot/lib/modules/$kver"
need_cmd busybox cpio gzip modprobe xz zstd sha256sum

BUSYBOX=$(command -v busybox)
[[ $(ldd "$BUSYBOX" 2>&1) == *"not a dynamic"* ]] ||
	die 2 "$BUSYBOX is dynamically linked: install busybox-static"

# The modules the initramfs needs; virtio_pci etc. may be built in.
ROOT_MODULES="virtio_pci 9pnet_virtio 9p"

# The /init script. Kept here so that a change to it changes the cache key.
init_script() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "pinrace-initramfs: started on $(uname -r)"
fail() {
	echo "pinrace-initramfs: FAILED: $*"
	echo o >/proc/sysrq-trigger
	sleep 5
	poweroff -f
	while :; do sleep 60; done
}
while read -r m; do
	insmod "/modules/$m" || echo "pinrace-initramfs: insmod $m failed"
done </modules/order
init=
for arg in $(cat /proc/cmdline); do
	case $arg in pinrace.init=*) init=${arg#pinrace.init=} ;; esac
done
[ -n "$init" ] || fail "no pinrace.init= on the kernel command line"
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose root /newroot ||
	fail "cannot mount the 9p root"
[ -x "/newroot$init" ] || fail "$init is not executable on the shared root"
umount /proc /sys
mount --move /dev /newroot/dev || fail "cannot move /dev"
exec switch_root /newroot "$init"
EOF
}

# Module files of the 9p stack, in load order, from modprobe's own resolution.
module_paths() {
	local empty m
	empty=$(mktemp -d)
	for m in $ROOT_MODULES; do
		modprobe -d "$modroot" -S "$kver" -C "$empty" --show-depends "$m" ||
			die 1 "modprobe cannot resolve $m for $kver: the guest mounts the host's root over 9p, and this kernel has no $m module ($(module_option "$m"))"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
	local rc=${PIPESTATUS[0]}
	rmdir "$empty"
	return "$rc"
}

paths=$(module_paths) || exit # its die's message is out already
mapfile -t mods <<<"$paths"
key=$( {
	init_script
	for m in "${mods[@]}"; do stat -c '%n %s %Y' "$m"; done
	stat -c '%s %Y' "$BUSYBOX"
} | sha256sum | cut -c1-12)
out=$(pinrace_cache)/initramfs/$kver-$key.cpio.gz
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,newroot,modules}
cp "$BUSYBOX" "$stage/bin/busybox"
init_script >"$stage/init"
chmod 755 "$stage/init"
n=0
for m in "${mods[@]}"; do
	n=$((n + 1))
	name=$(printf '%02d-%s' "$n" "$(basename "$m")")
	case $m in
	*.xz) name=${name%.xz} && xz -dc "$m" >"$stage/modules/$name" ;;
	*.zst) name=${name%.zst} && zstd -qdc "$m" >"$stage/modules/$name" ;;
	*.gz) name=${name%.gz} && gzip -dc "$m" >"$stage/modules/$name" ;;
	*) cp "$m" "$stage/modules/$name" ;;
	esac
	echo "$name" >>"$stage/modules/order"
done
touch "$stage/modules/order"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$out.tmp.$$"
rm -f "$(dirname "$out")/$kver"-*.cpio.gz # older builds for this release
mv "$out.tmp.$$" "$out"
log "built $out (${#mods[@]} modules)"
echo "$out"
