#!/bin/bash
# A QEMU virt device tree with a different memory node: dump QEMU's own DT for the same
# machine (-M virt -cpu rv64 -smp SMP -m MEM), replace memory@80000000's reg, compile.
# QEMU still backs [0x80000000, 0x80000000 + MEM); the new reg must lie inside it and include
# the kernel (loaded at 0x80200000).
#   bash make-dtb.sh OUT.dtb MEM "REG CELLS"
#   e.g. make-dtb.sh /tmp/base-2m.dtb 1G "0x0 0x80200000 0x0 0x3fe00000"
# PMEM="REG CELLS" adds a persistent memory region node on node 0 (compatible "pmem-region",
# drivers/nvdimm/of_pmem.c) at that range, e.g. PMEM="0x0 0xc0000000 0x0 0x40000000" with -m 2G
# and memory "0x0 0x80000000 0x0 0x40000000"; several regions: PMEM="REG1;REG2".
# Needs device-tree-compiler. QEMU adds /chosen bootargs and initrd to a -dtb tree itself.
set -euo pipefail
out=${1:?out}; mem=${2:?mem}; reg=${3:?reg cells}
SMP=${SMP:-2}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
qemu-system-riscv64 -M virt,dumpdtb="$tmp/virt.dtb" -cpu rv64 -smp "$SMP" -m "$mem" -nographic >/dev/null 2>&1
dtc -q -I dtb -O dts -o "$tmp/virt.dts" "$tmp/virt.dtb"
# one memory node, reg replaced; the rng-seed is dropped so that the tree is reproducible
python3 - "$tmp/virt.dts" "$reg" "${PMEM:-}" <<'PY'
import re, sys
p, reg, pmem = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(p).read()
s, n = re.subn(r'(memory@80000000 \{[^}]*?reg = <)[^>]*(>;)', lambda m: m.group(1) + reg + m.group(2), s, flags=re.S)
assert n == 1, 'memory@80000000 not found'
s = re.sub(r'\s*rng-seed = <[^>]*>;', '', s)
nodes = ''
for one in filter(None, (x.strip() for x in pmem.split(';'))):
    cells = one.split()
    addr = int(cells[0], 16) << 32 | int(cells[1], 16)
    # numa-node-id: without it the region's node is -1 and dax kmem refuses it
    # ("kmem dax0.0: rejecting DAX region with invalid node: -1", -EINVAL)
    nodes += '\tpmem@%x {\n\t\tcompatible = "pmem-region";\n\t\treg = <%s>;\n\t\tnuma-node-id = <0x00>;\n\t};\n\n\t' % (addr, one)
s = s.replace('memory@80000000 {', nodes + 'memory@80000000 {', 1)
open(p, 'w').write(s)
PY
dtc -q -I dts -O dtb -o "$out" "$tmp/virt.dts"
dtc -q -I dtb -O dts "$out" | grep -A3 'memory@\|pmem@'
