#!/bin/sh
# Guest /init for the ppc64el / s390x recordings (busybox sh). Not used by CI.
#
# Kernel console messages are turned down (dmesg -n 1) so that everything on the console
# after "@@READY" is this script's output, between markers:
#   ===== BEGIN <tag> <section> =====  ...  ===== END <tag> <section> (rc=N) =====
# The host script (run.sh) saves the console; it answers
#   @@HOTPLUG_REQUEST id=ID size=BYTES   (object_add + device_add pc-dimm on the QEMU monitor)
#   @@UNPLUG_REQUEST id=ID               (device_del)
# Steps come from the kernel command line: vl.steps=step1,step2,...
#   hotplug:ID:SIZE_MIB   unplug:ID   nvdimm   online:STATE (write STATE to every offline block)
#   hugetlb:N (N default-size huge pages)
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo 0 > /proc/sys/kernel/kptr_restrict 2>/dev/null
dmesg -n 1

STEPS=
SYMS=
for a in $(cat /proc/cmdline); do
	case "$a" in
	vl.steps=*) STEPS=${a#vl.steps=} ;;
	vl.syms=*) SYMS=$(echo "${a#vl.syms=}" | tr ',' ' ') ;;
	esac
done

up() { cut -d' ' -f1 /proc/uptime; }
TAG=0-boot
# sec NAME CMD...: the command's output between markers
sec() {
	_n=$1
	shift
	echo "===== BEGIN $TAG $_n ====="
	"$@" 2>&1
	_rc=$?
	echo "===== END $TAG $_n (rc=$_rc) ====="
	return 0
}
rd() { _v=; IFS= read -r _v < "$1" 2>/dev/null; }

memory_blocks() {
	rd /sys/devices/system/memory/block_size_bytes; echo "block_size_bytes=$_v"
	rd /sys/devices/system/memory/auto_online_blocks; echo "auto_online_blocks=$_v"
	rd /sys/module/memory_hotplug/parameters/memmap_on_memory; echo "memmap_on_memory=$_v"
	for m in /sys/devices/system/memory/memory*; do
		[ -e "$m" ] || continue
		node=
		for l in "$m"/node*; do [ -e "$l" ] && node=${l##*/node}; done
		rd "$m/valid_zones"; z=$_v
		rd "$m/phys_device"; pd=$_v
		rd "$m/removable"; rm=$_v
		rd "$m/state"
		echo "${m##*/} state=$_v zones=$(echo $z | tr ' ' ',') node=$node phys_device=$pd removable=$rm"
	done
}
nblocks() { ls -d /sys/devices/system/memory/memory* 2>/dev/null | wc -l; }

debugfs_list() {
	echo "# ls /sys/kernel/debug"
	ls /sys/kernel/debug
	for f in /sys/kernel/debug/kernel_page_tables /sys/kernel/debug/kernel_hash_pagetable /sys/kernel/debug/page_tables /sys/kernel/debug/powerpc; do
		if [ -e "$f" ]; then echo "present: $f"; ls -la "$f"; else echo "absent: $f"; fi
	done
}

# the kernel's own page-table dumps, where the config has them (Debian: no PTDUMP_DEBUGFS).
# kernel_page_tables (radix) whole; kernel_hash_pagetable only from "vmemmap start" on (the
# linear-map part is one line per HPTE)
ptdump() {
	_any=
	for f in /sys/kernel/debug/kernel_page_tables /sys/kernel/debug/page_tables/kernel; do
		[ -r "$f" ] && { _any=1; echo "### $f"; timeout 120 cat "$f"; }
	done
	f=/sys/kernel/debug/kernel_hash_pagetable
	if [ -r "$f" ]; then
		_any=1
		echo "### $f (from the vmemmap start marker on; $(timeout 300 cat $f | tee /tmp/hpt | wc -l) lines in all)"
		awk '/vmemmap start/ { on = 1 } on' /tmp/hpt
		rm -f /tmp/hpt
	fi
	[ -n "$_any" ] || echo "no kernel_page_tables / kernel_hash_pagetable / page_tables in debugfs"
}

devtree() {
	d=/proc/device-tree
	[ -d $d ] || { echo "no /proc/device-tree"; return 0; }
	for n in $d/ibm,dynamic-reconfiguration-memory; do
		[ -d "$n" ] || { echo "no $n"; continue; }
		ls "$n"
		for p in ibm,lmb-size ibm,memory-flags-mask ibm,associativity-lookup-arrays; do
			[ -e "$n/$p" ] && { echo "$p:"; hexdump -C "$n/$p" | head -8; }
		done
		[ -e "$n/ibm,dynamic-memory" ] && { echo "ibm,dynamic-memory (first 12 entries):"; hexdump -C "$n/ibm,dynamic-memory" | head -20; }
		[ -e "$n/ibm,dynamic-memory-v2" ] && { echo "ibm,dynamic-memory-v2:"; hexdump -C "$n/ibm,dynamic-memory-v2" | head -20; }
	done
	for n in $d/memory@*; do
		[ -d "$n" ] || continue
		echo "$n reg:"; hexdump -C "$n/reg"
	done
	if [ -d $d/ibm,persistent-memory ]; then
		echo "# ibm,persistent-memory:"
		find $d/ibm,persistent-memory | head -40
		for p in $d/ibm,persistent-memory/*/ibm,block-size $d/ibm,persistent-memory/*/ibm,number-of-blocks $d/ibm,persistent-memory/*/ibm,unit-guid; do
			[ -e "$p" ] && { echo "$p:"; hexdump -C "$p" | head -4; }
		done
	fi
	[ -e $d/ibm,architecture-vec-5 ] && { echo "ibm,architecture-vec-5:"; hexdump -C $d/ibm,architecture-vec-5 | head -4; }
	for p in $d/cpus/*@0/ibm,segment-page-sizes $d/cpus/*@0/ibm,processor-radix-AP-encodings; do
		[ -e "$p" ] && { echo "$p:"; hexdump -C "$p"; }
	done
	return 0
}

kallsyms_vm() {
	grep -E ' (vmemmap|vmemmap_list|swapper_pg_dir|init_mm|mmu_vmemmap_psize|mmu_linear_psize|__kernel_virt_start|__vmalloc_start|__vmalloc_end|__kernel_io_start|vmemmap_start|__abs_lowcore|max_mappable|ident_map_size|_stext|_end)$' /proc/kallsyms
}

walker() {
	# shellcheck disable=SC2086
	if [ -x /bin/vmemwalk ]; then /bin/vmemwalk $SYMS; else echo "no vmemwalk in this image"; fi
}

nd_sysfs() {
	for d in /sys/bus/nd/devices/* /sys/bus/dax/devices/*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		for f in devtype mode size resource align sector_size uuid namespace holder supported_alignments available_size init_namespaces map; do
			[ -r "$d/$f" ] || continue
			rd "$d/$f"
			echo "$n $f=$_v"
		done
		if [ -e "$d/driver" ]; then _l=$(readlink "$d/driver"); echo "$n driver=${_l##*/}"; fi
	done
	return 0
}

zoneinfo() {
	grep -E '^Node|^  pages free|^        (min|spanned|present|managed)|^  start_pfn' /proc/zoneinfo
}

snapshot() {
	echo "########## SNAPSHOT $TAG t=$(up)"
	sec dmesg-delta dmesg -c
	sec meminfo cat /proc/meminfo
	sec zoneinfo zoneinfo
	sec memory-blocks memory_blocks
	sec iomem cat /proc/iomem
	sec vmstat sh -c "grep -E '^(nr_memmap|nr_free_pages|nr_managed)' /proc/vmstat"
	sec ptdump ptdump
	sec vmemwalk walker
	echo "########## END SNAPSHOT $TAG t=$(up)"
}

echo "@@READY t=$(up)"
sec uname uname -a
sec cmdline cat /proc/cmdline
sec cpuinfo cat /proc/cpuinfo
sec debugfs debugfs_list
dmesg > /tmp/boot-dmesg
sec dmesg-boot cat /tmp/boot-dmesg
dmesg -c > /dev/null
sec meminfo cat /proc/meminfo
sec zoneinfo zoneinfo
sec memory-blocks memory_blocks
for m in /sys/devices/system/memory/memory*; do echo "${m##*/} "; done > /tmp/boot-blocks
sec iomem cat /proc/iomem
sec vmstat cat /proc/vmstat
sec hugepages sh -c 'ls /sys/kernel/mm/hugepages/; grep -i huge /proc/meminfo'
sec devtree devtree
sec kallsyms kallsyms_vm
sec ptdump ptdump
sec vmemwalk walker
if [ -x /usr/bin/ndctl ]; then
	sec ndctl-list sh -c 'ndctl list -RNDiu; echo "rc=$?"; ls /sys/bus/nd 2>&1; ls /sys/bus/dax/devices 2>&1'
fi
# dynamic debug for the vmemmap/hotplug files (runtime only; sparse_init runs before dyndbg)
ddbg() {
	for f in mm/sparse-vmemmap.c mm/sparse.c mm/memory_hotplug.c mm/memremap.c arch/powerpc/mm/init_64.c arch/powerpc/mm/book3s64/radix_pgtable.c arch/powerpc/mm/book3s64/hash_utils.c arch/powerpc/mm/book3s64/hash_pgtable.c arch/powerpc/platforms/pseries/hotplug-memory.c arch/powerpc/platforms/pseries/dlpar.c arch/s390/mm/vmem.c drivers/s390/char/sclp_cmd.c drivers/nvdimm/pfn_devs.c drivers/nvdimm/namespace_devs.c arch/powerpc/platforms/pseries/papr_scm.c; do
		if echo "file $f +p" > /sys/kernel/debug/dynamic_debug/control 2>/dev/null; then echo "enabled $f"; else echo "no pr_debug sites in $f"; fi
	done
}
sec dyndbg ddbg

n=0
for s in $(echo "$STEPS" | tr ',' ' '); do
	n=$((n + 1))
	TAG="$n-${s%%:*}"
	echo "########## STEP $TAG t=$(up) $s"
	case "$s" in
	hotplug:*)
		id=$(echo "$s" | cut -d: -f2); mib=$(echo "$s" | cut -d: -f3)
		before=$(nblocks)
		echo "@@HOTPLUG_REQUEST id=$id size=$((mib * 1048576)) t=$(up)"
		i=0
		while [ "$(nblocks)" -le "$before" ] && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done
		# let the remaining LMBs of the DIMM arrive
		last=-1
		while [ "$(nblocks)" != "$last" ]; do last=$(nblocks); sleep 5; done
		echo "@@HOTPLUG_DONE id=$id blocks_before=$before blocks_after=$(nblocks) t=$(up)"
		;;
	unplug:*)
		id=${s#unplug:}
		before=$(nblocks)
		echo "@@UNPLUG_REQUEST id=$id t=$(up)"
		i=0
		while [ "$(nblocks)" -ge "$before" ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
		last=-1
		while [ "$(nblocks)" != "$last" ]; do last=$(nblocks); sleep 5; done
		echo "@@UNPLUG_DONE id=$id blocks_before=$before blocks_after=$(nblocks) t=$(up)"
		;;
	online:*)
		st=${s#online:}
		for m in /sys/devices/system/memory/memory*; do
			rd "$m/state"
			[ "$_v" = offline ] && { echo "echo $st > ${m##*/}/state"; echo "$st" > "$m/state"; echo "rc=$?"; }
		done
		;;
	offline-hot)
		# offline the blocks above the boot memory (the hot-added ones)
		for m in /sys/devices/system/memory/memory*; do
			rd "$m/state"
			b=${m##*/memory}
			grep -q "^memory$b " /tmp/boot-blocks 2>/dev/null && continue
			[ "$_v" = online ] && { echo "echo offline > ${m##*/}/state"; echo offline > "$m/state"; echo "rc=$?"; }
		done
		;;
	hugetlb:*)
		sec hugetlb sh -c "echo ${s#hugetlb:} > /proc/sys/vm/nr_hugepages; cat /proc/sys/vm/nr_hugepages; grep -i huge /proc/meminfo"
		;;
	nvdimm)
		sec ndctl-list-RN sh -c 'ndctl list -RN; echo rc=$?'
		sec ndctl-create-fsdax-dev sh -c 'ndctl create-namespace -f -e namespace0.0 -m fsdax --map=dev; echo rc=$?'
		;;
	nvprep)
		# papr_scm NVDIMMs have a label area (label-size): show it, initialise it if needed
		sec ndctl-list sh -c 'ndctl list -RNDiu; echo rc=$?; ndctl list -Rv; ls /sys/bus/nd/devices/'
		sec nd-sysfs nd_sysfs
		sec init-labels sh -c 'ndctl disable-region all; echo disable rc=$?; ndctl init-labels -f all; echo init-labels rc=$?; ndctl enable-region all; echo enable rc=$?; ndctl list -RNDiu'
		;;
	ns:*)
		# ns:MODE:MAP:ALIGN (MAP/ALIGN may be empty): destroy every namespace, create one on region0
		_m=$(echo "$s" | cut -d: -f2); _map=$(echo "$s" | cut -d: -f3); _al=$(echo "$s" | cut -d: -f4)
		_args="-r region0 -m $_m"
		[ -n "$_map" ] && _args="$_args --map=$_map"
		[ -n "$_al" ] && _args="$_args --align=$_al"
		sec destroy sh -c 'ndctl destroy-namespace -f all; echo rc=$?'
		sec create sh -c "echo ndctl create-namespace $_args; ndctl create-namespace $_args; echo rc=\$?"
		sec ndctl-list sh -c 'ndctl list -RNu; daxctl list -RDM 2>&1'
		sec nd-sysfs nd_sysfs
		;;
	*) echo "unknown step $s" ;;
	esac
	snapshot
done
TAG=end
sec collect sh /collect.sh
echo "@@DONE t=$(up)"
sync
poweroff -f
