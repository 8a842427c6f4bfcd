/**
 * The LKML thread's proposals (docs/thread.md),
 * modelled exactly as posted, defects included, each as a difference from v5.6. Line numbers
 * refer to the seed file. See docs/research/versions-arm64-seed.md section 2.
 */
import type { KernelProfile } from './types.js';
import { v5_6 } from './releases.js';

/**
 * PATCH V2 1/2 "mm/sparsemem: Enable vmem_altmap support in vmemmap_populate_basepages()"
 * (thread §1: vmemmap_pte_populate() takes the altmap; every caller but arm64
 * passes NULL) with 2/2 "arm64/mm: Enable vmem_altmap support for vmemmap mappings" as its
 * follow-up shows it (thread §2, §4): arm64 4K PMD blocks and 16K/64K base pages from
 * the altmap, failure -ENOMEM. The series sits on the arm64 hot-remove series (thread §2
 * context), so arm64 has hot-remove and ZONE_DEVICE.
 */
export const seedV2: KernelProfile = {
  ...v5_6,
  id: 'seed-v2',
  title: 'Proposal: V2 altmap in vmemmap_populate_basepages() + arm64 (March 2020)',
  provenance: 'LKML, Anshuman Khandual, "[PATCH V2 1/2] mm/sparsemem: Enable vmem_altmap support in vmemmap_populate_basepages()" and 2/2 "arm64/mm: Enable vmem_altmap support for vmemmap mappings", 2020-03-04 (docs/thread.md sections 1-2); on v5.6 + the arm64 memory hot-remove series (v14)',
  kind: 'proposal',
  basepagesAltmap: true, // thread §1
  arm64Populate: 'v5.9', // 4K: PMD from the altmap, failure -ENOMEM; 16K/64K: basepages(altmap)
  arm64HotRemove: true, // the hot-remove series underneath (thread §2)
  arm64ZoneDevice: true,
  arm64BootmemNotifier: 'silent',
};

/**
 * The follow-up of 2020-03-24 (thread §4): vmemmap_alloc_block_buf(size, node, altmap,
 * fallback) with call sites converted on arm64 (thread §4), x86 (thread §4), generic
 * vmemmap_pte_populate (thread §4) and powerpc. As posted, a successful altmap allocation
 * still falls through to the RAM allocator (thread §4), so the altmap is charged and RAM is
 * mapped.
 */
export const seedV2Fallback: KernelProfile = {
  ...seedV2,
  id: 'seed-v2-fallback',
  title: 'Proposal: altmap + fallback flag in vmemmap_alloc_block_buf() (as posted)',
  provenance: 'LKML, Anshuman Khandual, reply of 2020-03-24 in the same thread: "[PATCH] mm/sparse: Enable vmemmap_alloc_block_buf() for altmap allocations" (untested, docs/thread.md section 4), on top of seed-v2; x86 and arm64 pass fallback=false, powerpc true',
  allocBlockBuf: 'fallback-as-posted',
};

/**
 * Robin Murphy's "arm64/mm: Consolidate vmemmap_populate()" sketch (thread §3), against
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
  provenance: 'LKML, Robin Murphy, reply of 2020-03-20 in the same thread: "[PATCH] arm64/mm: Consolidate vmemmap_populate()", a sketch against v5.6 arch/arm64/mm/mmu.c (docs/thread.md section 3); modelled on the V2 series\' base (v5.6 + arm64 hot-remove v14)',
  kind: 'proposal',
  arm64Populate: 'robin',
  arm64HotRemove: true,
  arm64ZoneDevice: true,
  arm64BootmemNotifier: 'silent',
};
