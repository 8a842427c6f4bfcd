/**
 * `vmemlab snapshot`, `import`, `verify`: the collector on this (real) machine and under
 * busybox alone, snapshots of real machines committed as fixtures, and bad or foreign input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSnapshot, nearestProfile, parseScenario, parseSnapshot, runScenarioText, SnapshotError, verifySnapshot } from '../src/index.js';
import { leafCounts } from '../src/machine/verify.js';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/vmemlab.js');
const collector = join(root, 'snapshot/collect.sh');
const fixtures = join(root, 'test/fixtures/snapshots');
const tmp = mkdtempSync(join(tmpdir(), 'vmemlab-snap-'));
function vmemlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const fixture = (name: string) => parseSnapshot(name, readFileSync(join(fixtures, name), 'utf8'));

describe('snapshots of real machines (fixtures)', () => {
  it('an x86_64 6.18 VM, as root: boot memory from the kernel\'s own node ranges, trimmed to pages; verify agrees', () => {
    const s = fixture('x86_64-6.18-vm-root.snap');
    expect(s.root).toBe(true);
    expect(s.earlyNodeRanges).toEqual([{ node: 0, start: 0x1000, end: 0x9f000 }, { node: 0, start: 0x100000, end: 0xc0000000 }, { node: 0, start: 0x100000000, end: 0x640000000 }]);
    const imp = importSnapshot(s);
    expect(imp.kernel.id).toBe('v6.18');
    const sc = parseScenario('imported.yaml', imp.yaml);
    expect(sc.config).toMatchObject({ levels: 4, pse: true, gbpages: true, hypervisor: true });
    expect(sc.nodes[0]!.memory).toEqual([{ start: 0x1000, size: 0x9e000 }, { start: 0x100000, size: 0xbff00000 }, { start: 0x100000000, size: 0x540000000 }]);
    const v = verifySnapshot(s);
    expect(v.agree).toBe(true);
    const byWhat = Object.fromEntries(v.checks.map((c) => [c.what, c]));
    expect(byWhat['memory block size']).toMatchObject({ status: 'agree', model: '128 MiB' });
    expect(byWhat['memory blocks']).toMatchObject({ status: 'agree', model: '192' });
    expect(byWhat['boot line "x86/mm: Memory block size: 128MB"']!.status).toBe('agree');
    expect(byWhat['boot line "HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page"']!.status).toBe('agree');
    expect(byWhat['vmemmap page tables']!.status).toBe('not compared');
  });

  it('the same VM without root: addresses hidden and dmesg restricted, so boot memory comes from /sys/firmware/memmap, and the import says so', () => {
    const s = fixture('x86_64-6.18-vm-nonroot.snap');
    expect(s.root).toBe(false);
    expect(s.iomem).toBeNull();
    expect(s.unreadable).toMatchObject({ iomem: expect.stringMatching(/hides its addresses/), 'boot-log': expect.stringMatching(/dmesg not permitted/) });
    const imp = importSnapshot(s);
    expect(imp.notes.join('\n')).toMatch(/\/sys\/firmware\/memmap/);
    expect(verifySnapshot(s).agree).toBe(true);
  });

  it('a verify difference is reported with both values (a machine whose block size the model would not pick)', () => {
    const text = readFileSync(join(fixtures, 'x86_64-6.18-vm-root.snap'), 'utf8').replace('block_size_bytes=8000000', 'block_size_bytes=80000000');
    const v = verifySnapshot(parseSnapshot('edited.snap', text));
    expect(v.agree).toBe(false);
    expect(v.checks.find((c) => c.what === 'memory block size')).toMatchObject({ status: 'differ', model: '128 MiB', machine: '2 GiB' });
  });

  it('the JSON form reads back the same', () => {
    const s = fixture('x86_64-6.18-vm-root.snap');
    expect(parseSnapshot('s.json', JSON.stringify(s))).toEqual(s);
  });
});

describe('vmemmap leaf entries from a debugfs page-table dump', () => {
  it('counts present entries only: the not-present ranges ptdump lists (no attributes) are not leaves', () => {
    // the arm64 64K kernel of the conformance cases (6.12.118, PTDUMP_DEBUGFS) at boot: 40 vmemmap
    // pages mapped (512K + 2M = 40 x 64K PTEs); the 512K, 509M and 4062720M lines are holes
    const arm = [
      '---[ vmemmap start ]---',
      '0xfffffc1fc0000000-0xfffffc1fc0080000         512K PTE       RW NX SHD AF            UXN    MEM/NORMAL',
      '0xfffffc1fc0080000-0xfffffc1fc0100000         512K PTE',
      '0xfffffc1fc0100000-0xfffffc1fc0300000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL',
      '0xfffffc1fc0300000-0xfffffc1fe0000000         509M PTE',
      '0xfffffc1fe0000000-0xffffffffc0000000     4062720M PMD',
      '---[ vmemmap end ]---',
    ];
    expect(leafCounts(arm, 65536)).toEqual({ pmd: 0, pte: 40 });
    // x86 (4K): a 64M run of present 2M pmd leaves (32) and a hole printed with blanks
    const x86 = [
      '0xffffea0000000000-0xffffea0004000000          64M     RW         PSE         GLB NX pmd',
      '0xffffea0004000000-0xffffea0040000000         960M                                    pmd',
    ];
    expect(leafCounts(x86, 4096)).toEqual({ pmd: 32, pte: 0 });
  });
});

describe('the kernel profile nearest to a release', () => {
  it.each([
    ['6.18.44-fc-v1300', 'v6.18', /is a 6\.18 kernel/],
    ['6.1.5', 'v6.1', /is a 6\.1 kernel/],
    ['6.1.0-37-amd64', 'v6.1', /is a 6\.1 kernel/],
    ['6.1.192', 'v6.1.y', /MAX_STRUCT_PAGE_SIZE 64/],
    ['6.14.2-arch1', 'v6.12', /no 6\.14 profile; the newest older one is v6\.12/],
    ['5.4.0-150-generic', 'v5.6', /older than every modelled release/],
    ['7.3.1', 'v7.1', /no 7\.3 profile/],
  ])('%s -> %s', (release, id, why) => {
    const p = nearestProfile(release);
    expect(p.id).toBe(id);
    expect(p.why).toMatch(why);
  });
});

describe('bad or foreign snapshots: one line, exit 2', () => {
  const good = readFileSync(join(fixtures, 'x86_64-6.18-vm-root.snap'), 'utf8');
  const cases: [string, string, RegExp][] = [
    ['truncated.snap', good.slice(0, 3000), /truncated: no "vmemlab-snapshot end"/],
    ['future.snap', good.replace('vmemlab-snapshot 1\n', 'vmemlab-snapshot 2\n'), /snapshot format 2 is not supported/],
    ['other.txt', 'hello\n', /line 1: not a vmemlab snapshot/],
    ['cut.json', JSON.stringify(parseSnapshot('x', good)).slice(0, 500), /not valid JSON/],
    ['v9.json', JSON.stringify({ ...parseSnapshot('x', good), version: 9 }), /format 9 is not supported/],
    ['i686.snap', good.replace('\nx86_64\n===== END uname', '\ni686\n===== END uname'), /arch "i686" is not modelled.*32-bit/],
    ['s390x.snap', good.replace('\nx86_64\n===== END uname', '\ns390x\n===== END uname'), /arch "s390x" is not modelled \(x86_64, arm64, riscv64 and loongarch64 are\)/],
    ['nomem.snap', good.replace(/===== BEGIN boot-log =====[\s\S]*?===== END boot-log =====\n/, '').replace(/===== BEGIN iomem =====[\s\S]*?===== END iomem =====\n/, '').replace(/===== BEGIN firmware-memmap =====[\s\S]*?===== END firmware-memmap =====\n/, ''), /no memory map is readable/],
  ];
  for (const [name, text, rule] of cases) {
    it(name, () => {
      writeFileSync(join(tmp, name), text);
      const r = vmemlab('verify', name);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(rule);
      expect(r.out).toBe('');
    });
  }
  it('a machine with no memory block devices: import works, verify says it could not compare them', () => {
    const text = good.replace(/===== BEGIN memory-blocks =====[\s\S]*?===== END memory-blocks =====\n/, '===== UNREADABLE memory-blocks: no /sys/devices/system/memory (no memory hotplug in this kernel) =====\n');
    const s = parseSnapshot('noblocks.snap', text);
    expect(s.memory).toBeNull();
    expect(() => importSnapshot(s)).not.toThrow();
    expect(verifySnapshot(s).checks.find((c) => c.what === 'memory blocks')).toMatchObject({ status: 'not compared', why: expect.stringMatching(/no memory hotplug/) });
  });
  it('riscv64 and loongarch64 snapshots: the paging mode from /proc/cpuinfo, the layout assumed and said', () => {
    const rv = good.replace('\nx86_64\n===== END uname', '\nriscv64\n===== END uname')
      .replace('===== BEGIN user =====', '===== BEGIN cpummu =====\nmmu\t\t: sv48\n===== END cpummu =====\n===== BEGIN user =====');
    const s = parseSnapshot('rv.snap', rv);
    expect(s.mmu).toBe('sv48');
    const imp = importSnapshot(s);
    expect(imp.scenario).toMatchObject({ arch: 'riscv64', config: { mode: 'sv48' } });
    // the same snapshot without the mmu line (a collector older than riscv support): sv39 and a note
    const old = importSnapshot(parseSnapshot('rv-old.snap', rv.replace(/===== BEGIN cpummu =====[\s\S]*?===== END cpummu =====\n/, '')));
    expect(old.scenario).toMatchObject({ config: { mode: 'sv39' } });
    expect(old.notes.join('\n')).toContain('riscv64 paging mode not in the snapshot (no mmu line in /proc/cpuinfo): sv39 assumed');
    const la = importSnapshot(parseSnapshot('la.snap', good.replace('\nx86_64\n===== END uname', '\nloongarch64\n===== END uname').replace(/===== BEGIN pagesize =====\n4096/, '===== BEGIN pagesize =====\n16384')));
    expect(la.scenario).toMatchObject({ arch: 'loongarch64', config: { pageSize: '16K', levels: 3 } });
    expect(la.notes.join('\n')).toContain('loongarch64 page-table levels are not in a snapshot: 3 assumed');
  });
  it('import --json: the scenario object, kernel and notes the YAML is made of', () => {
    const file = join(fixtures, 'x86_64-6.18-vm-root.snap');
    const r = vmemlab('import', '--json', file);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const lib = importSnapshot(parseSnapshot(file, readFileSync(file, 'utf8')));
    expect(j).toEqual({ scenario: lib.scenario, kernel: lib.kernel, notes: lib.notes, hotAdded: lib.hotAdded });
    expect(j.notes.length).toBeGreaterThan(0);
    expect(parseScenario('import.json', JSON.stringify(j.scenario))).toBeTruthy();
    const y = vmemlab('import', file);
    for (const n of j.notes) expect(y.out).toContain(n.split('\n')[0]);
  });
  it('SnapshotError is what the library throws', () => {
    expect(() => parseSnapshot('x', 'nope')).toThrow(SnapshotError);
  });
});

const canRead = existsSync('/proc/iomem') && existsSync('/sys/devices/system/memory/block_size_bytes');
describe.skipIf(!canRead)('this machine (a real Linux machine)', () => {
  it('vmemlab snapshot && vmemlab verify snapshot.json: agrees; import gives a scenario that runs', () => {
    const s = vmemlab('snapshot');
    expect(s.code).toBe(0);
    expect(s.err).toMatch(/snapshot of .* written to snapshot\.json/);
    const v = vmemlab('verify', 'snapshot.json');
    expect(v.out).toMatch(/^agrees: \d+ check\(s\) agree/m);
    expect(v.code).toBe(0);
    const i = vmemlab('import', 'snapshot.json', '-o', 'machine.yaml');
    expect(i.code).toBe(0);
    const r = runScenarioText('machine.yaml', readFileSync(join(tmp, 'machine.yaml'), 'utf8'));
    expect(r.results.every((x) => x.ok)).toBe(true);
  });

  it('the collector runs under busybox alone and reads the same memory blocks', () => {
    const bb = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
    if (!bb) {
      console.log('skipped: busybox is not installed here (apt-get install busybox-static)');
      return;
    }
    const dir = join(tmp, 'bb');
    mkdirSync(dir);
    const list = spawnSync(bb, ['--list'], { encoding: 'utf8' }).stdout.trim().split('\n');
    for (const a of list) symlinkSync(bb, join(dir, a));
    expect(readdirSync(dir)).toContain('awk');
    const only = spawnSync(bb, ['sh', collector], { encoding: 'utf8', env: { PATH: dir } });
    expect(only.status).toBe(0);
    const withSh = spawnSync('/bin/sh', [collector], { encoding: 'utf8' });
    const a = parseSnapshot('busybox', only.stdout);
    const b = parseSnapshot('sh', withSh.stdout);
    expect(a.memory).toEqual(b.memory);
    expect(a.kernel).toEqual(b.kernel);
    expect(a.pageSize).toBe(b.pageSize);
    expect(a.earlyNodeRanges).toEqual(b.earlyNodeRanges);
  });
});

describe('vmemlab snapshot --script', () => {
  it('prints the collector itself', () => {
    expect(vmemlab('snapshot', '--script').out).toBe(readFileSync(collector, 'utf8'));
  });
});
