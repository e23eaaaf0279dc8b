#!/usr/bin/env bash
# CPU the pipeline burns while idle: starts the local stack (synthetic builder, the service JVMs as
# bench/load.sh runs them), leaves it alone for SETTLE seconds, then reads every stack process's
# user + system time from /proc over WINDOW seconds. Prints ms of CPU per second by process.
# Run `mvn -B package -DskipTests` first.
# Usage: bench/idle.sh [SETTLE] [WINDOW]     (defaults: 45 60)
set -euo pipefail
cd "$(dirname "$0")/.."
settle="${1:-45}"
window="${2:-60}"
export BYOOS_SERVICE_JAVA_OPTS="${BYOOS_SERVICE_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}"
export QUARKUS_PROFILE=bench
export BYOOS_WORKER_SYNTHETIC_BUILDER_ENABLED=true
. bench/stack.sh
data=target/bench-idle
start_stack "$data"
echo "idle: settle ${settle} s, window ${window} s; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
sleep "$settle"

# "pid ticks name" for the stack's processes: the services by module, the devstack JVM (Kafka,
# S3Proxy), PostgreSQL and the registry.
cpu_ticks() {
  local proc cmd stat name
  for proc in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' < "$proc/cmdline" 2> /dev/null) || continue
    name=$(grep -o '[a-z-]*/target/quarkus-app\|byoos-devstack.jar up\|postgres\|docker-registry\|registry serve' \
      <<< "$cmd" | head -1 | sed 's|/target/quarkus-app||; s|byoos-devstack.jar up|kafka+s3proxy|; s| serve||') || true
    [ -n "$name" ] || continue
    stat=$(cat "$proc/stat" 2> /dev/null) || continue
    set -- ${stat##*) }
    echo "${proc#/proc/} $(( ${12} + ${13} )) $name"
  done | sort
}
cpu_ticks > "$data/idle-start"
sleep "$window"
cpu_ticks > "$data/idle-end"
# USER_HZ is 100: a tick is 10 ms.
join "$data/idle-start" "$data/idle-end" | awk -v window="$window" '
  { ms[$3] += ($4 - $2) * 10 }
  END { for (name in ms) { printf "%-18s %7.1f ms/s\n", name, ms[name] / window; total += ms[name] }
        printf "%-18s %7.1f ms/s\n", "total", total / window }' | sort -k2 -n -r
