/**
 * User profiles: a built-in profile with some switches swapped, and (profile modules) policy
 * functions in place of the built-in ones.
 *
 * A profile file (YAML or JSON):
 *
 *   id: v5.9-fallback
 *   title: v5.9 with the thread's fallback flag, as posted
 *   base: v5.9
 *   switches:
 *     allocBlockBuf: fallback-as-posted
 *
 * A profile module (JavaScript, default export) has the same fields plus `policies`
 * (src/arch/types.ts PolicyOverrides; docs/model-a-patch.md). Both are validated the same way:
 * every problem is one line naming the file, the key and the values allowed.
 */
import { Locator, didYouMean, parseYaml, pathString } from '../scenario/parse.js';
import { PROFILES } from './index.js';
import { SWITCHES, SWITCH_KEYS, type SwitchKey } from './switches.js';
import type { KernelProfile } from './types.js';
import type { PolicyOverrides } from '../arch/types.js';

/** A bad profile module (profile files fail with a ScenarioError at file:line:column). */
export class ProfileError extends Error {
  constructor(readonly file: string, where: string, rule: string) {
    super(`${file}: ${where ? where + ': ' : ''}${rule}`);
    this.name = 'ProfileError';
  }
}

const KEYS = ['id', 'title', 'base', 'switches', 'description'];
const POLICY_KEYS: Record<keyof PolicyOverrides, 'function' | 'object'> = { vmemmap_populate: 'function', hugepages: 'object', vmemmap_free: 'object', memmap_on_memory: 'function', vmemmap_alloc_block_buf: 'function' };

type Fail = (path: (string | number)[], rule: string, key?: string) => never;

/** Validate a profile object (from a file or a module) and build the profile. */
function profileFrom(file: string, raw: unknown, fail: Fail, known: readonly KernelProfile[], extraKeys: string[] = []): KernelProfile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail([], 'a profile is a map with id, title, base and switches');
  const o = raw as Record<string, unknown>;
  const allowed = [...KEYS, ...extraKeys];
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail([], `unknown key "${k}"${didYouMean(k, allowed)}; allowed: ${allowed.join(', ')}`, k);
  for (const k of ['id', 'base'] as const) {
    if (typeof o[k] !== 'string' || !o[k]) fail(o[k] === undefined ? [] : [k], o[k] === undefined ? `missing required key "${k}"` : 'must be a non-empty string');
  }
  const id = o.id as string;
  if (known.some((p) => p.id === id)) fail(['id'], `"${id}" is a built-in profile: give yours another id`);
  const base = known.find((p) => p.id === o.base);
  if (!base) fail(['base'], `unknown base profile "${String(o.base)}"${didYouMean(String(o.base), known.map((p) => p.id))}; \`vmemlab kernels\` lists them`);
  const sw = (o.switches ?? {}) as Record<string, unknown>;
  if (typeof sw !== 'object' || Array.isArray(sw)) fail(['switches'], 'must be a map of switch: value');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sw)) {
    if (!(SWITCH_KEYS as string[]).includes(k)) fail(['switches'], `unknown switch "${k}"${didYouMean(k, SWITCH_KEYS)}; \`vmemlab kernels --switches\` lists them`, k);
    const values = Object.keys(SWITCHES[k as SwitchKey].values);
    if (!values.includes(String(v))) fail(['switches', k], `${JSON.stringify(v)} is not a value of ${k}; values: ${values.map((x) => JSON.stringify(x)).join(', ')}`);
    // the profile's own type: numbers and booleans as such
    const current = base![k as SwitchKey];
    out[k] = typeof current === 'number' ? Number(v) : typeof current === 'boolean' ? String(v) === 'true' : String(v);
  }
  const changed = Object.entries(out).map(([k, v]) => `${k}=${String(v)}`);
  const title = typeof o.title === 'string' ? o.title : `${base!.id} with ${changed.join(', ') || 'no switch changed'}`;
  return {
    ...base!,
    ...(out as Partial<KernelProfile>),
    id,
    title,
    kind: 'proposal',
    provenance: `profile ${file}: ${base!.id}${changed.length ? ` with ${changed.join(', ')}` : ''}`,
  };
}

export function parseProfileFile(file: string, text: string, known: readonly KernelProfile[] = PROFILES): KernelProfile {
  const { doc, lc } = parseYaml(file, text);
  const L: Locator = new Locator(file, doc, lc);
  return profileFrom(file, doc.toJS(), (path, rule, key) => L.fail(path, rule, key), known);
}

/** A profile module's default export: the profile fields plus policy functions. */
export function profileFromModule(file: string, exported: unknown, known: readonly KernelProfile[] = PROFILES): KernelProfile {
  const fail: Fail = (path, rule, key) => { throw new ProfileError(file, pathString(key !== undefined ? [...path, key] : path), rule); };
  if (!exported || typeof exported !== 'object') fail([], 'a profile module\'s default export is an object: { id, base, switches?, policies? }');
  const { policies, ...rest } = exported as Record<string, unknown>;
  const p = profileFrom(file, rest, fail, known, ['policies']);
  if (policies === undefined) return p;
  if (!policies || typeof policies !== 'object') fail(['policies'], 'policies is an object of policy functions');
  for (const [k, v] of Object.entries(policies as object)) {
    const want = POLICY_KEYS[k as keyof PolicyOverrides];
    if (!want) fail(['policies'], `unknown policy "${k}"${didYouMean(k, Object.keys(POLICY_KEYS))}; policies: ${Object.keys(POLICY_KEYS).join(', ')}`, k);
    if (typeof v !== want) fail(['policies', k], `must be ${want === 'object' ? 'an' : 'a'} ${want}, not ${typeof v}`);
  }
  const names = Object.keys(policies as object);
  return { ...p, policies: policies as PolicyOverrides, provenance: `${p.provenance}; policies replaced: ${names.join(', ')}` };
}
