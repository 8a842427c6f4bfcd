import { deepFreeze } from '../util/freeze.js';
import type { KernelProfile } from '../kernels/types.js';
import { arm64Config, arm64Policy, arm64VaBits, ARM64_DEFAULT_VA_BITS, ARM64_VA_BITS, type Arm64PageSize } from './arm64.js';
import { ARCH_NAMES, withOverrides, type ArchConfig, type ArchName, type ArchPolicy } from './types.js';
import { x86Config, x86Policy, X86_DEFAULTS } from './x86_64.js';
import { riscvConfig, riscvModes, riscvPolicy, RISCV_MODES, type RiscvMode } from './riscv64.js';
import { ia64Config, ia64Policy, IA64_LEVELS, type Ia64PageSize } from './ia64.js';
import { ppcConfig, ppcPolicy, PPC_DEFAULT_LMB, PPC_MMUS, type PpcMmu } from './powerpc64.js';
import { s390Config, s390Policy, s390SectionBits } from './s390x.js';
import { loongarchConfig, loongarchLayoutProblem, loongarchPolicy, LOONGARCH_DEFAULT_LEVELS, LOONGARCH_LEVELS, type LoongPageSize } from './loongarch64.js';

export type { ArchConfig, ArchName, ArchPolicy, PtLevel, LeafLevel, VmemmapRange, VmemmapOps, HugepagesVariant, PolicyOverrides, VmemmapFreePolicy, PopulatePath } from './types.js';
export { ARCH_NAMES, PT_LEVELS } from './types.js';
export { ARM64_VA_BITS } from './arm64.js';
export { RISCV_MODES } from './riscv64.js';
export { LOONGARCH_LEVELS } from './loongarch64.js';
export { PPC_MMUS } from './powerpc64.js';
export { S390_LEVEL_NAMES } from './s390x.js';

export interface Arch {
  cfg: ArchConfig;
  policy: ArchPolicy;
}

/** Arch-specific scenario `config` keys (validated by the scenario layer). */
export interface ArchOptionsInput {
  pageSize?: string;
  vaBits?: number;
  levels?: number;
  pse?: boolean;
  hypervisor?: boolean;
  gbpages?: boolean;
  /** riscv64 paging mode. */
  mode?: string;
  /** powerpc64 MMU: radix or hash. */
  mmu?: string;
  /** powerpc64 ibm,lmb-size of the DR-memory node in bytes (0: none). */
  lmbSize?: number;
  /** powerpc64 hash: the MMU has 16M pages. */
  hash16M?: boolean;
  /** powerpc64 hash: KFENCE / debug_pagealloc on (linear map in base pages). */
  kfence?: boolean;
  /** s390x: the CPU has EDAT-1 (1 MiB segment frames). */
  edat1?: boolean;
  /** s390x: sclp.rzm, the storage increment, in MiB. */
  rzm?: number;
}

export class ArchConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

/** What `vmemlab arches` says of each arch: its config keys and what the model knows of it. */
export const ARCH_INFO: Record<ArchName, { config: string; notes: string }> = {
  x86_64: { config: '{ levels: 4|5, pse: true|false, hypervisor: true|false, gbpages: true|false }', notes: '4K pages; PMD blocks from the altmap for whole sections, base pages from RAM below a section' },
  arm64: { config: '{ pageSize: 4K|16K|64K, vaBits: 4K 39/48/52, 16K 36/47/48/52, 64K 42/48/52 }', notes: '4K: PMD blocks; 16K/64K: base pages; altmap honoured from v5.9' },
  riscv64: { config: '{ mode: sv39|sv48|sv57 }', notes: '4K pages; Sv48/Sv57 from v6.1; base pages up to v6.6, PMD blocks with the altmap and memory hot-plug, ZONE_DEVICE, memmap_on_memory from v6.11' },
  loongarch64: { config: '{ pageSize: 4K|16K|64K, levels: 4K 4, 16K 2/3, 64K 2/3 }', notes: 'from v6.2 (no vmemmap before); default 16K/3; the altmap is never used (memmap always in RAM) and vmemmap_free() is empty' },
  powerpc64: { config: '{ mmu: radix|hash, pageSize: 4K|64K, lmbSize: bytes (256M; 0 = no DR-memory node), hash16M: true|false, kfence: true|false }', notes: 'Book3S-64, every profile; default radix 64K (Debian ppc64el); radix (v6.6+; <= v6.5 2 MiB vmemmap_list blocks as PMD leaves): 2 MiB PMD blocks (from the altmap where aligned and inside the device), else base pages from the altmap or RAM (altmap_cross_boundary, RAM fallback); hash: mmu_vmemmap_psize blocks as bolted HPTEs + vmemmap_list, no Linux page tables' },
  ia64: { config: '{ pageSize: 4K|8K|16K|64K, levels: 3|4 (64K: 3) }', notes: 'up to v6.6 (removed in v6.7); default 16K/3; base pages from RAM, no ZONE_DEVICE, vmemmap_free() is empty' },
  s390x: { config: '{ edat1: true|false, rzm: storage increment in MiB (default 1, QEMU) }', notes: '4K pages, 3-level tables (16 KiB region/segment tables, 2 KiB page tables); EDAT-1: 1 MiB segment frames, else 4 KiB pages; altmap and memmap_on_memory from v6.9, ZONE_DEVICE from v6.17 (v6.18 profile); hot-add is sclp standby memory; hot-remove from v6.13 (virtio-mem); the 3-level layout only (memory past about 3.5 TiB refused); one NUMA node (numa_setup)' },
};

/** The config keys each arch takes (anything else is refused, naming the arch that has it). */
const KEYS: Record<ArchName, (keyof ArchOptionsInput)[]> = {
  x86_64: ['pageSize', 'levels', 'pse', 'hypervisor', 'gbpages'],
  arm64: ['pageSize', 'vaBits'],
  riscv64: ['pageSize', 'mode'],
  loongarch64: ['pageSize', 'levels'],
  ia64: ['pageSize', 'levels'],
  powerpc64: ['pageSize', 'mmu', 'lmbSize', 'hash16M', 'kfence'],
  s390x: ['pageSize', 'edat1', 'rzm'],
};

/**
 * Arches built so far, per profile object and arch + config, while a withArchCache() scope is
 * open (fuzz builds the same few configurations hundreds of thousands of times). Each cached
 * arch is deep-frozen: one object serves every machine of the scope, so nothing may write to
 * it (a write throws in these strict-mode modules).
 */
let built: WeakMap<KernelProfile, Map<string, Arch>> | null = null;

/**
 * Run fn with resolveArch() memoised. Scoped, never global: a cache that outlived its run would
 * hand objects built under one run's conditions to the next (under mutation testing, objects
 * built while another mutant was active).
 */
export function withArchCache<T>(fn: () => T): T {
  const outer = built;
  built ??= new WeakMap();
  try {
    return fn();
  } finally {
    built = outer;
  }
}

/** Build the arch for a scenario's `arch` + `config`; throws ArchConfigError naming the key. */
export function resolveArch(name: ArchName, o: ArchOptionsInput, p: KernelProfile): Arch {
  if (!built) return buildArch(name, o, p);
  let m = built.get(p);
  if (!m) built.set(p, (m = new Map()));
  const key = name + JSON.stringify(o);
  let a = m.get(key);
  if (!a) {
    a = deepFreeze(buildArch(name, o, p));
    if (m.size >= 1024) m.clear();
    m.set(key, a);
  }
  return a;
}

function buildArch(name: ArchName, o: ArchOptionsInput, p: KernelProfile): Arch {
  for (const key of Object.keys(o) as (keyof ArchOptionsInput)[]) {
    if (o[key] === undefined || KEYS[name].includes(key)) continue;
    const owners = ARCH_NAMES.filter((a) => KEYS[a].includes(key));
    const hint = key === 'levels' && name === 'arm64' ? 'arm64 levels follow from pageSize and vaBits; set vaBits instead' : `${name} takes ${KEYS[name].join(', ')}; ${key} is ${owners.length ? `an option of ${owners.join(' and ')}` : 'not an option'}`;
    throw new ArchConfigError(key, hint);
  }
  const arch = (cfg: ArchConfig, policy: ArchPolicy): Arch => ({ cfg, policy: withOverrides(cfg, policy, p.policies) });
  if (name === 'x86_64') {
    if (o.pageSize !== undefined && o.pageSize !== '4K') throw new ArchConfigError('pageSize', `x86_64 has only 4K pages, not ${o.pageSize}`);
    const levels = o.levels ?? X86_DEFAULTS.levels;
    if (levels !== 4 && levels !== 5) throw new ArchConfigError('levels', `x86_64 levels must be 4 or 5, not ${levels}`);
    const cfg = x86Config({ levels, pse: o.pse ?? X86_DEFAULTS.pse, hypervisor: o.hypervisor ?? X86_DEFAULTS.hypervisor, gbpages: o.gbpages ?? X86_DEFAULTS.gbpages });
    return arch(cfg, x86Policy(cfg, p));
  }
  if (name === 'riscv64') {
    if (o.pageSize !== undefined && o.pageSize !== '4K') throw new ArchConfigError('pageSize', `riscv64 has only 4K pages here, not ${o.pageSize}`);
    const mode = (o.mode ?? 'sv39') as RiscvMode;
    if (!RISCV_MODES.includes(mode)) throw new ArchConfigError('mode', `riscv64 mode must be ${RISCV_MODES.join(', ')}, not ${o.mode}`);
    if (!riscvModes(p).includes(mode)) throw new ArchConfigError('mode', `riscv64 in ${p.id} has only sv39 (Sv48 and Sv57 arrived in v5.17 and v5.18)`);
    const cfg = riscvConfig(mode, p);
    return arch(cfg, riscvPolicy(cfg, p));
  }
  if (name === 'loongarch64') {
    if (!p.loongarchVmemmap) throw new ArchConfigError('arch', `loongarch64 has no SPARSEMEM_VMEMMAP in ${p.id} (it arrived in v6.2)`);
    const ps = (o.pageSize ?? '16K') as LoongPageSize;
    if (!(ps in LOONGARCH_LEVELS)) throw new ArchConfigError('pageSize', `loongarch64 pageSize must be 4K, 16K or 64K, not ${o.pageSize}`);
    const levels = o.levels ?? LOONGARCH_DEFAULT_LEVELS[ps];
    if (!LOONGARCH_LEVELS[ps].includes(levels)) throw new ArchConfigError('levels', `loongarch64 ${ps} pages take levels ${LOONGARCH_LEVELS[ps].join(' or ')}, not ${levels}`);
    const problem = loongarchLayoutProblem(ps, levels);
    if (problem) throw new ArchConfigError('levels', problem);
    const cfg = loongarchConfig(ps, levels, p);
    return arch(cfg, loongarchPolicy(cfg));
  }
  if (name === 'powerpc64') {
    if (!p.ppc64) throw new ArchConfigError('arch', `powerpc64 is not modelled in ${p.id} (its profile sets ppc64: false; docs/fidelity.md)`);
    const mmu = (o.mmu ?? 'radix') as PpcMmu;
    if (!PPC_MMUS.includes(mmu)) throw new ArchConfigError('mmu', `powerpc64 mmu must be radix or hash, not ${o.mmu}`);
    const ps = o.pageSize ?? '64K';
    if (ps !== '4K' && ps !== '64K') throw new ArchConfigError('pageSize', `powerpc64 pageSize must be 4K or 64K, not ${o.pageSize}`);
    const lmb = o.lmbSize ?? PPC_DEFAULT_LMB;
    if (lmb !== 0 && (lmb < 16 * 2 ** 20 || (lmb & (lmb - 1)) !== 0)) throw new ArchConfigError('lmbSize', `powerpc64 lmbSize must be 0 or a power of two of at least 16 MiB, not ${lmb}`);
    for (const key of ['hash16M', 'kfence'] as const) if (o[key] !== undefined && mmu !== 'hash') throw new ArchConfigError(key, `powerpc64 ${key} applies to the hash MMU only`);
    const cfg = ppcConfig({ mmu, pageSize: ps, lmbSize: lmb, hash16M: o.hash16M ?? true, kfence: o.kfence ?? true }, p);
    return arch(cfg, ppcPolicy(cfg, p));
  }
  if (name === 'ia64') {
    if (!p.ia64) throw new ArchConfigError('arch', `ia64 is not in ${p.id} (it was removed in v6.7)`);
    const ps = (o.pageSize ?? '16K') as Ia64PageSize;
    if (!(ps in IA64_LEVELS)) throw new ArchConfigError('pageSize', `ia64 pageSize must be 4K, 8K, 16K or 64K, not ${o.pageSize}`);
    const levels = o.levels ?? 3;
    if (!IA64_LEVELS[ps].includes(levels)) throw new ArchConfigError('levels', `ia64 ${ps} pages take levels ${IA64_LEVELS[ps].join(' or ')}, not ${levels}`);
    const cfg = ia64Config(ps, levels, p);
    return arch(cfg, ia64Policy(cfg));
  }
  if (name === 's390x') {
    if (o.pageSize !== undefined && o.pageSize !== '4K') throw new ArchConfigError('pageSize', `s390x has only 4K pages, not ${o.pageSize}`);
    const rzm = o.rzm ?? 1;
    if (!Number.isInteger(rzm) || rzm < 1) throw new ArchConfigError('rzm', `s390x rzm is the storage increment in MiB (a positive whole number), not ${o.rzm}`);
    const block = Math.max(2 ** s390SectionBits(p), rzm * 2 ** 20);
    // drivers/base/memory.c memory_dev_init(): !is_power_of_2(memory_block_size_bytes()) -> panic
    if ((block & (block - 1)) !== 0) throw new ArchConfigError('rzm', `s390x with a ${rzm} MiB storage increment: memory_block_size_bytes() = max(section, sclp.rzm) = 0x${block.toString(16)} is not a power of two and the kernel panics at boot ("Memory block size not suitable: 0x${block.toString(16)}", memory_dev_init)`);
    const cfg = s390Config(o.edat1 ?? true, p, rzm);
    return arch(cfg, s390Policy(cfg, p));
  }
  const ps = (o.pageSize ?? '4K') as Arm64PageSize;
  if (!(ps in ARM64_VA_BITS)) throw new ArchConfigError('pageSize', `arm64 pageSize must be 4K, 16K or 64K, not ${o.pageSize}`);
  const va = o.vaBits ?? ARM64_DEFAULT_VA_BITS[ps];
  const offered = arm64VaBits(ps, p);
  if (!offered.includes(va)) throw new ArchConfigError('vaBits', `arm64 ${ps} supports vaBits ${offered.join(', ')}${offered.length < ARM64_VA_BITS[ps].length ? ` in ${p.id} (52 needs 64K pages before v6.9)` : ''}, not ${va}`);
  const cfg = arm64Config({ pageSize: ps, vaBits: va }, p);
  return arch(cfg, arm64Policy(cfg, p));
}

/** The profiles under which an arch exists with its default config. */
export function archProfiles(name: ArchName, profiles: readonly KernelProfile[]): string[] {
  return profiles.filter((p) => {
    try {
      resolveArch(name, {}, p);
      return true;
    } catch (e) {
      if (e instanceof ArchConfigError) return false;
      throw e;
    }
  }).map((p) => p.id);
}
