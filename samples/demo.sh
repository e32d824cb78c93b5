#!/usr/bin/env bash
# The portres demo: builds the agent and the samples if needed, starts an unmodified legacy server (plain
# ServerSocket, DatagramSocket, an RMI registry and a remote object exported on port 0) under the agent with
# samples/policies/demo.yaml, and shows where each socket landed and what the agent decided.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
agent="$root/agent/target/portres-agent.jar"
server="$here/target/classes"
if [ ! -f "$agent" ] || [ ! -d "$server/io/portres/samples" ] || [ "${PORTRES_REBUILD:-}" = 1 ]; then
  echo "== building portres (mvn package, tests skipped) ..."
  (cd "$root" && mvn -q -B package -DskipTests)
fi
rm -rf "$here/target/demo" && mkdir -p "$here/target/demo"
echo
echo "== java -javaagent:agent/target/portres-agent.jar=samples/policies/demo.yaml io.portres.samples.legacy.LegacyServer 18080 11099"
echo
java -javaagent:"$agent"="$here/policies/demo.yaml" -cp "$server" io.portres.samples.legacy.LegacyServer 18080 11099
echo
echo "== the agent's log (samples/target/demo/portres.log):"
echo
cat "$here/target/demo/portres.log"
echo
echo "== decisions recorded in samples/target/demo/events.jsonl (one JSON object per matched bind):"
echo
java -cp "$server" io.portres.samples.report.EventsTable "$here/target/demo/events.jsonl"
