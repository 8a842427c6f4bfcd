/**
 * src/kernel/printk.ts on its own: what the model's printk, pr_*_once, WARN and the run
 * helpers put in the log, pinned line by line (the rest of the suite reads them only through
 * whole scenarios). The kernel's side: include/linux/printk.h (KERN_* levels, pr_*_once with a
 * static bool per call site), include/asm-generic/bug.h (WARN: "------------[ cut here ]------------",
 * the message, then "WARNING: CPU: .. PID: .. at file:line function+off/size").
 */
import { describe, expect, it } from 'vitest';
import { interleaveRuns, KERN_DEBUG, KERN_ERR, KERN_INFO, KERN_NOTICE, KERN_WARNING, messageLineCount, pr_debug, pr_err, pr_err_once, pr_info, pr_warn, pr_warn_once, printk, renderMessage, WARN } from '../src/kernel/printk.js';
import type { Kernel, Message } from '../src/kernel/state.js';
import { createMachine } from '../src/sim/machine.js';
import { scenario } from './helpers.js';

function kernel(lean = false): Kernel {
  const k = createMachine(scenario('arch: x86_64\nnodes:\n  - { id: 0, memory: [ { start: 0, size: 4G } ] }\n'), { lean }).k;
  k.step = 3;
  return k;
}

const plain = (m: Message) => ({ level: m.level, text: m.text, site: m.site, step: m.step, ...(m.approx ? { approx: true } : {}), ...(m.run ? { count: m.run.count } : {}) });

describe('levels', () => {
  it('KERN_ERR 3, KERN_WARNING 4, KERN_NOTICE 5, KERN_INFO 6, KERN_DEBUG 7', () => {
    expect([KERN_ERR, KERN_WARNING, KERN_NOTICE, KERN_INFO, KERN_DEBUG]).toEqual([3, 4, 5, 6, 7]);
  });
  it('pr_err / pr_warn / pr_info / pr_debug log at their level, formatted, with the site and the step', () => {
    const k = kernel();
    pr_err(k, 'f.c:a', 'err %d\n', 1);
    pr_warn(k, 'f.c:b', 'warn %s\n', 'x');
    pr_info(k, 'f.c:c', 'info %#lx\n', 255);
    pr_debug(k, 'f.c:d', 'debug %lu\n', 7);
    expect(k.s.log.map(plain)).toEqual([
      { level: 3, text: 'err 1\n', site: 'f.c:a', step: 3 },
      { level: 4, text: 'warn x\n', site: 'f.c:b', step: 3 },
      { level: 6, text: 'info 0xff\n', site: 'f.c:c', step: 3 },
      { level: 7, text: 'debug 7\n', site: 'f.c:d', step: 3 },
    ]);
  });
});

describe('printk()', () => {
  it('approx marks the message; a run of one is no run', () => {
    const k = kernel();
    printk(k, KERN_INFO, 's:f', 'a\n', [], { approx: true });
    printk(k, KERN_INFO, 's:f', 'b\n', [], { run: { count: 1, nth: () => 'never\n' } });
    printk(k, KERN_INFO, 's:f', 'c\n', [], { run: { count: 3, nth: (i) => `c${i}\n` } });
    expect(k.s.log.map(plain)).toEqual([
      { level: 6, text: 'a\n', site: 's:f', step: 3, approx: true },
      { level: 6, text: 'b\n', site: 's:f', step: 3 },
      { level: 6, text: 'c\n', site: 's:f', step: 3, count: 3 },
    ]);
    expect(k.s.log[2]!.run!.nth(2)).toBe('c2\n');
  });
  it('once: the first time its key is seen only', () => {
    const k = kernel();
    printk(k, KERN_INFO, 's:f', 'one\n', [], { once: 'key' });
    printk(k, KERN_INFO, 's:f', 'two\n', [], { once: 'key' });
    printk(k, KERN_INFO, 's:f', 'three\n', [], { once: 'other' });
    expect(k.s.log.map((m) => m.text)).toEqual(['one\n', 'three\n']);
    expect([...k.s.once]).toEqual(['key', 'other']);
  });
  it('pr_warn_once / pr_err_once: one flag per call site and format (a static bool in each expansion)', () => {
    const k = kernel();
    pr_warn_once(k, 's:f', 'w %d\n', 1);
    pr_warn_once(k, 's:f', 'w %d\n', 2); // same site and format: already printed
    pr_warn_once(k, 's:f', 'v %d\n', 3); // another format at the same site: another flag
    pr_err_once(k, 's:f', 'w %d\n', 4); // pr_err_once at that site and format: the same key
    pr_err_once(k, 's:g', 'e\n');
    expect(k.s.log.map((m) => [m.level, m.text])).toEqual([[4, 'w 1\n'], [4, 'v 3\n'], [3, 'e\n']]);
    expect([...k.s.once]).toEqual(['s:f:w %d\n', 's:f:v %d\n', 's:g:e\n']);
  });
  it('lean machines format a message when it is first read, to the same text; other arguments at once', () => {
    const eager = kernel();
    const lean = kernel(true);
    for (const k of [eager, lean]) {
      printk(k, KERN_INFO, 's:f', '%s %d %#llx\n', ['a', 5, 4096n], { approx: true, run: { count: 2, nth: () => 'again\n' } });
      printk(k, KERN_INFO, 's:f', '%s\n', [{ toString: () => 'obj' }]);
    }
    expect(lean.s.log.map(plain)).toEqual(eager.s.log.map(plain));
    expect(eager.s.log[0]!.text).toBe('a 5 0x1000\n');
    // the lazy one is a class instance (its text a getter); an object argument is never deferred
    expect(Object.getPrototypeOf(lean.s.log[0]) === Object.prototype).toBe(false);
    expect(Object.getPrototypeOf(lean.s.log[1]) === Object.prototype).toBe(true);
    expect(Object.getPrototypeOf(eager.s.log[0]) === Object.prototype).toBe(true);
  });
  it('lean: deferred only when every argument is a primitive (null is one; an object or a function is not)', () => {
    const k = kernel(true);
    const deferred = (args: unknown[]) => {
      printk(k, KERN_INFO, 's:f', '%s %s\n', args);
      return Object.getPrototypeOf(k.s.log.at(-1)) !== Object.prototype;
    };
    expect([deferred(['a', null]), deferred(['a', () => 1]), deferred(['a', { x: 1 }]), deferred([1n, 'b'])]).toEqual([true, false, false, true]);
  });
});

describe('WARN()', () => {
  it('false: nothing logged, false returned', () => {
    const k = kernel();
    expect(WARN(k, false, 'mm/x.c:fn', 'never')).toBe(false);
    expect(k.s.log).toEqual([]);
  });
  it('true: the cut line, the message, the WARNING line (its CPU, line and offsets unknown: approx)', () => {
    const k = kernel();
    expect(WARN(k, true, 'mm/memory_hotplug.c:try_remove_memory', 'Altmap not fully unmapped %d', [2])).toBe(true);
    expect(k.s.log.map(plain)).toEqual([
      { level: 4, text: '------------[ cut here ]------------\n', site: 'mm/memory_hotplug.c:try_remove_memory', step: 3 },
      { level: 4, text: 'Altmap not fully unmapped 2', site: 'mm/memory_hotplug.c:try_remove_memory', step: 3 },
      { level: 4, text: 'WARNING: at mm/memory_hotplug.c try_remove_memory\n', site: 'mm/memory_hotplug.c:try_remove_memory', step: 3, approx: true },
    ]);
  });
  it('WARN_ON (no format): no message line', () => {
    const k = kernel();
    WARN(k, true, 'a.c:f', null);
    expect(k.s.log.map((m) => m.text)).toEqual(['------------[ cut here ]------------\n', 'WARNING: at a.c f\n']);
  });
  it('WARN_ONCE: once per site and format; true every time', () => {
    const k = kernel();
    expect(WARN(k, true, 'a.c:f', 'x', [], true)).toBe(true);
    expect(WARN(k, true, 'a.c:f', 'x', [], true)).toBe(true);
    expect(WARN(k, true, 'a.c:f', 'y', [], true)).toBe(true);
    expect(WARN(k, true, 'a.c:f', null, [], true)).toBe(true);
    expect(WARN(k, true, 'a.c:f', null, [], true)).toBe(true);
    expect(k.s.log.filter((m) => m.text.startsWith('WARNING')).length).toBe(3);
    expect([...k.s.once]).toEqual(['WARN:a.c:f:x', 'WARN:a.c:f:y', 'WARN:a.c:f:']);
    // without once, every time
    WARN(k, true, 'a.c:f', 'x');
    expect(k.s.log.filter((m) => m.text.startsWith('WARNING')).length).toBe(4);
  });
});

describe('renderMessage() and messageLineCount()', () => {
  const m: Message = { level: 7, text: 'l0\n', site: 's:f', step: 1, run: { count: 5, nth: (i) => `l${i}a\nl${i}b\n` } };
  it('a run written out: the first text, then each repetition (several lines each)', () => {
    expect(renderMessage(m)).toEqual(['l0', 'l1a', 'l1b', 'l2a', 'l2b', 'l3a', 'l3b', 'l4a', 'l4b']);
    expect(renderMessage({ level: 6, text: 'a\nb\n', site: 's', step: 0 })).toEqual(['a', 'b']);
    expect(renderMessage({ level: 6, text: 'no newline', site: 's', step: 0 })).toEqual(['no newline']);
  });
  it('cut at `cap` lines, whole repetitions, with how many more', () => {
    // 1 line, then repetitions of 2 until 4 lines are reached: l0 l1a l1b l2a l2b (5 >= 4), 2 left
    expect(renderMessage(m, 4)).toEqual(['l0', 'l1a', 'l1b', 'l2a', 'l2b', '[vmemlab: 2 more repetitions of the same form omitted]']);
    expect(renderMessage(m, 1)).toEqual(['l0', '[vmemlab: 4 more repetitions of the same form omitted]']);
  });
  it('messageLineCount: repetitions of a run, else 1', () => {
    expect(messageLineCount(m)).toBe(5);
    expect(messageLineCount({ level: 6, text: 'a\nb\n', site: 's', step: 0 })).toBe(1);
  });
});

describe('interleaveRuns(): a batch\'s messages back in iteration order', () => {
  const push = (k: Kernel, text: string, count: number, level = KERN_DEBUG, approx = false) =>
    printk(k, level, 's:' + text, '%s', [`${text}0\n`], { approx, run: { count, nth: (i) => `${text}${i}\n` } });
  const lines = (k: Kernel) => k.s.log.flatMap((x) => renderMessage(x, 1e6));

  it('two runs of 3 become one run of 3 iterations, each iteration\'s lines in order', () => {
    const k = kernel();
    pr_info(k, 'before', 'kept\n');
    push(k, 'a', 3);
    push(k, 'b', 6); // two lines an iteration
    interleaveRuns(k, 1, 3);
    expect(k.s.log.length).toBe(2);
    expect(plain(k.s.log[1]!)).toEqual({ level: 7, text: 'a0\nb0\nb1\n', site: 's:a', step: 3, count: 3 });
    expect(lines(k)).toEqual(['kept', 'a0', 'b0', 'b1', 'a1', 'b2', 'b3', 'a2', 'b4', 'b5']);
  });
  it('two iterations; a repetition of several lines keeps them; the first repetition is the text, not nth(0)', () => {
    const k = kernel();
    printk(k, KERN_DEBUG, 's:a', '%s', ['a0\n'], { run: { count: 2, nth: (i) => (i === 0 ? 'not read\n' : `a${i}\n`) } });
    printk(k, KERN_DEBUG, 's:b', '%s', ['b0x\nb0y\n'], { run: { count: 2, nth: (i) => `b${i}x\nb${i}y\n` } });
    interleaveRuns(k, 0, 2);
    expect(k.s.log.length).toBe(1);
    expect(lines(k)).toEqual(['a0', 'b0x', 'b0y', 'a1', 'b1x', 'b1y']);
  });
  it('one message: left as it is, whatever its count (nothing to interleave)', () => {
    const k = kernel();
    push(k, 'a', 6);
    interleaveRuns(k, 0, 3);
    expect(k.s.log.map(plain)).toEqual([{ level: 7, text: 'a0\n', site: 's:a', step: 3, count: 6 }]);
  });
  it('left as they are: one iteration, one message, levels that differ, an approx one, a count that does not divide', () => {
    const cases: [string, (k: Kernel) => void, number][] = [
      ['one iteration', (k) => { push(k, 'a', 1); push(k, 'b', 1); }, 1],
      ['one message', (k) => push(k, 'a', 3), 3],
      ['levels', (k) => { push(k, 'a', 3); push(k, 'b', 3, KERN_WARNING); }, 3],
      ['approx', (k) => { push(k, 'a', 3); push(k, 'b', 3, KERN_DEBUG, true); }, 3],
      ['count', (k) => { push(k, 'a', 3); push(k, 'b', 4); }, 3],
    ];
    for (const [what, fill, n] of cases) {
      const k = kernel();
      fill(k);
      const before = k.s.log.map(plain);
      interleaveRuns(k, 0, n);
      expect(k.s.log.map(plain), what).toEqual(before);
    }
  });
  it('a message without a run counts as one line an iteration', () => {
    const k = kernel();
    pr_debug(k, 's:x', 'x\n');
    push(k, 'a', 1);
    interleaveRuns(k, 0, 1); // one iteration: unchanged
    expect(k.s.log.length).toBe(2);
    const k2 = kernel();
    push(k2, 'a', 2);
    push(k2, 'b', 2);
    pr_debug(k2, 's:x', 'x\n'); // 1 does not divide by 2: unchanged
    interleaveRuns(k2, 0, 2);
    expect(k2.s.log.length).toBe(3);
  });
});
