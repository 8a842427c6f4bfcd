#!/usr/bin/env bash
# Every recording of recordings/, in the order they were made (one guest at a time). Not CI.
#   matrix.sh [CASE-GLOB]     e.g. matrix.sh 'ppc-61-*'
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PAT=${1:-*}
K612=6.12.95+deb12-powerpc64le-64k; K612_4K=6.12.95+deb12-powerpc64le; K61=6.1.0-50-powerpc64le
S612=6.12.95+deb12-s390x; S61=6.1.0-50-s390x
HP=2G,slots=2,maxmem=8G
DIMM=hotplug:d1:1024,unplug:d1
NV="-object memory-backend-ram,id=nv0,size=1073872896 -device nvdimm,id=nvdimm0,memdev=nv0,label-size=128K,uuid=7f1b3c2e-5a6d-4e8f-9a0b-1c2d3e4f5a6b"
r() { local n=$1; shift; case "$n" in $PAT) "$HERE/run.sh" -n "$n" "$@" ;; esac; }
# ---- ppc64el, Debian 6.12.95 (bookworm-backports), 64K pages
r ppc-612-64k-radix-boot -a ppc64el -k $K612 -m 2G
r ppc-612-64k-hash-boot -a ppc64el -k $K612 -m 2G -A disable_radix
r ppc-612-64k-hash16m-boot -a ppc64el -k $K612 -m 2G -A disable_radix -M ,cap-hpt-max-page-size=16M
r ppc-612-64k-radix-3g-boot -a ppc64el -k $K612 -m 3G
r ppc-612-64k-radix-dimm -a ppc64el -k $K612 -m $HP -s $DIMM
r ppc-612-64k-hash-dimm -a ppc64el -k $K612 -m $HP -s $DIMM -A disable_radix
r ppc-612-64k-hash16m-dimm -a ppc64el -k $K612 -m $HP -s $DIMM -A disable_radix -M ,cap-hpt-max-page-size=16M
r ppc-612-64k-radix-dimm-mom -a ppc64el -k $K612 -m $HP -s $DIMM -A memory_hotplug.memmap_on_memory=1
r ppc-612-64k-radix-dimm-momforce -a ppc64el -k $K612 -m $HP -s $DIMM -A memory_hotplug.memmap_on_memory=force
r ppc-612-64k-radix-nvdimm -a ppc64el -k $K612 -m $HP -M ,nvdimm=on -X "$NV" -s nvdimm
# ---- ppc64el, Debian 6.12.95, 4K pages
r ppc-612-4k-radix-boot -a ppc64el -k $K612_4K -m 2G
r ppc-612-4k-hash-boot -a ppc64el -k $K612_4K -m 2G -A disable_radix
r ppc-612-4k-radix-dimm -a ppc64el -k $K612_4K -m $HP -s $DIMM
r ppc-612-4k-radix-dimm-mom -a ppc64el -k $K612_4K -m $HP -s $DIMM -A memory_hotplug.memmap_on_memory=1
r ppc-612-4k-hash-dimm -a ppc64el -k $K612_4K -m $HP -s $DIMM -A disable_radix
# ---- ppc64el, Debian 6.1.176 (bookworm), 64K pages
r ppc-61-64k-radix-boot -a ppc64el -k $K61 -m 2G
r ppc-61-64k-hash-boot -a ppc64el -k $K61 -m 2G -A disable_radix
r ppc-61-64k-radix-dimm -a ppc64el -k $K61 -m $HP -s $DIMM
r ppc-61-64k-hash-dimm -a ppc64el -k $K61 -m $HP -s $DIMM -A disable_radix
r ppc-61-64k-hash16m-boot -a ppc64el -k $K61 -m 2G -A disable_radix -M ,cap-hpt-max-page-size=16M
# ---- s390x (TCG), boot only
r s390-612-1g-boot -a s390x -k $S612 -m 1G
r s390-612-3g-boot -a s390x -k $S612 -m 3G
r s390-612-1g-max-boot -a s390x -k $S612 -m 1G -c max
r s390-61-1g-boot -a s390x -k $S61 -m 1G
r s390-61-3g-boot -a s390x -k $S61 -m 3G
# ---- added after the first pass: hot-remove of Normal-zone LMBs failed on 4K radix
r ppc-612-4k-radix-dimm-movable -a ppc64el -k $K612_4K -m $HP -s $DIMM -A memhp_default_state=online_movable
r ppc-612-4k-hash-dimm-mom -a ppc64el -k $K612_4K -m $HP -s $DIMM -A "disable_radix memory_hotplug.memmap_on_memory=1"
# two DIMMs whose memmap shares one radix PMD (64K: one 2 MiB PMD covers 2 GiB of pfns); remove the first, then the second
r ppc-612-64k-radix-2dimm -a ppc64el -k $K612 -m 2G,slots=4,maxmem=8G -s hotplug:d1:512,hotplug:d2:512,unplug:d1,unplug:d2
r ppc-61-64k-radix-2dimm -a ppc64el -k $K61 -m 2G,slots=4,maxmem=8G -s hotplug:d1:512,hotplug:d2:512,unplug:d1,unplug:d2
r ppc-612-64k-hash-2dimm -a ppc64el -k $K612 -m 2G,slots=4,maxmem=8G -s hotplug:d1:512,hotplug:d2:512,unplug:d1,unplug:d2 -A disable_radix
# block size with 3 GiB and no DR-memory node on 6.1
r ppc-61-64k-radix-3g-boot -a ppc64el -k $K61 -m 3G
r ppc-612-4k-radix-3g-boot -a ppc64el -k $K612_4K -m 3G
# ---- self-built 6.12.118 ppc64le guest kernel with libnvdimm/papr_scm and PTDUMP_DEBUGFS
#      (build-kernel-nvdimm.sh): pseries NVDIMM namespaces, 2 GiB + 128 KiB label area
KV=6.12-vmemlab-nvdimm-64k
NV2="-object memory-backend-ram,id=nv0,size=2147614720 -device nvdimm,id=nvdimm0,memdev=nv0,label-size=128K,uuid=7f1b3c2e-5a6d-4e8f-9a0b-1c2d3e4f5a6b"
NSCHAIN=nvprep,ns:fsdax:dev,ns:fsdax:mem,ns:devdax:dev,ns:devdax:mem,ns:devdax:dev:64K,ns:devdax:mem:64K,ns:devdax:mem:1G,ns:devdax:dev:16M
r ppcv-612-64k-radix-nvdimm -a ppc64el -k $KV -m $HP -M ,nvdimm=on -X "$NV2" -s $NSCHAIN
# not run (no time left after the radix runs oopsed): r ppcv-612-64k-hash-nvdimm -a ppc64el -k $KV -m $HP -M ,nvdimm=on -X "$NV2" -s $NSCHAIN -A disable_radix
# not run (no time left after the radix runs oopsed): r ppcv-612-64k-hash16m-nvdimm -a ppc64el -k $KV -m $HP -M ,nvdimm=on,cap-hpt-max-page-size=16M -X "$NV2" -s $NSCHAIN -A disable_radix
# not run (no time left after the radix runs oopsed): r ppcv-612-64k-radix-boot -a ppc64el -k $KV -m 2G
# not run (no time left after the radix runs oopsed): r ppcv-612-64k-hash-dimm -a ppc64el -k $KV -m $HP -s $DIMM -A disable_radix
# the power9 run above oopses in memcpy_flushcache (TCG: illegal instruction 7cc048ac, dcbf with L=6); try POWER10
r ppcv-612-64k-radix-nvdimm-p10 -a ppc64el -k $KV -c power10 -m $HP -M ,nvdimm=on -X "$NV2" -s nvprep,ns:fsdax:dev,ns:fsdax:mem,ns:devdax:mem,ns:devdax:dev:64K -t 300
