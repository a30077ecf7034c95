#!/bin/bash
# The guest's VFIO DMA device (sourced by run.sh and vm.sh; needs die from
# setup/run/common.sh): PINRACE_VFIO_ENGINE=edu (default: QEMU's edu) or
# nvme (an emulated NVMe controller on a 64 MiB sparse image; the cases
# copy through its LBAs). vfio_engine prints it, or dies with status 2.
vfio_engine() {
	case ${PINRACE_VFIO_ENGINE:-edu} in
	edu | nvme) echo "${PINRACE_VFIO_ENGINE:-edu}" ;;
	*) die 2 "PINRACE_VFIO_ENGINE wants edu or nvme, got '$PINRACE_VFIO_ENGINE'" ;;
	esac
}
