/**
 * The kernel touching a struct page whose vmemmap address is not mapped: a page fault in
 * kernel mode that nothing fixes up, i.e. an oops. arch/arm64/mm/fault.c die_kernel_fault()
 * prints "Unable to handle kernel paging request at virtual address %016lx"; arch/x86/mm/fault.c
 * show_fault_oops() prints "BUG: unable to handle page fault for address: %px" and the #PF
 * lines (formats read in 5.9.1 and 7.1.5, the same in every profile). The access throws
 * KernelOops out of the step (the task dies mid-way; what it did so far stays done) and the
 * simulator marks the machine crashed.
 *
 * The search is O(log ranges): the first gap of the vmemmap leaves over the struct pages of
 * the pfns touched, not a walk over pages.
 */
import { lx } from '../util/bits.js';
import { offToPfn, offToVa, pfnToOff, type Kernel } from './state.js';

export interface Oops {
  /** The scenario step it happened in. */
  step: number;
  /** The function the oops's pc/RIP names (the one that made the access). */
  fn: string;
  /** Where the access is, "file:function". */
  site: string;
  /** The faulting virtual address, 16 hex digits (the struct page's address plus the field touched). */
  va: string;
  /** The pfn whose struct page was touched. */
  pfn: number;
  access: 'read' | 'write';
  /** What the kernel was doing, in words. */
  what: string;
}

export class KernelOops extends Error {
  constructor(readonly oops: Oops) {
    super(`predicted kernel oops in ${oops.fn} at ${oops.va}`);
  }
}

export interface Touch {
  fn: string;
  site: string;
  access: 'read' | 'write';
  /** Offset of the first byte accessed in each struct page (0: flags / memset; 8: compound_head). */
  field: number;
  what: string;
}

/**
 * The kernel accesses the struct pages of pfns [spfn, epfn) in ascending order; the first one
 * whose vmemmap address is not mapped oopses (throws KernelOops after printing the oops).
 */
export function touchStructPages(k: Kernel, t: Touch, spfn: number, epfn: number): void {
  if (epfn <= spfn) return;
  const a = pfnToOff(k, spfn);
  const b = pfnToOff(k, epfn);
  const g = k.s.leaves.gaps(a, b).find((x) => x.end > x.start);
  if (!g) return;
  // leaves are whole pages and struct pages divide a page: the gap starts at a struct page, and
  // the field touched (within the struct page) is unmapped too
  const pfn = Math.max(spfn, Math.floor(offToPfn(k, g.start)));
  const off = pfnToOff(k, pfn) + t.field;
  oops(k, { step: k.step, fn: t.fn, site: t.site, va: lx(offToVa(k, off)).padStart(16, '0'), pfn, access: t.access, what: t.what });
}

/** Print the oops the arch prints for a kernel-mode fault on a not-present address, and stop the step. */
function oops(k: Kernel, o: Oops): never {
  for (const l of k.arch.policy.oopsLines(o)) k.s.log.push({ level: l.level, text: l.text, site: o.site, step: k.step, ...(l.approx ? { approx: true } : {}) });
  throw new KernelOops(o);
}
