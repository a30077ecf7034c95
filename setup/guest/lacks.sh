# shellcheck shell=bash
# What the guest's setup could not provide because the kernel lacks it,
# for the tests' skip reasons. Source it (guest-init.sh, daxcheck.sh,
# scratchfs.sh); it defines functions only.
#
#   lacks VAR WHY [unset]   append VAR_LACKS=WHY (and, with unset, VAR=) to
#                           $PINRACE_LACKS_FILE, which guest-init.sh reads
#                           after the setup; the harness's skip for a case
#                           needing VAR says WHY (lib/harness/needs.c); "VAR: WHY"
#                           to the same file with .txt for .env (the run's
#                           lacks.txt)
#   module_option M         the kernel option behind module M, from the
#                           suite's fragment (tests/config "# module: M")

lacks() { # VAR WHY [unset]
	if [ -n "${PINRACE_LACKS_FILE:-}" ]; then
		printf '%s_LACKS=%q\n' "$1" "$2" >>"$PINRACE_LACKS_FILE"
		[ "${3:-}" != unset ] || printf '%s=\n' "$1" >>"$PINRACE_LACKS_FILE"
		printf '%s: %s\n' "$1" "$2" >>"${PINRACE_LACKS_FILE%.env}.txt"
	fi
	printf '%s: lacks %s: %s\n' "${PINRACE_PROG:-pinrace}" "$1" "$2" >&2
}

module_option() { # MODULE
	awk -v m="# module: $1" 'p && /^CONFIG_/ { sub(/=.*/, ""); print; exit } { p = ($0 == m) }' \
		"$(dirname "${BASH_SOURCE[0]}")/../../tests/config"
}
