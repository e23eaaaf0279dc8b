#!/usr/bin/env bash
# #19's figures side by side from one sequence: runs every harness the issue is judged by, one
# after another (each stack stopped before the next starts), and prints one Markdown table: the
# figure, its aim, what this run measured, whether the aim is met, and the harness command that
# measured it. Each harness's full output stays in target/bench-orchestration/<name>.log. Meant for
# an otherwise idle machine (the load average at each start is printed); takes about 30 minutes.
# Run `mvn -B package -DskipTests` first; the headline and the rebuild need the worker's Debian
# tools and the bookworm base cache, as bench/headline.sh and bench/native-build.sh say.
# Usage: bench/orchestration-cost.sh [--table]     (--table: print the table from the last run's logs)
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-orchestration

run() { # NAME COMMAND...: the command's output to $out/NAME.log; stops the sequence if it fails
  local name="$1"
  shift
  echo "$(date -u +%H:%M:%S) $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$@" > "$out/$name.log" 2>&1 || { echo "failed: $*; see $out/$name.log" >&2; exit 1; }
}

if [ "${1:-}" != "--table" ]; then
  rm -rf "$out"
  mkdir -p "$out"
  run load-10 env BENCH_WARMUP_SECONDS=60 bench/load.sh 300 10
  run load-2 bench/load.sh 80 2
  run saturation bench/load.sh 1500 50
  run idle bench/idle.sh 45 60
  run intake bench/intake.sh 3000 16
  run promotion bench/artifact-promotion.sh 1024 3
  run headline bench/headline.sh 1
  run rebuild bench/native-build.sh 3
  echo "$(date -u +%H:%M:%S) done" >&2
fi

# Figures from the harnesses' own summary lines.
cpu_per_build() { sed -n 's/^pipeline CPU per published build.*: \([0-9.]*\) ms (.*without the JIT compiler threads: \([0-9.]*\) ms$/\1 \2/p' "$out/$1.log"; }
end_to_end() { sed -n 's/^throughput: .*end-to-end \([0-9.]*\) builds\/s.*/\1/p' "$out/$1.log"; }
outcomes() { sed -n 's/^builds: //p' "$out/$1.log"; }
overhead() { sed -n 's/^aim .*overhead p99 \([0-9.]*\) ms, floor p99 \([0-9.]*\) ms, ratio \([0-9.]*\).*/\1 \2 \3/p' "$out/$1.log"; }
idle_without_jit() { awk '/^by process without the JIT/ { section = 1 } section && $1 == "total" { print $2; exit }' "$out/idle.log"; }
intake() { sed -n 's/^submit incl. outbox: .*: \([0-9.]*\) specs\/s$/\1/p' "$out/intake.log"; }
promotion_ratio() { sed -n 's/^median ratio[^:]*: \([0-9.]*\)$/\1/p' "$out/promotion.log"; }
promotion_heap() { sed -n 's/^artifact-service heap: //p' "$out/promotion.log"; }
headline() { awk -F'|' '$2 + 0 == 1 { gsub(/ /, "", $3); print $3 }' "$out/headline.log"; }
rebuilds() { # the tree-cached rebuilds, boot test off and on: median (min-max)
  grep -E '^tree-cached(-boot-tested)? ' "$out/rebuild.log" | awk '{ print $2 }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%s s (%s–%s s, %d rebuilds)", v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}
met() { # VALUE OPERATOR LIMIT: "met" or "not met"
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0); print (v != "" && ok) ? "met" : "not met" }'
}

read -r cpu10 cpu10_nojit <<< "$(cpu_per_build load-10)"
read -r p99_10 floor_10 ratio_10 <<< "$(overhead load-10)"
read -r p99_2 floor_2 ratio_2 <<< "$(overhead load-2)"
saturated=$(end_to_end saturation)
idle=$(idle_without_jit)
specs=$(intake)
upload=$(promotion_ratio)
headline_s=$(headline)
rebuild=$(rebuilds)
rebuild_median=${rebuild%% *}

echo
echo "#19 on $(git rev-parse --short HEAD), $(date -u +%Y-%m-%d), $(nproc) cores:"
echo
echo "| figure | aim | measured | | command |"
echo "|---|---|---|---|---|"
echo "| CPU per build across the pipeline's processes at 10/s offered, without the JIT compiler threads (with them) | ≤ 60 ms | $cpu10_nojit ms ($cpu10 ms) | $(met "$cpu10_nojit" '<=' 60) | \`BENCH_WARMUP_SECONDS=60 bench/load.sh 300 10\` |"
echo "| overhead p99 ÷ Kafka floor p99 at 10/s | ≤ 3 | $p99_10 ms ÷ $floor_10 ms = $ratio_10 | $(met "$ratio_10" '<=' 3) | same |"
echo "| overhead p99 ÷ Kafka floor p99 at 2/s | ≤ 3 | $p99_2 ms ÷ $floor_2 ms = $ratio_2 | $(met "$ratio_2" '<=' 3) | \`bench/load.sh 80 2\` |"
echo "| sustained end to end, 50/s offered | ≥ 25 builds/s | $saturated builds/s ($(outcomes saturation)) | $(met "$saturated" '>=' 25) | \`bench/load.sh 1500 50\` |"
echo "| CPU while idle, without the JIT compiler threads | near nothing | $idle ms/s | — | \`bench/idle.sh 45 60\` |"
echo "| intake, POST /api/v1/specs incl. the outbox's publication | ≥ 1000 specs/s | $specs specs/s | $(met "$specs" '>=' 1000) | \`bench/intake.sh 3000 16\` |"
echo "| headline: debian-12-minimal submit → PUBLISHED, warm base | ≤ 30 s | $headline_s s | $(met "$headline_s" '<=' 30) | \`bench/headline.sh 1\` |"
echo "| 1 GiB upload + promotion ÷ awscli's upload, same endpoint and run (median of 3) | ≥ 0.9 | $upload | $(met "$upload" '>=' 0.9) | \`bench/artifact-promotion.sh 1024 3\` |"
echo "| artifact-service's heap at -Xmx256m during that | flat | $(promotion_heap) | — | same |"
echo "| tree-cached rebuild, median (range) | ≤ 3 s | $rebuild | $(met "$rebuild_median" '<=' 3) | \`bench/native-build.sh 3\` |"
