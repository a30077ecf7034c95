# shellcheck shell=bash
# run.sh's argument checks: every option's value is checked here before
# anything is installed, built, fetched, created or booted. A bad value dies
# with exit 2 and one printable line naming the option and quoting the value.
# Source it after common.sh; it defines functions only.
#
#   need_arg OPT [VALUE...]    OPT has a value: not empty, no control characters
#   argq VALUE                 VALUE quoted for a message: 'v', or $'...' when
#                              it holds anything unprintable
#   split_list ARRAY LIST      LIST's comma-separated items appended to ARRAY,
#                              empty items kept (so that they are refused)
#   arg_u64 OPT VALUE          unsigned 64-bit decimal (no leading zero: no
#                              octal) or 0x and 1-16 hex digits; lib/harness/seed.c
#                              holds the same rule for the test binaries
#   arg_int OPT VALUE MIN MAX  a decimal integer in [MIN, MAX]
#   arg_name OPT VALUE         letters, digits, '_' and '-' (a file name part)
#   arg_glob OPT GLOB          matches at least one test of tests/ (run-tests.sh's
#                              rule: setup/run/tests-lib.sh)
#   arg_results OPT DIR        a folder run folders can be made in (tried with
#                              a probe folder, removed at once)
#   arg_dir OPT DIR            an existing folder
#   arg_out_file OPT FILE      a file that can be written: not a folder, in an
#                              existing folder that takes files (tried with a
#                              probe file, removed at once)
#   arg_text_file OPT FILE     a readable regular file of UTF-8 text without
#                              control characters other than tab
#   arg_kernel_spec SPEC       one --kernel item: no blanks around it
#   arg_kernel_image IMG MODDIR
#                              IMG is a bzImage whose release is readable and
#                              MODDIR/lib/modules/RELEASE exists
#   validate_run_args          every option of run.sh, one line each
#
# A new run.sh option: its case line in run.sh, one line in validate_run_args.

argq() {
	local LC_ALL=C
	if [[ $1 == *[![:print:]]* ]]; then printf '%q' "$1"; else printf "'%s'" "$1"; fi
}

need_arg() {
	[[ $# -ge 2 && -n $2 ]] || die 2 "option $1 needs a value"
	local LC_ALL=C
	[[ $2 != *[[:cntrl:]]* ]] || die 2 "$1 $(argq "$2"): control characters (a newline?) in the value"
}

split_list() { # ARRAY LIST
	local -n into=$1
	local rest=$2,
	while [[ $rest == *,* ]]; do
		into+=("${rest%%,*}")
		rest=${rest#*,}
	done
}

arg_u64() { # OPT VALUE
	local v=$2 digits
	[ -n "$v" ] || return 0
	if [[ $v =~ ^0[xX]([0-9a-fA-F]+)$ ]]; then
		digits=${BASH_REMATCH[1]}
		while [[ $digits == 0?* ]]; do digits=${digits#0}; done
		[ ${#digits} -le 16 ] || die 2 "$1 $(argq "$v"): more than 64 bits"
	elif [[ $v =~ ^(0|[1-9][0-9]*)$ ]]; then
		# shellcheck disable=SC2071 # strings of 20 digits: compared as strings
		[ ${#v} -lt 20 ] || { [ ${#v} -eq 20 ] && [[ $v < 18446744073709551616 ]]; } ||
			die 2 "$1 $(argq "$v"): more than 64 bits (at most 18446744073709551615)"
	elif [[ $v =~ ^0[0-7]+$ ]]; then
		die 2 "$1 $(argq "$v"): a leading zero (octal?): write it in decimal, or 0x and hex"
	else
		die 2 "$1 $(argq "$v"): not an unsigned decimal or 0x hex number"
	fi
}

arg_int() { # OPT VALUE MIN MAX
	[[ $2 =~ ^[0-9]+$ ]] || die 2 "$1 $(argq "$2"): not a whole number"
	[[ ${#2} -le 9 && $((10#$2)) -ge $3 && $((10#$2)) -le $4 ]] ||
		die 2 "$1 $(argq "$2"): out of range ($3 to $4)"
}

arg_name() { # OPT VALUE
	[[ $2 =~ ^[A-Za-z0-9_-]+$ ]] || die 2 "$1 $(argq "$2"): letters, digits, '_' and '-' only"
}

# shellcheck disable=SC2154 # top: the sourcing script's
arg_glob() { # OPT GLOB
	local f n=0
	for f in "$top"/tests/*.c; do
		f=${f##*/}
		suite_test_matches "${f%.c}" "$2" && n=$((n + 1))
	done
	[ $n -gt 0 ] || die 2 "$1 $(argq "$2"): matches no test (./run.sh --list shows them)"
}

arg_dir() { # OPT DIR
	[ -d "$2" ] || die 2 "$1 $(argq "$2"): no such directory"
}

arg_results() { # OPT DIR
	local d=$2 probe
	while [ ! -e "$d" ] && [ ! -L "$d" ]; do d=$(dirname -- "$d"); done
	[ -d "$d" ] || die 2 "$1 $(argq "$2"): $(argq "$d") is not a directory"
	probe=$(mktemp -d -p "$d" .pinrace-probe.XXXXXX 2>/dev/null) ||
		die 2 "$1 $(argq "$2"): cannot create folders in $(argq "$d")"
	rmdir -- "$probe"
}

arg_out_file() { # OPT FILE
	local d probe
	[ ! -d "$2" ] || die 2 "$1 $(argq "$2"): a folder, not a file"
	d=$(dirname -- "$2")
	[ -d "$d" ] || die 2 "$1 $(argq "$2"): no such folder for it"
	probe=$(mktemp -p "$d" .pinrace-probe.XXXXXX 2>/dev/null) ||
		die 2 "$1 $(argq "$2"): cannot create files in $(argq "$d")"
	rm -f -- "$probe"
}

arg_text_file() { # OPT FILE
	local LC_ALL=C
	[ -f "$2" ] || die 2 "$1 $(argq "$2"): not a regular file"
	[ -r "$2" ] || die 2 "$1 $(argq "$2"): cannot read it"
	if grep -q -P '[\x00-\x08\x0a-\x1f\x7f]' <(tr -d '\n' <"$2") ||
		! iconv -f UTF-8 -t UTF-8 "$2" >/dev/null 2>&1; then
		die 2 "$1 $(argq "$2"): not a text file (control characters or bytes that are not UTF-8)"
	fi
}

arg_kernel_spec() { # SPEC
	[ -n "$1" ] || die 2 "--kernel: an empty kernel in the list"
	[[ $1 != [[:space:]]* && $1 != *[[:space:]] ]] ||
		die 2 "--kernel $(argq "$1"): blanks around the kernel name"
}

arg_kernel_image() { # IMAGE MODDIR
	local rel
	rel=$(bzimage_release "$1") || rel=''
	[ -n "$rel" ] ||
		die 2 "--kernel $(argq "$1"): not a kernel image (no bzImage header with a release)"
	[[ $rel =~ ^[[:alnum:]][[:alnum:]._+~-]*$ ]] ||
		die 2 "--kernel $(argq "$1"): unreadable release $(argq "$rel") in its header"
	arg_dir "modules of $1:" "$2"
	[ -d "$2/lib/modules/$rel" ] ||
		die 2 "--kernel $(argq "$1") is release $rel but $(argq "$2/lib/modules/$rel") does not exist"
}

# run.sh's options as it parsed them (its variables), one line each.
# shellcheck disable=SC2154 # run.sh's variables
validate_run_args() {
	arg_name --profile "$profile"
	[ -f "$top/workloads/$profile.profile" ] ||
		die 2 "--profile $(argq "$profile"): no workloads/$profile.profile"
	arg_glob --tests "$glob"
	arg_u64 --seed "$seed"
	arg_int --timeout "$timeout" 60 604800
	[ "$list" = 1 ] || arg_results --results "$base"
	[ -z "$config" ] || arg_text_file --config "$config"
	[ -z "$kcidb" ] || arg_out_file --kcidb "$kcidb"
	[ -z "$modules" ] || arg_dir --modules "$modules"
	[[ $accel_mode =~ ^(auto|kvm|tcg)$ ]] || die 2 "--accel wants auto, kvm or tcg, not $(argq "$accel_mode")"
	[ -z "$jobs" ] || arg_int --jobs "$jobs" 1 64
}
