#!/usr/bin/env bash
# The headline figure: wall time from submitting examples/debian-12-minimal.yaml to its pack being
# published (debootstrap base from the warm cache, layers, GPT disk with systemd-boot, qcow2, the
# UEFI boot smoke test under qemu, upload, verification, signing, promotion, pack push).
# Each run starts from wiped local-stack data, so neither the spec history (REUSED) nor the
# worker's image cache can answer it; only the debootstrap base cache (~/.cache/byoos) is kept,
# and a first, unreported run warms it.
# Usage: bench/headline.sh [runs]   (default 3 reported runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
log=$(mktemp -d)

run_once() { # $1 = log file; prints submit -> PUBLISHED seconds as the command followed it
  if [ -d .devstack ]; then
    java -jar deploy/devstack/target/byoos-devstack.jar wipe --data-dir .devstack > /dev/null
  fi
  ./byoos run --once --spec examples/debian-12-minimal.yaml > "$1" 2>&1 || { echo "run failed, see $1" >&2; exit 1; }
  grep -E '^ +[0-9.]+ s  PUBLISHED$' "$1" | awk '{print $1}'
}

run_once "$log/warm-up.log" > /dev/null
echo "| run | submit → PUBLISHED (s) | boot test |"
echo "|---|---|---|"
for i in $(seq 1 "$runs"); do
  published=$(run_once "$log/run-$i.log")
  boot=$(grep -oE '^  boot test .*' "$log/run-$i.log" | sed 's/^  boot test *//' || true)
  printf '| %d | %s | %s |\n' "$i" "$published" "${boot:-not reported}"
done
echo
echo "logs: $log"
