#!/bin/bash
# The emulated NVDIMM of the pinrace guest (setup/guest/vm.sh), carved for the DAX
# tests: runs only inside that guest (pinrace.init= on the kernel command
# line), where the NVDIMM is a sparse file that lives as long as the boot.
#
#   setup/guest/nvdimm-guest.sh ENVFILE
#
# Finds the region on the ACPI.NFIT bus, writes fresh labels on its DIMMs
# (QEMU's NVDIMM starts label-less: one raw namespace that cannot be
# subdivided), creates a devdax namespace (PINRACE_NVDIMM_DEVDAX_SIZE, 256M)
# and two fsdax ones (PINRACE_NVDIMM_XFS_SIZE, PINRACE_NVDIMM_EXT4_SIZE,
# 512M each), then hands them to setup/host/nvdimm.sh by name, with --format
# naming exactly the two devices it may format (XFS and ext4, mounted under
# /mnt). The PINRACE_* lines for the tests go to ENVFILE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"

[ $# -eq 1 ] || die 2 "usage: nvdimm-guest.sh ENVFILE"
env_file=$1
{ grep -q 'pinrace\.init=' /proc/cmdline && [ "${PINRACE_IN_VM:-0}" = 1 ]; } ||
	die 2 "refused: this rewrites every label of the NVDIMM; it runs only in the pinrace guest (use setup/host/nvdimm.sh on a lab host)"
need_cmd ndctl jq

# The NFIT bus's region and its DIMMs.
region=$(ndctl list -R -b ACPI.NFIT 2>/dev/null | jq -r '[.. | objects | .dev? // empty | select(startswith("region"))] | first // empty')
[ -n "$region" ] || die 1 "no region on the ACPI.NFIT bus (is nfit loaded, QEMU started with nvdimm=on?)"
mapfile -t dimms < <(ndctl list -D -r "$region" | jq -r '.. | objects | .dev? // empty | select(startswith("nmem"))')
[ ${#dimms[@]} -gt 0 ] || die 1 "no DIMMs behind $region"

ndctl disable-region "$region" >/dev/null || die 1 "ndctl disable-region $region failed"
ndctl init-labels -f "${dimms[@]}" >/dev/null || die 1 "ndctl init-labels -f ${dimms[*]} failed"
ndctl enable-region "$region" >/dev/null || die 1 "ndctl enable-region $region failed"
log "$region (${dimms[*]}): fresh labels"

seed() { cat "/sys/bus/nd/devices/$region/namespace_seed"; }

# One namespace at a time: each is the region's seed when it is created.
carve() { # MODE SIZE: prints the new namespace's name
	local ns
	ns=$(seed)
	[ -n "$ns" ] || die 1 "$region has no seed namespace"
	ndctl create-namespace -r "$region" -m "$1" -s "$2" >/dev/null ||
		die 1 "ndctl create-namespace -r $region -m $1 -s $2 failed"
	echo "$ns"
}
pmem_dev() { # NS: its fsdax block device
	local id=${1#namespace}
	if [ "${id#*.}" = 0 ]; then echo "/dev/pmem${id%.*}"; else echo "/dev/pmem$id"; fi
}
# PINRACE_NVDIMM_DEVDAX_SIZE=0: no devdax namespace (a kernel without
# CONFIG_DEV_DAX: guest-init.sh says so for the tests)
devdax=()
if [ "${PINRACE_NVDIMM_DEVDAX_SIZE:-256M}" != 0 ]; then
	dax=$(carve devdax "${PINRACE_NVDIMM_DEVDAX_SIZE:-256M}")
	devdax=(--devdax "$dax")
	log "$dax: devdax"
fi
xfs=$(carve fsdax "${PINRACE_NVDIMM_XFS_SIZE:-512M}")
ext4=$(carve fsdax "${PINRACE_NVDIMM_EXT4_SIZE:-512M}")
log "$xfs and $ext4: fsdax"
# The lab host's path from here on: every destructive step named.
bash "$here/host/nvdimm.sh" up "${devdax[@]}" --xfs "$xfs" --ext4 "$ext4" \
	--format "$(pmem_dev "$xfs")" --format "$(pmem_dev "$ext4")" --mnt /mnt >"$env_file"
cat "$env_file"
