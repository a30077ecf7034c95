#!/bin/bash
# Fetch (or locate) a kernel and its modules for the QEMU guest.
#
#   setup/guest/kernel.sh [--refresh] debian:SUITE[/FLAVOUR]
#                   SUITE: any suite the machine's Debian archive serves for
#                   amd64 (bullseye, bookworm, bookworm-backports, trixie,
#                   forky, sid, experimental...); FLAVOUR: rt or cloud
#   setup/guest/kernel.sh PATH/TO/bzImage --modules DIR  DIR/lib/modules/VERSION exists
#   setup/guest/kernel.sh KERNEL.deb[:MODULES.deb...]    Debian kernel packages: an image
#                   package with its modules, or an image package plus its
#                   modules package (sid's linux-binary-V:linux-modules-V)
#   setup/guest/kernel.sh --check SPEC   validate only (exit 0, or 2 with one line);
#                   a well-formed debian: name is looked up in the archive's
#                   list of suites (fetched once a day: the Release files of
#                   its stable/testing/unstable/experimental/backports aliases)
#   setup/guest/kernel.sh --suites       the suites the archive serves, one a line
#
# Prints four shell-evaluable lines on stdout:
#   KVER=<release>  KIMAGE=<kernel image>  MODROOT=<dir for modprobe -d>  KPKG=<pkg=version>
# Debian kernels are downloaded with apt-get download against a private sources
# list and private apt state (the machine's apt configuration is never changed),
# from the archive the machine's own apt sources name. They are extracted and
# depmod'ed under ${PINRACE_CACHE:-/var/cache/pinrace}/kernels/; a later run
# answers from that cache without touching the network unless --refresh.
# Exit 2: bad usage or unknown spec; 1: download or extraction failed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=bzimage.sh
. "$here/guest/bzimage.sh"

usage() {
	die 2 "usage: kernel.sh [--refresh|--check] debian:SUITE[/rt|/cloud] | BZIMAGE --modules DIR | KERNEL.deb[:MODULES.deb] | --suites"
}

# Print the four result lines, quoted (only where needed) so eval is safe.
print_result() { # KVER KIMAGE MODROOT KPKG
	local name v
	for name in KVER KIMAGE MODROOT KPKG; do
		v=$1
		shift
		[[ $v =~ ^[][A-Za-z0-9_./+=:,@%^-]*$ ]] || v=$(printf '%q' "$v")
		printf '%s=%s\n' "$name" "$v"
	done
}

local_kernel() { # IMAGE MODDIR
	local img=$1 moddir=$2 kver
	[ -f "$img" ] || die 2 "kernel image '$img' does not exist"
	[ -n "$moddir" ] || die 2 "a kernel image needs --modules DIR (DIR/lib/modules/VERSION)"
	[ -d "$moddir/lib/modules" ] || die 2 "'$moddir' has no lib/modules directory"
	img=$(realpath "$img")
	moddir=$(realpath "$moddir")
	kver=$(bzimage_release "$img") || kver=''
	[ -n "$kver" ] ||
		die 2 "'$img' is not a kernel image (no bzImage header with a release)"
	[ -d "$moddir/lib/modules/$kver" ] ||
		die 2 "'$img' is release $kver but '$moddir/lib/modules/$kver' does not exist"
	if [ ! -s "$moddir/lib/modules/$kver/modules.dep" ]; then
		log "running depmod for $kver in $moddir"
		depmod -b "$moddir" "$kver" || die 1 "depmod failed for $moddir"
	fi
	print_result "$kver" "$img" "$moddir" "local:$img"
}

# --- Debian kernels -----------------------------------------------------------

# apt options that point every piece of state at $aptdir: nothing of the
# machine's sources, lists, caches, preferences or dpkg status is read or written.
apt_opts() { # APTDIR
	local d=$1
	printf '%s\n' \
		-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
		-o "Dir::State::Lists=$d/lists" -o "Dir::State::status=$d/status" \
		-o "Dir::Cache=$d/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Architectures=amd64 -o APT::Architecture=amd64 \
		-o Acquire::Languages=none -o Acquire::Check-Valid-Until=false \
		-o APT::Sandbox::User=root -qq
}

# A released suite (an *stable alias, not backports) also gets its security
# updates, where the newest kernel of an old release lives.
suite_sources() { # SUITE -> lines for sources.list
	local suite=$1 key=/usr/share/keyrings/debian-archive-keyring.gpg archive alias
	archive=$(apt_archive_uri)
	echo "deb [signed-by=$key] $archive $suite main"
	alias=$(archive_suites | awk -v s="$suite" '$1 == s { print $2 }')
	case $alias in
	*oldstable | stable) echo "deb [signed-by=$key] $(apt_security_uri) $suite-security main" ;;
	esac
}

# Field FIELD of the candidate version of PKG, from the private lists.
cand_field() { # PKG FIELD
	local v
	v=$(apt-cache "${APT[@]}" policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && !v { v = $2 } END { print v }') || true
	[ -n "$v" ] && [ "$v" != "(none)" ] || return 0
	# awk reads to the end: an early exit would fail the pipe (pipefail)
	apt-cache "${APT[@]}" show "$1=$v" 2>/dev/null |
		awk -v f="$2:" 'NF == 0 { done = 1 } !done && $1 == f { sub(/^[^:]*:[ \t]*/, ""); print; done = 1 }'
}

pkg_exists() { [ -n "$(cand_field "$1" Version)" ]; }

# Names of the packages that carry the kernel image and modules, newest
# candidate across the configured suites. Follows the flavour's meta package
# (linux-image-amd64, linux-image-rt-amd64, linux-image-cloud-amd64); prefers
# -unsigned images (same kernel, no signature wrapper).
resolve_packages() { # META
	local meta=$1 img deps p
	img=$(cand_field "$meta" Depends | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n1)
	[ -n "$img" ] || die 1 "no $meta in the suite's package lists"
	if pkg_exists "$img-unsigned"; then
		echo "$img-unsigned"
		return
	fi
	# sid layout: linux-image-V is a meta package of linux-binary-V (image),
	# linux-modules-V and linux-base-V (config, modules.builtin, modules.order).
	deps=$(cand_field "$img" Depends | tr ',' '\n' | sed 's/^ *//; s/[ |].*//')
	if grep -q '^linux-binary-' <<<"$deps"; then
		for p in $(printf '%s\n' "$deps" | grep -E '^linux-(binary|modules|base)-[0-9]'); do
			case $p in
			linux-binary-*)
				local u=linux-binary-unsigned-${p#linux-binary-}
				pkg_exists "$u" && p=$u
				;;
			esac
			echo "$p"
		done
		return
	fi
	echo "$img"
}

# Check a cached result file: every path in it must still be there.
valid_env() { # FILE
	[ -r "$1" ] || return 1
	(
		# shellcheck disable=SC1090
		. "$1"
		# shellcheck disable=SC2153
		[ -f "$KIMAGE" ] && [ -s "$MODROOT/lib/modules/$KVER/modules.dep" ]
	)
}

# Decompress the .ko.xz/.ko.zst modules once here (seconds on the host):
# under TCG the guest spent about 3 s of every boot decompressing them.
plain_modules() { # MODROOT KVER
	local d=$1/lib/modules/$2
	find "$d" -name '*.ko.xz' -print0 | xargs -0 -r -P2 -n64 xz -d || die 1 "xz -d failed in $d"
	find "$d" -name '*.ko.zst' -print0 | xargs -0 -r -P2 -n64 zstd -q -d --rm ||
		die 1 "zstd -d failed in $d"
	depmod -b "$1" "$2" || die 1 "depmod -b $1 $2 failed"
	touch "$d/.pinrace-plain"
}

# A tree cached before plain_modules existed gets it now.
ensure_plain() { # ENVFILE
	local KVER MODROOT
	eval "$(grep -E '^(KVER|MODROOT)=' "$1")"
	[ -e "$MODROOT/lib/modules/$KVER/.pinrace-plain" ] && return 0
	log "decompressing the modules of $KVER"
	plain_modules "$MODROOT" "$KVER"
}

extract_tree() { # TREE DEB... : extract, find the release, depmod, record
	local tree=$1 tmp kdir kver modroot img
	shift
	tmp=$tree.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for deb in "$@"; do
		dpkg -x "$deb" "$tmp" || die 1 "dpkg -x $deb failed"
	done
	kdir=$(find "$tmp" -path '*/lib/modules/*' -prune -type d -name '[0-9]*' | head -n1)
	[ -n "$kdir" ] || die 1 "no lib/modules/VERSION in $*"
	kver=$(basename "$kdir")
	modroot=${kdir%/lib/modules/*}
	for img in "$tmp/boot/vmlinuz-$kver" "$modroot/lib/modules/$kver/vmlinuz" \
		"$modroot/lib/modules/$kver/vmlinuz.unsigned"; do
		[ -f "$img" ] && break
	done
	[ -f "$img" ] || die 1 "no kernel image for $kver in $*"
	plain_modules "$modroot" "$kver"
	mv "$tmp" "$tree"
	# Paths recorded relative to the tree so the rename above is harmless.
	printf '%s\n%s\n%s\n' "$kver" "${img#"$tmp"/}" "${modroot#"$tmp"}" >"$tree/.pinrace-tree"
}

debian_kernel() { # SUITE FLAVOUR REFRESH
	local suite=$1 flavour=$2 refresh=$3 kdir aptdir envfile pkgs=() vers=() p v kpkg tree
	kdir=$(pinrace_cache)/kernels
	mkdir -p "$kdir"
	exec 9>"$kdir/.lock"
	flock 9
	envfile=$kdir/debian-$suite${flavour:+-$flavour}.env
	if [ "$refresh" = 0 ] && valid_env "$envfile"; then
		ensure_plain "$envfile"
		cat "$envfile"
		return
	fi

	aptdir=$kdir/apt/$suite
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	: >"$aptdir/status"
	suite_sources "$suite" >"$aptdir/sources.list"
	mapfile -t APT < <(apt_opts "$aptdir")
	log "updating package lists for $suite"
	apt-get "${APT[@]}" update >&2 || die 1 "apt-get update failed for $suite"

	mapfile -t pkgs < <(resolve_packages "linux-image-${flavour:+$flavour-}amd64")
	[ ${#pkgs[@]} -gt 0 ] || die 1 "could not resolve the kernel packages of $suite${flavour:+/$flavour}"
	for p in "${pkgs[@]}"; do
		v=$(cand_field "$p" Version)
		[ -n "$v" ] || die 1 "package $p has no candidate in $suite"
		vers+=("$v")
	done
	local want=()
	for i in "${!pkgs[@]}"; do want+=("${pkgs[i]}=${vers[i]}"); done
	kpkg=$(IFS=,; echo "${want[*]}")
	tree=$kdir/tree/${pkgs[0]}_${vers[0]}

	if [ ! -r "$tree/.pinrace-tree" ]; then
		local dl=$kdir/download
		rm -rf "$dl"
		mkdir -p "$dl"
		log "downloading $kpkg"
		(cd "$dl" && apt-get "${APT[@]}" download "${want[@]}" >&2) ||
			die 1 "apt-get download failed for $kpkg"
		log "extracting into $tree"
		extract_tree "$tree" "$dl"/*.deb
		rm -rf "$dl"
	fi

	record_tree "$tree" "$kpkg" "$envfile" "$kdir"
}

# The result of an extracted TREE, kept in ENVFILE and printed.
record_tree() { # TREE KPKG ENVFILE KDIR
	local tree=$1 kpkg=$2 envfile=$3 kver img modroot
	{ read -r kver && read -r img && read -r modroot; } <"$tree/.pinrace-tree"
	echo "$kpkg" >"$tree$modroot/.pinrace-kpkg"
	print_result "$kver" "$tree/$img" "$tree$modroot" "$kpkg" >"$envfile.tmp"
	mv "$envfile.tmp" "$envfile"
	prune_trees "$4"
	cat "$envfile"
}

# Remove extracted trees no cached result refers to any more.
prune_trees() { # KDIR
	local kdir=$1 t
	for t in "$kdir"/tree/*; do
		[ -d "$t" ] || continue
		case $t in *.tmp) rm -rf "$t" && continue ;; esac
		grep -qsF "$t/" "$kdir"/*.env || { log "removing unused $t" && rm -rf "$t"; }
	done
}

# --- which kernels the archive serves ------------------------------------------

# Debian's suite aliases, in the order the listing shows them; each
# Release file names its codename (experimental's is "rc-buggy": it is
# named by its suite).
SUITE_ALIASES='oldoldstable oldoldstable-backports oldstable oldstable-backports stable stable-backports testing testing-backports unstable experimental'
FLAVOURS='rt cloud'

# "NAME ALIAS" for every suite the archive serves for amd64, from the
# Release files of the aliases, cached for a day (apt's own downloader;
# nothing of the machine's apt state is touched).
archive_suites() {
	local kdir f archive tmp a name
	kdir=$(pinrace_cache)/kernels
	f=$kdir/suites.txt
	archive=$(apt_archive_uri)
	if [ -s "$f" ] && [ "$(head -n1 "$f")" = "# $archive" ] &&
		[ $(($(date +%s) - $(stat -c %Y "$f"))) -lt 86400 ]; then
		tail -n +2 "$f"
		return
	fi
	tmp=$(mktemp -d)
	{
		echo "# $archive"
		for a in $SUITE_ALIASES; do
			/usr/lib/apt/apt-helper download-file "$archive/dists/$a/Release" "$tmp/$a" \
				>/dev/null 2>&1 || continue
			grep -qE '^Architectures:.* amd64( |$)' "$tmp/$a" || continue
			name=$(awk '$1 == "Suite:" && $2 == "experimental" { print $2; exit }
				$1 == "Codename:" { c = $2 } END { if (c) print c }' "$tmp/$a" | head -n1)
			[ -z "$name" ] || echo "$name $a"
		done
	} >"$tmp/list"
	if [ "$(wc -l <"$tmp/list")" -le 1 ]; then
		rm -rf "$tmp"
		die 1 "could not read any suite's Release file from $archive"
	fi
	# --check (bad input is refused creating nothing) only reads the cache
	if [ "$check" = 0 ] && mkdir -p "$kdir" && cp "$tmp/list" "$f.tmp.$$"; then
		mv "$f.tmp.$$" "$f"
	fi
	tail -n +2 "$tmp/list"
	rm -rf "$tmp"
}

# One line: what debian: names the archive offers.
offered() { # [SUITES: archive_suites' lines, if read already]
	local names fl
	names=$(printf '%s\n' "${1:-$(archive_suites)}" | awk '{ print "debian:" $1 }' | paste -sd' ')
	# shellcheck disable=SC2086 # one word each
	fl=$(printf 'SUITE/%s ' $FLAVOURS)
	printf 'the archive %s serves for amd64: %s (flavours: %s)' \
		"$(apt_archive_uri)" "$names" "${fl% }"
}

# SUITE and FLAVOUR of debian:SUITE[/FLAVOUR]; a malformed name is refused
# here, before anything is fetched; a well-formed one must be served.
parse_debian() { # SPEC
	local rest=${1#debian:}
	SUITE=${rest%%/*} FLAVOUR=''
	[[ $rest != */* ]] || FLAVOUR=${rest#*/}
	[[ $SUITE =~ ^[a-z]+(-backports)?$ ]] ||
		die 2 "malformed kernel name '$1': debian:SUITE or debian:SUITE/FLAVOUR, SUITE a Debian codename (bookworm, bookworm-backports, sid...)"
	[[ " $FLAVOURS " == *" ${FLAVOUR:-rt} "* ]] ||
		die 2 "unknown kernel flavour '$FLAVOUR' in '$1' (known: ${FLAVOURS// /, }; none for the generic amd64 kernel)"
	local suites
	suites=$(archive_suites) || exit
	awk -v s="$SUITE" '$1 == s { f = 1 } END { exit !f }' <<<"$suites" ||
		die 2 "unknown kernel '$1': $(offered "$suites")"
}

# --- Debian kernel packages given as files -----------------------------------------

# Validate DEB...: Debian packages, one holding a kernel image, one holding
# modules (they may be the same package).
check_debs() { # DEB...
	local d img='' mods=''
	for d in "$@"; do
		[ -f "$d" ] || die 2 "kernel package '$d' does not exist"
		dpkg-deb -f "$d" Package >/dev/null 2>&1 || die 2 "'$d' is not a Debian package"
		case $(dpkg-deb -c "$d" 2>/dev/null | awk '{ print $NF }') in
		*/boot/vmlinuz-* | */lib/modules/*/vmlinuz*) img=$d ;;&
		*/lib/modules/*/kernel/*.ko*) mods=$d ;;
		esac
	done
	[ -n "$img" ] || die 2 "no kernel image (boot/vmlinuz-* or lib/modules/V/vmlinuz) in: $*"
	[ -n "$mods" ] || die 2 "no kernel modules in: $* (add the modules package: IMAGE.deb:MODULES.deb)"
}

deb_kernel() { # DEB...
	local kdir key tree kpkg d
	check_debs "$@"
	kdir=$(pinrace_cache)/kernels
	mkdir -p "$kdir"
	exec 9>"$kdir/.lock"
	flock 9
	key=$(for d in "$@"; do stat -L -c '%s %Y' "$d" && realpath "$d"; done | sha256sum | cut -c1-12)
	kpkg=$(for d in "$@"; do dpkg-deb -f "$d" Package Version | paste -sd= | tr -d ' '; done | paste -sd,)
	tree=$kdir/tree/deb-$(dpkg-deb -f "$1" Package)_$key
	if [ ! -r "$tree/.pinrace-tree" ]; then
		log "extracting $* into $tree"
		extract_tree "$tree" "$@"
	fi
	record_tree "$tree" "$kpkg" "$kdir/deb-$key.env" "$kdir"
}

refresh=0 check=0 spec='' moddir=''
while [ $# -gt 0 ]; do
	case $1 in
	--refresh) refresh=1 ;;
	--check) check=1 ;;
	--suites)
		archive_suites
		exit
		;;
	--modules)
		[ $# -ge 2 ] || usage
		moddir=$2
		shift
		;;
	--modules=*) moddir=${1#--modules=} ;;
	-h | --help) usage ;;
	-*) die 2 "unknown option '$1'" ;;
	*)
		[ -z "$spec" ] || die 2 "more than one kernel spec ('$spec', '$1')"
		spec=$1
		;;
	esac
	shift
done
[ -n "$spec" ] || usage

case $spec in
debian:*)
	[ -z "$moddir" ] || die 2 "--modules only goes with a kernel image path"
	parse_debian "$spec"
	[ $check = 0 ] || exit 0
	need_cmd apt-get apt-cache dpkg depmod flock xz zstd
	debian_kernel "$SUITE" "$FLAVOUR" "$refresh"
	;;
*.deb)
	[ -z "$moddir" ] || die 2 "--modules goes with a bzImage; name the modules package: IMAGE.deb:MODULES.deb"
	IFS=: read -r -a debs <<<"$spec"
	check_debs "${debs[@]}"
	[ $check = 0 ] || exit 0
	need_cmd dpkg depmod flock xz zstd
	deb_kernel "${debs[@]}"
	;;
*)
	[ -e "$spec" ] || [ "${spec#*:}" = "$spec" ] ||
		die 2 "unknown kernel spec '$spec' (debian:SUITE or a bzImage path)"
	[ $check = 0 ] || exit 0
	local_kernel "$spec" "$moddir"
	;;
esac
