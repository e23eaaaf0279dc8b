#!/usr/bin/env bash
# Benchmarks each cloud's image format as the worker writes it: the Debian 12 minimal example's
# tree built once into a tree cache, then rebuilt from it once per format (qcow2, gcp-tar, tgz, oci,
# ova, vhd) per run, boot test off, image cache off. Prints the whole build, its image phase (disk,
# format, check) and the output's size. Needs what bench/native-build.sh needs (the bookworm
# debootstrap base in ~/.cache/byoos/debootstrap-bases and the worker's Debian tools).
# Usage: bench/formats.sh [runs]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-2}"
work=$(mktemp -d /var/tmp/byoos-formats-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mvn -B -o -q package -DskipTests -pl build-worker -am
app=build-worker/target/quarkus-app
cp="$(ls "$app"/app/*.jar "$app"/lib/boot/*.jar "$app"/lib/main/*.jar | tr '\n' ':')"
inputs=$(cat "$(ls -d "$HOME"/.cache/byoos/debootstrap-bases/*/inputs.txt | head -1)")
mirror="$(sed -n 's/^mirror=//p' <<<"$inputs")"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
java -cp "$cp" bench/NativeBuildBench.java "$runs" "$work" "$mirror" formats
