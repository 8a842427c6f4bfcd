/** App state as signals: the scenario, the step shown, the selection and hover shared by every view. */
import { computed, signal } from '@preact/signals';
import { DEFAULT_SCENARIO, findProfile, parseProfileFile, registerProfile } from './lib.ts';
import type { SharedProfile } from './share.ts';
import { analyse, type Analysis, type Parsed } from './model.ts';
import type { Selection } from './types.ts';

export type Tab = 'explore' | 'steps' | 'compare' | 'edit' | 'size' | 'glossary';

export const fileName = signal('default.yaml');
/** What the editor holds (may be invalid). */
export const editorText = signal(DEFAULT_SCENARIO);
/** A profile file the scenario is shown under (vmemlab explore --kernel ./my.yaml), and a problem with it. */
export const userProfile = signal<{ id: string; file: SharedProfile } | null>(null);
export const profileProblem = signal<string | null>(null);
/** The parse/run of the editor text (under the user's profile when one was given). */
export const parsed = computed<Parsed>(() => analyse(fileName.value, editorText.value, userProfile.value?.id));
/** The last scenario that parsed: the views keep showing it while the editor holds an error. */
let lastGood: Analysis | null = null;
export const analysis = computed<Analysis>(() => {
  const p = parsed.value;
  if (p.ok) lastGood = p.a;
  if (!lastGood) lastGood = (analyse('default.yaml', DEFAULT_SCENARIO) as { ok: true; a: Analysis }).a;
  return lastGood;
});

/** Report step shown (0-based); null = the last. */
export const stepChoice = signal<number | null>(null);
export const stepIndex = computed(() => {
  const n = analysis.value.full.report.steps.length;
  const s = stepChoice.value;
  return s === null || s >= n ? n - 1 : Math.max(0, s);
});
export const stepState = computed(() => analysis.value.at(stepIndex.value));

export const selection = signal<Selection | null>(null);
export const hovered = signal<Selection | null>(null);
export const tab = signal<Tab>('explore');

/** A request to bring a range into view on one of the maps (nonce: repeat requests re-zoom). */
export interface Focus { range: [number, number]; nonce: number }
export const focusPhys = signal<Focus | null>(null);
export const focusVmem = signal<Focus | null>(null);
let nonce = 0;
export function locate(sel: Selection) {
  selection.value = sel;
  if (sel.phys) focusPhys.value = { range: sel.phys, nonce: ++nonce };
  if (sel.vmem) focusVmem.value = { range: sel.vmem, nonce: ++nonce };
}

/** A pick on one map: select it and bring its linked range into view on the other map. */
export function pickFrom(map: 'phys' | 'vmem', sel: Selection | null) {
  selection.value = sel;
  if (!sel) return;
  if (map === 'phys' && sel.vmem) focusVmem.value = { range: sel.vmem, nonce: ++nonce };
  if (map === 'vmem' && sel.phys) focusPhys.value = { range: sel.phys, nonce: ++nonce };
}

/** Read a profile file (the library's parser and errors) and show the scenario under it. */
export function loadProfile(f: SharedProfile | null) {
  profileProblem.value = null;
  if (!f) {
    userProfile.value = null;
    return;
  }
  try {
    const p = parseProfileFile(f.name, f.text);
    if (!findProfile(p.id)) registerProfile(p);
    userProfile.value = { id: p.id, file: f };
  } catch (e) {
    userProfile.value = null;
    profileProblem.value = (e as Error).message;
  }
}

export function loadScenario(name: string, text: string) {
  fileName.value = name;
  editorText.value = text;
  stepChoice.value = null;
  selection.value = null;
}
