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
