/**
 * `vmemlab compare` and `vmemlab matrix`: the same scenario under several kernel profiles,
 * reduced to the differences that matter (where the memmap lives and how much, mapping
 * levels, page-table pages, altmap counters, errors, kernel messages, invariant violations).
 */
import { resolveArch, ArchConfigError, type ArchName } from '../arch/index.js';
import { findProfile, PROFILES, type KernelProfile } from '../kernels/index.js';
import { describeSwitch, switchDiff, type SwitchKey } from '../kernels/switches.js';
import { renderMessage } from '../kernel/printk.js';
import type { Scenario } from '../scenario/parse.js';
import { createMachine, runStep, stepOutcome, type Machine, type StepResult } from '../sim/machine.js';
import { fmtSize } from '../util/units.js';
import { leafCounts, memmapBacking, pageTablePages } from './summary.js';

export interface CompareRow {
  what: string;
  values: Record<string, string>;
  /** Between neighbouring profiles whose values differ: the switch(es) responsible, with their kernel site and release/commit. */
  why?: string[];
}

export interface CompareStep {
  index: number;
  step: string;
  /** Rows whose values differ between kernels (all rows if `all`). */
  rows: CompareRow[];
  identical: boolean;
}

export interface Comparison {
  scenario: string;
  kernels: string[];
  /** Kernels under which the scenario is not valid, with the reason. */
  invalid: Record<string, string>;
  steps: CompareStep[];
  /** Expect steps that failed, per profile (every expect step is evaluated under every profile). */
  expectations: { kernel: string; step: number; failed: string[] }[];
  /** True when every expect step passed under every profile. */
  passed: boolean;
}

/** The facts compared after each step, as label -> text. */
function facts(m: Machine, r: StepResult): Map<string, string> {
  const k = m.k;
  const f = new Map<string, string>();
  // the same words as run's: ok, failed <errno>, predicted kernel oops in <fn>, not run: ...
  f.set('result', r.oops || r.notRun ? stepOutcome(r) : r.ok ? 'ok' : `failed ${r.errno ?? ''}`.trim());
  if (r.oops) f.set('predicted kernel oops', `${r.oops.fn}: Unable to handle kernel paging request at virtual address ${r.oops.va} (pfn 0x${r.oops.pfn.toString(16)})`);
  const mb = memmapBacking(k);
  for (const [n, b] of Object.entries(mb.ram)) f.set(`memmap in node ${n} RAM`, fmtSize(b));
  for (const [n, b] of Object.entries(mb.altmap)) f.set(`memmap in altmap ${n}`, fmtSize(b));
  for (const [n, b] of Object.entries(mb.self)) f.set(`memmap self-hosted in node ${n} blocks`, fmtSize(b));
  for (const [n, b] of Object.entries(mb.dedup)) f.set(`memmap shared (dedup) ${n}`, fmtSize(b));
  // memory blocks and HugeTLB / HVO (issue 4's facts: what differs between versions there)
  let online = 0;
  let offline = 0;
  for (const b of k.s.blocks) (b.v.state === 'online' ? (online += b.end - b.start) : (offline += b.end - b.start));
  f.set('memory blocks online/offline', `${online}/${offline}`);
  const P = k.c.PAGE_SIZE;
  for (const h of k.s.hvo.hstates) {
    const n = h.pages.reduce((t, x) => t + x, 0);
    if (n) f.set(`huge pages ${fmtSize(h.size)}`, String(n));
  }
  k.s.hvo.freed.forEach((x, n) => { if (x) f.set(`HVO vmemmap given back, node ${n}`, fmtSize(x * P)); });
  k.s.hvo.gainMax.forEach((mx, n) => {
    const mn = k.s.hvo.gainMin[n]!;
    if (mx) f.set(`HVO MemTotal gain, node ${n}`, mn === mx ? fmtSize(mn * P) : `${fmtSize(mn * P)}..${fmtSize(mx * P)}`);
  });
  const lc = leafCounts(k);
  f.set('PMD leaves', String(lc.pmd));
  f.set('PTE leaves', String(lc.pte));
  const pt = pageTablePages(k) as unknown as Record<string, number>;
  for (const l of k.arch.cfg.pt.allocLevels) f.set(`${l} table pages`, String(pt[l] ?? 0));
  for (const a of k.s.altmaps.values()) f.set(`altmap ${a.id} alloc/align/free`, `${a.alloc}/${a.align}/${a.free}`);
  for (const rg of m.regions.values()) for (const ns of rg.namespaces) f.set(`${ns.name} size / dataoff`, `${ns.usable} / ${ns.dataOffset}`);
  const msgs = r.dmesg.filter((x) => x.level <= 4).flatMap((x) => renderMessage(x, 3)).filter((t) => !t.startsWith('------------[ cut here'));
  if (msgs.length) f.set('kernel warnings/errors', msgs.join(' | '));
  const debug = r.dmesg.filter((x) => x.level === 7).reduce((t, x) => t + (x.run?.count ?? 1), 0);
  f.set('debug lines', String(debug));
  if (r.violations.length) f.set('invariant violations', r.violations.map((v) => `${v.invariant}: ${v.detail}`).join(' | '));
  if (r.kernelBugs.length) f.set('predicted kernel bugs', r.kernelBugs.map((v) => `${v.invariant}: ${v.detail}`).join(' | '));
  for (const msg of r.messages) if (/Error|failed/.test(msg)) f.set('ndctl', (f.get('ndctl') ? f.get('ndctl') + ' | ' : '') + msg.trim());
  return f;
}

/** Why a scenario cannot run under a profile (an arch option it does not offer), or null. */
export function invalidUnder(sc: Pick<Scenario, 'arch' | 'config'>, kernel: string): string | null {
  const p = findProfile(kernel);
  if (!p) return `unknown kernel profile ${kernel}`;
  try {
    resolveArch(sc.arch, sc.config, p);
  } catch (e) {
    if (e instanceof ArchConfigError) return e.key === 'arch' ? `arch: ${e.message}` : `config.${e.key}: ${e.message}`;
    throw e;
  }
  return null;
}

interface FactRun {
  kernel: string;
  results: { r: StepResult; f: Map<string, string> }[];
  /** Expect steps that failed: step number and what failed. */
  expectFailures: { step: number; failed: string[] }[];
}

/** Run a scenario under a profile and collect the compared facts after every step. */
function factRun(sc: Scenario, kernel: string, profile?: KernelProfile): FactRun {
  const s2: Scenario = { ...sc, kernel };
  const m = createMachine(s2, { profile });
  const results: StepResult[] = [];
  const list: { r: StepResult; f: Map<string, string> }[] = [];
  const expectFailures: FactRun['expectFailures'] = [];
  const steps = s2.steps[0]?.kind === 'boot' ? s2.steps : [{ kind: 'boot' as const, args: {}, index: 0, line: 0 }, ...s2.steps];
  for (const st of steps) {
    const r = runStep(m, st, results);
    results.push(r);
    if (st.kind === 'expect') {
      if (!r.ok) expectFailures.push({ step: st.index, failed: r.failedExpectations ?? [] });
      continue;
    }
    const f = facts(m, r);
    if (st.kind === 'boot' && m.absentParams.length) f.set('kernel parameters', m.absentParams.map((p) => p.why).join(' | '));
    list.push({ r, f });
  }
  return { kernel, results: list, expectFailures };
}

/** Rows that are noise for users: shown only with --all. */
const NOISE = new Set(['debug lines']);

/**
 * Which switches make the difference between two adjacent profiles: each switch on which they
 * differ is flipped alone in the first profile and the scenario run again; a switch whose flip
 * turns the row's value into the second profile's is responsible. If no single switch does,
 * the switches whose flip changes the row at all are named as contributing.
 */
function attribute(sc: Scenario, a: FactRun, b: FactRun, rowsAt: (i: number) => CompareRow[]): void {
  const pa = findProfile(a.kernel)!;
  const pb = findProfile(b.kernel)!;
  const diff = switchDiff(pa, pb);
  const differing: { i: number; row: CompareRow }[] = [];
  a.results.forEach((_, i) => {
    for (const row of rowsAt(i)) if (row.values[a.kernel] !== row.values[b.kernel]) differing.push({ i, row });
  });
  if (differing.length === 0 || diff.length === 0) return;
  const flipped = new Map<SwitchKey, FactRun | null>();
  for (const key of diff) {
    try {
      flipped.set(key, factRun(sc, a.kernel, { ...pa, [key]: pb[key] }));
    } catch {
      flipped.set(key, null); // a combination the model cannot build: no verdict from it
    }
  }
  for (const { i, row } of differing) {
    const va = row.values[a.kernel];
    const vb = row.values[b.kernel];
    const valueIn = (run: FactRun | null | undefined) => (run && run.results[i] ? run.results[i]!.f.get(row.what) ?? '-' : undefined);
    let keys = diff.filter((k) => valueIn(flipped.get(k)) === vb);
    let how = 'because of';
    if (keys.length === 0) {
      keys = diff.filter((k) => { const v = valueIn(flipped.get(k)); return v !== undefined && v !== va; });
      how = 'together with other switches:';
    }
    const text = keys.length ? `${a.kernel} -> ${b.kernel} ${how} ${keys.map((k) => describeSwitch(k, pa, pb)).join('; ')}` : `${a.kernel} -> ${b.kernel}: no single switch explains it (${diff.length} differ)`;
    (row.why ??= []).push(text);
  }
}

export function compare(sc: Scenario, kernels: string[], opts: { all?: boolean } = {}): Comparison {
  const out: Comparison = { scenario: sc.file, kernels, invalid: {}, steps: [], expectations: [], passed: true };
  const runs: FactRun[] = [];
  for (const kernel of kernels) {
    const why = invalidUnder(sc, kernel);
    if (why) {
      out.invalid[kernel] = why;
      continue;
    }
    runs.push(factRun(sc, kernel));
  }
  if (runs.length === 0) return out;
  for (const run of runs) {
    for (const e of run.expectFailures) out.expectations.push({ kernel: run.kernel, step: e.step, failed: e.failed });
  }
  out.passed = out.expectations.length === 0;
  const nSteps = runs[0]!.results.length;
  for (let i = 0; i < nSteps; i++) {
    const labels: string[] = [];
    for (const run of runs) for (const key of run.results[i]!.f.keys()) if (!labels.includes(key)) labels.push(key);
    const rows: CompareRow[] = [];
    for (const what of labels) {
      if (NOISE.has(what) && !opts.all) continue;
      const values: Record<string, string> = {};
      for (const run of runs) values[run.kernel] = run.results[i]!.f.get(what) ?? '-';
      const distinct = new Set(Object.values(values));
      if (opts.all || distinct.size > 1 || what === 'result') rows.push({ what, values });
    }
    const first = runs[0]!.results[i]!.r;
    out.steps.push({ index: first.index, step: first.label, rows, identical: rows.every((r) => new Set(Object.values(r.values)).size === 1) });
  }
  for (let j = 0; j + 1 < runs.length; j++) attribute(sc, runs[j]!, runs[j + 1]!, (i) => out.steps[i]!.rows);
  return out;
}

function wrap(s: string, w: number): string[] {
  if (s.length <= w) return [s];
  const out: string[] = [];
  let cur = '';
  // a word longer than the width is cut at the width
  const words = s.split(' ').flatMap((word) => (word.length <= w ? [word] : word.match(new RegExp(`.{1,${w}}`, 'g'))!));
  for (const word of words) {
    if ((cur + ' ' + word).trim().length > w && cur) {
      out.push(cur);
      cur = word;
    } else cur = (cur + ' ' + word).trim();
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The comparison as text. Each step's table holds as many profile columns as fit in `width`
 * (100 by default; Infinity for one wide table): more profiles continue in another block.
 */
export function renderComparison(c: Comparison, opts: { width?: number } = {}): string {
  const out: string[] = [];
  const ks = c.kernels.filter((k) => !(k in c.invalid));
  out.push(`vmemlab compare: ${c.scenario} under ${c.kernels.join(', ')}`);
  for (const [k, why] of Object.entries(c.invalid)) out.push(`  ${k}: not run - ${why}`);
  const width = opts.width ?? 100;
  for (const st of c.steps) {
    out.push('');
    out.push(`step ${st.index}: ${st.step}${st.identical ? '   (identical under all kernels)' : ''}`);
    if (st.identical) continue;
    const labelW = Math.min(36, Math.max(12, ...st.rows.map((r) => r.what.length)));
    // a column is as wide as its profile's longest cell, at most 26
    const colW = (k: string) => Math.min(26, Math.max(k.length, ...st.rows.map((r) => (r.values[k] ?? '-').length)) + 2);
    const blocks: string[][] = [];
    for (const k of ks) {
      const last = blocks[blocks.length - 1];
      const used = last ? 2 + labelW + 2 + last.reduce((a, x) => a + colW(x), 0) : Infinity;
      if (last && used + colW(k) <= width) last.push(k);
      else blocks.push([k]);
    }
    for (const [bi, block] of blocks.entries()) {
      if (bi > 0) out.push('');
      out.push('  ' + ''.padEnd(labelW) + '  ' + block.map((k) => k.padEnd(colW(k))).join('').trimEnd());
      for (const r of st.rows) {
        const cells = block.map((k) => wrap(r.values[k] ?? '-', colW(k) - 2));
        const label = wrap(r.what, labelW);
        const h = Math.max(label.length, ...cells.map((x) => x.length));
        for (let line = 0; line < h; line++) {
          out.push('  ' + (label[line] ?? '').padEnd(labelW) + '  ' + cells.map((x, i) => (x[line] ?? '').padEnd(colW(block[i]!))).join('').trimEnd());
        }
      }
    }
    // each reason once per step, with the rows it explains
    const reasons = new Map<string, string[]>();
    for (const r of st.rows) for (const w of r.why ?? []) reasons.set(w, [...(reasons.get(w) ?? []), r.what]);
    for (const [w, rows] of reasons) {
      for (const [n, l] of wrap(`${w} [${rows.join(', ')}]`, Math.min(width, 200) - 8).entries()) out.push(`  ${n === 0 ? 'why: ' : '     '}${l}`);
    }
  }
  out.push('');
  if (c.expectations.length === 0) out.push(`expect steps: all pass under ${ks.join(', ')}`);
  for (const e of c.expectations) {
    for (const [n, l] of wrap(`expect step ${e.step} FAILED under ${e.kernel}: ${e.failed.join('; ')}`, Math.min(width, 200) - 4).entries()) out.push(n === 0 ? l : `    ${l}`);
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------
// The matrix: where does the memmap of device memory end up?

export interface MatrixConfig {
  label: string;
  arch: ArchName;
  config: Record<string, unknown>;
  base: number;
  page: number;
}

export const MATRIX_CONFIGS: MatrixConfig[] = [
  { label: 'x86_64 4-level', arch: 'x86_64', config: { levels: 4 }, base: 0, page: 4096 },
  { label: 'x86_64 no PSE', arch: 'x86_64', config: { levels: 4, pse: false }, base: 0, page: 4096 },
  { label: 'arm64 4K/48', arch: 'arm64', config: { pageSize: '4K', vaBits: 48 }, base: 2 ** 30, page: 4096 },
  { label: 'arm64 16K/47', arch: 'arm64', config: { pageSize: '16K', vaBits: 47 }, base: 2 ** 30, page: 16384 },
  { label: 'arm64 64K/48', arch: 'arm64', config: { pageSize: '64K', vaBits: 48 }, base: 2 ** 30, page: 65536 },
  { label: 'riscv64 sv39', arch: 'riscv64', config: { mode: 'sv39' }, base: 2 ** 31, page: 4096 },
  { label: 'riscv64 sv57', arch: 'riscv64', config: { mode: 'sv57' }, base: 2 ** 31, page: 4096 },
  { label: 'loongarch64 4K/4', arch: 'loongarch64', config: { pageSize: '4K', levels: 4 }, base: 0, page: 4096 },
  { label: 'loongarch64 16K/3', arch: 'loongarch64', config: { pageSize: '16K', levels: 3 }, base: 0, page: 16384 },
  { label: 'loongarch64 64K/3', arch: 'loongarch64', config: { pageSize: '64K', levels: 3 }, base: 0, page: 65536 },
  { label: 'ia64 16K/3', arch: 'ia64', config: { pageSize: '16K', levels: 3 }, base: 0, page: 16384 },
  { label: 'powerpc64 radix 64K', arch: 'powerpc64', config: { mmu: 'radix', pageSize: '64K' }, base: 0, page: 65536 },
  { label: 'powerpc64 radix 4K', arch: 'powerpc64', config: { mmu: 'radix', pageSize: '4K' }, base: 0, page: 4096 },
  { label: 'powerpc64 hash 64K', arch: 'powerpc64', config: { mmu: 'hash', pageSize: '64K' }, base: 0, page: 65536 },
  { label: 'powerpc64 hash 4K', arch: 'powerpc64', config: { mmu: 'hash', pageSize: '4K' }, base: 0, page: 4096 },
  { label: 's390x EDAT-1', arch: 's390x', config: { edat1: true }, base: 0, page: 4096 },
  { label: 's390x no EDAT', arch: 's390x', config: { edat1: false }, base: 0, page: 4096 },
];

/** The standard cases: a 4 GiB namespace (whole sections, default alignment) and a 1040 MiB one (a sub-section tail, --align=PAGE_SIZE). */
export const MATRIX_CASES = [
  { label: '4 GiB', size: '4G', align: null as null | 'page' },
  { label: '1040 MiB', size: '1040M', align: 'page' as const },
];

export function matrixScenarioText(c: MatrixConfig, size: string, align: null | 'page', kernel: string): string {
  const cfg = Object.entries(c.config).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `arch: ${c.arch}
config: { ${cfg} }
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: ${c.base}, size: 4G } ] }
devices:
  - { name: pmem0, type: nvdimm, node: 0, start: 0x1000000000, size: ${size} }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev${align ? `, align: ${c.page}` : ''} }
`;
}

export interface MatrixCell {
  /** 'device' | 'RAM' | 'split' | 'failed ERRNO' | 'n/a: reason' */
  where: string;
  altmapBytes: number;
  ramBytes: number;
  /** Invariant violations: bugs in vmemmap-lab (a kernel's own inconsistencies are findings). */
  broken: string[];
  /** Kernel findings (memmap left unmapped, leaks). */
  findings: string[];
}

/** Run one cell: where the namespace's memmap went. `parse` turns scenario text into a Scenario. */
export function matrixCell(parse: (text: string) => Scenario, c: MatrixConfig, cs: (typeof MATRIX_CASES)[number], kernel: string): MatrixCell {
  const why = invalidUnder({ arch: c.arch, config: c.config as Scenario['config'] }, kernel);
  if (why) return { where: 'n/a', altmapBytes: 0, ramBytes: 0, broken: [], findings: [why] };
  const sc = parse(matrixScenarioText(c, cs.size, cs.align, kernel));
  const m = createMachine(sc);
  const results: StepResult[] = [];
  const boot = runStep(m, sc.steps[0]!, results);
  results.push(boot);
  const before = memmapBacking(m.k);
  const r = runStep(m, sc.steps[1]!, results);
  const after = memmapBacking(m.k);
  const ram = Object.values(after.ram).reduce((a, b) => a + b, 0) - Object.values(before.ram).reduce((a, b) => a + b, 0);
  const alt = Object.values(after.altmap).reduce((a, b) => a + b, 0) - Object.values(before.altmap).reduce((a, b) => a + b, 0);
  const cl = { violations: r.violations, findings: [...(r.oops ? [{ invariant: 'kernel-oops' }] : []), ...r.kernelBugs] };
  let where: string;
  if (r.oops) where = `oops ${r.oops.fn}`;
  else if (!r.ok) {
    const ns = r.messages.find((x) => /Error:/.test(x));
    where = `failed ${r.errno}` + (ns && /support/.test(ns) ? ' (no ZONE_DEVICE)' : '');
  } else where = ram > 0 && alt > 0 ? 'split' : alt > 0 ? 'device' : 'RAM';
  return { where, altmapBytes: alt, ramBytes: ram, broken: cl.violations.map((v) => v.invariant), findings: cl.findings.map((v) => v.invariant) };
}

export interface Matrix {
  kernels: string[];
  rows: { config: string; case: string; cells: Record<string, MatrixCell> }[];
}

export function matrix(parse: (text: string) => Scenario, kernels: string[] = PROFILES.map((p) => p.id)): Matrix {
  const rows: Matrix['rows'] = [];
  for (const c of MATRIX_CONFIGS) {
    for (const cs of MATRIX_CASES) {
      const cells: Record<string, MatrixCell> = {};
      for (const k of kernels) cells[k] = matrixCell(parse, c, cs, k);
      rows.push({ config: c.label, case: cs.label, cells });
    }
  }
  return { kernels, rows };
}

function cellText(x: MatrixCell): string {
  let t = x.where;
  if (x.where === 'split') t += ` (${fmtSize(x.altmapBytes)} dev + ${fmtSize(x.ramBytes)} RAM)`;
  const marks = [...new Set(x.broken)].map((b) => `!${b}`).concat([...new Set(x.findings)].filter((f) => !f.startsWith('config')).map((f) => `*${f}`));
  if (marks.length) t += ' ' + marks.join(' ');
  return t;
}

/**
 * The matrix as text or Markdown. Text fits `width` columns (default 100): cells in short
 * form with a legend, and the kernel columns in as many blocks as needed; `width: Infinity`
 * (vmemlab matrix --wide) gives one table of full cells, as Markdown does.
 */
export function renderMatrix(mx: Matrix, format: 'text' | 'markdown', opts: { width?: number } = {}): string {
  const head = ['config', 'namespace', ...mx.kernels];
  const width = opts.width ?? 100;
  if (format === 'markdown' || width === Infinity) {
    const body = mx.rows.map((r) => [r.config, r.case, ...mx.kernels.map((k) => cellText(r.cells[k]!))]);
    if (format === 'markdown') return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
    return table([head, ...body]).join('\n') + '\n';
  }
  // short cells: "failed ENOMEM" -> "ENOMEM", a parenthesised note -> a numbered note, the
  // split's sizes -> a list under the table, invariants -> one letter each
  const notes: string[] = [];
  const splits: string[] = [];
  const letters: Record<string, string> = {};
  const letter = (inv: string) => (letters[inv] ??= INVARIANT_LETTERS[inv] ?? inv);
  const short = (r: MatrixRow, x: MatrixCell): string => {
    let t = x.where.replace(/^failed /, '');
    const note = /^(.*?) \((.*)\)$/.exec(t);
    if (note) {
      let i = notes.indexOf(note[2]!);
      if (i < 0) i = notes.push(note[2]!) - 1;
      t = `${note[1]}[${i + 1}]`;
    }
    if (x.where === 'split') {
      const d = `${r.config} ${r.case}: ${fmtSize(x.altmapBytes)} on the device + ${fmtSize(x.ramBytes)} in RAM`;
      if (!splits.includes(d)) splits.push(d);
    }
    if (x.where === 'device') t = 'dev';
    const broken = [...new Set(x.broken)].map(letter).join('');
    // an n/a cell's finding is why the configuration does not exist under that profile
    const found = x.where === 'n/a' ? '' : [...new Set(x.findings)].map(letter).join('');
    return t + (broken ? ` !${broken}` : '') + (found ? ` *${found}` : '');
  };
  const cells = mx.rows.map((r) => mx.kernels.map((k) => short(r, r.cells[k]!)));
  const left = [['config', 'namespace'], ...mx.rows.map((r) => [r.config, r.case])];
  const leftW = Math.max(...left.map((x) => x[0]!.length)) + 2 + Math.max(...left.map((x) => x[1]!.length));
  const colW = mx.kernels.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i]!.length)));
  const out: string[] = [];
  for (let i = 0; i < mx.kernels.length;) {
    let j = i;
    let w = leftW;
    do w += 2 + colW[j++]!;
    while (j < mx.kernels.length && w + 2 + colW[j]! <= width);
    if (out.length) out.push('');
    out.push(...table([[...left[0]!, ...mx.kernels.slice(i, j)], ...mx.rows.map((r, n) => [r.config, r.case, ...cells[n]!.slice(i, j)])]));
    i = j;
  }
  const legend = ['dev = the memmap is on the device (its vmem_altmap); RAM = in system RAM; split = both; ERRNO = the namespace fails.'];
  notes.forEach((n, i) => legend.push(`[${i + 1}] ${n}`));
  for (const d of splits) legend.push(`split in ${d}`);
  const used = Object.entries(letters);
  if (used.length) legend.push(`!x = an invariant violation (a bug in vmemmap-lab), *x = a predicted kernel bug: ${used.map(([inv, l]) => `${l} ${inv}`).join(', ')}.`);
  legend.push('vmemlab matrix --wide: one table with the full cells.');
  out.push('');
  for (const l of legend) out.push(...wrapLegend(l, width));
  return out.join('\n') + '\n';
}

type MatrixRow = Matrix['rows'][number];

const INVARIANT_LETTERS: Record<string, string> = {
  'memmap-coverage': 'c', 'altmap-accounting': 'a', 'tables-from-ram': 't', 'ram-accounting': 'r', counters: 'n', 'kernel-anomaly': 'k', 'kernel-oops': 'o',
};

/** Words of `text` in lines of at most `width` columns, continuation lines indented. */
function wrapLegend(text: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && cur.length + 1 + word.length > width) {
      out.push(cur);
      cur = '  ' + word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out;
}

/** Columns padded to their widest cell, two spaces apart. */
function table(rows: string[][]): string[] {
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
}

/** The matrix for a user's scenario: each step (after boot) under every profile. */
export function matrixForScenario(sc: Scenario, kernels: string[] = PROFILES.map((p) => p.id)): Matrix {
  const rows: Matrix['rows'] = [];
  const perKernel: Record<string, MatrixCell[]> = {};
  for (const k of kernels) {
    const why = invalidUnder(sc, k);
    const steps = sc.steps.filter((s) => s.kind !== 'boot' && s.kind !== 'expect');
    if (why) {
      perKernel[k] = steps.map(() => ({ where: 'n/a', altmapBytes: 0, ramBytes: 0, broken: [], findings: [why] }));
      continue;
    }
    const m = createMachine({ ...sc, kernel: k });
    const results: StepResult[] = [];
    results.push(runStep(m, sc.steps[0]?.kind === 'boot' ? sc.steps[0] : { kind: 'boot', args: {}, index: 0, line: 0 }, results));
    perKernel[k] = [];
    for (const st of steps) {
      const before = memmapBacking(m.k);
      const r = runStep(m, st, results);
      results.push(r);
      const after = memmapBacking(m.k);
      const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
      const ram = sum(after.ram) - sum(before.ram);
      const alt = sum(after.altmap) - sum(before.altmap);
      const cl = { violations: r.violations, findings: [...(r.oops ? [{ invariant: 'kernel-oops' }] : []), ...r.kernelBugs] };
      const where = r.oops ? `oops ${r.oops.fn}` : r.notRun ? 'not run' : !r.ok ? `failed ${r.errno}` : ram === 0 && alt === 0 ? (ram < 0 || alt < 0 ? 'freed' : 'no change') : ram > 0 && alt > 0 ? 'split' : alt > 0 ? 'device' : ram > 0 ? 'RAM' : 'freed';
      perKernel[k]!.push({ where, altmapBytes: alt, ramBytes: ram, broken: cl.violations.map((v) => v.invariant), findings: cl.findings.map((v) => v.invariant) });
    }
  }
  const steps = sc.steps.filter((s) => s.kind !== 'boot' && s.kind !== 'expect');
  steps.forEach((st, i) => {
    const cells: Record<string, MatrixCell> = {};
    for (const k of kernels) cells[k] = perKernel[k]![i]!;
    rows.push({ config: sc.arch + ' ' + Object.values(sc.config).join('/'), case: `step ${st.index} ${st.kind}`, cells });
  });
  return { kernels, rows };
}
