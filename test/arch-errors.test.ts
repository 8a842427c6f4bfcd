/**
 * resolveArch()'s refusals for every arch, in-process (test/cli.test.ts checks a few through the
 * built CLI, which mutation testing cannot see), and archProfiles(): the profiles under which an
 * arch exists with its default config (`vmemlab arches`). Each refusal is a kernel fact: which
 * page sizes, paging modes, table layouts and releases an arch's Kconfig offers.
 * Kernel: arch/{riscv,loongarch,powerpc,ia64,s390}/Kconfig, drivers/base/memory.c
 * memory_dev_init() @ v5.6..v7.1.
 */
import { describe, expect, it } from 'vitest';
import { ARCH_INFO, ARCH_NAMES, ArchConfigError, archProfiles, resolveArch, type ArchName } from '../src/arch/index.js';
import { PROFILES } from '../src/kernels/index.js';
import { v5_15, v6_1, v6_6 } from '../src/kernels/releases.js';
import { v6_18 } from '../src/kernels/v6.18.js';
import type { KernelProfile } from '../src/kernels/types.js';

/** The key and message of the ArchConfigError a call throws (fails if it throws nothing or something else). */
function refusal(name: ArchName, o: Record<string, unknown>, p: KernelProfile = v6_18): { key: string; message: string } {
  try {
    resolveArch(name, o as never, p);
  } catch (e) {
    expect(e).toBeInstanceOf(ArchConfigError);
    return { key: (e as ArchConfigError).key, message: (e as Error).message };
  }
  throw new Error(`${name} ${JSON.stringify(o)} was accepted`);
}

describe('a key of another arch, or of none, is refused naming who has it', () => {
  it('one owner, several owners, no owner', () => {
    // `mode` is riscv64's paging mode only
    expect(refusal('x86_64', { mode: 'sv48' })).toEqual({ key: 'mode', message: 'x86_64 takes pageSize, levels, pse, hypervisor, gbpages; mode is an option of riscv64' });
    // `levels` is a choice on x86_64 (4/5), loongarch64 and ia64 (the Kconfig layouts), not s390x
    expect(refusal('s390x', { levels: 4 })).toEqual({ key: 'levels', message: 's390x takes pageSize, edat1, rzm; levels is an option of x86_64 and loongarch64 and ia64' });
    expect(refusal('arm64', { lmbSize: 256 * 2 ** 20 })).toEqual({ key: 'lmbSize', message: 'arm64 takes pageSize, vaBits; lmbSize is an option of powerpc64' });
    expect(refusal('riscv64', { colour: 'blue' })).toEqual({ key: 'colour', message: 'riscv64 takes pageSize, mode; colour is not an option' });
    expect(refusal('loongarch64', { mode: 'sv39' })).toEqual({ key: 'mode', message: 'loongarch64 takes pageSize, levels; mode is an option of riscv64' });
    expect(refusal('ia64', { vaBits: 48 }, v6_6)).toEqual({ key: 'vaBits', message: 'ia64 takes pageSize, levels; vaBits is an option of arm64' });
    expect(refusal('powerpc64', { edat1: true })).toEqual({ key: 'edat1', message: 'powerpc64 takes pageSize, mmu, lmbSize, hash16M, kfence; edat1 is an option of s390x' });
    expect(refusal('x86_64', { kfence: false })).toEqual({ key: 'kfence', message: 'x86_64 takes pageSize, levels, pse, hypervisor, gbpages; kfence is an option of powerpc64' });
    // an undefined value counts as not given
    expect(resolveArch('riscv64', { vaBits: undefined }, v6_18).cfg.label).toBe('riscv64 sv39');
  });
});

describe('riscv64', () => {
  it('4K pages only; sv39/sv48/sv57; Sv48 and Sv57 from v5.17/v5.18', () => {
    // arch/riscv/Kconfig: PAGE_SHIFT 12 on every riscv64 kernel (no 16K/64K base pages)
    expect(refusal('riscv64', { pageSize: '64K' })).toEqual({ key: 'pageSize', message: 'riscv64 has only 4K pages here, not 64K' });
    expect(resolveArch('riscv64', { pageSize: '4K' }, v6_18).cfg.PAGE_SIZE).toBe(4096);
    expect(refusal('riscv64', { mode: 'sv32' })).toEqual({ key: 'mode', message: 'riscv64 mode must be sv39, sv48, sv57, not sv32' });
    // pgtable_l4_enabled / pgtable_l5_enabled arrived in v5.17 / v5.18: v5.15 is Sv39 only
    expect(refusal('riscv64', { mode: 'sv48' }, v5_15)).toEqual({ key: 'mode', message: 'riscv64 in v5.15 has only sv39 (Sv48 and Sv57 arrived in v5.17 and v5.18)' });
    expect(resolveArch('riscv64', { mode: 'sv57' }, v6_1).cfg.pt.levels).toBe(5);
  });
});

describe('loongarch64', () => {
  it('no SPARSEMEM_VMEMMAP before v6.2; the Kconfig page sizes and layouts', () => {
    // arch/loongarch/Kconfig selects SPARSEMEM_VMEMMAP_ENABLE from v6.2 (v6.1 has none)
    expect(refusal('loongarch64', {}, v6_1)).toEqual({ key: 'arch', message: 'loongarch64 has no SPARSEMEM_VMEMMAP in v6.1 (it arrived in v6.2)' });
    expect(refusal('loongarch64', { pageSize: '8K' })).toEqual({ key: 'pageSize', message: 'loongarch64 pageSize must be 4K, 16K or 64K, not 8K' });
    // "Page Table Layout" choice: 4K 3 or 4 levels, 16K and 64K 2 or 3
    expect(refusal('loongarch64', { pageSize: '16K', levels: 4 })).toEqual({ key: 'levels', message: 'loongarch64 16K pages take levels 2 or 3, not 4' });
    expect(refusal('loongarch64', { pageSize: '4K', levels: 2 })).toEqual({ key: 'levels', message: 'loongarch64 4K pages take levels 3 or 4, not 2' });
  });

  /*
   * VMEMMAP_SIZE = 64 << (cpu_pabits 48 + 1 - PAGE_SHIFT) against the reach of the tables,
   * (PAGE_SHIFT - 3) x levels + PAGE_SHIFT (asm/pgtable.h):
   *   4K/3:  reach 9 x 3 + 12 = 39 bits, vmemmap 2^(6 + 49 - 12) = 2^43: does not fit;
   *   16K/2: reach 11 x 2 + 14 = 36, vmemmap 2^41: does not fit;
   *   64K/2: reach 13 x 2 + 16 = 42, vmemmap 2^39: fits.
   */
  it('layouts whose vmemmap does not fit the tables are refused', () => {
    expect(refusal('loongarch64', { pageSize: '4K', levels: 3 })).toEqual({ key: 'levels', message: 'loongarch64 4K pages with 3 levels reach 2^39 bytes, less than the 2^43-byte vmemmap a 48-bit physical address space needs; the model does not know what such a kernel does' });
    expect(refusal('loongarch64', { pageSize: '16K', levels: 2 })).toEqual({ key: 'levels', message: 'loongarch64 16K pages with 2 levels reach 2^36 bytes, less than the 2^41-byte vmemmap a 48-bit physical address space needs; the model does not know what such a kernel does' });
    expect(resolveArch('loongarch64', { pageSize: '64K', levels: 2 }, v6_18).cfg.label).toBe('loongarch64 64K/2-level');
  });
});

describe('powerpc64', () => {
  it('a profile without powerpc64; MMU, page size, LMB size, hash-only options', () => {
    expect(refusal('powerpc64', {}, { ...v6_18, ppc64: false })).toEqual({ key: 'arch', message: 'powerpc64 is not modelled in v6.18 (its profile sets ppc64: false; docs/fidelity.md)' });
    expect(refusal('powerpc64', { mmu: 'nohash' })).toEqual({ key: 'mmu', message: 'powerpc64 mmu must be radix or hash, not nohash' });
    // Book3S-64 offers PPC_4K_PAGES and PPC_64K_PAGES (arch/powerpc/Kconfig; 16K and 256K are 44x only)
    expect(refusal('powerpc64', { pageSize: '16K' })).toEqual({ key: 'pageSize', message: 'powerpc64 pageSize must be 4K or 64K, not 16K' });
    expect(resolveArch('powerpc64', { pageSize: '4K' }, v6_18).cfg.PAGE_SIZE).toBe(4096);
    // ibm,lmb-size: a power of two, at least the 16 MiB section (SECTION_SIZE_BITS 24)
    expect(refusal('powerpc64', { lmbSize: 8 * 2 ** 20 })).toEqual({ key: 'lmbSize', message: 'powerpc64 lmbSize must be 0 or a power of two of at least 16 MiB, not 8388608' });
    expect(refusal('powerpc64', { lmbSize: 48 * 2 ** 20 })).toEqual({ key: 'lmbSize', message: 'powerpc64 lmbSize must be 0 or a power of two of at least 16 MiB, not 50331648' });
    expect(resolveArch('powerpc64', { lmbSize: 16 * 2 ** 20 }, v6_18).cfg.config.lmbSize).toBe(16 * 2 ** 20);
    expect(resolveArch('powerpc64', { lmbSize: 0 }, v6_18).cfg.config.lmbSize).toBe(0);
    expect(refusal('powerpc64', { hash16M: false })).toEqual({ key: 'hash16M', message: 'powerpc64 hash16M applies to the hash MMU only' });
    expect(refusal('powerpc64', { mmu: 'radix', kfence: true })).toEqual({ key: 'kfence', message: 'powerpc64 kfence applies to the hash MMU only' });
    expect(resolveArch('powerpc64', { mmu: 'hash', hash16M: false, kfence: false }, v6_18).cfg.config).toMatchObject({ hash16M: false, kfence: false });
  });
});

describe('ia64', () => {
  it('gone in v6.7; 4K/8K/16K/64K pages; 64K pages only with 3 levels', () => {
    // arch/ia64 was removed in v6.7; v6.6 still has it
    expect(refusal('ia64', {}, v6_18)).toEqual({ key: 'arch', message: 'ia64 is not in v6.18 (it was removed in v6.7)' });
    expect(refusal('ia64', { pageSize: '32K' }, v6_6)).toEqual({ key: 'pageSize', message: 'ia64 pageSize must be 4K, 8K, 16K or 64K, not 32K' });
    // arch/ia64/Kconfig: PGTABLE_LEVELS 4 depends on !IA64_PAGE_SIZE_64KB
    expect(refusal('ia64', { pageSize: '64K', levels: 4 }, v6_6)).toEqual({ key: 'levels', message: 'ia64 64K pages take levels 3, not 4' });
    expect(refusal('ia64', { pageSize: '8K', levels: 5 }, v6_6)).toEqual({ key: 'levels', message: 'ia64 8K pages take levels 3 or 4, not 5' });
    expect(resolveArch('ia64', { pageSize: '8K', levels: 4 }, v6_6).cfg.label).toBe('ia64 8K/4-level');
  });
});

describe('s390x', () => {
  it('4K pages; rzm a positive whole number of MiB giving a power-of-two block', () => {
    expect(refusal('s390x', { pageSize: '64K' })).toEqual({ key: 'pageSize', message: 's390x has only 4K pages, not 64K' });
    expect(resolveArch('s390x', { pageSize: '4K' }, v6_18).cfg.PAGE_SIZE).toBe(4096);
    expect(refusal('s390x', { rzm: 0 })).toEqual({ key: 'rzm', message: 's390x rzm is the storage increment in MiB (a positive whole number), not 0' });
    expect(refusal('s390x', { rzm: 1.5 })).toEqual({ key: 'rzm', message: 's390x rzm is the storage increment in MiB (a positive whole number), not 1.5' });
    /*
     * memory_block_size_bytes() = max(MIN_MEMORY_BLOCK_SIZE, sclp.rzm) (arch/s390/mm/init.c);
     * memory_dev_init() panics unless it is a power of two. v6.18: sections of 128 MiB, so
     * rzm 384 MiB gives 0x18000000; rzm 100 MiB stays below the section: 128 MiB, accepted.
     */
    expect(refusal('s390x', { rzm: 384 })).toEqual({ key: 'rzm', message: 's390x with a 384 MiB storage increment: memory_block_size_bytes() = max(section, sclp.rzm) = 0x18000000 is not a power of two and the kernel panics at boot ("Memory block size not suitable: 0x18000000", memory_dev_init)' });
    expect(resolveArch('s390x', { rzm: 100 }, v6_18).policy.memoryBlockSize(0, 0).size).toBe(128 * 2 ** 20);
  });
});

describe('archProfiles(): the profiles an arch exists in (vmemlab arches)', () => {
  const ids = (ps: readonly KernelProfile[]) => ps.map((p) => p.id);
  it('every profile for the arches of every release; loongarch64 from v6.2; ia64 up to v6.6', () => {
    for (const a of ['x86_64', 'arm64', 'riscv64', 'powerpc64', 's390x'] as const) expect(archProfiles(a, PROFILES)).toEqual(ids(PROFILES));
    // the releases with loongarch64's vmemmap (v6.2+) and with arch/ia64 (<= v6.6); the
    // thread's proposal profiles (seed-v2, seed-v2-fallback, robin-arm64) set loongarchVmemmap
    // false and ia64 true, as the releases before v6.2 do
    expect(archProfiles('loongarch64', PROFILES)).toEqual(['v6.6', 'v6.12', 'v6.18', 'v7.1']);
    expect(archProfiles('ia64', PROFILES)).toEqual(['v5.6', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.1.y', 'v6.6', 'seed-v2', 'seed-v2-fallback', 'robin-arm64']);
    expect(archProfiles('powerpc64', [v6_6, { ...v6_18, id: 'no-ppc', ppc64: false }])).toEqual(['v6.6']);
  });

  it('an error that is not a config refusal is not taken for one', () => {
    // a profile whose flag cannot be read: resolveArch throws a TypeError, not an ArchConfigError
    const broken = Object.defineProperty({ ...v6_18, id: 'broken' }, 'ia64', { get() { throw new TypeError('unreadable'); } }) as KernelProfile;
    expect(() => archProfiles('ia64', [broken])).toThrow('unreadable');
  });
});

/*
 * `vmemlab arches` lists each arch's config keys (ARCH_INFO.config); they are the keys
 * resolveArch() takes (the refusal of an unknown key lists them), less pageSize on the arches
 * that have only 4K pages (x86_64, riscv64, s390x).
 */
it('ARCH_INFO names the config keys each arch takes', () => {
  for (const a of ARCH_NAMES) {
    const taken = refusal(a, { unknownKey: 1 }, a === 'ia64' ? v6_6 : v6_18).message.replace(/^\S+ takes /, '').replace(/; unknownKey is not an option$/, '').split(', ');
    const listed = [...ARCH_INFO[a].config.matchAll(/[{,] (\w+):/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(taken.filter((k) => k !== 'pageSize' || !['x86_64', 'riscv64', 's390x'].includes(a)).sort());
  }
});
