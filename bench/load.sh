#!/usr/bin/env bash
# Load benchmark of the whole pipeline on the real local stack: N distinct specs at a fixed rate
# through spec-service's REST API, followed through every stage's events to a published pack;
# per-stage and end-to-end latency percentiles, sustained throughput, and the Kafka floor (the same
# number of hops through trivial relays on the same broker, at the same rate, in the same run).
# The build-workers use the synthetic builder (a small tar instead of a disk image, sleeping
# BUILD_TIME per build), so the pipeline is measured rather than image building.
# Run `mvn -B package -DskipTests` first.
# Usage: [BENCH_WARMUP_SECONDS=S] bench/load.sh [N] [RATE] [BUILD_WORKERS] [BUILD_TIME]     (defaults: 10; 1500 50 1 0s)
#   e.g. bench/load.sh 1500 50            the pipeline at 50 builds/s for 30 s
#        bench/load.sh 900 30 1 100ms     one worker, 100 ms builds: more than it can take
#        bench/load.sh 900 30 2 100ms     the same load on two worker processes
set -euo pipefail
cd "$(dirname "$0")/.."
total="${1:-1500}"
rate="${2:-50}"
workers="${3:-1}"
build_time="${4:-0s}"
# A warm-up at the same rate first (not counted): JIT, pools, consumer assignments. Ten seconds by
# default (the figures in docs/benchmarks.md up to round 8); BENCH_WARMUP_SECONDS=60 lets C2 finish
# the services' hot paths, as in a service that has been running for a while.
warmup=$(( rate * ${BENCH_WARMUP_SECONDS:-10} ))
# The service JVMs as production runs them (every JIT tier), not the local stack's quick-start flags.
export BYOOS_SERVICE_JAVA_OPTS="${BYOOS_SERVICE_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}"
# The synthetic builder is refused in the prod profile; `bench` is a profile no configuration names.
export QUARKUS_PROFILE=bench
export BYOOS_WORKER_SYNTHETIC_BUILDER_ENABLED=true
export BYOOS_WORKER_SYNTHETIC_BUILDER_BUILD_TIME="$build_time"
# Builds per worker at once (production: 2, for real builds that each take a core). Synthetic builds
# mostly wait on S3 and Kafka acknowledgements, so one worker needs more of them in flight.
export SMALLRYE_MESSAGING_WORKER_BUILDS_MAX_CONCURRENCY="${BENCH_WORKER_CONCURRENCY:-8}"
. bench/stack.sh
data=target/bench-load
start_stack "$data" --build-workers "$workers"
echo "load: $total specs at $rate/s, $workers build-worker(s), synthetic build time $build_time," \
  "$SMALLRYE_MESSAGING_WORKER_BUILDS_MAX_CONCURRENCY builds at once per worker; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp deploy/devstack/target/byoos-devstack.jar \
  bench/LoadBench.java "$spec_service_url" "$kafka_bootstrap" bench "$token" "$total" "$rate" "$warmup" "$data"
