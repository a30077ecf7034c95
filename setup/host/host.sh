#!/bin/bash
# Host mode: run the suite on this machine (no VM) with the RDMA device and
# filesystems a config file lends it (format: setup/host/host.conf.example).
#
#   setup/host/host.sh --config FILE [--check | --env] [-- RUN-TESTS-ARGS...]
#
# 1. Reads FILE and refuses it (exit 2, one line) for an unknown key, a
#    scratch directory that is missing, on another filesystem or on one the
#    system lives on, or a pmem device or namespace that does not exist,
#    holds a system filesystem, is swap, is held by LVM/md/dm, or is mounted
#    where no scratch directory is.
# 2. Checks the RDMA device; on a machine without a usable one, says which
#    piece is missing (RDMA subsystem, device, uverbs, provider, active
#    port, RoCE v2 GID) and exits 4.
# 3. With a peer, connects to it once (build/tests/peer-rdma --probe): 3
#    when it does not answer (not probed, with a warning, before `make`).
# 4. Exports PINRACE_RDMA_DEV, PINRACE_RDMA_PORT, PINRACE_XFS_DIR,
#    PINRACE_EXT4_DIR, PINRACE_BTRFS_DIR, PINRACE_TMPFS_DIR,
#    PINRACE_PAGECACHE_DIR, PINRACE_DAX_DIR (and PINRACE_DAX_NVDIMM_DIR or
#    PINRACE_DAX_EXT4_DIR by its filesystem), PINRACE_DEVDAX, PINRACE_VFIO_DEV (vfio_device),
#    PINRACE_VFIO_NVME_LBA (vfio_nvme_lba),
#    PINRACE_TMP_DIR (the page-cache scratch: nothing goes to /tmp),
#    PINRACE_PMEM_DEVICES (what may be reconfigured), PINRACE_PEER,
#    PINRACE_PRESSURE_RDMA_ADDR and PINRACE_HOST_CONF, and unsets every
#    other PINRACE_* location, so nothing the file does not name is used.
# 5. --check: prints them, exit 0; --env: prints them as shell lines to
#    eval (unset, then export), exit 0. Otherwise runs setup/run/run-tests.sh with
#    RUN-TESTS-ARGS (exit: its status); when they name --results and a
#    --profile with pressure jobs, setup/host/pressure.sh runs them alongside
#    (in the xfs, ext4 and btrfs scratch directories) and stops them
#    however this script ends.
# Nothing runs before every check has passed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top=$(dirname "$here")
export PINRACE_PROG=host.sh
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=host-check.sh
. "$here/host/host-check.sh"

usage() { die 2 "usage: host.sh --config FILE [--check | --env] [-- RUN-TESTS-ARGS...]"; }

conf='' check=0 envout=0 args=()
while [ $# -gt 0 ]; do
	case $1 in
	--config) [ $# -ge 2 ] || usage; conf=$2; shift ;;
	--check) check=1 ;;
	--env) envout=1 ;;
	--) shift; args=("$@"); break ;;
	*) usage ;;
	esac
	shift
done
[ -n "$conf" ] || usage
[ -r "$conf" ] || die 2 "config $conf: cannot read it"

# --- the file --------------------------------------------------------------

declare -A cfg=()
pmem=() # "key=value" of pmem_device and pmem_namespace lines
SCRATCH_KEYS="scratch_xfs scratch_ext4 scratch_btrfs scratch_tmpfs scratch_fsdax scratch_fsdax_ext4"
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	line=${line%%#*}
	[[ $line =~ ^[[:space:]]*$ ]] && continue
	[[ $line =~ ^[[:space:]]*([a-z][a-z0-9_]*)[[:space:]]*=[[:space:]]*([^[:space:]].*[^[:space:]]|[^[:space:]])[[:space:]]*$ ]] ||
		die 2 "$conf:$n: not 'key = value': $line"
	k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
	case " $SCRATCH_KEYS rdma_device rdma_port pagecache devdax peer pressure_rdma_addr vfio_device vfio_nvme_lba " in
	*" $k "*)
		[ -z "${cfg[$k]+set}" ] || die 2 "$conf:$n: $k given twice"
		cfg[$k]=$v
		;;
	*)
		case $k in
		pmem_device | pmem_namespace) pmem+=("$k=$v") ;;
		*) die 2 "$conf:$n: unknown key '$k' (see setup/host/host.conf.example)" ;;
		esac
		;;
	esac
done <"$conf"

[ -z "${cfg[rdma_port]:-}" ] || [[ ${cfg[rdma_port]} =~ ^[0-9]+$ ]] ||
	die 2 "$conf: rdma_port wants a number, not '${cfg[rdma_port]}'"
[ -z "${cfg[peer]:-}" ] || [[ ${cfg[peer]} =~ ^[][A-Za-z0-9.:-]+$ ]] ||
	die 2 "$conf: peer wants HOST[:PORT], not '${cfg[peer]}'"
pc=${cfg[pagecache]:-}
case $pc in '' | xfs | ext4 | btrfs | tmpfs) ;; *) die 2 "$conf: pagecache wants xfs, ext4, btrfs or tmpfs, not '$pc'" ;; esac
[ -z "$pc" ] || [ -n "${cfg[scratch_$pc]:-}" ] || die 2 "$conf: pagecache = $pc, but there is no scratch_$pc"

scratch_targets=()
for k in $SCRATCH_KEYS; do
	[ -n "${cfg[$k]:-}" ] || continue
	check_scratch "$k" "${cfg[$k]}"
	scratch_targets+=("$(findmnt -n -o TARGET -T "${cfg[$k]}" | tail -n1)")
done
[ ${#scratch_targets[@]} -gt 0 ] || die 2 "$conf: no scratch directory: the tests need at least one (scratch_xfs, ...)"
devices=()
if [ -n "${cfg[devdax]:-}" ]; then
	[ -c "${cfg[devdax]}" ] || die 2 "$conf: devdax ${cfg[devdax]}: not a device-DAX character device"
	pmem+=("devdax=${cfg[devdax]}")
fi
for kv in "${pmem[@]}"; do
	if [ "${kv%%=*}" != pmem_namespace ]; then
		check_pmem "${kv%%=*}" "${kv#*=}"
		devices+=("${kv#*=}")
	else
		check_namespace pmem_namespace "${kv#*=}"
		devices+=("$ns_dev")
	fi
done

# A PCI device for the vfio tests: only the one named, and only if it is
# bound to vfio-pci already (the suite binds nothing on a lab host).
if [ -n "${cfg[vfio_device]:-}" ]; then
	vd=/sys/bus/pci/devices/${cfg[vfio_device]}
	[ -e "$vd" ] || die 2 "$conf: vfio_device ${cfg[vfio_device]}: no such PCI device (want DOMAIN:BUS:SLOT.FN, as lspci -D prints)"
	[ "$(basename "$(readlink "$vd/driver" 2>/dev/null)")" = vfio-pci ] ||
		die 2 "$conf: vfio_device ${cfg[vfio_device]} is not bound to vfio-pci (echo vfio-pci >$vd/driver_override; echo ${cfg[vfio_device]} >/sys/bus/pci/drivers_probe)"
fi
# The LBAs of an NVMe vfio_device the suite may overwrite: START+COUNT.
[ -z "${cfg[vfio_nvme_lba]:-}" ] || [[ ${cfg[vfio_nvme_lba]} =~ ^[0-9]+\+[1-9][0-9]*$ ]] ||
	die 2 "$conf: vfio_nvme_lba ${cfg[vfio_nvme_lba]}: want START+COUNT (decimal LBAs, e.g. 0+16384)"

# --- the device and the peer -------------------------------------------------

check_rdma
if [ -n "${cfg[peer]:-}" ]; then
	[ -e /dev/infiniband/rdma_cm ] || die 4 "no /dev/infiniband/rdma_cm for the peer's connection (modprobe rdma_ucm)"
	if [ ! -x "$top/build/tests/peer-rdma" ]; then
		warn "peer ${cfg[peer]} not probed: build/tests/peer-rdma is not built yet"
	elif out=$("$top/build/tests/peer-rdma" --probe "${cfg[peer]}" 2>&1); then
		log "$out"
	else
		die 3 "peer ${cfg[peer]} does not answer: ${out#peer-rdma: }"
	fi
fi

# --- the environment ------------------------------------------------------------

UNSET="RDMA_DEV RDMA_PORT XFS_DIR EXT4_DIR BTRFS_DIR TMPFS_DIR PAGECACHE_DIR DAX_DIR
	DAX_NVDIMM_DIR DAX_EXT4_DIR DEVDAX TMP_DIR PMEM_DEVICES PEER NETNS PEER_NETNS
	PEER_NETDEV PEER_ADDR PRESSURE_RDMA_ADDR SELFTEST_CRASH VFIO_DEV VFIO_NVME_LBA"
for v in $UNSET; do unset "PINRACE_$v"; done
export PINRACE_HOST_CONF=$conf PINRACE_RDMA_DEV=${cfg[rdma_device]}
setenv() { [ -z "$2" ] || export "$1=$2"; }
setenv PINRACE_RDMA_PORT "${cfg[rdma_port]:-}"
setenv PINRACE_XFS_DIR "${cfg[scratch_xfs]:-}"
setenv PINRACE_EXT4_DIR "${cfg[scratch_ext4]:-}"
setenv PINRACE_BTRFS_DIR "${cfg[scratch_btrfs]:-}"
setenv PINRACE_TMPFS_DIR "${cfg[scratch_tmpfs]:-}"
setenv PINRACE_DAX_DIR "${cfg[scratch_fsdax]:-}"
dax_fs=$([ -z "${cfg[scratch_fsdax]:-}" ] || findmnt -n -o FSTYPE -T "${cfg[scratch_fsdax]}" | tail -n1)
[ "$dax_fs" != xfs ] || setenv PINRACE_DAX_NVDIMM_DIR "${cfg[scratch_fsdax]}"
[ "$dax_fs" != ext4 ] || setenv PINRACE_DAX_EXT4_DIR "${cfg[scratch_fsdax]}"
setenv PINRACE_DAX_EXT4_DIR "${cfg[scratch_fsdax_ext4]:-${PINRACE_DAX_EXT4_DIR:-}}"
setenv PINRACE_DEVDAX "${cfg[devdax]:-}"
setenv PINRACE_VFIO_DEV "${cfg[vfio_device]:-}"
setenv PINRACE_VFIO_NVME_LBA "${cfg[vfio_nvme_lba]:-}"
for fs in $pc xfs ext4 btrfs tmpfs; do
	[ -z "${cfg[scratch_$fs]:-}" ] || { setenv PINRACE_PAGECACHE_DIR "${cfg[scratch_$fs]}" && break; }
done
setenv PINRACE_TMP_DIR "${PINRACE_PAGECACHE_DIR:-${cfg[scratch_fsdax]}}"
setenv PINRACE_PMEM_DEVICES "${devices[*]}"
setenv PINRACE_PEER "${cfg[peer]:-}"
setenv PINRACE_PRESSURE_RDMA_ADDR "${cfg[pressure_rdma_addr]:-}"

if [ $check = 1 ]; then
	env | grep '^PINRACE_' | grep -v '^PINRACE_PROG=' | sort
	exit 0
fi
if [ $envout = 1 ]; then
	for v in $UNSET; do echo "unset PINRACE_$v"; done
	while IFS='=' read -r k v; do
		printf 'export %s=%q\n' "$k" "$v"
	done < <(env | grep '^PINRACE_' | grep -v '^PINRACE_PROG=' | sort)
	exit 0
fi

# --- the run ------------------------------------------------------------------

profile=quick results=''
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	--profile) profile=${args[i + 1]:-} ;;
	--results) results=${args[i + 1]:-} ;;
	esac
done
pdirs=()
for k in scratch_xfs scratch_ext4 scratch_btrfs; do
	[ -z "${cfg[$k]:-}" ] || pdirs+=("${cfg[$k]}")
done
[ ${#pdirs[@]} -gt 0 ] || pdirs=("$PINRACE_PAGECACHE_DIR")
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -n "$results" ] && [ -n "$(bash "$here/host/pressure.sh" jobs "$profile" 2>/dev/null)" ]; then
	trap 'bash "$here/host/pressure.sh" stop --results "$results"' EXIT
	bash "$here/host/pressure.sh" start "$profile" "${pdirs[@]}" --results "$results" --owner $$ ||
		warn "background pressure did not start (see $results/pressure/)"
fi
bash "$here/run/run-tests.sh" "${args[@]}"
exit $?
