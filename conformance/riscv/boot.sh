#!/bin/bash
# Boot the riscv64 kernel of build-kernel.sh under qemu-system-riscv64 -M virt (TCG) once and
# keep the console: conformance/riscv/recordings/<case>/console.log (+ qemu command line).
#   bash conformance/riscv/boot.sh CASE MEM "EXTRA CMDLINE" [extra qemu args...]
#   e.g. boot.sh sv39-1g 1G no4lvl
# Env: IMAGE (default ${HOME}/.cache/vmemlab-riscv/out/Image), INITRD (built when missing), BIOS (OpenSBI
# fw_dynamic from the Debian opensbi package), SMP (2), TIMEOUT (120 s per attempt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case=${1:?case}; mem=${2:?mem}; extra=${3:-}; shift 3 || shift $#
IMAGE=${IMAGE:-${HOME}/.cache/vmemlab-riscv/out/Image}
INITRD=${INITRD:-${HOME}/.cache/vmemlab-riscv/out/initrd-riscv.cpio.gz}
BIOS=${BIOS:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin}
SMP=${SMP:-2}
TIMEOUT=${TIMEOUT:-120}
# (re)built when missing or older than init.c
{ [ -f "$INITRD" ] && [ "$INITRD" -nt "$here/init.c" ]; } || bash "$here/build-initramfs.sh" "$INITRD"
dir=$here/recordings/$case
mkdir -p "$dir"
cmdline="console=ttyS0 earlycon=sbi log_buf_len=4M no_hash_pointers memblock=debug $extra"
qemu=(qemu-system-riscv64 -M virt -accel tcg -cpu rv64 -smp "$SMP" -m "$mem"
      -bios "$BIOS" -kernel "$IMAGE" -initrd "$INITRD" -append "$cmdline"
      -nodefaults -display none -no-reboot -serial "file:$dir/console.log" "$@")
printf '%q ' "${qemu[@]}" | sed "s#$here/##g" > "$dir/qemu-cmdline.txt"; echo >> "$dir/qemu-cmdline.txt"
# a TCG guest here once hung silently before its first console line (1 boot in ~15): one retry
for attempt in 1 2; do
  t0=$(date +%s.%N)
  timeout "$TIMEOUT" nice -n 10 "${qemu[@]}" || echo "qemu rc=$? (attempt $attempt)"
  t1=$(date +%s.%N)
  printf 'attempt %d: wall %.1f s\n' "$attempt" "$(echo "$t1 - $t0" | bc)" >> "$dir/qemu-cmdline.txt"
  grep -q '^@@DONE' "$dir/console.log" && break
  # a kernel panic (an oops that killed init, with panic=-1) is a result, not a hang
  grep -q 'Kernel panic' "$dir/console.log" && break
done
rm -f "$dir/console.log.gz"
grep -q '^@@DONE\|Kernel panic' "$dir/console.log" && bash "$here/split.sh" "$dir" >/dev/null && echo "$case: done ($(zcat "$dir/console.log.gz" | wc -c) bytes)" || { echo "$case: no @@DONE"; tail -20 "$dir/console.log"; }
