/**
 * Scenario loading: UTF-8 check, YAML/JSON parsing with positions, schema validation (zod),
 * sizes, and the cross-field rules. Every problem is a ScenarioError that names
 * file:line:column, the path in the scenario and the rule broken.
 */
import { isCollection, isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { ArchConfigError, resolveArch, type ArchOptionsInput } from '../arch/index.js';
import type { ArchName } from '../arch/types.js';
import { DEFAULT_KERNEL, findProfile, PROFILES } from '../kernels/index.js';
import { parseSize, SizeError } from '../util/units.js';
import { ScenarioSchema, STEP_KINDS, STEP_SCHEMAS, type StepKind } from './schema.js';

export class ScenarioError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, readonly where: string, readonly rule: string) {
    super(`${file}:${line}:${col}: ${where ? where + ': ' : ''}${rule}`);
    this.name = 'ScenarioError';
  }
}

export interface MemRange {
  start: number;
  size: number;
}

export interface ScenarioStep {
  kind: StepKind;
  args: Record<string, unknown>;
  /** 1-based index in `steps`. */
  index: number;
  line: number;
}

export interface Scenario {
  file: string;
  description: string;
  arch: ArchName;
  config: ArchOptionsInput;
  kernel: string;
  cmdline: string;
  nodes: { id: number; memory: MemRange[]; used: number }[];
  /** node_distance() indexed by node id (size: highest id + 1). */
  distances: number[][];
  devices: { name: string; type: 'nvdimm' | 'hmem' | 'cxl'; node: number; start: number; size: number; labels: boolean }[];
  /** Fault injection. */
  faults: { kind: 'memblock' | 'buddy' | 'altmap'; nth: number }[];
  /** memblock.reserved at sparse_init(); null = the arch default (see defaultReserved). */
  reserved: MemRange[] | null;
  steps: ScenarioStep[];
}

const MAX_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 32;

type Path = (string | number)[];

function levenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** "did you mean" for a misspelt key or value. */
export function didYouMean(word: string, options: readonly string[]): string {
  let best = '';
  let bestD = Infinity;
  const lcp = (a: string, b: string) => { let i = 0; while (i < a.length && i < b.length && a[i] === b[i]) i++; return i; };
  for (const o of options) {
    const dd = levenshtein(word.toLowerCase(), o.toLowerCase());
    // ties: the longer common prefix, then the closer length
    const better = dd < bestD || (dd === bestD && (lcp(o, word) > lcp(best, word) ||
      (lcp(o, word) === lcp(best, word) && Math.abs(o.length - word.length) < Math.abs(best.length - word.length))));
    if (better) { bestD = dd; best = o; }
  }
  const prefix = options.find((o) => o.toLowerCase().startsWith(word.toLowerCase()) && word.length >= 2);
  if (prefix) return ` (did you mean "${prefix}"?)`;
  return best && bestD <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

export function pathString(p: Path): string {
  let s = '';
  for (const x of p) s += typeof x === 'number' ? `[${x}]` : s ? `.${x}` : x;
  return s;
}

export class Locator {
  /**
   * doc and lc are null for a scenario given as an object (positions are then 0:0);
   * stepLines: the line of each step when the text was read in chunks (parseChunked).
   */
  constructor(readonly file: string, readonly doc: Document | null, readonly lc: LineCounter | null, readonly stepLines: number[] | null = null) {}

  pos(offset: number): { line: number; col: number } {
    const p = this.lc!.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Position of the node at `path`, or of its nearest existing ancestor; `key` picks a map key. */
  at(path: Path, key?: string): { line: number; col: number } {
    if (this.stepLines && path.length === 2 && path[0] === 'steps' && typeof path[1] === 'number') return { line: this.stepLines[path[1]] ?? 0, col: 0 };
    if (!this.doc) return { line: 0, col: 0 };
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (!node || typeof node !== 'object') continue;
      if (key !== undefined && n === path.length && isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
        if (pair && isScalar(pair.key) && pair.key.range) return this.pos(pair.key.range[0]);
      }
      const r = (node as { range?: [number, number, number] }).range;
      if (r) return this.pos(r[0]);
    }
    return { line: 1, col: 1 };
  }

  fail(path: Path, rule: string, key?: string): never {
    const { line, col } = this.at(path, key);
    throw new ScenarioError(this.file, line, col, pathString(key !== undefined ? [...path, key] : path), rule);
  }
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a map' : typeof v === 'string' ? `"${v}"` : String(v);
}

function zodRule(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'object' ? 'a map' : issue.expected === 'array' ? 'a list' : issue.expected}, got ${describeType(input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${describeType(input)}` +
        (typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '');
    case 'too_small':
      return issue.origin === 'array' ? `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}` : `must be >= ${String(issue.minimum)}`;
    case 'too_big':
      return `must be <= ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function valueAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function depth(v: unknown, d = 0): number {
  if (d > MAX_DEPTH) return d;
  if (v && typeof v === 'object') {
    let m = d;
    for (const x of Object.values(v)) m = Math.max(m, depth(x, d + 1));
    return m;
  }
  return d;
}

/**
 * One YAML document with its line counter; a syntax error (duplicate keys included) is a
 * ScenarioError at the error's own line and column. Scenario and profile files share it.
 */
export function parseYaml(file: string, text: string): { doc: Document; lc: LineCounter } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ScenarioError(file, p.line, p.col, '', `YAML syntax: ${msg}`);
  }
  return { doc, lc };
}

/** Parse and validate a scenario from bytes (YAML or JSON; JSON is parsed as YAML 1.2). */
export function parseScenario(file: string, bytes: Uint8Array | string, opts: { chunked?: boolean } = {}): Scenario {
  if (typeof bytes !== 'string' && bytes.length > MAX_BYTES) throw new ScenarioError(file, 1, 1, '', `file is larger than ${MAX_BYTES / 1024 / 1024} MiB`);
  let text: string;
  if (typeof bytes === 'string') text = bytes;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      let i = 0;
      const dec = new TextDecoder('utf-8', { fatal: true });
      // find the first bad byte for the position
      for (let n = 1; n <= bytes.length; n++) {
        try { dec.decode(bytes.subarray(0, n)); i = n; } catch { if (n - i > 4) break; }
      }
      const before = new TextDecoder().decode(bytes.subarray(0, i));
      const line = before.split('\n').length;
      const col = before.length - before.lastIndexOf('\n');
      throw new ScenarioError(file, line, col, '', 'file is not valid UTF-8');
    }
  }
  if (text.length > MAX_BYTES) throw new ScenarioError(file, 1, 1, '', `file is larger than ${MAX_BYTES / 1024 / 1024} MiB`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length > CHUNKED_FROM && opts.chunked !== false) {
    const sc = parseChunked(file, text);
    if (sc) return sc;
  }
  const { doc, lc } = parseYaml(file, text);
  // a map key must be a plain value: the yaml library would stringify a collection key (and
  // warn on stderr); the scenario format has none
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        const p = lc.linePos(pair.key.range?.[0] ?? 0);
        throw new ScenarioError(file, p.line, p.col, '', 'a map key must be a plain value, not a map or a list');
      }
    },
  });
  const L = new Locator(file, doc, lc);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    L.fail([], `cannot be read: ${(e as Error).message}`);
  }
  return validate(L, raw);
}

/** Texts longer than this have their steps read in chunks (see parseChunked). */
const CHUNKED_FROM = 256 * 1024;
const CHUNK_STEPS = 2000;

/**
 * A long scenario's steps read a few thousand at a time: the YAML library's syntax tree of a
 * whole 8 MiB file holds about a gigabyte at its peak, a chunk's is freed before the next.
 * Used only for a plain layout (one top-level `steps:` block sequence, no anchors, aliases,
 * document markers or tabs) and only when everything is valid: on any doubt or error it
 * returns null and parseScenario reads the whole text as one document, so every error
 * message and position is exactly the one-document one.
 */
export function parseChunked(file: string, text: string): Scenario | null {
  if (/[&*\t]|^(---|\.\.\.)/m.test(text)) return null;
  const lines = text.split('\n');
  const stepsAt = lines.findIndex((l) => /^steps:\s*(#.*)?$/.test(l));
  if (stepsAt < 0 || lines.findIndex((l, i) => i > stepsAt && /^steps\s*:/.test(l)) >= 0) return null;
  // the items of the block sequence: lines at the first item's indent that start with "- "
  let first = stepsAt + 1;
  while (first < lines.length && /^\s*(#.*)?$/.test(lines[first]!)) first++;
  const m = /^( *)- /.exec(lines[first] ?? '');
  if (!m) return null;
  const indent = m[1]!.length;
  const itemStart = new RegExp(`^ {${indent}}- `);
  const itemLine = new RegExp(`^ {${indent}}- \\S`); // the item begins on its dash's line (that line is the step's)
  const starts: number[] = [];
  let end = first;
  for (; end < lines.length; end++) {
    const l = lines[end]!;
    if (itemStart.test(l)) {
      if (!itemLine.test(l)) return null;
      starts.push(end);
    }
    else if (/^\s*(#.*)?$/.test(l)) continue;
    else if (l.length - l.trimStart().length <= indent) break; // a line at the items' indent or less ends the sequence
  }
  if (starts.length < CHUNK_STEPS) return null;
  try {
    // everything but the steps, the steps' lines blanked so that line numbers stay
    const head = [...lines.slice(0, stepsAt + 1), ...lines.slice(stepsAt + 1, end).map(() => ''), ...lines.slice(end)].join('\n');
    const read = (t: string): unknown => {
      const doc = parseDocument(t, { prettyErrors: false, uniqueKeys: true });
      if (doc.errors.length || doc.warnings.length) throw new Error('fall back');
      visit(doc, { Pair(_, pair) { if (isCollection(pair.key)) throw new Error('fall back'); } });
      return doc.toJS({ maxAliasCount: 100 });
    };
    const raw = read(head) as Record<string, unknown> | null;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || raw.steps !== null) return null;
    const steps: unknown[] = [];
    for (let c = 0; c < starts.length; c += CHUNK_STEPS) {
      const to = c + CHUNK_STEPS < starts.length ? starts[c + CHUNK_STEPS]! : end;
      const part = read(lines.slice(starts[c]!, to).join('\n') + '\n');
      if (!Array.isArray(part) || part.length !== Math.min(CHUNK_STEPS, starts.length - c)) return null;
      for (const x of part) steps.push(x);
    }
    raw.steps = steps;
    return validate(new Locator(file, null, null, starts.map((l) => l + 1)), raw);
  } catch {
    return null;
  }
}

/**
 * Validate a scenario given as an object (what YAML or JSON text parses to), without text:
 * the fuzzer's path. Errors are ScenarioErrors at position 0:0 naming the path and the rule.
 */
/**
 * A scenario from an object (JSON-like data). `complete`: the object already satisfies the
 * schema with every defaulted key written out (the fuzzer's generator, which
 * test/fuzz-complete.test.ts holds to that), so the schema pass, which would return it unchanged,
 * is skipped; the semantic checks (sizes, overlaps, references between steps) still run.
 */
export function scenarioFromObject(file: string, raw: unknown, opts: { complete?: boolean } = {}): Scenario {
  return validate(new Locator(file, null, null), raw, opts.complete === true);
}

function validate(L: Locator, raw: unknown, complete = false): Scenario {
  if (raw === null || raw === undefined) L.fail([], 'the scenario is empty (expected a map with arch, nodes and steps)');
  if (typeof raw !== 'object' || Array.isArray(raw)) L.fail([], `expected a map with arch, nodes and steps, got ${describeType(raw)}`);
  if (!complete && depth(raw) > MAX_DEPTH) L.fail([], `nested more than ${MAX_DEPTH} levels deep`);

  // Steps are validated one by one so that errors name the step kind.
  const rawSteps = (raw as Record<string, unknown>).steps;
  const top = complete
    ? { success: true as const, data: { ...(raw as z.output<typeof ScenarioSchema>), steps: [] } }
    : ScenarioSchema.safeParse({ ...(raw as object), steps: [] });
  if (!top.success) reportZod(L, top.error.issues, raw, []);
  const data = top.data!;
  const steps: ScenarioStep[] = [];
  if (rawSteps !== undefined) {
    if (!Array.isArray(rawSteps)) L.fail(['steps'], `expected a list, got ${describeType(rawSteps)}`);
    (rawSteps as unknown[]).forEach((st, i) => {
      const path: Path = ['steps', i];
      const line = L.at(path).line;
      if (st === 'boot') { steps.push({ kind: 'boot', args: {}, index: i + 1, line }); return; }
      if (typeof st === 'string') L.fail(path, `unknown step "${st}"${didYouMean(st, STEP_KINDS)}; steps are ${STEP_KINDS.join(', ')}`);
      if (!st || typeof st !== 'object' || Array.isArray(st)) L.fail(path, `expected "boot" or a map with one step kind, got ${describeType(st)}`);
      const keys = Object.keys(st as object);
      if (keys.length !== 1) L.fail(path, `a step has exactly one kind (${STEP_KINDS.join(', ')}), got ${keys.length === 0 ? 'none' : keys.join(' and ')}`);
      const kind = keys[0]!;
      if (!(STEP_KINDS as string[]).includes(kind)) L.fail(path, `unknown step kind "${kind}"${didYouMean(kind, STEP_KINDS)}`, kind);
      const inner = (st as Record<string, unknown>)[kind] ?? {};
      const r = complete ? { success: true as const, data: { ...(inner as object) } } : STEP_SCHEMAS[kind as StepKind].safeParse(inner);
      if (!r.success) reportZod(L, r.error.issues, inner, [...path, kind]);
      steps.push({ kind: kind as StepKind, args: r.data as Record<string, unknown>, index: i + 1, line });
    });
  }
  if (steps.length === 0) steps.push({ kind: 'boot', args: {}, index: 1, line: 1 });
  return check(L, data, steps);
}

function reportZod(L: Locator, issues: z.core.$ZodIssue[], input: unknown, base: Path): never {
  // a misspelt key explains a missing one: report unknown keys first
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  const path: Path = [...base, ...(issue.path as Path)];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const parent = valueAt(input, issue.path as Path);
    const allowed = knownKeys(path);
    void parent;
    L.fail(path, `unknown key "${key}"${didYouMean(key, allowed)}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`, key);
  }
  const value = valueAt(input, issue.path as Path);
  if (value === undefined && issue.path.length > 0) {
    const key = String(issue.path[issue.path.length - 1]);
    L.fail(path.slice(0, -1), `missing required key "${key}"`);
  }
  L.fail(path, zodRule(issue, value));
}

/** Allowed keys of the map at a scenario path (for messages). */
function knownKeys(path: Path): string[] {
  const shape = (s: unknown): string[] => {
    const def = (s as { def?: { shape?: Record<string, unknown>; innerType?: unknown } })?.def;
    if (def?.shape) return Object.keys(def.shape);
    if (def?.innerType) return shape(def.innerType);
    return [];
  };
  const names = path.filter((p) => typeof p === 'string') as string[];
  if (names.length === 0) return shape(ScenarioSchema);
  if (names[0] === 'steps' && names[1] && names[1] in STEP_SCHEMAS) {
    let s: unknown = STEP_SCHEMAS[names[1] as StepKind];
    for (const n of names.slice(2)) s = (s as { def: { shape: Record<string, unknown> } }).def.shape?.[n];
    return shape(s);
  }
  let s: unknown = ScenarioSchema;
  for (const n of names) {
    let d = (s as { def?: { shape?: Record<string, unknown>; innerType?: unknown; element?: unknown } }).def;
    while (d && !d.shape && d.innerType) d = (d.innerType as { def?: typeof d }).def;
    s = d?.shape?.[n];
    let e = (s as { def?: { element?: unknown; innerType?: unknown } })?.def;
    while (e && !e.element && e.innerType) { s = e.innerType; e = (s as { def?: typeof e }).def; }
    if (e?.element) s = e.element;
  }
  return shape(s);
}

type SizeRules = { nonzero?: boolean; maxBits?: number; align?: number; addr?: boolean };
const NONZERO: SizeRules = { nonzero: true };
const JS_SAFE: SizeRules = { maxBits: 53 };
const ANY: SizeRules = {};

/** The size at `base`.`key` (named `key` in messages), checked against `opts`; the path is built only to report. */
function size(L: Locator, base: Path, key: string, v: unknown, opts: SizeRules = ANY): number {
  let n: number;
  // YAML reads 0x... as a number; use the source text so values beyond 2^53 are reported exactly
  const node = L.doc?.getIn([...base, key], true) as { source?: unknown } | undefined;
  if (typeof v === 'number' && node && typeof node.source === 'string') v = node.source;
  try {
    n = parseSize(v);
  } catch (e) {
    if (e instanceof SizeError) L.fail([...base, key], e.message);
    throw e;
  }
  if (opts.nonzero && n === 0) L.fail([...base, key], `${key} must not be zero`);
  if (opts.maxBits !== undefined && (opts.addr ? n >= 2 ** opts.maxBits : n > 2 ** opts.maxBits)) L.fail([...base, key], `${key} 0x${n.toString(16)} is above the arch's physical address limit (MAX_PHYSMEM_BITS = ${opts.maxBits})`);
  if (opts.align && n % opts.align !== 0) L.fail([...base, key], `${key} must be a multiple of the page size (${opts.align} bytes)`);
  return n;
}

function check(L: Locator, d: z.output<typeof ScenarioSchema>, steps: ScenarioStep[]): Scenario {
  if (typeof d.kernel === 'number') L.fail(['kernel'], `write the profile id as text, e.g. kernel: v${d.kernel} (a bare ${d.kernel} is a number: 6.10 would read as 6.1)`);
  let kernel = (d.kernel as string | undefined) ?? DEFAULT_KERNEL;
  if (!findProfile(kernel) && findProfile('v' + kernel)) kernel = 'v' + kernel;
  const profile = findProfile(kernel);
  if (!profile) L.fail(['kernel'], `unknown kernel profile "${kernel}"${didYouMean(kernel, PROFILES.map((p) => p.id))}; \`vmemlab kernels\` lists them`);
  let arch;
  try {
    arch = resolveArch(d.arch, d.config, profile!);
  } catch (e) {
    if (e instanceof ArchConfigError) {
      if (e.key === 'arch') L.fail(['arch'], e.message);
      L.fail(['config'], e.message, e.key);
    }
    throw e;
  }
  const bits = arch.cfg.MAX_PHYSMEM_BITS;
  const P = arch.cfg.PAGE_SIZE;
  const addrRules: SizeRules = { maxBits: bits, align: P, addr: true };
  const sizeRules: SizeRules = { nonzero: true, maxBits: bits, align: P };
  const ids = new Set<number>();
  const ram: { start: number; end: number; path: Path }[] = [];
  const nodes = d.nodes.map((n, i) => {
    if (ids.has(n.id)) L.fail(['nodes', i, 'id'], `node ${n.id} is listed twice`);
    // s390x has one node: numa_setup() makes only node 0 possible and online and gives it all of
    // memory (arch/s390/kernel/numa.c, v5.9+; arch/s390/numa/numa.c v5.7..v5.8; v5.6's
    // arch/s390/numa/ did the same unless booted with numa=emu, whose striped nodes are not
    // modelled)
    if (d.arch === 's390x' && (i > 0 || n.id !== 0)) L.fail(['nodes', i, 'id'], `s390x has one NUMA node, node 0: numa_setup() puts all memory on it (numa=emu on v5.6 is not modelled)`);
    ids.add(n.id);
    const memory = n.memory.map((m, j) => {
      const path: Path = ['nodes', i, 'memory', j];
      const start = size(L, path, 'start', m.start, addrRules);
      const sz = size(L, path, 'size', m.size, sizeRules);
      if (start + sz > 2 ** bits) L.fail([...path, 'size'], `range ends above the arch's physical address limit (MAX_PHYSMEM_BITS = ${bits})`);
      for (const r of ram) if (start < r.end && r.start < start + sz) L.fail(path, `overlaps ${pathString(r.path)}: boot memory ranges must not overlap`);
      ram.push({ start, end: start + sz, path });
      return { start, size: sz };
    });
    const used = n.used === undefined ? 0 : size(L, ['nodes', i], 'used', n.used);
    return { id: n.id, memory, used };
  });
  if (ram.length === 0) L.fail(['nodes'], 'no boot memory: at least one node needs a memory range');
  const unmodelled = arch.policy.unmodelledBoot?.(Math.max(...ram.map((r) => r.end)));
  if (unmodelled) L.fail(['nodes'], unmodelled);
  const maxId = Math.max(...ids);
  const distances: number[][] = Array.from({ length: maxId + 1 }, (_, i) => Array.from({ length: maxId + 1 }, (_, j) => (i === j ? 10 : 20)));
  if (d.distances) {
    const m = d.distances;
    if (m.length !== nodes.length) L.fail(['distances'], `needs ${nodes.length} rows (one per node, in the order of nodes), got ${m.length}`);
    m.forEach((row, i) => {
      if (row.length !== nodes.length) L.fail(['distances', i], `needs ${nodes.length} columns, got ${row.length}`);
      row.forEach((v, j) => {
        if (i === j && v !== 10) L.fail(['distances', i, j], `a node's distance to itself must be 10 (LOCAL_DISTANCE), not ${v}`);
        if (i !== j && (v <= 10 || v > 255)) L.fail(['distances', i, j], `distance between different nodes must be 11..255 (numa_set_distance), not ${v}`);
        distances[nodes[i]!.id]![nodes[j]!.id] = v;
      });
    });
  }
  const names = new Set<string>();
  const devs: { start: number; end: number; path: Path }[] = [];
  const devices = d.devices.map((dv, i) => {
    const path: Path = ['devices', i];
    if (names.has(dv.name)) L.fail([...path, 'name'], `device "${dv.name}" is listed twice`);
    names.add(dv.name);
    if (!ids.has(dv.node)) L.fail([...path, 'node'], `node ${dv.node} does not exist (nodes: ${[...ids].join(', ')})`);
    // An NVDIMM is what the firmware (ACPI NFIT) describes, wherever the CPU can address it: the
    // kernel registers the region even above MAX_PHYSMEM_BITS, and refuses only to map it
    // (memremap_pages() -> mhp_range_allowed(): "Hotplug memory [...] exceeds maximum
    // addressable range", -EINVAL; recorded on Debian 6.12.117 x86 4-level, an NVDIMM at
    // 128 TiB). So nvdimm devices may lie up to the 52-bit architectural limit of x86-64 and
    // arm64 physical addresses; other devices (hmem, cxl: memory the kernel adds) keep the
    // kernel's limit.
    const dbits = dv.type === 'nvdimm' ? Math.max(bits, 52) : bits;
    const start = size(L, path, 'start', dv.start, dv.type === 'nvdimm' ? { maxBits: dbits, align: P, addr: true } : addrRules);
    const sz = size(L, path, 'size', dv.size, dv.type === 'nvdimm' ? { nonzero: true, maxBits: dbits, align: P } : sizeRules);
    if (start + sz > 2 ** dbits) L.fail([...path, 'size'], `device ends above the arch's physical address limit (MAX_PHYSMEM_BITS = ${dbits})`);
    for (const r of devs) if (start < r.end && r.start < start + sz) L.fail(path, `overlaps ${pathString(r.path)}: devices must not overlap each other`);
    devs.push({ start, end: start + sz, path });
    if (dv.type !== 'nvdimm' && dv.labels !== undefined) L.fail([...path, 'labels'], `labels apply to nvdimm devices only (this is ${dv.type})`);
    // an arch without EFI soft-reserved memory or CXL regions (src/arch lacks.softReserved, .cxl)
    const none = dv.type === 'hmem' ? arch.cfg.lacks.softReserved : dv.type === 'cxl' ? arch.cfg.lacks.cxl : undefined;
    if (none) L.fail([...path, 'type'], none);
    return { name: dv.name, type: dv.type, node: dv.node, start, size: sz, labels: dv.labels ?? true };
  });
  const reserved = d.reserved === undefined ? null : d.reserved.map((r, i) => ({
    start: size(L, ['reserved', i], 'start', r.start, { maxBits: bits }),
    size: size(L, ['reserved', i], 'size', r.size, { maxBits: bits }),
  }));
  // devices with an earlier create-namespace step (any mode, and devdax), kept as the steps are
  // walked: a scenario of many steps costs linear time
  const created = new Set<unknown>();
  const createdDevdax = new Set<unknown>();
  steps.forEach((st, i) => {
    const path: Path = ['steps', st.index - 1, st.kind];
    const a = st.args;
    if (st.kind === 'boot' && i !== 0) L.fail(['steps', st.index - 1], 'boot can only be the first step (it is implied when absent)');
    if (st.kind === 'destroy-namespace' && names.has(a.device as string)) {
      const di = devices.findIndex((d) => d.name === a.device);
      if (!created.has(a.device)) L.fail(path, `no earlier create-namespace step on device "${String(a.device)}"`);
      if (a.namespace !== undefined && !new RegExp(`^namespace${di}\\.\\d+$`).test(String(a.namespace))) {
        L.fail([...path, 'namespace'], `"${String(a.namespace)}" is not a namespace of ${String(a.device)} (its namespaces are namespace${di}.N)`);
      }
    }
    if (st.kind === 'create-namespace' || st.kind === 'destroy-namespace') {
      const dev = devices.find((d) => d.name === a.device);
      if (dev && dev.type !== 'nvdimm') L.fail([...path, 'device'], `"${dev.name}" is ${dev.type} memory, not an nvdimm: it has no namespaces (use reconfigure-device)`);
    }
    if (st.kind === 'reconfigure-device') {
      const dev = devices.find((d) => d.name === a.device);
      if (!dev) L.fail([...path, 'device'], `no device "${String(a.device)}"${didYouMean(String(a.device), [...names])}${names.size ? `; devices: ${[...names].join(', ')}` : '; the scenario has no devices'}`);
      if (dev.type === 'nvdimm' && !createdDevdax.has(a.device)) {
        L.fail([...path, 'device'], `no earlier devdax create-namespace step on nvdimm "${dev.name}": only a devdax namespace has a dax device to reconfigure`);
      }
      if (dev.type !== 'nvdimm' && a.namespace !== undefined) L.fail([...path, 'namespace'], `${dev.type} devices have no namespaces`);
    }
    if ((st.kind === 'create-namespace' || st.kind === 'destroy-namespace') && !names.has(a.device as string)) {
      L.fail([...path, 'device'], `no device "${String(a.device)}"${didYouMean(String(a.device), [...names])}${names.size ? `; devices: ${[...names].join(', ')}` : '; the scenario has no devices'}`);
    }
    if (st.kind === 'create-namespace') {
      created.add(a.device);
      if (a.mode === 'devdax') createdDevdax.add(a.device);
      if (a.map !== undefined && a.mode === 'raw') L.fail([...path, 'map'], 'map applies to fsdax and devdax namespaces only (ndctl: --map only valid for an devdax mode pmem namespace)');
      if (a.size !== undefined) a.size = size(L, path, 'size', a.size, NONZERO);
      if (a.align !== undefined) a.align = size(L, path, 'align', a.align, NONZERO);
    }
    if (st.kind === 'hugepages') {
      a.size = size(L, path, 'size', a.size, NONZERO);
      if (a.node !== undefined && !ids.has(a.node as number)) L.fail([...path, 'node'], `node ${String(a.node)} does not exist (nodes: ${[...ids].join(', ')})`);
    }
    if (st.kind === 'hot-add' && !ids.has(a.node as number)) L.fail([...path, 'node'], `node ${String(a.node)} does not exist (node_possible_map: ${[...ids].join(', ')})`);
    if (st.kind === 'hot-add' || st.kind === 'hot-remove' || st.kind === 'online' || st.kind === 'offline') {
      a.start = size(L, path, 'start', a.start, JS_SAFE);
      a.size = size(L, path, 'size', a.size, JS_SAFE);
    }
    if (st.kind === 'expect') {
      const target = a.step as number;
      if (target >= st.index) L.fail([...path, 'step'], `expect can only check an earlier step (this is step ${st.index})`);
      if (steps[target - 1]?.kind === 'expect') L.fail([...path, 'step'], `step ${target} is itself an expect`);
    }
  });
  return {
    file: L.file,
    description: d.description ?? '',
    arch: d.arch,
    config: d.config,
    kernel,
    cmdline: d.cmdline,
    nodes,
    distances,
    devices,
    faults: d.faults.map((f) => ({ kind: f.alloc, nth: f.nth })),
    reserved,
    steps,
  };
}
