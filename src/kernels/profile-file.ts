/**
 * Profile files: a release or proposal with some behaviours swapped, written by a user
 * ("v6.18 but with v6.1's memmap_on_memory rules", "v5.9 with the follow-up's fallback flag"):
 *
 *   id: v5.9-fallback
 *   title: v5.9 with the thread's fallback flag, as posted
 *   base: v5.9
 *   switches:
 *     allocBlockBuf: fallback-as-posted
 *
 * Validated like scenarios: every problem is one line naming file:line:column, the key and
 * the values allowed (src/kernels/switches.ts documents each switch and value).
 */
import { LineCounter, parseDocument } from 'yaml';
import { Locator, didYouMean } from '../scenario/parse.js';
import { PROFILES } from './index.js';
import { SWITCHES, SWITCH_KEYS, type SwitchKey } from './switches.js';
import type { KernelProfile } from './types.js';

const KEYS = ['id', 'title', 'base', 'switches', 'description'];

export function parseProfileFile(file: string, text: string, known: readonly KernelProfile[] = PROFILES): KernelProfile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const L: Locator = new Locator(file, doc, lc);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const p = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    L.fail([], `YAML syntax: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')} (line ${p.line})`);
  }
  const raw = doc.toJS() as Record<string, unknown> | null;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) L.fail([], 'a profile file is a map with id, title, base and switches');
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) L.fail([], `unknown key "${k}"${didYouMean(k, KEYS)}; allowed: ${KEYS.join(', ')}`, k);
  for (const k of ['id', 'base'] as const) {
    if (typeof raw[k] !== 'string' || !raw[k]) L.fail(raw[k] === undefined ? [] : [k], raw[k] === undefined ? `missing required key "${k}"` : `${k} must be a non-empty string`);
  }
  const id = raw.id as string;
  if (known.some((p) => p.id === id)) L.fail(['id'], `"${id}" is a built-in profile: give yours another id`);
  const base = known.find((p) => p.id === raw.base);
  if (!base) L.fail(['base'], `unknown base profile "${String(raw.base)}"${didYouMean(String(raw.base), known.map((p) => p.id))}; \`vmemlab kernels\` lists them`);
  const sw = (raw.switches ?? {}) as Record<string, unknown>;
  if (typeof sw !== 'object' || Array.isArray(sw)) L.fail(['switches'], 'switches is a map of switch: value');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sw)) {
    if (!(SWITCH_KEYS as string[]).includes(k)) L.fail(['switches'], `unknown switch "${k}"${didYouMean(k, SWITCH_KEYS)}; \`vmemlab kernels --switches\` lists them`, k);
    const doc0 = SWITCHES[k as SwitchKey];
    const allowed = Object.keys(doc0.values);
    if (!allowed.includes(String(v))) L.fail(['switches', k], `${JSON.stringify(v)} is not a value of ${k}; values: ${allowed.map((x) => JSON.stringify(x)).join(', ')}`);
    // the profile's own type: numbers and booleans as such
    const current = base![k as SwitchKey];
    out[k] = typeof current === 'number' ? Number(v) : typeof current === 'boolean' ? String(v) === 'true' : String(v);
  }
  const title = typeof raw.title === 'string' ? raw.title : `${base!.id} with ${Object.keys(out).join(', ') || 'no change'}`;
  return {
    ...base!,
    ...(out as Partial<KernelProfile>),
    id,
    title,
    kind: 'proposal',
    provenance: `profile file ${file}: ${base!.id}${Object.keys(out).length ? ` with ${Object.entries(out).map(([k, v]) => `${k}=${String(v)}`).join(', ')}` : ''}`,
  };
}
