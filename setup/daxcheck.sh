# shellcheck shell=bash
# Is a filesystem really DAX? Source it (setup/pmem.sh, setup/nvdimm.sh).
#
#   statx_dax DIR   prints yes when a new file in DIR reports
#                   STATX_ATTR_DAX, no when it does not; dies when statx
#                   cannot tell (a failed mkfs can leave DIR on tmpfs)

STATX_ATTR_DAX=0x200000

statx_dax() { # DIR
	local f=$1/.pinrace-dax-probe attr
	attr=$(xfs_io -f -c 'pwrite -q 0 4096' -c 'statx -r' "$f" |
		awk '$1 == "stat.attributes" { print $3 }')
	rm -f "$f"
	[ -n "$attr" ] || die 1 "cannot read statx attributes in $1"
	if (((attr & STATX_ATTR_DAX) != 0)); then echo yes; else echo no; fi
}
