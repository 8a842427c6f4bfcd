/** The vmemlab command line: outputs, exit codes (0 ok, 1 failed expectation/invariant, 2 bad input), atomic output. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotplugScenario } from '../bench/scenarios.js';

const bin = new URL('../bin/vmemlab.js', import.meta.url).pathname;
function vmemlab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = mkdtempSync(join(tmpdir(), 'vmemlab-'));

describe('vmemlab run', () => {
  it('the built-in default: a readable report, exit 0', () => {
    const r = vmemlab('run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('namespace0.0  pmem0  fsdax map=dev');
    expect(r.out).toContain('size 16,909,336,576 B');
    expect(r.out).toContain('alloc 65,536  align 510');
  });

  it('--json: schema 1, the same numbers', () => {
    const r = vmemlab('run', '--json');
    const j = JSON.parse(r.out);
    expect(j.schema).toBe(1);
    expect(j.altmaps[0]).toMatchObject({ alloc: 65536, align: 510, free: 66046 });
  });

  it('--json is byte-identical across runs', () => {
    expect(vmemlab('run', '--json').out).toBe(vmemlab('run', '--json').out);
  });

  it('--dmesg and --ptdump', () => {
    const r = vmemlab('run', '--dmesg', '--ptdump');
    expect(r.out).toContain('<7>altmap_alloc_block_buf: pfn: 0x1000200 alloc: 512 align: 510 nr: 0x200');
    expect(r.out).toContain('---[ Vmemmap ]---');
  });

  it('a bad scenario: one line naming file:line:col, exit 2, no stack trace', () => {
    const f = join(tmp, 'bad.yaml');
    writeFileSync(f, 'arch: x86_64\nnodes:\n  - id: 0\n    memory: [ { start: 0, size: 4Q } ]\n');
    const r = vmemlab('run', f);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`vmemlab: ${f}:4:33: nodes[0].memory[0].size: "4Q" has an unknown unit "Q" (use K, M, G, T or P)\n`);
    expect(r.out).toBe('');
  });

  it('a map as a map key: one line on stderr (no library warning), exit 2', () => {
    const f = join(tmp, 'ckey.yaml');
    writeFileSync(f, 'arch: x86_64\n? { a: 1 }\n: 2\n');
    const r = vmemlab('run', f);
    expect(r).toMatchObject({ code: 2, err: `vmemlab: ${f}:2:3: a map key must be a plain value, not a map or a list\n`, out: '' });
  });

  it('--kernel runs the scenario under another profile; a configuration it lacks is exit 2', () => {
    const r = vmemlab('run', '--kernel', 'v6.1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('size 16,640,901,120 B'); // 6.1.0's 128-byte reservation
    const f = join(tmp, 'va52.yaml');
    writeFileSync(f, 'arch: arm64\nconfig: { pageSize: 16K, vaBits: 52 }\nnodes:\n  - { id: 0, memory: [ { start: 0x40000000, size: 1G } ] }\n');
    const b = vmemlab('run', f, '--kernel', 'v6.6');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/^vmemlab: --kernel v6\.6: the scenario's config\.vaBits: .*\n$/);
    expect(vmemlab('run', '--kernel', 'v9')).toMatchObject({ code: 2, err: 'vmemlab: --kernel v9: unknown profile; `vmemlab kernels` lists them (or give a profile file: ./my.yaml)\n' });
  });

  it('--json with --dmesg or --ptdump: exit 2 (one JSON document)', () => {
    const r = vmemlab('run', '--json', '--dmesg');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('a missing file and an unknown flag: exit 2, one line', () => {
    const a = vmemlab('run', join(tmp, 'nope.yaml'));
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    const b = vmemlab('run', '--jsn');
    expect(b).toMatchObject({ code: 2, err: "vmemlab: unknown option '--jsn' (did you mean --json?)\n" });
  });

  it('--output: written whole, and not at all on bad input', () => {
    const out = join(tmp, 'r.json');
    expect(vmemlab('run', '--json', '-o', out).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).schema).toBe(1);
    const bad = join(tmp, 'bad2.yaml');
    writeFileSync(bad, 'arch: sparc\n');
    const out2 = join(tmp, 'r2.json');
    expect(vmemlab('run', bad, '--json', '-o', out2).code).toBe(2);
    expect(existsSync(out2)).toBe(false);
  });

  it('--paranoid gives the same report', () => {
    const ex = new URL('../examples/arm64-64k-shared-memmap-page.yaml', import.meta.url).pathname;
    const a = vmemlab('run', ex, '--json');
    expect(vmemlab('run', ex, '--json', '--paranoid')).toEqual(a);
    expect(a.out).toContain('memmap-coverage');
  });

  it('a failed expectation: exit 1', () => {
    const f = join(tmp, 'exp.yaml');
    writeFileSync(f, 'arch: x86_64\nnodes:\n  - { id: 0, memory: [ { start: 0, size: 4G } ] }\nsteps:\n  - boot\n  - expect: { step: 1, ok: false }\n');
    const r = vmemlab('run', f);
    expect(r.code).toBe(1);
    expect(r.out).toContain('expectation failed: step 1: ok is true, expected false');
  });
});

describe('vmemlab fuzz (command line)', () => {
  it('progress lines on a standard error that is not a terminal; the written reproducers reproduce', () => {
    const out = join(tmp, 'fuzz-repro');
    const r = spawnSync(process.execPath, [bin, 'fuzz', '--seed', '3', '--events', '3000', '--out', out], { encoding: 'utf8', env: { ...process.env, VMEMLAB_PROGRESS_MS: '0' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^fuzz: \d+\/3000 events, \d+ ev\/s, 0 invariant violations, \d+ predicted kernel bugs \(\d+ oopses\)$/m);
    expect(r.stdout).toMatch(/^invariant violations \(bugs in vmemmap-lab\): 0$/m);
    expect(r.stdout).toMatch(/^predicted kernel bugs \(the modelled kernel oopses, leaves memmap unmapped or leaks\): \d+, \d+ of them oopses, \d+ distinct$/m);
    const files = [...r.stdout.matchAll(/-> (\S+\.yaml) \(/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const inv = /^# vmemlab fuzz --seed 3: ([a-z-]+):/.exec(text)![1]!;
      expect(text).toContain('# a predicted kernel bug (not a vmemmap-lab bug)');
      // run names it the way fuzz did: a predicted kernel bug (exit 4), no invariant violation
      const run = vmemlab('run', f, '--json');
      expect(run.code).toBe(4);
      const j = JSON.parse(run.out);
      expect(j.invariants.violations).toEqual([]);
      if (inv === 'kernel-oops') expect(j.kernelBugs.crashed).not.toBeNull();
      else expect(j.kernelBugs.findings.map((v: { invariant: string }) => v.invariant)).toContain(inv);
    }
  }, 60_000);
});

describe('other commands', () => {
  it('kernels, arches, schema, check', () => {
    expect(vmemlab('kernels').out).toContain('v6.18');
    expect(vmemlab('arches').out).toContain('arm64');
    expect(JSON.parse(vmemlab('schema').out).title).toBe('vmemmap-lab scenario');
    expect(vmemlab('check', new URL('../examples/pmem-16g-fsdax-dev.yaml', import.meta.url).pathname)).toMatchObject({ code: 0 });
  });

  it('every arch: arches --json, size with --paging, fuzz and bad flags naming the rule', () => {
    const arches = JSON.parse(vmemlab('arches', '--json').out) as { arch: string; profiles: string[] }[];
    // the fields docs/report.md documents, and no others
    for (const a of arches) expect(Object.keys(a).sort()).toEqual(['arch', 'config', 'notes', 'profiles']);
    expect(arches.map((a) => a.arch)).toEqual(['x86_64', 'arm64', 'riscv64', 'loongarch64', 'ia64', 'powerpc64', 's390x']);
    // powerpc64 is modelled in every profile, the proposals (based on v5.6) included
    expect(arches.find((a) => a.arch === 'powerpc64')!.profiles).toEqual(['v5.6', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.1.y', 'v6.6', 'v6.12', 'v6.18', 'v7.1', 'seed-v2', 'seed-v2-fallback', 'robin-arm64']);
    const ppc = JSON.parse(vmemlab('size', 'memmap', '--size', '64G', '--arch', 'powerpc64', '--mmu', 'radix,hash', '--page-size', '64K', '--json').out) as { machine: { label: string }; memmap: { bytes: number } }[];
    expect(ppc.map((r) => r.machine.label)).toEqual(['powerpc64 radix 64K', 'powerpc64 hash 64K']);
    // 64 GiB / 64 KiB x 64 B = 64 MiB of struct pages on both MMUs
    expect(ppc.map((r) => r.memmap.bytes)).toEqual([64 * 2 ** 20, 64 * 2 ** 20]);
    // 1 TiB / 64 KiB x 64 B = 1 GiB of struct pages under v5.15 too (radix 64K, the default)
    expect(JSON.parse(vmemlab('size', 'memmap', '--size', '1T', '--arch', 'powerpc64', '--kernel', 'v5.15', '--json').out).memmap.bytes).toBe(2 ** 30);
    expect(vmemlab('fuzz', '--arch', 'powerpc64', '--kernel', 'v5.15', '--events', '10', '--out', join(tmp, 'fz-ppc'))).toMatchObject({ code: 0 });
    // ia64 was removed in v6.7: the profiles up to v6.6 and the proposals (based on v5.6) have it
    expect(arches.find((a) => a.arch === 'ia64')!.profiles).toEqual(['v5.6', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.1.y', 'v6.6', 'seed-v2', 'seed-v2-fallback', 'robin-arm64']);
    // s390x has SPARSEMEM_VMEMMAP in every profile (forced by arch/s390/Kconfig up to v6.14, generic after)
    expect(arches.find((a) => a.arch === 's390x')!.profiles).toEqual(['v5.6', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.1.y', 'v6.6', 'v6.12', 'v6.18', 'v7.1', 'seed-v2', 'seed-v2-fallback', 'robin-arm64']);
    // LoongArch has a vmemmap from v6.2: the v6.6 profile is its first
    expect(arches.find((a) => a.arch === 'loongarch64')!.profiles).toEqual(['v6.6', 'v6.12', 'v6.18', 'v7.1']);
    const rows = JSON.parse(vmemlab('size', 'memmap', '--size', '1T', '--arch', 'riscv64', '--paging', 'sv39,sv48', '--json').out) as { machine: { label: string } }[];
    expect(rows.map((r) => r.machine.label)).toEqual(['riscv64 sv39', 'riscv64 sv48']);
    expect(vmemlab('size', 'memmap', '--size', '1T', '--arch', 'riscv64', '--paging', 'sv64')).toMatchObject({ code: 2, err: 'vmemlab: --paging sv64: expected sv39 or sv48 or sv57\n' });
    expect(vmemlab('size', 'memmap', '--size', '1T', '--arch', 'loongarch64', '--kernel', 'v6.1')).toMatchObject({ code: 2, err: 'vmemlab: --arch: loongarch64 has no SPARSEMEM_VMEMMAP in v6.1 (it arrived in v6.2)\n' });
    // s390x --no-edat: 1 TiB = 16 GiB of memmap in 4 KiB pages, 16 GiB / 1 MiB = 16384 page tables
    // of 2 KiB (8192 pages) under 8 segment tables (16 KiB: 32 pages); with EDAT-1 no page tables
    const s390 = JSON.parse(vmemlab('size', 'memmap', '--size', '1T', '--arch', 's390x', '--no-edat', '--json').out) as { machine: { label: string }; pageTablePages: { byLevel: Record<string, number> } };
    expect([s390.machine.label, s390.pageTablePages.byLevel]).toEqual(['s390x no EDAT', { pmd: 32, pte: 8192 }]);
    expect(vmemlab('fuzz', '--arch', 'loongarch64', '--kernel', 'v6.1', '--events', '10', '--out', join(tmp, 'fz-la'))).toMatchObject({ code: 2, err: 'vmemlab: --arch loongarch64: it has no SPARSEMEM_VMEMMAP in v6.1 (it arrived in v6.2)\n' });
    const fz = vmemlab('fuzz', '--arch', 'riscv64', '--events', '300', '--seed', '5', '--out', join(tmp, 'fz-rv'));
    expect(fz.code).toBe(0);
    expect(fz.out).toContain('invariant violations (bugs in vmemmap-lab): 0');
  });
});

describe('vmemlab conformance (flag checks; the live run is conformance/live-smoke.sh)', () => {
  it('a missing kernel image, a bad arch, a bad timeout, an unknown profile: exit 2, one line', () => {
    expect(vmemlab('conformance', '--kernel-image', join(tmp, 'nope'))).toMatchObject({ code: 2, err: `vmemlab: --kernel-image ${join(tmp, 'nope')}: no such file or directory\n` });
    const img = join(tmp, 'bzImage');
    writeFileSync(img, 'not really');
    expect(vmemlab('conformance', '--kernel-image', img, '--arch', 'riscv')).toMatchObject({ code: 2, err: 'vmemlab: --arch riscv: must be x86_64 or arm64\n' });
    expect(vmemlab('conformance', '--kernel-image', img, '--timeout', '0')).toMatchObject({ code: 2, err: 'vmemlab: --timeout 0: must be a positive whole number of seconds\n' });
    expect(vmemlab('conformance', '--kernel-image', img, '--kernel', 'v9.9')).toMatchObject({ code: 2, err: 'vmemlab: --kernel v9.9: no such profile (vmemlab kernels lists them)\n' });
    expect(vmemlab('conformance').code).toBe(2);
  });
});

describe('a closed output pipe (`vmemlab ... | head -1`)', () => {
  /* The reader is gone before (or while) the command writes: exit 0, nothing on stderr. */
  function closedPipe(args: string[], afterFirstChunk: boolean): Promise<{ code: number | null; err: string }> {
    return new Promise((done) => {
      const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => { err += d; });
      if (afterFirstChunk) c.stdout.once('data', () => c.stdout.destroy());
      else c.stdout.destroy();
      c.on('close', (code) => done({ code, err }));
    });
  }
  const pmem = new URL('../examples/pmem-16g-fsdax-dev.yaml', import.meta.url).pathname;
  const cmds = [['run'], ['run', '--json'], ['run', '--dmesg', '--ptdump'], ['kernels'], ['arches'], ['schema'], ['check', pmem], ['matrix'],
    ['compare', pmem, '--kernel', 'v5.6,v6.18'], ['fuzz', '--events', '30', '--out', join(tmp, 'fz')], ['--help'], ['run', '--help']];
  for (const args of cmds) {
    it(args.join(' '), async () => {
      expect(await closedPipe(args, false)).toEqual({ code: 0, err: '' });
    });
  }
  it('a long --json report, the reader leaving after the first chunk', async () => {
    const f = join(tmp, 'long.yaml');
    writeFileSync(f, hotplugScenario(300));
    expect(await closedPipe(['run', f, '--json'], true)).toEqual({ code: 0, err: '' });
  });
});
