#!/usr/bin/env bash
# Benchmarks artifact upload (build-worker's StagingStore) + promotion against a stock S3 client
# (awscli, which must be on PATH) uploading the same file to the same endpoint, on the real local
# stack with artifact-service alone (no builds competing). Run `mvn -B package -DskipTests` first.
# Prints a Markdown table, the median ratio awscli / ours (aim: >= 0.9) and artifact-service's heap.
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
export BYOOS_SERVICE_JAVA_OPTS="${BYOOS_SERVICE_JAVA_OPTS:--Xmx256m -XX:+UseParallelGC -Xlog:gc:file=$PWD/$data/artifact-gc.log}"
java -jar deploy/devstack/target/byoos-devstack.jar up --data-dir "$data" --root . --services artifact-service \
  --watch-stdin < "$data/stdin" > "$data/up.log" 2>&1 &
exec 3> "$data/stdin"   # holding the pipe open keeps the stack up; closing it stops the stack
trap 'exec 3>&-; wait' EXIT
for _ in $(seq 1 240); do [ -f "$data/services.properties" ] && break; sleep 0.5; done
[ -f "$data/services.properties" ] || { echo "artifact-service did not start; see $data/up.log" >&2; exit 1; }
command -v aws > /dev/null || { echo "awscli is not on PATH (Debian: apt-get install awscli)" >&2; exit 1; }
java -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp 'artifact-service/target/quarkus-app/lib/boot/*:artifact-service/target/quarkus-app/lib/main/*:build-worker/target/classes' \
  bench/ArtifactBench.java \
  "$data/endpoints.properties" "$data/work" "$size_mib" "$runs"
# Heap from artifact-service's GC log: the peak is the largest figure before a collection. What a
# young collection leaves is not the live set (garbage promoted to the old generation stays until a
# full one), so a full collection is forced once the runs are done, and what it leaves is the live
# set: a heap that grew with each image would show it there.
if [ -f "$data/artifact-gc.log" ]; then
  service_pid="$(head -n 1 "$data/services.pids" 2>/dev/null || true)"
  if [ -n "$service_pid" ] && jcmd "$service_pid" GC.run > /dev/null 2>&1; then
    for _ in $(seq 1 20); do grep -q 'Pause Full (Diagnostic Command)' "$data/artifact-gc.log" && break; sleep 0.5; done
  fi
  live="$(grep 'Pause Full (Diagnostic Command)' "$data/artifact-gc.log" | tail -n 1 | grep -o '[0-9]*M->[0-9]*M' | sed -E 's/.*->([0-9]+)M/\1/' || true)"
  grep -o '[0-9]*M->[0-9]*M([0-9]*M)' "$data/artifact-gc.log" | sed -E 's/([0-9]+)M->([0-9]+)M\(([0-9]+)M\)/\1 \3/' |
    awk -v live="${live:-?}" -v runs="$runs" '{ if ($1 > peak) peak = $1; cap = $2; n++ }
         END { printf "artifact-service heap: peak %d MiB used before a collection, %d MiB committed (%d collections); live after a full collection once the %d run(s) were done: %s MiB\n", peak, cap, n, runs, live }'
fi
