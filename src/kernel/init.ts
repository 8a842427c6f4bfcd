/**
 * Boot, as far as the memmap is concerned (init/main.c start_kernel -> setup_arch ->
 * sparse_init; mm/mm_init.c free_area_init -> subsection_map_init; memblock_free_all;
 * drivers/base/memory.c memory_dev_init), for the firmware memory map of a scenario.
 */
import { printCmdlineMessages } from './params.js';
import { hugetlb_boot_alloc, hugetlb_boot_optimize, hugetlb_check_params, hugetlb_vmemmap_init_515, report_hugepages } from './hugetlb.js';
import { KERN_INFO, KERN_NOTICE, KERN_WARNING, printk } from './printk.js';
import { memblock_free_pages } from './memblock.js';
import { sparse_init, subsection_map_init } from './sparse.js';
import { preallocate_vmemmap_top_tables } from './sparse-vmemmap.js';
import type { Kernel } from './state.js';

export interface FirmwareMap {
  nodes: { id: number; memory: { start: number; size: number }[]; used?: number }[];
  devices: { name: string; type: 'nvdimm' | 'hmem' | 'cxl'; start: number; size: number }[];
  /** memblock.reserved before sparse_init(); null = defaultReserved(). */
  reserved: { start: number; size: number }[] | null;
}

const MiB = 1024 * 1024;

/**
 * What the model assumes memblock has reserved before sparse_init() when the scenario does
 * not say: the kernel image and early allocations (64 MiB) - at 16 MiB on x86_64
 * (CONFIG_PHYSICAL_START) after the first 1 MiB (BIOS / real-mode area), at the start of
 * DRAM on arm64. Real kernels differ (initrd, firmware tables, crashkernel).
 */
export function defaultReserved(k: Kernel, lowestRam: number): { start: number; size: number }[] {
  if (k.arch.cfg.arch === 'x86_64') return [{ start: 0, size: MiB }, { start: 16 * MiB, size: 64 * MiB }];
  return [{ start: lowestRam, size: 64 * MiB }];
}

/**
 * The arch's caps on boot RAM (riscv setup_bootmem(), arm64_memblock_init(), powerpc
 * early_init_devtree(), s390 setup_memory_end()), in order: the node ranges with what they
 * remove taken out, and what was removed.
 */
function capBootMemory(k: Kernel, nodes: FirmwareMap['nodes']): FirmwareMap['nodes'] {
  const capOf = k.arch.policy.bootMemoryCap;
  if (!capOf) return nodes;
  let all = nodes.flatMap((n) => n.memory.map((m) => ({ nid: n.id, start: m.start, end: m.start + m.size }))).sort((a, b) => a.start - b.start);
  if (all.length === 0) return nodes;
  const total = all.reduce((t, r) => t + r.end - r.start, 0);
  const got = capOf(Math.floor(all[0]!.start / k.c.PMD_SIZE) * k.c.PMD_SIZE, total);
  const dropped: { start: number; end: number; site: string; why?: string }[] = [];
  for (const cap of Array.isArray(got) ? got : [got]) {
    let budget = cap.kind === 'limit' ? cap.bytes : Infinity;
    const kept: typeof all = [];
    const before = dropped.length;
    for (const r of all) {
      // memblock_enforce_memory_limit(): the first `bytes` of RAM in address order;
      // memblock_cap_memory_range(): only what lies inside [start, end)
      let a = r.start;
      let b = r.end;
      if (cap.kind === 'range') { a = Math.max(a, cap.start); b = Math.min(b, cap.end); } else { b = Math.min(b, a + budget); budget -= Math.max(0, b - a); }
      if (b > a) kept.push({ nid: r.nid, start: a, end: b });
      if (a > r.start) dropped.push({ start: r.start, end: Math.min(a, r.end), site: cap.site, why: cap.why });
      if (b < r.end) dropped.push({ start: Math.max(b, r.start), end: r.end, site: cap.site, why: cap.why });
    }
    all = kept;
    if (dropped.length > before && cap.warn) printk(k, KERN_WARNING, cap.site.split(' ')[0]!, '%s', [cap.warn]);
  }
  if (dropped.length) k.boot.dropped = dropped;
  const keep = new Map<number, { start: number; size: number }[]>();
  for (const r of all) (keep.get(r.nid) ?? keep.set(r.nid, []).get(r.nid)!).push({ start: r.start, size: r.end - r.start });
  return nodes.map((n) => ({ ...n, memory: keep.get(n.id) ?? [] }));
}

export function boot(k: Kernel, fw0: FirmwareMap): void {
  const P = k.c.PAGE_SIZE;
  const fw = { ...fw0, nodes: capBootMemory(k, fw0.nodes) };
  let lo = Infinity;
  let hi = 0;
  for (const n of fw.nodes) {
    if (n.memory.length === 0) continue;
    k.s.nodes[n.id]!.online = true;
    for (const m of n.memory) {
      k.s.memblockMemory.set(m.start, m.start + m.size, n.id);
      lo = Math.min(lo, m.start);
      hi = Math.max(hi, m.start + m.size);
    }
  }
  k.boot.maxPfn = Math.floor(hi / P);
  for (const m of k.arch.policy.bootNotices?.(hi) ?? []) printk(k, KERN_NOTICE, m.site, '%s', [m.text]);
  // memblock_phys_mem_size(): boot RAM in memblock.memory
  k.boot.bootRam = k.s.memblockMemory.total();
  // the memory nodes as the firmware lists them (powerpc sizes memory blocks from them)
  const bootRanges: { start: number; end: number }[] = [];
  for (const n of fw.nodes) for (const m of n.memory) bootRanges.push({ start: m.start, end: m.start + m.size });
  bootRanges.sort((x, y) => x.start - y.start);
  for (const r of fw.reserved ?? defaultReserved(k, lo)) {
    for (const m of k.s.memblockMemory.overlaps(r.start, r.start + r.size)) k.s.memblockReserved.add(m.start, m.end);
  }
  if (k.arch.cfg.memstartAlign > 0) {
    // arm64_memblock_init(): memstart_addr = round_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN);
    // riscv setup_bootmem() (v6.8+): phys_ram_base / vmemmap_start_pfn, the pfn at VMEMMAP_START
    const a = k.arch.cfg.memstartAlign;
    k.boot.memstart = Math.floor(lo / a) * a;
    k.vmemmapPfnBase = k.boot.memstart / P;
  }
  // parse_args() runs before sparse_init(); set_memmap_mode()'s message needs the block size
  k.boot.memoryBlockSize = k.arch.policy.memoryBlockSize(k.boot.maxPfn * P, 0, bootRanges).size;
  printCmdlineMessages(k);
  for (const l of k.arch.policy.bootLines?.(k.boot.bootRam) ?? []) printk(k, l.level, l.site, '%s', [l.text], l.approx ? { approx: true } : {});
  sparse_init(k);
  subsection_map_init(k);
  // hugepages= (5.15-6.12: parse_args after setup_arch; the model does all versions here):
  // gigantic pages from memblock before it hands its memory over
  hugetlb_check_params(k);
  hugetlb_boot_alloc(k, true);
  // memblock_free_all(): whatever memblock did not reserve goes to the buddy allocator
  for (let nid = 0; nid < k.s.nodes.length; nid++) {
    const n = k.s.nodes[nid]!;
    if (!n.online) continue;
    n.free = memblock_free_pages(k, nid);
    n.managed = n.free;
  }
  // What the scenario says the rest of the system uses once booted.
  for (const n of fw.nodes) {
    const st = k.s.nodes[n.id]!;
    st.free = Math.max(0, st.free - Math.floor((n.used ?? 0) / P));
  }
  k.boot.done = true;
  if (k.arch.cfg.preallocateTopTables) preallocate_vmemmap_top_tables(k);
  // hugetlb_init(): the other boot pools from the buddy allocator, the per-hstate lines,
  // then the vmemmap optimisation of every boot folio (gather_bootmem_prealloc & co.)
  hugetlb_boot_alloc(k, false);
  hugetlb_vmemmap_init_515(k);
  report_hugepages(k);
  hugetlb_boot_optimize(k);
  for (const n of fw.nodes) for (const m of n.memory) k.s.iomem.set(m.start, m.start + m.size, { name: 'System RAM', kind: 'System RAM', owner: 'boot' });
  // a device that overlaps RAM (a firmware inconsistency) leaves the RAM resource in place
  // e820 type 12 ("Persistent Memory") for NFIT; EFI_MEMORY_SP ranges are "Soft Reserved"
  for (const d of fw.devices) {
    const r = d.type === 'nvdimm' ? { name: 'Persistent Memory', kind: 'Persistent Memory' as const } : { name: 'Soft Reserved', kind: 'Soft Reserved' as const };
    k.s.iomem.fill(d.start, d.start + d.size, () => ({ ...r, owner: d.name }));
  }
  // memory_dev_init(): memory_block_size_bytes(), then a block device per block with present sections
  const mb = k.arch.policy.memoryBlockSize(k.boot.maxPfn * P, 0, bootRanges);
  k.boot.memoryBlockSize = mb.size;
  for (const m of mb.messages) printk(k, KERN_INFO, 'arch/x86/mm/init_64.c:probe_memory_block_size', '%s', [m]);
  const bytesPerSection = 2 ** k.arch.cfg.SECTION_SIZE_BITS;
  // drivers/base/memory.c is built only with MEMORY_HOTPLUG: no block devices without it
  if (k.arch.cfg.lacks.hotplug) return;
  for (const s of k.s.sections) {
    const b0 = Math.floor((s.start * bytesPerSection) / mb.size);
    const b1 = Math.ceil((s.end * bytesPerSection) / mb.size);
    k.s.blocks.fill(b0, b1, () => ({ nid: s.v.nid, state: 'online', zone: 'Normal', early: true, vmemmapPages: 0, altmapAlloc: 0 }));
  }
}
