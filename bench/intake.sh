#!/usr/bin/env bash
# Benchmarks spec intake: spec-service alone on the real local stack (no builds running), N
# distinct specs at a fixed concurrency, for the dry run and for real submissions (the latter
# until the outbox has published every build request), each after a warm-up of both paths (dry
# runs and submissions, then the outbox drained). Run `mvn -B package -DskipTests` first.
# Usage: bench/intake.sh [N] [CONCURRENCY]     (defaults: 3000 16)
set -euo pipefail
cd "$(dirname "$0")/.."
total="${1:-3000}"
concurrency="${2:-16}"
# The service JVM as production runs it (every JIT tier), not the local stack's quick-start flags.
export BYOOS_SERVICE_JAVA_OPTS="${BYOOS_SERVICE_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}"
. bench/stack.sh
start_stack target/bench-intake --services spec-service
java bench/IntakeBench.java "$spec_service_url" validate "$total" "$concurrency" bench "$token"
java bench/IntakeBench.java "$spec_service_url" submit "$total" "$concurrency" bench "$token"
