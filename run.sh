#!/usr/bin/env bash
# pinrace: boot a kernel in a QEMU guest with soft-RoCE and emulated pmem
# (or use this host's own RDMA device with --host) and run the suite there.
# `./run.sh --help` for the options.
set -u
top=$(cd "$(dirname "$0")" && pwd)
PINRACE_PROG=run.sh
. "$top/setup/common.sh"

usage() {
	cat <<'USAGE'
usage: ./run.sh [options]

  --kernel SPEC      debian:bookworm (6.1), debian:trixie (6.12, default),
                     debian:sid (newest), or the path of a bzImage
  --modules DIR      with a bzImage: DIR/lib/modules/VERSION (modules_install)
  --tests GLOB       run only the test binaries matching GLOB (default: all)
  --profile NAME     quick (default), stress or soak (workloads/NAME.profile)
  --seed N           seed for every case (replays a recorded run)
  --list             say what would run and what would skip, and why; run nothing
  --results DIR      where run folders go (default: results/)
  --timeout S        outer limit for the whole guest run (default 2400)
  --host             no VM: use this machine's RDMA device and --scratch
  --scratch DIR      with --host: a page-cache filesystem directory to use
  --dax DIR          with --host: a filesystem-DAX directory to use
  --device NAME      with --host: the RDMA device (default: the first)
  -h, --help         this text

Exit status: 0 nothing unexpected, 1 unexpected results, 2 bad usage,
3 broken setup, 4 nothing could run (no RDMA device with --host),
10 guest kernel crashed, 11 guest hung, 12 guest did not boot.
USAGE
}

kernel=debian:trixie modules='' glob='*' profile=quick seed='' list=0
base="$top/results" timeout=2400 host=0 scratch='' dax='' device=''
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die 2 "option $1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel | --modules | --tests | --profile | --seed | --results | \
		--timeout | --scratch | --dax | --device)
		need_arg "$@" ;;
	esac
	case $1 in
	--kernel) kernel=$2; shift ;;
	--modules) modules=$2; shift ;;
	--tests) glob=$2; shift ;;
	--profile) profile=$2; shift ;;
	--seed) seed=$2; shift ;;
	--results) base=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--scratch) scratch=$2; shift ;;
	--dax) dax=$2; shift ;;
	--device) device=$2; shift ;;
	--list) list=1 ;;
	--host) host=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die 2 "unknown option '$1' (see ./run.sh --help)" ;;
	esac
	shift
done

# Validate everything before anything starts.
[ -f "$top/workloads/$profile.profile" ] ||
	die 2 "no profile '$profile' (expected workloads/$profile.profile)"
[ -z "$seed" ] || [[ $seed =~ ^[0-9]+$ ]] || die 2 "--seed wants a number, not '$seed'"
[[ $timeout =~ ^[0-9]+$ ]] || die 2 "--timeout wants seconds, not '$timeout'"
if [ $host = 1 ]; then
	[ -n "$scratch" ] || die 2 "--host needs --scratch DIR (a page-cache filesystem directory)"
	[ -d "$scratch" ] || die 2 "--scratch $scratch: no such directory"
	[ -z "$dax" ] || [ -d "$dax" ] || die 2 "--dax $dax: no such directory"
else
	[ -z "$scratch$dax$device" ] || die 2 "--scratch, --dax and --device go with --host"
	case $kernel in
	debian:bookworm | debian:trixie | debian:sid) ;;
	debian:*) die 2 "unknown kernel '$kernel' (debian:bookworm, debian:trixie, debian:sid, or a bzImage path)" ;;
	*)
		[ -f "$kernel" ] || die 2 "--kernel $kernel: no such bzImage (or use debian:bookworm|trixie|sid)"
		[ -n "$modules" ] || die 2 "--kernel $kernel: a bzImage needs --modules DIR"
		[ -d "$modules" ] || die 2 "--modules $modules: no such directory"
		;;
	esac
fi

bash "$top/setup/deps.sh" || die 3 "installing dependencies failed"
make -s -C "$top" all || die 3 "build failed"

guest_args=(--tests "$glob" --profile "$profile")
[ -z "$seed" ] || export PINRACE_SEED=$seed

# Host mode: this machine, its device, the named directories.
if [ $host = 1 ]; then
	export PINRACE_PAGECACHE_DIR=$scratch
	[ -z "$dax" ] || export PINRACE_DAX_DIR=$dax
	[ -z "$device" ] || export PINRACE_RDMA_DEV=$device
	if [ $list = 1 ]; then
		exec bash "$top/setup/run-tests.sh" --list "${guest_args[@]}"
	fi
	if ! ibv_devices 2>/dev/null | awk 'NR > 2' | grep -q .; then
		die 4 "--host: this machine has no RDMA device (ibv_devices lists none); load a driver (mlx5_ib) or add a soft-RoCE link: rdma link add rxe0 type rxe netdev DEV"
	fi
	kver=$(uname -r)
else
	kargs=("$kernel")
	[ -z "$modules" ] || kargs+=(--modules "$modules")
	kout=$(bash "$top/setup/kernel.sh" "${kargs[@]}") || exit $?
	eval "$kout"
	kver=$KVER
fi

run_id="$(date +%Y%m%d-%H%M%S)-${kver}"
run="$base/$run_id"
mkdir -p "$run" || die 2 "cannot create $run"
run=$(cd "$run" && pwd)
ln -sfn "$run_id" "$base/latest"
log "kernel $kver, profile $profile, results in $run"

# Follow the guest's progress.log while it runs.
follow() {
	local pid=$1 last='' line
	while kill -0 "$pid" 2>/dev/null; do
		line=$(tail -n1 "$run/progress.log" 2>/dev/null)
		if [ -n "$line" ] && [ "$line" != "$last" ]; then
			if [ -t 2 ]; then printf '\r\033[K%s' "$line" >&2; else printf '%s\n' "$line" >&2; fi
			last=$line
		fi
		sleep 1
	done
	[ -t 2 ] && printf '\n' >&2
}

if [ $host = 1 ]; then
	bash "$top/setup/run-tests.sh" --results "$run" "${guest_args[@]}"
	rc=$?
else
	cmd=(bash "$top/setup/run-tests.sh" "${guest_args[@]}")
	if [ $list = 1 ]; then
		cmd=(sh -c 'bash "$0" --list "$@" > "$PINRACE_RESULTS/list.txt"' "${cmd[@]:1}")
	else
		cmd+=(--results "$run")
	fi
	bash "$top/setup/vm.sh" --kver "$KVER" --kimage "$KIMAGE" \
		--modroot "$MODROOT" --kpkg "${KPKG:-}" --results "$run" \
		--timeout "$timeout" -- "${cmd[@]}" &
	vm=$!
	follow $vm
	wait $vm
	rc=$?
	if [ $list = 1 ]; then
		cat "$run/list.txt" 2>/dev/null
		exit $rc
	fi
fi

bash "$top/setup/summary.sh" "$run"
case $rc in
0) log "nothing unexpected; results: $run" ;;
1) log "UNEXPECTED results (see above); results: $run" ;;
3) log "broken setup in the guest: see $run/setup.log" ;;
10) log "the guest kernel CRASHED: see $run/console.log" ;;
11) log "the guest HUNG (outer timeout $timeout s): see $run/console.log" ;;
12) log "the guest did not boot: see $run/console.log" ;;
*) log "run ended with status $rc; results: $run" ;;
esac
exit $rc
