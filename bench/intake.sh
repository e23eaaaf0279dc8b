#!/usr/bin/env bash
# Benchmarks spec intake: spec-service alone on the real local stack (no builds running), N
# distinct specs at a fixed concurrency, for the dry run and for real submissions (the latter
# until the outbox has published every build request). Run `mvn -B package -DskipTests` first.
# Usage: bench/intake.sh [N] [CONCURRENCY]     (defaults: 3000 16)
set -euo pipefail
cd "$(dirname "$0")/.."
total="${1:-3000}"
concurrency="${2:-16}"
data=target/bench-intake
rm -rf "$data"
mkdir -p "$data"
mkfifo "$data/stdin"
# The service JVM as production runs it (every JIT tier), not the local stack's quick-start flags.
export BYOOS_SERVICE_JAVA_OPTS="${BYOOS_SERVICE_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}"
java -jar deploy/devstack/target/byoos-devstack.jar up --data-dir "$data" --root . --services spec-service \
  --watch-stdin < "$data/stdin" > "$data/up.log" 2>&1 &
exec 3> "$data/stdin"   # holding the pipe open keeps the stack up; closing it stops the stack
trap 'exec 3>&-; wait' EXIT
for _ in $(seq 1 240); do [ -f "$data/services.properties" ] && break; sleep 0.5; done
url=$(sed -n 's/^spec-service.url=//p' "$data/services.properties")
[ -n "$url" ] || { echo "spec-service did not start; see $data/up.log" >&2; exit 1; }
token=$(java -jar deploy/devstack/target/byoos-devstack.jar token --data-dir "$data" --team bench --role submitter)
java bench/IntakeBench.java "$url" validate "$total" "$concurrency" bench "$token"
java bench/IntakeBench.java "$url" submit "$total" "$concurrency" bench "$token"
