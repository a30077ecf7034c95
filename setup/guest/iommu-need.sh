#!/bin/bash
# Whether the tests a run selected need the guest's IOMMU and DMA device:
# prints 1 when any selected test declares need "vfio" (TEST --requires),
# else 0. vm.sh boots with intel-iommu and edu only then (PINRACE_IOMMU).
#
#   setup/guest/iommu-need.sh RUN-TESTS-ARGS...     (--tests GLOB, default *)
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/tests-lib.sh
. "$top/setup/run/tests-lib.sh"

glob='*'
while [ $# -gt 0 ]; do
	case $1 in --tests) glob=${2:-*}; shift ;; esac
	shift
done
for bin in "$top"/build/tests/*; do
	{ [[ -f $bin && -x $bin ]] && suite_test_matches "${bin##*/}" "$glob"; } || continue
	if "$bin" --requires 2>/dev/null | cut -f2 | tr ',' '\n' | grep -qx vfio; then
		echo 1
		exit 0
	fi
done
echo 0
