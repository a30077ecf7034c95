#!/usr/bin/env bash
# pinrace: boot a kernel in a QEMU guest with soft-RoCE and emulated pmem
# (or use this host's own RDMA device with --host) and run the suite there.
# `./run.sh --help` for the options.
set -u
top=$(cd "$(dirname "$0")" && pwd)
PINRACE_PROG=run.sh
. "$top/setup/run/common.sh"
. "$top/setup/run/args.sh"
. "$top/setup/guest/bzimage.sh"
. "$top/setup/run/tests-lib.sh"

usage() {
	cat <<'USAGE'
usage: ./run.sh [options]
       ./run.sh --compare OLD NEW

  --kernel SPEC[,SPEC...]
                     the kernels to run on, in order (repeatable): debian:SUITE
                     for any suite the machine's Debian archive serves (bullseye
                     5.10, bookworm 6.1, bookworm-backports and trixie 6.12 (the
                     default), forky, sid, experimental), debian:SUITE/rt or
                     /cloud for those flavours; Debian kernel packages
                     KERNEL.deb or IMAGE.deb:MODULES.deb; or a bzImage: PATH
                     (modules from --modules) or PATH:MODDIR
  --modules DIR      modules of the bzImage kernels that do not name their own:
                     DIR/lib/modules/VERSION (make modules_install INSTALL_MOD_PATH=DIR)
  --tests GLOB       run only the test binaries matching GLOB (default: all)
  --profile NAME     quick (default), stress or soak (workloads/NAME.profile)
  --seed N           seed for every case (replays a recorded run)
  --case GLOB        run only the cases matching GLOB (with --tests and --seed:
                     replays one case; every failing case records that command)
  --repeat N         run each selected case N times; a case that fails in some
                     runs only is "flaky" (with the share, e.g. flaky 3/8 hang)
  --rerun-failed N   run each case that ended unexpected N more times
  --bisect           for `git bisect run`: one kernel, one verdict line; exit 0
                     good (no run failed), 1 bad, 125 cannot tell (no boot,
                     broken setup, every case skipped) (README: Bisecting)
  --bisect-share S   with --bisect: bad only when at least this share of the
                     runs failed (0.5, 50% or 1/2; default: any)
  --check-config FILE  read a kernel .config against tests/config: what each
                     test would run and skip, and why; boots nothing; exit 0
                     when everything would run, 1 otherwise
  --list             say what would run (with --host: and what would skip, and
                     why; in a guest its kernel decides that); boots nothing
  --results DIR      where run folders go (default: results/)
  --timeout S        outer limit for each guest boot (default 2400)
  --accel MODE       auto (default: KVM with -cpu host when a test guest runs under
                     it, else TCG, saying why), kvm (or exit 3 naming why not), tcg
  --jobs N           boot up to N kernels' guests at once (default: from the cores
                     and the memory, at most one per kernel)
  --host             no VM: use this machine's RDMA device and --scratch
  --scratch DIR      with --host: a page-cache filesystem directory to use
  --dax DIR          with --host: a filesystem-DAX directory to use
  --device NAME      with --host: the RDMA device (default: the first)
  --config FILE      with --host: what this machine lends the suite, instead of
                     --scratch/--dax/--device: device and port, scratch directories
                     per filesystem, pmem it may reconfigure, a peer host
                     (setup/host/host.conf.example); anything else is refused
  --kcidb FILE       also write the results as KCIDB v5 JSON to FILE
                     (setup/reports/kcidb.sh RUN FILE does it for an existing run folder)
  --compare OLD NEW  list what changed between two results: run folders, kernel
                     folders of a run, or kernels of the latest run (debian:sid,
                     sid, or a release); exit 1 when something regressed
  -h, --help         this text

Exit status: 0 nothing unexpected, 1 unexpected results (--compare: a
regression), 2 bad usage, 3 broken setup, 4 nothing could run (no RDMA
device with --host), 10 a guest kernel crashed, 11 a guest hung, 12 a guest
did not boot. With several kernels, the first of 3, 12, 10, 11, 1 that any
kernel ended with.
USAGE
}

argv=("$@")
specs=() modules='' glob='*' profile=quick seed='' list=0 compare=()
base="$top/results" timeout=2400 host=0 scratch='' dax='' device='' config='' kcidb=''
accel_mode=auto jobs=''
repeat=1 rerun=0 case_glob='' bisect=0 share='' checkcfg=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel | --modules | --tests | --profile | --seed | --results | \
		--timeout | --scratch | --dax | --device | --config | --compare | --accel | --jobs | --kcidb | \
		--repeat | --rerun-failed | --case | --bisect-share | --check-config)
		need_arg "$@" ;;
	esac
	case $1 in
	--kernel)
		split_list specs "$2"
		shift
		;;
	--modules) modules=$2; shift ;;
	--tests) glob=$2; shift ;;
	--profile) profile=$2; shift ;;
	--seed) seed=$2; shift ;;
	--results) base=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--scratch) scratch=$2; shift ;;
	--dax) dax=$2; shift ;;
	--device) device=$2; shift ;;
	--config) config=$2; shift ;;
	--accel) accel_mode=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--kcidb) kcidb=$(realpath -m -- "$2"); shift ;;
	--compare)
		[[ $# -ge 3 && -n $2 && -n $3 ]] || die 2 "--compare needs two results: OLD NEW"
		need_arg "$1" "$3"
		compare=("$2" "$3")
		shift 2
		;;
	--repeat) repeat=$2; shift ;;
	--rerun-failed) rerun=$2; shift ;;
	--case) case_glob=$2; shift ;;
	--bisect) bisect=1 ;;
	--bisect-share) share=$2; shift ;;
	--check-config) checkcfg=$2; shift ;;
	--list) list=1 ;;
	--host) host=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die 2 "unknown option '$1' (see ./run.sh --help)" ;;
	esac
	shift
done

if [ ${#compare[@]} -gt 0 ]; then
	exec bash "$top/setup/reports/compare.sh" --results "$base" "${compare[@]}"
fi
if [ -n "$checkcfg" ]; then
	[ -f "$checkcfg" ] || die 2 "--check-config $checkcfg: no such file"
	make -s -C "$top" all >&2 || die 3 "build failed"
	exec bash "$top/setup/guest/checkconfig.sh" --tests "$glob" "$checkcfg"
fi

# --- kernels -----------------------------------------------------------------

# Kernel I: its spec, its name in tables (the spec, or local:IMAGE_FILE_NAME
# for a bzImage: the same own build is paired across runs by --compare),
# and for a bzImage its image and module folder.
kimages=() kmods=() knames=()
parse_kernel() { # SPEC
	local spec=$1 img mod=''
	arg_kernel_spec "$spec"
	case $spec in
	debian:* | *.deb) # names the archive serves, kernel packages
		PINRACE_PROG=run.sh bash "$top/setup/guest/kernel.sh" --check "$spec" || exit 2
		kimages+=('') kmods+=('') knames+=("$spec")
		return
		;;
	esac
	img=$spec
	if [ ! -f "$img" ] && [[ $spec == *:* ]]; then
		img=${spec%:*} mod=${spec##*:}
	fi
	[ -f "$img" ] || die 2 "--kernel $(argq "$img"): no such bzImage (or use debian:bookworm|trixie|sid)"
	mod=${mod:-$modules}
	[ -n "$mod" ] || die 2 "--kernel $(argq "$img"): a bzImage needs its modules (PATH:MODDIR or --modules DIR)"
	arg_kernel_image "$img" "$mod"
	kimages+=("$img") kmods+=("$mod") knames+=("local:${img##*/}")
}

# Validate everything before anything starts (setup/run/args.sh).
validate_run_args
# shellcheck source=setup/guest/vfio-engine.sh
. "$top/setup/guest/vfio-engine.sh" && vfio_engine >/dev/null
[[ $repeat =~ ^[1-9][0-9]{0,3}$ ]] || die 2 "--repeat wants a count from 1 to 9999, not '$repeat'"
[[ $rerun =~ ^[0-9]{1,4}$ ]] || die 2 "--rerun-failed wants a count, not '$rerun'"
[ -z "$share" ] || [ $bisect = 1 ] || die 2 "--bisect-share goes with --bisect"
[ -z "$share" ] || [[ $share =~ ^(0?\.[0-9]+|1|[0-9]{1,3}%|[0-9]+/[1-9][0-9]*)$ ]] ||
	die 2 "--bisect-share wants a share like 0.5, 50% or 1/2, not '$share'"
if [ $bisect = 1 ]; then
	[ $list = 0 ] || die 2 "--bisect does not go with --list"
	[ ${#specs[@]} -le 1 ] || die 2 "--bisect answers for one kernel, not ${#specs[@]}"
fi
if [ $host = 1 ]; then
	[ ${#specs[@]} -eq 0 ] || die 2 "--kernel does not go with --host (the host runs its own kernel)"
	if [ -n "$config" ]; then
		[ -z "$scratch$dax$device" ] || die 2 "--config names the device and directories: not with --scratch, --dax or --device"
		# refusals (2), no usable RDMA device (4), a silent peer (3): before anything runs
		host_env=$(bash "$top/setup/host/host.sh" --config "$config" --env) || exit $?
	else
		[ -n "$scratch" ] || die 2 "--host needs --config FILE or --scratch DIR (a page-cache filesystem directory)"
		arg_dir --scratch "$scratch"
		[ -z "$dax" ] || arg_dir --dax "$dax"
	fi
else
	[ -z "$scratch$dax$device$config" ] || die 2 "--scratch, --dax, --device and --config go with --host"
	[ ${#specs[@]} -gt 0 ] || specs=(debian:trixie)
	for spec in "${specs[@]}"; do parse_kernel "$spec"; done
	[ ${#knames[@]} -gt 0 ] || die 2 "--kernel: no kernel in the list"
	[ -z "$modules" ] || [ -n "$(printf '%s' "${kimages[@]}")" ] ||
		die 2 "--modules goes with a bzImage --kernel"
	dup=$(printf '%s\n' "${specs[@]}" | sort | uniq -d | head -n1)
	[ -z "$dup" ] || die 2 "--kernel $dup is listed twice"
fi

bash "$top/setup/host/deps.sh" $([ $host = 0 ] || echo --host) || die 3 "installing dependencies failed"
if [ $host = 0 ] && [ $list = 0 ]; then # --list boots no guest
	. "$top/setup/guest/accel.sh"
	accel_choose "$accel_mode" || die 3 "$ACCEL_WHY"
	[ "$accel_mode" = tcg ] || log "accelerator: $ACCEL ($ACCEL_WHY)"
	export PINRACE_ACCEL=$ACCEL
fi
make -s -C "$top" all || die 3 "build failed"

# --list for guests: the cases each kernel would run, no guest booted (what
# skips there depends on that kernel: the run's TAP and results say why).
if [ $list = 1 ] && [ $host = 0 ]; then
	log "kernels: ${knames[*]}; which cases skip is decided in each guest, not listed here"
	for bin in "$top"/build/tests/*; do
		[[ -f $bin && -x $bin ]] || continue
		suite_test_matches "${bin##*/}" "$glob" || continue
		printf '%s\t(needs:%s)\n' "${bin##*/}" "$("$bin" --info | sed -n 's/^needs://p')"
		"$bin" --list | cut -f1 | sed 's/^/  /'
	done
	exit 0
fi

guest_args=(--tests "$glob" --profile "$profile" --repeat "$repeat" --rerun-failed "$rerun")
[ -z "$case_glob" ] || guest_args+=(--case "$case_glob")
if [ $bisect = 1 ]; then # the same run, judged for git bisect (setup/run/bisect.sh)
	again=()
	skip=0
	for a in "${argv[@]}"; do
		if [ $skip = 1 ]; then skip=0 && continue; fi
		case $a in --bisect) continue ;; --bisect-share) skip=1 && continue ;; esac
		again+=("$a")
	done
	exec bash "$top/setup/run/bisect.sh" ${share:+--share "$share"} --results "$base" -- "$0" "${again[@]}"
fi
[ -z "$seed" ] || export PINRACE_SEED=$seed

# Host mode: this machine, its device, the named directories.
if [ $host = 1 ]; then
	if [ -n "$config" ]; then
		eval "$host_env"
	else
		export PINRACE_PAGECACHE_DIR=$scratch
		[ -z "$dax" ] || export PINRACE_DAX_DIR=$dax
		[ -z "$device" ] || export PINRACE_RDMA_DEV=$device
	fi
	if [ $list = 1 ]; then
		exec bash "$top/setup/run/run-tests.sh" --list "${guest_args[@]}"
	fi
	if ! ibv_devices 2>/dev/null | awk 'NR > 2' | grep -q .; then
		# the other pin sources (io_uring, vmsplice, O_DIRECT, cpu) run;
		# RDMA cases skip naming the missing device
		nordma="this machine has no RDMA device (ibv_devices lists none); load a driver (mlx5_ib) or add a soft-RoCE link: rdma link add rxe0 type rxe netdev DEV"
		host_cases_without_rdma "$glob" ||
			die 4 "--host: every selected case needs RDMA, and $nordma"
		log "--host: RDMA cases skip: $nordma"
		export PINRACE_RDMA_DEV_LACKS="$nordma"
	fi
	knames=(host) kvers=("$(uname -r)") kenvs=('') kpkgs=(-)
else
	# Fetch (or find in the cache) every kernel before booting any.
	kvers=() kenvs=() kpkgs=()
	for i in "${!specs[@]}"; do
		kargs=("${specs[i]}")
		[ -z "${kimages[i]}" ] || kargs=("${kimages[i]}" --modules "${kmods[i]}")
		kout=$(bash "$top/setup/guest/kernel.sh" "${kargs[@]}") || exit $?
		kenvs+=("$kout")
		eval "$kout"
		kvers+=("$KVER") kpkgs+=("${KPKG:--}")
	done
fi

# --- the run folder ------------------------------------------------------------

# Kernel folders are named by release (-2, -3... when two share one).
kdirs=()
for v in "${kvers[@]}"; do
	d=$v n=2
	while [[ " ${kdirs[*]} " == *" $d "* ]]; do d=$v-$n && n=$((n + 1)); done
	kdirs+=("$d")
done
label=${kvers[0]}
[ ${#kvers[@]} -eq 1 ] || label=${#kvers[@]}kernels
run_id="$(date +%Y%m%d-%H%M%S)-$label"
run="$base/$run_id"
mkdir -p "$run" || die 2 "cannot create $run"
run=$(cd "$run" && pwd)
ln -sfn "$run_id" "$base/latest"
printf '%q ' ./run.sh "${argv[@]}" >"$run/command.txt"
echo >>"$run/command.txt"
for i in "${!kdirs[@]}"; do
	printf '%s\t%s\t%s\t%s\n' "${kdirs[i]}" "${knames[i]}" "${kvers[i]}" "${kpkgs[i]}"
	mkdir -p "$run/${kdirs[i]}"
done >"$run/kernels.tsv"
if [ $host = 0 ] && [ $list = 0 ]; then
	export PINRACE_ACCEL_FILE=$run/accel.txt
	printf 'requested: %s\naccel: %s\nreason: %s\n' "$accel_mode" "$ACCEL" "$ACCEL_WHY" >"$PINRACE_ACCEL_FILE"
fi
log "$(printf '%s ' "${kvers[@]}")| profile $profile | results in $run"

# Children run in the background so that INT and TERM reach them.
child=''
# shellcheck disable=SC2317 # called by the traps
on_signal() {
	[ -z "$child" ] || { kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; }
	exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
run_child() {
	local rc
	"$@" &
	child=$!
	wait "$child"
	rc=$?
	child=''
	return $rc
}

# --- each kernel ------------------------------------------------------------------

# The run's status from the kernels': the first of 3, 12, 10, 11, 1 any has.
overall() {
	local want r
	for want in 3 12 10 11 1; do
		for r in "$@"; do [ "$r" != "$want" ] || { echo "$r"; return; }; done
	done
	for r in "$@"; do [ "$r" = 0 ] || { echo "$r"; return; }; done
	echo 0
}

rcs=() spent=0 t_run=$SECONDS
[ -n "$jobs" ] || jobs=$(bash "$top/setup/guest/jobs.sh" --default ${#kdirs[@]})
if [ $host = 0 ] && [ "$jobs" -gt 1 ] && [ ${#kdirs[@]} -gt 1 ]; then
	# Side by side (setup/guest/jobs.sh); each kernel's status.txt has its exit.
	jargs=()
	for i in "${!kdirs[@]}"; do
		printf '%s\n' "${kenvs[i]}" >"$run/${kdirs[i]}/.kernel-env"
		jargs+=(--kernel "$run/${kdirs[i]}" "${knames[i]} ${kvers[i]}")
	done
	log "${#kdirs[@]} kernels, up to $jobs guests at once"
	run_child bash "$top/setup/guest/jobs.sh" --jobs "$jobs" --timeout "$timeout" "${jargs[@]}" -- "${guest_args[@]}"
	rc=$?
	case $rc in 130 | 143) exit $rc ;; esac
	for i in "${!kdirs[@]}"; do
		rc=$(sed -n 's/^exit: //p' "$run/${kdirs[i]}/status.txt" 2>/dev/null)
		rcs+=("${rc:-3}")
	done
	kdirs_seq=()
else
	kdirs_seq=("${!kdirs[@]}")
fi
for i in "${kdirs_seq[@]}"; do
	kdir=$run/${kdirs[i]}
	[ $host = 1 ] || eval "${kenvs[i]}"
	export KVER KIMAGE MODROOT KPKG
	kargs=(--dir "$kdir" --label "${knames[i]} ${kvers[i]}" --pos "$((i + 1))/${#kdirs[@]}"
		--timeout "$timeout")
	[ "$i" -eq 0 ] || kargs+=(--prev $((spent / i)))
	[ $host = 0 ] || kargs+=(--host)
	# what replays one case of this kernel (lib/report.c appends the rest)
	PINRACE_REPLAY="./run.sh --kernel $(printf '%q' "${specs[i]:-host}")"
	[ -z "$modules" ] || [ -z "${kimages[i]:-}" ] || PINRACE_REPLAY+=" --modules $(printf '%q' "$modules")"
	[ "$profile" = quick ] || PINRACE_REPLAY+=" --profile $profile"
	export PINRACE_REPLAY
	[ ${#kdirs[@]} -eq 1 ] || log "kernel $((i + 1))/${#kdirs[@]}: ${knames[i]} (${kvers[i]})"
	run_child bash "$top/setup/guest/kernel-run.sh" "${kargs[@]}" -- "${guest_args[@]}"
	rc=$?
	case $rc in 130 | 143) exit $rc ;; esac
	rcs+=("$rc")
	spent=$((spent + $(sed -n 's/^seconds: //p' "$kdir/status.txt" 2>/dev/null || echo 0)))
done

[ ${#kdirs[@]} -eq 1 ] || log "${#kdirs[@]} kernels in $(((SECONDS - t_run) / 60))m$(printf '%02d' $(((SECONDS - t_run) % 60)))s: $(
	for i in "${!kdirs[@]}"; do
		s=$(sed -n 's/^seconds: //p' "$run/${kdirs[i]}/status.txt" 2>/dev/null)
		printf '%s %dm%02ds; ' "${kvers[i]}" $((${s:-0} / 60)) $((${s:-0} % 60))
	done | sed 's/; $//')"
bash "$top/setup/reports/summary.sh" "$run"
bash "$top/setup/reports/junit.sh" "$run" || warn "junit.xml not written"
bash "$top/setup/reports/report.sh" "$run" || warn "report.html not written"
[ -z "$kcidb" ] || bash "$top/setup/reports/kcidb.sh" "$run" "$kcidb" || warn "$kcidb not written"

for i in "${!kdirs[@]}"; do
	kdir=$run/${kdirs[i]}
	case ${rcs[i]} in
	0) ;;
	1) log "${kvers[i]}: UNEXPECTED results (see above)" ;;
	3) log "${kvers[i]}: broken setup in the guest: see $kdir/setup.log" ;;
	10 | 11) log "${kvers[i]}: the guest kernel $([ "${rcs[i]}" = 10 ] && echo CRASHED || echo HUNG): $(sed -n 's/^reason: //p' "$kdir/status.txt" | head -n1)" ;;
	12) log "${kvers[i]}: the guest did not boot: see $kdir/console.log" ;;
	*) log "${kvers[i]}: ended with status ${rcs[i]}" ;;
	esac
done
rc=$(overall "${rcs[@]}")
[ "$rc" != 0 ] || log "nothing unexpected"
made=''
for f in report.html junit.xml; do [ ! -s "$run/$f" ] || made+="${made:+, }$f"; done
log "results: $run${made:+ ($made)}"
exit "$rc"
