/**
 * `vmemlab snapshot` inside the conformance guests (real Debian kernels under QEMU): the
 * collector runs after the last step of every recording made since it was added. For each
 * such recording, `verify` of the guest's snapshot agrees, and `import` gives back a scenario
 * equivalent to the case's own: the same boot memory, devices and final state.
 */
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../conformance/cases.js';
import { importSnapshot, parseScenario, parseSnapshot, runScenario, verifySnapshot, type RunResult } from '../../src/index.js';

const cases = loadCases().filter((c) => (c.recording as { machineSnapshot?: string } | null)?.machineSnapshot);

/** The final state that must match: namespaces, memory blocks, huge pages, kmem ranges, memmap on devices. */
function finalState(r: RunResult) {
  const rep = r.report;
  const blocks = { online: 0, offline: 0, movable: 0 };
  for (const b of rep.memory.blocks) {
    if (b.state === 'online') blocks.online += b.count;
    else blocks.offline += b.count;
    if (b.zone === 'Movable') blocks.movable += b.count;
  }
  return {
    namespaces: rep.namespaces.map((n) => ({ start: n.start, size: n.size, dataOffset: n.dataOffset, mode: n.mode, map: n.map })),
    blocks,
    hugepages: rep.hugetlb.hstates.map((h) => [h.size, Object.values(h.pages).reduce((a, b) => a + b, 0)]),
    kmem: rep.daxDevices.flatMap((d) => d.systemRam),
    altmapBytes: Object.values(rep.memmapBacking.altmap).reduce((a, b) => a + b, 0),
    leaves: rep.vmemmap.mappings,
  };
}

describe('snapshots taken inside the conformance guests', () => {
  it('are present in enough recordings to mean something', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });
  for (const c of cases) {
    const text = (c.recording as { machineSnapshot: string }).machineSnapshot;
    it(`${c.name}: vmemlab verify of the guest's snapshot agrees`, () => {
      const v = verifySnapshot(parseSnapshot(c.name, text));
      const differ = v.checks.filter((x) => x.status === 'differ').map((x) => `${x.what}: model ${x.model}, machine ${x.machine}`);
      expect(differ).toEqual([]);
      expect(v.checks.filter((x) => x.status === 'agree').length).toBeGreaterThan(8);
    });
    it(`${c.name}: vmemlab import gives back a scenario equivalent to the case's`, () => {
      const imp = importSnapshot(parseSnapshot(c.name, text));
      const mine = parseScenario('imported.yaml', imp.yaml);
      const theirs = parseScenario(`${c.name}/scenario.yaml`, c.scenarioText);
      expect(mine.arch).toBe(theirs.arch);
      expect(mine.kernel).toBe(theirs.kernel);
      const ram = (sc: typeof mine) => sc.nodes.filter((n) => n.memory.length).map((n) => ({ id: n.id, memory: n.memory }));
      expect(ram(mine)).toEqual(ram(theirs));
      expect(mine.devices.map((d) => [d.type, d.start, d.size])).toEqual(theirs.devices.map((d) => [d.type, d.start, d.size]));
      expect(finalState(runScenario(mine))).toEqual(finalState(runScenario(theirs)));
    });
  }
});
