#!/bin/bash
# setup/host/nvdimm.sh must never reconfigure a namespace or format a device that
# no option names exactly. Run on any machine (no NVDIMM needed): stand-in
# ndctl, blkid, findmnt, mkfs, mount... on PATH describe a host with
#   region0: namespace0.0  raw     1 GiB  pmem0  (label-less)
#   region1: namespace1.0  fsdax   1 GiB  pmem1  xfs, not mounted
#            namespace1.1  fsdax   1 GiB  pmem1.1  ext4, mounted at /data
#            namespace1.2  devdax  1 GiB  dax1.2
#            namespace1.3  raw     0      (the region's seed)
# and log every call that would change something. Each refusal must exit 2
# with one line on stderr and no such call; the allowed runs after them
# must do exactly what their options name, which shows the refusals are
# not the script failing at everything.
#
#   setup/check/check-nvdimm-refusal.sh     "ok - ..." per check; exit 1 if any failed
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fake=$tmp/bin log=$tmp/changes.log
mkdir -p "$fake" "$tmp/dev" "$tmp/sys/region1" "$tmp/mnt"
echo namespace1.3 >"$tmp/sys/region1/namespace_seed"
: >"$tmp/dev/pmem0" && : >"$tmp/dev/pmem1" && : >"$tmp/dev/pmem1.1"
ln -s /dev/null "$tmp/dev/dax1.2" # a character device

cat >"$tmp/ndctl.json" <<'EOF'
{"regions":[
 {"dev":"region0","namespaces":[
  {"dev":"namespace0.0","mode":"raw","size":1073741824,"blockdev":"pmem0"}]},
 {"dev":"region1","namespaces":[
  {"dev":"namespace1.0","mode":"fsdax","size":1073741824,"blockdev":"pmem1"},
  {"dev":"namespace1.1","mode":"fsdax","size":1073741824,"blockdev":"pmem1.1"},
  {"dev":"namespace1.2","mode":"devdax","size":1073741824,"chardev":"dax1.2"},
  {"dev":"namespace1.3","mode":"raw","size":0,"state":"disabled"}]}]}
EOF

# A stand-in: list and probe calls answer from the tables above; anything
# else is a change, logged (and for create-namespace, its device appears).
# The bodies are expanded by the stand-ins, not here.
# shellcheck disable=SC2016
stub() { # NAME BODY
	printf '#!/bin/bash\n%s\n' "$2" >"$fake/$1"
	chmod +x "$fake/$1"
}
changes='echo "$(basename "$0") $*" >>"'"$log"'"'
stub ndctl 'if [ "$1" = list ]; then cat "'"$tmp"'/ndctl.json"; exit 0; fi
'"$changes"'
[ "$1" != create-namespace ] || : >"'"$tmp"'/dev/pmem1.3"'
stub blkid 'case ${!#} in */pmem1) echo xfs ;; */pmem1.1) echo ext4 ;; esac'
stub findmnt 'case ${!#} in */pmem1.1) echo /data ;; esac'
stub blockdev 'echo 1073741824'
stub xfs_io 'echo "stat.attributes = 0x200000"'
for c in mkfs.xfs mkfs.ext4 mount umount wipefs; do stub "$c" "$changes"; done

nvdimm() {
	PATH=$fake:$PATH PINRACE_ND_DEV=$tmp/dev PINRACE_ND_SYSFS=$tmp/sys \
		bash "$here/host/nvdimm.sh" "$@" >"$tmp/out" 2>"$tmp/err"
}

failed=0 n=0
verdict() { # OK WHAT
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# Refused: exit 2, one line, nothing changed.
refused() { # WHAT ARGS...
	local what=$1 rc
	shift
	: >"$log"
	nvdimm "$@"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$log" ]
	verdict $? "refuses $what: exit $rc, $(head -c 160 "$tmp/err")$([ ! -s "$log" ] || echo "; CHANGED: $(tr '\n' ';' <"$log")")"
}

refused "a raw namespace for xfs without --reconfigure" up --xfs namespace0.0
refused "--reconfigure naming a namespace no role uses" up --xfs namespace1.0 --reconfigure namespace0.0
refused "a device holding another filesystem, without --format" up --ext4 namespace1.0
refused "--format naming another device" up --xfs namespace0.0 --reconfigure namespace0.0 --format "$tmp/dev/pmem1"
refused "--format of a device no role uses" up --xfs namespace1.0 --format "$tmp/dev/pmem0"
refused "a reconfigured namespace without --format" up --xfs namespace0.0 --reconfigure namespace0.0
refused "--format of a mounted device" up --ext4 namespace1.1 --format "$tmp/dev/pmem1.1"
refused "--reconfigure of a namespace whose device is mounted" up --xfs namespace1.1 --reconfigure namespace1.1 --format "$tmp/dev/pmem1.1"
refused "an fsdax namespace for devdax" up --devdax namespace1.0
refused "a devdax namespace for ext4" up --ext4 namespace1.2
refused "an unknown namespace" up --xfs namespace7.0
refused "a seed without --size" up --devdax namespace1.3 --reconfigure namespace1.3
refused "one namespace for two roles" up --xfs namespace1.0 --ext4 namespace1.0
refused "no role at all" up --format "$tmp/dev/pmem1"
refused "an unknown option" up --xfs namespace1.0 --force

# Allowed: exactly what is named happens.
allowed() { # WHAT WANT_CHANGES ARGS...
	local what=$1 want=$2 rc got
	shift 2
	: >"$log"
	nvdimm "$@"
	rc=$?
	got=$(tr '\n' ';' <"$log" | sed "s|$tmp|T|g")
	# shellcheck disable=SC2053 # WANT is a pattern
	[ $rc -eq 0 ] && [[ $got == $want ]]
	verdict $? "allows $what: exit $rc, changes: ${got:-none}$([ $rc -eq 0 ] || echo "; $(head -c 160 "$tmp/err")")"
}
allowed "an existing xfs, mounted, nothing else" \
	"mount -t xfs -o dax=always T/dev/pmem1 T/mnt/dax-xfs;" \
	up --xfs namespace1.0 --mnt "$tmp/mnt"
allowed "the ext4 already mounted, and devdax as it is" "" \
	up --ext4 namespace1.1 --devdax namespace1.2
allowed "the named namespace reconfigured and the named device formatted" \
	"ndctl create-namespace -f -e namespace0.0 -m fsdax;mkfs.xfs * T/dev/pmem0;mount -t xfs -o dax=always T/dev/pmem0 T/mnt/dax-xfs;" \
	up --xfs namespace0.0 --reconfigure namespace0.0 --format "$tmp/dev/pmem0" --mnt "$tmp/mnt"
allowed "the seed created with its size" \
	"ndctl create-namespace -r region1 -m fsdax -s 512M;mkfs.ext4 * T/dev/pmem1.3;mount -t ext4 -o dax=always T/dev/pmem1.3 T/mnt/dax-ext4;" \
	up --ext4 namespace1.3 --reconfigure namespace1.3 --size 512M --format "$tmp/dev/pmem1.3" --mnt "$tmp/mnt"

echo "check-nvdimm-refusal: $((n - failed)) of $n passed"
[ $failed -eq 0 ]
