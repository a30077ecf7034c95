#!/bin/bash
# Install the Debian packages listed in setup/host/packages.txt that are missing.
# Idempotent and quiet when nothing is missing; runs apt-get update only when
# it has something to install. Exits non-zero if an install fails.
#   setup/host/deps.sh [--host] [LIST]
# --host: only what a lab host running ./run.sh --host needs (a LAVA device
# under test among them): the packages marked "@vm" (the guest, kernel
# downloads, the report's browser) are left out.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"

vm_only=''
[ "${1:-}" != --host ] || { vm_only='/^[^#]*@vm/d'; shift; }
list=${1:-$here/host/packages.txt}
[ -r "$list" ] || die 2 "package list '$list' not readable"

mapfile -t wanted < <(sed -e "$vm_only" -e 's/#.*//' -e 's/@vm//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')

missing=()
for p in "${wanted[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || die 1 "missing packages (${missing[*]}) and not root: cannot install"
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || die 1 "apt-get update failed"
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
	die 1 "apt-get install failed for: ${missing[*]}"

# Verify: a package apt could not find must not pass silently.
for p in "${missing[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || die 1 "package '$p' still not installed"
done
log "installed ${#missing[@]} package(s)"
