#!/usr/bin/env bash
# `make check-lava` (not part of `make check`: it installs LAVA's dispatcher,
# builds a root filesystem and boots a guest): a real LAVA run of
# setup/lava/job-qemu.yaml on this machine, with Debian's lava-dispatcher
# and no LAVA server.
#   setup/check/check-lava.sh [--kernel debian:SUITE] [--tests GLOB] [--prepare]
# (--prepare: steps 1 to 4 and lava-run --validate only, no boot)
#
#  1. installs what setup/lava/packages.txt lists (lava-dispatcher pulls
#     about 280 packages, a host kernel among them: slow the first time);
#  2. the kernel from the suite's cache (setup/guest/kernel.sh; default trixie);
#  3. a root filesystem: debootstrap --variant=minbase of this machine's
#     Debian release from the archive its apt sources name, holding what
#     `setup/host/deps.sh --host` wants (cached under $PINRACE_CACHE/lava/),
#     plus this tree built in /opt/pinrace and the kernel's modules, packed
#     as a gzip'd cpio.newc ramdisk (LAVA appends its overlay to it);
#  4. the device dictionary LAVA's qemu.jinja2 would render for this job's
#     context (TCG: no_kvm), written here since the templates ship with
#     lava-server;
#  5. LAVA's own schemas (setup/lava/validate.py: both job templates, the
#     filled job, the test definition; a faulty job must be refused) and
#     lava-run --validate; then lava-run of the job (this tree's setup/lava/
#     as a tarball: the test definition and its step), its log kept in
#     results/lava-DATE/;
#  6. checks that LAVA's results list one pinrace.* case per case of the run
#     folder the job attached to its log, with the same pass, fail and skip
#     counts as that run's results.jsonl says (lava_result), and case by
#     case the same name and result; a copy of LAVA's results with one
#     result changed and one case left out must fail all three.
# Prints "ok - ..." / "not ok - ..." lines and how long each part took
# (lava-run's step with any wait for the lock, and the LAVA job itself).
# About 3 minutes on 2 cores under TCG with the root filesystem cached.
# Boots a guest (step 5 only): PINRACE_BOOT_WRAPPER, a command prefix, wraps
# that step alone (e.g. "flock /some/lock" where guests take turns).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-lava
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"
. "$top/setup/run/args.sh"
. "$top/setup/run/tests-lib.sh"

kspec=debian:trixie tests='@(selftest-verify|selftest-kmsg|mr-pagecache-truncate|mr-fsdax-register|mr-devdax)' prepare=0
while [ $# -gt 0 ]; do
	case $1 in
	--prepare) prepare=1 && shift && continue ;;
	--kernel) need_arg --kernel "${2-}" && kspec=$2 && shift ;;
	--tests) need_arg --tests "${2-}" && tests=$2 && shift ;;
	*) die 2 "unknown option $(argq "$1") (--kernel debian:SUITE, --tests GLOB, --prepare)" ;;
	esac
	shift
done
# Bad input stops here, before anything is installed, built or created.
arg_glob --tests "$tests"
[[ $kspec == debian:* ]] || die 2 "--kernel $(argq "$kspec"): a kernel of the archive (debian:SUITE) is what the job boots"
PINRACE_PROG=check-lava bash "$top/setup/guest/kernel.sh" --check "$kspec" || exit 2
[ "$(id -u)" = 0 ] || die 2 "run as root (debootstrap, lava-run)"
t0=$(date +%s)
out=$top/results/lava-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out" || die 2 "cannot create $out"
bad=0
took() { echo "check-lava: $1 after $(($(date +%s) - t0)) s"; }

# 1. packages, the suite built
bash "$top/setup/host/deps.sh" && bash "$top/setup/host/deps.sh" "$top/setup/lava/packages.txt" ||
	die 3 "installing dependencies failed"
make -s -C "$top" all || die 3 "build failed"
took "packages and build"

# 2. the kernel
kout=$(bash "$top/setup/guest/kernel.sh" "$kspec") || die 3 "kernel $kspec: setup/guest/kernel.sh failed"
eval "$kout"
moddir=$MODROOT/lib/modules/$KVER
[ -d "$moddir" ] || die 3 "$kspec: no modules in $moddir"
took "kernel $KVER"

# 3. the root filesystem
release=$(. /etc/os-release && echo "$VERSION_CODENAME")
mirror=$(apt_archive_uri) || die 3 "no Debian archive in this machine's apt sources"
pkgs=$(sed -e '/^[^#]*@vm/d' -e 's/#.*//' -e 's/@vm//' -e 's/[[:space:]]//g' "$top/setup/host/packages.txt" | grep -v '^$' | sort -u | paste -sd,)
cache=$(pinrace_cache)/lava
base=$cache/rootfs-$release-$(printf '%s' "$pkgs" | sha256sum | cut -c1-12)
if [ ! -e "$base/.complete" ]; then
	log "debootstrap $release from $mirror into $base"
	rm -rf "$base" && mkdir -p "$base" || die 3 "cannot create $base"
	debootstrap --variant=minbase --include="$pkgs" "$release" "$base" "$mirror" >"$out/debootstrap.log" 2>&1 ||
		die 3 "debootstrap failed: see $out/debootstrap.log"
	touch "$base/.complete"
fi
root=$(mktemp -d -p "$cache" root.XXXXXX)
trap 'rm -rf "$root" "$out/rootfs.cpio.gz"' EXIT
cp -a "$base/." "$root/" || die 3 "copying $base failed"
# A smaller ramdisk: no downloaded packages, documentation or translations.
rm -rf "$root/.complete" "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/{doc,man,info,locale}
# ndctl's modprobe rule runs "ndctl load-keys" before libnvdimm, which fails
# on a machine without keys and takes every nvdimm module with it.
[ ! -e "$root/etc/modprobe.d/nvdimm-security.conf" ] || : >"$root/etc/modprobe.d/nvdimm-security.conf"
# The suite as this tree has it (tracked and new files, and build/).
mkdir -p "$root/opt/pinrace"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 cp -a --parents -t "$root/opt/pinrace") &&
	cp -a "$top/build" "$root/opt/pinrace/" || die 3 "copying the suite failed"
# The kernel's modules, without the large families no test loads.
mkdir -p "$root/lib/modules"
tar -C "$(dirname "$moddir")" -cf - --exclude='kernel/drivers/gpu' --exclude='kernel/drivers/media' \
	--exclude='kernel/drivers/net/wireless' --exclude='kernel/drivers/net/ethernet' --exclude='kernel/drivers/staging' --exclude='kernel/sound' \
	--exclude='kernel/drivers/bluetooth' --exclude='kernel/drivers/iio' "$KVER" |
	tar -C "$root/lib/modules" -xf - && depmod -b "$root" "$KVER" || die 3 "copying the modules failed"
# PID 1: mount what a shell needs, then a root shell on the console (LAVA's prompt).
cat >"$root/init" <<'EOF'
#!/bin/bash
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -sf /proc/self/fd /dev/fd
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
hostname pinrace
ip link set lo up
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PS1='root@pinrace:\w# '
while :; do setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1; done
EOF
chmod +x "$root/init"
(cd "$root" && find . -xdev | cpio -o -H newc --quiet | gzip -1) >"$out/rootfs.cpio.gz" || die 3 "packing the ramdisk failed"
rm -rf "$root"
took "root filesystem ($(du -m "$out/rootfs.cpio.gz" | cut -f1) MiB ramdisk)"

# 4. the device dictionary (what qemu.jinja2 renders for arch amd64, no_kvm)
cat >"$out/qemu-pinrace.yaml" <<'EOF'
constants:
  posix:
    lava_test_sh_cmd: /bin/sh
    lava_test_results_dir: /lava-%s
    lava_test_shell_file: ~/.bashrc
  shutdown-message: 'The system is going down for reboot NOW'
  kernel-start-message: 'Linux version [0-9]'
  default-shell-prompt: 'lava-test: # '
  spawn_maxread: '4092'
  failure_retry: 1
  boot_retry: 2
parameters:
  pass:
available_architectures:
- amd64
- x86_64
actions:
  deploy:
    connections:
      serial:
    methods:
      image:
        parameters:
          guest:
            size: 512
            interface: ide
            driveid: lavatest
  boot:
    connections:
      serial:
    methods:
      qemu:
        parameters:
          command: qemu-system-x86_64
          boot_options:
            {root: /dev/ram0, console: 'ttyS0,115200', boot_order: c}
          options:
          - -machine q35,accel=tcg
          - -cpu max
          - -nographic
          - -net nic,model=virtio,macaddr=52:54:00:12:34:58 -net user
          - -m 6144
          - -monitor none
          extra:
          - -smp 2
          - -no-reboot
timeouts:
  actions:
    apply-overlay-image:
      minutes: 5
    lava-test-shell:
      minutes: 90
    power-off:
      seconds: 10
    auto-login-action:
      minutes: 5
    boot-qemu-image:
      minutes: 10
    boot-image-retry:
      minutes: 10
  connections:
    lava-test-shell:
      seconds: 10
    auto-login-action:
      minutes: 5
EOF

# 5. the job: this tree's setup/lava/ as the test definition (from: url)
tar -C "$top" -czf "$out/pinrace-lava.tar.gz" setup/lava || die 3 "packing setup/lava failed"
sed -e "s|@KERNEL_URL@|file://$KIMAGE|; s|@RAMDISK_URL@|file://$out/rootfs.cpio.gz|" \
	-e "s|@DEFINITION_URL@|file://$out/pinrace-lava.tar.gz|; s|@TESTS@|${tests//|/\\|}|g" \
	"$top/setup/lava/job-qemu.yaml" >"$out/job.yaml"
lava-run --job-id 1 --output-dir "$out/lava" --device "$out/qemu-pinrace.yaml" --validate "$out/job.yaml" \
	>"$out/validate.log" 2>&1
say $? "lava-run --validate accepts the job and the device dictionary (see $out/validate.log)"
# LAVA's schemas, strict as a server's submission: the templates as they
# are, the filled job, the test definition; and a job with a fault put in
# (a kernel type the tftp deploy does not know) must be refused.
/usr/bin/python3 "$top/setup/lava/validate.py" "$top"/setup/lava/job-{qemu,lab}.yaml \
	"$top/setup/lava/pinrace.yaml" "$out/job.yaml" >"$out/schema.log" 2>&1 || bad=1
sed "s|$top/||" "$out/schema.log"
sed 's/^\(      url: .@KERNEL_URL@.\)$/\1\n      type: bzimage/' "$top/setup/lava/job-lab.yaml" >"$out/job-lab-faulty.yaml"
! /usr/bin/python3 "$top/setup/lava/validate.py" "$out/job-lab-faulty.yaml" >"$out/faulty.log" 2>&1 &&
	grep -q "not ok.*kernel.*type" "$out/faulty.log"
say $? "the schema check refuses a job with a fault put in: $(cut -c1-160 "$out/faulty.log" | sed "s|$out/||")"
[ $prepare = 0 ] || { took "prepared"; exit $bad; }
log "lava-run of $out/job.yaml (kernel $KVER, tests '$tests'); log in $out/lava.log"
l0=$(date +%s)
# shellcheck disable=SC2086 # a command prefix, split on purpose
LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg ${PINRACE_BOOT_WRAPPER:-} \
	lava-run --job-id 1 --output-dir "$out/lava" --device "$out/qemu-pinrace.yaml" "$out/job.yaml" \
	>"$out/lava.log" 2>&1
rc=$?
# The job's own time, from its log's first and last timestamps (the step's
# time above also holds any wait for the boot wrapper's lock).
job_s=$(jq -rRn '[inputs | fromjson? | .dt? // empty | sub("\\.[0-9]+$"; "") + "Z" | fromdate]
	| if length > 1 then max - min else "?" end' "$out/lava.log" 2>/dev/null)
took "lava-run (exit $rc, $(($(date +%s) - l0)) s, the LAVA job itself ${job_s:-?} s)"
say $rc "lava-run of the QEMU job completed: $(grep -o "result: [a-z]*" "$out/lava/result.yaml" 2>/dev/null)"

# 6. LAVA's results against the run folder the job attached
# The job log's results lines, and the guest's console (the attachment).
/usr/bin/python3 - "$out/lava.log" "$out/lava-results.tsv" "$out/console.txt" <<'EOF' || true
import sys, yaml
res, con = open(sys.argv[2], "w"), open(sys.argv[3], "w")
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if line.startswith("- "):
        line = line[2:]
    if "results" not in line and "target" not in line:
        continue
    try:
        d = yaml.safe_load(line)
    except Exception:
        continue
    if not isinstance(d, dict):
        continue
    m = d.get("msg")
    if d.get("lvl") == "results" and isinstance(m, dict):
        res.write("%s\t%s\t%s\n" % (m.get("definition"), m.get("case"), m.get("result")))
    elif d.get("lvl") == "target" and isinstance(m, str):
        con.write(m.rstrip("\r") + "\n")
EOF
sed -n '/<pinrace-run-folder /,/<\/pinrace-run-folder>/p' "$out/console.txt" | sed '1d;$d' |
	base64 -d 2>/dev/null | tar -C "$out" -xJf - 2>/dev/null
run=$(find "$out" -mindepth 2 -maxdepth 2 -name kernels.tsv -printf '%h\n' | head -n1)
[ -n "$run" ]
say $? "the job attached its run folder to the log: ${run:-none}"
# parity RUN TSV: LAVA's results (TSV: definition, case, result) against
# RUN's results.jsonl: as many pinrace.* cases, the same pass/fail/skip
# counts, case by case the same name and result. "ok"/"not ok" lines.
parity() {
	local got want ncase nlava
	got=$(awk -F'\t' '$2 ~ /^pinrace\./ { print $3 }' "$2" | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')
	want=$(run_records "$1" | jq -r "$RESULTS_JQ"'lava_result' | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')
	ncase=$(run_records "$1" | grep -c .)
	nlava=$(awk -F'\t' '$2 ~ /^pinrace\./' "$2" | wc -l)
	[ "$nlava" -eq "${ncase:-0}" ] && [ "$nlava" -gt 0 ]
	say $? "LAVA's results list $nlava pinrace.* case(s) for ${ncase:-0} case(s) in results.jsonl"
	[ -n "$want" ] && [ "$got" = "$want" ]
	say $? "pass/fail/skip counts: LAVA ${got%, }; results.jsonl ${want%, }"
	diff <(run_records "$1" | jq -r "$RESULTS_JQ"'"\(case_path) \(lava_result)"' | sort) \
		<(awk -F'\t' '$2 ~ /^pinrace\./ { print $2, $3 }' "$2" | sort) >"$2.diff"
	say $? "each case under its pinrace.TEST.CASE name with its result$([ -s "$2.diff" ] && echo ": $(head -n4 "$2.diff" | paste -sd' ')")"
}
if [ -n "$run" ]; then
	parity "$run" "$out/lava-results.tsv"
	# The comparison can fail: LAVA's results with the first case's result
	# changed and the last case left out must give three "not ok".
	awk -F'\t' -v OFS='\t' '$2 ~ /^pinrace\./ && !done { $3 = $3 == "pass" ? "fail" : "pass"; done = 1 } { print }' \
		"$out/lava-results.tsv" | grep -vFx "$(grep -P '\tpinrace\.' "$out/lava-results.tsv" | tail -n1)" >"$out/faulty.tsv"
	[ "$(parity "$run" "$out/faulty.tsv" | grep -c '^not ok')" -eq 3 ]
	say $? "the comparison catches a case whose result changed and one left out: $(parity "$run" "$out/faulty.tsv" | grep -c '^not ok') of 3 not ok"
else
	say 1 "no run folder to compare LAVA's results with"
fi
took "done"
echo "check-lava: results in $out"
exit $bad
