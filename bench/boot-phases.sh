#!/usr/bin/env bash
# Where the boot smoke test's time goes: boots a raw disk the way build-worker's BootSmokeTest does
# (the same qemu-system-x86_64 arguments: q35, 1 GiB, 2 vCPUs, OVMF, a throwaway overlay, serial on
# stdout) and prints, per run, the seconds from power-on to the firmware starting the boot loader,
# the kernel's first line, /init, and the boot marker. Extra arguments go to QEMU after the test's
# own (e.g. -cpu max), to try a setting. Without /dev/kvm, TCG is used, as the test does.
# A disk: BYOOS_BENCH_KEEP=1 bench/native-build.sh 1, then its native-1/disk.raw.
# Usage: bench/boot-phases.sh DISK.raw [RUNS] [QEMU ARGS...]     (default runs: 2)
set -euo pipefail
disk=$(realpath "$1")
runs="${2:-2}"
shift $(( $# >= 2 ? 2 : 1 ))
accel=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; fi
for run in $(seq 1 "$runs"); do
  dir=$(mktemp -d)
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/vars.fd"
  qemu-img create -q -f qcow2 -b "$disk" -F raw "$dir/overlay.qcow2"
  start=$EPOCHREALTIME
  printf 'run %d (%s):' "$run" "$accel"
  # Each phase's first line stamped as it arrives (bash's own clock: no process per line, which
  # would slow the reader and with it the guest's serial port); QEMU stops once the marker is seen.
  declare -A seen=()
  while IFS= read -r line; do
    phase=
    case "$line" in
      *"BdsDxe: starting"*) phase=boot-loader ;;
      *"Linux version"*) phase=kernel ;;
      *"Run /init"*) phase=init ;;
      *BYOOS-BOOT-OK*) phase=marker ;;
    esac
    if [ -n "$phase" ] && [ -z "${seen[$phase]:-}" ]; then
      seen[$phase]=1
      printf ' %s %s s' "$phase" "$(awk -v now="$EPOCHREALTIME" -v start="$start" 'BEGIN { printf "%.1f", now - start }')"
      [ "$phase" = marker ] && break
    fi
  done < <(timeout 180 qemu-system-x86_64 -machine q35 -accel "$accel" -m 1024 -smp 2 -nodefaults \
    -no-user-config -display none -serial stdio -no-reboot \
    -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd" -drive "if=virtio,format=qcow2,file=$dir/overlay.qcow2" \
    "$@" 2>&1)
  unset seen
  echo
  pkill -f "$dir/overlay.qcow2" || true
  rm -rf "$dir"
done
