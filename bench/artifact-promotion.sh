#!/usr/bin/env bash
# Benchmarks artifact upload + promotion against a plain disk copy of the same file, on the real
# local stack with artifact-service alone (no builds competing). Run `mvn -B package -DskipTests`
# first. Prints a Markdown table and the median ratio (aim: >= 0.8).
# Usage: bench/artifact-promotion.sh [SIZE_MIB] [RUNS]     (defaults: 1024 3)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-1024}"
runs="${2:-3}"
data=target/bench-artifact
rm -rf "$data"
mkdir -p "$data/work"
mkfifo "$data/stdin"
# The service as production would run it (every JIT tier), with the small heap promotion must fit.
export BYOOS_SERVICE_JAVA_OPTS="${BYOOS_SERVICE_JAVA_OPTS:--Xmx256m -XX:+UseParallelGC}"
java -jar deploy/devstack/target/byoos-devstack.jar up --data-dir "$data" --root . --services artifact-service \
  --watch-stdin < "$data/stdin" > "$data/up.log" 2>&1 &
exec 3> "$data/stdin"   # holding the pipe open keeps the stack up; closing it stops the stack
trap 'exec 3>&-; wait' EXIT
for _ in $(seq 1 240); do [ -f "$data/services.properties" ] && break; sleep 0.5; done
[ -f "$data/services.properties" ] || { echo "artifact-service did not start; see $data/up.log" >&2; exit 1; }
java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp 'artifact-service/target/quarkus-app/lib/main/*' \
  bench/ArtifactBench.java \
  "$data/endpoints.properties" "$data/work" "$size_mib" "$runs"
