# shellcheck shell=bash
# Shared helpers for the setup/ scripts. Source it; it defines functions only.
#
#   log MSG...        progress line on stderr, prefixed with the script name
#   warn MSG...       same, marked as a warning
#   die CODE MSG...   one-line error on stderr, then exit CODE
#   need_cmd CMD...   die 2 unless every CMD is on PATH
#   pinrace_cache     the cache root (PINRACE_CACHE, default /var/cache/pinrace)
#   apt_archive_uri   the Debian archive URI this machine's apt sources use
#   apt_security_uri  the matching security archive URI
#   say STATUS WHAT   a check's verdict: "ok - WHAT" when STATUS is 0, else
#                     "not ok - WHAT" and bad=1 (check-*.sh scripts)

PINRACE_PROG=${PINRACE_PROG:-$(basename "${0:-pinrace}")}

log() { printf '%s: %s\n' "$PINRACE_PROG" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PINRACE_PROG" "$*" >&2; }

die() {
	local code=$1
	shift
	printf '%s: error: %s\n' "$PINRACE_PROG" "$*" >&2
	exit "$code"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die 2 "'$c' not found: run setup/host/deps.sh first"
	done
}

say() {
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2" && bad=1; fi
}

pinrace_cache() { printf '%s\n' "${PINRACE_CACHE:-/var/cache/pinrace}"; }

# Print every URI of a "deb" source this machine's apt knows about, one a line,
# in the order apt reads them (deb822 .sources files, then one-line lists).
apt_source_uris() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# Stanzas are separated by blank lines; keep URIs of Types: deb stanzas.
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			deb = 0; uris = ""; enabled = 1
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
				if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
				if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); uris = $i }
			}
			if (deb && enabled) { n = split(uris, u, /[ \t]+/); for (j = 1; j <= n; j++) print u[j] }
		}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		sed -n 's/^[ \t]*deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\).*/\2/p' "$f"
	done
}

# The Debian archive: the first source URI whose path ends in /debian.
apt_archive_uri() {
	apt_source_uris | sed 's:/*$::' | grep -m1 -E '/debian$' ||
		die 1 "no Debian archive (a URI ending in /debian) in this machine's apt sources"
}

# The security archive: the machine's own if it has one, else the archive's
# sibling path (…/debian → …/debian-security), as Debian mirrors lay it out.
apt_security_uri() {
	local u
	u=$(apt_source_uris | sed 's:/*$::' | grep -m1 -E '/debian-security$') ||
		u="$(apt_archive_uri)-security"
	printf '%s\n' "$u"
}
