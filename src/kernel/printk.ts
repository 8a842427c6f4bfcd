/**
 * printk for the model: messages keep the kernel's format strings (filled by kfmt) and the
 * kernel function that printed them. *_once sites use a per-site flag, as the kernel's
 * static bools do.
 */
import { kfmt } from '../util/kfmt.js';
import type { Kernel, Message } from './state.js';

export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_NOTICE = 5;
export const KERN_INFO = 6;
export const KERN_DEBUG = 7;

/** A kernel message (level, site, format and arguments) decided now and printed later. */
export interface KMsg {
  level: number;
  site: string;
  fmt: string;
  args: unknown[];
}

export interface PrintOpts {
  /** Print only the first time this key is seen (pr_*_once, WARN_ONCE). */
  once?: string;
  /** The text contains a value the model cannot know (shown as such). */
  approx?: boolean;
  /** The same line repeated for a run of iterations: count and the i-th text (i >= 1). */
  run?: { count: number; nth: (i: number) => string };
}

/**
 * A message whose text is formatted when first read. Only for machines whose messages are
 * rarely read (fuzz: Kernel.lazyText), and only with arguments that cannot change later
 * (numbers, strings, bigints). A getter on the prototype: such a message must be read
 * through `.text`, never spread or serialised as a whole, which the fuzz path never does.
 */
class LazyMessage implements Message {
  private t: string | undefined;
  approx?: boolean;
  run?: Message['run'];
  constructor(readonly level: number, readonly site: string, readonly step: number, private readonly fmt: string, private readonly args: unknown[]) {}
  get text(): string {
    return (this.t ??= kfmt(this.fmt, ...this.args));
  }
}

const primitive = (a: unknown) => a === null || (typeof a !== 'object' && typeof a !== 'function');

export function printk(k: Kernel, level: number, site: string, fmt: string, args: unknown[], o: PrintOpts = {}): void {
  if (o.once) {
    if (k.s.once.has(o.once)) return;
    k.s.once.add(o.once);
  }
  const m: Message = k.lazyText && args.every(primitive) ? new LazyMessage(level, site, k.step, fmt, args) : { level, text: kfmt(fmt, ...args), site, step: k.step };
  if (o.approx) m.approx = true;
  if (o.run && o.run.count > 1) m.run = o.run;
  k.s.log.push(m);
}

export const pr_err = (k: Kernel, site: string, fmt: string, ...args: unknown[]) => printk(k, KERN_ERR, site, fmt, args);
export const pr_warn = (k: Kernel, site: string, fmt: string, ...args: unknown[]) => printk(k, KERN_WARNING, site, fmt, args);
export const pr_info = (k: Kernel, site: string, fmt: string, ...args: unknown[]) => printk(k, KERN_INFO, site, fmt, args);
export const pr_debug = (k: Kernel, site: string, fmt: string, ...args: unknown[]) => printk(k, KERN_DEBUG, site, fmt, args);

export function pr_warn_once(k: Kernel, site: string, fmt: string, ...args: unknown[]): void {
  printk(k, KERN_WARNING, site, fmt, args, { once: site + ':' + fmt });
}

export function pr_err_once(k: Kernel, site: string, fmt: string, ...args: unknown[]): void {
  printk(k, KERN_ERR, site, fmt, args, { once: site + ':' + fmt });
}

/**
 * WARN(cond, fmt, ...) / WARN_ONCE: the message, then the splat's "WARNING:" line. The
 * splat's CPU, PID, line number and offsets are not modelled, so that line is marked approx.
 * Returns cond, as WARN() does.
 */
export function WARN(k: Kernel, cond: boolean, site: string, fmt: string | null, args: unknown[] = [], once = false): boolean {
  if (!cond) return false;
  const key = 'WARN:' + site + ':' + (fmt ?? '');
  if (once) {
    if (k.s.once.has(key)) return true;
    k.s.once.add(key);
  }
  k.s.log.push({ level: KERN_WARNING, text: '------------[ cut here ]------------\n', site, step: k.step });
  if (fmt) printk(k, KERN_WARNING, site, fmt, args);
  const [file, fn] = site.split(':');
  k.s.log.push({ level: KERN_WARNING, text: `WARNING: at ${file} ${fn}\n`, site, step: k.step, approx: true });
  return true;
}

/** Render one message (expanding a run up to `cap` repetitions; a repetition may hold several lines). */
export function renderMessage(m: Message, cap = 4096): string[] {
  const lines = (t: string) => t.replace(/\n$/, '').split('\n');
  const run = m.run;
  if (!run) return lines(m.text);
  const out = lines(m.text);
  let i = 1;
  // at most `cap` lines (a repetition may hold several)
  for (; i < run.count && out.length < cap; i++) out.push(...lines(run.nth(i)));
  if (run.count > i) out.push(`[vmemlab: ${run.count - i} more repetitions of the same form omitted]`);
  return out;
}

/**
 * After a batched run of `iterations` identical kernel loop iterations, the messages it
 * logged from `from` on are grouped by message; the kernel prints them iteration by
 * iteration. Rewrite them as one message whose repetition i holds iteration i's lines in
 * order, when they allow it (same level, each a run whose count divides evenly).
 */
export function interleaveRuns(k: Kernel, from: number, iterations: number): void {
  const ms = k.s.log.slice(from);
  if (iterations < 2 || ms.length < 2) return;
  const level = ms[0]!.level;
  if (ms.some((m) => m.level !== level || m.approx || (m.run?.count ?? 1) % iterations !== 0)) return;
  const per = ms.map((m) => (m.run?.count ?? 1) / iterations);
  const line = (m: Message, j: number) => (j === 0 ? m.text : m.run!.nth(j)).replace(/\n$/, '');
  const rep = (i: number) => ms.map((m, x) => Array.from({ length: per[x]! }, (_, j) => line(m, i * per[x]! + j)).join('\n')).join('\n') + '\n';
  k.s.log.length = from;
  k.s.log.push({ level, text: rep(0), site: ms[0]!.site, step: ms[0]!.step, run: { count: iterations, nth: rep } });
}

export function messageLineCount(m: Message): number {
  const run = m.run;
  return run ? run.count : 1;
}
