/**
 * src/kernel/params.ts: the kernel command line per release, in-process (the CLI tests that
 * also cover some of this spawn the built command line, which mutation testing cannot see).
 * Each case names the kernel code it follows.
 */
import { describe, expect, it } from 'vitest';
import { kstrtobool, parseCmdline } from '../src/kernel/params.js';
import { findProfile } from '../src/kernels/index.js';
import { run } from './helpers.js';

const P = (id: string) => findProfile(id)!;
const parse = (id: string, line: string) => parseCmdline(P(id), line);

describe('kstrtobool() (lib/kstrtox.c): the letters per release', () => {
  it('y/n/1/0 and on/off everywhere; only the first two characters count', () => {
    for (const letters of ['yn', 'tf', 'tfed'] as const) {
      for (const s of ['y', 'Y', '1', 'yes', 'on', 'ON', 'oN', 'On', 'onwards']) expect(kstrtobool(s, letters), `${letters} ${s}`).toBe(true);
      for (const s of ['n', 'N', '0', 'no', 'off', 'OFF', 'oF', 'Of', 'offset']) expect(kstrtobool(s, letters), `${letters} ${s}`).toBe(false);
      // "o" alone or followed by anything but n/N/f/F: -EINVAL
      for (const s of ['', 'o', 'O', 'ox', 'x', '2']) expect(kstrtobool(s, letters), `${letters} "${s}"`).toBeNull();
      // the second character matters only after an o: "xn", "2F" are not "on", "of"
      for (const s of ['xn', 'XN', '2f', '-F']) expect(kstrtobool(s, letters), `${letters} "${s}"`).toBeNull();
    }
  });

  it('t/f from v6.1, e/d from v6.18 ("enable"/"disable")', () => {
    expect(['t', 'T', 'true', 'f', 'F', 'e', 'E', 'd', 'D'].map((s) => kstrtobool(s, 'yn'))).toEqual([null, null, null, null, null, null, null, null, null]);
    expect(['t', 'T', 'true', 'f', 'F', 'e', 'E', 'd', 'D'].map((s) => kstrtobool(s, 'tf'))).toEqual([true, true, true, false, false, null, null, null, null]);
    expect(['t', 'T', 'true', 'f', 'F', 'e', 'E', 'd', 'D'].map((s) => kstrtobool(s, 'tfed'))).toEqual([true, true, true, false, false, true, true, false, false]);
    // the letters default to the newest kernel's
    expect([kstrtobool('enable'), kstrtobool('disable')]).toEqual([true, false]);
    // "force" starts with f: false where f is a letter, -EINVAL before (set_memmap_mode() tests "force" first)
    expect([kstrtobool('force', 'yn'), kstrtobool('force', 'tf')]).toEqual([null, false]);
  });
});

describe('memhp_default_state= (setup_memhp_default_state, __setup)', () => {
  it('v5.6 knows online and offline; online_kernel/online_movable arrived in v5.9', () => {
    expect(parse('v5.6', 'memhp_default_state=online').cmdline.onlineType).toBe('online');
    const r = parse('v5.6', 'memhp_default_state=online_movable');
    expect(r.cmdline.onlineType).toBe(P('v5.6').defaultOnlineType);
    expect(r.absent).toEqual([{ param: 'memhp_default_state=online_movable', why: 'memhp_default_state=online_movable does not exist in v5.6: only online and offline before v5.9' }]);
    expect(parse('v6.18', 'memhp_default_state=online_kernel').cmdline.onlineType).toBe('online_kernel');
    // "offline" is a name in both: taken, not ignored
    for (const id of ['v5.6', 'v6.18']) {
      const off = parse(id, 'memhp_default_state=online memhp_default_state=offline');
      expect([off.cmdline.onlineType, off.ignored, off.absent], id).toEqual(['offline', [], []]);
    }
    expect(parse('v5.6', 'memhp_default_state=online_kernel').absent).toEqual([{ param: 'memhp_default_state=online_kernel', why: 'memhp_default_state=online_kernel does not exist in v5.6: only online and offline before v5.9' }]);
    // an unknown value is ignored (the handler returns 1 without changing anything)
    const bad = parse('v6.18', 'memhp_default_state=bogus memhp_default_state');
    expect(bad.cmdline.onlineType).toBe(P('v6.18').defaultOnlineType);
    expect(bad.ignored).toEqual(['memhp_default_state=bogus', 'memhp_default_state']);
  });
});

describe('memory_hotplug.memmap_on_memory=', () => {
  const invalid = (val: string) => ({ level: 3, site: 'kernel/params.c:parse_args', text: `Booting kernel: \`${val}' invalid for parameter \`memory_hotplug.memmap_on_memory'\n` });

  it('absent before v5.13 (a08a2ae34613)', () => {
    const r = parse('v5.10', 'memory_hotplug.memmap_on_memory=1');
    expect(r.cmdline.memmapOnMemory).toBe('off');
    expect(r.absent).toEqual([{ param: 'memory_hotplug.memmap_on_memory=1', why: 'memory_hotplug.memmap_on_memory does not exist in v5.10: it arrived in v5.13 (a08a2ae34613)' }]);
  });

  it('v5.13..v6.5 module_param(bool): no value means 1; param_set_bool() refuses what kstrtobool() does', () => {
    expect(P('v5.15').memmapOnMemory).toBe('v5.13');
    expect(parse('v5.15', 'memory_hotplug.memmap_on_memory').cmdline.memmapOnMemory).toBe('on');
    expect(parse('v5.15', 'memory_hotplug.memmap_on_memory=off').cmdline.memmapOnMemory).toBe('off');
    const f = parse('v5.15', 'memory_hotplug.memmap_on_memory=force');
    expect(f.cmdline.memmapOnMemory).toBe('off');
    expect(f.cmdline.messages).toEqual([invalid('force')]);
  });

  it('v6.6+ set_memmap_mode(): "force"/"FORCE", else kstrtobool; no value is -EINVAL', () => {
    for (const id of ['v6.6', 'v6.18']) {
      expect(parse(id, 'memory_hotplug.memmap_on_memory=FORCE').cmdline.memmapOnMemory).toBe('force');
      expect(parse(id, 'memory_hotplug.memmap_on_memory=on').cmdline.memmapOnMemory).toBe('on');
      expect(parse(id, 'memory_hotplug.memmap_on_memory=0').cmdline.memmapOnMemory).toBe('off');
      const none = parse(id, 'memory_hotplug.memmap_on_memory');
      expect([none.cmdline.memmapOnMemory, none.cmdline.messages]).toEqual(['off', [invalid('')]]);
      expect(parse(id, 'memory_hotplug.memmap_on_memory=maybe').cmdline.messages).toEqual([invalid('maybe')]);
    }
  });

  it('an arch without CONFIG_MHP_MEMMAP_ON_MEMORY has no such parameter', () => {
    const r = parseCmdline(P('v6.18'), 'memory_hotplug.memmap_on_memory=1', { memmapOnMemory: 'no ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE' });
    expect(r.cmdline.memmapOnMemory).toBe('off');
    expect(r.absent).toEqual([{ param: 'memory_hotplug.memmap_on_memory=1', why: 'memory_hotplug.memmap_on_memory does not exist here: no ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE' }]);
    // ... and only that parameter: the others parse as anywhere
    const other = parseCmdline(P('v6.18'), 'quiet hugetlb_free_vmemmap=on', { memmapOnMemory: 'no ARCH_MHP_MEMMAP_ON_MEMORY_ENABLE' });
    expect([other.ignored, other.absent, other.cmdline.hugetlbFreeVmemmap]).toEqual([['quiet'], [], true]);
  });

  it('v6.6+ force: set_memmap_mode() says at boot how many pages each block wastes', () => {
    // x86 128 MiB blocks: 32768 pages x 64 B = 512 pages of memmap; force rounds up to a
    // pageblock (512 pages on x86): nothing wasted. arm64 4K the same; arm64 64K, 512 MiB blocks:
    // 8192 x 64 B = 8 pages, rounded up to a 8192-page pageblock: 8184 wasted.
    const yaml = (arch: string) => `
arch: ${arch}
${arch === 'arm64' ? 'config: { pageSize: 64K }' : ''}
cmdline: memory_hotplug.memmap_on_memory=force
nodes:
  - { id: 0, memory: [ { start: 1G, size: 4G } ] }
`;
    const lines = (arch: string) => run(yaml(arch)).results[0]!.dmesg.filter((m) => m.site === 'mm/memory_hotplug.c:set_memmap_mode').map((m) => [m.level, m.text]);
    expect(lines('x86_64')).toEqual([[6, 'Memory hotplug will waste 0 pages in each memory block\n']]);
    expect(lines('arm64')).toEqual([[6, 'Memory hotplug will waste 8184 pages in each memory block\n']]);
  });
});

describe('hugetlb_free_vmemmap=', () => {
  it('absent before v5.14', () => {
    const r = parse('v5.10', 'hugetlb_free_vmemmap=on');
    expect(r.cmdline.hugetlbFreeVmemmap).toBe(false);
    expect(r.absent).toEqual([{ param: 'hugetlb_free_vmemmap=on', why: 'hugetlb_free_vmemmap does not exist in v5.10: it arrived in v5.14 with the HugeTLB vmemmap optimisation' }]);
  });

  it('v5.15 early_param: exactly "on" or "off", anything else ignored silently', () => {
    expect(P('v5.15').hvoParam).toBe('onoff');
    expect(parse('v5.15', 'hugetlb_free_vmemmap=on').cmdline.hugetlbFreeVmemmap).toBe(true);
    expect(parse('v5.15', 'hugetlb_free_vmemmap=on hugetlb_free_vmemmap=off').cmdline.hugetlbFreeVmemmap).toBe(false);
    const y = parse('v5.15', 'hugetlb_free_vmemmap=1');
    expect([y.cmdline.hugetlbFreeVmemmap, y.ignored, y.cmdline.messages]).toEqual([false, ['hugetlb_free_vmemmap=1'], []]);
  });

  it('v6.1..v6.12 core_param(bool): no value means on; a bad value is "invalid for parameter"', () => {
    expect(P('v6.12').hvoParam).toBe('bool');
    expect(parse('v6.12', 'hugetlb_free_vmemmap').cmdline.hugetlbFreeVmemmap).toBe(true);
    expect(parse('v6.1', 'hugetlb_free_vmemmap=Y').cmdline.hugetlbFreeVmemmap).toBe(true);
    const bad = parse('v6.12', 'hugetlb_free_vmemmap=sometimes');
    expect([bad.cmdline.hugetlbFreeVmemmap, bad.cmdline.messages]).toEqual([false, [{ level: 3, site: 'kernel/params.c:parse_args', text: "Booting kernel: `sometimes' invalid for parameter `hugetlb_free_vmemmap'\n" }]]);
  });

  it('v6.18 early_param with kstrtobool: no value is "Malformed early option"', () => {
    expect(P('v6.18').hvoParam).toBe('kstrtobool');
    expect(parse('v6.18', 'hugetlb_free_vmemmap=enable').cmdline.hugetlbFreeVmemmap).toBe(true);
    const none = parse('v6.18', 'hugetlb_free_vmemmap');
    expect([none.cmdline.hugetlbFreeVmemmap, none.cmdline.messages]).toEqual([false, [{ level: 4, site: 'init/main.c:do_early_param', text: "Malformed early option 'hugetlb_free_vmemmap'\n" }]]);
    expect(parse('v6.18', 'hugetlb_free_vmemmap=bogus').cmdline.messages).toEqual([{ level: 4, site: 'init/main.c:do_early_param', text: "Malformed early option 'hugetlb_free_vmemmap'\n" }]);
  });
});

describe('hugepagesz= / hugepages= / default_hugepagesz= (mm/hugetlb.c)', () => {
  it('memparse() sizes (lib/cmdline.c: binary K/M/G/T/P/E, decimal or 0x); a hugepages= applies to the hugepagesz= before it', () => {
    const r = parse('v6.18', 'hugepagesz=1G hugepages=4 hugepagesz=2m hugepages=16x default_hugepagesz=0x200000 hugepages=3');
    expect(r.cmdline.hugepages).toEqual([
      { size: 2 ** 30, count: 4, node: null, text: 'hugepages=4', sizeText: '1G' },
      { size: 2 ** 21, count: 16, node: null, text: 'hugepages=16x', sizeText: '2m' },
      { size: 2 ** 21, count: 3, node: null, text: 'hugepages=3', sizeText: '2m' },
    ]);
    expect(r.cmdline.defaultHugepagesz).toBe(2 ** 21);
    // the values as typed, for the kernel's "unsupported hugepagesz=%s" messages
    expect(r.cmdline.defaultHugepageszText).toBe('0x200000');
    expect(r.ignored).toEqual([]);
    // memparse() reads from the start: a leading letter is no size
    expect(parse('v6.18', 'hugepagesz=x2M').ignored).toEqual(['hugepagesz=x2M']);
    for (const [v, n] of [['4k', 2 ** 12], ['1T', 2 ** 40], ['1p', 2 ** 50], ['1E', 2 ** 60], ['4096', 4096]] as const) expect(parse('v6.18', `default_hugepagesz=${v}`).cmdline.defaultHugepagesz, v).toBe(n);
    // a size memparse() cannot read: the parameter is ignored (the count then goes to size 0: the default)
    const bad = parse('v6.18', 'hugepagesz=2Q hugepages=1 hugepagesz');
    expect(bad.ignored).toEqual(['hugepagesz=2Q', 'hugepagesz']);
    expect(Number.isNaN(bad.cmdline.hugepages[0]!.size)).toBe(true);
    expect(parse('v6.18', 'hugepages').ignored).toEqual(['hugepages']);
  });

  /*
   * v6.1+ hugepages_setup(): node format when the first number is followed by ':'; "N:M" pairs
   * separated by ','; anything else after the first number ends the parse (kept). At the first
   * unreadable point: pr_warn("HugeTLB: Invalid hugepages parameter %s\n", p) - p is the rest of
   * the string from there - and hugepages_clear_pages_in_node() drops every count it gave.
   */
  it('hugepages=<node>:<count>,... from v6.1; at the first bad part the rest is printed and nothing is kept', () => {
    const r = parse('v6.1', 'hugepagesz=2M hugepages=0:4,1:2');
    expect(r.cmdline.hugepages).toEqual([
      { size: 2 ** 21, count: 4, node: 0, text: 'hugepages=0:4,1:2', sizeText: '2M' },
      { size: 2 ** 21, count: 2, node: 1, text: 'hugepages=0:4,1:2', sizeText: '2M' },
    ]);
    const warn = (rest: string) => [{ level: 4, site: 'mm/hugetlb.c:hugepages_setup', text: `HugeTLB: Invalid hugepages parameter ${rest}\n` }];
    for (const [val, rest] of [['0:4,x:1', 'x:1'], ['0:x', 'x'], ['0:4,7', '7'], ['x', 'x']] as const) {
      const bad = parse('v6.18', `hugepages=${val}`);
      expect([bad.cmdline.hugepages, bad.cmdline.messages], val).toEqual([[], warn(rest)]);
    }
    // a plain first number: the count, whatever follows; trailing text after a pair ends the list
    expect(parse('v6.18', 'hugepages=4,0:1').cmdline.hugepages).toEqual([{ size: 0, count: 4, node: null, text: 'hugepages=4,0:1' }]);
    expect(parse('v6.18', 'hugepages=0:4x,1:1').cmdline.hugepages).toEqual([{ size: 0, count: 4, node: 0, text: 'hugepages=0:4x,1:1' }]);
    expect(parse('v6.18', 'hugepages=').cmdline).toMatchObject({ hugepages: [], messages: [] });
    // multi-digit numbers; a trailing ',' ends the list (nothing left to read); a count must start right after ':'
    expect(parse('v6.18', 'hugepages=10:12,').cmdline).toMatchObject({ hugepages: [{ size: 0, count: 12, node: 10, text: 'hugepages=10:12,' }], messages: [] });
    expect(parse('v6.18', 'hugepages=0:x5').cmdline).toMatchObject({ hugepages: [], messages: warn('x5') });
    // v5.15 has no node syntax: "0:4" reads as the count 0 (simple_strtoul stops at ':')
    expect(parse('v5.15', 'hugepages=0:4').cmdline.hugepages).toEqual([{ size: 0, count: 0, node: null, text: 'hugepages=0:4' }]);
    // ... and a value that does not start with a number is 0
    expect(parse('v5.15', 'hugepages=x5').cmdline.hugepages).toEqual([{ size: 0, count: 0, node: null, text: 'hugepages=x5' }]);
  });
});

it('anything else is kept as ignored, in order; empty tokens are skipped', () => {
  expect(parse('v6.18', '  quiet  console=ttyS0 mem=4G ').ignored).toEqual(['quiet', 'console=ttyS0', 'mem=4G']);
});
