/**
 * The arch layer's constants and small policies, pinned one value at a time (mutation testing,
 * docs/testing.md): arm64's page-table geometry and vmemmap window per granule, VA size and
 * release; x86_64's memory block size with memory_block_advised_max_size(); the errors of
 * resolveArch(); a profile's policy overrides.
 * Kernel: arch/arm64/Kconfig, arch/arm64/include/asm/{memory,pgtable-hwdef}.h,
 * arch/x86/mm/init_64.c (probe_memory_block_size) @ v5.10, v6.6, v6.18.
 */
import { describe, expect, it } from 'vitest';
import { ArchConfigError, PT_LEVELS, resolveArch } from '../src/arch/index.js';
import { x86Config, x86Policy, X86_DEFAULTS } from '../src/arch/x86_64.js';
import { v5_10, v6_6 } from '../src/kernels/releases.js';
import { v6_18 } from '../src/kernels/v6.18.js';
import type { KernelProfile } from '../src/kernels/types.js';
import { run, stepOf } from './helpers.js';

const M = 2 ** 20;
const G = 2 ** 30;
const arm64 = (pageSize: string, vaBits: number, p: KernelProfile = v6_18) => resolveArch('arm64', { pageSize, vaBits }, p);

it('PT_LEVELS: the kernel level names, top down', () => {
  expect(PT_LEVELS).toEqual(['pgd', 'p4d', 'pud', 'pmd', 'pte']);
});

describe('arm64 page-table geometry (ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3)', () => {
  /*
   * CONFIG_PGTABLE_LEVELS = 2 for 64K/42 and 16K/36 (arch/arm64/Kconfig): the pgd is hardware
   * level 2 (PMD level) and the next level is the PTE table; pud/pmd/p4d are folded.
   *   64K: PAGE_SHIFT 16 -> level 2 shift (13 * 2 + 3) = 29, level 3 shift 16
   *   16K: PAGE_SHIFT 14 -> level 2 shift (11 * 2 + 3) = 25, level 3 shift 14
   * Expect the folded levels to have no shift (null) and only PTE tables to be allocated.
   */
  it('2 levels (64K/42, 16K/36): pgd at the PMD shift, then PTE tables', () => {
    expect(arm64('64K', 42).cfg.pt).toEqual({ levels: 2, shift: { pgd: 29, p4d: null, pud: null, pmd: null, pte: 16 }, allocLevels: ['pte'] });
    expect(arm64('16K', 36).cfg.pt).toEqual({ levels: 2, shift: { pgd: 25, p4d: null, pud: null, pmd: null, pte: 14 }, allocLevels: ['pte'] });
  });

  /* 64K/48: 3 levels, pgd at hardware level 1 (13 + 29 = 42), pmd 29, pte 16; no pud, no p4d. */
  it('3 levels (64K/48, 4K/39): pgd, pmd, pte', () => {
    expect(arm64('64K', 48).cfg.pt).toEqual({ levels: 3, shift: { pgd: 42, p4d: null, pud: null, pmd: 29, pte: 16 }, allocLevels: ['pmd', 'pte'] });
    // 4K: (12 - 3) = 9 bits a level: 30, 21, 12
    expect(arm64('4K', 39).cfg.pt).toEqual({ levels: 3, shift: { pgd: 30, p4d: null, pud: null, pmd: 21, pte: 12 }, allocLevels: ['pmd', 'pte'] });
  });

  /* 4K/52 (LPA2, v6.9+): 5 levels, pgd at hardware level -1 = 9 * 5 + 3 = 48, p4d 39. */
  it('5 levels (4K/52 from v6.9): p4d tables too', () => {
    expect(arm64('4K', 52).cfg.pt).toEqual({ levels: 5, shift: { pgd: 48, p4d: 39, pud: 30, pmd: 21, pte: 12 }, allocLevels: ['p4d', 'pud', 'pmd', 'pte'] });
  });
});

describe('arm64 vmemmap window (arch/arm64/include/asm/memory.h)', () => {
  /*
   * v6.9+: VMEMMAP_END = -1 GiB, VMEMMAP_START = VMEMMAP_END - VMEMMAP_SIZE,
   *   VMEMMAP_SIZE = ((_PAGE_END(VA_BITS_MIN) - PAGE_OFFSET) >> PAGE_SHIFT) * 64,
   *   _PAGE_END(va) = -(1 << (va - 1)), PAGE_OFFSET = -(1 << VA_BITS),
   *   VA_BITS_MIN = 48 if VA_BITS > 48 (47 with 16K pages, LPA2), else VA_BITS.
   * 16K/52: ((2^52 - 2^46) >> 14) * 64 = 2^44 - 2^38 = 15.75 TiB -> START 0xfffff03fc0000000
   *         (with VA_BITS_MIN 48 it would be 2^44 - 2^39 = 15.5 TiB).
   * 4K/52:  ((2^52 - 2^47) >> 12) * 64 = 62 TiB -> 0xffffc1ffc0000000.
   * 64K/52: ((2^52 - 2^47) >> 16) * 64 = 3.875 TiB -> 0xfffffc1fc0000000.
   * 16K/48: VA_BITS_MIN = 48 (not > 48): ((2^48 - 2^47) >> 14) * 64 = 512 GiB -> 0xffffff7fc0000000.
   * Expect these starts, and END = 0xffffffffc0000000 for all.
   */
  const END_V69 = 0xffffffffc0000000n;
  it.each([
    ['16K', 52, 0xfffff03fc0000000n],
    ['4K', 52, 0xffffc1ffc0000000n],
    ['64K', 52, 0xfffffc1fc0000000n],
    ['16K', 48, 0xffffff7fc0000000n],
    ['16K', 47, 0xffffffbfc0000000n],
    ['4K', 48, 0xfffffdffc0000000n],
    ['64K', 42, 0xffffffff40000000n],
  ] as const)('v6.18 %s/%i: VMEMMAP_START %s, END -1 GiB', (ps, va, start) => {
    const cfg = arm64(ps, va).cfg;
    expect(cfg.VMEMMAP_START).toBe(start);
    expect(cfg.VMEMMAP_END).toBe(END_V69);
  });

  /*
   * v5.11..v6.8: VMEMMAP_START = -(1 << (VA_BITS - (PAGE_SHIFT - 6))), same SIZE.
   *   64K/52 (52-bit only with 64K before v6.9): VA_BITS_MIN 48, SIZE = ((2^52 - 2^47) >> 16) * 64
   *   = 0x3e000000000; START = -(1 << 42) = 0xfffffc0000000000.
   * v5.4..v5.10: START = -SIZE - 2 MiB = 0xfffffc1fffe00000.
   */
  it('64K/52 in v6.6 and v5.10 layouts', () => {
    const size = 0x3e000000000n;
    expect(arm64('64K', 52, v6_6).cfg).toMatchObject({ VMEMMAP_START: 0xfffffc0000000000n, VMEMMAP_END: 0xfffffc0000000000n + size });
    expect(arm64('64K', 52, v5_10).cfg).toMatchObject({ VMEMMAP_START: 0xfffffc1fffe00000n, VMEMMAP_END: 0xfffffc1fffe00000n + size });
  });
});

describe('arm64 constants per granule', () => {
  /*
   * ARM64_MEMSTART_ALIGN = 1 << max(ARM64_MEMSTART_SHIFT, SECTION_SIZE_BITS)
   * (arch/arm64/include/asm/kernel-pgtable.h, memory.h): MEMSTART_SHIFT is PUD_SHIFT (30) for 4K,
   * CONT_PMD_SHIFT (25 + 5 = 30) for 16K, PMD_SHIFT (29) for 64K; SECTION_SIZE_BITS 27/27/29 since
   * v5.12, 30 before (asm/sparsemem.h). Expect 1 GiB, 1 GiB, 512 MiB; 64K in v5.10: 1 GiB.
   */
  it('ARM64_MEMSTART_ALIGN', () => {
    expect(arm64('4K', 48).cfg.memstartAlign).toBe(G);
    expect(arm64('16K', 48).cfg.memstartAlign).toBe(G);
    expect(arm64('64K', 48).cfg.memstartAlign).toBe(512 * M);
    expect(arm64('64K', 48, v5_10).cfg.memstartAlign).toBe(G);
    expect([arm64('4K', 48).cfg.SECTION_SIZE_BITS, arm64('64K', 48).cfg.SECTION_SIZE_BITS, arm64('16K', 48, v5_10).cfg.SECTION_SIZE_BITS]).toEqual([27, 29, 30]);
  });

  /*
   * MAX_PHYSMEM_BITS = CONFIG_ARM64_PA_BITS: ARM64_PA_BITS_52 depends on ARM64_64K_PAGES ||
   * ARM64_VA_BITS_52 (arch/arm64/Kconfig); the model takes 52 wherever it is offered, else 48.
   * It bounds arch_get_mappable_range() (the 4K/48 linear map, 2^47 bytes, is the tighter bound there).
   */
  it('MAX_PHYSMEM_BITS: 52 with 64K pages or 52-bit VA, else 48', () => {
    expect(['4K/48', '16K/47', '64K/48', '64K/42', '4K/52', '16K/52'].map((c) => {
      const [ps, va] = c.split('/');
      return arm64(ps!, Number(va)).cfg.MAX_PHYSMEM_BITS;
    })).toEqual([48, 48, 52, 52, 52, 52]);
  });

  /*
   * pageblock_order = min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) (include/linux/pageblock-flags.h):
   * PMD order = PMD_SHIFT - PAGE_SHIFT = 21 - 12 = 9 (4K), 25 - 14 = 11 (16K), 29 - 16 = 13 (64K,
   * where MAX_PAGE_ORDER is 13 too). `vmemlab size blocks` reports the pageblock from it.
   */
  it('pageblock_order: 9, 11, 13', () => {
    expect(['4K', '16K', '64K'].map((ps) => arm64(ps, 48).cfg.pageblockOrder)).toEqual([9, 11, 13]);
  });

  it('the label names granule and VA size', () => {
    expect(arm64('16K', 47).cfg.label).toBe('arm64 16K/47');
    expect(arm64('64K', 52).cfg.config).toEqual({ pageSize: '64K', vaBits: 52, levels: 3 });
  });
});

describe('x86_64 4- and 5-level constants (arch/x86/include/asm/{pgtable_64_types,sparsemem}.h)', () => {
  /*
   * LA57: PGDIR_SHIFT 48, P4D_SHIFT 39, MAX_PHYSMEM_BITS 52, __VMEMMAP_BASE_L5 0xffd4000000000000;
   * the vmemmap covers 2^(52 - 12) struct pages of 64 bytes = 2^46 bytes. 4-level: PGDIR_SHIFT 39,
   * 46 bits, 0xffffea0000000000 + 2^40.
   */
  it('5-level and 4-level', () => {
    const l5 = resolveArch('x86_64', { levels: 5 }, v6_18).cfg;
    expect(l5).toMatchObject({ MAX_PHYSMEM_BITS: 52, VMEMMAP_START: 0xffd4000000000000n, VMEMMAP_END: 0xffd4000000000000n + 2n ** 46n, PAGE_OFFSET: 0xff11000000000000n });
    expect(l5.pt).toEqual({ levels: 5, shift: { pgd: 48, p4d: 39, pud: 30, pmd: 21, pte: 12 }, allocLevels: ['p4d', 'pud', 'pmd', 'pte'] });
    const l4 = resolveArch('x86_64', {}, v6_18).cfg;
    expect(l4).toMatchObject({ MAX_PHYSMEM_BITS: 46, VMEMMAP_START: 0xffffea0000000000n, VMEMMAP_END: 0xffffea0000000000n + 2n ** 40n, PAGE_OFFSET: 0xffff888000000000n });
    expect(l4.pt).toEqual({ levels: 4, shift: { pgd: 39, p4d: null, pud: 30, pmd: 21, pte: 12 }, allocLevels: ['pud', 'pmd', 'pte'] });
  });
});

describe('x86_64 probe_memory_block_size() at boot, by version', () => {
  /*
   * arch/x86/mm/init_64.c probe_memory_block_size(), boot_mem_end = max_pfn << PAGE_SHIFT:
   *   below 64 GiB (MEM_SIZE_FOR_LARGE_BLOCK): 128 MiB;
   *   v5.6: the largest power of two from 2 GiB down that divides boot_mem_end;
   *   v5.10..v6.18: the same, except bare metal (no X86_FEATURE_HYPERVISOR) takes 2 GiB at once
   *   (v6.18: when memory_block_advised_max_size() gives no advice, as at boot here).
   * 65 GiB: 1 GiB divides it, 2 GiB does not; 64 GiB + 128 MiB: only 128 MiB does.
   * Expect the pr_info "x86/mm: Memory block size: %ldMB".
   */
  const blockSize = (kernel: string, config: string, size: string) =>
    run(`arch: x86_64\nkernel: ${kernel}\nconfig: ${config}\nnodes:\n  - { id: 0, memory: [ { start: 0, size: ${size} } ] }\nsteps: [ boot ]\n`).report.dmesg.filter((l) => l.startsWith('x86/mm: Memory block size'));
  it.each([
    ['v5.6', '{}', '65G', 1024],
    ['v5.6', '{}', '0x1008000000', 128],
    ['v5.6', '{}', '96G', 2048],
    ['v5.10', '{}', '65G', 2048],
    ['v5.10', '{ hypervisor: true }', '65G', 1024],
    ['v6.18', '{}', '0x1008000000', 2048],
    ['v6.18', '{ hypervisor: true }', '0x1008000000', 128],
    ['v6.18', '{ hypervisor: true }', '65G', 1024],
    // 64 GiB + 64 MiB: nothing from 2 GiB down to 128 MiB divides it; the loop stops at 128 MiB
    ['v6.18', '{ hypervisor: true }', '0x1004000000', 128],
    ['v6.18', '{}', '63G', 128],
  ])('%s %s, RAM to %s: %i MiB', (kernel, config, size, mb) => {
    expect(blockSize(kernel, config, size)).toEqual([`x86/mm: Memory block size: ${mb}MB`]);
  });
});

describe('x86_64 probe_memory_block_size() with memory_block_advised_max_size() (v6.18)', () => {
  /*
   * arch/x86/mm/init_64.c @ v6.18: with RAM ending at or above 64 GiB and advice present, clamp
   * the advice to [128 MiB, 2 GiB], then halve it while it does not divide the end of boot memory
   * (and is above 128 MiB). The model's boot path passes no advice (0), so this is the policy alone.
   */
  const policy = () => x86Policy(x86Config(X86_DEFAULTS), v6_18);
  const size = (end: number, advised: number) => policy().memoryBlockSize(end, advised).size;

  it('advice inside the bounds is taken when it divides the end of RAM', () => {
    expect(size(96 * G, G)).toBe(G);
    expect(policy().memoryBlockSize(96 * G, G).messages).toEqual(['x86/mm: Memory block size: 1024MB\n']);
  });

  it('advice is clamped to [128 MiB, 2 GiB]', () => {
    expect(size(96 * G, 8 * G)).toBe(2 * G);
    expect(size(96 * G, 64 * M)).toBe(128 * M);
  });

  /* 65 GiB: 2 GiB does not divide it, 1 GiB does. 64 GiB + 64 MiB: not even 128 MiB divides it; the loop stops at 128 MiB. */
  it('advice halved until it divides the end of RAM, never below 128 MiB', () => {
    expect(size(65 * G, 2 * G)).toBe(G);
    expect(size(64 * G + 64 * M, 2 * G)).toBe(128 * M);
  });
});

describe('resolveArch(): a bad config names its key', () => {
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ArchConfigError);
      const a = e as ArchConfigError;
      return { key: a.key, message: a.message };
    }
    throw new Error('no error');
  };
  it('x86_64', () => {
    expect(resolveArch('x86_64', { pageSize: '4K' }, v6_18).cfg.PAGE_SIZE).toBe(4096);
    expect(err(() => resolveArch('x86_64', { pageSize: '16K' }, v6_18))).toEqual({ key: 'pageSize', message: 'x86_64 has only 4K pages, not 16K' });
    expect(err(() => resolveArch('x86_64', { vaBits: 48 }, v6_18))).toEqual({ key: 'vaBits', message: 'x86_64 takes pageSize, levels, pse, hypervisor, gbpages; vaBits is an option of arm64' });
    expect(err(() => resolveArch('x86_64', { levels: 3 }, v6_18))).toEqual({ key: 'levels', message: 'x86_64 levels must be 4 or 5, not 3' });
  });
  it('arm64', () => {
    expect(err(() => resolveArch('arm64', { pageSize: '8K' }, v6_18))).toEqual({ key: 'pageSize', message: 'arm64 pageSize must be 4K, 16K or 64K, not 8K' });
    expect(err(() => resolveArch('arm64', { levels: 4 }, v6_18))).toEqual({ key: 'levels', message: 'arm64 levels follow from pageSize and vaBits; set vaBits instead' });
    expect(err(() => resolveArch('arm64', { pse: true }, v6_18))).toEqual({ key: 'pse', message: 'arm64 takes pageSize, vaBits; pse is an option of x86_64' });
    expect(err(() => resolveArch('arm64', { hypervisor: true }, v6_18))).toEqual({ key: 'hypervisor', message: 'arm64 takes pageSize, vaBits; hypervisor is an option of x86_64' });
    expect(err(() => resolveArch('arm64', { gbpages: false }, v6_18))).toEqual({ key: 'gbpages', message: 'arm64 takes pageSize, vaBits; gbpages is an option of x86_64' });
    // VA_BITS_52 needs 64K pages before v6.9 (arch/arm64/Kconfig @ v6.6)
    expect(err(() => resolveArch('arm64', { pageSize: '4K', vaBits: 52 }, v6_6))).toEqual({ key: 'vaBits', message: 'arm64 4K supports vaBits 39, 48 in v6.6 (52 needs 64K pages before v6.9), not 52' });
    expect(err(() => resolveArch('arm64', { pageSize: '4K', vaBits: 47 }, v6_18))).toEqual({ key: 'vaBits', message: 'arm64 4K supports vaBits 39, 48, 52, not 47' });
  });
});

describe("a profile's policy overrides (withOverrides)", () => {
  /* x86 v6.18: generic vmemmap_populate_hugepages (tableAltmap), vmemmap_check_pmd = leaf; remove_pagetable frees partial PMDs only if unused. */
  it('hugepages and vmemmap_free: the given fields replaced, the rest kept, the site marked', () => {
    const p: KernelProfile = { ...v6_18, policies: { hugepages: { onFail: 'enomem' }, vmemmap_free: { partialPmd: 'always' } } };
    const { policy } = resolveArch('x86_64', {}, p);
    expect(policy.hugepages).toEqual({ onFail: 'enomem', tableAltmap: true, checkPmd: 'leaf' });
    expect(policy.free).toEqual({
      freeTables: { pte: true, pmd: true, pud: false, p4d: false },
      floorCeiling: false,
      partialPmd: 'always',
      site: 'arch/x86/mm/init_64.c:remove_pagetable (changed by the profile)',
      pteWalk: 'page',
      pteAltmap: false,
    });
  });
});

describe('arm64 hot-add: arch_get_mappable_range() and ARCH_KEEP_MEMBLOCK', () => {
  const box = (cfg: string, steps: string) => `
arch: arm64
config: ${cfg}
nodes:
  - { id: 0, memory: [ { start: 0x40000000, size: 4G } ] }
steps:
  - boot
${steps}
`;
  /*
   * arch/arm64/mm/mmu.c arch_get_mappable_range() @ v6.18: [__pa(_PAGE_OFFSET(vabits_actual)),
   * __pa(PAGE_END - 1)], with PAGE_END = _PAGE_END(VA_BITS_MIN) and __pa(va) = va - PAGE_OFFSET +
   * memstart_addr. DRAM at 1 GiB: memstart_addr = round_down(1 GiB, ARM64_MEMSTART_ALIGN 1 GiB).
   *   16K/48: VA_BITS_MIN 48 (not > 48): PAGE_END - PAGE_OFFSET = 2^48 - 2^47 = 2^47
   *           -> last byte 1 GiB + 2^47 - 1 = 0x80003fffffff
   *   4K/52:  VA_BITS_MIN 48: 2^52 - 2^47 -> last byte 0xf80003fffffff
   *   16K/52: VA_BITS_MIN 47: 2^52 - 2^46 -> last byte 0xfc0003fffffff
   * mhp_range_allowed() (mm/memory_hotplug.c) refuses a range past it with -E2BIG and pr_warn.
   * Expect the last 128 MiB section below the bound to be added, the one at the bound refused.
   */
  it.each([
    ['{ pageSize: 16K, vaBits: 48 }', 0x800038000000, '0x80003fffffff'],
    ['{ pageSize: 4K, vaBits: 52 }', 0xf800038000000, '0xf80003fffffff'],
    // 16K/52: VA_BITS_MIN 47 (LPA2): 2^52 - 2^46 -> last byte 1 GiB + 0xfc00000000000 - 1
    ['{ pageSize: 16K, vaBits: 52 }', 0xfc00038000000, '0xfc0003fffffff'],
  ])('%s: the linear map bounds hot-add', (cfg, below, last) => {
    const at = (start: number) => run(box(cfg, `  - hot-add: { node: 0, start: 0x${start.toString(16)}, size: 128M }`));
    expect(stepOf(at(below), 2)).toMatchObject({ ok: true });
    const above = below + 128 * M;
    const r = at(above);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(r.report.dmesg).toContain(`Hotplug memory [0x${above.toString(16)}-0x${(above + 128 * M).toString(16)}] exceeds maximum addressable range [0x40000000-${last}]`);
  });

  /*
   * mm/memory_hotplug.c add_memory_resource() @ v6.18: memblock_add_node() only under
   * CONFIG_ARCH_KEEP_MEMBLOCK (arm64 selects it, x86 does not); try_remove_memory() then
   * memblock_remove()s it. Expect memblock.memory to grow by the hot-added 1 GiB on arm64 and
   * shrink back on hot-remove; on x86_64 to keep only boot memory.
   */
  it('memblock.memory follows hot-add and hot-remove on arm64 only', () => {
    const regions = (r: ReturnType<typeof run>) => [...r.machine.k.s.memblockMemory].map((s) => [s.start, s.end]);
    const add = '  - hot-add: { node: 0, start: 0x200000000, size: 1G }';
    const arm = run(box('{ pageSize: 4K }', add));
    expect(regions(arm)).toEqual([[0x40000000, 0x140000000], [0x200000000, 0x240000000]]);
    const armRemoved = run(box('{ pageSize: 4K }', `${add}\n  - hot-remove: { start: 0x200000000, size: 1G }`));
    expect(stepOf(armRemoved, 3).ok).toBe(true);
    expect(regions(armRemoved)).toEqual([[0x40000000, 0x140000000]]);
    const x86 = run(box('{}', add).replace('arch: arm64', 'arch: x86_64'));
    expect(stepOf(x86, 2).ok).toBe(true);
    expect(regions(x86)).toEqual([[0x40000000, 0x140000000]]);
  });
});

describe('the arch policies name their kernel sites; arm64 prints no block size', () => {
  /* drivers/base/memory.c: arm64 has no memory_block_size_bytes() override: the section size, silently. */
  it('arm64 memory_block_size_bytes() = the section size, no message', () => {
    expect(arm64('4K', 48).policy.memoryBlockSize(4 * G, 0)).toEqual({ size: 128 * M, messages: [] });
    expect(arm64('64K', 48).policy.memoryBlockSize(4 * G, 0)).toEqual({ size: 512 * M, messages: [] });
  });

  it('sites and labels', () => {
    const a = arm64('4K', 48).policy;
    expect([a.populateSite, a.free.site]).toEqual(['arch/arm64/mm/mmu.c:vmemmap_populate', 'arch/arm64/mm/mmu.c:vmemmap_free']);
    const x = resolveArch('x86_64', { pageSize: '4K', levels: 5, pse: false }, v6_18);
    expect(x.cfg.label).toBe('x86_64 5-level 4K nopse');
    expect(resolveArch('x86_64', {}, v6_18).cfg.label).toBe('x86_64 4-level 4K');
    expect([x.policy.populateSite, x.policy.free.site]).toEqual(['arch/x86/mm/init_64.c:vmemmap_populate', 'arch/x86/mm/init_64.c:remove_pagetable']);
  });

  /* A profile that replaces only vmemmap_populate keeps the free policy (and its site) as it was. */
  it('a vmemmap_populate override marks the populate site only', () => {
    const p: KernelProfile = { ...v6_18, policies: { vmemmap_populate: ({ base }) => base() } };
    const { policy } = resolveArch('arm64', { pageSize: '4K' }, p);
    expect(policy.populateSite).toBe('arch/arm64/mm/mmu.c:vmemmap_populate (replaced by the profile)');
    expect(policy.free.site).toBe('arch/arm64/mm/mmu.c:vmemmap_free');
  });

  /*
   * arm64 4K/52 with DRAM from 256 TiB: memstart_addr = 2^48, the linear map (2^52 - 2^47)
   * would reach 2^48 + 2^52 - 2^47 - 1, past 2^52, so mhp_get_pluggable_range() clamps the end to
   * 2^MAX_PHYSMEM_BITS - 1 = 0xfffffffffffff. Expect a hot-add at 2^52 refused with that range.
   */
  it('arm64 4K/52 at 256 TiB: the pluggable range ends at 2^52 - 1', () => {
    const r = run(`
arch: arm64
config: { pageSize: 4K, vaBits: 52 }
nodes:
  - { id: 0, memory: [ { start: 0x1000000000000, size: 4G } ] }
steps:
  - boot
  - hot-add: { node: 0, start: 0x10000000000000, size: 128M }
`);
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'E2BIG' });
    expect(r.report.dmesg).toContain('Hotplug memory [0x10000000000000-0x10000008000000] exceeds maximum addressable range [0x1000000000000-0xfffffffffffff]');
  });
});
