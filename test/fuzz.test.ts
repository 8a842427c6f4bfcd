/**
 * Trustworthy under bad input and random workloads: the malformed-scenario corpus, a fuzz of
 * mutated example scenarios (a valid run or a clean ScenarioError, nothing else), the random
 * workload fuzzer (no invariant violations), and determinism.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../src/scenario/parse.js';
import { fuzz, fuzzBatched, prng, runCase } from '../src/sim/fuzz.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, renderJson, renderText, runExitCode, runScenario } from '../src/index.js';

const corpus = new URL('./corpus/', import.meta.url);

describe('malformed scenario corpus', () => {
  for (const f of readdirSync(corpus).filter((x) => x.endsWith('.yaml')).sort()) {
    it(f, () => {
      const text = readFileSync(new URL(f, corpus), 'utf8');
      const want = /^# error: (.*)$/m.exec(text)![1]!;
      let msg = '';
      try {
        parseScenario(f, text);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        msg = e.message;
      }
      expect(msg).toContain(want);
      expect(msg.startsWith(`${f}:`)).toBe(true);
      expect(msg.split('\n')).toHaveLength(1);
    });
  }
});

describe('mutated scenarios', () => {
  /*
   * Each example, mutated many times (characters dropped, duplicated or replaced, lines
   * swapped, numbers changed): parsing either succeeds and the run completes, or fails with
   * a ScenarioError. Any other exception is a bug.
   */
  const seed = 20261124;
  it(`never an uncaught exception (seed ${seed})`, () => {
    const rnd = prng(seed);
    const dir = new URL('../examples/', import.meta.url);
    const texts = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(new URL(f, dir), 'utf8'));
    const junk = ['{', '}', '[', ']', ':', '-', ' ', '\n', '0x', 'G', '9', '-1', '"', 'null', '~', '&a', '*a', '\t', 'é', '1e400'];
    let ok = 0;
    let bad = 0;
    for (let n = 0; n < 600; n++) {
      let t = texts[n % texts.length]!;
      for (let m = 0; m < 1 + Math.floor(rnd() * 4); m++) {
        const i = Math.floor(rnd() * t.length);
        const r = rnd();
        if (r < 0.3) t = t.slice(0, i) + t.slice(i + 1 + Math.floor(rnd() * 8));
        else if (r < 0.6) t = t.slice(0, i) + junk[Math.floor(rnd() * junk.length)] + t.slice(i);
        else if (r < 0.8) t = t.replace(/\d+/, String(Math.floor(rnd() * 2 ** 40)));
        else {
          const lines = t.split('\n');
          const a = Math.floor(rnd() * lines.length);
          const b = Math.floor(rnd() * lines.length);
          [lines[a], lines[b]] = [lines[b]!, lines[a]!];
          t = lines.join('\n');
        }
      }
      try {
        runScenario(parseScenario('m.yaml', t));
        ok++;
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw new Error(`mutation ${n} threw ${(e as Error).stack}\n--- scenario ---\n${t}`);
        bad++;
      }
    }
    expect(ok + bad).toBe(600);
    expect(bad).toBeGreaterThan(0);
  }, 120_000);
});

describe('vmemlab fuzz', () => {
  it('random workloads: no invariant violations (bounded run)', () => {
    const r = fuzz({ seed: 7, events: 4000 });
    expect(r.events).toBeGreaterThanOrEqual(4000);
    expect(r.failures.map((f) => f.what)).toEqual([]);
  }, 120_000);

  it('progress after every machine: events and counts grow to the result (what the CLI progress bar shows)', () => {
    const seen: { events: number; total: number; machines: number; violations: number; findings: number; oopses: number }[] = [];
    const r = fuzz({ seed: 5, events: 400, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(r.machines);
    expect(seen.every((p, i) => p.total === 400 && p.machines === i + 1 && (i === 0 || p.events >= seen[i - 1]!.events))).toBe(true);
    expect(seen.at(-1)).toEqual({ events: r.events, total: 400, machines: r.machines, violations: r.violations, findings: r.findings, oopses: r.oopses });
  }, 120_000);

  it('deterministic: the same seed gives the same result', () => {
    const a = fuzz({ seed: 99, events: 800 });
    const b = fuzz({ seed: 99, events: 800 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  }, 120_000);

  /* A kernel finding's consequences stay findings after the altmap is renamed (the namespace
   * destroyed, the altmap kept because memmap still points at it). */
  it('follow-on altmap counters of a finding stay findings under the kept altmap name', () => {
    for (const f of readdirSync(new URL('./fuzz-cases/', import.meta.url)).filter((x) => x.endsWith('.yaml'))) {
      const r = runCase(parseYaml(readFileSync(new URL(`./fuzz-cases/${f}`, import.meta.url), 'utf8')) as Record<string, unknown>);
      expect(r.violation, f).toBeNull();
      expect(r.finding, f).not.toBeNull();
    }
  });

  it('a shrunk reproducer still shows the finding, as a predicted kernel bug (run uses fuzz\'s words)', () => {
    const r = fuzz({ seed: 3, events: 3000 });
    expect(r.findingCases.length).toBeGreaterThan(0);
    for (const c of r.findingCases) {
      const run = runScenario(parseScenario('f.json', JSON.stringify(c.scenario)));
      const rep = run.report;
      if (c.invariant === 'kernel-oops') expect(rep.kernelBugs.crashed).not.toBeNull();
      else expect(rep.kernelBugs.findings.some((v) => v.invariant === c.invariant)).toBe(true);
      // never a vmemmap-lab invariant violation: fuzz counted none
      expect(rep.invariants.violations).toEqual([]);
      expect(renderText(run)).toContain('Predicted kernel bugs');
      expect(runExitCode(run)).toBe(4);
    }
  }, 120_000);
});

describe('determinism', () => {
  /* The same scenario gives byte-identical --json output in separate processes. */
  it('--json is byte-identical across processes for every example', () => {
    const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
    const dir = new URL('../examples/', import.meta.url).pathname;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).slice(0, 4)) {
      const a = spawnSync(process.execPath, [bin, 'run', dir + f, '--json'], { encoding: 'utf8' }).stdout;
      const b = spawnSync(process.execPath, [bin, 'run', dir + f, '--json'], { encoding: 'utf8', env: { ...process.env, TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8' } }).stdout;
      expect(a.length).toBeGreaterThan(100);
      expect(a).toBe(b);
    }
  }, 60_000);

  it('the default scenario matches the committed golden report', () => {
    const golden = readFileSync(new URL('./golden/default.json', import.meta.url), 'utf8');
    const r = runScenario(parseScenario(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO));
    expect(renderJson(r)).toBe(golden);
  });
});

describe('fuzz in batches (--jobs)', () => {
  /* fuzzBatched (what --jobs N runs) gives fuzz()'s result: the same cases, counted and shrunk
   * in the same order, also when a case stops early and the cases generated after it are
   * taken back (a stand-in runner makes some cases stop early with a violation). */
  it('the same result as fuzz(), with and without cases that stop early', async () => {
    const a = fuzz({ seed: 11, events: 3000 });
    const b = await fuzzBatched({ seed: 11, events: 3000 }, async (cs) => cs.map((c) => runCase(c)), 7);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const fake = (obj: Record<string, unknown>) => {
      const r = runCase(obj);
      if (JSON.stringify(obj).length % 5 !== 0 || r.events < 3) return r;
      return { ...r, events: r.events - 1, violation: { invariant: 'counters', step: 1, range: '-', fn: 'test', detail: 'stand-in' } };
    };
    const c = fuzz({ seed: 12, events: 2000, runCase: fake });
    expect(c.violations).toBeGreaterThan(0);
    let sent = 0;
    const d = await fuzzBatched({ seed: 12, events: 2000 }, async (cs) => { sent += cs.length; return cs.map(fake); }, 9);
    expect(JSON.stringify(d) === JSON.stringify(c), 'fuzzBatched differs from fuzz with early stops').toBe(true);
    // an early stop far from the end changes no later case (each had its 40 steps either way):
    // the workers' work is kept, and only the last machines (cut to the events left) and the
    // batches in flight at the end are drawn again or thrown away
    console.log(`fuzzBatched: ${sent} cases sent for ${d.machines} machines, ${d.violations} early stops`);
    expect(d.violations).toBeGreaterThan(4);
    expect(sent).toBeLessThanOrEqual(d.machines + 4 * 9);
  }, 120_000);

  it('vmemlab fuzz --jobs 2 writes what --jobs 1 writes', () => {
    const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
    const tmp = mkdtempSync(join(tmpdir(), 'vmemlab-jobs-'));
    const out = (j: number) => {
      const r = spawnSync(process.execPath, [bin, 'fuzz', '--seed', '3', '--events', '4000', '--jobs', String(j), '--out', join(tmp, `j${j}`)], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const files = readdirSync(join(tmp, `j${j}`)).sort();
      return { text: r.stdout.split('\n').slice(1).join('\n').replaceAll(`j${j}`, 'J'), files: files.map((f) => [f, readFileSync(join(tmp, `j${j}`, f), 'utf8')]) };
    };
    const one = out(1);
    expect(one.files.length).toBeGreaterThan(0);
    expect(out(2)).toEqual(one);
  }, 120_000);
});

describe('fuzz(): one reproducer per kind of finding and per faulting access', () => {
  // Stand-in case results (FuzzOptions.runCase): the dedup keys of FuzzRun.add() are what is
  // tested, so each machine "finds" what the list says; shrinking runs the real model, which
  // does not reproduce these, so the reproducer is the machine itself.
  const v = (invariant: string, detail: string, fn = 'mm/sparse-vmemmap.c:vmemmap_populate') => ({ invariant, step: 1, range: 'va 0x0-0x1', fn, detail });
  const stub = (outcomes: { finding?: ReturnType<typeof v>; oops?: ReturnType<typeof v> }[]) => {
    let i = 0;
    return () => {
      const o = outcomes[i++ % outcomes.length]!;
      return { events: 2, violation: null, finding: o.finding ?? null, oops: o.oops ?? null, findingAt: 0 };
    };
  };
  const run = (outcomes: Parameters<typeof stub>[0]) => fuzz({ seed: 5, events: outcomes.length * 2, stepsPerMachine: 1, arch: 'x86_64', runCase: stub(outcomes) });

  it('findings that differ only in addresses, pfns and counts are one kind', () => {
    const r = run([
      { finding: v('kernel-anomaly', 'RAM-backed memmap at 0xffffea0000200000..0xffffea0000400000 was charged to altmap namespace0.0 and its 512 RAM pages were never freed') },
      { finding: v('kernel-anomaly', 'RAM-backed memmap at ffffea0040000000..ffffea0040200000 was charged to altmap namespace0.0 and its 1024 RAM pages were never freed') },
      { finding: v('kernel-anomaly', 'Altmap not fully unmapped') },
      { finding: v('counters', 'Altmap not fully unmapped') },
    ]);
    expect(r.findings).toBe(4);
    expect(r.oopses).toBe(0);
    expect(r.findingCases.map((c) => c.what)).toEqual([
      'kernel-anomaly: RAM-backed memmap at 0xffffea0000200000..0xffffea0000400000 was charged to altmap namespace0.0 and its 512 RAM pages were never freed',
      'kernel-anomaly: Altmap not fully unmapped',
      'counters: Altmap not fully unmapped',
    ]);
    expect(r.findingCases.map((c) => c.invariant)).toEqual(['kernel-anomaly', 'kernel-anomaly', 'counters']);
  });

  it('an oops is one reproducer per function and faulting site, whatever the device', () => {
    const oops = (fn: string, site: string, dev: string) => v('kernel-oops', `${fn} wrote the struct page of pfn 0x1001800 in ${site} (${dev})`, fn);
    const r = run([
      { oops: oops('__init_zone_device_page', 'mm/mm_init.c:__init_zone_device_page', 'dax0.0') },
      { oops: oops('__init_zone_device_page', 'mm/mm_init.c:__init_zone_device_page', 'dax1.0') },
      { oops: oops('memunmap_pages', 'mm/memremap.c:memunmap_pages', 'dax0.0') },
      { oops: oops('memunmap_pages', 'mm/memremap.c:pageunmap_range', 'dax0.0') },
    ]);
    expect(r.oopses).toBe(4);
    expect(r.findings).toBe(4);
    expect(r.findingCases.map((c) => [c.invariant, c.what.split(' (')[0]])).toEqual([
      ['kernel-oops', 'kernel-oops: __init_zone_device_page wrote the struct page of pfn 0x1001800 in mm/mm_init.c:__init_zone_device_page'],
      ['kernel-oops', 'kernel-oops: memunmap_pages wrote the struct page of pfn 0x1001800 in mm/memremap.c:memunmap_pages'],
      ['kernel-oops', 'kernel-oops: memunmap_pages wrote the struct page of pfn 0x1001800 in mm/memremap.c:pageunmap_range'],
    ]);
  });
});
