#!/bin/bash
# Build the arm64 64K-page kernel for the arm64-64k-* conformance recordings
# (docs/conformance-arm64-64k.md). Not run in CI: the recordings are committed, the kernel is not.
# Needs: gcc-aarch64-linux-gnu linux-source-6.12 bc bison flex libssl-dev libelf-dev (apt-get install).
# Output: $OUT/Image, $OUT/config and $OUT/lib/modules/<release>/ (no modules: modules.builtin and
# its depmod indexes, so that daxctl's libkmod sees kmem & co. as built in instead of failing to
# load them). The harness looks for $OUT/Image at /var/cache/vmemlab-arm64-64k/out/Image, or at
# $VMEMLAB_ARM64_64K_IMAGE (the lib/modules tree must sit next to it).
#   bash conformance/arm64-64k/build-kernel.sh            # 5-6 minutes with JOBS=2 on 2 cores
#   INSTALL_ONLY=1 bash conformance/arm64-64k/build-kernel.sh   # only copy an existing build to $OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRC_TAR=${SRC_TAR:-/usr/src/linux-source-6.12.tar.xz}
WORK=${WORK:-/var/cache/vmemlab-arm64-64k}
OUT=${OUT:-$WORK/out}
JOBS=${JOBS:-2}
mkdir -p "$WORK" "$OUT"
cd "$WORK"
[ -d linux-source-6.12 ] || tar xf "$SRC_TAR"
cd linux-source-6.12
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
install_out() {
  local rel
  rel=$(make -s kernelrelease)
  cp arch/arm64/boot/Image "$OUT/Image"
  cp .config "$OUT/config"
  rm -rf "$OUT/lib/modules/$rel"; mkdir -p "$OUT/lib/modules/$rel"
  cp modules.builtin modules.builtin.modinfo "$OUT/lib/modules/$rel/"
  depmod -b "$OUT" "$rel"
  echo "built $rel -> $OUT/Image (+ lib/modules/$rel)"
}
if [ "${INSTALL_ONLY:-0}" = 1 ]; then install_out; exit 0; fi
make allnoconfig >/dev/null
apply() {
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue;; esac
    key=${line%%=*}; val=${line#*=}; key=${key#CONFIG_}
    case "$val" in
      y) scripts/config --enable "$key";;
      n) scripts/config --disable "$key";;
      *) scripts/config --set-val "$key" "$val";;
    esac
  done < "$here/kernel.config"
}
# twice: olddefconfig drops options whose dependencies were not yet on
apply; make olddefconfig >/dev/null
apply; make olddefconfig >/dev/null
missing=0
for k in ARM64_64K_PAGES ARM64_VA_BITS_52 NUMA EFI_STUB ACPI ARM64_PMEM ACPI_NFIT LIBNVDIMM BLK_DEV_PMEM NVDIMM_PFN NVDIMM_DAX \
         SPARSEMEM_VMEMMAP MEMORY_HOTPLUG MEMORY_HOTREMOVE MHP_MEMMAP_ON_MEMORY ZONE_DEVICE FS_DAX DEV_DAX DEV_DAX_PMEM DEV_DAX_KMEM \
         MEMCG PROC_KCORE KALLSYMS_ALL SERIAL_AMBA_PL011_CONSOLE VIRTIO_PCI VIRTIO_CONSOLE BLK_DEV_INITRD DEVTMPFS PTDUMP_DEBUGFS; do
  grep -q "^CONFIG_$k=y" .config || { echo "build-kernel: CONFIG_$k did not stick" >&2; missing=1; }
done
[ $missing = 0 ] || exit 1
[ "${CONFIG_ONLY:-0}" = 1 ] && { echo "config only: $PWD/.config"; exit 0; }
time nice -n 10 make -j"$JOBS" Image
install_out
