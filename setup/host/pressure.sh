#!/bin/bash
# Background pressure beside the cases: the fio jobs a profile names
# (workloads/JOB.fio), bounded in time and size, recorded in the results.
#
#   setup/host/pressure.sh start PROFILE DIR... [--results R] [--runtime S] [--owner PID]
#   setup/host/pressure.sh stop [--results R]
#   setup/host/pressure.sh jobs PROFILE          the jobs PROFILE names, one a line
#
# PROFILE is a name (workloads/NAME.profile) or a file. Its `pressure` key
# lists the jobs (absent or "none": nothing runs), `pressure_size` their
# working set (default 64m). The jobs write only in the DIRs given, and
# remove their files when they stop:
#   pagecache-churn  buffered random writes + fsync, one clone per DIR
#   reclaim          mmap random writes + streaming reads in the first DIR,
#                    in a memory cgroup held to half the working set
#                    (memory.high), so reclaim and writeback never stop
#   rdma-mmap        fio's rdma engine, buffers in files on tmpfs (a tmpfs
#                    DIR, else $PINRACE_TMPFS_DIR, else /dev/shm) mapped
#                    with iomem=mmapshared; to $PINRACE_PRESSURE_RDMA_ADDR
#                    (this host's RDMA interface), else inside the pinrace
#                    guest between the namespaces of setup/guest/twohost.sh; at
#                    $PINRACE_PRESSURE_RDMA_RATE (default 8m) per second
#   any other JOB.fio: PR_DIR, PR_DIRS, PR_NDIRS, PR_SIZE, PR_RUNTIME set
# Each job's size is capped at an eighth of its directory's free space.
#
# start returns once the jobs run. A supervisor in a session of its own
# stops them on `stop`, when the owner process exits (--owner, default the
# caller: so every exit path of the caller ends them), or after --runtime
# seconds (default 21600); each fio also runs under timeout(1) with that
# bound, so none outlives it even if the supervisor is killed.
#
# The results folder (--results, else $PINRACE_RESULTS) gets pressure.json
# and pressure.txt (which jobs ran, how long, how much I/O, and why a job
# did not run), and pressure/: each job's fio JSON and log.
# Exit: 0; 1 the supervisor did not start; 2 bad usage (nothing started).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top=$(dirname "$here")
export PINRACE_PROG=pressure.sh
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"
# shellcheck source-path=SCRIPTDIR source=pressure-jobs.sh
. "$here/host/pressure-jobs.sh"

usage() { die 2 "usage: pressure.sh start PROFILE DIR... [--results R] [--runtime S] [--owner PID] | stop [--results R] | jobs PROFILE"; }

profile_file() { # NAME|FILE
	if [ -f "$1" ]; then echo "$1"; else echo "$top/workloads/$1.profile"; fi
}

profile_key() { # FILE KEY DEFAULT
	local v
	v=$(sed -n "s/^[ \t]*$2[ \t]*=[ \t]*\([^ \t#]*\).*/\1/p" "$1" | tail -n1)
	echo "${v:-$3}"
}

to_bytes() { # 64m | 1g | 4096
	local n=${1%[kKmMgG]}
	case $1 in
	*[kK]) echo $((n << 10)) ;;
	*[mM]) echo $((n << 20)) ;;
	*[gG]) echo $((n << 30)) ;;
	*) echo "$1" ;;
	esac
}

profile_jobs() { # FILE
	local p
	p=$(profile_key "$1" pressure none)
	[ "$p" = none ] || tr ',' '\n' <<<"$p" | sed '/^$/d'
}

# --- options ---------------------------------------------------------------

cmd=${1:-}
[ $# -gt 0 ] && shift
results=${PINRACE_RESULTS:-} runtime=21600 owner=$PPID profile='' dirs=()
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=${2:?}; shift ;;
	--runtime) runtime=${2:?}; shift ;;
	--owner) owner=${2:?}; shift ;;
	-*) usage ;;
	*) if [ -z "$profile" ]; then profile=$1; else dirs+=("$1"); fi ;;
	esac
	shift
done

case $cmd in
jobs)
	[ -n "$profile" ] || usage
	pf=$(profile_file "$profile")
	[ -f "$pf" ] || die 2 "no profile '$profile'"
	profile_jobs "$pf"
	exit 0
	;;
start | stop | _supervise) ;;
*) usage ;;
esac
[ -n "$results" ] || die 2 "no results folder (--results, or PINRACE_RESULTS)"
pdir=$results/pressure

if [ "$cmd" = stop ]; then
	pid=$(cat "$pdir/supervisor.pid" 2>/dev/null) || exit 0
	if kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
	fi
	[ ! -f "$results/pressure.txt" ] || cat "$results/pressure.txt" >&2
	exit 0
fi

pf=$(profile_file "$profile")
[ -f "$pf" ] || die 2 "no profile '$profile' (workloads/$profile.profile)"
[[ $runtime =~ ^[0-9]+$ ]] || die 2 "--runtime wants seconds, not '$runtime'"
mapfile -t pjobs < <(profile_jobs "$pf")
for j in "${pjobs[@]}"; do
	[ -f "$top/workloads/$j.fio" ] || die 2 "profile $pf names job '$j': no workloads/$j.fio"
done
for d in "${dirs[@]}"; do [ -d "$d" ] || die 2 "$d: no such directory"; done

if [ "$cmd" = _supervise ]; then
	supervise
	exit 0
fi

# --- start -------------------------------------------------------------------

if [ ${#pjobs[@]} -eq 0 ]; then
	log "profile $(profile_key "$pf" name "$profile") names no pressure jobs"
	exit 0
fi
[ ${#dirs[@]} -gt 0 ] || die 2 "start needs at least one scratch DIR for the jobs"
need_cmd fio jq timeout setsid
mkdir -p "$pdir" || die 2 "cannot create $pdir"
if old=$(cat "$pdir/supervisor.pid" 2>/dev/null) && kill -0 "$old" 2>/dev/null; then
	log "already running (supervisor $old)"
	exit 0
fi
rm -f "$pdir/started"
setsid bash "$0" _supervise "$profile" "${dirs[@]}" --results "$results" \
	--runtime "$runtime" --owner "$owner" </dev/null >>"$pdir/supervisor.log" 2>&1 &
for _ in $(seq 300); do
	[ -s "$pdir/started" ] && break
	kill -0 $! 2>/dev/null || break
	sleep 0.5
done
[ -s "$pdir/started" ] || die 1 "the pressure supervisor did not start: $(tail -n1 "$pdir/supervisor.log")"
log "$(cat "$pdir/started")"
