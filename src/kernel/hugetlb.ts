/**
 * HugeTLB pools and the HugeTLB vmemmap optimisation (HVO): mm/hugetlb.c (hstates,
 * report_hugepages, boot and runtime pool sizing) and mm/hugetlb_vmemmap.c, per version (see
 * docs/research/hvo.md, read in 5.15.100, 6.1.0-rc7, 6.1.20, 6.6.9, 6.12.0, 6.18.2, 7.1.5).
 *
 * What is exact: which huge page sizes exist per arch and kernel, the boot lines, how many
 * vmemmap pages one optimised folio frees and allocates, the 8 PTE tables a 1 GiB folio's
 * split costs. What the model does not know: where the buddy allocator puts a huge page. So
 * the vmemmap PMDs that get split (one PTE table each, never undone) are given as a range
 * [min, max] per node, and the mapping itself is not redrawn page by page; the report says so.
 * Huge pages are assumed to live in the node's boot memory (not in self-hosting hot-added
 * blocks, whose folios HVO would skip).
 */
import { fmtSizeKernel } from '../util/units.js';
import { memblock_alloc } from './memblock.js';
import { buddy_alloc, buddy_free } from './page_alloc.js';
import { KERN_INFO, KERN_WARNING, printk } from './printk.js';
import type { Kernel } from './state.js';

export interface Hstate {
  /** Huge page size in bytes. */
  size: number;
  /** Pages in the pool per node. */
  pages: number[];
  /** Of those, folios whose vmemmap is optimised. */
  optimized: number[];
}

/** Per-node HVO bookkeeping. */
export interface HvoState {
  hstates: Hstate[];
  /** Net vmemmap pages given back to the page allocator (freed minus newly allocated heads). */
  freed: number[];
  /** PTE tables allocated to split vmemmap PMDs: at least / at most (placement unknown). */
  splitMin: number[];
  splitMax: number[];
  /** 7.1: the shared per-zone, per-order tail pages allocated so far (zone ~ node here). */
  sharedTails: Set<string>;
  /**
   * Pages HVO handed to totalram_pages (MemTotal): freeing a boot (memblock, PageReserved)
   * vmemmap page goes through free_bootmem_page() -> free_reserved_page(), which raises the
   * managed count; freeing a buddy page does not. At least / at most: which folios reuse
   * vmemmap pages an earlier restore (or a new head) took from the buddy allocator is not known.
   */
  gainMin: number[];
  gainMax: number[];
  /** At most this many buddy pages that HVO could unmap again are mapped in the node's vmemmap (restored folios' pages). */
  buddyBacked: number[];
}

/**
 * hugepages_supported(): x86 needs PSE (arch/x86/include/asm/hugetlb.h), s390 EDAT-1
 * (cpu_has_edat1(), arch/s390/include/asm/hugetlb.h), powerpc and the generic definition
 * HPAGE_SHIFT != 0 (include/linux/hugetlb.h); where it is false the arch config registers no
 * huge page size, which is what the model tests. Without it hugetlb_init() sets nothing up (no
 * hstates, no sysfs, no boot lines). (The model tested PSE only: s390 without EDAT-1 and
 * powerpc hash without 16M pages took hugepages= for an unsupported hugepagesz=.)
 */
export function hugepagesSupported(k: Pick<Kernel, 'arch'>): boolean {
  return k.arch.cfg.hugePageSizes.length > 0;
}

/** The huge page sizes the arch registers, in hstates[] order (each arch's config lists them). */
export function archHugePageSizes(k: Pick<Kernel, 'arch'>): number[] {
  return k.arch.cfg.hugePageSizes;
}

/** vmemmap pages of one huge page (hugetlb_vmemmap_size / PAGE_SIZE). */
function vmemmapPages(k: Kernel, size: number): number {
  return ((size / k.c.PAGE_SIZE) * k.c.STRUCT_PAGE) / k.c.PAGE_SIZE;
}

/** Whether this kernel on this arch has HVO at all (ARCH_WANT_*_HUGETLB_*_VMEMMAP). */
export function hvoSupported(k: Kernel): boolean {
  return k.profile.hvo !== 'none' && k.arch.cfg.lacks.hvo === undefined;
}

/**
 * hugetlb_vmemmap_optimizable_size(h) in pages (6.1+: vmemmap size minus the one page kept,
 * 0 if not above a page); 5.15: h->nr_free_vmemmap_pages = vmemmap pages - 2 if above 2.
 */
export function optimizablePages(k: Kernel, size: number): number {
  if (!hvoSupported(k)) return 0;
  const v = vmemmapPages(k, size);
  if (k.profile.hvo === 'v5.15') return v > 2 ? v - 2 : 0;
  return v > 1 ? v - 1 : 0;
}

export function newHvoState(k: Kernel): HvoState {
  const n = k.s.nodes.length;
  const hstates = archHugePageSizes(k).map((size) => ({ size, pages: Array(n).fill(0), optimized: Array(n).fill(0) }));
  const z = () => Array<number>(n).fill(0);
  return { hstates, freed: z(), splitMin: z(), splitMax: z(), sharedTails: new Set(), gainMin: z(), gainMax: z(), buddyBacked: z() };
}

function hstateOf(k: Kernel, size: number): Hstate | undefined {
  return k.s.hvo.hstates.find((h) => h.size === size);
}

/** "HugeTLB: registered 2.00 MiB page size, pre-allocated %ld pages" etc., per hstate (report_hugepages). */
export function report_hugepages(k: Kernel): void {
  const site = 'mm/hugetlb.c:report_hugepages';
  for (const h of k.s.hvo.hstates) {
    const s = fmtSizeKernel(h.size);
    const n = h.pages.reduce((a, b) => a + b, 0);
    if (k.profile.hugetlbReport === 'v5.10') printk(k, KERN_INFO, site, 'HugeTLB registered %s page size, pre-allocated %ld pages\n', [s, n]);
    else {
      printk(k, KERN_INFO, site, 'HugeTLB: registered %s page size, pre-allocated %ld pages\n', [s, n]);
      // capability, not state: printed with HVO off too (0 KiB where the arch has none)
      printk(k, KERN_INFO, site, 'HugeTLB: %d KiB vmemmap can be freed for a %s page\n', [(optimizablePages(k, h.size) * k.c.PAGE_SIZE) / 1024, s]);
    }
  }
}

/**
 * 5.15 hugetlb_vmemmap_init() at hstate creation, when enabled: "HugeTLB: can free %d vmemmap
 * pages for %s", for every hstate, 0 included (mm/hugetlb_vmemmap.c 5.14-5.15 prints after the
 * "> RESERVE_VMEMMAP_NR" check, not inside it).
 */
export function hugetlb_vmemmap_init_515(k: Kernel): void {
  if (k.profile.hvo !== 'v5.15' || !k.cmdline.hugetlbFreeVmemmap || !hvoSupported(k)) return;
  for (const h of k.s.hvo.hstates) {
    const n = optimizablePages(k, h.size);
    printk(k, KERN_INFO, 'mm/hugetlb_vmemmap.c:hugetlb_vmemmap_init', 'HugeTLB: can free %d vmemmap pages for %s\n', [n, `hugepages-${h.size / 1024}kB`]);
  }
}

/**
 * Optimise `count` newly allocated folios of size `size` on `node` (hugetlb_vmemmap_optimize
 * / _folios): net vmemmap pages freed per folio: 5.15 V-2, 6.1 V-1, 6.6-6.18 V freed and a
 * new head allocated (kept old head if that fails: V-1 either way), 7.1 V freed, a head and
 * (once per zone and order) a shared tail allocated. Split PTE tables as a range. Freed boot
 * pages raise MemTotal (free_vmemmap_page -> free_bootmem_page, 5.15-7.1); `preinit`: 6.18+
 * boot gigantic pages optimised at sparse_init (hugetlb_vmemmap_init_early).
 */
function optimize(k: Kernel, h: Hstate, node: number, count: number, preinit = false): void {
  if (!k.cmdline.hugetlbFreeVmemmap) return;
  if (optimizablePages(k, h.size) === 0 || count === 0) return;
  // 7.1: the first folio of a zone and order allocates the shared tail page; until one
  // succeeds, each folio tries again (folio by folio; at most a fault or two before it does).
  // A folio whose tail page cannot be allocated is not optimised: mm/hugetlb_vmemmap.c
  // __hugetlb_vmemmap_optimize_folio() (7.1) returns -ENOMEM when vmemmap_get_tail() fails,
  // before anything is remapped or freed.
  if (k.profile.hvo === 'v7.1') {
    const key = `${node}:${h.size}`;
    while (count > 0 && !k.s.hvo.sharedTails.has(key)) {
      // vmemmap_get_tail() (mm/hugetlb_vmemmap.c @ 7.1.5): alloc_pages_node(node, GFP_KERNEL |
      // __GFP_ZERO, 0), no __GFP_THISNODE: the zonelist's next node when the folio's has none.
      // Pre-HVO (boot gigantic pages at sparse_init): mm/sparse-vmemmap.c's vmemmap_get_tail()
      // (7.1.5) takes it with vmemmap_alloc_block_zero(PAGE_SIZE, node), memblock on the node,
      // before the buddy allocator or the RAM the scenario says is in use exist (as the PTE tables)
      const from = preinit ? node : buddy_alloc(k, 1, node, 1);
      if (from === node) {
        k.s.hvo.sharedTails.add(key);
        if (!preinit) buddy_free(k, node, 1); // counted in optimizeFolios' net
        optimizeFolios(k, h, node, 1, preinit, 1);
      } else if (from !== null) {
        k.s.hvo.sharedTails.add(key);
        k.s.hvo.freed[from] = (k.s.hvo.freed[from] ?? 0) - 1;
        k.s.memmapRamPages[from] = (k.s.memmapRamPages[from] ?? 0) + 1;
        optimizeFolios(k, h, node, 1, preinit, 0);
      }
      count--;
    }
  }
  if (count > 0) optimizeFolios(k, h, node, count, preinit, 0);
}

/** `count` folios optimised together; `tails` shared tail pages (7.1) allocated with them. */
function optimizeFolios(k: Kernel, h: Hstate, node: number, count: number, preinit: boolean, tails: number): void {
  const per = optimizablePages(k, h.size);
  const hv = k.s.hvo;
  const net = per * count - tails;
  // vmemmap_get_tail(): at boot (pre-HVO) the shared tail comes from memblock
  const tailFromMemblock = preinit ? tails : 0;
  hv.freed[node] = (hv.freed[node] ?? 0) + net;
  k.s.memmapRamPages[node] = (k.s.memmapRamPages[node] ?? 0) - net;
  buddy_free(k, node, net);
  h.optimized[node] = (h.optimized[node] ?? 0) + count;
  // MemTotal: the pages unmapped from the vmemmap (6.6+: the old head too, a new head comes
  // from the buddy allocator) raise managed pages when they are boot pages (free_vmemmap_page)
  // Pre-HVO (6.18+): the full vmemmap is never allocated; the head page and the PTE tables
  // (one per 2 MiB of vmemmap) come from memblock, so MemTotal gains V - 1 - tables per page
  const vmBytes = vmemmapPages(k, h.size) * k.c.PAGE_SIZE;
  const newHead = !preinit && (k.profile.hvo === 'v6.6' || k.profile.hvo === 'v7.1');
  const unmapped = preinit ? count * (per - vmBytes / k.c.PMD_SIZE) - tailFromMemblock : count * (per + (newHead ? 1 : 0));
  const gain = unmapped - Math.min(unmapped, hv.buddyBacked[node]!);
  hv.gainMin[node]! += gain;
  hv.gainMax[node]! += unmapped;
  k.s.nodes[node]!.managed += gain;
  // vmemmap PMDs split (one PTE table each, never undone): a folio with at least a PMD of
  // vmemmap owns its PMDs; smaller ones share a PMD with up to PMD_SIZE / vmemmap-size others.
  // At least: the live optimised folios packed; at most: every new folio in a fresh PMD, up
  // to the node's number of vmemmap PMDs.
  const pmdsOf = (hs: Hstate) => {
    const vm = vmemmapPages(k, hs.size) * k.c.PAGE_SIZE;
    const opt = hs.optimized[node] ?? 0;
    return vm >= k.c.PMD_SIZE ? opt * (vm / k.c.PMD_SIZE) : Math.ceil(opt / (k.c.PMD_SIZE / vm));
  };
  const least = hv.hstates.reduce((t, hs) => t + pmdsOf(hs), 0);
  const most = vmBytes >= k.c.PMD_SIZE ? count * (vmBytes / k.c.PMD_SIZE) : count;
  const regions = Math.floor(nodeBootBytes(k, node) / ((k.c.PMD_SIZE / k.c.STRUCT_PAGE) * k.c.PAGE_SIZE));
  hv.splitMin[node] = Math.max(hv.splitMin[node]!, least);
  hv.splitMax[node] = Math.max(hv.splitMin[node]!, Math.min(hv.splitMax[node]! + most, regions));
}

function nodeBootBytes(k: Kernel, node: number): number {
  let t = 0;
  for (const m of k.s.memblockMemory) if (m.v === node) t += m.end - m.start;
  return t;
}

/** Restore one folio's vmemmap before it goes back (hugetlb_vmemmap_restore): allocate what was freed. */
function restore(k: Kernel, h: Hstate, node: number): boolean {
  const per = optimizablePages(k, h.size);
  // 5.15/6.1/6.6: __GFP_THISNODE; 6.12+: any node (the model takes the folio's node)
  if (k.s.nodes[node]!.free < per || buddy_alloc(k, per, node, 1) === null) return false;
  k.s.hvo.freed[node]! -= per;
  // the restored pages (and, 6.6+, the head allocated at optimisation) are buddy pages: once
  // this folio's memory is reused, freeing them again adds nothing to MemTotal. (Buddy pages
  // in the vmemmap of a folio that is still optimised cannot be freed by HVO, so they do not count.)
  const head = k.profile.hvo === 'v6.6' || k.profile.hvo === 'v7.1' ? 1 : 0;
  k.s.hvo.buddyBacked[node]! += per + head;
  k.s.memmapRamPages[node] = (k.s.memmapRamPages[node] ?? 0) + per;
  h.optimized[node]! -= 1;
  return true;
}

/**
 * Boot-time pools from hugepagesz=/hugepages= (hugetlb_hstate_alloc_pages): gigantic pages
 * from memblock before the page allocator (node round robin, or the given node), others
 * from the buddy allocator; "HugeTLB: allocating %lu of page size %s failed.  Only allocated
 * %lu hugepages." when short. Called before memblock_free_all (gigantic) and after.
 */
export function hugetlb_boot_alloc(k: Kernel, gigantic: boolean): void {
  for (const req of k.cmdline.hugepages) {
    const h = hstateOf(k, req.size);
    if (!h) continue;
    if (isGigantic(k, req.size) !== gigantic) continue;
    const nodes = req.node === null ? k.s.nodes.map((n, i) => (n.online ? i : -1)).filter((i) => i >= 0) : [req.node];
    let got = 0;
    let stuck = 0;
    for (let i = 0; got < req.count && stuck < nodes.length; i++) {
      const node = nodes[i % nodes.length]!;
      // __GFP_THISNODE: the node itself or nothing
      const ok = gigantic ? memblock_alloc(k, req.size, req.size, 0, node, true) !== null : k.s.nodes[node]!.free >= req.size / k.c.PAGE_SIZE && buddy_alloc(k, req.size / k.c.PAGE_SIZE, node, 1) !== null;
      if (ok) {
        h.pages[node]! += 1;
        got++;
        stuck = 0;
      } else stuck++;
    }
    // hugepages=<node>:<count> (6.1+) is allocated by hugetlb_hstate_alloc_pages_onenode(),
    // whose warning names the node (mm/hugetlb.c 6.1-7.1)
    if (got < req.count && req.node !== null) {
      printk(k, KERN_WARNING, 'mm/hugetlb.c:hugetlb_hstate_alloc_pages_onenode', 'HugeTLB: allocating %u of page size %s failed node%d.  Only allocated %lu hugepages.\n', [req.count, fmtSizeKernel(req.size), req.node, got]);
    } else if (got < req.count) {
      printk(k, KERN_WARNING, 'mm/hugetlb.c:hugetlb_hstate_alloc_pages', 'HugeTLB: allocating %lu of page size %s failed.  Only allocated %lu hugepages.\n', [req.count, fmtSizeKernel(req.size), got]);
    }
  }
}

/**
 * hugepagesz=/default_hugepagesz= checks (hugepagesz_setup, default_hugepagesz_setup):
 * "HugeTLB: unsupported hugepagesz=%s" for a size the arch has not registered; hugepages=
 * before any hugepagesz= goes to the default size (default_hugepagesz= or PMD_SIZE).
 */
export function hugetlb_check_params(k: Kernel): void {
  if (!hugepagesSupported(k)) {
    // the parameters still parse (x86 arch_hugetlb_valid_size(): PMD_SIZE, PUD_SIZE with
    // GBPAGES, whatever PSE says), then hugetlb_init() drops them with one warning. s390's
    // (EDAT-1 for PMD_SIZE, EDAT-2 for PUD_SIZE) and powerpc hash's (a page size the MMU has)
    // accept nothing where huge pages are not supported.
    const c = k.arch.cfg;
    const valid = new Set(c.arch !== 'x86_64' ? [] : [2 ** c.PMD_SHIFT, ...(c.config.gbpages === false ? [] : [2 ** c.PUD_SHIFT])]);
    // hugetlb_init() warns if a hstate was registered (a valid hugepagesz= or
    // default_hugepagesz=) or a hugepages= before any hugepagesz= gave a count. The sizes are
    // printed as typed (hugepagesz_setup, default_hugepagesz_setup: "%s" of the parameter), once
    // per parameter; an unreadable size (NaN: memparse reads 0) is unsupported too.
    let kept = false;
    const printed = new Set<string>();
    for (const r of k.cmdline.hugepages) {
      if (r.size !== 0 && !valid.has(r.size)) {
        if (!printed.has(r.text)) printk(k, 3, 'mm/hugetlb.c:hugepagesz_setup', 'HugeTLB: unsupported hugepagesz=%s\n', [r.sizeText ?? String(r.size)]);
        printed.add(r.text);
      } else if (r.size !== 0 || r.count > 0) kept = true;
    }
    const d = k.cmdline.defaultHugepagesz;
    if (d !== 0 && valid.has(d)) kept = true;
    else if (d !== 0) printk(k, 3, 'mm/hugetlb.c:default_hugepagesz_setup', 'HugeTLB: unsupported default_hugepagesz=%s\n', [k.cmdline.defaultHugepageszText ?? String(d)]);
    if (kept) printk(k, KERN_WARNING, 'mm/hugetlb.c:hugetlb_init', 'HugeTLB: huge pages not supported, ignoring associated command-line parameters\n', []);
    k.cmdline.hugepages = [];
    return;
  }
  const sizes = new Set(k.s.hvo.hstates.map((h) => h.size));
  const site = 'mm/hugetlb.c:hugepagesz_setup';
  let def = k.c.PMD_SIZE;
  // the kernel prints the size as typed ("%s" of the parameter); NaN (unreadable) is unsupported
  if (k.cmdline.defaultHugepagesz !== 0) {
    if (sizes.has(k.cmdline.defaultHugepagesz)) def = k.cmdline.defaultHugepagesz;
    else printk(k, 3, 'mm/hugetlb.c:default_hugepagesz_setup', 'HugeTLB: unsupported default_hugepagesz=%s\n', [k.cmdline.defaultHugepageszText ?? String(k.cmdline.defaultHugepagesz)]);
  }
  let ok: { key: string; r: (typeof k.cmdline.hugepages)[number] }[] = [];
  // one hugepages= parameter (its node:count entries share size and text)
  const param = (r: (typeof k.cmdline.hugepages)[number]) => `${r.size}|${r.text}`;
  const dropped = new Set<string>();
  for (const r of k.cmdline.hugepages) {
    if (dropped.has(param(r))) continue;
    // size 0: no hugepagesz= before it (the default size); NaN: a hugepagesz= memparse cannot
    // read, which hugepagesz_setup() rejects like any unsupported size (not the default's)
    const size = r.size === 0 ? def : r.size;
    if (!sizes.has(size)) {
      // once per hugepages= parameter (its node:count pairs share the hugepagesz= before it)
      printk(k, 3, site, 'HugeTLB: unsupported hugepagesz=%s\n', [r.sizeText ?? String(size)]);
      dropped.add(param(r));
      continue;
    }
    if (r.node !== null && (r.node >= k.s.nodes.length || !k.s.nodes[r.node]!.online)) {
      // hugepages_setup() (mm/hugetlb.c 6.1-7.1): a node that is not online is "invalid": the
      // rest of the string from that node on is printed, and hugepages_clear_pages_in_node()
      // drops every count the parameter gave, the nodes before it included
      printk(k, KERN_WARNING, 'mm/hugetlb.c:hugepages_setup', 'HugeTLB: Invalid hugepages parameter %s\n', [restFrom(k.cmdline.hugepages, r, param)]);
      dropped.add(param(r));
      ok = ok.filter((x) => x.key !== param(r));
      continue;
    }
    ok.push({ key: param(r), r: { ...r, size } });
  }
  k.cmdline.hugepages = ok.map((x) => x.r);
}

/** The text of a hugepages=<node>:<count>,... parameter from entry `r` on (its node:count pairs in order). */
function restFrom<T extends { text: string }>(all: T[], r: T, param: (x: T) => string): string {
  const val = r.text.slice('hugepages='.length);
  const nth = all.filter((x) => param(x) === param(r)).indexOf(r);
  let pos = 0;
  for (let i = 0; i < nth; i++) pos += /^\d+:\d+/.exec(val.slice(pos))![0].length + 1;
  return val.slice(pos);
}

/** After the page allocator is up (gather_bootmem_prealloc / hugetlb_init): optimise the boot pools. */
export function hugetlb_boot_optimize(k: Kernel): void {
  for (const h of k.s.hvo.hstates) h.pages.forEach((n, node) => optimize(k, h, node, n, preinitApplies(k, h.size)));
}

/**
 * Whether boot pages of this size get pre-HVO (vmemmap_should_optimize_bootmem_page, 6.18+):
 * x86_64 (ARCH_WANT_HUGETLB_VMEMMAP_PREINIT), pages from memblock before sparse_init
 * (gigantic ones), section-aligned and covering whole vmemmap PMDs: 1 GiB pages, never 2 MiB.
 */
function preinitApplies(k: Kernel, size: number): boolean {
  if (!k.profile.hvoPreinit || k.arch.cfg.arch !== 'x86_64') return false;
  const pmdSpan = (k.c.PMD_SIZE / k.c.STRUCT_PAGE) * k.c.PAGE_SIZE; // memory one vmemmap PMD describes
  const section = 2 ** k.arch.cfg.SECTION_SIZE_BITS;
  return size % pmdSpan === 0 && size % section === 0 && isGigantic(k, size);
}

/** hstate_is_gigantic(): larger than the buddy allocator's largest block. */
export function isGigantic(k: Kernel, size: number): boolean {
  return size / k.c.PAGE_SIZE > 2 ** maxOrder(k);
}

/** MAX_PAGE_ORDER: 10, arm64 16K 11, 64K 13. */
function maxOrder(k: Kernel): number {
  const P = k.c.PAGE_SIZE;
  return P === 16384 ? 11 : P === 65536 ? 13 : 10;
}

/**
 * Writing nr_hugepages (global: nodes in turn; per node: that node): grow with
 * __GFP_THISNODE allocations (gigantic ones through alloc_contig_pages: the model does not
 * know fragmentation and lets them succeed whenever the node has the pages free), each new
 * folio optimised; shrink by restoring the vmemmap first - a folio whose vmemmap cannot be
 * allocated stays in the pool (as a surplus page). A shortfall is not an error.
 */
export function set_max_huge_pages(k: Kernel, size: number, count: number, node: number | null): { errno: number; pages: number; grew: number } {
  const h = hstateOf(k, size);
  if (!h) return { errno: -2, pages: 0, grew: 0 }; // no hugepages-<size>kB directory: ENOENT
  const nodes = node === null ? k.s.nodes.map((n, i) => (n.online && n.managed > 0 ? i : -1)).filter((i) => i >= 0) : [node];
  const total = () => (node === null ? h.pages.reduce((a, b) => a + b, 0) : h.pages[node]!);
  const pp = size / k.c.PAGE_SIZE;
  // grow: one folio per node in turn
  const added = Array(k.s.nodes.length).fill(0);
  let stuck = 0;
  for (let i = 0; total() < count && stuck < nodes.length; i++) {
    const nd = nodes[i % nodes.length]!;
    if (k.s.nodes[nd]!.free >= pp && buddy_alloc(k, pp, nd, 1) !== null) {
      h.pages[nd]! += 1;
      added[nd]++;
      stuck = 0;
    } else stuck++;
  }
  added.forEach((c, nd) => optimize(k, h, nd, c));
  // shrink: from the node with the most pages first (the kernel frees round robin too)
  while (total() > count) {
    const nd = nodes.reduce((best, x) => (h.pages[x]! > h.pages[best]! ? x : best), nodes[0]!);
    if (h.pages[nd]! === 0) break;
    if ((h.optimized[nd] ?? 0) > 0 && !restore(k, h, nd)) break; // stays as a surplus page
    h.pages[nd]! -= 1;
    buddy_free(k, nd, pp);
  }
  return { errno: 0, pages: total(), grew: added.reduce((t, x) => t + x, 0) };
}
