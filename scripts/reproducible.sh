#!/usr/bin/env bash
# scripts/reproducible.sh - checks that the agent jar is reproducible: builds it twice from clean, in two
# different directories (a copy of the working tree under a temporary folder, so absolute paths and file-system
# order differ too), and compares the SHA-256 of agent/target/portres-agent.jar and of the plain module jar.
#
#   scripts/reproducible.sh        exit 0 if both builds give byte-identical jars, 1 (with a diff) if not
#
# Slow (two full 'mvn package' runs, tests skipped): for a developer or a nightly job, not for every build.
# PackagingIT.everyEntryOfTheAgentJarHasTheFixedBuildTimestamp is the cheap check that runs with the tests.
# Uses only the local Maven repository (-o); nothing is installed into it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
work=$(mktemp -d "${TMPDIR:-/tmp}/portres-repro.XXXXXX")
trap 'rm -rf "$work"' EXIT

build() {  # build DIR
  (cd "$1" && mvn -o -B -q clean package -pl agent -am -DskipTests > "$work/$(basename "$1").log" 2>&1) \
    || { echo "reproducible.sh: the build in $1 failed (see $work/$(basename "$1").log)" >&2; tail -n 30 "$work/$(basename "$1").log" >&2; exit 2; }
}

for d in one two; do
  mkdir -p "$work/$d"
  # the working tree as it is (tracked and untracked files, no build output, no JDK cache)
  (cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$work/$d")
  build "$work/$d"
  sleep 2 # the second build's clock differs from the first's by at least this
done

status=0
cd "$work/one"
for j in agent/target/portres-agent.jar agent/target/portres-agent-*.jar; do
  [[ -f $work/one/$j ]] || continue
  a=$(sha256sum < "$work/one/$j" | cut -d' ' -f1); b=$(sha256sum < "$work/two/$j" | cut -d' ' -f1)
  if [[ $a == "$b" ]]; then
    echo "reproducible: $j  $a"
  else
    echo "NOT REPRODUCIBLE: $j  $a != $b" >&2
    diff <(unzip -lv "$work/one/$j") <(unzip -lv "$work/two/$j") | head -n 20 >&2 || true
    status=1
  fi
done
exit $status
