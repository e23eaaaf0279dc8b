#!/usr/bin/env bash
# CPU the pipeline burns while idle: starts the local stack (synthetic builder, the service JVMs as
# bench/load.sh runs them), leaves it alone for SETTLE seconds, then reads every stack process's
# user + system time from /proc over WINDOW seconds. Prints ms of CPU per second by process, then
# by thread (threads of one name, digits dropped, added up: e.g. every Kafka consumer thread of a
# service), and each process without its JIT compiler threads, which still compile for minutes
# after a start and make the totals of two runs differ more than the services' own work does.
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

# The stack process a command line belongs to: a service by its module, the devstack JVM (Kafka,
# S3Proxy), PostgreSQL, the registry; nothing for any other process. The JVMs are matched first:
# their command lines may name PostgreSQL too.
stack_process() {
  local jvm
  jvm=$(grep -o '[a-z-]*/target/quarkus-app\|byoos-devstack.jar up' <<< "$1" | head -1 \
    | sed 's|/target/quarkus-app||; s|byoos-devstack.jar up|kafka+s3proxy|') || true
  if [ -n "$jvm" ]; then
    echo "$jvm"
  else
    grep -o 'postgres\|docker-registry\|registry serve' <<< "$1" | head -1 | sed 's| serve||' || true
  fi
}
# Every stack process as "pid name".
stack_processes() {
  local proc cmd name
  for proc in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2> /dev/null < "$proc/cmdline") || continue
    name=$(stack_process "$cmd")
    [ -n "$name" ] && echo "${proc#/proc/} $name"
  done
  return 0
}
# "pid ticks name" for the stack's processes.
cpu_ticks() {
  local pid name stat
  stack_processes | while read -r pid name; do
    stat=$(cat "/proc/$pid/stat" 2> /dev/null) || continue
    set -- ${stat##*) }
    echo "$pid $(( ${12} + ${13} )) $name"
  done | sort -k1,1
}
# "tid|process|thread name without digits|ticks" for every thread of the stack's JVMs.
thread_ticks() {
  local pid name task stat comm
  stack_processes | while read -r pid name; do
    case "$name" in postgres | docker-registry | registry) continue ;; esac
    for task in "/proc/$pid"/task/*; do
      stat=$(cat "$task/stat" 2> /dev/null) || continue
      comm=${stat#*(}; comm=${comm%%)*}
      set -- ${stat##*) }
      echo "${task#/proc/}|$name|$(tr -d '0-9' <<< "$comm" | tr ' ' '_')|$(( ${12} + ${13} ))"
    done
  done | sort -t"|" -k1,1
}
cpu_ticks > "$data/idle-start"
thread_ticks > "$data/threads-start"
sleep "$window"
cpu_ticks > "$data/idle-end"
thread_ticks > "$data/threads-end"
# USER_HZ is 100: a tick is 10 ms.
join "$data/idle-start" "$data/idle-end" | awk -v window="$window" '
  { ms[$3] += ($4 - $2) * 10 }
  END { for (name in ms) { printf "%-18s %7.1f ms/s\n", name, ms[name] / window; total += ms[name] }
        printf "%-18s %7.1f ms/s\n", "total", total / window }' | sort -k2 -n -r
echo
echo "by thread (ms/s, top 25):"
join -t'|' "$data/threads-start" "$data/threads-end" | awk -F'|' -v window="$window" '
  { ms[$2 " " $3] += ($7 - $4) * 10 }
  END { for (k in ms) if (ms[k] > 0) printf "%7.1f  %s\n", ms[k] / window, k }' | sort -rn | head -25
echo
echo "by process without the JIT compiler threads (C1, C2):"
join -t'|' "$data/threads-start" "$data/threads-end" | awk -F'|' -v window="$window" '
  $3 !~ /CompilerThre/ { ms[$2] += ($7 - $4) * 10 }
  END { for (k in ms) { printf "%-18s %7.1f ms/s\n", k, ms[k] / window; total += ms[k] }
        printf "%-18s %7.1f ms/s\n", "total", total / window }' | sort -k2 -n -r
