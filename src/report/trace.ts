/**
 * `--trace`: the kernel-level events of each step (design.md section 6), one line each, in the
 * order the model made them: sections activated, vmemmap_populate() decisions, page-table pages
 * allocated and freed, leaves mapped and unmapped with their backing, altmap allocations and
 * frees, errnos. A run of identical actions is one event with its count, so a trace stays as
 * small as the ranges it touched, whatever the memory size.
 *
 * Virtual addresses are the vmemmap's (Consts.origin + offset), physical ones are pfns; the
 * JSON form (`--json --trace`) gives the same fields with numbers as hex strings.
 */
import type { Kernel, TraceEvent, Backing } from '../kernel/state.js';
import type { StepResult } from '../sim/machine.js';
import { ERRNO_NAMES } from '../kernel/state.js';
import { fmtSize } from '../util/units.js';

const hex = (n: number | bigint) => '0x' + n.toString(16);

function backing(b: Backing): string {
  if (b.kind === 'ram') return `node ${b.node} RAM (${b.src === 'sparsebuf' ? 'sparse buffer' : b.src})`;
  if (b.kind === 'altmap') return `altmap ${b.id} from pfn ${hex(b.pfn)}`;
  // device-dax compound pages (vmemmap_populate_compound_pages): were shown as memmap_on_memory
  if (b.kind === 'compound') return `device-dax ${b.pgmap} compound pages, head pages node ${b.node}, tail pages node ${b.tailNode}`;
  return `memmap_on_memory, node ${b.node} (inside the hot-added blocks)`;
}

/** A backing for JSON: without the model's internal run key. */
function backingJson(b: Backing): Record<string, unknown> {
  if (b.kind === 'ram') return { kind: 'ram', node: b.node, src: b.src };
  if (b.kind === 'altmap') return { kind: 'altmap', id: b.id, pfn: hex(b.pfn) };
  return { ...b };
}

/** One event as a line of text. */
export function traceLine(k: Kernel, e: TraceEvent): string {
  const va = (off: number) => hex(k.c.origin + BigInt(off));
  // a table of kind L holds L entries and covers tableSpan[L] of the vmemmap (pgtable.ts)
  const tables = (n: number, level: string) => `${n} ${level} table${n === 1 ? '' : 's'}`;
  const span = (off: number, n: number, level: keyof Kernel['c']['tableSpan']) => `${va(off)}-${va(off + n * k.c.tableSpan[level])}`;
  switch (e.t) {
    case 'section': return `section ${e.op}: pfn ${hex(e.pfn)}, ${e.nr} pages, node ${e.nid}`;
    case 'populate': return `vmemmap_populate ${va(e.start)}-${va(e.end)} (${fmtSize(e.end - e.start)}, ${Math.round((e.end - e.start) / e.callBytes)} call(s)${e.altmap ? `, altmap ${e.altmap}` : ''}, node ${e.node}): ${e.path}: ${e.why}`;
    case 'table': return `table alloc: ${tables(e.count, e.level)} for ${span(e.va, e.count, e.level)} (node ${e.node}, ${e.src})`;
    case 'table-free': return `table free: ${tables(e.count, e.level)} for ${span(e.va, e.count, e.level)}`;
    case 'map': return `map ${e.level}: ${va(e.va)}-${va(e.va + e.size)} (${fmtSize(e.size)}) -> ${backing(e.b)}`;
    case 'unmap': return `unmap ${e.level}: ${va(e.va)}-${va(e.va + e.size)} (${fmtSize(e.size)}), was ${backing(e.b)}`;
    case 'altmap-alloc': return `altmap ${e.id} alloc: ${e.count} x ${e.nr} pfns from pfn ${hex(e.pfn)}${e.align ? ` after ${e.align} pfns of alignment` : ''}`;
    case 'altmap-free': return `altmap ${e.id} free: ${e.nr} pfns`;
    case 'errno': return `errno: ${e.site} failed with ${ERRNO_NAMES[e.errno] ?? e.errno}`;
    case 'note': return `note: ${e.text}`;
  }
}

/** The events of each step as text (`vmemlab run --trace`). */
export function traceLines(k: Kernel, results: StepResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.kind === 'expect') continue;
    out.push(`# step ${r.index}: ${r.label}${r.notRun ? ` (${r.notRun})` : ''}`);
    for (let i = r.trace.from; i < r.trace.to; i++) out.push(traceLine(k, k.s.trace[i]!));
  }
  return out;
}

/** An event for the JSON report: the same fields, addresses as hex strings. */
export function traceJson(k: Kernel, e: TraceEvent): Record<string, unknown> {
  const va = (off: number) => hex(k.c.origin + BigInt(off));
  switch (e.t) {
    case 'populate': return { ...e, start: va(e.start), end: va(e.end), bytes: e.end - e.start };
    case 'table': case 'table-free': return { ...e, va: va(e.va) };
    case 'map': case 'unmap': return { ...e, va: va(e.va), b: backingJson(e.b) };
    case 'altmap-alloc': case 'section': return { ...e, pfn: hex(e.pfn) };
    case 'errno': return { ...e, name: ERRNO_NAMES[e.errno] ?? String(e.errno) };
    default: return { ...e };
  }
}
