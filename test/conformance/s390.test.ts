/**
 * s390x: the boot-only recordings of real Debian kernels (6.12.95 and 6.1.176) under QEMU TCG
 * (conformance/ppc64-s390x/recordings/s390-*, docs/conformance-ppc64-s390x.md) against the
 * model run with edat1: false (TCG has no EDAT-1). The kernels have no PTDUMP_DEBUGFS; the
 * in-guest walker (vmemwalk-s390.c) read the region/segment/page tables over the vmemmap
 * through /proc/kcore. Compared: the boot notice, vmemmap, the memmap's size and leaves, the
 * segment and page tables, the memory block size, and how the memmap pages were allocated
 * (one sparse-buffer run on 6.12, one memblock page at a time on 6.1). Not compared: physical
 * addresses (where memblock puts things is not modelled), MemTotal (the model counts only its
 * own allocations). The differences and their reasons: docs/conformance-ppc64-s390x.md section 7.2.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runScenarioText } from '../../src/index.js';

const dir = new URL('../../conformance/ppc64-s390x/recordings/', import.meta.url).pathname;
const cases = readdirSync(dir).filter((c) => c.startsWith('s390-'));

function consoleOf(c: string): string {
  const plain = join(dir, c, 'console.log');
  return existsSync(plain) ? readFileSync(plain, 'utf8') : gunzipSync(readFileSync(plain + '.gz')).toString('utf8');
}

/** The facts a case recorded, read from its console log. */
function facts(c: string) {
  const log = consoleOf(c);
  const one = (re: RegExp) => {
    const m = re.exec(log);
    if (!m) throw new Error(`${c}: ${re} not in the console log`);
    return m[1]!;
  };
  const walk = log.slice(log.indexOf('=== page-table walk'), log.indexOf('SUMMARY leaves'));
  const runs = [...walk.matchAll(/^PTE 0x([0-9a-f]+)-0x([0-9a-f]+) -> phys 0x([0-9a-f]+)-0x([0-9a-f]+)/gm)].map((m) => ({ va: BigInt('0x' + m[1]), vaEnd: BigInt('0x' + m[2]) + 1n, phys: BigInt('0x' + m[3]) }));
  const summary = /SUMMARY leaves R3=(\d+) SEG=(\d+) PTE=(\d+); tables touching the range: R2=(\d+) R3=(\d+) SEG=(\d+) PTE=(\d+)/.exec(log)!;
  return {
    release: one(/Linux version (\d+\.\d+)\.\d+/),
    maxMB: Number(one(/setup: The maximum memory size is (\d+)MB/)),
    vmemmap: BigInt(one(/INFO vmemmap = (0x[0-9a-f]+)/)),
    vmemmapSize: Number(one(/INFO vmemmap_size = (0x[0-9a-f]+)/)),
    blockSize: Number('0x' + one(/block_size_bytes=([0-9a-f]+)/)),
    edat: /^features\s*:.*\bedat\b/m.test(log),
    runs,
    leaves: { r3: Number(summary[1]), seg: Number(summary[2]), pte: Number(summary[3]) },
    tables: { seg: Number(summary[6]), pte: Number(summary[7]) },
  };
}

describe('s390x recordings (Debian 6.12.95 and 6.1.176 under QEMU TCG, boot)', () => {
  it('has the five boot cases', () => {
    expect(cases.sort()).toEqual(['s390-61-1g-boot', 's390-61-3g-boot', 's390-612-1g-boot', 's390-612-1g-max-boot', 's390-612-3g-boot']);
  });

  for (const c of cases) {
    it(`${c}: vmemmap, leaves, tables and block size are the kernel's`, () => {
      const f = facts(c);
      expect(f.edat, 'TCG offers no EDAT-1').toBe(false);
      // Debian 6.12.95 -> the v6.12 profile; 6.1.176 -> the 6.1 stable series
      const kernel = f.release === '6.12' ? 'v6.12' : 'v6.1.y';
      const r = runScenarioText(`${c}.yaml`, `
arch: s390x
kernel: ${kernel}
config: { edat1: false }
nodes:
  - { id: 0, memory: [ { start: 0, size: ${f.maxMB}M } ] }
steps:
  - boot
`);
      const k = r.machine.k;
      expect(r.report.dmesg.some((l) => l.includes(`setup: The maximum memory size is ${f.maxMB}MB`))).toBe(true);
      expect(k.arch.cfg.VMEMMAP_START).toBe(f.vmemmap);
      expect(r.report.vmemmap.mappedBytes).toBe(f.vmemmapSize);
      // the walker's leaves: 4 KiB PTEs over [vmemmap, vmemmap + vmemmap_size), no segment frames
      expect(r.report.vmemmap.mappings).toMatchObject({ pte: f.leaves.pte, pmd: f.leaves.seg });
      expect(r.report.vmemmap.ranges.map((x) => [BigInt(x.va), x.size, x.level])).toEqual([[f.vmemmap, f.vmemmapSize, 'pte']]);
      expect(f.runs[0]!.va).toBe(f.vmemmap);
      expect(f.runs[f.runs.length - 1]!.vaEnd).toBe(f.vmemmap + BigInt(f.vmemmapSize));
      // tables: a segment table is 4 pages (CRST_ALLOC_ORDER 2), a page table half a page (2 KiB, memblock at boot)
      expect(r.report.pageTablePages.pmd! / 4).toBe(f.tables.seg);
      expect(r.report.pageTablePages.pte! * 2).toBe(f.tables.pte);
      expect(r.report.memory.blockSize).toBe(f.blockSize);
      // allocation: 6.12 vmemmap_alloc_block_buf() -> one sparse-buffer run (the walker prints one
      // physically contiguous run); 6.1 vmemmap_alloc_block(PAGE_SIZE) per page from memblock
      // (top-down: every page its own run, physically descending)
      const srcs = new Set(k.s.leaves.overlaps(k.c.startOff, k.c.endOff).map((s) => (s.v.b.kind === 'ram' ? s.v.b.src : s.v.b.kind)));
      if (kernel === 'v6.12') {
        expect(f.runs.length).toBe(1);
        expect([...srcs]).toEqual(['sparsebuf']);
      } else {
        expect(f.runs.length).toBe(f.leaves.pte);
        expect(f.runs[1]!.phys < f.runs[0]!.phys).toBe(true);
        expect([...srcs]).toEqual(['memblock']);
      }
    });
  }
});
