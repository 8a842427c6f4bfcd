/** `vmemlab size` questions as forms: the same library functions, answered in the page. */
import { signal } from '@preact/signals';
import {
  ARCH_NAMES, AnswerError, DEFAULT_KERNEL, PPC_MMUS, PROFILES, RISCV_MODES, SizeError, parseSize, sizeBlocks, sizeDedup, sizeHotAdd, sizeHvo, sizeMemmap, sizeNamespace,
  type AnswerBase, type ArchName, type MachineOpts,
} from '../lib.ts';
import { loadScenario, tab } from '../store.ts';

type Q = 'namespace' | 'memmap' | 'hot-add' | 'hvo' | 'dedup' | 'blocks';
const QUESTIONS: Record<Q, { title: string; fields: { key: string; label: string; def: string; choices?: string[] }[] }> = {
  namespace: { title: 'How big is my pmem namespace, and where does its memmap go?', fields: [
    { key: 'size', label: 'namespace size', def: '6T' }, { key: 'mode', label: 'mode', def: 'fsdax', choices: ['fsdax', 'devdax'] },
    { key: 'map', label: '--map', def: 'dev', choices: ['dev', 'mem'] }, { key: 'align', label: 'align (empty: the arch default)', def: '' }] },
  memmap: { title: 'How much memmap does this much memory need?', fields: [{ key: 'size', label: 'memory', def: '1T' }] },
  'hot-add': { title: 'Can this guest hot-add that much memory?', fields: [
    { key: 'size', label: 'hot-add size', def: '64G' }, { key: 'free', label: 'free memory now', def: '512M' },
    { key: 'memmapOnMemory', label: 'memmap_on_memory', def: 'no', choices: ['no', 'yes', 'force'] }] },
  hvo: { title: 'How much does HugeTLB vmemmap optimisation give back?', fields: [
    { key: 'hugePage', label: 'huge page size', def: '1G' }, { key: 'count', label: 'how many', def: '16' }] },
  dedup: { title: 'How much memmap does device-dax dedup save?', fields: [
    { key: 'size', label: 'namespace size', def: '64G' }, { key: 'align', label: 'align', def: '2M' }, { key: 'map', label: '--map', def: 'mem', choices: ['mem', 'dev'] }] },
  blocks: { title: 'What are the section, sub-section and memory block sizes?', fields: [{ key: 'ram', label: 'boot RAM', def: '64G' }] },
};

const q = signal<Q>('namespace');
const arch = signal<ArchName>('x86_64');
const pageSize = signal<'4K' | '8K' | '16K' | '64K'>('4K');
const paging = signal<string>('sv39');
const mmu = signal<string>('radix');
/** s390x: the CPU has EDAT-1 (1 MiB segment frames for the vmemmap). */
const edat1 = signal(true);
/** Arches with more than one base page size, and the sizes each offers. */
const MULTI_PAGE = new Set<ArchName>(['arm64', 'loongarch64', 'ia64', 'powerpc64']);
const PAGE_SIZES: Partial<Record<ArchName, string[]>> = { ia64: ['4K', '8K', '16K', '64K'], powerpc64: ['64K', '4K'] };
const kernel = signal(DEFAULT_KERNEL);
const values = signal<Record<string, string>>({});

function answer(): AnswerBase {
  const v = (k: string) => values.value[`${q.value}.${k}`] ?? QUESTIONS[q.value].fields.find((f) => f.key === k)!.def;
  const size = (k: string) => parseSize(v(k));
  const m: MachineOpts = { arch: arch.value, kernel: kernel.value, ...(MULTI_PAGE.has(arch.value) ? { pageSize: pageSize.value } : {}), ...(arch.value === 'riscv64' ? { paging: paging.value } : {}), ...(arch.value === 'powerpc64' ? { mmu: mmu.value } : {}), ...(arch.value === 's390x' && !edat1.value ? { edat1: false } : {}) };
  switch (q.value) {
    case 'namespace': return sizeNamespace({ ...m, size: size('size'), mode: v('mode') as 'fsdax', map: v('map') as 'dev', align: v('align').trim() ? size('align') : undefined });
    case 'memmap': return sizeMemmap({ ...m, size: size('size') });
    case 'hot-add': return sizeHotAdd({ ...m, size: size('size'), free: size('free'), memmapOnMemory: v('memmapOnMemory') === 'force' ? 'force' : v('memmapOnMemory') === 'yes' });
    case 'hvo': return sizeHvo({ ...m, hugePage: size('hugePage'), count: Number(v('count')) });
    case 'dedup': return sizeDedup({ ...m, size: size('size'), align: size('align'), map: v('map') as 'dev' });
    case 'blocks': return sizeBlocks({ ...m, ram: size('ram') });
  }
}

export function SizeForms() {
  let ans: AnswerBase | null = null;
  let err = '';
  try {
    ans = answer();
  } catch (e) {
    if (e instanceof SizeError || e instanceof AnswerError || e instanceof RangeError) err = e.message;
    else err = (e as Error).message;
  }
  const spec = QUESTIONS[q.value];
  const set = (k: string, val: string) => { values.value = { ...values.value, [`${q.value}.${k}`]: val }; };
  const cur = (k: string, def: string) => values.value[`${q.value}.${k}`] ?? def;
  const facts = ans ? Object.entries(ans).filter(([k, v]) => !['question', 'machine', 'explanation', 'warnings', 'scenario'].includes(k) && (typeof v !== 'object' || v === null)) : [];
  return (
    <section class="size" aria-labelledby="size-title" data-testid="size">
      <h2 id="size-title">Size questions</h2>
      <form onSubmit={(e) => e.preventDefault()} class="size-form">
        <label>question <select value={q.value} onChange={(e) => { q.value = (e.target as HTMLSelectElement).value as Q; }}>
          {(Object.keys(QUESTIONS) as Q[]).map((k) => <option key={k} value={k}>{k}: {QUESTIONS[k].title}</option>)}
        </select></label>
        <label>arch <select value={arch.value} onChange={(e) => { arch.value = (e.target as HTMLSelectElement).value as ArchName; }}>
          {ARCH_NAMES.map((a) => <option key={a} value={a}>{a}</option>)}</select></label>
        {arch.value === 'riscv64' && <label>paging <select value={paging.value} onChange={(e) => { paging.value = (e.target as HTMLSelectElement).value; }}>
          {RISCV_MODES.map((p) => <option key={p}>{p}</option>)}</select></label>}
        {arch.value === 'powerpc64' && <label>MMU <select value={mmu.value} onChange={(e) => { mmu.value = (e.target as HTMLSelectElement).value; }}>
          {PPC_MMUS.map((p) => <option key={p}>{p}</option>)}</select></label>}
        {arch.value === 's390x' && <label>EDAT-1 <input type="checkbox" checked={edat1.value} onChange={(e) => { edat1.value = (e.target as HTMLInputElement).checked; }} /></label>}
        {MULTI_PAGE.has(arch.value) && <label>page size <select value={pageSize.value} onChange={(e) => { pageSize.value = (e.target as HTMLSelectElement).value as '4K'; }}>
          {(PAGE_SIZES[arch.value] ?? ['4K', '16K', '64K']).map((p) => <option key={p}>{p}</option>)}</select></label>}
        <label>kernel <select value={kernel.value} onChange={(e) => { kernel.value = (e.target as HTMLSelectElement).value; }}>
          {PROFILES.map((p) => <option key={p.id} value={p.id}>{p.id}</option>)}</select></label>
        {spec.fields.map((f) => (
          <label key={f.key}>{f.label}{' '}
            {f.choices
              ? <select value={cur(f.key, f.def)} onChange={(e) => set(f.key, (e.target as HTMLSelectElement).value)}>{f.choices.map((c) => <option key={c}>{c}</option>)}</select>
              : <input value={cur(f.key, f.def)} onInput={(e) => set(f.key, (e.target as HTMLInputElement).value)} size={8} />}
          </label>
        ))}
      </form>
      <h3>{spec.title}</h3>
      {err && <p class="bad" role="alert">{err}</p>}
      {ans && (
        <div data-testid="size-answer">
          <p>{ans.machine.label}, kernel {ans.machine.kernel}: {ans.ok ? 'ok' : `fails with ${ans.errno}`}</p>
          <dl class="facts">{facts.map(([k, v]) => <><dt key={k}>{k}</dt><dd>{String(v)}</dd></>)}</dl>
          <pre>{ans.explanation.join('\n')}</pre>
          {ans.warnings.length > 0 && <pre class="bad">{ans.warnings.join('\n')}</pre>}
          <button type="button" onClick={() => { loadScenario(`size-${q.value}.yaml`, ans!.scenario); tab.value = 'explore'; }}>Explore this answer's scenario</button>
        </div>
      )}
    </section>
  );
}
