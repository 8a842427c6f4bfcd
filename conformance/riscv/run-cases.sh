#!/bin/bash
# Record every riscv64 boot case (or the named ones) with boot.sh. Not run in CI.
#   bash conformance/riscv/run-cases.sh [CASE...]
# A case: name | -m | extra kernel command line | memory reg for make-dtb.sh (or -) | extra QEMU args
# The pmem-* cases need the PMEM=1 kernel (PMEM_IMAGE, default ${HOME}/.cache/vmemlab-riscv/out-pmem/Image) and
# add a "pmem-region" node to the device tree (6th field; default 1 GiB at 0xc0000000, after
# 1 GiB of RAM).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CASES=(
  "sv39-1g|1G|no4lvl|-|"
  "sv48-1g|1G|no5lvl|-|"
  "sv57-1g|1G||-|"
  "sv39-3g|3G|no4lvl|-|"
  "sv48-3g|3G|no5lvl|-|"
  "sv57-3g|3G||-|"
  "sv39-1000m|1000M|no4lvl|-|"
  "sv39-base2m|1G|no4lvl|0x0 0x80200000 0x0 0x3fe00000|"
  "sv57-base2m|1G||0x0 0x80200000 0x0 0x3fe00000|"
  "sv48-hole|3G|no5lvl|0x0 0x80000000 0x0 0x10000000 0x0 0xa2000000 0x0 0x9e000000|"
  "sv39-130g|130G|no4lvl|-|-object memory-backend-ram,id=ram0,size=130G,reserve=off -machine memory-backend=ram0"
  "pmem-sv39-fsdax-dev|2G|no4lvl vl.pmem=fsdax:dev|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv39-fsdax-mem|2G|no4lvl vl.pmem=fsdax:mem|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv39-devdax-mem-2m|2G|no4lvl vl.pmem=devdax:mem:2097152|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv48-fsdax-dev|2G|no5lvl vl.pmem=fsdax:dev|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv57-devdax-dev-2m|2G|vl.pmem=devdax:dev:2097152|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv39-subsection|2064M|no4lvl vl.pmem=fsdax:dev|0x0 0x80000000 0x0 0x40000000||0x0 0xc0000000 0x0 0x41000000"
  "pmem-sv39-kmem|2G|no4lvl vl.pmem=devdax:mem:2097152 vl.kmem=movable|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv39-kmem-mom|2G|no4lvl memory_hotplug.memmap_on_memory=1 vl.pmem=devdax:mem:2097152 vl.kmem=mom|0x0 0x80000000 0x0 0x40000000|"
  "pmem-sv39-shared-pmd|2G|no4lvl panic=-1 vl.unbind=namespace0.0,namespace1.0|0x0 0x80000000 0x0 0x40000000||0x0 0xc0000000 0x0 0x4000000;0x0 0xc4000000 0x0 0x4000000"
  "sv48-numa|2G|no5lvl|-|-object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1"
)
want=("$@")
for c in "${CASES[@]}"; do
  IFS='|' read -r name mem cmd reg qargs preg <<< "$c"
  if [ ${#want[@]} -gt 0 ]; then
    hit=0; for w in "${want[@]}"; do [ "$w" = "$name" ] && hit=1; done
    [ $hit = 1 ] || continue
  fi
  extra=()
  # shellcheck disable=SC2206
  [ -n "$qargs" ] && extra=($qargs)
  image=${IMAGE:-${HOME}/.cache/vmemlab-riscv/out/Image}; pmem=
  case $name in pmem-*) image=${PMEM_IMAGE:-${HOME}/.cache/vmemlab-riscv/out-pmem/Image}; pmem=${preg:-0x0 0xc0000000 0x0 0x40000000};; esac
  if [ "$reg" != "-" ]; then
    mkdir -p "$here/recordings/$name"
    PMEM=$pmem bash "$here/make-dtb.sh" "/tmp/vmemlab-riscv-$name.dtb" "$mem" "$reg" > "$here/recordings/$name/dt-memory.txt"
    extra+=(-dtb "/tmp/vmemlab-riscv-$name.dtb")
  fi
  IMAGE=$image bash "$here/boot.sh" "$name" "$mem" "$cmd" "${extra[@]}"
done
