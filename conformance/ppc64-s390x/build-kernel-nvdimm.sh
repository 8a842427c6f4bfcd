#!/usr/bin/env bash
# Build a ppc64le pseries guest kernel WITH libnvdimm/papr_scm and PTDUMP_DEBUGFS, because every
# Debian ppc64el kernel has LIBNVDIMM unset (no pmem at all) and PTDUMP_DEBUGFS unset. Not CI.
# Source: Debian's linux-source-6.12 (bookworm-security, /usr/src/linux-source-6.12.tar.xz);
# config: ppc64le_guest_defconfig, modules turned into "no" (mod2noconfig), then the options
# below. Output: $CACHE/kernels/6.12-vmemlab-nvdimm-64k/boot/vmlinux-6.12-vmemlab-nvdimm-64k
#   build-kernel-nvdimm.sh          (about 40 min of 2 shared cores under nice)
set -euo pipefail
CACHE="${VMEMLAB_PPC_CACHE:-/var/cache/vmemlab-ppc-s390x}"
B="$CACHE/build"; SRC="$B/linux-source-6.12"; OUT="$B/out-ppc"
[ -d "$SRC" ] || { mkdir -p "$B"; tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$B"; }
M=(make -C "$SRC" ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- O="$OUT")
nice -n 10 "${M[@]}" ppc64le_guest_defconfig
nice -n 10 "${M[@]}" mod2noconfig
"$SRC/scripts/config" --file "$OUT/.config" \
  -e LIBNVDIMM -e PAPR_SCM -e OF_PMEM -e BLK_DEV_PMEM -e ND_PFN -e NVDIMM_PFN -e NVDIMM_DAX -e ZONE_DEVICE \
  -e DEV_DAX -e DEV_DAX_PMEM -e DEV_DAX_KMEM -e MEMORY_HOTPLUG -e MEMORY_HOTREMOVE -e MHP_MEMMAP_ON_MEMORY \
  -e SPARSEMEM_VMEMMAP -e KALLSYMS -e KALLSYMS_ALL -e PROC_KCORE -e DEBUG_FS -e DYNAMIC_DEBUG -e PTDUMP_DEBUGFS \
  -e PPC_64K_PAGES -e PPC_RADIX_MMU -e PPC_64S_HASH_MMU -e HVC_CONSOLE -e BLK_DEV_INITRD -e DEVTMPFS \
  -e TRANSPARENT_HUGEPAGE -e HUGETLBFS -d MODULES -d DEBUG_INFO -d DEBUG_INFO_DWARF5 -d DEBUG_INFO_DWARF4 \
  -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO_NONE -d KFENCE
nice -n 10 "${M[@]}" olddefconfig
nice -n 10 "${M[@]}" -j2 vmlinux
K="$CACHE/kernels/6.12-vmemlab-nvdimm-64k/boot"; mkdir -p "$K"
cp "$OUT/vmlinux" "$K/vmlinux-6.12-vmemlab-nvdimm-64k"; cp "$OUT/.config" "$K/config-6.12-vmemlab-nvdimm-64k"
echo "built $K/vmlinux-6.12-vmemlab-nvdimm-64k"
