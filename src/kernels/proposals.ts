/**
 * The LKML thread's proposals (../shared/seeds/lkml-vmemmap-altmap-thread-2020-03.txt),
 * modelled exactly as posted, defects included, each as a difference from v5.6. Line numbers
 * refer to the seed file. See docs/research/versions-arm64-seed.md section 2.
 */
import type { KernelProfile } from './types.js';
import { v5_6 } from './releases.js';

/**
 * PATCH V2 1/2 "mm/sparsemem: Enable vmem_altmap support in vmemmap_populate_basepages()"
 * (seed 1-197, 366-384: vmemmap_pte_populate() takes the altmap; every caller but arm64
 * passes NULL) with 2/2 "arm64/mm: Enable vmem_altmap support for vmemmap mappings" as its
 * follow-up shows it (seed 29-32, 233-244): arm64 4K PMD blocks and 16K/64K base pages from
 * the altmap, failure -ENOMEM. The series sits on the arm64 hot-remove series (seed 92
 * context), so arm64 has hot-remove and ZONE_DEVICE.
 */
export const seedV2: KernelProfile = {
  ...v5_6,
  id: 'seed-v2',
  title: 'Proposal: V2 altmap in vmemmap_populate_basepages() + arm64 (March 2020)',
  provenance: 'seed lines 1-197 and 366-384 (V2 1/2), arm64 2/2 as its follow-up\'s context shows it (seed 29-32, 233-244); base: v5.6.4 + arm64 hot-remove v14',
  kind: 'proposal',
  basepagesAltmap: true, // seed 194-197, 369-381
  arm64Populate: 'v5.9', // 4K: PMD from the altmap, failure -ENOMEM; 16K/64K: basepages(altmap)
  arm64HotRemove: true, // the hot-remove series underneath (seed 92)
  arm64ZoneDevice: true,
  arm64BootmemNotifier: 'silent',
};

/**
 * The follow-up of 2020-03-24 (seed 206-357): vmemmap_alloc_block_buf(size, node, altmap,
 * fallback) with call sites converted on arm64 (seed 233-244), x86 (seed 281-293), generic
 * vmemmap_pte_populate (seed 343-354) and powerpc. As posted, a successful altmap allocation
 * still falls through to the RAM allocator (seed 316-342), so the altmap is charged and RAM is
 * mapped.
 */
export const seedV2Fallback: KernelProfile = {
  ...seedV2,
  id: 'seed-v2-fallback',
  title: 'Proposal: altmap + fallback flag in vmemmap_alloc_block_buf() (as posted)',
  provenance: 'seed lines 206-357 on top of seed-v2; x86 and arm64 pass fallback=false, powerpc true',
  allocBlockBuf: 'fallback-as-posted',
};

/**
 * Robin Murphy's "arm64/mm: Consolidate vmemmap_populate()" sketch (seed 387-469), against
 * v5.6 arch/arm64/mm/mmu.c: one loop for all granules; 16K/64K map one base page per PMD step
 * and verify the PTE-table page; the altmap is ignored (two-argument helpers). As posted it
 * passes the uninitialised pmdp to vmemmap_pmd_populate() (a compile error); the model reads
 * it as the intended pudp. It was offered as an alternative to the V2 series, so it sits on
 * the same base (v5.6 + arm64 hot-remove, which makes ZONE_DEVICE available) to be comparable.
 */
export const robinArm64: KernelProfile = {
  ...v5_6,
  id: 'robin-arm64',
  title: 'Proposal: Robin Murphy\'s arm64 vmemmap_populate() consolidation (sketch)',
  provenance: 'seed lines 387-469 (written against v5.6.4 arch/arm64/mm/mmu.c, blob 128f70852bf3); modelled on the V2 series\' base (v5.6 + arm64 hot-remove v14)',
  kind: 'proposal',
  arm64Populate: 'robin',
  arm64HotRemove: true,
  arm64ZoneDevice: true,
  arm64BootmemNotifier: 'silent',
};
