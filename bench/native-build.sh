#!/usr/bin/env bash
# Benchmarks the native builder on the Debian 12 minimal example against the floor: the disk
# commands (sfdisk, mkfs.fat + mtools, mke2fs -d, qemu-img convert -c (zstd), qemu-img check) run by
# hand on the same customized tree, plus the copy of the base tree the builder starts from. (The
# builder writes its qcow2 itself, on several cores; the floor keeps qemu-img's in-order conversion.)
# Also times cached rebuilds (an identical request served from the image cache; the same request
# from the tree cache, boot test off and, as a worker runs, on; upload excluded).
# Needs the bookworm debootstrap base in ~/.cache/byoos/debootstrap-bases (made by the
# build-worker tests or the first debian-12-minimal build) and the worker's Debian tools.
# With "formats", times instead each cloud's format as the worker writes it: the example's tree
# built once into a tree cache, then rebuilt from it once per format (qcow2, gcp-tar, tgz, oci, ova,
# vhd) per run, boot test and image cache off; prints the whole build, its image phase (disk,
# format, check) and the output's size.
# Usage: bench/native-build.sh [runs] [formats]   (default 3; BYOOS_BENCH_KEEP=1 keeps the builds)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
mode="${2:-}"
work=$(mktemp -d /var/tmp/byoos-native-bench.XXXXXX)
# BYOOS_BENCH_KEEP=1 keeps the work directory (the last build's tree and disk.raw, e.g. for
# bench/boot-phases.sh) and prints where it is.
if [ "${BYOOS_BENCH_KEEP:-0}" = 1 ]; then
  trap 'echo "kept: $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi

mvn -B -o -q package -DskipTests -pl build-worker -am
app=build-worker/target/quarkus-app
cp="$(ls "$app"/app/*.jar "$app"/lib/boot/*.jar "$app"/lib/main/*.jar | tr '\n' ':')"
# The mirror the cached base was made from (by the worker's tests or a first build of the example).
inputs=$(cat "$(ls -d "$HOME"/.cache/byoos/debootstrap-bases/*/inputs.txt | head -1)")
mirror="$(sed -n 's/^mirror=//p' <<<"$inputs")"
if [ "$mode" = formats ]; then
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
  java -cp "$cp" bench/NativeBuildBench.java "$runs" "$work" "$mirror" formats
  exit 0
fi
java -cp "$cp" bench/NativeBuildBench.java "$runs" "$work" "$mirror" | tee "$work/native.txt"

# The floor, on the last full build's own tree and with its own partition table.
built="$work/native-$runs"
base=$(ls -d "$HOME"/.cache/byoos/debootstrap-bases/*/rootfs | head -1)
table=$(sfdisk --dump "$built/disk.raw")
size=$(stat -c %s "$built/disk.raw")
esp_start=$(sed -n 's/.*start= *\([0-9]*\), size= *\([0-9]*\), type=C12A7328.*/\1/p' <<<"$table")
esp_sectors=$(sed -n 's/.*start= *\([0-9]*\), size= *\([0-9]*\), type=C12A7328.*/\2/p' <<<"$table")
root_start=$(sed -n 's/.*start= *\([0-9]*\), size= *\([0-9]*\), type=4F68BCE3.*/\1/p' <<<"$table")
root_sectors=$(sed -n 's/.*start= *\([0-9]*\), size= *\([0-9]*\), type=4F68BCE3.*/\2/p' <<<"$table")
kernel=$(ls "$built"/rootfs/boot/vmlinuz-* | sort -V | tail -1)
version=${kernel##*/vmlinuz-}

seconds() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", (e - s) / 1e9 }'; }
for run in $(seq 1 "$runs"); do
  floor="$work/floor-$run"
  mkdir -p "$floor"
  start=$(date +%s%N)
  cp -a --reflink=auto -- "$base/." "$floor/rootfs"
  copied=$(date +%s%N)
  truncate -s "$size" "$floor/disk.raw"
  sfdisk --quiet --no-reread --no-tell-kernel "$floor/disk.raw" <<<"$table"
  mkfs.fat -C -n ESP "$floor/esp.img" $((esp_sectors / 2)) > /dev/null
  mmd -i "$floor/esp.img" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
  mcopy -i "$floor/esp.img" "$built/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$floor/esp.img" "$kernel" "::/vmlinuz-$version"
  mcopy -i "$floor/esp.img" "$built/rootfs/boot/initrd.img-$version" "::/initrd.img-$version"
  mcopy -i "$floor/esp.img" "$built/loader.conf" ::/loader/loader.conf
  mcopy -i "$floor/esp.img" "$built/byoos.conf" ::/loader/entries/byoos.conf
  dd if="$floor/esp.img" of="$floor/disk.raw" bs=512 seek="$esp_start" conv=notrunc status=none
  mke2fs -q -F -t ext4 -L root -E "offset=$((root_start * 512))" -d "$built/rootfs" "$floor/disk.raw" \
    "$((root_sectors / 2))k"
  qemu-img convert -c -o compression_type=zstd -f raw -O qcow2 "$floor/disk.raw" "$floor/disk.qcow2"
  qemu-img check -f qcow2 "$floor/disk.qcow2" > /dev/null
  end=$(date +%s%N)
  echo "floor-base-copy $(seconds "$start" "$copied")"
  echo "floor-disk-and-format $(seconds "$copied" "$end")"
  echo "floor $(seconds "$start" "$end")"
  rm -rf "$floor"
done
