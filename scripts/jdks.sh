#!/usr/bin/env bash
# scripts/jdks.sh - provide the JDKs of portres' integration-test matrix (8, 11, 17, 21, 25, 26, 27)
# and the early-access JDK of the smoke test (28-ea).
#
#   scripts/jdks.sh               fetch what is missing (exactly the packages of scripts/jdks.lock),
#                                 verify every JDK, write the properties file and print a summary
#   scripts/jdks.sh --strict      same, but exit 1 if any JDK of the matrix is missing (not 28-ea)
#   scripts/jdks.sh --refresh     re-fetch (and re-verify) every pinned package even if the cache has it
#   scripts/jdks.sh --update-lock re-resolve the newest versions in Debian's signed package lists and
#                                 rewrite scripts/jdks.lock (for a developer; never run by CI)
#   scripts/jdks.sh --print       just print the properties file (exit 1 if there is none)
#   scripts/jdks.sh --help
#
# Where things go (cache = $PORTRES_JDK_CACHE, default <repo>/.cache/jdks):
#   <cache>/jdks.properties        "N=/abs/launcher", one line per WORKING JDK, nothing else
#   <cache>/jdk-homes.properties   "N=/abs/jdk/home" (the JDK home, e.g. for jcmd or JDK 8's tools.jar)
#   <cache>/jdks-report.txt        the last summary (versions, warnings, reasons for missing JDKs)
#   <cache>/openjdk-N/java         launcher for JDK N (a tiny sh script that execs the real bin/java)
#   <cache>/openjdk-N/root/        JDK 8/11/21/26/27/28: the dpkg -x'ed Debian packages
#   <cache>/glibc/root/            trixie's libc6, dpkg -x'ed (only if a JDK needs a newer glibc)
#   <cache>/debs/                  downloads in progress (a verified .deb is deleted once unpacked)
#   <cache>/apt/, apt-lists/, apt-cache/   the PRIVATE apt state of --update-lock
#   <cache>/logs/                  download/apt/patchelf output of the last run
#
# Where the JDKs come from (the exact versions and SHA-256 sums are in scripts/jdks.lock):
#   8  : openjdk-8-{jre,jdk}-headless  from Debian sid       (needs glibc >= 2.38 -> patched, see below)
#   11 : openjdk-11-{jre,jdk}-headless from Debian bullseye  (runs as is on bookworm)
#   17 : the machine's default JDK ('java' on PATH, /usr/lib/jvm/java-17-openjdk-amd64)
#   21 : openjdk-21-{jre,jdk}-headless from Debian trixie    (needs glibc >= 2.38 -> patched)
#   25 : the machine's Temurin 25 (/usr/lib/jvm/temurin-25*)
#   26 : openjdk-26-{jre,jdk}-headless from Debian sid       (needs glibc >= 2.38 -> patched)
#   27 : openjdk-27-{jre,jdk}-headless from Debian sid       (needs glibc >= 2.38 -> patched)
#   28 : openjdk-28-{jre,jdk}-headless from Debian sid, early access: SMOKE TEST ONLY (never fails CI)
# The -jdk-headless packages are needed too: they carry jdk.attach (11+) and tools.jar +
# libattach.so (8), which the attach tests use.
#
# Pinning and verification: every .deb is downloaded by its pool path (the mirror, then
# snapshot.debian.org at the lock's snapshot time) and its size and SHA-256 must equal the line of
# scripts/jdks.lock BEFORE it is unpacked. A mismatch, or a package the archive no longer has, is a
# hard error for that JDK: it is reported MISSING (loudly, with the reason) and never used. There is
# no trusted=yes and no unverified fallback anywhere. The lock itself is written by --update-lock
# from Debian's package lists, which apt accepts only with a valid signature of the Debian archive
# keyring (a missing or bad signature aborts --update-lock); so the chain is: archive key ->
# InRelease -> Packages -> SHA-256 in the lock (reviewed in the commit) -> the .deb we unpack.
#
# glibc: bookworm has glibc 2.36. The sid/trixie JDKs need >= 2.38, so trixie's libc6 (pinned too)
# is unpacked into <cache>/glibc and every ELF file of those JDKs is patched with patchelf:
# PT_INTERP -> <cache>/glibc/.../ld-linux-x86-64.so.2 and DT_RPATH prefixed with the private
# glibc directory. DT_RPATH (not RUNPATH) is inherited by everything the JVM loads, so libc,
# libm, ... all come from the private glibc, while libz/libstdc++ come from the machine.
# We deliberately do NOT export LD_LIBRARY_PATH from the launchers: it would be inherited by
# every process the JVM starts, and any machine binary (sh, git, ...) then dies with
#   "symbol lookup error: .../libc.so.6: undefined symbol: __tunable_is_initialized, version GLIBC_PRIVATE"
# (the machine's 2.36 ld.so cannot load a 2.41 libc). With the patched files the JDK's own
# tools (bin/javac, bin/jcmd, lib/jspawnhelper, ...) also work when run directly.
# Whether a JDK needs the private glibc is read from the verified .deb's own Depends line.
#
# The machine's apt state is never touched by the JDK downloads. The only change to the machine
# is 'apt-get install patchelf' (the machine's own, signed apt) if patchelf is missing; failing
# that, bullseye's patchelf pinned in the lock is unpacked into the cache.
#
# Idempotent: a JDK whose stamp (layout + the pinned SHA-256 sums) matches and whose launcher runs
# is not fetched again; each run re-verifies every JDK (-version, a class compiled with javac
# --release 8, a trivial -javaagent whose stderr must be empty, and a self-attach + loadAgent
# through the attach API). A JDK is MISSING (left out of jdks.properties) if it cannot be fetched
# and verified or -version / Hello / -javaagent fails; output on stderr under -javaagent, or a
# broken attach API, is a loud WARNING. Works without a TTY (CI=true); never prompts. Downloads are
# retried 3 times; a JDK that still cannot be fetched is reported MISSING (exit 0 unless --strict).

set -uo pipefail
umask 022

LAYOUT_VERSION=2              # bump to force a rebuild of every extracted JDK (2: pinned by jdks.lock)
MATRIX=(8 11 17 21 25 26 27 28)
SMOKE=(28)                    # early access: fetched and verified, reported loudly, never fails --strict
declare -A SUITE=([8]=sid [11]=bullseye [21]=trixie [26]=sid [27]=sid [28]=sid)
GLIBC_SUITE=trixie
PATCHELF_SUITE=bullseye       # patchelf 0.12 runs on bookworm's glibc
KEYRING=${PORTRES_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}   # --update-lock only
DEFAULT_MIRROR=http://deb.debian.org/debian
SNAPSHOT_BASE=https://snapshot.debian.org/archive/debian

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${PORTRES_JDK_CACHE:-$REPO_ROOT/.cache/jdks}
LOCK_FILE=${PORTRES_JDK_LOCK:-$REPO_ROOT/scripts/jdks.lock}
PROPS_NAME=jdks.properties

usage() {
  sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

MODE=run STRICT=0 REFRESH=0
for arg in "$@"; do
  case $arg in
    --print) MODE=print ;;
    --strict) STRICT=1 ;;
    --refresh) REFRESH=1 ;;
    --update-lock) MODE=update-lock ;;
    -h|--help) usage; exit 0 ;;
    *) echo "jdks.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

is_smoke() { local s; for s in "${SMOKE[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }

if [[ $MODE == print ]]; then
  if [[ -s $CACHE/$PROPS_NAME ]]; then cat "$CACHE/$PROPS_NAME"; exit 0; fi
  echo "jdks.sh: $CACHE/$PROPS_NAME does not exist yet; run scripts/jdks.sh first" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------------
# helpers
log()  { printf '[jdks] %s\n' "$*" >&2; }
die()  { printf '[jdks] FATAL: %s\n' "$*" >&2; exit 3; }

# retry N cmd... : run cmd up to N times, sleeping 5s, 10s, ... in between
retry() {
  local max=$1 n=1; shift
  until "$@"; do
    (( n >= max )) && return 1
    log "  attempt $n of $max failed: $*; retrying in $((n * 5))s"
    sleep $((n * 5)); n=$((n + 1))
  done
}

# single-quote a string for sh
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# major version from `java -version` output on stdin
java_major() {
  local v
  v=$(awk -F'"' '/ version "/ { print $2; exit }')
  [[ -n $v ]] || return 1
  [[ $v == 1.* ]] && v=${v#1.}
  printf '%s\n' "${v%%[!0-9]*}"
}

java_version_string() { awk -F'"' '/ version "/ { print $2; exit }'; }

# run a java command with a clean environment (no JAVA_TOOL_OPTIONS etc. that would add stderr noise)
jrun() { env -u JAVA_TOOL_OPTIONS -u _JAVA_OPTIONS -u JDK_JAVA_OPTIONS -u LD_LIBRARY_PATH -u CLASSPATH timeout 180 "$@"; }

is_elf() { local m; LC_ALL=C IFS= read -r -n4 m < "$1" 2>/dev/null; [[ $m == $'\177ELF' ]]; }

write_if_changed() {  # write_if_changed FILE MODE  (content on stdin)
  local f=$1 mode=$2 tmp
  tmp=$(mktemp "$f.XXXXXX") || return 1
  cat > "$tmp"
  chmod "$mode" "$tmp"
  if [[ -f $f ]] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; else mv -f "$tmp" "$f"; fi
}

# ---------------------------------------------------------------------------------------------
# setup of the cache
[[ $CACHE == *:* ]] && die "PORTRES_JDK_CACHE must not contain ':' (it ends up in ELF rpaths): $CACHE"
mkdir -p "$CACHE" || die "cannot create cache directory $CACHE"
CACHE=$(cd "$CACHE" && pwd -P)
[[ -w $CACHE ]] || die "cache directory $CACHE is not writable"
LOGS=$CACHE/logs
STATE=$(mktemp -d "${TMPDIR:-/tmp}/portres-jdks.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$STATE"' EXIT
mkdir -p "$LOGS"

for tool in dpkg dpkg-deb apt-get apt-cache flock timeout awk sed sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found (this script expects Debian)"
done

exec 9> "$CACHE/.lock"
if ! flock -n 9; then
  log "another jdks.sh is running on $CACHE; waiting for it (up to 30 min)"
  flock -w 1800 9 || die "could not lock $CACHE/.lock"
fi

ARCH=$(dpkg --print-architecture)
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------------------------------------
# private apt configuration
APT_DIR=$CACHE/apt
APT_CONF=$APT_DIR/apt.conf
APT_SOURCES=$APT_DIR/sources.list

# The mirror the machine uses: the first Debian (non-security) URI in /etc/apt/sources.list(.d),
# i.e. one whose suites include a Debian release name. The machine reaches Debian's archive only
# through its configured mirror, so we reuse that host. PORTRES_DEBIAN_MIRROR overrides.
DEBIAN_SUITE_RE='^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)(-updates|-backports)?$'
find_mirror() {
  local f uri=""
  [[ -n ${PORTRES_DEBIAN_MIRROR:-} ]] && { echo "${PORTRES_DEBIAN_MIRROR%/}"; return; }
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    if [[ $f == *.sources ]]; then
      uri=$(awk -v re="$DEBIAN_SUITE_RE" '
        function flush(  i, n, u, x) {
          if (enabled && types ~ /(^| )deb( |$)/ && uris != "" && uris !~ /security/) {
            n = split(suites, x, " ")
            for (i = 1; i <= n; i++) if (x[i] ~ re) { split(uris, u, " "); print u[1]; done = 1; exit }
          }
          types = ""; uris = ""; suites = ""; enabled = 1
        }
        BEGIN { enabled = 1 }
        /^[[:space:]]*$/ { flush(); next }
        /^[[:space:]]*#/ { next }
        { key = tolower($1); $1 = "" }
        key == "types:"   { types = $0 }
        key == "uris:"    { uris = $0 }
        key == "suites:"  { suites = $0 }
        key == "enabled:" { if ($0 ~ /[Nn][Oo]/) enabled = 0 }
        END { if (!done) flush() }' "$f")
    else
      uri=$(awk -v re="$DEBIAN_SUITE_RE" '
        $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                      if ($i !~ /security/ && $(i + 1) ~ re) { print $i; exit } }' "$f")
    fi
    uri=${uri//[[:space:]]/}
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  echo "$DEFAULT_MIRROR"
}

MIRROR=$(find_mirror)

# The providers run in subshells: what must happen once per run is marked with files in $STATE.
APT_READY=0
apt_setup() {
  (( APT_READY )) && return 0
  mkdir -p "$APT_DIR" "$CACHE/apt-lists/partial" "$CACHE/apt-cache/archives/partial" "$CACHE/debs"
  MIRROR=$(find_mirror)
  {
    echo "// Private apt configuration of scripts/jdks.sh; used only with 'apt-get -c $APT_CONF'."
    echo "// It keeps the machine's apt.conf.d (proxies, mirror settings) but uses its own sources,"
    echo "// lists and cache, so the machine's apt state is untouched."
    echo "Dir::Etc::SourceList \"$APT_SOURCES\";"
    echo "Dir::Etc::SourceParts \"/dev/null\";"
    echo "Dir::State::Lists \"$CACHE/apt-lists\";"
    echo "Dir::Cache \"$CACHE/apt-cache\";"
    echo "Dir::Cache::Archives \"$CACHE/apt-cache/archives\";"
    echo "Acquire::Languages \"none\";"
    echo "Acquire::Retries \"3\";"
    echo "Acquire::http::Timeout \"60\";"
    echo "Acquire::https::Timeout \"60\";"
    echo "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled \"false\";"
    # the machine's hooks (appstream, packagekit, ...) are not for our private lists
    echo "#clear APT::Update::Pre-Invoke;"
    echo "#clear APT::Update::Post-Invoke;"
    echo "#clear APT::Update::Post-Invoke-Success;"
    echo "#clear DPkg::Pre-Invoke;"
    echo "#clear DPkg::Post-Invoke;"
    # downloads go to directories owned by the invoking user; _apt may not be able to write there
    [[ $(id -u) == 0 ]] && echo "APT::Sandbox::User \"root\";"
  } | write_if_changed "$APT_CONF" 644
  APT_READY=1
}

apt_priv() { apt-get -c "$APT_CONF" -q "$@"; }
apt_cache_priv() { apt-cache -c "$APT_CONF" "$@"; }

# Signed-by the Debian archive keyring only. bookworm's debian-archive-keyring (2023.3+deb12u2)
# has the trixie keys, which also sign sid. A suite whose signature cannot be checked is a hard
# error: --update-lock never writes versions or sums it could not authenticate.
apt_update_signed() {
  apt_setup
  [[ -s $KEYRING ]] || { log "ERROR: $KEYRING is missing: Debian's package lists cannot be authenticated"; return 1; }
  {
    echo "# Private apt sources of scripts/jdks.sh --update-lock (not used by the machine's apt)."
    for s in bullseye trixie sid; do echo "deb [arch=$ARCH signed-by=$KEYRING] $MIRROR $s main"; done
  } > "$APT_SOURCES"
  local log=$LOGS/apt-update.log attempt
  for attempt in 1 2 3; do
    log "apt-get update (private lists: bullseye trixie sid from $MIRROR, signed-by $KEYRING), attempt $attempt"
    # apt-get update exits 0 when an index could not be fetched ("W: Failed to fetch"): that fails too
    if apt_priv -o Acquire::AllowInsecureRepositories=false -o Acquire::AllowDowngradeToInsecureRepositories=false \
         update > "$log" 2>&1 && ! grep -qE '^(E:|W:)' "$log"; then
      return 0
    fi
    if grep -qE 'GPG error|NO_PUBKEY|not signed|EXPKEYSIG|KEYEXPIRED|BADSIG|OpenPGP signature|signatures couldn.t be verified|is not signed' "$log"; then
      log "ERROR: the signature of Debian's package lists could not be verified with $KEYRING (see $log):"
      grep -E '^(E|W):' "$log" | head -n 10 | sed 's/^/[jdks]     /' >&2
      return 1
    fi
    sleep $((attempt * 5))
  done
  log "ERROR: private apt-get update failed (see $log):"
  grep -E '^(E|W):' "$log" | head -n 10 | sed 's/^/[jdks]     /' >&2
  return 1
}

# resolve_version PKG SUITE -> the version of PKG in SUITE (from the private lists)
resolve_version() {
  apt_cache_priv madison "$1" 2>/dev/null \
    | awk -F'|' -v s="$2" '$3 ~ (" " s "/") { gsub(/[[:space:]]/, "", $2); print $2; exit }'
}

# ---------------------------------------------------------------------------------------------
# the lock: "ROLE SUITE PACKAGE VERSION SIZE SHA256 POOL-PATH" lines, plus "snapshot TIMESTAMP"
declare -A LOCK_LINES=()
SNAPSHOT=""
read_lock() {
  [[ -r $LOCK_FILE ]] || { log "ERROR: $LOCK_FILE is missing (scripts/jdks.sh --update-lock writes it)"; return 1; }
  local role suite pkg ver size sha path extra
  while read -r role suite pkg ver size sha path extra; do
    [[ -z $role || $role == \#* ]] && continue
    if [[ $role == snapshot ]]; then SNAPSHOT=$suite; continue; fi
    if [[ -z $path || -n $extra || ! $sha =~ ^[0-9a-f]{64}$ || ! $size =~ ^[0-9]+$ || $path != pool/*.deb ]]; then
      log "ERROR: malformed line in $LOCK_FILE: $role $suite $pkg $ver $size $sha $path $extra"; return 1
    fi
    LOCK_LINES[$role]+="${LOCK_LINES[$role]:+$'\n'}$suite $pkg $ver $size $sha $path"
  done < "$LOCK_FILE"
}

# lock_field ROLE PACKAGE FIELD(suite|version|size|sha256|path)
lock_field() {
  awk -v p="$2" -v f="$3" '$2 == p { i = (f == "suite") ? 1 : (f == "version") ? 3 : (f == "size") ? 4 : (f == "sha256") ? 5 : 6; print $i; exit }' \
    <<< "${LOCK_LINES[$1]:-}"
}

# the SHA-256 sums of a role's packages, for stamps
lock_sums() { awk '{ printf "%s%s", sep, $5; sep = "," }' <<< "${LOCK_LINES[$1]:-}"; }

# fetch_pinned ROLE PACKAGE -> prints the path of the verified .deb in $CACHE/debs.
# On failure prints the reason (one line) and returns 1. Nothing unverified is ever left behind.
fetch_pinned() {
  local role=$1 pkg=$2 ver size sha path f url got reasons=()
  ver=$(lock_field "$role" "$pkg" version); size=$(lock_field "$role" "$pkg" size)
  sha=$(lock_field "$role" "$pkg" sha256); path=$(lock_field "$role" "$pkg" path)
  [[ -n $sha ]] || { echo "$pkg is not pinned in $LOCK_FILE (role $role); run scripts/jdks.sh --update-lock"; return 1; }
  mkdir -p "$CACHE/debs"
  f=$CACHE/debs/${path##*/}
  local urls=("$MIRROR/$path")
  [[ -n $SNAPSHOT ]] && urls+=("$SNAPSHOT_BASE/$SNAPSHOT/$path")
  for url in "${urls[@]}"; do
    rm -f "$f" "$f.part"
    if ! retry 3 curl -fsSL --connect-timeout 30 --max-time 1800 -o "$f.part" "$url" >> "$LOGS/download.log" 2>&1; then
      reasons+=("$url: download failed"); continue
    fi
    got=$(stat -c %s "$f.part")
    if [[ $got != "$size" ]]; then
      reasons+=("$url: $got bytes, the lock says $size"); rm -f "$f.part"; continue
    fi
    got=$(sha256sum "$f.part" | cut -d' ' -f1)
    if [[ $got != "$sha" ]]; then
      log "  SECURITY: $url has SHA-256 $got, but $LOCK_FILE pins $sha: NOT USED"
      reasons+=("$url: SHA-256 MISMATCH ($got, pinned $sha)"); rm -f "$f.part"; continue
    fi
    mv -f "$f.part" "$f"
    echo "$f"; return 0
  done
  local joined
  joined=$(printf '%s; ' "${reasons[@]}")
  echo "cannot fetch a verified $pkg=$ver: ${joined%; } (if the archive dropped this version: scripts/jdks.sh --update-lock)"
  return 1
}

# --update-lock: the newest version of every package in its suite, with the size, SHA-256 and pool
# path from the signed package lists. Writes the lock only if every package resolved.
update_lock() {
  apt_update_signed || die "--update-lock needs authenticated package lists; $LOCK_FILE is unchanged"
  local out=$STATE/lock n role pkg suite ver rec size sha path
  local -a entries=()
  for n in "${MATRIX[@]}"; do
    [[ -n ${SUITE[$n]:-} ]] || continue
    entries+=("jdk$n ${SUITE[$n]} openjdk-$n-jre-headless" "jdk$n ${SUITE[$n]} openjdk-$n-jdk-headless")
  done
  entries+=("glibc $GLIBC_SUITE libc6" "patchelf $PATCHELF_SUITE patchelf")
  {
    echo "# scripts/jdks.lock - the exact Debian packages scripts/jdks.sh unpacks, and their SHA-256 sums."
    echo "# Written by 'scripts/jdks.sh --update-lock' ($(date -u +%Y-%m-%dT%H:%MZ)) from the signed lists of $MIRROR;"
    echo "# review the diff before committing it. scripts/jdks.sh refuses any .deb whose size or SHA-256 differs."
    echo "# snapshot: where a package is fetched from once the mirror no longer has it (snapshot.debian.org)."
    echo "snapshot $(date -u -d '+1 day' +%Y%m%dT000000Z)"
    echo "# role suite package version size sha256 pool-path"
  } > "$out"
  for e in "${entries[@]}"; do
    read -r role suite pkg <<< "$e"
    ver=$(resolve_version "$pkg" "$suite")
    [[ -n $ver ]] || die "--update-lock: $pkg not found in Debian $suite; $LOCK_FILE is unchanged"
    rec=$(apt_cache_priv show "$pkg=$ver" 2>/dev/null | awk -v RS= 'NR == 1')
    size=$(awk '/^Size: / { print $2; exit }' <<< "$rec")
    sha=$(awk '/^SHA256: / { print $2; exit }' <<< "$rec")
    path=$(awk '/^Filename: / { print $2; exit }' <<< "$rec")
    [[ $sha =~ ^[0-9a-f]{64}$ && -n $size && $path == pool/*.deb ]] \
      || die "--update-lock: no Size/SHA256/Filename for $pkg=$ver; $LOCK_FILE is unchanged"
    echo "$role $suite $pkg $ver $size $sha $path" >> "$out.lines"
    log "  $role: $pkg $ver ($suite)"
  done
  if command -v column > /dev/null; then column -t < "$out.lines" >> "$out"; else cat "$out.lines" >> "$out"; fi
  if [[ -f $LOCK_FILE ]] && diff -u <(grep -v '^#' "$LOCK_FILE" | grep -v '^snapshot ') <(grep -v '^#' "$out" | grep -v '^snapshot ') > "$STATE/lock.diff"; then
    log "$LOCK_FILE: no package changed"
    return 0
  fi
  cat "$STATE/lock.diff" >&2 2>/dev/null
  cp "$out" "$LOCK_FILE" && log "wrote $LOCK_FILE; run scripts/jdks.sh --refresh to fetch and verify, then commit it"
}

# the version X in "libc6 (>= X)" of a .deb's Depends/Pre-Depends, or empty
deb_libc_requirement() {
  { dpkg-deb -f "$1" Depends; dpkg-deb -f "$1" Pre-Depends; } 2>/dev/null \
    | grep -oE 'libc6 \(>= [^)]+\)' | sed -E 's/.*>= ([^)]+)\)/\1/' | sort -V | tail -n 1
}

system_libc_version() {
  dpkg-query -W -f='${Version}' libc6 2>/dev/null || ldd --version 2>/dev/null | awk 'NR==1 { print $NF }'
}

# ---------------------------------------------------------------------------------------------
# private glibc (trixie libc6) and patchelf
GLIBC_ROOT=$CACHE/glibc/root
GLIBC_LIBDIR="" GLIBC_VERSION=""

glibc_find() {
  local ld
  ld=$(find "$GLIBC_ROOT" -type f -name 'ld-linux-x86-64.so.2' 2>/dev/null | head -n 1)
  [[ -n $ld ]] || return 1
  "$ld" --version > /dev/null 2>&1 || return 1
  GLIBC_LIBDIR=$(dirname "$ld")
  GLIBC_VERSION=$(head -n 1 "$CACHE/glibc/stamp" 2>/dev/null)
  [[ -n $GLIBC_VERSION ]]
}

ensure_glibc() {
  local want
  want=$(lock_sums glibc)
  [[ -n $want ]] || { echo "libc6 is not pinned in $LOCK_FILE (role glibc); run scripts/jdks.sh --update-lock"; return 1; }
  if [[ -e $STATE/glibc-done ]] || { (( ! REFRESH )) && [[ $(sed -n 's/^sha256=//p' "$CACHE/glibc/stamp" 2>/dev/null) == "$want" ]]; }; then
    glibc_find && return 0
  fi
  [[ $ARCH == amd64 ]] || { echo "private glibc is only set up for amd64 (this is $ARCH)"; return 1; }
  local ver deb
  ver=$(lock_field glibc libc6 version)
  log "fetching libc6 $ver ($(lock_field glibc libc6 suite)), pinned SHA-256 ${want:0:16}..."
  deb=$(fetch_pinned glibc libc6) || { echo "needs the private glibc, but: $deb"; return 1; }
  rm -rf "$GLIBC_ROOT.new" && mkdir -p "$GLIBC_ROOT.new" \
    && dpkg -x "$deb" "$GLIBC_ROOT.new" \
    || { rm -f "$deb"; echo "dpkg -x $deb failed"; return 1; }
  rm -rf "$GLIBC_ROOT" && mv "$GLIBC_ROOT.new" "$GLIBC_ROOT" && rm -f "$deb"
  printf '%s\nsha256=%s\n' "$ver" "$want" > "$CACHE/glibc/stamp"
  glibc_find || { echo "the unpacked libc6 $ver has no working ld-linux-x86-64.so.2"; return 1; }
  touch "$STATE/glibc-done"
}

PATCHELF=""
ensure_patchelf() {
  [[ -n $PATCHELF ]] && return 0
  PATCHELF=$(command -v patchelf) && return 0
  PATCHELF=""
  local sudo=""
  [[ $(id -u) == 0 ]] || { command -v sudo > /dev/null && sudo="sudo -n"; }
  if [[ $(id -u) == 0 || -n $sudo ]]; then
    log "installing patchelf with the machine's apt"
    {
      $sudo apt-get install -y -q -o DPkg::Lock::Timeout=300 patchelf \
        || { $sudo apt-get update -q -o DPkg::Lock::Timeout=300 && $sudo apt-get install -y -q -o DPkg::Lock::Timeout=300 patchelf; }
    } >> "$LOGS/patchelf-install.log" 2>&1
    PATCHELF=$(command -v patchelf) && return 0
    PATCHELF=""
  fi
  # fallback: the pinned patchelf of the lock (bullseye's 0.12, runs on bookworm), unpacked into the cache
  local want deb
  want=$(lock_sums patchelf)
  if [[ -x $CACHE/tools/usr/bin/patchelf && $(cat "$CACHE/tools/stamp" 2>/dev/null) == "$want" ]] \
     && "$CACHE/tools/usr/bin/patchelf" --version > /dev/null 2>&1; then
    PATCHELF=$CACHE/tools/usr/bin/patchelf; return 0
  fi
  log "installing patchelf failed (see $LOGS/patchelf-install.log); fetching the pinned patchelf"
  if deb=$(fetch_pinned patchelf patchelf); then
    rm -rf "$CACHE/tools" && mkdir -p "$CACHE/tools" && dpkg -x "$deb" "$CACHE/tools" && rm -f "$deb"
    echo "$want" > "$CACHE/tools/stamp"
    if "$CACHE/tools/usr/bin/patchelf" --version > /dev/null 2>&1; then PATCHELF=$CACHE/tools/usr/bin/patchelf; return 0; fi
    deb="the pinned patchelf does not run"
  fi
  echo "patchelf is not available (apt-get install patchelf failed, see $LOGS/patchelf-install.log; $deb)"
  return 1
}

# patch_tree HOME: make every ELF file of HOME use the private glibc
patch_tree() {
  local home=$1 ld=$GLIBC_LIBDIR/ld-linux-x86-64.so.2 f rp n=0
  while IFS= read -r -d '' f; do
    is_elf "$f" || continue
    if "$PATCHELF" --print-interpreter "$f" > /dev/null 2>&1; then
      "$PATCHELF" --set-interpreter "$ld" "$f" || { echo "patchelf --set-interpreter failed on $f"; return 1; }
    fi
    rp=$("$PATCHELF" --print-rpath "$f" 2>/dev/null) || continue   # not dynamically linked
    case ":$rp:" in *":$GLIBC_LIBDIR:"*) continue ;; esac
    "$PATCHELF" --force-rpath --set-rpath "$GLIBC_LIBDIR${rp:+:$rp}" "$f" \
      || { echo "patchelf --set-rpath failed on $f"; return 1; }
    n=$((n + 1))
  done < <(find "$home" -type f -print0)
  log "  patched $n ELF files of $(basename "$home") for glibc in $GLIBC_LIBDIR"
}

# fix_symlinks ROOT HOME: repoint absolute symlinks (into /etc/java-N-openjdk, /etc/ssl/...) to
# the extracted copies, so the JDK works without the package being installed
fix_symlinks() {
  local root=$1 home=$2 l t src
  while IFS= read -r -d '' l; do
    t=$(readlink "$l")
    [[ $t == /* ]] || continue
    if [[ $t == /etc/ssl/certs/java/cacerts ]]; then
      if [[ ! -s $root$t ]]; then
        mkdir -p "$(dirname "$root$t")"
        for src in /etc/ssl/certs/java/cacerts /usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts \
                   /usr/lib/jvm/temurin-25*/lib/security/cacerts; do
          [[ -s $src ]] && { cp -L "$src" "$root$t"; break; }
        done
      fi
      [[ -s $root$t ]] || { log "  WARNING: no cacerts found for $(basename "$home") (TLS will not work)"; continue; }
    fi
    if [[ -e $root$t || -L $root$t ]]; then
      ln -sfnr "$root$t" "$l" || { echo "cannot repoint $l"; return 1; }
    elif [[ ! -e $t ]]; then
      case $t in
        /usr/share/doc/*|/usr/share/man/*) ;;
        *) log "  note: $(basename "$home"): ${l#"$home"/} -> $t is dangling" ;;
      esac
    fi
  done < <(find "$root" -path "$root/usr/share/doc" -prune -o -type l -print0)
}

# ---------------------------------------------------------------------------------------------
# per-JDK providers. Each runs in a subshell; on failure it prints the reason (last line of stdout)
declare -A LAUNCHER HOME_OF ORIGIN VERSION WARNINGS NOTES REASON

write_launcher() {  # write_launcher N REAL_JAVA COMMENT...
  local n=$1 java=$2; shift 2
  mkdir -p "$CACHE/openjdk-$n"
  {
    echo "#!/bin/sh"
    echo "# Generated by scripts/jdks.sh: JDK $n launcher."
    local c; for c in "$@"; do echo "# $c"; done
    echo "exec $(shq "$java") \"\$@\""
  } | write_if_changed "$CACHE/openjdk-$n/java" 755
}

launcher_works() {  # launcher_works N
  local out
  out=$(jrun "$CACHE/openjdk-$1/java" -version 2>&1) || return 1
  [[ $(java_major <<< "$out") == "$1" ]]
}

provide_debian() {  # provide_debian N  (in a subshell)
  local n=$1 dir=$CACHE/openjdk-$1 role=jdk$1
  local jre=openjdk-$n-jre-headless jdk=openjdk-$n-jdk-headless ver jver sums
  ver=$(lock_field "$role" "$jre" version)
  jver=$(lock_field "$role" "$jdk" version)
  [[ -n $ver && -n $jver ]] || { echo "$jre/$jdk are not pinned in $LOCK_FILE (role $role); run scripts/jdks.sh --update-lock"; return 1; }
  [[ $jver == "$ver" ]] || { echo "$LOCK_FILE pins $jdk $jver but $jre $ver"; return 1; }
  sums=$(lock_sums "$role")
  # the stamp names the pinned sums, so a new lock re-fetches; the glibc sums matter only if patched
  local stamp_want="layout=$LAYOUT_VERSION cache=$CACHE sha256=$sums"
  if (( ! REFRESH )) && [[ -f $dir/stamp ]] && grep -qxF "$stamp_want" "$dir/stamp" \
     && { ! grep -q '^glibc=' "$dir/stamp" || grep -qxF "glibc-sha256=$(lock_sums glibc)" "$dir/stamp"; } \
     && launcher_works "$n"; then
    return 0
  fi
  [[ $ARCH == amd64 ]] || { echo "only amd64 is supported for the Debian JDKs (this is $ARCH)"; return 1; }
  local suite need sysver glibc_note="" d1 d2
  suite=$(lock_field "$role" "$jre" suite)
  log "fetching $jre and $jdk $ver ($suite), pinned SHA-256 $sums"
  d1=$(fetch_pinned "$role" "$jre") || { echo "$d1"; return 1; }
  d2=$(fetch_pinned "$role" "$jdk") || { rm -f "$d1"; echo "$d2"; return 1; }
  need=$(deb_libc_requirement "$d1")
  sysver=$(system_libc_version)
  local patch=0
  if [[ -n $need ]] && ! dpkg --compare-versions "$sysver" ge "$need"; then
    patch=1
    ensure_glibc || { rm -f "$d1" "$d2"; return 1; }
    ensure_patchelf || { rm -f "$d1" "$d2"; return 1; }
    glibc_note="needs glibc >= $need (machine: $sysver): patched to use libc6 $GLIBC_VERSION from $GLIBC_SUITE in $GLIBC_LIBDIR"
  fi
  local new=$dir/root.new
  rm -rf "$new" && mkdir -p "$new"
  dpkg -x "$d1" "$new" && dpkg -x "$d2" "$new" || { rm -f "$d1" "$d2"; echo "dpkg -x of $jre/$jdk failed"; return 1; }
  rm -f "$d1" "$d2"
  local home_rel
  home_rel=$(cd "$new" && find usr/lib/jvm -mindepth 1 -maxdepth 1 -type d -name "java-$n-openjdk-*" | head -n 1)
  [[ -n $home_rel && -x $new/$home_rel/bin/java ]] || { echo "no usr/lib/jvm/java-$n-openjdk-*/bin/java in $jre"; return 1; }
  fix_symlinks "$new" "$new/$home_rel" || return 1
  if (( patch )); then patch_tree "$new/$home_rel" || return 1; fi
  rm -rf "$dir/root" && mv "$new" "$dir/root" || { echo "cannot move $new into place"; return 1; }
  local comment=("openjdk-$n-{jre,jdk}-headless $ver from Debian $suite (pinned in scripts/jdks.lock, SHA-256 verified), unpacked with dpkg -x.")
  if (( patch )); then
    comment+=("Its ELF files were patched (patchelf: interpreter + DT_RPATH) to use libc6 $GLIBC_VERSION from $GLIBC_SUITE;"
              "no LD_LIBRARY_PATH is needed (and none leaks into processes the JVM starts).")
  fi
  write_launcher "$n" "$dir/root/$home_rel/bin/java" "${comment[@]}"
  {
    echo "$stamp_want"
    echo "package=$jre $ver ($suite, SHA-256 verified)"
    echo "home=$dir/root/$home_rel"
    if [[ -n $glibc_note ]]; then echo "glibc=$glibc_note"; echo "glibc-sha256=$(lock_sums glibc)"; fi
  } > "$dir/stamp"
  launcher_works "$n" || { echo "$dir/java -version fails after unpacking: $(jrun "$dir/java" -version 2>&1 | head -n 3 | tr '\n' ' ')"; return 1; }
}

provide_local() {  # provide_local N CANDIDATE_JAVA...
  local n=$1 c real out; shift
  for c in "$@"; do
    [[ -n $c && -x $c ]] || continue
    real=$(readlink -f "$c")
    out=$(jrun "$real" -version 2>&1) || continue
    if [[ $(java_major <<< "$out") == "$n" ]]; then
      write_launcher "$n" "$real" "The machine's JDK $n (no download)."
      { echo "layout=$LAYOUT_VERSION cache=$CACHE"; echo "home=$(dirname "$(dirname "$real")")"; echo "package=machine's $real"; } \
        > "$CACHE/openjdk-$n/stamp"
      return 0
    fi
  done
  echo "no JDK $n on this machine (looked at: $*)"
  return 1
}

provide() {  # provide N -> 0 if the launcher exists and -version works; else REASON[N]
  local n=$1 rc
  (
    case $n in
      17) provide_local 17 "$(command -v java 2>/dev/null)" /usr/lib/jvm/java-17-openjdk-amd64/bin/java ;;
      25) provide_local 25 $(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | sort -V -r) ;;
      *)  provide_debian "$n" ;;
    esac
  ) > "$STATE/out.$n"
  rc=$?
  if (( rc != 0 )); then
    REASON[$n]=$(grep -v '^$' "$STATE/out.$n" | tail -n 1)
    [[ -n ${REASON[$n]} ]] || REASON[$n]="setup failed (exit $rc)"
    return 1
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# self test fixtures: Hello (compiled with --release 8), a trivial agent jar, a self-attach check
FIXTURE_SRC=$(cat <<'EOF'
//// Hello.java
public class Hello {
    public static void main(String[] args) {
        System.out.println("hello " + System.getProperty("java.version"));
    }
}
//// SelftestAgent.java
public class SelftestAgent {
    public static void premain(String args, java.lang.instrument.Instrumentation inst) { }
    public static void agentmain(String args, java.lang.instrument.Instrumentation inst) {
        System.setProperty("portres.selftest.agentmain", "loaded");
    }
}
//// AttachCheck.java
import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;

public class AttachCheck {
    public static void main(String[] args) throws Exception {
        String name = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
        String pid = name.substring(0, name.indexOf('@'));
        Class<?> vmClass;
        try {
            vmClass = Class.forName("com.sun.tools.attach.VirtualMachine");
        } catch (ClassNotFoundException e) { // JDK 8: the attach API is in lib/tools.jar
            File tools = new File(System.getProperty("java.home"), "../lib/tools.jar");
            ClassLoader cl = new URLClassLoader(new URL[] { tools.toURI().toURL() }, AttachCheck.class.getClassLoader());
            vmClass = Class.forName("com.sun.tools.attach.VirtualMachine", true, cl);
        }
        Object vm = vmClass.getMethod("attach", String.class).invoke(null, pid);
        vmClass.getMethod("loadAgent", String.class).invoke(vm, args[0]);
        vmClass.getMethod("detach").invoke(vm);
        String loaded = System.getProperty("portres.selftest.agentmain");
        if (!"loaded".equals(loaded)) throw new IllegalStateException("agentmain did not run");
        System.out.println("attach-ok");
    }
}
EOF
)
FIXTURES=""
FIXTURE_PROBLEM=""
build_fixtures() {
  local hash dir javac jar c
  hash=$(printf '%s\n%s' "$LAYOUT_VERSION" "$FIXTURE_SRC" | sha256sum | cut -c1-16)
  dir=$CACHE/selftest/$hash
  if [[ -f $dir/ok ]]; then FIXTURES=$dir; return 0; fi
  javac="" jar=""
  for c in "$(command -v javac 2>/dev/null)" /usr/lib/jvm/java-17-openjdk-amd64/bin/javac \
           $(ls -d /usr/lib/jvm/temurin-25*/bin/javac 2>/dev/null) \
           "$CACHE/openjdk-21/root/usr/lib/jvm/java-21-openjdk-amd64/bin/javac"; do
    [[ -n $c && -x $c ]] || continue
    c=$(readlink -f "$c")
    [[ -x $(dirname "$c")/jar ]] || continue
    javac=$c jar=$(dirname "$c")/jar; break
  done
  [[ -n $javac ]] || { FIXTURE_PROBLEM="no javac/jar found to build the self test"; return 1; }
  rm -rf "$dir" && mkdir -p "$dir/src" "$dir/classes"
  awk -v d="$dir/src" '/^\/\/\/\/ / { f = d "/" $2; next } { print > f }' <<< "$FIXTURE_SRC"
  printf 'Premain-Class: SelftestAgent\nAgent-Class: SelftestAgent\n' > "$dir/manifest.txt"
  if ! env -u JAVA_TOOL_OPTIONS -u _JAVA_OPTIONS "$javac" -Xlint:-options --release 8 -d "$dir/classes" "$dir"/src/*.java > "$dir/javac.log" 2>&1 \
     || ! (cd "$dir/classes" && env -u JAVA_TOOL_OPTIONS "$jar" cfm "$dir/agent.jar" "$dir/manifest.txt" SelftestAgent.class) >> "$dir/javac.log" 2>&1; then
    FIXTURE_PROBLEM="building the self test with $javac failed: $(head -n 5 "$dir/javac.log" | tr '\n' ' ')"
    return 1
  fi
  touch "$dir/ok"
  find "$CACHE/selftest" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" -exec rm -rf {} + 2>/dev/null
  FIXTURES=$dir
}

# verify N: writes $STATE/verify.N with lines version=, warn=, note=, fail=
verify() {
  local n=$1 l=$CACHE/openjdk-$1/java out err rc f=$STATE/verify.$1 d=$STATE/v$1
  mkdir -p "$d"
  : > "$f"
  jrun "$l" -version > "$d/o" 2> "$d/e"; rc=$?
  if (( rc != 0 )); then echo "fail=$l -version exited $rc: $(head -n 3 "$d/e" | tr '\n' ' ')" >> "$f"; return; fi
  echo "version=$(java_version_string < "$d/e")" >> "$f"
  [[ $(java_major < "$d/e") == "$n" ]] || { echo "fail=$l -version reports '$(head -n 1 "$d/e")', not JDK $n" >> "$f"; return; }
  [[ -n $FIXTURES ]] || return
  local cp=$FIXTURES/classes agent=$FIXTURES/agent.jar
  # 1. a class compiled with --release 8
  jrun "$l" -cp "$cp" Hello > "$d/o" 2> "$d/e"; rc=$?
  if (( rc != 0 )) || ! grep -q '^hello ' "$d/o"; then
    echo "fail=running Hello (javac --release 8) failed, exit $rc: $(head -n 3 "$d/e" | tr '\n' ' ')" >> "$f"; return
  fi
  [[ -s $d/e ]] && echo "warn=plain 'java -cp ... Hello' printed on stderr: $(head -c 600 "$d/e" | tr '\n' '|')" >> "$f"
  # 2. a trivial -javaagent: exit 0 and EMPTY stderr
  jrun "$l" -javaagent:"$agent" -cp "$cp" Hello > "$d/o" 2> "$d/e"; rc=$?
  if (( rc != 0 )) || ! grep -q '^hello ' "$d/o"; then
    echo "fail=java -javaagent:agent.jar Hello failed, exit $rc: $(head -n 3 "$d/e" | tr '\n' ' ')" >> "$f"; return
  fi
  [[ -s $d/e ]] && echo "warn=-javaagent printed on stderr: $(head -c 600 "$d/e" | tr '\n' '|')" >> "$f"
  # 3. dynamic attach (self attach + loadAgent) through the attach API
  jrun "$l" -Djdk.attach.allowAttachSelf=true -cp "$cp" AttachCheck "$agent" > "$d/o" 2> "$d/e"; rc=$?
  if (( rc != 0 )) || ! grep -q '^attach-ok' "$d/o"; then
    echo "warn=ATTACH API NOT WORKING (exit $rc): $(grep -v '^\s*at ' "$d/e" | head -n 3 | tr '\n' ' ')" >> "$f"
  elif [[ -s $d/e ]]; then
    echo "note=attach + loadAgent works; stderr: '$(head -n 1 "$d/e")' (+$(($(wc -l < "$d/e") - 1)) more lines; expected on 21+ (JEP 451), -XX:+EnableDynamicAgentLoading hides it)" >> "$f"
  else
    echo "note=attach + loadAgent works" >> "$f"
  fi
}

# ---------------------------------------------------------------------------------------------
main() {
  local n start=$SECONDS
  log "JDK cache: $CACHE"
  for n in "${MATRIX[@]}"; do
    provide "$n" || log "JDK $n: ${REASON[$n]}"
  done
  build_fixtures || log "WARNING: $FIXTURE_PROBLEM (only '-version' is checked)"

  # verify in parallel (two at a time would be enough for 2 cores; JVM start-up is mostly I/O-bound)
  for n in "${MATRIX[@]}"; do
    [[ -z ${REASON[$n]:-} ]] && verify "$n" &
  done
  wait

  local props=$STATE/props homes=$STATE/homes k v available=() missing=() smoke_missing=()
  : > "$props"; : > "$homes"
  for n in "${MATRIX[@]}"; do
    if [[ -z ${REASON[$n]:-} ]]; then
      while IFS= read -r line; do
        k=${line%%=*} v=${line#*=}
        case $k in
          version) VERSION[$n]=$v ;;
          fail) REASON[$n]="verification failed: $v" ;;
          warn) WARNINGS[$n]+="${WARNINGS[$n]:+$'\n'}$v" ;;
          note) NOTES[$n]+="${NOTES[$n]:+; }$v" ;;
        esac
      done < "$STATE/verify.$n"
    fi
    if [[ -z ${REASON[$n]:-} ]]; then
      available+=("$n")
      echo "$n=$CACHE/openjdk-$n/java" >> "$props"
      v=$(sed -n 's/^home=//p' "$CACHE/openjdk-$n/stamp" 2>/dev/null)
      [[ -n $v ]] && echo "$n=$v" >> "$homes"
      ORIGIN[$n]=$(sed -n 's/^package=//p' "$CACHE/openjdk-$n/stamp" 2>/dev/null)
      v=$(sed -n 's/^glibc=//p' "$CACHE/openjdk-$n/stamp" 2>/dev/null)
      [[ -n $v ]] && ORIGIN[$n]+="; $v"
    elif is_smoke "$n"; then
      smoke_missing+=("$n")
    else
      missing+=("$n")
    fi
  done
  write_if_changed "$CACHE/$PROPS_NAME" 644 < "$props"
  write_if_changed "$CACHE/jdk-homes.properties" 644 < "$homes"

  {
    echo "=================================================================================="
    echo " portres integration-test JDKs  (scripts/jdks.sh, $((SECONDS - start))s)"
    echo "=================================================================================="
    for n in "${MATRIX[@]}"; do
      if [[ -z ${REASON[$n]:-} ]]; then
        printf ' JDK %-3s OK       %s%s\n' "$n" "$CACHE/openjdk-$n/java" "$(is_smoke "$n" && echo '   (early access: smoke test only)')"
        printf '                  java.version %s; %s\n' "${VERSION[$n]:-?}" "${ORIGIN[$n]:-}"
        [[ -n ${NOTES[$n]:-} ]] && printf '                  %s\n' "${NOTES[$n]}"
        if [[ -n ${WARNINGS[$n]:-} ]]; then
          while IFS= read -r w; do printf '          WARNING %s\n' "$w"; done <<< "${WARNINGS[$n]}"
        fi
      elif is_smoke "$n"; then
        printf ' JDK %-3s MISSING  (early-access smoke test, not part of the matrix) %s\n' "$n" "${REASON[$n]}"
      else
        printf ' JDK %-3s MISSING  %s\n' "$n" "${REASON[$n]}"
      fi
    done
    echo "----------------------------------------------------------------------------------"
    if [[ -n $FIXTURE_PROBLEM ]]; then echo " self test not run: $FIXTURE_PROBLEM"; fi
    echo " available: ${available[*]:-none}"
    if (( ${#missing[@]} )); then
      echo " !!! MISSING: ${missing[*]}  -- the integration tests for these JDKs will not run !!!"
    else
      echo " all $(( ${#MATRIX[@]} - ${#SMOKE[@]} )) JDKs of the matrix are available"
    fi
    if (( ${#smoke_missing[@]} )); then
      echo " !!! EARLY ACCESS MISSING: ${smoke_missing[*]}  -- the smoke test will not run on it !!!"
    fi
    echo " pinned by: $LOCK_FILE"
    echo " properties: $CACHE/$PROPS_NAME   (homes: $CACHE/jdk-homes.properties)"
    echo "=================================================================================="
  } | tee "$CACHE/jdks-report.txt"

  if (( STRICT && ${#missing[@]} )); then
    echo "jdks.sh --strict: missing JDK(s): ${missing[*]}" >&2
    return 1
  fi
  return 0
}

if [[ $MODE == update-lock ]]; then
  update_lock
  exit $?
fi
read_lock || die "cannot read the pinned package list"
main
