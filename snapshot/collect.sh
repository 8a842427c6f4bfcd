#!/bin/sh
# vmemmap-lab snapshot collector, format 1.
#
# Prints, read-only, what decides a Linux machine's memmap: kernel release and arch, page size,
# command line, CPU flags, the firmware memory map (/proc/iomem, /sys/firmware/memmap, the
# e820/memblock lines of the boot log), NUMA nodes, memory blocks, meminfo/vmstat, HugeTLB
# pools, nvdimm/dax devices (ndctl/daxctl JSON when installed, sysfs always) and, where the
# kernel exposes them, the vmemmap part of the kernel page tables.
#
# Plain POSIX sh: busybox is enough. No hostname, no environment, no serial numbers.
# Run as root for /proc/iomem addresses, dmesg and debugfs; without root it says what it
# could not read. `vmemlab snapshot` runs this same script and turns its output into JSON;
# `vmemlab import` and `vmemlab verify` read either form.
#
#   sh collect.sh > machine.snap        (then: vmemlab verify machine.snap)

LC_ALL=C
export LC_ALL

begin() { echo "===== BEGIN $1 ====="; }
end() { echo "===== END $1 ====="; }
unreadable() { echo "===== UNREADABLE $1: $2 ====="; }

# section NAME FILE: the file's content, or why it could not be read
file_section() {
	if [ -r "$2" ]; then
		begin "$1"
		cat "$2" 2>/dev/null
		end "$1"
	else
		unreadable "$1" "cannot read $2"
	fi
}

rd() { _v=; IFS= read -r _v < "$1" 2>/dev/null; }

echo "vmemlab-snapshot 1"

begin uname
uname -r
uname -m
uname -v
end uname

begin pagesize
if command -v getconf >/dev/null 2>&1 && getconf PAGESIZE >/dev/null 2>&1; then
	getconf PAGESIZE
else
	grep -m1 '^KernelPageSize:' /proc/self/smaps 2>/dev/null | awk '{ print $2 * 1024 }'
fi
end pagesize

file_section cmdline /proc/cmdline

begin cpuflags
grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo 2>/dev/null
end cpuflags

# riscv64: the paging mode in use ("mmu : sv39")
begin cpummu
grep -m1 -E '^mmu[[:space:]]*:' /proc/cpuinfo 2>/dev/null
end cpummu

begin user
id -u 2>/dev/null
end user

# /proc/iomem shows zero addresses to non-root readers: say so
if [ -r /proc/iomem ]; then
	begin iomem
	cat /proc/iomem
	end iomem
else
	unreadable iomem "cannot read /proc/iomem"
fi

if [ -d /sys/firmware/memmap ]; then
	begin firmware-memmap
	for d in /sys/firmware/memmap/*; do
		[ -e "$d/start" ] || continue
		rd "$d/start"; _s=$_v; rd "$d/end"; _e=$_v; rd "$d/type"
		echo "$_s $_e $_v"
	done
	end firmware-memmap
fi

# the boot log's memory lines: e820/memblock maps, node ranges, block size, HugeTLB, vmemmap;
# VMEMLAB_BOOT_LOG names a saved copy of the log (e.g. /var/log/dmesg) when the ring buffer
# no longer holds the boot
bootlog() { if [ -n "${VMEMLAB_BOOT_LOG:-}" ] && [ -r "$VMEMLAB_BOOT_LOG" ]; then cat "$VMEMLAB_BOOT_LOG"; else dmesg 2>/dev/null; fi; }
if { [ -n "${VMEMLAB_BOOT_LOG:-}" ] && [ -r "$VMEMLAB_BOOT_LOG" ]; } || dmesg >/dev/null 2>&1; then
	begin boot-log
	bootlog | grep -E 'BIOS-e820|e820: (update|remove)|efi: mem|Early memory node ranges|  node +[0-9]+: \[mem|Initmem setup|Movable zone start|Memory block size|Memory: [0-9]+K/|HugeTLB|vmemmap|memmap_on_memory|potential offnode|hugetlb_free_vmemmap|NUMA|Faking a node|Linux version' | sed 's/^\[[^]]*\] //' | head -n 2000
	end boot-log
else
	unreadable boot-log "dmesg not permitted (kernel.dmesg_restrict or not root)"
fi

begin nodes
for n in /sys/devices/system/node/node*; do
	[ -d "$n" ] || continue
	id=${n##*/node}
	_t=$(grep -E 'MemTotal|MemFree' "$n/meminfo" 2>/dev/null | awk '{ sub(":", "", $3); printf " %s=%skB", $3, $4 }')
	echo "node$id$_t"
done
end nodes

if [ -d /sys/devices/system/memory ]; then
	begin memory-blocks
	rd /sys/devices/system/memory/block_size_bytes; echo "block_size_bytes=$_v"
	rd /sys/devices/system/memory/auto_online_blocks; echo "auto_online_blocks=$_v"
	if [ -r /sys/module/memory_hotplug/parameters/memmap_on_memory ]; then
		rd /sys/module/memory_hotplug/parameters/memmap_on_memory; echo "memmap_on_memory=$_v"
	fi
	for m in /sys/devices/system/memory/memory*; do
		[ -e "$m/state" ] || continue
		node=
		for l in "$m"/node*; do [ -e "$l" ] && node=${l##*/node}; done
		rd "$m/valid_zones"; z=$(echo "$_v" | tr ' ' ',')
		rd "$m/state"
		echo "${m##*/} state=$_v zones=$z node=$node"
	done
	end memory-blocks
else
	unreadable memory-blocks "no /sys/devices/system/memory (no memory hotplug in this kernel)"
fi

file_section meminfo /proc/meminfo
file_section vmstat /proc/vmstat

begin hugetlb
for d in /sys/kernel/mm/hugepages/hugepages-*; do
	[ -e "$d" ] || continue
	_l=
	for f in nr_hugepages free_hugepages surplus_hugepages resv_hugepages; do rd "$d/$f"; _l="$_l $f=$_v"; done
	echo "global ${d##*/}$_l"
done
for d in /sys/devices/system/node/node*/hugepages/hugepages-*; do
	[ -e "$d" ] || continue
	_node=${d%/hugepages/*}
	_l=
	for f in nr_hugepages free_hugepages surplus_hugepages; do rd "$d/$f"; _l="$_l $f=$_v"; done
	echo "${_node##*/} ${d##*/}$_l"
done
if [ -r /proc/sys/vm/hugetlb_optimize_vmemmap ]; then rd /proc/sys/vm/hugetlb_optimize_vmemmap; echo "hugetlb_optimize_vmemmap=$_v"; fi
end hugetlb

if command -v ndctl >/dev/null 2>&1; then
	begin ndctl-list
	ndctl list -RNDi 2>/dev/null
	end ndctl-list
fi
if command -v daxctl >/dev/null 2>&1; then
	begin daxctl-list
	daxctl list -RDM 2>/dev/null
	end daxctl-list
fi

begin nd-sysfs
for d in /sys/bus/nd/devices/*; do
	[ -e "$d" ] || continue
	n=${d##*/}
	for f in devtype mode size resource align numa_node target_node nstype available_size namespace holder; do
		[ -r "$d/$f" ] || continue
		rd "$d/$f"
		echo "$n $f=$_v"
	done
	if [ -e "$d/driver" ]; then _l=$(readlink "$d/driver"); echo "$n driver=${_l##*/}"; fi
done
for d in /sys/bus/dax/devices/*; do
	[ -e "$d" ] || continue
	n=${d##*/}
	for f in size align target_node numa_node resource memmap_on_memory; do
		[ -r "$d/$f" ] || continue
		rd "$d/$f"
		echo "$n $f=$_v"
	done
	for mp in "$d"/mapping*; do
		[ -e "$mp" ] || continue
		rd "$mp/start"; _s=$_v; rd "$mp/end"
		echo "$n ${mp##*/}=$_s-$_v"
	done
	if [ -e "$d/driver" ]; then _l=$(readlink "$d/driver"); echo "$n driver=${_l##*/}"; fi
done
end nd-sysfs

# the vmemmap part of the kernel page tables: x86 debugfs (---[ Vmemmap ]---), arm64 debugfs
# (vmemmap start/end markers); else the conformance harness's /proc/kcore walker if present
_pt=
for f in /sys/kernel/debug/page_tables/kernel /sys/kernel/debug/kernel_page_tables; do
	[ -r "$f" ] && { _pt=$f; break; }
done
if [ -n "$_pt" ]; then
	begin "page-tables $_pt"
	awk '/---\[ Vmemmap \]---|---\[ vmemmap start \]---/ { on = 1 } on { print } /---\[ vmemmap end \]---/ { on = 0 } on && /---\[/ && !/Vmemmap|vmemmap start/ { on = 0 }' "$_pt"
	end "page-tables $_pt"
elif command -v vmemdump >/dev/null 2>&1; then
	begin vmemdump
	vmemdump -a 2>&1
	end vmemdump
else
	unreadable page-tables "no debugfs kernel page-table dump (CONFIG_PTDUMP_DEBUGFS, mounted debugfs, root) and no vmemdump"
fi

echo "vmemlab-snapshot end"
