/**
 * resolveArch()'s memo (src/arch/index.ts withArchCache): one frozen arch per configuration
 * inside a scope (fuzz), a fresh one outside it. A cache that outlived its scope would hand an
 * arch built under one run's conditions to the next (under StrykerJS, one built while another
 * mutant was active: the mutation scores of src/arch would be wrong).
 */
import { describe, expect, it } from 'vitest';
import { resolveArch, withArchCache } from '../src/arch/index.js';
import { deriveConsts } from '../src/kernel/state.js';
import { findProfile } from '../src/kernels/index.js';
import { fuzz } from '../src/sim/fuzz.js';

const p = findProfile('v6.18')!;

describe('withArchCache', () => {
  it('outside a scope every call builds a new, writable arch', () => {
    const a = resolveArch('arm64', { pageSize: '16K' }, p);
    const b = resolveArch('arm64', { pageSize: '16K' }, p);
    expect(a).not.toBe(b);
    expect(a.cfg).toEqual(b.cfg);
    expect(Object.isFrozen(a)).toBe(false);
    expect(deriveConsts(a)).not.toBe(deriveConsts(a));
  });

  it('inside a scope one frozen arch (and one Consts) per profile + arch + config; gone after the scope', () => {
    const [a, b, c, consts] = withArchCache(() => {
      const x = resolveArch('arm64', { pageSize: '16K' }, p);
      return [x, resolveArch('arm64', { pageSize: '16K' }, p), resolveArch('arm64', { pageSize: '64K' }, p), deriveConsts(x)] as const;
    });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.cfg) && Object.isFrozen(a.policy)).toBe(true);
    expect(() => { (a.cfg as { PAGE_SIZE: number }).PAGE_SIZE = 4096; }).toThrow(TypeError);
    expect(consts).toBe(deriveConsts(a));
    expect(resolveArch('arm64', { pageSize: '16K' }, p)).not.toBe(a);
    // another profile: another arch
    expect(withArchCache(() => resolveArch('arm64', { pageSize: '16K' }, findProfile('v6.1')!))).not.toBe(a);
  });

  it('fuzz runs inside a scope and leaves none open', () => {
    const seen = new Set<unknown>();
    fuzz({ seed: 5, events: 400, arch: 'x86_64', runCase: (obj) => {
      seen.add(resolveArch('x86_64', obj.config as never, p));
      return { events: (obj.steps as unknown[]).length, violation: null, finding: null, oops: null, findingAt: -1 };
    } });
    // the x86 fuzz configs (levels, pse, hypervisor) are a few: far fewer arches than machines
    expect(seen.size).toBeGreaterThan(1);
    expect(seen.size).toBeLessThanOrEqual(12);
    expect(Object.isFrozen(resolveArch('x86_64', {}, p))).toBe(false);
  });
});
