#!/usr/bin/env bash
# The fault-injection suite on the real local stack: a steady stream of builds (synthetic builder,
# BUILD_TIME each) while every kind of fault is injected, one at a time and overlapping; then every
# accepted build is checked against the databases, S3 and the registry, and one line is printed:
#   faults N, builds B: published exactly once P, failed with a reason F, lost 0, duplicated 0, stuck 0, longest recovery S s
# Exit code 0 only when nothing was lost, duplicated or stuck. Definitions: docs/benchmarks.md.
# Run `mvn -B package -DskipTests` first.
# Usage: bench/faults.sh [FAULTS] [OUTAGE_SECONDS] [BUILD_TIME]
#   FAULTS: comma-separated steps; a step of faults joined by + injects them at the same time:
#     kill:build-worker kill:artifact-service kill:pack-publisher kill:spec-service-intake
#     kill:spec-service-relay outage:kafka outage:postgres outage:s3 outage:registry
#     rewind:build-worker rewind:artifact-service rewind:pack-publisher rewind:spec-service poison
set -euo pipefail
cd "$(dirname "$0")/.."
all="kill:build-worker,kill:artifact-service,kill:pack-publisher,kill:spec-service-intake,kill:spec-service-relay"
all="$all,outage:kafka,outage:postgres,outage:s3,outage:registry"
all="$all,poison,rewind:build-worker+rewind:artifact-service,rewind:pack-publisher+rewind:spec-service"
all="$all,outage:s3+kill:build-worker,outage:postgres+kill:pack-publisher"
faults="${1:-$all}"
outage="${2:-30}"
build_time="${3:-3s}"
# The synthetic builder is refused in the prod profile; `bench` is a profile no configuration names.
export QUARKUS_PROFILE=bench
export BYOOS_WORKER_SYNTHETIC_BUILDER_ENABLED=true
export BYOOS_WORKER_SYNTHETIC_BUILDER_BUILD_TIME="$build_time"
# Only team bench's builds are synthetic: every 15th spec is team bench-real's, built for real.
export BYOOS_WORKER_SYNTHETIC_BUILDER_TEAMS=bench
# Eight synthetic builds at once per worker (as bench/load.sh): it keeps up with one spec a second.
export SMALLRYE_MESSAGING_WORKER_BUILDS_MAX_CONCURRENCY=8
. bench/stack.sh
data=target/bench-faults
start_stack "$data"
token=$(java -jar deploy/devstack/target/byoos-devstack.jar token --data-dir "$data" --team bench,bench-real --role submitter)
echo "faults: $faults; outages of $outage s, synthetic build time $build_time;" \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
java -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp deploy/devstack/target/byoos-devstack.jar \
  bench/FaultBench.java "$data" "$token" bench "$faults" "$outage"
