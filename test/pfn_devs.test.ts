/**
 * drivers/nvdimm/pfn_devs.c @ v6.18: nd_pfn_init() arithmetic, __nvdimm_setup_pfn() altmap,
 * supported/default alignments; checked against the worked examples of users.md and
 * generic.md section 8.5.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveArch, type ArchConfig } from '../src/arch/index.js';
import { __nvdimm_setup_pfn, nd_pfn_default_alignment, nd_pfn_init, nd_pfn_supported_alignments, type PfnInfo } from '../src/kernel/nvdimm/pfn_devs.js';
import { v6_18 } from '../src/kernels/v6.18.js';

const G = 2 ** 30;
const M = 2 ** 20;
// resolved in each test, not while the file is collected: StrykerJS charges only code run inside a
// test to that test (docs/testing.md)
let x86: ArchConfig, a16: ArchConfig, a64: ArchConfig;
beforeEach(() => {
  x86 = resolveArch('x86_64', {}, v6_18).cfg;
  a16 = resolveArch('arm64', { pageSize: '16K', vaBits: 48 }, v6_18).cfg;
  a64 = resolveArch('arm64', { pageSize: '64K', vaBits: 48 }, v6_18).cfg;
});

function init(a = x86, start: number, size: number, mode: 'pmem' | 'ram', align: number): PfnInfo {
  const r = nd_pfn_init(a, v6_18, start, size, mode, align, 'namespace0.0');
  if ('errno' in r) throw new Error(r.msg);
  return r;
}

describe('nd_pfn_init', () => {
  /*
   * 16 GiB at 16 GiB, --map=dev, align 2M:
   *   npfns0 = (16G - 8K) / 4K = 4,194,302;  64 * npfns0 + 8K = 268,443,520
   *   dataoff = ALIGN(.., 2M) = 270,532,608 (258 MiB)
   * Expect usable 16,909,336,576 and npfns 4,128,256.
   */
  it('x86 16 GiB --map=dev: the reference worked example', () => {
    const r = init(x86, 16 * G, 16 * G, 'pmem', 2 * M);
    expect(r).toEqual({ dataoff: 270532608, npfns: 4128256, end_trunc: 0, start_pad: 0, align: 2 * M });
    expect(16 * G - r.dataoff).toBe(16909336576);
  });

  it('x86 16 GiB --map=mem: data offset 2 MiB', () => {
    const r = init(x86, 16 * G, 16 * G, 'ram', 2 * M);
    expect(r.dataoff).toBe(2 * M);
    expect(16 * G - r.dataoff).toBe(17177772032);
  });

  it('x86 16 GiB devdax --align=1G: data offset 1 GiB, 15 GiB usable', () => {
    expect(init(x86, 16 * G, 16 * G, 'pmem', G).dataoff).toBe(G);
  });

  /* Start 4 GiB + 2 MiB with align 1G: end_trunc 2 MiB, dataoff = 5 GiB - start. */
  it('x86 1G align on a 2 MiB-aligned start: end_trunc and dataoff', () => {
    const start = 4 * G + 2 * M;
    const r = init(x86, start, 16 * G, 'pmem', G);
    expect(r.end_trunc).toBe(2 * M);
    expect(r.dataoff).toBe(5 * G - start);
    expect(16 * G - r.dataoff - r.end_trunc).toBe(15 * G);
  });

  it('ndctl#243: 256 MiB devdax comes out as 250 MiB', () => {
    const r = init(x86, 4 * G, 256 * M, 'pmem', 2 * M);
    expect(r.dataoff).toBe(6 * M);
    expect(256 * M - r.dataoff).toBe(250 * M);
  });

  it('pmem-csi#933: 1500 GiB with -a 2M gives 1476.56 GiB', () => {
    const r = init(x86, 1024 * G, 1500 * G, 'pmem', 2 * M);
    expect(1500 * G - r.dataoff).toBe(1585444814848);
    expect(((1500 * G - r.dataoff) / G).toFixed(2)).toBe('1476.56');
  });

  it('arm64 16K and 64K: 4 GiB at a 1 GiB-aligned start with the default alignment', () => {
    expect(init(a16, 64 * G, 4 * G, 'pmem', 32 * M)).toMatchObject({ dataoff: 32 * M, npfns: 260096 });
    expect(init(a64, 64 * G, 4 * G, 'pmem', 512 * M)).toMatchObject({ dataoff: 512 * M, npfns: 57344 });
  });

  it('misaligned start: -EINVAL with the kernel message', () => {
    const r = nd_pfn_init(x86, v6_18, 4 * G + 4096, 16 * M, 'pmem', 2 * M, 'namespace0.0');
    expect(r).toMatchObject({ errno: -22, msg: '%s: start %pa misaligned to %#lx\n' });
  });

  it('too small for the alignment: -ENXIO "unable to satisfy requested alignment"', () => {
    const r = nd_pfn_init(x86, v6_18, 4 * G, 1 * G, 'pmem', G, 'namespace0.0');
    expect(r).toMatchObject({ errno: -6, msg: '%s unable to satisfy requested alignment\n' });
  });
});

describe('__nvdimm_setup_pfn', () => {
  it('x86: reserve 2 (the 8 KiB info area), free = (dataoff - 8K) / 4K', () => {
    const info = init(x86, 16 * G, 16 * G, 'pmem', 2 * M);
    const s = __nvdimm_setup_pfn(x86, 16 * G, 16 * G, 'pmem', info);
    expect(s).toMatchObject({ rangeStart: 16 * G, rangeEnd: 32 * G - 1, altmap: { base_pfn: 0x400000, reserve: 2, free: 66046, end_pfn: 0x7fffff } });
  });

  it('arm64 16K/64K: nd_info_block_reserve() is one page', () => {
    const i16 = init(a16, 64 * G, 4 * G, 'pmem', 32 * M);
    expect(__nvdimm_setup_pfn(a16, 64 * G, 4 * G, 'pmem', i16)).toMatchObject({ altmap: { reserve: 1, free: 2047 } });
    const i64 = init(a64, 64 * G, 4 * G, 'pmem', 512 * M);
    expect(__nvdimm_setup_pfn(a64, 64 * G, 4 * G, 'pmem', i64)).toMatchObject({ altmap: { reserve: 1, free: 8191 } });
  });

  it('--map=mem: no altmap', () => {
    const info = init(x86, 16 * G, 16 * G, 'ram', 2 * M);
    expect(__nvdimm_setup_pfn(x86, 16 * G, 16 * G, 'ram', info)).toMatchObject({ altmap: null });
  });
});

describe('nd_pfn_supported_alignments', () => {
  it('per arch and page size', () => {
    expect(nd_pfn_supported_alignments(x86)).toEqual([4096, 2 * M, G]);
    expect(nd_pfn_supported_alignments(resolveArch('arm64', { pageSize: '4K' }, v6_18).cfg)).toEqual([4096, 2 * M]);
    expect(nd_pfn_supported_alignments(a16)).toEqual([16384, 32 * M]);
    expect(nd_pfn_supported_alignments(a64)).toEqual([65536, 512 * M]);
    expect(nd_pfn_supported_alignments(resolveArch('x86_64', { pse: false }, v6_18).cfg)).toEqual([4096]);
  });

  it('defaults: HPAGE_PMD_SIZE', () => {
    expect([x86, a16, a64].map(nd_pfn_default_alignment)).toEqual([2 * M, 32 * M, 512 * M]);
  });
});

describe('__nvdimm_setup_pfn: the altmap reserve covers the padding back to a sub-section boundary', () => {
  const scenario = (kernel: string) => `arch: x86_64
kernel: ${kernel}
nodes: [ { id: 0, memory: [ { start: 0, size: 4G } ] } ]
devices: [ { name: pmem0, type: nvdimm, node: 0, start: 0x100100000, size: 1G, labels: false } ]
steps: [ boot, { create-namespace: { device: pmem0, mode: fsdax, map: dev } } ]
`;
  it('v5.6 (no start check): a namespace 1 MiB past a 2 MiB boundary reserves the info block and 256 pfns of padding', async () => {
    const { runScenarioText } = await import('../src/index.js');
    const r = runScenarioText('u.yaml', scenario('v5.6'));
    // base_pfn = SUBSECTION_ALIGN_DOWN(PHYS_PFN(0x100100000)) = 0x100000; reserve = 2 + (0x100100 - 0x100000)
    expect(r.report.altmaps[0]).toMatchObject({ base_pfn: 0x100000, reserve: 2 + 256 });
  });
  it('v5.9 (memremap_compat_align, 2 MiB): the same start is refused with -EINVAL before any altmap', async () => {
    const { runScenarioText } = await import('../src/index.js');
    const r = runScenarioText('u.yaml', scenario('v5.9'));
    expect(r.report.steps[1]).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r.report.altmaps).toEqual([]);
  });
});
