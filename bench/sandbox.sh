#!/usr/bin/env bash
# What the build sandbox costs per script or package-manager run, against plain chroot on the
# same tree (see bench/SandboxBench.java). Needs the bookworm debootstrap base in
# ~/.cache/byoos/debootstrap-bases (made by the build-worker tests or a first Debian build), the
# worker's Debian tools (bubblewrap, socat) and the mirror.
# Usage: bench/sandbox.sh [runs] [mirror URL]   (defaults: 10, the mirror the cached base was made from)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
inputs=$(cat "$(ls -d "$HOME"/.cache/byoos/debootstrap-bases/*/inputs.txt | head -1)")
mirror="${2:-$(sed -n 's/^mirror=//p' <<<"$inputs")}"
work=$(mktemp -d /var/tmp/byoos-sandbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mvn -B -o -q package -DskipTests -pl build-worker -am
app=build-worker/target/quarkus-app
cp="$(ls "$app"/app/*.jar "$app"/lib/boot/*.jar "$app"/lib/main/*.jar | tr '\n' ':')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -cp "$cp" bench/SandboxBench.java "$runs" "$work" "$mirror"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
