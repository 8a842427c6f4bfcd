/**
 * mm/memory_hotplug.c @ v6.18 (and the arch_add_memory / arch_remove_memory wrappers of
 * arch/x86/mm/init_64.c and arch/arm64/mm/mmu.c): __add_pages, __remove_pages,
 * check_pfn_span, mhp_range_allowed, add_memory, remove_memory, onlining and offlining of
 * memory blocks.
 *
 * Not modelled: the direct map built by init_memory_mapping / __create_pgd_mapping (and the
 * RAM its page tables take), memmap initialisation, zone spans, memory notifiers other than
 * arm64's boot-memory guard, memmap_on_memory (a later issue).
 */
import { alignUp, isAligned } from '../util/bits.js';
import { runSteps, unusual } from './engine.js';
import { buddy_free } from './page_alloc.js';
import { KERN_DEBUG, pr_err, pr_warn, pr_warn_once, printk, WARN } from './printk.js';
import { sparse_add_section, sparse_remove_section } from './sparse.js';
import { vmem_altmap_offset, vmemmap_populate_print_last } from './sparse-vmemmap.js';
import { E2BIG, EBUSY, EEXIST, EINVAL, EPERM, section_nr_to_pfn, type Kernel, type MemoryBlock, type Zone } from './state.js';

const FILE = 'mm/memory_hotplug.c';

/** check_pfn_span(): with SPARSEMEM_VMEMMAP, sub-section granularity for everyone. */
function check_pfn_span(k: Kernel, pfn: number, nr: number): boolean {
  const min = k.c.PAGES_PER_SUBSECTION;
  return !isAligned(pfn, min) || !isAligned(nr, min);
}

/**
 * __add_pages(nid, pfn, nr_pages, params): altmap sanity (base_pfn == pfn, offset fits),
 * altmap->alloc = 0 (align is not reset), check_pfn_span, then sparse_add_section() per
 * section-bounded chunk, stopping at the first error with no rollback.
 */
export function __add_pages(k: Kernel, nid: number, pfn: number, nr: number, altmap: string | null): number {
  if (k.profile.hotplugRangeCheck === 'addressable') {
    // <= v5.10 check_hotplug_memory_addressable(): the "maximum" printed is one bit too wide
    const bits = k.arch.cfg.MAX_PHYSMEM_BITS;
    const endInc = (pfn + nr) * k.c.PAGE_SIZE - 1;
    if (endInc >= 2 ** bits) {
      WARN(k, true, FILE + ':check_hotplug_memory_addressable', 'Hotplugged memory exceeds maximum addressable address, range=%#llx-%#llx, maximum=%#llx\n',
        [BigInt(pfn * k.c.PAGE_SIZE), BigInt(endInc), (1n << BigInt(bits + 1)) - 1n]);
      return E2BIG;
    }
  }
  if (altmap) {
    const a = k.s.altmaps.get(altmap)!;
    if (a.base_pfn !== pfn || vmem_altmap_offset(a) > nr) {
      pr_warn_once(k, FILE + ':__add_pages', 'memory add fail, invalid altmap\n');
      return EINVAL;
    }
    a.alloc = 0;
  }
  if (check_pfn_span(k, pfn, nr)) {
    WARN(k, true, FILE + ':__add_pages', k.profile.misalignedFmt, ['__add_pages', pfn, pfn + nr - 1]);
    return EINVAL;
  }
  const PPS = k.c.PAGES_PER_SECTION;
  const end = pfn + nr;
  let err = 0;
  let p = pfn;
  // a partial first section
  if (p % PPS !== 0) {
    const cur = Math.min(end - p, alignUp(p + 1, PPS) - p);
    err = sparse_add_section(k, nid, p, cur, altmap);
    p += cur;
  }
  // whole sections, as runs
  const wholeEnd = Math.floor(end / PPS) * PPS;
  if (err === 0 && wholeEnd > p) {
    err = runSteps(k, p / PPS, wholeEnd / PPS, 1, (a, b) =>
      sparse_add_section(k, nid, section_nr_to_pfn(k, a), (b - a) * PPS, altmap, b - a));
    p = wholeEnd;
  }
  if (err === 0 && p < end) err = sparse_add_section(k, nid, p, end - p, altmap);
  vmemmap_populate_print_last(k);
  return err;
}

/** __remove_pages(pfn, nr_pages, altmap): check_pfn_span, then sparse_remove_section() per section chunk. */
export function __remove_pages(k: Kernel, pfn: number, nr: number, altmap: string | null): void {
  if (check_pfn_span(k, pfn, nr)) {
    WARN(k, true, FILE + ':__remove_pages', k.profile.misalignedFmt, ['__remove_pages', pfn, pfn + nr - 1]);
    return;
  }
  const PPS = k.c.PAGES_PER_SECTION;
  const end = pfn + nr;
  let p = pfn;
  if (p % PPS !== 0) {
    const cur = Math.min(end - p, alignUp(p + 1, PPS) - p);
    sparse_remove_section(k, p, cur, altmap);
    p += cur;
  }
  const wholeEnd = Math.floor(end / PPS) * PPS;
  if (wholeEnd > p) {
    // runs of whole sections with identical section state
    runSteps(k, p / PPS, wholeEnd / PPS, 1, (a, b) => {
      let s = a;
      for (const seg of k.s.sections.overlaps(a, b)) {
        if (seg.start > s) { unusual(k, 'hole'); for (let q = s; q < seg.start; q++) sparse_remove_section(k, section_nr_to_pfn(k, q), PPS, altmap); }
        sparse_remove_section(k, section_nr_to_pfn(k, seg.start), (seg.end - seg.start) * PPS, altmap);
        s = seg.end;
      }
      if (s < b) { unusual(k, 'hole'); for (let q = s; q < b; q++) sparse_remove_section(k, section_nr_to_pfn(k, q), PPS, altmap); }
      return 0;
    });
    p = wholeEnd;
  }
  if (p < end) sparse_remove_section(k, p, end - p, altmap);
}

/** After a failed arch_add_memory(): sections it added stay populated, with nothing that owns them. */
export function leftBehind(k: Kernel, site: string, start: number, size: number): void {
  const PPS = k.c.PAGES_PER_SECTION;
  const P = k.c.PAGE_SIZE;
  const n = k.s.subsections.coverage(start / P, (start + size) / P);
  if (n === 0) return;
  const secs = k.s.sections.coverage(Math.floor(start / P / PPS), Math.ceil((start + size) / P / PPS), (v) => !v.early);
  const text = `arch_add_memory() failed and nothing undoes it: ${n / k.c.PAGES_PER_SUBSECTION} sub-sections (${secs} sections) of [0x${start.toString(16)}, 0x${(start + size).toString(16)}) stay populated with their memmap, owned by nothing`;
  k.s.anomalies.push({ step: k.step, site, text });
}

/** DIRECT_MAP_PHYSMEM_END (x86) / __pa(PAGE_END - 1) (arm64), with memory KASLR off. */
function physmemEnd(k: Kernel): number {
  return k.arch.policy.mappableRange(k.boot.memstart).end;
}

/**
 * mhp_range_allowed(start, size, need_mapping) via mhp_get_pluggable_range(): pr_warn and
 * false when [start, start + size) is empty or outside the pluggable range.
 */
export function mhp_range_allowed(k: Kernel, start: number, size: number): boolean {
  const r = k.arch.policy.mappableRange(k.boot.memstart);
  const end = Math.min(r.end, physmemEnd(k));
  if (start < start + size && start >= r.start && start + size - 1 <= end) return true;
  pr_warn(k, FILE + ':mhp_range_allowed', 'Hotplug memory [%#llx-%#llx] exceeds maximum addressable range [%#llx-%#llx]\n',
    BigInt(start), BigInt(start + size), BigInt(r.start), BigInt(end));
  return false;
}

/**
 * arch_add_memory(): x86 init_memory_mapping() + add_pages() (-ERANGE past
 * DIRECT_MAP_PHYSMEM_END from v6.11/6.12; WARN_ON_ONCE on any __add_pages error); arm64
 * __create_pgd_mapping() + __add_pages() (linear map removed again on failure).
 */
export function arch_add_memory(k: Kernel, nid: number, start: number, size: number, altmap: string | null): number {
  const P = k.c.PAGE_SIZE;
  if (k.arch.cfg.arch === 'arm64' && k.profile.arm64AddMemoryCheck === 'linear-region') {
    // v5.10 inside_linear_region(): [memstart_addr, memstart_addr + 2^(vabits_actual - 1) - 1]
    const lin = 2 ** (Number(k.arch.cfg.config.vaBits) - 1);
    if (start < k.boot.memstart || start + size - 1 > k.boot.memstart + lin - 1) {
      pr_err(k, 'arch/arm64/mm/mmu.c:arch_add_memory', '[%llx %llx] is outside linear mapping region\n', BigInt(start), BigInt(start + size));
      return EINVAL;
    }
  }
  if (k.arch.cfg.arch === 'x86_64') {
    if (k.profile.x86AddPagesRangeCheck && start + size - 1 > physmemEnd(k)) {
      WARN(k, true, 'arch/x86/mm/init_64.c:add_pages', null, [], true);
      return -34; // -ERANGE
    }
    const ret = __add_pages(k, nid, start / P, size / P, altmap);
    WARN(k, ret !== 0, 'arch/x86/mm/init_64.c:add_pages', null, [], true);
    return ret;
  }
  return __add_pages(k, nid, start / P, size / P, altmap);
}

export function arch_remove_memory(k: Kernel, start: number, size: number, altmap: string | null): void {
  __remove_pages(k, start / k.c.PAGE_SIZE, size / k.c.PAGE_SIZE, altmap);
}

// ---------------------------------------------------------------------------------------
// System RAM hot-add / hot-remove (add_memory / remove_memory) and memory blocks

function blockRange(k: Kernel, start: number, size: number): [number, number] {
  const bs = k.boot.memoryBlockSize;
  return [Math.floor(start / bs), Math.ceil((start + size) / bs)];
}

/** check_hotplug_memory_range(): size and start must be memory-block aligned. */
function check_hotplug_memory_range(k: Kernel, start: number, size: number): number {
  const bs = k.boot.memoryBlockSize;
  if (!size || !isAligned(start, bs) || !isAligned(size, bs)) {
    pr_err(k, FILE + ':check_hotplug_memory_range', 'Block size [%#lx] unaligned hotplug range: start %#llx, size %#llx',
      bs, BigInt(start), BigInt(size));
    return EINVAL;
  }
  return 0;
}

/** True if [start, end) overlaps a busy iomem resource (System RAM, a claimed namespace). */
function busyConflict(k: Kernel, start: number, end: number): boolean {
  return k.s.iomem.overlaps(start, end).some((r) => r.v.kind === 'System RAM') || k.s.claims.overlaps(start, end).length > 0;
}

/**
 * add_memory(nid, start, size, MHP_NONE): register_memory_resource (mhp_range_allowed ->
 * -E2BIG; a busy overlap -> pr_debug + -EEXIST), check_hotplug_memory_range (-EINVAL),
 * memblock_add_node (ARCH_KEEP_MEMBLOCK only), arch_add_memory (a failure is not undone:
 * sections already added stay), create_memory_block_devices, then auto-online per
 * memhp_default_state (its result is ignored).
 */
export function add_memory(k: Kernel, nid: number, start: number, size: number): number {
  // v5.11+: mhp_range_allowed() first; <= v5.10 the range is checked in __add_pages()
  if (k.profile.hotplugRangeCheck === 'mhp' && !mhp_range_allowed(k, start, size)) return E2BIG;
  if (busyConflict(k, start, start + size)) {
    printk(k, KERN_DEBUG, 'kernel/resource.c:register_memory_resource', 'Unable to reserve System RAM region: %016llx->%016llx\n', [BigInt(start), BigInt(start + size)]);
    return EEXIST;
  }
  const e = check_hotplug_memory_range(k, start, size);
  if (e) return e;
  // memblock_add_node(): only with ARCH_KEEP_MEMBLOCK since v5.9 (v5.6: always)
  const keep = k.arch.cfg.keepMemblock || k.profile.hotAddMemblockAlways;
  if (keep) k.s.memblockMemory.set(start, start + size, nid);
  k.s.nodes[nid]!.online = true;
  const ret = arch_add_memory(k, nid, start, size, null);
  if (ret !== 0) {
    if (keep) k.s.memblockMemory.clear(start, start + size);
    leftBehind(k, 'mm/memory_hotplug.c:add_memory_resource', start, size);
    return ret;
  }
  k.s.iomem.set(start, start + size, { name: 'System RAM', kind: 'System RAM', owner: 'hotplug' });
  const [b0, b1] = blockRange(k, start, size);
  k.s.blocks.set(b0, b1, { nid, state: 'offline', zone: null, early: false });
  const t = k.cmdline.onlineType;
  if (t !== 'offline') online_blocks(k, start, size, t);
  return 0;
}

function zoneFor(t: string): Zone {
  return t === 'online_movable' ? 'Movable' : 'Normal';
}

/** Online every offline block of [start, start + size) (memory_block_online -> online_pages). */
export function online_blocks(k: Kernel, start: number, size: number, type: string): number {
  const [b0, b1] = blockRange(k, start, size);
  const pages = k.boot.memoryBlockSize / k.c.PAGE_SIZE;
  for (const g of k.s.blocks.gaps(b0, b1)) if (g.start < g.end) return EINVAL;
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    if (s.v.state === 'online') return EINVAL; // device_online() returns 1 -> -EINVAL from state_store
  }
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    const zone = zoneFor(type);
    k.s.blocks.set(s.start, s.end, { ...s.v, state: 'online', zone });
    if (zone === 'Normal') {
      const n = k.s.nodes[s.v.nid]!;
      n.free += (s.end - s.start) * pages;
      n.managed += (s.end - s.start) * pages;
    }
  }
  return 0;
}

/**
 * Offline every online block of [start, start + size) (memory_block_offline ->
 * offline_pages). arm64 boot memory is refused by prevent_bootmem_remove_notifier (-EPERM).
 * A kernel-zone block is refused with -EBUSY when the model's kernel allocations on that node
 * no longer fit in the remaining free memory (unmovable pages must have landed there).
 */
export function offline_blocks(k: Kernel, start: number, size: number): number {
  const [b0, b1] = blockRange(k, start, size);
  const bs = k.boot.memoryBlockSize;
  const pages = bs / k.c.PAGE_SIZE;
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    if (s.v.state !== 'online') return EINVAL;
    if (k.arch.cfg.arch === 'arm64' && !k.profile.arm64HotRemove) return EINVAL; // offline_pages() stub without MEMORY_HOTREMOVE
    if (k.arch.cfg.arch === 'arm64' && s.v.early && k.profile.arm64BootmemNotifier !== 'none') {
      const sec = 2 ** k.arch.cfg.SECTION_SIZE_BITS;
      if (k.profile.arm64BootmemNotifier === 'warn') pr_warn(k, 'arch/arm64/mm/mmu.c:prevent_bootmem_remove_notifier', 'Boot memory [%lx %lx] offlining attempted\n', s.start * bs, s.start * bs + sec);
      printk(k, KERN_DEBUG, FILE + ':offline_pages', 'memory offlining [mem %#010llx-%#010llx] failed due to %s\n', [BigInt(start), BigInt(start + size - 1), 'notifier failure']);
      return EPERM;
    }
  }
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    if (s.v.zone === 'Normal') {
      const n = k.s.nodes[s.v.nid]!;
      const need = (s.end - s.start) * pages;
      if (n.free < need) {
        // start_isolate_page_range() -> has_unmovable_pages(): -EBUSY (after a dump_page() of the page)
        printk(k, KERN_DEBUG, FILE + ':offline_pages', 'memory offlining [mem %#010llx-%#010llx] failed due to %s\n', [BigInt(start), BigInt(start + size - 1), 'failure to isolate range'], { approx: true });
        return EBUSY;
      }
      n.free -= need;
      n.managed -= need;
    }
    k.s.blocks.set(s.start, s.end, { ...s.v, state: 'offline', zone: null });
    printk(k, k.profile.offlinedPagesLevel, FILE + ':offline_pages', 'Offlined Pages %ld\n', [pages], { run: { count: s.end - s.start, nth: () => `Offlined Pages ${pages}\n` } });
  }
  return 0;
}

/**
 * remove_memory(start, size) -> try_remove_memory(): a misaligned range is a BUG (reported
 * as such); any online block -> pr_warn + -EBUSY; then arch_remove_memory(start, size, NULL),
 * the block devices, memblock, the resource.
 */
export function remove_memory(k: Kernel, start: number, size: number): number {
  // arm64 <= v5.6: no MEMORY_HOTREMOVE; the remove_memory() stub returns -EBUSY
  if (k.arch.cfg.arch === 'arm64' && !k.profile.arm64HotRemove) return EBUSY;
  if (check_hotplug_memory_range(k, start, size)) {
    printk(k, 0, FILE + ':try_remove_memory', 'kernel BUG at mm/memory_hotplug.c (try_remove_memory: BUG_ON(check_hotplug_memory_range))\n', [], { approx: true });
    return EINVAL;
  }
  const [b0, b1] = blockRange(k, start, size);
  const bs = k.boot.memoryBlockSize;
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    if (s.v.state !== 'offline') {
      const begin = s.start * bs;
      pr_warn(k, FILE + ':check_memblock_offlined_cb', 'removing memory fails, because memory [%pa-%pa] is onlined\n',
        '0x' + begin.toString(16).padStart(16, '0'), '0x' + (begin + bs - 1).toString(16).padStart(16, '0'));
      return EBUSY;
    }
  }
  arch_remove_memory(k, start, size, null);
  k.s.blocks.clear(b0, b1);
  if (k.arch.cfg.keepMemblock) k.s.memblockMemory.clear(start, start + size);
  k.s.iomem.clear(start, start + size);
  return 0;
}

export type { MemoryBlock };
export { buddy_free };
