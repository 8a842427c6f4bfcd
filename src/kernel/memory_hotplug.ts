/**
 * mm/memory_hotplug.c @ v6.18 (and the arch_add_memory / arch_remove_memory wrappers of
 * arch/x86/mm/init_64.c and arch/arm64/mm/mmu.c): __add_pages, __remove_pages,
 * check_pfn_span, mhp_range_allowed, add_memory, remove_memory, onlining and offlining of
 * memory blocks.
 *
 * Not modelled: the direct map built by init_memory_mapping / __create_pgd_mapping (and the
 * RAM its page tables take), memmap initialisation, zone spans, memory notifiers other than
 * arm64's boot-memory guard.
 */
import { KernelOops, touchStructPages } from './fault.js';
import { alignUp, isAligned } from '../util/bits.js';
import { runSteps, unusual } from './engine.js';
import { buddy_free } from './page_alloc.js';
import { interleaveRuns, KERN_DEBUG, pr_err, pr_warn, pr_warn_once, printk, WARN } from './printk.js';
import { sparse_add_section, sparse_remove_section } from './sparse.js';
import { vmem_altmap_offset, vmemmap_populate_print_last } from './sparse-vmemmap.js';
import { memoryBlockMemmapPages, memoryBlockMemmapSize } from './params.js';
import { E2BIG, EBUSY, EEXIST, EINVAL, EPERM, ERANGE, section_nr_to_pfn, type Kernel, type MemoryBlock, type PgmapGeom, type Resource, type Zone } from './state.js';

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
export function __add_pages(k: Kernel, nid: number, pfn: number, nr: number, altmap: string | null, pgmap: PgmapGeom | null = null): number {
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
    err = sparse_add_section(k, nid, p, cur, altmap, 1, pgmap);
    p += cur;
  }
  // whole sections, as runs
  const wholeEnd = Math.floor(end / PPS) * PPS;
  if (err === 0 && wholeEnd > p) {
    err = runSteps(k, p / PPS, wholeEnd / PPS, 1, (a, b) =>
      sparse_add_section(k, nid, section_nr_to_pfn(k, a), (b - a) * PPS, altmap, b - a, pgmap));
    p = wholeEnd;
  }
  if (err === 0 && p < end) err = sparse_add_section(k, nid, p, end - p, altmap, 1, pgmap);
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
    // Sections that are not present: sparse_remove_section() only WARN_ON_ONCE()s, so after
    // the first of a run the rest do nothing; a run of them is one call, not one engine
    // split per section (a failed 1 PiB hot-add left 2 million of them to walk).
    let q = p / PPS;
    const qEnd = wholeEnd / PPS;
    const present = k.s.sections.overlaps(q, qEnd);
    for (let i = 0; i <= present.length; i++) {
      const holeEnd = i < present.length ? present[i]!.start : qEnd;
      if (holeEnd > q) sparse_remove_section(k, section_nr_to_pfn(k, q), PPS, altmap);
      if (i === present.length) break;
      removeSectionRun(k, present[i]!.start, present[i]!.end, altmap);
      q = present[i]!.end;
    }
    p = wholeEnd;
  }
  if (p < end) sparse_remove_section(k, p, end - p, altmap);
}

/** Runs of whole present sections with identical section state, [s0, s1) section numbers. */
function removeSectionRun(k: Kernel, s0: number, s1: number, altmap: string | null): void {
  const PPS = k.c.PAGES_PER_SECTION;
  runSteps(k, s0, s1, 1, (a, b) => {
    let s = a;
    for (const seg of k.s.sections.overlaps(a, b)) {
      if (seg.start > s) { unusual(k, 'hole'); for (let q = s; q < seg.start; q++) sparse_remove_section(k, section_nr_to_pfn(k, q), PPS, altmap); }
      sparse_remove_section(k, section_nr_to_pfn(k, seg.start), (seg.end - seg.start) * PPS, altmap);
      s = seg.end;
    }
    if (s < b) { unusual(k, 'hole'); for (let q = s; q < b; q++) sparse_remove_section(k, section_nr_to_pfn(k, q), PPS, altmap); }
    return 0;
  });
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
  return k.arch.policy.mappableRange(k.boot.memstart, k.boot.maxPfn * k.c.PAGE_SIZE).end;
}

/**
 * mhp_range_allowed(start, size, need_mapping) via mhp_get_pluggable_range(): pr_warn and
 * false when [start, start + size) is empty or outside the pluggable range.
 */
export function mhp_range_allowed(k: Kernel, start: number, size: number): boolean {
  const r = k.arch.policy.mappableRange(k.boot.memstart, k.boot.maxPfn * k.c.PAGE_SIZE);
  const end = Math.min(r.end, physmemEnd(k));
  if (start < start + size && start >= r.start && start + size - 1 <= end) return true;
  pr_warn(k, FILE + ':mhp_range_allowed', 'Hotplug memory [%#llx-%#llx] exceeds maximum addressable range [%#llx-%#llx]\n',
    BigInt(start), BigInt(start + size), BigInt(r.start), BigInt(end));
  return false;
}

/**
 * arch_add_memory(): x86 init_memory_mapping() + add_pages() (-ERANGE past
 * DIRECT_MAP_PHYSMEM_END from v6.11/6.12; WARN_ON_ONCE on any __add_pages error); arm64
 * __create_pgd_mapping() + __add_pages() (linear map removed again on failure); riscv
 * create_linear_mapping_range() + __add_pages() (v6.11+); loongarch __add_pages() and a
 * pr_warn on failure (the direct map is a hardware window).
 */
export function arch_add_memory(k: Kernel, nid: number, start: number, size: number, altmap: string | null, pgmap: PgmapGeom | null = null): number {
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
    const ret = __add_pages(k, nid, start / P, size / P, altmap, pgmap);
    WARN(k, ret !== 0, 'arch/x86/mm/init_64.c:add_pages', null, [], true);
    return ret;
  }
  if (k.arch.cfg.arch === 's390x') return s390_arch_add_memory(k, nid, start, size, altmap, pgmap);
  const ret = __add_pages(k, nid, start / P, size / P, altmap, pgmap);
  // arch/loongarch/mm/init.c arch_add_memory() @ v6.2..v7.1
  if (ret && k.arch.cfg.arch === 'loongarch64') pr_warn(k, 'arch/loongarch/mm/init.c:arch_add_memory', '%s: Problem encountered in __add_pages() as ret=%d\n', 'arch_add_memory', ret);
  return ret;
}

/**
 * arch/s390/mm/init.c arch_add_memory() @ v5.6..v7.1: an altmap is refused with WARN_ON_ONCE
 * and -EINVAL until v6.9 (vmemmap_populate() could not use one); vmem_add_mapping() maps the
 * range into the identity map and refuses (-ERANGE) what lies past VMEM_MAX_PHYS (<= v6.1,
 * insert_memory_segment() in v5.6) or the mappable range (v5.15+); __add_pages(), and on its
 * failure vmem_remove_mapping(). The identity map itself is not modelled.
 */
function s390_arch_add_memory(k: Kernel, nid: number, start: number, size: number, altmap: string | null, pgmap: PgmapGeom | null): number {
  const P = k.c.PAGE_SIZE;
  if (altmap && k.profile.s390Populate !== 'v6.9') {
    WARN(k, true, 'arch/s390/mm/init.c:arch_add_memory', null, [], true);
    return EINVAL;
  }
  const r = k.arch.policy.mappableRange(k.boot.memstart, k.boot.maxPfn * P);
  if (start < r.start || start + size > r.end + 1) return ERANGE;
  return __add_pages(k, nid, start / P, size / P, altmap, pgmap);
}

/**
 * s390 standby memory, the model's hot-add: sclp adds each standby memory block with
 * add_memory() (drivers/s390/char/sclp_cmd.c add_memory_merged(): no flags up to v6.8;
 * MHP_MEMMAP_ON_MEMORY | MHP_OFFLINE_INACCESSIBLE when the CPU has EDAT-1, v6.9..v6.18 in
 * sclp_mem.c) or, from v7.1, when 1 is written to /sys/firmware/memory/memory<N>/config
 * (sclp_config_mem_store(): __add_memory() with MHP_MEMMAP_ON_MEMORY when the block's
 * memmap_on_memory attribute - default mhp_supports_memmap_on_memory() - is set), one block at
 * a time. MHP_OFFLINE_INACCESSIBLE (memmap pages not touched while the storage is unassigned)
 * is not modelled.
 *
 * The per-block add_memory() calls run as runs of identical blocks on the range engine
 * (engine.ts runSteps, one iteration = one block): a run of n blocks is add_memory_blocks(),
 * which leaves what n add_memory() calls leave, and a block that differs (a failure, a busy
 * range, an allocator running short) splits the run down to single add_memory() calls. The
 * cost grows with the runs, not with the number of blocks. The blocks' messages become one
 * message repeated per block (printk `run`): the same lines, of which a report writes out at
 * most 4096 per message (test/s390-standby-runs.test.ts compares both ways).
 */
export function sclp_add_standby_memory(k: Kernel, nid: number, start: number, size: number): number {
  const mom = sclpMemmapOnMemory(k);
  const bs = k.boot.memoryBlockSize;
  if (!isAligned(start, bs) || !isAligned(size, bs) || size === 0) return add_memory(k, nid, start, size, { memmapOnMemory: mom });
  // sclp ignores the result of each add_memory(); the model stops at the first failure and reports it
  return runSteps(k, start / bs, (start + size) / bs, 1, (a, b) => (b - a === 1
    ? add_memory(k, nid, a * bs, bs, { memmapOnMemory: mom })
    : add_memory_blocks(k, nid, a * bs, b - a, { memmapOnMemory: mom })));
}

/** Whether sclp asks for MHP_MEMMAP_ON_MEMORY when it adds a standby block (see sclp_add_standby_memory). */
export function sclpMemmapOnMemory(k: Kernel): boolean {
  const v = k.profile.s390Standby;
  return v === 'v6.9' ? k.arch.cfg.config.edat1 === true : v === 'v7.1' ? mhp_supports_memmap_on_memory(k, k.boot.memoryBlockSize) : false;
}

export function arch_remove_memory(k: Kernel, start: number, size: number, altmap: string | null): void {
  __remove_pages(k, start / k.c.PAGE_SIZE, size / k.c.PAGE_SIZE, altmap);
}

// ---------------------------------------------------------------------------------------
// Memory blocks and hot-plug ranges

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

/**
 * True if register_memory_resource()'s __request_region() would fail over [start, end): a busy
 * resource there (System RAM, a claimed namespace), or a resource that is not busy (a pmem or
 * Soft Reserved range) which the range sticks out of. kernel/resource.c
 * __request_region_locked() (v5.6..v7.1) descends into a non-busy conflicting resource and
 * retries there; a range not wholly inside it conflicts with it again: -EBUSY, -EEXIST here.
 */
function busyConflict(k: Kernel, start: number, end: number, inside?: string): boolean {
  const over = k.s.iomem.segmentsOverlapping(start, end);
  if (over.some((r) => r.v.kind === 'System RAM')) return true;
  if (k.s.claims.overlaps(start, end).some((c) => c.v.owner !== inside)) return true;
  for (const r of over) {
    // the resource's whole extent (System RAM nested in it earlier splits it in the flat map)
    let lo = r.start;
    let hi = r.end;
    for (const x of k.s.iomem) if (x.v.owner === r.v.owner && x.v.kind === r.v.kind) { lo = Math.min(lo, x.start); hi = Math.max(hi, x.end); }
    if (start < lo || end > hi) return true;
  }
  return false;
}

/**
 * The busy System RAM resource register_memory_resource() requests for [start, start + size):
 * when busyConflict() let it through a non-busy resource (a pmem region, Soft Reserved), it
 * nests inside that one, which it only hides in the flat map (see remove_memory()).
 */
function ramResource(k: Kernel, start: number, size: number, flags: MhpFlags): Resource {
  const p = k.s.iomem.segmentsOverlapping(start, start + size).find((r) => r.v.kind !== 'System RAM')?.v;
  const res: Resource = { name: flags.resourceName ?? 'System RAM', kind: 'System RAM', owner: 'hotplug' };
  if (p) res.parent = { name: p.name, kind: p.kind, owner: p.owner };
  return res;
}

// ---------------------------------------------------------------------------------------
// memmap_on_memory: the memmap of hot-added memory inside the memory itself

const SELF_SITE = FILE + ':create_altmaps_and_memory_blocks';

/**
 * mhp_supports_memmap_on_memory(size):
 *  v5.13: parameter on, size == one memory block, the block's memmap PMD-aligned and the
 *         rest pageblock-aligned (5.15 also: hugetlb_free_vmemmap off);
 *  v6.6:  parameter on or force, size == one block, memmap whole pages, memmap pages
 *         (force: pageblock-aligned) pageblock-aligned and not the whole block,
 *         arch_supports_memmap_on_memory() (default: memmap PMD-aligned);
 *  v6.8+: the same without the size test (requests are split per block).
 */
export function mhp_supports_memmap_on_memory(k: Kernel, size: number): boolean {
  return memmapOnMemoryRefusal(k, size) === null;
}

/**
 * The same checks, in the kernel's order, saying which one refuses (null: supported). The one
 * definition of the rule: mhp_supports_memmap_on_memory() is "no refusal", and `explain` quotes it.
 */
export function memmapOnMemoryRefusal(k: Kernel, size: number): string | null {
  const user = k.profile.policies?.memmap_on_memory;
  if (!user) return builtinMemmapOnMemoryRefusal(k, size);
  const memmap = memoryBlockMemmapSize(k);
  return user({
    size, blockSize: k.boot.memoryBlockSize, pageSize: k.c.PAGE_SIZE, memmapBytes: memmap, memmapPages: memoryBlockMemmapPages(k),
    pageblockPages: k.c.PAGEBLOCK_PAGES, pmdSize: k.c.PMD_SIZE, base: () => builtinMemmapOnMemoryRefusal(k, size),
  });
}

function builtinMemmapOnMemoryRefusal(k: Kernel, size: number): string | null {
  const v = k.profile.memmapOnMemory;
  if (v === 'none') return `memory_hotplug.memmap_on_memory does not exist in ${k.profile.id} (v5.13+)`;
  // without ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE there is no CONFIG_MHP_MEMMAP_ON_MEMORY
  if (k.arch.cfg.lacks.memmapOnMemory) return k.arch.cfg.lacks.memmapOnMemory;
  if (k.cmdline.memmapOnMemory === 'off') return 'memory_hotplug.memmap_on_memory is off';
  const bs = k.boot.memoryBlockSize;
  const P = k.c.PAGE_SIZE;
  const memmap = memoryBlockMemmapSize(k);
  const pb = k.c.PAGEBLOCK_PAGES;
  if (v === 'v5.13') {
    if (k.profile.memmapOnMemoryExcludesHvo && hugetlbFreeVmemmapEnabled(k)) return 'hugetlb_free_vmemmap is on (this version allows only one of the two)';
    if (size !== bs) return `the request is ${size / bs} memory blocks; this version supports exactly one (${bs / 2 ** 20} MiB)`;
    const vmemmapSize = (size / P) * k.c.STRUCT_PAGE;
    if (!isAligned(vmemmapSize, k.c.PMD_SIZE)) return `the block's memmap (${vmemmapSize / 1024} KiB) is not a multiple of PMD_SIZE (${k.c.PMD_SIZE / 2 ** 20} MiB)`;
    if (!isAligned(size - vmemmapSize, pb * P)) return `the rest of the block is not pageblock-aligned (pageblock ${pb} pages)`;
    return null;
  }
  if (v === 'v6.6' && size !== bs) return `the request is ${size / bs} memory blocks; v6.6-v6.7 support exactly one (${bs / 2 ** 20} MiB); v6.8 splits a request per block`;
  const pages = memoryBlockMemmapPages(k);
  if (!isAligned(memmap, P)) return `the block's memmap (${memmap} B) is not a whole number of pages`;
  if (!isAligned(pages, pb)) return `the block's memmap is ${pages} page(s), not a multiple of a pageblock (${pb} pages); memory_hotplug.memmap_on_memory=force pads it to whole pageblocks`;
  if (pages === bs / P) return 'the memmap would fill the whole block (force padding to a pageblock as large as the block)';
  // arch_supports_memmap_on_memory(): powerpc overrides it; the other arches use the default (memmap PMD-aligned)
  const archCheck = k.arch.policy.supportsMemmapOnMemory;
  if (archCheck) return archCheck(memmap);
  if (!isAligned(memmap, k.c.PMD_SIZE)) return `the block's memmap (${memmap / 1024} KiB) is not PMD-aligned (arch_supports_memmap_on_memory: ${k.c.PMD_SIZE / 2 ** 20} MiB)`;
  return null;
}

/** 5.15 hugetlb_free_vmemmap_enabled: the parameter, on an arch with HugeTLB vmemmap freeing (x86_64 in 5.15). */
function hugetlbFreeVmemmapEnabled(k: Kernel): boolean {
  return k.cmdline.hugetlbFreeVmemmap && k.arch.cfg.arch === 'x86_64';
}

/**
 * The altmaps of `blocks` consecutive memory blocks from `pfn`, held as one object (see
 * VmemAltmap.self): base_pfn = the block's first pfn, free = `free`, the rest zero.
 */
function selfAltmap(k: Kernel, pfn: number, blocks: number, free: number, node: number): string {
  const stride = k.boot.memoryBlockSize / k.c.PAGE_SIZE;
  const id = `memmap_on_memory@0x${pfn.toString(16)}`;
  k.s.altmaps.set(id, {
    id, base_pfn: pfn, end_pfn: pfn + stride - 1, reserve: 0, free, align: 0, alloc: 0,
    owner: 'memmap_on_memory', device: 'hot-added memory',
    self: { stride, slice: Math.ceil(memoryBlockMemmapSize(k) / k.c.PAGE_SIZE), blocks, node },
  });
  return id;
}

/** The live altmap state of the blocks [b0, b1) as one transient object, for arch_remove_memory(). */
function blocksAltmap(k: Kernel, b0: number, b1: number, alloc: number, nid: number): string {
  const stride = k.boot.memoryBlockSize / k.c.PAGE_SIZE;
  const id = selfAltmap(k, b0 * stride, b1 - b0, stride, nid);
  k.s.altmaps.get(id)!.alloc = alloc;
  return id;
}

/**
 * v6.8+ create_altmaps_and_memory_blocks(): per memory block an altmap, arch_add_memory()
 * and the block device. On a failure the blocks done so far are removed again
 * (remove_memory_blocks_and_altmaps) and the failing block's partial work stays.
 */
function create_altmaps_and_memory_blocks(k: Kernel, nid: number, start: number, size: number): number {
  const bs = k.boot.memoryBlockSize;
  const P = k.c.PAGE_SIZE;
  const first = start / bs;
  const free = memoryBlockMemmapPages(k);
  const err = runSteps(k, first, first + size / bs, 1, (a, b) => {
    const id = selfAltmap(k, (a * bs) / P, b - a, free, nid);
    const logFrom = k.s.log.length;
    const ret = arch_add_memory(k, nid, a * bs, (b - a) * bs, id);
    interleaveRuns(k, logFrom, b - a); // the kernel prints block by block
    const alloc = k.s.altmaps.get(id)!.alloc;
    k.s.altmaps.delete(id); // kfree on failure; on success the blocks own their altmaps
    if (ret < 0) return ret;
    if (alloc % (b - a) !== 0) unusual(k, 'blocks of one run differ');
    k.s.blocks.set(a, b, { nid, state: 'offline', zone: null, early: false, vmemmapPages: free, altmapAlloc: alloc / (b - a) });
    return 0;
  });
  if (err === 0) return 0;
  // the blocks already added: remove_memory_blocks_and_altmaps(start, cur_start - start)
  const done = k.s.blocks.coverage(first, first + size / bs);
  if (done > 0) remove_memory_blocks_and_altmaps(k, start, done * bs);
  leftBehind(k, SELF_SITE, start + done * bs, bs);
  return err;
}

/**
 * v6.8+ remove_memory_blocks_and_altmaps(): per block, the block device, then
 * arch_remove_memory() with the block's altmap, then WARN(altmap->alloc, "Altmap not fully
 * unmapped") and kfree. Runs of identical blocks go at once.
 */
function remove_memory_blocks_and_altmaps(k: Kernel, start: number, size: number): void {
  const bs = k.boot.memoryBlockSize;
  const [b0, b1] = blockRange(k, start, size);
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    const n = s.end - s.start;
    const id = blocksAltmap(k, s.start, s.end, s.v.altmapAlloc * n, s.v.nid);
    k.s.blocks.clear(s.start, s.end);
    arch_remove_memory(k, s.start * bs, n * bs, id);
    const left = k.s.altmaps.get(id)!.alloc;
    k.s.altmaps.delete(id);
    if (left !== 0) altmapNotFullyUnmapped(k, n, 'remove_memory_blocks_and_altmaps');
  }
}

/**
 * WARN(altmap->alloc, "Altmap not fully unmapped"): in try_remove_memory() up to v6.7, in
 * remove_memory_blocks_and_altmaps() from v6.8 (mm/memory_hotplug.c @ v6.8..v7.1), once per
 * block there; the model prints it once for a run of `count` identical blocks and notes the count.
 */
function altmapNotFullyUnmapped(k: Kernel, count: number, fn: 'try_remove_memory' | 'remove_memory_blocks_and_altmaps'): void {
  WARN(k, true, FILE + ':' + fn, 'Altmap not fully unmapped', []);
  if (count > 1) k.s.trace.push({ t: 'note', text: `"Altmap not fully unmapped" for each of ${count} blocks` });
}

// ---------------------------------------------------------------------------------------
// System RAM hot-add / hot-remove (add_memory / remove_memory) and memory blocks

export interface MhpFlags {
  /** MHP_MEMMAP_ON_MEMORY */
  memmapOnMemory?: boolean;
  /** add_memory_driver_managed(): the resource name, e.g. "System RAM (kmem)". */
  resourceName?: string;
  /** The busy resource the new one nests in (kmem inside its dax device's namespace). */
  inside?: string;
}

/**
 * drivers/acpi/acpi_memhotplug.c acpi_memory_enable_device(): __add_memory() per memory
 * range of the DIMM, asking for MHP_MEMMAP_ON_MEMORY when mhp_supports_memmap_on_memory()
 * says yes for its length (v5.13-v6.5) or always (v6.6+: the core decides and falls back).
 */
export function acpi_memory_enable_device(k: Kernel, nid: number, start: number, size: number): number {
  const v = k.profile.memmapOnMemory;
  const mom = v === 'none' ? false : v === 'v5.13' ? mhp_supports_memmap_on_memory(k, size) : true;
  return add_memory(k, nid, start, size, { memmapOnMemory: mom });
}

/**
 * add_memory(nid, start, size, flags) -> add_memory_resource(): register_memory_resource
 * (mhp_range_allowed -> -E2BIG; a busy overlap -> pr_debug + -EEXIST),
 * check_hotplug_memory_range (-EINVAL), memblock_add_node (ARCH_KEEP_MEMBLOCK only), the
 * memmap_on_memory altmap(s) per version, arch_add_memory (a failure is not undone:
 * sections already added stay), create_memory_block_devices, then auto-online per
 * memhp_default_state (its result is ignored).
 */
export function add_memory(k: Kernel, nid: number, start: number, size: number, flags: MhpFlags = {}): number {
  // v5.11+: mhp_range_allowed() first; <= v5.10 the range is checked in __add_pages()
  if (k.profile.hotplugRangeCheck === 'mhp' && !mhp_range_allowed(k, start, size)) return E2BIG;
  if (busyConflict(k, start, start + size, flags.inside)) {
    printk(k, KERN_DEBUG, 'kernel/resource.c:register_memory_resource', 'Unable to reserve System RAM region: %016llx->%016llx\n', [BigInt(start), BigInt(start + size)]);
    return EEXIST;
  }
  const e = check_hotplug_memory_range(k, start, size);
  if (e) return e;
  // memblock_add_node(): only with ARCH_KEEP_MEMBLOCK since v5.9 (v5.6: always)
  const keep = k.arch.cfg.keepMemblock || k.profile.hotAddMemblockAlways;
  if (keep) k.s.memblockMemory.set(start, start + size, nid);
  // A node that was offline comes online with the memory: mm/memory_hotplug.c
  // add_memory_resource() node_set_online() after arch_add_memory() succeeded up to v6.14, right
  // after __try_online_node() in v6.18 with node_set_offline() on the "error:" path. Either way a
  // failed add leaves it offline (read in 5.10.7, 6.14, 6.18.2).
  const newNode = !k.s.nodes[nid]!.online;
  k.s.nodes[nid]!.online = true;
  const undoAdd = () => {
    if (keep) k.s.memblockMemory.clear(start, start + size);
    if (newNode) k.s.nodes[nid]!.online = false;
  };
  const P = k.c.PAGE_SIZE;
  const [b0, b1] = blockRange(k, start, size);
  const v = k.profile.memmapOnMemory;
  if (flags.memmapOnMemory && v === 'v6.8' && mhp_supports_memmap_on_memory(k, size)) {
    const ret = create_altmaps_and_memory_blocks(k, nid, start, size);
    if (ret) { undoAdd(); return ret; }
  } else {
    let altmap: string | null = null;
    if (flags.memmapOnMemory && v === 'v5.13') {
      // the whole request (one block): altmap {base_pfn = start, free = all its pages}
      if (!mhp_supports_memmap_on_memory(k, size)) { undoAdd(); return EINVAL; }
      altmap = selfAltmap(k, start / P, 1, size / P, nid);
    } else if (flags.memmapOnMemory && v === 'v6.6' && mhp_supports_memmap_on_memory(k, size)) {
      altmap = selfAltmap(k, start / P, 1, memoryBlockMemmapPages(k), nid); // else: fall back to RAM
    }
    const ret = arch_add_memory(k, nid, start, size, altmap);
    const alloc = altmap ? k.s.altmaps.get(altmap)!.alloc : 0;
    if (altmap) k.s.altmaps.delete(altmap);
    if (ret !== 0) {
      undoAdd();
      leftBehind(k, 'mm/memory_hotplug.c:add_memory_resource', start, size);
      return ret;
    }
    // create_memory_block_devices(): v5.13 records mhp_altmap.alloc as nr_vmemmap_pages;
    // v6.6 hands the block the altmap itself (its free is what onlining skips)
    const vm = altmap === null ? 0 : v === 'v5.13' ? alloc : memoryBlockMemmapPages(k);
    k.s.blocks.set(b0, b1, { nid, state: 'offline', zone: null, early: false, vmemmapPages: vm, altmapAlloc: alloc });
  }
  k.s.iomem.set(start, start + size, ramResource(k, start, size, flags));
  const t = k.cmdline.onlineType;
  if (t !== 'offline') online_blocks(k, start, size, t);
  return 0;
}

/**
 * n >= 2 consecutive add_memory(nid, start + i * bs, bs, flags) calls (bs = the memory block
 * size), block by block in address order, as one run: only as a range-engine body
 * (sclp_add_standby_memory), in optimistic mode. It leaves the state, resources, block devices
 * and messages the n calls leave; anything that could differ from one block to the next, or
 * fail, is unusual() and the engine splits the run down to real add_memory() calls.
 */
function add_memory_blocks(k: Kernel, nid: number, start: number, n: number, flags: MhpFlags): number {
  if (k.optimistic === 0) throw new Error('add_memory_blocks() outside an optimistic run');
  const bs = k.boot.memoryBlockSize;
  const size = n * bs;
  const logFrom = k.s.log.length;
  try {
    // every block passes mhp_range_allowed() (a pr_warn and -E2BIG) iff the run does
    if (k.profile.hotplugRangeCheck === 'mhp' && !mhp_range_allowed(k, start, size)) unusual(k, 'outside the pluggable range');
    // register_memory_resource(): a busy resource over any block (-EEXIST for that block)
    if (busyConflict(k, start, start + size, flags.inside)) unusual(k, 'busy resource');
    // check_hotplug_memory_range() passes: every block is one aligned memory block
    const keep = k.arch.cfg.keepMemblock || k.profile.hotAddMemblockAlways;
    if (keep) k.s.memblockMemory.set(start, start + size, nid);
    k.s.nodes[nid]!.online = true;
    const v = k.profile.memmapOnMemory;
    const [b0, b1] = blockRange(k, start, size);
    if (flags.memmapOnMemory && v === 'v6.8' && mhp_supports_memmap_on_memory(k, bs)) {
      // create_altmaps_and_memory_blocks() for each block is one call over the run: it already
      // runs its blocks as runs, one altmap and one block device each
      const ret = create_altmaps_and_memory_blocks(k, nid, start, size);
      if (ret) { unusual(k, 'create_altmaps_and_memory_blocks() failed'); return ret; }
    } else {
      // v5.13 / v6.6 give each call one altmap of its own: block by block
      if (flags.memmapOnMemory && v !== 'v6.8') unusual(k, 'a per-call memmap_on_memory altmap');
      const ret = arch_add_memory(k, nid, start, size, null);
      if (ret) { unusual(k, 'arch_add_memory() failed'); return ret; }
      k.s.blocks.set(b0, b1, { nid, state: 'offline', zone: null, early: false, vmemmapPages: 0, altmapAlloc: 0 });
    }
    // the blocks' resources are adjacent with equal payloads: one range either way
    k.s.iomem.set(start, start + size, ramResource(k, start, size, flags));
    const t = k.cmdline.onlineType;
    if (t !== 'offline') {
      // Block by block, onlining block i to a kernel zone gives its node free pages before
      // block i + 1 allocates its memmap: a block after the first might then be served by nid
      // where the run, with nid short, went to another node. nid never short (its free pages
      // only go down here, by at most a page between a take and a fragment's refund) means
      // every allocation saw the same choice.
      if (zoneFor(t) === 'Normal' && k.s.nodes[nid]!.free < maxBuddyRequest(k) + 1) unusual(k, 'onlining may refill a node the run found short');
      online_blocks(k, start, size, t);
    }
  } catch (e) {
    // an oops inside the run: the real blocks before it are the ones that must stay done
    if (e instanceof KernelOops) unusual(k, 'kernel oops');
    throw e;
  }
  // the kernel prints block by block: the run's messages must be n repetitions of one block's
  interleaveRuns(k, logFrom, n);
  const ms = k.s.log.length - logFrom;
  if (ms > 1 || (ms === 1 && (k.s.log[logFrom]!.run?.count ?? 1) % n !== 0)) unusual(k, 'messages not one per block');
  return 0;
}

/** The largest buddy request populating the vmemmap of hot-added memory makes: a PMD_SIZE block or a table. */
function maxBuddyRequest(k: Kernel): number {
  const tables = Object.values(k.c.tableCost.runtime).map((x) => Math.ceil(x));
  return Math.max(k.c.PMD_SIZE / k.c.PAGE_SIZE, ...tables);
}

function zoneFor(t: string): Zone {
  return t === 'online_movable' ? 'Movable' : 'Normal';
}

/**
 * Online every offline block of [start, start + size) (drivers/base/memory.c
 * memory_block_online -> online_pages). A self-hosting block's first vmemmapPages pages go
 * to mhp_init_memmap_on_memory(), never to the buddy: only the rest becomes free memory.
 */
export function online_blocks(k: Kernel, start: number, size: number, type: string): number {
  const [b0, b1] = blockRange(k, start, size);
  const pages = k.boot.memoryBlockSize / k.c.PAGE_SIZE;
  for (const g of k.s.blocks.gaps(b0, b1)) if (g.start < g.end) return EINVAL;
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    if (s.v.state === 'online') return EINVAL; // device_online() returns 1 -> -EINVAL from state_store
  }
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    const zone = zoneFor(type);
    // online_pages() (and mhp_init_memmap_on_memory() for self-hosted pages) ->
    // move_pfn_range_to_zone() -> memmap_init_range() (memmap_init_zone() before v5.11) writes
    // every struct page of the block: an unmapped one oopses (kernel/fault.ts)
    const v = k.profile.zoneDeviceInit;
    const fn = v === 'v5.9' ? 'memmap_init_zone' : 'memmap_init_range';
    touchStructPages(k, { fn, site: `${v === 'v6.4' ? 'mm/mm_init.c' : 'mm/page_alloc.c'}:${fn}`, access: 'write', field: 0, what: 'online_pages() initialising the struct pages of the memory block' }, s.start * pages, s.end * pages);
    k.s.blocks.set(s.start, s.end, { ...s.v, state: 'online', zone });
    if (zone === 'Normal') {
      const n = k.s.nodes[s.v.nid]!;
      const got = (s.end - s.start) * (pages - s.v.vmemmapPages);
      n.free += got;
      n.managed += got;
    }
  }
  return 0;
}

/**
 * Offline every block of [start, start + size), in address order (memory_block_offline ->
 * offline_pages of the block minus its self-hosted vmemmap pages), stopping at the first
 * refusal: a block that is not online (-EINVAL). arm64 boot memory is
 * refused by prevent_bootmem_remove_notifier (-EPERM). A kernel-zone block is refused with
 * -EBUSY when the model's kernel allocations on that node no longer fit in the remaining
 * free memory (unmovable pages must have landed there).
 */
export function offline_blocks(k: Kernel, start: number, size: number): number {
  const [b0, b1] = blockRange(k, start, size);
  const bs = k.boot.memoryBlockSize;
  const pages = bs / k.c.PAGE_SIZE;
  // block by block in address order, as memory_block_offline() per block device: the blocks
  // before one that is refused are offline already (drivers/base/memory.c, v5.6..v7.1)
  for (const s of k.s.blocks.overlaps(b0, b1)) {
    if (s.v.state !== 'online') return EINVAL;
    if (k.arch.cfg.arch === 'arm64' && !k.profile.arm64HotRemove) return EINVAL; // offline_pages() stub without MEMORY_HOTREMOVE
    // (a boot block with a hole fails offline_pages()'s hole check, below, before the notifier runs)
    if (k.arch.cfg.arch === 'arm64' && s.v.early && k.profile.arm64BootmemNotifier !== 'none' && firstRamHole(k, s.start * bs, s.start * bs + bs) === null) {
      const sec = 2 ** k.arch.cfg.SECTION_SIZE_BITS;
      if (k.profile.arm64BootmemNotifier === 'warn') pr_warn(k, 'arch/arm64/mm/mmu.c:prevent_bootmem_remove_notifier', 'Boot memory [%lx %lx] offlining attempted\n', s.start * bs, s.start * bs + sec);
      printk(k, KERN_DEBUG, FILE + ':offline_pages', 'memory offlining [mem %#010llx-%#010llx] failed due to %s\n', [BigInt(s.start * bs), BigInt(s.start * bs + bs - 1), 'notifier failure']); // its own block (offline_pages() of memory_block_offline(), v5.7..v7.1), not the request
      return EPERM;
    }
    const nr = pages - s.v.vmemmapPages;
    // offline_pages() (v5.6+, commit c5e79ef561b0): walk_system_ram_range() must count every
    // page of the block as System RAM, else -EINVAL "memory holes" before anything else is
    // tried. Only a boot block can have a hole (hot-added blocks are whole System RAM).
    const hole = firstRamHole(k, s.start * bs, s.end * bs);
    const whole = hole === null ? s.end - s.start : Math.floor(hole / bs) - s.start;
    // block by block (each memory block's offline_pages()): as many as the free pages allow
    let done = whole;
    if (s.v.zone === 'Normal') {
      const n = k.s.nodes[s.v.nid]!;
      done = Math.min(done, Math.floor(n.free / nr));
      n.free -= done * nr;
      n.managed -= done * nr;
    }
    if (done > 0) {
      k.s.blocks.set(s.start, s.start + done, { ...s.v, state: 'offline', zone: null });
      printk(k, k.profile.offlinedPagesLevel, FILE + ':offline_pages', 'Offlined Pages %ld\n', [nr], { run: { count: done, nth: () => `Offlined Pages ${nr}\n` } });
    }
    if (done === whole && whole < s.end - s.start) {
      const blk = s.start + done;
      printk(k, KERN_DEBUG, FILE + ':offline_pages', 'memory offlining [mem %#010llx-%#010llx] failed due to %s\n', [BigInt(blk * bs), BigInt(blk * bs + bs - 1), 'memory holes']);
      return EINVAL;
    }
    if (done < s.end - s.start) {
      // start_isolate_page_range() -> has_unmovable_pages(): -EBUSY (after a dump_page() of the page)
      const blk = s.start + done;
      const first = blk * bs + s.v.vmemmapPages * k.c.PAGE_SIZE;
      printk(k, KERN_DEBUG, FILE + ':offline_pages', 'memory offlining [mem %#010llx-%#010llx] failed due to %s\n', [BigInt(first), BigInt(blk * bs + bs - 1), 'failure to isolate range'], { approx: true });
      return EBUSY;
    }
  }
  return 0;
}

/** The first address of [start, end) that no System RAM resource covers (a hole), or null. */
function firstRamHole(k: Kernel, start: number, end: number): number | null {
  let cur = start;
  for (const r of k.s.iomem.overlaps(start, end)) {
    if (r.v.kind !== 'System RAM') continue;
    if (r.start > cur) return cur;
    cur = r.end;
  }
  return cur < end ? cur : null;
}

/**
 * remove_memory(start, size) -> try_remove_memory(): a misaligned range is a BUG (reported
 * as such); any online block -> pr_warn + -EBUSY; then, for self-hosting blocks, the
 * version's altmap rules; arch_remove_memory(), the block devices, memblock, the resource.
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
  const v = k.profile.memmapOnMemory;
  const on = v !== 'none' && k.cmdline.memmapOnMemory !== 'off';
  const selfRuns = on ? k.s.blocks.overlaps(b0, b1).filter((s) => s.v.vmemmapPages > 0) : [];
  let altmap: string | null = null;
  if (selfRuns.length > 0 && v === 'v6.8') {
    // memory_blocks_have_altmaps(): all blocks or none
    const n = selfRuns.reduce((t, s) => t + (s.end - s.start), 0);
    if (n !== b1 - b0) {
      WARN(k, true, FILE + ':memory_blocks_have_altmaps', null, [], true);
      return EINVAL;
    }
    remove_memory_blocks_and_altmaps(k, start, size);
  } else {
    if (selfRuns.length > 0) {
      // v5.13 / v6.6: only the single block that was added with it
      if (size !== bs) {
        pr_warn(k, FILE + ':try_remove_memory', 'Refuse to remove %#llx - %#llx,wrong granularity\n', BigInt(start), BigInt(start + size));
        return EINVAL;
      }
      const blk = selfRuns[0]!.v;
      // v5.13 rebuilds {alloc = nr_vmemmap_pages}; v6.6 takes mem->altmap
      altmap = blocksAltmap(k, b0, b1, v === 'v5.13' ? blk.vmemmapPages : blk.altmapAlloc, blk.nid);
    }
    k.s.blocks.clear(b0, b1);
    arch_remove_memory(k, start, size, altmap);
    if (altmap) {
      const left = k.s.altmaps.get(altmap)!.alloc;
      k.s.altmaps.delete(altmap);
      if (v === 'v6.6' && left !== 0) altmapNotFullyUnmapped(k, 1, 'try_remove_memory');
    }
  }
  k.s.blocks.clear(b0, b1);
  // memblock_remove(): in try_remove_memory() unconditionally up to v5.7 (read in 5.6.4 and
  // 5.7.14), only with ARCH_KEEP_MEMBLOCK from v5.8 (5.8.1) - the same rule as
  // memblock_add_node() in add_memory()
  if (k.arch.cfg.keepMemblock || k.profile.hotAddMemblockAlways) k.s.memblockMemory.clear(start, start + size);
  // kernel/resource.c release_mem_region_adjustable() (read in 6.1.20 and 7.1.5) descends into
  // a non-busy resource and frees only the busy System RAM child: the pmem region or Soft
  // Reserved range it nested in stays whole. (5.6.4 instead backs off at a parent without
  // IORESOURCE_SYSRAM and leaves the System RAM child in place: not modelled.)
  const nested = k.s.iomem.overlaps(start, start + size).filter((r) => r.v.parent);
  k.s.iomem.clear(start, start + size);
  for (const r of nested) k.s.iomem.set(Math.max(r.start, start), Math.min(r.end, start + size), r.v.parent!);
  return 0;
}

export type { MemoryBlock };
export { buddy_free };
