# shellcheck shell=bash
# Which programs are the suite's tests. Source it; it defines functions only.
#
#   suite_test_matches NAME GLOB   NAME (a program of tests/) is a test, not a
#                                  benchmark (make bench runs those) nor the
#                                  two-host tests' peer, and matches GLOB
#                                  (ksh alternatives allowed: '!(two-host-*)')
suite_test_matches() {
	shopt -s extglob
	case $1 in bench-* | peer-*) return 1 ;; esac
	# shellcheck disable=SC2254
	case $1 in $2) return 0 ;; esac
	return 1
}

#   host_cases_without_rdma GLOB   some case of the tests GLOB selects (built
#                                  in build/tests) declares no need of an
#                                  RDMA device (TEST --requires)
host_cases_without_rdma() {
	local bin
	for bin in "$top"/build/tests/*; do
		[[ -f $bin && -x $bin ]] && suite_test_matches "${bin##*/}" "$1" || continue
		"$bin" --requires | awk -F'\t' '$2 !~ /(^|,)rdma(,|$)/ { ok = 1 } END { exit !ok }' && return 0
	done
	return 1
}
