/**
 * drivers/nvdimm/pfn_devs.c @ v6.18: the pfn info block arithmetic of a freshly initialised
 * namespace (nd_pfn_init) and the pgmap + altmap built from it (__nvdimm_setup_pfn), plus
 * the supported/default alignments. A namespace is always created fresh (ndctl zeroes the old
 * info block), so nd_pfn_validate() is not reached.
 */
import type { ArchConfig } from '../../arch/types.js';
import type { KernelProfile } from '../../kernels/types.js';
import { alignDown, alignUp } from '../../util/bits.js';
import { EINVAL, ENXIO } from '../state.js';

const SZ_8K = 8192;
const SZ_2M = 2 * 1024 * 1024;

/**
 * memremap_compat_align(): SUBSECTION_SIZE (2 MiB) everywhere but powerpc hash
 * (arch/powerpc/mm/book3s64/pgtable.c @ v6.1+, built with PPC_64S_HASH_MMU): max(SUBSECTION_SIZE,
 * the linear map's page size) - 16 MiB when htab_init_page_sizes() picked 16M linear pages
 * (the MMU has them and neither KFENCE nor debug_pagealloc is on), else the base page.
 */
export function memremap_compat_align(a: ArchConfig): number {
  if (a.arch === 'powerpc64' && a.config.mmu === 'hash' && a.config.hash16M === true && a.config.kfence === false) return 16 * 1024 * 1024;
  return SZ_2M;
}

/** nd_pfn_supported_alignments(): PAGE_SIZE, HPAGE_PMD_SIZE with THP, HPAGE_PUD_SIZE with PUD THP. */
export function nd_pfn_supported_alignments(a: ArchConfig): number[] {
  const out = [a.PAGE_SIZE];
  if (a.thpPmd) out.push(2 ** a.PMD_SHIFT);
  if (a.thpPmd && a.thpPud) out.push(2 ** a.PUD_SHIFT);
  return out;
}

/** nd_pfn_default_alignment(): HPAGE_PMD_SIZE when THP is available (x86: with PSE), else PAGE_SIZE. */
export function nd_pfn_default_alignment(a: ArchConfig): number {
  return a.thpPmd ? 2 ** a.PMD_SHIFT : a.PAGE_SIZE;
}

/** nd_info_block_reserve() = ALIGN(SZ_8K, PAGE_SIZE). */
export function nd_info_block_reserve(a: ArchConfig): number {
  return alignUp(SZ_8K, a.PAGE_SIZE);
}

export type PfnMode = 'pmem' | 'ram';

export interface PfnInfo {
  dataoff: number;
  npfns: number;
  end_trunc: number;
  start_pad: number;
  /** The alignment recorded in the block: the requested one, not max(align, compat). */
  align: number;
}

export type NdError = { errno: number; msg: string; args: unknown[] };

/**
 * nd_pfn_init() for a namespace [start, start + size) with the requested alignment:
 * npfns0 = PHYS_PFN(size - 8K); A = max(align, memremap_compat_align()); start must be
 * compat-aligned (-EINVAL); end_trunc trims the end to A; dataoff = ALIGN(start + 8K +
 * MAX_STRUCT_PAGE_SIZE * npfns0, A) - start (--map=dev) or ALIGN(start + 8K, A) - start
 * (--map=mem); dataoff must be below size - end_trunc (-ENXIO).
 */
export function nd_pfn_init(a: ArchConfig, p: KernelProfile, start: number, size: number, mode: PfnMode, align: number, nsName: string): PfnInfo | NdError {
  const compat = memremap_compat_align(a);
  const npfns0 = Math.floor((size - SZ_8K) / a.PAGE_SIZE);
  const A = Math.max(align, compat);
  // the start check arrived with memremap_compat_align() (v5.7); v5.6 uses a fixed 2 MiB
  if (p.memremapCompatAlign && start % compat !== 0) {
    return { errno: EINVAL, msg: '%s: start %pa misaligned to %#lx\n', args: [nsName, '0x' + start.toString(16).padStart(16, '0'), compat] };
  }
  const end_trunc = start + size - alignDown(start + size, A);
  const dataoff = mode === 'pmem'
    ? alignUp(start + SZ_8K + p.MAX_STRUCT_PAGE_SIZE * npfns0, A) - start
    : alignUp(start + SZ_8K, A) - start;
  const limit = p.ndPfnInitSubtractsEndTrunc ? size - end_trunc : size;
  if (dataoff >= limit) return { errno: ENXIO, msg: '%s unable to satisfy requested alignment\n', args: [nsName] };
  const npfns = Math.floor((size - dataoff - end_trunc) / a.PAGE_SIZE);
  return { dataoff, npfns, end_trunc, start_pad: 0, align };
}

export interface PfnSetup {
  /** pgmap range, inclusive end. */
  rangeStart: number;
  rangeEnd: number;
  /** The altmap (PMEM mode) or null (RAM mode). */
  altmap: { base_pfn: number; end_pfn: number; reserve: number; free: number } | null;
  /** npfns actually used. */
  npfns: number;
  /** dev_info when the stored npfns is larger. */
  truncated: boolean;
}

/**
 * __nvdimm_setup_pfn(): range = [start + start_pad, end - end_trunc]; altmap base_pfn =
 * SUBSECTION_ALIGN_DOWN(PHYS_PFN(base)), reserve = nd_info_block_reserve() pages + the
 * padding back to base_pfn, end_pfn = PHYS_PFN(end), free = PHYS_PFN(dataoff -
 * nd_info_block_reserve()) (PMEM); no altmap for RAM mode (-EINVAL if dataoff < reserve).
 */
export function __nvdimm_setup_pfn(a: ArchConfig, start: number, size: number, mode: PfnMode, info: PfnInfo): PfnSetup | NdError {
  const P = a.PAGE_SIZE;
  const base = start + info.start_pad;
  const end = start + size - 1 - info.end_trunc;
  const reserveBytes = nd_info_block_reserve(a);
  const PPSS = SZ_2M / P;
  const basePfn = Math.floor(base / P);
  const base_pfn = alignDown(basePfn, PPSS);
  const reserve = reserveBytes / P + (basePfn - base_pfn);
  const rangeLen = end + 1 - base;
  if (mode === 'ram') {
    if (info.dataoff < reserveBytes) return { errno: EINVAL, msg: '', args: [] };
    return { rangeStart: base, rangeEnd: end, altmap: null, npfns: info.npfns, truncated: false };
  }
  const npfns = Math.floor((rangeLen - info.dataoff) / P);
  return {
    rangeStart: base,
    rangeEnd: end,
    altmap: { base_pfn, end_pfn: Math.floor(end / P), reserve, free: Math.floor((info.dataoff - reserveBytes) / P) },
    npfns,
    truncated: info.npfns > npfns,
  };
}
