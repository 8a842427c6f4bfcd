/**
 * src/kernels/switches.ts documents every behaviour switch: the kernel site, what it decides,
 * and each value's release or commit. The release profiles (src/kernels/releases.ts, v6.18.ts)
 * are written separately, from the same reading of the source. Here each side checks the other:
 * a value documented as "(v5.9 ...)" is v5.9's value (or, for a release no profile models, the
 * next profile's), one documented "up to v6.12" is v6.12's and no later release's, one
 * documented "(v6.6..v6.18)" every release's in that range, and "no profile has it" none's.
 */
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../src/kernels/index.js';
import { SWITCHES, SWITCH_KEYS } from '../src/kernels/switches.js';

const releases = PROFILES.filter((p) => p.kind === 'release');
/** "v6.1.y" and "v6.1" are both release 6.1; [major, minor]. */
const version = (id: string): [number, number] => {
  const m = /^v(\d+)\.(\d+)/.exec(id)!;
  return [Number(m[1]), Number(m[2])];
};
const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
const parse = (s: string): [number, number] => s.split('.').map(Number) as [number, number];

describe('switch documentation', () => {
  it('every switch names a kernel site (a path in the tree) and what it decides', () => {
    for (const k of SWITCH_KEYS) {
      const d = SWITCHES[k];
      expect(d.site, k).toMatch(/^(arch|drivers|mm|lib|include|kernel)\/[\w./{},-]+/);
      expect(d.what.length, `${k}.what`).toBeGreaterThan(8);
      expect(Object.keys(d.values).length, `${k}.values`).toBeGreaterThanOrEqual(2);
      for (const [v, meaning] of Object.entries(d.values)) expect(meaning.length, `${k}.${v}`).toBeGreaterThan(1);
    }
  });

  it('a value that differs between releases cites its release or commit', () => {
    for (const k of SWITCH_KEYS) {
      const used = new Set(releases.map((p) => String(p[k])));
      if (used.size < 2) continue;
      for (const v of used) expect(SWITCHES[k].values[v], `${k}=${v}`).toMatch(/\bv\d+\.\d+|\b\d+\.\d+\.\d+\b|\b[0-9a-f]{12}\b/);
    }
  });

  it('"(vX.Y" names a release that has the value; "up to vX.Y" / "<= vX.Y" vX.Y and none after it; "vA..vB" every one between', () => {
    const problems: string[] = [];
    const checked = { first: 0, upTo: 0, range: 0, none: 0 };
    for (const k of SWITCH_KEYS) {
      for (const [value, meaning] of Object.entries(SWITCHES[k].values)) {
        const has = (p: (typeof releases)[number]) => String(p[k]) === value;
        // "(v5.9, 56993b4e147e)", "(v6.6)", "(v5.8+)": the release named first in parentheses
        // has it, or if no profile models that release, the first one after it
        const first = /\(v(\d+\.\d+)[,)+ ]/.exec(meaning);
        if (first && !/\.\./.test(meaning.slice(first.index, first.index + 16))) {
          const from = parse(first[1]!);
          const p = releases.find((r) => r.id === `v${first[1]}`) ?? releases.find((r) => cmp(version(r.id), from) > 0);
          if (p) checked.first++;
          if (p && !has(p)) problems.push(`${k}=${value}: "${meaning}" but ${p.id} has ${String(p[k])}`);
        }
        // "up to v6.5", "<= v5.15": no later release has it
        for (const m of meaning.matchAll(/(?:up to|<=) v(\d+\.\d+)/g)) {
          const last = parse(m[1]!);
          checked.upTo++;
          // ... and vX.Y itself, if a profile models it, has it
          const at = releases.find((r) => r.id === `v${m[1]}`);
          if (at && !has(at)) problems.push(`${k}=${value}: "${meaning}" but ${at.id} has ${String(at[k])}`);
          for (const p of releases) if (has(p) && cmp(version(p.id), last) > 0) problems.push(`${k}=${value}: "${meaning}" but ${p.id} has it`);
          // ... and, when no other value of the switch is documented "up to" an earlier release
          // (a stage before this one), every release up to it has it
          const earlier = Object.values(SWITCHES[k].values).some((o) => o !== meaning && [...o.matchAll(/(?:up to|<=) v(\d+\.\d+)/g)].some((x) => cmp(parse(x[1]!), last) < 0));
          if (!earlier) for (const p of releases) if (!has(p) && cmp(version(p.id), last) <= 0) problems.push(`${k}=${value}: "${meaning}" but ${p.id} has ${String(p[k])}`);
        }
        // "v6.6..v6.18": every release in the range has it ("..v6.12.9": a stable point
        // release ends it, so the v6.12 profile, a later 6.12.y, is not in it)
        for (const m of meaning.matchAll(/v(\d+\.\d+)\.\.v(\d+\.\d+)(\.\d+)?/g)) {
          const [lo, hi] = [parse(m[1]!), parse(m[2]!)];
          checked.range++;
          for (const p of releases) {
            const v = version(p.id);
            const inside = cmp(v, lo) >= 0 && (m[3] ? cmp(v, hi) < 0 : cmp(v, hi) <= 0);
            if (inside && !has(p)) problems.push(`${k}=${value}: "${meaning}" but ${p.id} has ${String(p[k])}`);
          }
        }
        // "no profile has it"
        if (/no profile has it/.test(meaning)) {
          checked.none++;
          for (const p of PROFILES) if (String(p[k]) === value) problems.push(`${k}=${value}: "${meaning}" but ${p.id} has it`);
        }
      }
    }
    expect(problems).toEqual([]);
    // the checks ran over most of the documentation (not a parser that matches nothing)
    expect(checked.first).toBeGreaterThanOrEqual(55);
    expect(checked.upTo).toBeGreaterThanOrEqual(40);
    expect(checked.range).toBeGreaterThanOrEqual(10);
    expect(checked.none).toBeGreaterThanOrEqual(1);
  });
});

describe('profile documentation', () => {
  it('every profile has a unique id, a title and a provenance (what `vmemlab kernels` lists)', () => {
    expect(new Set(PROFILES.map((p) => p.id)).size).toBe(PROFILES.length);
    for (const p of PROFILES) {
      expect(p.title, `${p.id}.title`).toMatch(/^(Linux|Proposal: ).{4}/);
      expect(p.provenance, `${p.id}.provenance`).toMatch(p.kind === 'release' ? /read in .*\d+\.\d+/ : /^LKML, /);
    }
  });
});
