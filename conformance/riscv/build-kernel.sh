#!/bin/bash
# Build a small riscv64 kernel for the riscv boot recordings (docs/conformance-riscv.md).
# Not run in CI. Needs: gcc-riscv64-linux-gnu linux-source-6.12 bc bison flex libssl-dev libelf-dev
# (apt-get install). Output: $OUT/Image and $OUT/config (not committed).
#   OUT=${HOME}/.cache/vmemlab-riscv/out bash conformance/riscv/build-kernel.sh
#   PMEM=1 OUT=${HOME}/.cache/vmemlab-riscv/out-pmem bash conformance/riscv/build-kernel.sh   (+ kernel-pmem.config)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRC_TAR=${SRC_TAR:-/usr/src/linux-source-6.12.tar.xz}
WORK=${WORK:-${HOME}/.cache/vmemlab-riscv}
OUT=${OUT:-$WORK/out}
JOBS=${JOBS:-2}
mkdir -p "$WORK" "$OUT"
cd "$WORK"
[ -d linux-source-6.12 ] || tar xf "$SRC_TAR"
cd linux-source-6.12
export ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
make allnoconfig >/dev/null
# apply the fragment: scripts/config for every line, then resolve dependencies
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue;; esac
  key=${line%%=*}; val=${line#*=}; key=${key#CONFIG_}
  case "$val" in
    y) scripts/config --enable "$key";;
    n) scripts/config --disable "$key";;
    *) scripts/config --set-val "$key" "$val";;
  esac
done < <(cat "$here/kernel.config"; [ "${PMEM:-0}" = 1 ] && cat "$here/kernel-pmem.config")
make olddefconfig >/dev/null
# the fragment again (olddefconfig may have dropped a choice member), then resolve
make olddefconfig >/dev/null
missing=0
for k in 64BIT MMU FPU SPARSEMEM_VMEMMAP MEMORY_HOTPLUG MEMORY_HOTREMOVE ZONE_DEVICE PTDUMP_DEBUGFS DEBUG_FS DEBUG_VM \
         BLK_DEV_INITRD DEVTMPFS SERIAL_8250_CONSOLE SERIAL_OF_PLATFORM RISCV_ISA_FALLBACK MEMCG TRANSPARENT_HUGEPAGE HUGETLBFS; do
  grep -q "^CONFIG_$k=y" .config || { echo "build-kernel: CONFIG_$k did not stick" >&2; missing=1; }
done
if [ "${PMEM:-0}" = 1 ]; then
  for k in LIBNVDIMM OF_PMEM NVDIMM_PFN NVDIMM_DAX DEV_DAX_PMEM; do
    grep -q "^CONFIG_$k=y" .config || { echo "build-kernel: CONFIG_$k did not stick" >&2; missing=1; }
  done
fi
[ $missing = 0 ] || exit 1
[ "${CONFIG_ONLY:-0}" = 1 ] && { echo "config only: $PWD/.config"; exit 0; }
time nice -n 10 make -j"$JOBS" Image
cp arch/riscv/boot/Image "$OUT/Image"
cp .config "$OUT/config"
echo "built $(make -s kernelrelease) -> $OUT/Image"
