#!/usr/bin/env bash
# Benchmarks README command 1 (`./byoos run --once`) on this machine:
#   cold: no local stack data (.devstack wiped), a source touched so the command rebuilds the services
#         (the workers' debootstrap base cache, ~/.cache/byoos/debootstrap-bases, is kept: the bootable
#         Debian example's base is made once per machine)
#   warm: the same command again: build up to date, data kept (the unchanged spec's build is reused)
# and the example spec's submit-to-published time from the cold run. Prints a Markdown table.
# Usage: bench/main-job.sh [runs]   (default 3 runs of each)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
log=$(mktemp -d)

measure() { # $1 = log file; prints wall seconds
  local start end
  start=$(date +%s%N)
  ./byoos run --once > "$1" 2>&1 || { echo "run failed, see $1" >&2; exit 1; }
  end=$(date +%s%N)
  printf '%d.%d' $(( (end - start) / 1000000000 )) $(( (end - start) / 100000000 % 10 ))
}

echo "| run | cold (s) | warm (s) | submit → PUBLISHED, cold run (s) |"
echo "|---|---|---|---|"
for i in $(seq 1 "$runs"); do
  if [ -d .devstack ]; then
    java -jar deploy/devstack/target/byoos-devstack.jar wipe --data-dir .devstack > /dev/null
  fi
  # Touch a source so the command's own `mvn package` really rebuilds the services.
  touch spec-service/src/main/java/dev/byoos/spec/rest/SpecResource.java
  cold=$(measure "$log/cold-$i.log")
  published=$(grep -E '^ +[0-9.]+ s  PUBLISHED$' "$log/cold-$i.log" | awk '{print $1}')
  warm=$(measure "$log/warm-$i.log")
  printf '| %d | %s | %s | %s |\n' "$i" "$cold" "$warm" "$published"
done
echo
echo "logs: $log"
