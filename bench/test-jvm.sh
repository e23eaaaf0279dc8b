#!/usr/bin/env bash
# What the test JVMs' flags cost: runs each module's tests twice, with the JVM's default JIT
# (-Dbyoos.test.jvm-options= : what build-worker and the system tests use) and with the project's
# test JVM options (C1 only, the serial collector), and prints each run's wall time and the CPU the
# whole machine was busy for over it (from /proc/stat: the test JVM, Maven and every server the
# tests start). Run it on an otherwise idle machine; run `mvn -B install -DskipTests` first.
# The default-JIT pass runs first, so the second finds the page cache warm.
# Usage: bench/test-jvm.sh [test|verify] [MODULE...]   (defaults: verify spec-service pack-publisher)
#   e.g. bench/test-jvm.sh test artifact-service
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
goal="${1:-verify}"
case "$goal" in
  test|verify) ;;
  *) echo "usage: bench/test-jvm.sh [test|verify] [MODULE...]" >&2; exit 2 ;;
esac
shift || true
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(spec-service pack-publisher)

busy_jiffies() {
  # user nice system idle iowait irq softirq: busy = user + nice + system + irq + softirq
  awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat
}

run() {
  local module=$1 label=$2 slug=$3; shift 3
  local log="target/bench-test-jvm/${module//\//_}-${slug}.log"
  local b0 t0 b1 t1 result
  b0=$(busy_jiffies); t0=$(date +%s.%N)
  if mvn -B -o "$goal" -pl "$module" "$@" > "$log" 2>&1; then result=passed; else result=FAILED; failed=1; fi
  b1=$(busy_jiffies); t1=$(date +%s.%N)
  printf '%-20s %-28s %-6s wall %6.1f s  busy CPU %6.1f s  (%s)\n' "$module" "$label" "$result" \
    "$(echo "$t1 - $t0" | bc)" "$(echo "($b1 - $b0) / $(getconf CLK_TCK)" | bc -l)" "$log"
}

failed=0
mkdir -p target/bench-test-jvm
echo "test-jvm: mvn $goal; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for module in "${modules[@]}"; do
  run "$module" "default JIT" default-jit -Dbyoos.test.jvm-options=
  run "$module" "project's test JVM options" project-options
done
exit "$failed"
