import type { KernelProfile } from '../kernels/types.js';
import { arm64Config, arm64Policy, arm64VaBits, ARM64_DEFAULT_VA_BITS, ARM64_VA_BITS, type Arm64PageSize } from './arm64.js';
import { withOverrides, type ArchConfig, type ArchName, type ArchPolicy } from './types.js';
import { x86Config, x86Policy, X86_DEFAULTS } from './x86_64.js';

export type { ArchConfig, ArchName, ArchPolicy, PtLevel, LeafLevel, VmemmapRange, VmemmapOps, HugepagesVariant, PolicyOverrides, VmemmapFreePolicy, PopulatePath } from './types.js';
export { ARCH_NAMES, PT_LEVELS } from './types.js';
export { ARM64_VA_BITS } from './arm64.js';

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
}

export class ArchConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

/** Build the arch for a scenario's `arch` + `config`; throws ArchConfigError naming the key. */
export function resolveArch(name: ArchName, o: ArchOptionsInput, p: KernelProfile): Arch {
  if (name === 'x86_64') {
    if (o.pageSize !== undefined && o.pageSize !== '4K') throw new ArchConfigError('pageSize', `x86_64 has only 4K pages, not ${o.pageSize}`);
    if (o.vaBits !== undefined) throw new ArchConfigError('vaBits', 'x86_64 takes levels: 4 or 5, not vaBits');
    const levels = o.levels ?? X86_DEFAULTS.levels;
    if (levels !== 4 && levels !== 5) throw new ArchConfigError('levels', `x86_64 levels must be 4 or 5, not ${levels}`);
    const cfg = x86Config({ levels, pse: o.pse ?? X86_DEFAULTS.pse, hypervisor: o.hypervisor ?? X86_DEFAULTS.hypervisor, gbpages: o.gbpages ?? X86_DEFAULTS.gbpages });
    return { cfg, policy: withOverrides(cfg, x86Policy(cfg, p), p.policies) };
  }
  const ps = (o.pageSize ?? '4K') as Arm64PageSize;
  if (!(ps in ARM64_VA_BITS)) throw new ArchConfigError('pageSize', `arm64 pageSize must be 4K, 16K or 64K, not ${o.pageSize}`);
  if (o.levels !== undefined) throw new ArchConfigError('levels', 'arm64 levels follow from pageSize and vaBits; set vaBits instead');
  if (o.pse !== undefined) throw new ArchConfigError('pse', 'pse is an x86_64 option');
  if (o.hypervisor !== undefined) throw new ArchConfigError('hypervisor', 'hypervisor is an x86_64 option');
  if (o.gbpages !== undefined) throw new ArchConfigError('gbpages', 'gbpages is an x86_64 option');
  const va = o.vaBits ?? ARM64_DEFAULT_VA_BITS[ps];
  const offered = arm64VaBits(ps, p);
  if (!offered.includes(va)) throw new ArchConfigError('vaBits', `arm64 ${ps} supports vaBits ${offered.join(', ')}${offered.length < ARM64_VA_BITS[ps].length ? ` in ${p.id} (52 needs 64K pages before v6.9)` : ''}, not ${va}`);
  const cfg = arm64Config({ pageSize: ps, vaBits: va }, p);
  return { cfg, policy: withOverrides(cfg, arm64Policy(cfg, p), p.policies) };
}
