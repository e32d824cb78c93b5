#!/usr/bin/env bash
# Runs every test: unit tests, and the forked-JVM integration tests with the packaged agent on JDK 8, 11, 17, 21,
# 25, 26 and 27, plus a smoke test on 28-ea (reported loudly when it fails, never failing the build). JDK 8, 11, 21,
# 26, 27 and 28 come from Debian's archive through scripts/jdks.sh (the exact packages and their SHA-256 sums are
# pinned in scripts/jdks.lock; cached in .cache/jdks); a JDK it cannot provide is reported loudly by the tests,
# which then run on the others.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# gcc and make build the Windows-semantics simulator (winsim/) that the Windows backend's tests run against.
if ! command -v gcc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  echo "[test] installing gcc and make for winsim/ (apt-get)"
  { apt-get update -qq && apt-get install -y -qq gcc make libc6-dev; } >/dev/null \
    || echo "WARNING: could not install gcc/make; the simulator-backed Windows tests will fail" >&2
fi
# A non-English locale for the Linux backend's test that bind failures are told apart in any language.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  echo "[test] generating the de_DE.UTF-8 locale (localedef)"
  { command -v localedef >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq locales; }; } >/dev/null \
    && localedef -i de_DE -f UTF-8 de_DE.UTF-8 \
    || echo "WARNING: could not generate de_DE.UTF-8; LinuxBackendIT's locale test will fail" >&2
fi
bash scripts/jdks.sh || echo "WARNING: scripts/jdks.sh failed; the tests will say which JDKs are missing" >&2
# The Windows JVM under Wine for WindowsJvmIT (installs wine64 and mingw-w64 when it can; says loudly when not).
bash scripts/windows-jvm.sh || echo "WARNING: scripts/windows-jvm.sh failed; WindowsJvmIT will be skipped" >&2
mvn -B verify "$@"
