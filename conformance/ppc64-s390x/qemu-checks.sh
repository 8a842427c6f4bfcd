#!/usr/bin/env bash
# What QEMU 7.2 (Debian 12) accepts and refuses for pseries NVDIMMs / DIMMs and s390x memory
# devices: each command is started with -S (no guest runs) and quit at once. Not CI.
# Output: recordings/qemu-checks/output.txt
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/recordings/qemu-checks"; mkdir -p "$OUT"
PP="qemu-system-ppc64 -M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off,nvdimm=on -cpu power9 -accel tcg -display none -S -monitor stdio -m 2G,slots=2,maxmem=8G"
U=uuid=7f1b3c2e-5a6d-4e8f-9a0b-1c2d3e4f5a6b
try() { echo "\$ $*"; echo quit | timeout 60 nice -n 10 "$@" 2>&1 | tr -d '\r' | sed 's/^(qemu) //' | grep -v -E '^QEMU .* monitor|^quit$|^$'; echo "exit ${PIPESTATUS[1]}"; echo; }
{
qemu-system-ppc64 --version | head -1
try $PP -object memory-backend-ram,id=nv0,size=1073872896 -device nvdimm,memdev=nv0,label-size=128K,$U
try $PP -object memory-backend-ram,id=nv0,size=1073741824 -device nvdimm,memdev=nv0
try $PP -object memory-backend-ram,id=nv0,size=1073872896 -device nvdimm,memdev=nv0,label-size=128K
try $PP -object memory-backend-ram,id=nv0,size=1073741824 -device nvdimm,memdev=nv0,label-size=128K,$U
try $PP -object memory-backend-ram,id=nv0,size=1207959552 -device nvdimm,memdev=nv0,label-size=128K,$U
try $PP -object memory-backend-ram,id=m1,size=128M -device pc-dimm,memdev=m1
try $PP -object memory-backend-ram,id=m1,size=256M -device pc-dimm,memdev=m1
echo "## s390x"
qemu-system-s390x --version | head -1
echo "\$ qemu-system-s390x -M s390-ccw-virtio -device help | grep -iE 'dimm|mem|pmem'"
nice -n 10 qemu-system-s390x -M s390-ccw-virtio -device help 2>&1 | grep -iE 'dimm|mem|pmem'; echo
try qemu-system-s390x -M s390-ccw-virtio -accel tcg -display none -S -monitor stdio -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=256M -device pc-dimm,memdev=m1
try qemu-system-s390x -M s390-ccw-virtio -accel tcg -display none -S -monitor stdio -m 1G,slots=2,maxmem=4G -object memory-backend-ram,id=m1,size=256M -device virtio-mem-ccw,memdev=m1
try qemu-system-s390x -M s390-ccw-virtio -accel tcg -display none -S -monitor stdio -cpu max,edat=on
try qemu-system-s390x -M s390-ccw-virtio -accel tcg -display none -S -monitor stdio -cpu qemu,edat=on
echo "\$ qemu-system-s390x -cpu help (models qemu, max and their features)"
nice -n 10 qemu-system-s390x -cpu help 2>&1 | grep -E '^s390 (qemu|max)|edat' 
echo "\$ qemu-system-s390x -M s390-ccw-virtio -cpu qemu,help"
echo quit | nice -n 10 qemu-system-s390x -M s390-ccw-virtio -accel tcg -display none -S -monitor stdio -cpu qemu,help 2>&1 | tr -d '\r' | head -5
} > "$OUT/output.txt" 2>&1
