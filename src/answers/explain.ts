/**
 * `vmemlab explain`: what each step of a scenario did and why, in plain language, from what
 * the model recorded (results, kernel messages, the trace of vmemmap_populate decisions,
 * tables, mappings and altmap allocations) and from "what if" variants of the step that the
 * model runs (another --map or --align, memmap_on_memory, a smaller hot-add).
 */
import type { Scenario, ScenarioStep } from '../scenario/parse.js';
import { memremap_compat_align, nd_info_block_reserve, nd_pfn_init, nd_pfn_supported_alignments } from '../kernel/nvdimm/pfn_devs.js';
import { commas, fmtSize } from '../util/units.js';
import { lx } from '../util/bits.js';
import { runObserved, total, type ObservedRun, type VmemAltmapView } from './machine.js';
import { machineInfo, populateLines, stepCost, stepWarnings, tablesLine, type PageTableCount } from './narrate.js';
import type { Namespace } from '../sim/ndctl.js';
import { oopsLine, stepOutcome } from '../sim/machine.js';
import { memmapOnMemoryRefusal } from '../kernel/memory_hotplug.js';
import { hvoSupported, optimizablePages } from '../kernel/hugetlb.js';

export interface ExplainedStep {
  /** 1-based step number as in the scenario (0: the boot the runner added). */
  index: number;
  label: string;
  kind: string;
  ok: boolean;
  errno: string | null;
  /** One line: what happened. */
  summary: string;
  /** The kernel path that ran, outermost first. */
  path: string;
  /** Why each number is what it is. */
  lines: string[];
  /** Variants of this step the model ran, and what they would change. */
  whatIf: string[];
  changes: {
    memmap: { ram: Record<string, number>; altmap: Record<string, number>; self: Record<string, number>; dedup: Record<string, number> };
    pageTablePages: PageTableCount;
    leaves: { pte: number; pmd: number };
    /** Free memory (bytes) by node. */
    free: Record<string, number>;
  };
  /** What the user-space tool said, and the kernel's warnings. */
  messages: string[];
  warnings: string[];
}

export interface Explanation {
  scenario: string;
  description: string;
  machine: { arch: string; label: string; config: Record<string, string | number | boolean>; kernel: string };
  steps: ExplainedStep[];
}

const ERRNO_MEANING: Record<string, string> = {
  ENOMEM: 'an allocation failed: memory for the memmap or for page tables, or an altmap that ran out',
  EINVAL: 'an argument was refused: alignment, size, state or an unsupported combination',
  EEXIST: 'the range is already in use (register_memory_resource)',
  EBUSY: 'the memory is in use and cannot be offlined or taken',
  E2BIG: 'the range is beyond what the kernel can map (mhp_range_allowed / check_hotplug_memory_addressable)',
  ERANGE: 'the range is beyond the direct map (add_pages)',
  ENXIO: 'the device could not be enabled (ndctl reports every enable failure as ENXIO)',
  ENOSPC: 'no room left in the region',
  ENODEV: 'no such device or driver in this kernel',
  EOPNOTSUPP: 'this kernel does not support the operation',
  EPERM: 'the kernel forbids it (e.g. boot memory on arm64)',
  ENOENT: 'no such file: the kernel has no such interface',
};

function stepsOf(sc: Scenario): ScenarioStep[] {
  return sc.steps[0]?.kind === 'boot' ? sc.steps : [{ kind: 'boot', args: {}, index: 0, line: 0 }, ...sc.steps];
}

function signed(n: number): string {
  return `${n > 0 ? '+' : n < 0 ? '-' : ''}${fmtSize(Math.abs(n))}`;
}

/** Where the memmap of step i went (or came back from), in words. */
function memmapLines(run: ObservedRun, i: number): string[] {
  const c = stepCost(run, i);
  const out: string[] = [];
  for (const [n, b] of Object.entries(c.mm.ram)) out.push(`${signed(b)} of memmap in RAM of node ${n}`);
  for (const [id, b] of Object.entries(c.mm.altmap)) out.push(`${signed(b)} of memmap on a device: altmap ${id}`);
  for (const [n, b] of Object.entries(c.mm.self)) out.push(`${signed(b)} of memmap inside the hot-added memory of node ${n} (memmap_on_memory: self-hosted)`);
  for (const [id, b] of Object.entries(c.mm.dedup)) out.push(`${signed(b)} of struct pages served by shared pages of ${id} (device-dax dedup: no memory of their own)`);
  return out;
}

function nsKey(n: Namespace): string {
  return `${n.name}@${n.start}`;
}

/** The namespace a step created, with the arithmetic of its size and memmap. */
export function namespaceStory(run: ObservedRun, i: number): { ns: Namespace | null; lines: string[] } {
  const k = run.machine.k;
  const P = k.c.PAGE_SIZE;
  const before = new Set(run.before[i]!.namespaces.map(nsKey));
  const ns = run.after[i]!.namespaces.find((n) => !before.has(nsKey(n))) ?? null;
  if (!ns) return { ns: null, lines: [] };
  const map = ns.map ?? 'mem';
  const lines: string[] = [];
  const info = nd_pfn_init(k.arch.cfg, k.profile, ns.start, ns.rawSize, map === 'dev' ? 'pmem' : 'ram', ns.align, ns.name);
  const A = Math.max(ns.align, memremap_compat_align(k.arch.cfg));
  if (ns.mode === 'raw') {
    lines.push(`${ns.name}: raw mode: no pfn info block and no struct pages; the whole ${fmtSize(ns.rawSize)} is usable`);
    return { ns, lines };
  }
  lines.push(`${ns.name} (${ns.dev}): ${ns.mode} --map=${map}, align ${fmtSize(ns.align)}: usable ${commas(ns.usable)} B (${fmtSize(ns.usable)}) = size ${commas(ns.rawSize)} - data offset ${commas(ns.dataOffset)}${'errno' in info || !info.end_trunc ? '' : ` - end_trunc ${commas(info.end_trunc)}`}`);
  if (!('errno' in info)) {
    const npfns0 = Math.floor((ns.rawSize - 8192) / P);
    if (map === 'dev') lines.push(`  nd_pfn_init() (drivers/nvdimm/pfn_devs.c): npfns = (size - 8 KiB) / ${fmtSize(P)} = ${commas(npfns0)}; data offset = ALIGN(start + 8 KiB + ${k.profile.MAX_STRUCT_PAGE_SIZE} x npfns, ${fmtSize(A)}) - start = ${commas(ns.dataOffset)} (MAX_STRUCT_PAGE_SIZE ${k.profile.MAX_STRUCT_PAGE_SIZE} B reserved per page for its struct page)`);
    else lines.push(`  nd_pfn_init() (drivers/nvdimm/pfn_devs.c): --map=mem reserves no struct pages on the device: data offset = ALIGN(start + 8 KiB, ${fmtSize(A)}) - start = ${commas(ns.dataOffset)}`);
  }
  const alt: VmemAltmapView | undefined = ns.altmap ? run.after[i]!.altmaps.find((a) => a.id === ns.altmap) : undefined;
  if (alt) {
    const rb = nd_info_block_reserve(k.arch.cfg);
    lines.push(`  __nvdimm_setup_pfn(): vmem_altmap at pfn 0x${lx(alt.base_pfn)}: reserve ${alt.reserve} pfn(s) (the ${fmtSize(rb)} info block${alt.reserve > rb / P ? ' and the padding back to a sub-section boundary' : ''}), free ${commas(alt.free)} pfns for the memmap`);
    lines.push(`  the memmap took alloc ${commas(alt.alloc)} pfns (${fmtSize(alt.alloc * P)}) of the altmap${alt.align ? `; align ${commas(alt.align)} pfns were skipped so PMD-sized blocks start PMD-aligned (altmap_alloc_block_buf)` : ''}; ${commas(alt.free - alt.alloc - alt.align)} reserved pfns stay unused`);
  }
  return { ns, lines };
}

const PATHS: Record<string, (s: ScenarioStep, run: ObservedRun) => string> = {
  boot: () => 'start_kernel -> setup_arch (memblock) -> mm_core_init / paging_init -> sparse_init() -> sparse_init_nid() -> __populate_section_memmap() -> vmemmap_populate(); memory_dev_init() (memory blocks)',
  'create-namespace': (s) => `ndctl create-namespace -> ${s.args.mode === 'devdax' ? 'dax_pmem probe -> nd_pfn_init() -> __nvdimm_setup_pfn(); device_dax dev_dax_probe() -> devm_memremap_pages()' : s.args.mode === 'raw' ? 'nd_pmem probe (raw: no pfn device)' : 'nd_pmem probe -> nd_pfn_init() -> __nvdimm_setup_pfn() -> devm_memremap_pages()'} -> pagemap_range() -> arch_add_memory() -> __add_pages() -> sparse_add_section() -> __populate_section_memmap() -> vmemmap_populate()`,
  'destroy-namespace': () => 'ndctl destroy-namespace -> driver unbind -> memunmap_pages() -> pageunmap_range() -> arch_remove_memory() -> __remove_pages() -> sparse_remove_section() -> section_deactivate() -> vmemmap_free()',
  // powerpc pseries: DLPAR (arch/powerpc/platforms/pseries/hotplug-memory.c) adds and removes LMBs
  'hot-add': (_s, run) => `${run.machine.k.arch.cfg.arch === 's390x'
    ? `${run.machine.k.profile.s390Standby === 'v7.1' ? 'echo 1 > /sys/firmware/memory/memoryN/config -> sclp_config_mem_store() -> __add_memory()' : 'sclp standby memory -> sclp_add_standby_memory() -> add_memory_merged() -> add_memory() per block'}`
    : run.machine.k.arch.cfg.arch === 'powerpc64' ? 'pseries DLPAR -> dlpar_add_lmb() -> __add_memory()'
    : 'ACPI memory device -> acpi_memory_enable_device() -> __add_memory()'} -> add_memory_resource() -> arch_add_memory() -> __add_pages() -> sparse_add_section() -> __populate_section_memmap() -> vmemmap_populate(); create_memory_block_devices(); online per memhp_default_state`,
  'hot-remove': (s, run) => run.machine.k.arch.cfg.arch === 's390x' ? `virtio-mem / sclp memoryN/config -> ${s.args.offline === false ? '' : 'offline_pages() per block -> '}remove_memory() -> arch_remove_memory() -> __remove_pages() -> sparse_remove_section() -> vmemmap_free()` : `${run.machine.k.arch.cfg.arch === 'powerpc64' ? 'pseries DLPAR -> dlpar_remove_lmb()' : 'ACPI eject'} -> ${s.args.offline === false ? '' : 'offline_pages() per block -> '}__remove_memory() -> arch_remove_memory() -> __remove_pages() -> sparse_remove_section() -> vmemmap_free()`,
  online: () => 'echo online > /sys/devices/system/memory/memoryN/state -> memory_block_online() -> online_pages()',
  offline: () => 'echo offline > /sys/devices/system/memory/memoryN/state -> memory_block_offline() -> offline_pages()',
  'reconfigure-device': (s) => s.args.mode === 'devdax'
    ? 'daxctl reconfigure-device --mode=devdax -> offline the blocks -> kmem dev_dax_kmem_remove() -> remove_memory() -> device_dax dev_dax_probe() -> devm_memremap_pages()'
    : 'daxctl reconfigure-device --mode=system-ram -> device_dax unbind (memunmap_pages) -> kmem dev_dax_kmem_probe() -> add_memory_driver_managed() -> arch_add_memory() -> vmemmap_populate(); daxctl onlines the blocks',
  hugepages: () => 'echo N > nr_hugepages -> set_max_huge_pages() -> alloc_pool_huge_folio() -> hugetlb_vmemmap_optimize_folios() (with HVO)',
  expect: () => 'vmemmap-lab expect step (checks earlier steps; no kernel code)',
};

/** Run step i again with other arguments (or another command line) and return its outcome. */
function variant(sc: Scenario, steps: ScenarioStep[], i: number, patch: { args?: Record<string, unknown>; cmdline?: string }): ObservedRun {
  const vs = steps.slice(0, i + 1).map((s, j) => (j === i && patch.args ? { ...s, args: { ...s.args, ...patch.args } } : s));
  return runObserved({ ...sc, cmdline: patch.cmdline ?? sc.cmdline, steps: vs }, (x) => x === steps[i]!.index);
}

function namespaceWhatIf(sc: Scenario, steps: ScenarioStep[], i: number, run: ObservedRun, ns: Namespace | null): string[] {
  const st = steps[i]!;
  if (st.args.mode === 'raw') return [];
  const k = run.machine.k;
  const out: string[] = [];
  const describe = (label: string, v: ObservedRun) => {
    const r = v.results[i]!;
    const story = namespaceStory(v, i);
    if (!r.ok || !story.ns) return `${label}: fails with ${r.errno}`;
    const c = stepCost(v, i);
    const ram = total(c.mm.ram);
    const dev = total(c.mm.altmap);
    const alt = story.ns.altmap ? v.after[i]!.altmaps.find((a) => a.id === story.ns!.altmap) : undefined;
    const diff = ns ? story.ns.usable - ns.usable : 0;
    return `${label}: usable ${commas(story.ns.usable)} B${ns ? ` (${diff >= 0 ? '+' : '-'}${commas(Math.abs(diff))} B)` : ''}; memmap ${dev ? `${fmtSize(dev)} on the device${alt?.align ? `, ${commas(alt.align)} pfns of alignment waste` : ''}` : ''}${dev && ram ? ' + ' : ''}${ram ? `${fmtSize(ram)} in RAM` : ''}${!dev && !ram ? 'none new' : ''}`;
  };
  const map = (st.args.map as string | undefined) ?? 'dev';
  out.push(describe(map === 'dev' ? '--map=mem' : '--map=dev', variant(sc, steps, i, { args: { map: map === 'dev' ? 'mem' : 'dev' } })));
  const cur = ns?.align ?? (st.args.align as number | undefined);
  for (const a of nd_pfn_supported_alignments(k.arch.cfg)) {
    if (a === cur) continue;
    out.push(describe(`--align=${fmtSize(a).replace(' ', '').replace('iB', '')}`, variant(sc, steps, i, { args: { align: a } })));
  }
  return out;
}

function hotAddWhatIf(sc: Scenario, steps: ScenarioStep[], i: number, run: ObservedRun): string[] {
  const k = run.machine.k;
  const st = steps[i]!;
  const r = run.results[i]!;
  const out: string[] = [];
  const c = stepCost(run, i);
  if (k.arch.cfg.lacks.memmapOnMemory) {
    out.push(`memory_hotplug.memmap_on_memory does not exist here: ${k.arch.cfg.lacks.memmapOnMemory}`);
  } else if (k.profile.memmapOnMemory !== 'none' && k.cmdline.memmapOnMemory === 'off') {
    const v = variant(sc, steps, i, { cmdline: `${sc.cmdline} memory_hotplug.memmap_on_memory=1`.trim() });
    const vr = v.results[i]!;
    const vc = stepCost(v, i);
    out.push(`memory_hotplug.memmap_on_memory=1: ${vr.ok ? 'succeeds' : `fails with ${vr.errno}`}; memmap ${fmtSize(total(vc.mm.self))} inside the new blocks and ${fmtSize(total(vc.mm.ram))} in RAM (now ${fmtSize(total(c.mm.ram))} in RAM)`);
  } else if (k.profile.memmapOnMemory === 'none') {
    out.push(`memory_hotplug.memmap_on_memory does not exist in ${k.profile.id} (it arrived in v5.13, a08a2ae34613)`);
  }
  if (!r.ok && r.errno === 'ENOMEM') {
    const bs = k.boot.memoryBlockSize;
    const size = st.args.size as number;
    let lo = 0;
    let hi = Math.floor(size / bs);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (variant(sc, steps, i, { args: { size: mid * bs } }).results[i]!.ok) lo = mid;
      else hi = mid;
    }
    out.push(lo ? `a smaller hot-add fits: ${fmtSize(lo * bs)} (${lo} block(s) of ${fmtSize(bs)}); online it, then add the rest (\`vmemlab size hot-add\` plans the chunks)` : 'not even one memory block fits in the free memory');
  }
  return out;
}

/** Explain the steps of a scenario (all, or the one numbered `step`). */
export function explainScenario(sc: Scenario, opts: { step?: number; whatIf?: boolean } = {}): Explanation {
  const steps = stepsOf(sc);
  if (opts.step !== undefined && !steps.some((s) => s.index === opts.step)) throw new RangeError(`step ${opts.step}: the scenario has steps 1..${sc.steps.length}`);
  const want = (idx: number) => opts.step === undefined || idx === opts.step;
  const last = opts.step === undefined ? steps.length : steps.findIndex((s) => s.index === opts.step) + 1;
  const run = runObserved({ ...sc, steps: steps.slice(0, last) }, want);
  const k = run.machine.k;
  const P = k.c.PAGE_SIZE;
  const out: ExplainedStep[] = [];
  run.results.forEach((r, i) => {
    const st = steps[i]!;
    if (!want(st.index)) return;
    const c = stepCost(run, i);
    const lines: string[] = [];
    let whatIf: string[] = [];
    const b = run.before[i]!;
    const a = run.after[i]!;
    switch (st.kind) {
      case 'boot': {
        const ram = sc.nodes.map((n) => `node ${n.id}: ${fmtSize(n.memory.reduce((s, x) => s + x.size, 0))}`).join(', ');
        lines.push(`boot RAM ${ram}; sections of ${fmtSize(2 ** k.arch.cfg.SECTION_SIZE_BITS)}, memory blocks of ${fmtSize(k.boot.memoryBlockSize)} (memory_block_size_bytes())`);
        break;
      }
      case 'create-namespace': {
        const story = namespaceStory(run, i);
        lines.push(...story.lines);
        if (opts.whatIf !== false) whatIf = namespaceWhatIf(sc, steps, i, run, story.ns);
        break;
      }
      case 'destroy-namespace': {
        const gone = b.namespaces.filter((n) => !a.namespaces.some((x) => nsKey(x) === nsKey(n)));
        for (const n of gone) lines.push(`${n.name} (${fmtSize(n.rawSize)} at 0x${lx(n.start)}) destroyed: its struct pages are unmapped and the pages behind them${n.altmap ? ' go back with the altmap (nothing returns to RAM but page tables)' : ' return to RAM'}`);
        break;
      }
      case 'hot-add':
      case 'hot-remove':
      case 'online':
      case 'offline': {
        const d = (x: number, y: number) => (y - x === 0 ? '' : `${y - x > 0 ? '+' : ''}${y - x}`);
        const bd = [d(b.blocks.online, a.blocks.online) && `${d(b.blocks.online, a.blocks.online)} online`, d(b.blocks.offline, a.blocks.offline) && `${d(b.blocks.offline, a.blocks.offline)} offline`, d(b.blocks.selfHosting, a.blocks.selfHosting) && `${d(b.blocks.selfHosting, a.blocks.selfHosting)} hosting their own memmap`].filter(Boolean);
        lines.push(`memory blocks (${fmtSize(k.boot.memoryBlockSize)}): ${bd.length ? bd.join(', ') : 'no change'}; now ${a.blocks.online} online (${Object.entries(a.blocks.zones).map(([z, n]) => `${n} ${z}`).join(', ') || 'none'}), ${a.blocks.offline} offline`);
        if (st.kind === 'hot-add') {
          if (k.cmdline.memmapOnMemory !== 'off' && total(c.mm.self) === 0) {
            lines.push(`memmap_on_memory is ${k.cmdline.memmapOnMemory} but not used here: mhp_supports_memmap_on_memory() refuses: ${memmapOnMemoryRefusal(k, st.args.size as number) ?? 'the request fell back to RAM'}`);
          } else if (total(c.mm.self) > 0) {
            lines.push(`memmap_on_memory: each block's first ${commas(a.blocks.selfHosting ? total(c.mm.self) / P / Math.max(1, a.blocks.selfHosting - b.blocks.selfHosting) : 0)} page(s) hold its own memmap (an altmap per block, mhp_supports_memmap_on_memory() agreed); those pages never reach the page allocator`);
          }
          if (r.ok && a.blocks.offline > b.blocks.offline) lines.push(`the new blocks stay offline: this kernel's default online type is "${k.cmdline.onlineType}" (memhp_default_state=, CONFIG_MHP_DEFAULT_ONLINE_TYPE); online them to use the memory`);
          if (opts.whatIf !== false) whatIf = hotAddWhatIf(sc, steps, i, run);
        }
        break;
      }
      case 'reconfigure-device': {
        const changed = Object.entries(a.dax).filter(([n, mode]) => b.dax[n] !== mode);
        for (const [n, mode] of changed) lines.push(`${n}: ${b.dax[n] ?? 'no driver'} -> ${mode}`);
        break;
      }
      case 'hugepages': {
        for (const [s, n] of Object.entries(a.hugepages)) if (n !== (b.hugepages[s] ?? 0)) lines.push(`${fmtSize(Number(s))} huge pages: ${b.hugepages[s] ?? 0} -> ${n}`);
        const size = st.args.size as number;
        const per = optimizablePages(k, size);
        if (!k.cmdline.hugetlbFreeVmemmap) lines.push('HugeTLB vmemmap optimisation is off (hugetlb_free_vmemmap): every huge page keeps all its vmemmap');
        else if (!hvoSupported(k) || per === 0) lines.push(`no HugeTLB vmemmap optimisation for ${fmtSize(size)} pages here (${k.profile.hvo === 'none' ? `${k.profile.id} has none` : hvoSupported(k) ? 'nothing to free: the vmemmap of one page is not more than the page HVO keeps' : `${k.arch.cfg.arch} does not select it in ${k.profile.id}`})`);
        else {
          const d = a.hvo.freed - b.hvo.freed;
          lines.push(`hugetlb_vmemmap_optimize_folio() (mm/hugetlb_vmemmap.c) frees ${per} of the ${(size / P) * k.c.STRUCT_PAGE / P} vmemmap pages of each ${fmtSize(size)} page: ${d >= 0 ? '+' : '-'}${fmtSize(Math.abs(d) * P)} given back by this step, ${fmtSize(a.hvo.freed * P)} in all`);
          const g0 = a.hvo.gain.min - b.hvo.gain.min;
          const g1 = a.hvo.gain.max - b.hvo.gain.max;
          if (g0 || g1) lines.push(`MemTotal ${g0 === g1 ? signed(g0 * P) : `${signed(g0 * P)}..${signed(g1 * P)}`}: freed boot-time (memblock) vmemmap pages join the managed pages; pages from the buddy allocator only go back to it`);
          const s0 = a.hvo.split.min - b.hvo.split.min;
          const s1 = a.hvo.split.max - b.hvo.split.max;
          if (s0 || s1) lines.push(`vmemmap PMDs split to PTEs (split_vmemmap_huge_pmd): ${s0 === s1 ? s0 : `${s0}..${s1}`} new PTE table page(s); which PMDs depends on where the allocator put the huge pages, so the model gives a range`);
        }
        break;
      }
      case 'expect':
        lines.push(r.ok ? 'every expectation holds' : `failed: ${(r.failedExpectations ?? []).join('; ')}`);
        break;
    }
    if (st.kind !== 'hugepages' && a.hvo.freed !== b.hvo.freed) {
      // boot-time huge pages (hugepagesz=/hugepages=), or pages given up with their memory
      const d = a.hvo.freed - b.hvo.freed;
      lines.push(`HugeTLB vmemmap optimisation: ${d >= 0 ? '+' : '-'}${fmtSize(Math.abs(d) * P)} of vmemmap given back by this step${a.hvo.gain.max !== b.hvo.gain.max ? `; MemTotal ${signed((a.hvo.gain.min - b.hvo.gain.min) * P)}${a.hvo.gain.min - b.hvo.gain.min !== a.hvo.gain.max - b.hvo.gain.max ? `..${signed((a.hvo.gain.max - b.hvo.gain.max) * P)}` : ''}` : ''}`);
    }
    if (st.kind !== 'expect') {
      lines.push(...memmapLines(run, i));
      lines.push(...populateLines(run, i));
      if (c.leaves.pmd || c.leaves.pte || c.pt.total) {
        // leaves mapped and unmapped by the step, each level with its own sign
        const part = (n: number, what: string) => (n > 0 ? `${commas(n)} ${what} mapped` : `${commas(-n)} ${what} unmapped`);
        const leaves = [c.leaves.pmd ? part(c.leaves.pmd, `PMD leaves (${fmtSize(k.c.PMD_SIZE)} of struct pages each)`) : '', c.leaves.pte ? part(c.leaves.pte, `PTE leaves (${fmtSize(P)} each)`) : ''].filter(Boolean).join(', ') || 'no leaf entries changed';
        lines.push(`mapping: ${leaves}; ${c.pt.total < 0 ? `${-c.pt.total} page-table page(s) freed` : tablesLine(c.pt)}`);
      }
      const fd = c.freeDelta.map((x, n) => [n, x] as const).filter(([, x]) => x !== 0);
      if (st.kind === 'boot') lines.push(`free after boot: ${a.free.map((x, n) => [n, x] as const).filter(([, x]) => x > 0).map(([n, x]) => `node ${n} ${fmtSize(x * P)}`).join(', ')} (the model counts only its own allocations and the scenario's "used")`);
      else if (fd.length) lines.push(`free memory: ${fd.map(([n, x]) => `node ${n} ${signed(x * P)}`).join(', ')} (the model counts only its own allocations)`);
    }
    const warnings = stepWarnings(run, i);
    let summary = `${r.label}: ${r.oops || r.notRun ? stepOutcome(r) : r.ok ? 'ok' : `FAILED with ${r.errno}`}`;
    if (r.oops) lines.unshift(oopsLine(r.oops));
    if (!r.ok && r.errno) {
      summary += ` - ${ERRNO_MEANING[r.errno] ?? 'the kernel refused'}`;
      const why = warnings.find((w) => !/^-+\[ cut here \]-+$/.test(w.trim())) ?? r.messages.find((m) => /error|fail|refus/i.test(m));
      if (why) lines.unshift(`the check that refused: ${why.trim()}`);
    }
    if (r.violations.length) lines.push(`${r.violations.length} invariant violation(s) after this step (bugs in vmemmap-lab): ${r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`);
    if (r.kernelBugs.length) lines.push(`${r.kernelBugs.length} predicted kernel bug(s) after this step: ${r.kernelBugs.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`);
    out.push({
      index: st.index,
      label: r.label,
      kind: st.kind,
      ok: r.ok,
      errno: r.errno,
      summary,
      path: PATHS[st.kind]!(st, run),
      lines,
      whatIf,
      changes: { memmap: c.mm, pageTablePages: c.pt, leaves: c.leaves, free: Object.fromEntries(c.freeDelta.map((x, n) => [String(n), x * P] as const).filter(([, x]) => x !== 0)) },
      messages: r.messages,
      warnings,
    });
  });
  return { scenario: sc.file, description: sc.description, machine: machineInfo(run), steps: out };
}

/** The explanation as text. */
export function renderExplanation(e: Explanation): string {
  const out: string[] = [`${e.machine.label}, kernel ${e.machine.kernel}${e.description ? ` - ${e.description}` : ''}`];
  for (const s of e.steps) {
    out.push('');
    out.push(`step ${s.index}: ${s.summary}`);
    out.push(`  kernel path: ${s.path}`);
    for (const l of s.lines) out.push(`  ${l}`);
    for (const m of s.messages) out.push(`  tool: ${m.trim()}`);
    for (const w of s.warnings) out.push(`  kernel: ${w}`);
    if (s.whatIf.length) {
      out.push('  what would change it (each variant run on the model):');
      for (const w of s.whatIf) out.push(`    ${w}`);
    }
  }
  return out.join('\n') + '\n';
}
