#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md and writes raw results to benchmarks/results/<UTC time>/ and a short
# summary to benchmarks/results/SUMMARY.md. About 15 minutes on 2 cores.
#
#   benchmarks/run.sh              build if a jar is missing, then run everything
#   benchmarks/run.sh --rebuild    mvn -q -B -DskipTests package at the root first, always
#   RUNS=21 JDKS=17,25 benchmarks/run.sh   fewer start-up rounds or JDKs (defaults: 21, every JDK found)
#   E2E_FORKS=5 benchmarks/run.sh  forks per end-to-end variant (default 3)
#   QUICK=1 benchmarks/run.sh      smoke test of the harness (3 rounds, JMH 1 x 0.2 s, 1 fork): figures meaningless
#
# Start-up: startup.py (interleaved runs of a trivial app, bare / empty agent / portres / portres with 10,000 rules,
# on JDK 17, 25 and the JDKs of .cache/jdks/jdks.properties). Per-bind in process: JMH, 1 fork x 3 warm-up x 5
# measured iterations of 1 s each (error bars are wide on purpose: the whole run stays short). End to end, on JDK 17
# and 25: a real ServerSocketChannel bind/close with and without -javaagent (bare, unmatched, matched by port,
# matched by class 20 frames up, Linux backend), 3 forks per variant (system calls dominate and vary by fork).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

agent="$root/agent/target/portres-agent.jar"
bench="$here/target/benchmarks.jar"
if [[ "${1:-}" == "--rebuild" || ! -f "$agent" || ! -f "$bench" ]]; then
  echo "== building: mvn -q -B -DskipTests package" >&2
  mvn -q -B -DskipTests package
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$here/results/$stamp"
mkdir -p "$out"
start=$SECONDS
# Measure copies: a build running at the same time (mvn verify rebuilds these) must not swap a jar mid-run.
mkdir -p "$out/jars"
cp "$agent" "$out/jars/portres-agent.jar"
cp "$bench" "$out/jars/benchmarks.jar"
cp "$here"/target/*-trivial-app.jar "$out/jars/trivial-app.jar"
cp "$here"/target/*-empty-agent.jar "$out/jars/empty-agent.jar"
agent="$out/jars/portres-agent.jar"
bench="$out/jars/benchmarks.jar"
{
  echo "commit: $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "agent jar sha256: $(sha256sum "$agent" | cut -c1-16)"
  echo "uncommitted changes to tracked files: $(git -C "$root" status --porcelain 2>/dev/null | grep -vc '^??')"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "kernel: $(uname -r)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "mvn: $(mvn -B -v 2>/dev/null | head -1)"
} > "$out/machine.txt"

echo "== start-up (startup.py), results in $out" >&2
jdk_args=()
[[ -n "${JDKS:-}" ]] && jdk_args=(--jdks "$JDKS")
runs="${RUNS:-21}"
[[ -n "${QUICK:-}" ]] && runs=3
python3 "$here/startup.py" --runs "$runs" --attribute --out "$out" "${jdk_args[@]}" --agent-jar "$agent" \
  --app-jar "$out/jars/trivial-app.jar" --empty-agent-jar "$out/jars/empty-agent.jar" > /dev/null

quick=()
if [[ -n "${QUICK:-}" ]]; then
  quick=(-wi 1 -i 1 -w 200ms -r 200ms)
fi
jmh() { # <name> <java args...>: one JMH run, JSON and text output
  local name="$1"; shift
  echo "== JMH $name" >&2
  java "$@" "${quick[@]}" -rf json -rff "$out/jmh-$name.json" > "$out/jmh-$name.txt" 2>&1 \
    || { tail -30 "$out/jmh-$name.txt" >&2; exit 1; }
}

# The agent's core is isolated inside its jar (META-INF/portres/core/, a multi-release root that only the agent's
# own loader reads): the in-process benchmarks put it on the class path as a jar of its own.
core="$out/jars/agent-core.jar"
rm -rf "$out/core" && mkdir -p "$out/core"
(cd "$out/core" && unzip -q "$agent" 'META-INF/portres/core/*' && printf 'Multi-Release: true\n' > manifest.txt)
jar --create --file "$core" --manifest "$out/core/manifest.txt" -C "$out/core/META-INF/portres/core" .
cp="$bench:$core"
jmh dispatcher-17 -cp "$cp" org.openjdk.jmh.Main 'io\.portres\.agent\.hook\.(DispatcherBench|CallPathBench)\.'
j25="$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -1 || true)"
if [[ -n "$j25" ]]; then
  jmh dispatcher-25 -cp "$cp" org.openjdk.jmh.Main 'io\.portres\.agent\.hook\.(DispatcherBench|CallPathBench)\.' \
    -p policy=small -jvm "$j25"
fi
# The two ways StackCapture reads the stack, alone (why class conditions use getClassContext).
jmh stack-reads-17 -cp "$bench" org.openjdk.jmh.Main 'io\.portres\.bench\.StackReadBench\.'
if [[ -n "$j25" ]]; then
  jmh stack-reads-25 -cp "$bench" org.openjdk.jmh.Main 'io\.portres\.bench\.StackReadBench\.' -jvm "$j25"
fi

# End to end: benchmarks.jar alone on the class path, so that the agent's classes come from the -javaagent jar only.
# Per JDK: bare (both methods: bindCloseDeep's bare run is the by-class reference), no rule matches, matched by port
# (audit), matched by class 20 frames up (audit), matched by port in enforce on the Linux backend. Each agent run
# names the rule it must match, or none (EndToEndBind checks it through the agent's MBean after measuring; -foe: a
# run that did not measure what it is named after fails run.sh).
e2e='io\.portres\.bench\.EndToEndBind\.'
e2e_forks="${E2E_FORKS:-3}"
[[ -n "${QUICK:-}" ]] && e2e_forks=1
e2e_run() { # <jdk feature> <java> <variant> <method regex> [policy rule]
  local feature="$1" java_bin="$2" variant="$3" method="$4" policy="${5:-}" rule="${6:-}"
  local args=(-cp "$bench" org.openjdk.jmh.Main "$e2e$method" -f "$e2e_forks" -foe true -jvm "$java_bin")
  if [[ -n "$policy" ]]; then
    args+=(-jvmArgsAppend "-javaagent:$agent=$out/policies/$policy.yaml -Dportres.bench.expectRule=$rule")
  fi
  jmh "e2e-$feature-$variant" "${args[@]}"
}
e2e_jdk() { # <jdk feature> <java>
  e2e_run "$1" "$2" bare '(bindClose|bindCloseDeep)$'
  e2e_run "$1" "$2" nomatch 'bindClose$' nomatch none
  e2e_run "$1" "$2" match 'bindClose$' match-port0 ephemeral
  e2e_run "$1" "$2" class 'bindCloseDeep$' match-class app
  if [[ "$(uname -s)" == Linux ]]; then
    e2e_run "$1" "$2" linux 'bindClose$' match-port0-linux ephemeral
  fi
}
e2e_jdk 17 "$(command -v java)"
if [[ -n "$j25" ]]; then
  e2e_jdk 25 "$j25"
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
echo "run time: $((SECONDS - start)) s" >> "$out/machine.txt"
python3 "$here/report.py" "$out" > "$out/summary.md"
[[ -n "${QUICK:-}" ]] || cp "$out/summary.md" "$here/results/SUMMARY.md"
cat "$out/summary.md"
echo "== done in $((SECONDS - start)) s: $out" >&2
