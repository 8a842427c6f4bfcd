#!/bin/sh
# vmemmap-lab conformance harness: the guest's /init (busybox sh).
#
# Loads the NVDIMM/DAX modules, turns on dynamic debug for the vmemmap/hotplug files, then
# sources /steps.sh (written by the host runner, appended to the initramfs as a second cpio
# archive). /steps.sh calls the functions below: `step`, `cmd`, `sh_cmd`, `hotplug`,
# `unplug`, `snapshot`. Everything structured goes to the results channel (kernel command
# line vl.out=, default /dev/ttyS1; arm64 uses /dev/hvc0), never to the console, so kernel
# messages and results do not interleave.
#
# Results format (parsed by conformance/results.ts):
#   @@READY / @@HOTPLUG_REQUEST id=.. size=.. node=.. addr=.. / @@UNPLUG_REQUEST id=.. / @@DONE
#   ########## STEP <n> <kind> t=<uptime> label=<text>
#   ########## SNAPSHOT <n>-<kind> t=<uptime>
#   ===== BEGIN <n>-<kind> <section> =====
#   ...verbatim...
#   ===== END <n>-<kind> <section> (rc=<exit code>) =====
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

OUT=/dev/ttyS1
VABITS=
VL_TIMING=
for a in $(cat /proc/cmdline); do
	case "$a" in
	vl.out=*) OUT=${a#vl.out=} ;;
	vl.va_bits=*) VABITS=${a#vl.va_bits=} ;;
	vl.timing) VL_TIMING=1 ;;
	esac
done
i=0
while [ ! -e "$OUT" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
stty -F "$OUT" raw -echo 2>/dev/null
exec 3>"$OUT"

R() { echo "$@" >&3; }
up() { cut -d' ' -f1 /proc/uptime; }
SNAP=0-boot
STEP_RC=0

# section NAME CMD...: the command's output between BEGIN/END markers
section() {
	_secname=$1
	shift
	R "===== BEGIN $SNAP $_secname ====="
	"$@" >&3 2>&1
	_rc=$?
	R "===== END $SNAP $_secname (rc=$_rc) ====="
	[ -n "$VL_TIMING" ] && R "timing: $_secname $(up)"
	return $_rc
}

# section_t SECONDS NAME CMD...: the same, but give up waiting after SECONDS: after a kernel oops
# the dead task keeps the device locks it held (and the nvdimm bus's probe count), so reading
# some nd sysfs attributes blocks for ever, uninterruptibly. The stuck reader is left behind;
# the section ends with what it printed so far and rc=124. Once one has blocked, the later ones
# wait 3 s only (they would block on the same lock).
STUCK=
section_t() {
	_lim=$1
	[ -n "$STUCK" ] && _lim=3
	shift
	_secname=$1
	shift
	R "===== BEGIN $SNAP $_secname ====="
	"$@" > /tmp/section.out 2>&1 &
	_pid=$!
	_n=0
	while kill -0 $_pid 2>/dev/null && [ $_n -lt $((_lim * 10)) ]; do sleep 0.1; _n=$((_n + 1)); done
	if kill -0 $_pid 2>/dev/null; then
		cat /tmp/section.out >&3
		R "section timed out after $_lim s (the command is blocked in the kernel)"
		_rc=124
		STUCK=1
	else
		wait $_pid
		_rc=$?
		cat /tmp/section.out >&3
	fi
	R "===== END $SNAP $_secname (rc=$_rc) ====="
	[ -n "$VL_TIMING" ] && R "timing: $_secname $(up)"
	return $_rc
}

fail() {
	R "@@FATAL $*"
	echo "conformance init: FATAL: $*"
	sync
	poweroff -f
}

# ---- dumps --------------------------------------------------------------------------------------
# rd FILE: a sysfs attribute's first line into $_v, without forking (empty when unreadable)
rd() { _v=; IFS= read -r _v < "$1" 2>/dev/null; }

nd_sysfs() {
	for d in /sys/bus/nd/devices/*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		for f in devtype mode size resource align sector_size uuid namespace holder force_raw numa_node target_node nstype supported_alignments available_size init_namespaces; do
			[ -r "$d/$f" ] || continue
			rd "$d/$f"
			echo "$n $f=${_v% }"
		done
		if [ -e "$d/driver" ]; then _l=$(readlink "$d/driver"); echo "$n driver=${_l##*/}"; fi
	done
	for d in /sys/bus/dax/devices/*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		for f in size align target_node numa_node resource memmap_on_memory modalias; do
			[ -r "$d/$f" ] || continue
			rd "$d/$f"
			echo "$n $f=${_v% }"
		done
		for m in "$d"/mapping*; do
			[ -e "$m" ] || continue
			rd "$m/start"; _s=$_v; rd "$m/end"; _e=$_v; rd "$m/page_offset"
			echo "$n ${m##*/}=$_s-$_e page_offset=$_v"
		done
		if [ -e "$d/driver" ]; then _l=$(readlink "$d/driver"); echo "$n driver=${_l##*/}"; fi
	done
	return 0
}

memory_blocks() {
	rd /sys/devices/system/memory/block_size_bytes; echo "block_size_bytes=$_v"
	rd /sys/devices/system/memory/auto_online_blocks; echo "auto_online_blocks=$_v"
	rd /sys/module/memory_hotplug/parameters/memmap_on_memory; echo "memmap_on_memory=$_v"
	for m in /sys/devices/system/memory/memory*; do
		[ -e "$m" ] || continue
		node=
		for l in "$m"/node*; do [ -e "$l" ] && node=${l##*/node}; done
		rd "$m/valid_zones"; z=$_v
		rd "$m/state"
		echo "${m##*/} state=$_v zones=${z// /,} node=$node"
	done
}

# HugeTLB pools (global and per node) and the memmap counters of /proc/vmstat
# (nr_memmap_pages / nr_memmap_boot_pages: 6.11+; HVO moves them)
hugetlb_dump() {
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
	grep -E '^(nr_memmap|htlb_|nr_hugetlb)' /proc/vmstat
	return 0
}

zoneinfo() {
	grep -E '^Node|^  pages free|^        (min|spanned|present|managed)|^  start_pfn|^  cma' /proc/zoneinfo
}

vmemdump_run() {
	if [ -n "$VABITS" ]; then vmemdump -a -V "$VABITS"; else vmemdump -a; fi
}

snapshot() {
	R "########## SNAPSHOT $SNAP t=$(up)"
	section dmesg-delta dmesg -c
	section meminfo cat /proc/meminfo
	section zoneinfo zoneinfo
	section iomem cat /proc/iomem
	section_t 15 ndctl-list-RNu ndctl list -RNu
	section_t 15 ndctl-list-N ndctl list -RN
	section_t 15 daxctl-list daxctl list -RDM
	section_t 15 nd-sysfs nd_sysfs
	section memory-blocks memory_blocks
	section hugetlb hugetlb_dump
	section vmemdump vmemdump_run
	R "########## END SNAPSHOT $SNAP t=$(up) step_rc=$STEP_RC"
}

# ---- step functions used by /steps.sh -------------------------------------------------------------
# step N KIND LABEL...
step() {
	_sn=$1
	_sk=$2
	shift 2
	SNAP="$_sn-$_sk"
	STEP_RC=0
	R "########## STEP $_sn $_sk t=$(up) label=$*"
}

# cmd ARGS...: run a command, record it; the step's rc is the first non-zero rc. Once a
# command of the step has failed, the step's later commands are skipped (recorded, rc=-1),
# as the model stops a step at its first error.
cmd() {
	if [ $STEP_RC != 0 ]; then
		R "===== BEGIN $SNAP cmd $* ====="
		R "skipped: an earlier command of this step failed (rc=$STEP_RC)"
		R "===== END $SNAP cmd $* (rc=-1) ====="
		return 0
	fi
	_t0=$(up)
	R "===== BEGIN $SNAP cmd $* ====="
	if [ -z "$STUCK" ]; then
		"$@" >&3 2>&1
		_rc=$?
	else
		# a snapshot section has blocked (after an oops): ndctl may block the same way (e.g.
		# in wait_nvdimm_bus_probe_idle(), the dead prober never ended), so wait 30 s at most
		"$@" > /tmp/cmd.out 2>&1 &
		_pid=$!
		_n=0
		while kill -0 $_pid 2>/dev/null && [ $_n -lt 300 ]; do sleep 0.1; _n=$((_n + 1)); done
		if kill -0 $_pid 2>/dev/null; then
			cat /tmp/cmd.out >&3
			R "command timed out after 30 s (blocked in the kernel)"
			_rc=124
		else
			wait $_pid
			_rc=$?
			cat /tmp/cmd.out >&3
		fi
	fi
	R "elapsed: $_t0 -> $(up)"
	R "===== END $SNAP cmd $* (rc=$_rc) ====="
	[ $STEP_RC = 0 ] && STEP_RC=$_rc
	return 0
}
# sh_cmd 'shell text': the same for a redirection such as echo 1 > /sys/...
sh_cmd() { cmd sh -c "$1"; }

nblocks() { ls -d /sys/devices/system/memory/memory* 2>/dev/null | wc -l; }

# hotplug ID SIZE_BYTES NODE ADDR: ask the host for a pc-dimm, wait for its memory blocks
hotplug() {
	_want=$(($2 / $(bsize)))
	_before=$(nblocks)
	_t0=$(up)
	R "@@HOTPLUG_REQUEST id=$1 size=$2 node=$3 addr=$4"
	i=0
	while [ $(($(nblocks) - _before)) -lt $_want ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1
	_got=$(($(nblocks) - _before))
	R "@@HOTPLUG_DONE id=$1 blocks=$_got want=$_want t0=$_t0 t1=$(up)"
	[ $_got -ge $_want ] || { R "hotplug: timeout waiting for $_want memory blocks (got $_got)"; [ $STEP_RC = 0 ] && STEP_RC=110; }
	return 0
}

bsize() { printf '%d' 0x$(cat /sys/devices/system/memory/block_size_bytes); }

# unplug ID ADDR: ask the host to eject the dimm at ADDR, wait for its first block to disappear
unplug() {
	_blk=$(($2 / $(bsize)))
	_t0=$(up)
	R "@@UNPLUG_REQUEST id=$1"
	i=0
	while [ -e /sys/devices/system/memory/memory$_blk ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1
	if [ -e /sys/devices/system/memory/memory$_blk ]; then
		R "@@UNPLUG_DONE id=$1 removed=0 t0=$_t0 t1=$(up)"
		[ $STEP_RC = 0 ] && STEP_RC=16
	else
		R "@@UNPLUG_DONE id=$1 removed=1 t0=$_t0 t1=$(up)"
	fi
	return 0
}

# set_range STATE ADDR SIZE: write STATE (online, online_movable, offline, ...) to every block
set_range() {
	_bs=$(bsize)
	_b=$(($2 / _bs))
	_end=$((($2 + $3) / _bs))
	while [ $_b -lt $_end ]; do
		cmd sh -c "echo $1 > /sys/devices/system/memory/memory$_b/state"
		_b=$((_b + 1))
	done
}

# ---- boot -----------------------------------------------------------------------------------------
R "@@READY t=$(up)"
R "########## STEP 0 boot t=$(up) label=boot"
section uname uname -a
section cmdline cat /proc/cmdline
section cpuinfo-flags sh -c "grep -m1 -E '^(flags|Features)' /proc/cpuinfo"
section debugfs sh -c "ls /sys/kernel/debug/page_tables/ 2>&1; ls /sys/kernel/debug/kernel_page_tables 2>&1"
dmesg > /tmp/boot-dmesg 2>/dev/null
section dmesg-boot dmesg -c
section vmemdump-premodules vmemdump_run
section modprobe sh -c 'for m in nfit nd_pmem dax_pmem device_dax kmem dax_hmem; do modprobe $m || echo "modprobe $m failed"; done'
# the NFIT region and its label-less namespace register asynchronously
i=0
while [ $i -lt 100 ]; do
	if [ -e /sys/bus/nd/devices/region0 ] || [ ! -e /sys/bus/acpi/drivers/nfit ]; then break; fi
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
# dynamic debug for the files that print the vmemmap/altmap/hotplug lines (runtime only:
# the boot-time sparse_init() runs before dynamic debug is set up)
ddbg() {
	for f in mm/sparse-vmemmap.c mm/sparse.c mm/memory_hotplug.c mm/memremap.c arch/x86/mm/init_64.c arch/arm64/mm/mmu.c drivers/nvdimm/pfn_devs.c drivers/dax/kmem.c drivers/dax/bus.c; do
		if echo "file $f +p" > /sys/kernel/debug/dynamic_debug/control 2>/dev/null; then echo "enabled $f"; else echo "no pr_debug sites in $f"; fi
	done
}
section dyndbg ddbg

if [ -f /steps.sh ]; then
	. /steps.sh
else
	fail "no /steps.sh in the initramfs"
fi
# the machine as `vmemlab snapshot` sees it, after every step (the boot log from the copy above)
[ -f /collect.sh ] && section_t 60 vmemlab-snapshot env VMEMLAB_BOOT_LOG=/tmp/boot-dmesg sh /collect.sh
R "@@DONE t=$(up)"
sync
poweroff -f
