#!/usr/bin/env node
// Compare the riscv64 boot recordings (recordings/<case>/console.log) with the model run on
// cases/<case>.yaml. Not part of the test suite: a hand check, see docs/conformance-riscv.md.
//   node conformance/riscv/compare.mjs [--md] [CASE...]
// VMEMLAB_BIN: the model's CLI (default: bin/vmemlab.js of this checkout).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const md = args.includes('--md');
const summary = args.includes('--summary');
const names = args.filter((a) => !a.startsWith('--'));
const bin = process.env.VMEMLAB_BIN ?? join(here, '../../bin/vmemlab.js');

const MiB = 1n << 20n;
const ERRNO = { '-6': 'ENXIO', '-12': 'ENOMEM', '-16': 'EBUSY', '-17': 'EEXIST', '-22': 'EINVAL', '-95': 'EOPNOTSUPP' };
const hex = (v) => '0x' + BigInt(v).toString(16);

/** the sections of a console.log: name -> text */
function sections(text, snap = '0-boot') {
  const out = {};
  const re = new RegExp(`^===== BEGIN ${snap} (\\S+) =====\\n([\\s\\S]*?)^===== END ${snap} \\1 \\(rc=(-?\\d+)\\) =====$`, 'gm');
  for (const m of text.matchAll(re)) out[m[1]] = m[2];
  return out;
}

/** ptdump lines: "0xSTART-0xEND    0xPA   SIZE LEVEL prot..." */
const PTDUMP_LINE = /^0x([0-9a-f]{16})-0x([0-9a-f]{16})\s+0x([0-9a-f]{16})\s+(\d+)([KMGTPE]) (PGD|P4D|PUD|PMD|PTE) (.*)$/;
const LEVEL_SIZE = { PTE: 1n << 12n, PMD: 1n << 21n, PUD: 1n << 30n, P4D: 1n << 39n, PGD: 1n << 48n };

function kernelFacts(text) {
  const s = sections(text);
  const dmesg = s['dmesg-boot'] ?? '';
  const f = {};
  f.mmu = [...new Set([...(s.cpuinfo ?? '').matchAll(/^mmu\s*:\s*(\S+)/gm)].map((m) => m[1]))].join(',');
  const lay = dmesg.match(/vmemmap : 0x([0-9a-f]+) - 0x([0-9a-f]+)/);
  if (lay) { f.vmemmapStart = BigInt('0x' + lay[1]); f.vmemmapEnd = BigInt('0x' + lay[2]); }
  f.release = (s.uname ?? '').split(' ')[2];
  f.early = [...dmesg.matchAll(/node\s+(\d+): \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]/g)]
    .map((m) => ({ node: +m[1], start: BigInt('0x' + m[2]), end: BigInt('0x' + m[3]) + 1n }));
  f.hugetlb = [...dmesg.matchAll(/\] (HugeTLB: .*)$/gm)].map((m) => m[1]);
  Object.assign(f, ptdumpFacts(s.ptdump ?? ''));
  const mb = s['memory-blocks'] ?? '';
  f.blockSize = BigInt('0x' + (mb.match(/block_size_bytes=([0-9a-f]+)/)?.[1] ?? '0'));
  f.blocks = blockFacts(mb);
  f.memTotal = (s.meminfo ?? '').match(/MemTotal:\s+(\d+) kB/)?.[1];
  // a namespace step (vl.pmem=): the vmemmap after it, the altmap and pfn/dax device lines
  const p = sections(text, '1-pmem');
  if (p.ptdump) {
    f.boot = { leaves: f.leaves, mappedBytes: f.mappedBytes };
    Object.assign(f, ptdumpFacts(p.ptdump));
    const delta = p['dmesg-delta'] ?? '';
    f.altmap = [...delta.matchAll(/\] (altmap_alloc_block_buf: .*)$/gm)].map((m) => m[1]);
    f.zoneDevice = delta.match(/memmap_init_zone_device initialised (\d+) pages/)?.[1];
    const nd = p['nd-sysfs'] ?? '';
    const attr = (dev, a) => nd.match(new RegExp(`^${dev} ${a}=(\\S+)`, 'm'))?.[1];
    const dev = ['pfn0.0', 'dax0.0'].find((d) => attr(d, 'namespace') === 'namespace0.0');
    f.nsDev = dev ?? 'pfn/dax';
    f.nsSize = dev && attr(dev, 'size') ? attr(dev, 'size') : '-';
    f.dataOffset = dev && attr(dev, 'resource') ? String(BigInt(attr(dev, 'resource')) - BigInt(attr('namespace0.0', 'resource'))) : '-';
    f.cmdRc = (text.match(/^===== END 1-pmem cmd \(rc=(-?\d+)\) =====$/m) ?? [])[1];
    // drivers_probe returns 0 even when the probe fails: the device must have its driver
    f.probeError = delta.match(/probe with driver \S+ failed with error (-\d+)/)?.[1];
    f.stepOk = f.cmdRc === '0' && !f.probeError && dev !== undefined && attr(dev, 'driver') !== undefined;
    f.memmapPages = (p.vmstat ?? '').match(/^nr_memmap_pages (\d+)/m)?.[1];
  }
  // a kmem step (vl.kmem=): the vmemmap, blocks and MemTotal after it
  const q = sections(text, '2-kmem');
  if (q.ptdump) {
    Object.assign(f, ptdumpFacts(q.ptdump));
    f.kmemAltmap = [...(q['dmesg-delta'] ?? '').matchAll(/\] (altmap_alloc_block_buf: .*)$/gm)].map((m) => m[1]);
    f.blocks = blockFacts(q['memory-blocks'] ?? '');
    const mt = (t) => BigInt((t ?? '').match(/MemTotal:\s+(\d+) kB/)?.[1] ?? '0');
    f.memTotalDelta = String(mt(q.meminfo) - mt(s.meminfo));
    f.kmemRc = (text.match(/^===== END 2-kmem cmd \(rc=(-?\d+)\) =====$/m) ?? [])[1];
  }
  return f;
}

function blockFacts(mb) {
  return [...mb.matchAll(/^memory(\d+) .*?state=(\S+) valid_zones=(\S+).*?node=(\d+)/gm)]
    .map((m) => ({ index: +m[1], state: m[2], zone: m[3], node: +m[4] }));
}

function ptdumpFacts(text) {
  // the lines in the vmemmap region, and any memmap mapped just below it (PCI I/O)
  const f = { ptdump: [], ptdumpBelow: [] };
  let region = null;
  for (const l of text.split('\n')) {
    const mk = l.match(/^---\[ (.*) \]---$/);
    if (mk) { region = mk[1]; continue; }
    const m = l.match(PTDUMP_LINE);
    if (!m) continue;
    const e = { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), pa: BigInt('0x' + m[3]), level: m[6], prot: m[7], line: l };
    if (region === 'vmemmap start') f.ptdump.push(e);
    else if (region === 'PCI I/O start') f.ptdumpBelow.push(e);
  }
  f.leaves = {};
  for (const e of [...f.ptdumpBelow, ...f.ptdump]) f.leaves[e.level] = (f.leaves[e.level] ?? 0n) + (e.end - e.start) / LEVEL_SIZE[e.level];
  f.firstVa = f.ptdumpBelow[0]?.start ?? f.ptdump[0]?.start;
  f.mappedBytes = [...f.ptdumpBelow, ...f.ptdump].reduce((a, e) => a + e.end - e.start, 0n);
  return f;
}

function modelFacts(yaml) {
  let out;
  try {
    out = execFileSync('node', [bin, 'run', yaml, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // a non-zero exit (violations, predicted kernel bugs: 4) still prints the JSON
    if (!e.stdout || !String(e.stdout).trim().startsWith("{")) throw e;
    out = e.stdout;
  }
  const j = JSON.parse(out);
  const f = {};
  f.vmemmapStart = BigInt(j.vmemmap.start);
  f.vmemmapEnd = BigInt(j.vmemmap.end);
  f.leaves = { PMD: BigInt(j.vmemmap.mappings.pmd ?? 0), PTE: BigInt(j.vmemmap.mappings.pte ?? 0) };
  f.firstVa = j.vmemmap.ranges.length ? BigInt(j.vmemmap.ranges[0].va) : undefined;
  f.mappedBytes = BigInt(j.vmemmap.mappedBytes);
  f.blockSize = BigInt(j.memory.blockSize);
  f.blocks = j.memory.blocks.flatMap((b) => Array.from({ length: b.count }, (_, i) => ({ index: b.first + i, state: b.state, zone: b.boot ? '(boot)' : b.zone, node: b.nid })));
  f.sections = j.sections.present;
  f.hugetlb = j.steps.flatMap((s) => s.dmesg).filter((l) => l.startsWith('HugeTLB'));
  f.violations = [
    ...j.invariants.violations.map((v) => `violation: ${v.detail ?? v.message ?? JSON.stringify(v)}`),
    ...(j.kernelBugs?.findings ?? []).map((v) => `${v.invariant}: ${v.detail} [${v.fn}]`),
  ];
  const ns = j.namespaces[0];
  if (j.steps[1]) {
    f.nsSize = ns ? String(ns.size) : '-';
    f.dataOffset = ns ? String(ns.dataOffset) : '-';
    f.altmap = (j.steps[1]?.dmesg ?? []).filter((l) => l.startsWith('altmap_alloc_block_buf'));
    f.zoneDevice = (j.steps[1]?.dmesg ?? []).map((l) => l.match(/memmap_init_zone_device initialised (\d+) pages/)?.[1]).find(Boolean);
    f.stepOk = j.steps[1]?.ok;
    f.stepErrno = j.steps[1]?.errno;
    const mb = j.memmapBacking;
    const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
    f.backing = `ram ${sum(mb.ram) / 2 ** 20} MiB, altmap ${sum(mb.altmap) / 2 ** 20} MiB, dedup ${sum(mb.dedup) / 2 ** 20} MiB`;
  }
  const hot = j.memory.blocks.filter((b) => !b.boot);
  if (hot.length) {
    f.kmemAltmap = (j.steps[2]?.dmesg ?? []).filter((l) => l.startsWith('altmap_alloc_block_buf'));
    f.memTotalDelta = String(hot.filter((b) => b.state === 'online').reduce((a, b) => a + b.count * (j.memory.blockSize / 1024 - b.vmemmapPages * 4), 0));
    f.stepOk3 = j.steps[2]?.ok;
  }
  f.kernel = j.kernel;
  f.config = j.config;
  return f;
}

// a scenario saying "# compare: by hand" is left out unless named (its steps do not map onto the snapshots)
const byHand = (d) => /^# compare: by hand/m.test(readFileSync(join(here, 'cases', d + '.yaml'), 'utf8'));
const cases = names.length ? names : readdirSync(join(here, 'recordings'))
  .filter((d) => existsSync(join(here, 'cases', d + '.yaml')) && !byHand(d)).sort();
const rows = [];
let differ = 0;
for (const c of cases) {
  const log = join(here, 'recordings', c, 'console.log');
  const raw = existsSync(log) ? readFileSync(log) : gunzipSync(readFileSync(log + '.gz'));
  const k = kernelFacts(raw.toString('utf8').replace(/\r/g, ''));
  let m;
  try { m = modelFacts(join(here, 'cases', c + '.yaml')); } catch (e) { console.error(`${c}: model failed: ${e.message.split('\n')[0]}`); differ++; continue; }
  const blocksK = k.blocks.map((b) => `${b.index}:${b.node}`).join(',');
  const blocksM = m.blocks.map((b) => `${b.index}:${b.node}`).join(',');
  const items = [
    ['mmu / mode', k.mmu, m.config.mode],
    ['VMEMMAP_START', hex(k.vmemmapStart), hex(m.vmemmapStart)],
    ['VMEMMAP_END', hex(k.vmemmapEnd), hex(m.vmemmapEnd)],
    ['first memmap VA', k.firstVa === undefined ? '-' : hex(k.firstVa), m.firstVa === undefined ? '-' : hex(m.firstVa)],
    ['memmap mapped', `${k.mappedBytes / MiB} MiB`, `${m.mappedBytes / MiB} MiB`],
    ['PMD leaves', String(k.leaves.PMD ?? 0n), String(m.leaves.PMD)],
    ['PTE leaves', String(k.leaves.PTE ?? 0n), String(m.leaves.PTE)],
    ['block size', hex(k.blockSize), hex(m.blockSize)],
    ['blocks (= sections)', String(k.blocks.length), `${m.blocks.length} (sections ${m.sections})`],
    ['block index:node', blocksK, blocksM],
    ['HugeTLB lines', k.hugetlb.join(' / '), m.hugetlb.join(' / ')],
  ];
  if (k.boot) {
    items.splice(4, 0, ['boot PMD leaves (info)', String(k.boot.leaves.PMD ?? 0n), '(of_pmem raw namespace has a memmap)']);
    items.push(
      ['namespace step ok', String(k.stepOk), String(m.stepOk)],
      ['namespace step error', k.probeError ? (ERRNO[k.probeError] ?? k.probeError) : '-', m.stepErrno ?? '-'],
      [`${k.nsDev} size`, k.nsSize, m.nsSize],
      ['data offset', k.dataOffset, m.dataOffset],
      ['altmap lines', `${k.altmap.length}: ${k.altmap[0] ?? '-'} .. ${k.altmap.at(-1) ?? '-'}`, `${m.altmap.length}: ${m.altmap[0] ?? '-'} .. ${m.altmap.at(-1) ?? '-'}`],
      ['altmap lines equal', String(k.altmap.join('\n') === m.altmap.join('\n')), 'true'],
      ['zone device pages', k.zoneDevice ?? '-', m.zoneDevice ?? '-'],
      ['nr_memmap_pages / backing (info)', k.memmapPages, m.backing],
    );
  }
  if (k.kmemRc !== undefined) {
    const hotK = k.blocks.filter((b) => !/DMA32/.test(b.zone)).map((b) => `${b.index}:${b.state}:${b.zone}`).join(',');
    const hotM = m.blocks.filter((b) => b.zone !== '(boot)').map((b) => `${b.index}:${b.state}:${b.zone}`).join(',');
    items.push(
      ['kmem step ok', String(k.kmemRc === '0'), String(m.stepOk3)],
      ['hot-added blocks', hotK, hotM],
      ['MemTotal delta KiB', k.memTotalDelta, m.memTotalDelta],
      ['kmem altmap lines', k.kmemAltmap.join(' / ') || '-', m.kmemAltmap.join(' / ') || '-'],
    );
  }
  const same = (a, b, name) => name.endsWith('(info)') || (name === 'blocks (= sections)' ? b.startsWith(a + ' ') : a === b);
  if (summary) {
    const v = (name) => { const it = items.find((i) => i[0] === name); return same(it[1], it[2], name) ? it[1] : `${it[1]} / model ${it[2]}`; };
    const bad = items.filter(([n, a, b]) => !same(a, b, n)).length;
    differ += bad;
    if (!rows.length) rows.push('| case | mmu | VMEMMAP_START | first memmap VA | PMD leaves | PTE leaves | blocks (128 MiB) | namespace size / data offset / altmap lines | HugeTLB lines | result |', '|---|---|---|---|---|---|---|---|---|---|');
    const ns = k.boot ? `${v(`${k.nsDev} size`)} / ${v('data offset')} / ${k.altmap.length}${same(...items.find((i) => i[0] === 'altmap lines equal').slice(1, 3), 'x') ? '' : ' (differ)'}` : '-';
    rows.push(`| ${c} | ${v('mmu / mode')} | ${v('VMEMMAP_START')} | ${v('first memmap VA')} | ${v('PMD leaves')} | ${v('PTE leaves')} | ${v('blocks (= sections)')} | ${ns} | ${v('HugeTLB lines') === k.hugetlb.join(' / ') ? 'same ' + k.hugetlb.length : 'differ'} | ${bad ? `**${bad} differ**` : 'agree'} |`);
    continue;
  }
  if (md) {
    rows.push(`\n### ${c} (kernel ${k.release}, model ${m.kernel})\n`);
    rows.push('| fact | kernel | model | |');
    rows.push('|---|---|---|---|');
  } else rows.push(`== ${c}: kernel ${k.release} / model ${m.kernel}; early memory ${k.early.map((e) => `node${e.node} ${hex(e.start)}-${hex(e.end)}`).join(' ')}`);
  for (const [name, kv, mv] of items) {
    const ok = same(kv, mv, name);
    if (!ok) differ++;
    rows.push(md ? `| ${name} | ${kv} | ${mv} | ${ok ? 'agree' : '**differs**'} |` : `  ${ok ? '  ' : '!!'} ${name.padEnd(20)} kernel ${kv}\n     ${''.padEnd(20)} model  ${mv}`);
  }
  const ptl = [...k.ptdumpBelow, ...k.ptdump].map((e) => e.line);
  rows.push(md ? `\nkernel ptdump (vmemmap${k.ptdumpBelow.length ? ' and the PCI I/O area below it' : ''}):\n\n\`\`\`\n${ptl.join('\n')}\n\`\`\`` : ptl.map((l) => '     ' + l).join('\n'));
  if (m.violations.length) rows.push((md ? '\nmodel invariant reports: ' : '     model reports: ') + m.violations.join('; '));
}
console.log(rows.join('\n'));
process.exitCode = differ ? 1 : 0;
