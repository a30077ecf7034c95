# shellcheck shell=bash
# bzimage_release IMAGE: the release string in a bzImage's setup header
# (its kernel_version field); false when IMAGE has no such header. Source it.
bzimage_release() {
	local img=$1 off
	[ "$(dd if="$img" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] || return 1
	off=$(od -An -tu2 -j526 -N2 "$img" | tr -d ' ')
	[ "${off:-0}" -gt 0 ] || return 1
	dd if="$img" bs=1 skip=$((off + 512)) count=256 2>/dev/null |
		tr '\0' '\n' | head -n1 | cut -d' ' -f1
}
