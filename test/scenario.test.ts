/**
 * Scenario validation: every mistake is one line naming file:line:column, the path and the
 * rule broken.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../src/scenario/parse.js';
import { scenarioJsonSchema } from '../src/scenario/schema.js';
import { readFileSync } from 'node:fs';

function err(text: string | Uint8Array): string {
  try {
    parseScenario('s.yaml', text);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error('no error');
}

const ok = `arch: x86_64
nodes:
  - id: 0
    memory: [ { start: 0, size: 4G } ]
`;

describe('scenario errors', () => {
  const cases: [string, string, string][] = [
    ['YAML syntax', 'arch: x86_64\nnodes: [\n', 's.yaml:3:1: YAML syntax'],
    ['unknown top-level key, did you mean', ok + 'devics: []\n', 's.yaml:5:1: devics: unknown key "devics" (did you mean "devices"?)'],
    ['unknown arch value', ok.replace('x86_64', 'x86'), 's.yaml:1:7: arch: must be one of "x86_64", "arm64", "riscv64", "loongarch64", "ia64", "powerpc64", "s390x", not "x86" (did you mean "x86_64"?)'],
    ['bad size', ok.replace('4G', '4Q'), 's.yaml:4:33: nodes[0].memory[0].size: "4Q" has an unknown unit "Q" (use K, M, G, T or P)'],
    ['negative size', ok.replace('4G', '-4G'), 's.yaml:4:33: nodes[0].memory[0].size: size "-4G" is negative'],
    ['zero size', ok.replace('4G', '0'), 's.yaml:4:33: nodes[0].memory[0].size: size must not be zero'],
    ['above MAX_PHYSMEM_BITS', ok.replace('start: 0,', 'start: 0x400000000000,'), 's.yaml:4:24: nodes[0].memory[0].start: start 0x400000000000 is above the arch\'s physical address limit (MAX_PHYSMEM_BITS = 46)'],
    ['above 2^53', ok.replace('4G', '0x20000000000000'), 's.yaml:4:33: nodes[0].memory[0].size: size "0x20000000000000" is above 2^53'],
    ['not page aligned', ok.replace('4G', '4097'), 's.yaml:4:33: nodes[0].memory[0].size: size must be a multiple of the page size (4096 bytes)'],
    ['overlapping RAM', ok.replace(']\n', ', { start: 1G, size: 1G } ]\n'), 's.yaml:4:40: nodes[0].memory[1]: overlaps nodes[0].memory[0]: boot memory ranges must not overlap'],
    ['device on a missing node', ok + 'devices:\n  - { name: p, type: nvdimm, node: 3, start: 8G, size: 1G }\n', 's.yaml:6:36: devices[0].node: node 3 does not exist (nodes: 0)'],
    ['step on a missing device', ok + 'steps:\n  - boot\n  - create-namespace: { device: pmem1 }\n', 's.yaml:7:33: steps[1].create-namespace.device: no device "pmem1"; the scenario has no devices'],
    ['unknown step kind', ok + 'steps:\n  - hotadd: { node: 0, start: 8G, size: 1G }\n', 's.yaml:6:5: steps[0].hotadd: unknown step kind "hotadd" (did you mean "hot-add"?)'],
    ['unknown key in a step', ok + 'steps:\n  - hot-add: { node: 0, start: 8G, sise: 1G }\n', 's.yaml:6:36: steps[0].hot-add.sise: unknown key "sise" (did you mean "size"?); allowed: node, start, size'],
    ['two kinds in one step', ok + 'steps:\n  - { boot: {}, hot-add: {} }\n', 's.yaml:6:5: steps[0]: a step has exactly one kind'],
    ['boot not first', ok + 'steps:\n  - hot-add: { node: 0, start: 8G, size: 1G }\n  - boot\n', 's.yaml:7:5: steps[1]: boot can only be the first step (it is implied when absent)'],
    ['expect a later step', ok + 'steps:\n  - boot\n  - expect: { step: 3 }\n', 's.yaml:7:21: steps[1].expect.step: expect can only check an earlier step (this is step 2)'],
    ['arch config', ok.replace('arch: x86_64', 'arch: arm64\nconfig: { pageSize: 64K, vaBits: 39 }'), 's.yaml:2:26: config.vaBits: arm64 64K supports vaBits 42, 48, 52, not 39'],
    ['x86 option on arm64', ok.replace('arch: x86_64', 'arch: arm64\nconfig: { pse: false }'), 's.yaml:2:11: config.pse: arm64 takes pageSize, vaBits; pse is an option of x86_64'],
    ['riscv64 mode on x86_64', ok.replace('arch: x86_64', 'arch: x86_64\nconfig: { mode: sv48 }'), 's.yaml:2:11: config.mode: x86_64 takes pageSize, levels, pse, hypervisor, gbpages; mode is an option of riscv64'],
    ['riscv64 Sv48 before v6.1', ok.replace('arch: x86_64', 'arch: riscv64\nkernel: v5.15\nconfig: { mode: sv48 }'), 's.yaml:3:11: config.mode: riscv64 in v5.15 has only sv39 (Sv48 and Sv57 arrived in v5.17 and v5.18)'],
    ['loongarch64 before v6.2', ok.replace('arch: x86_64', 'arch: loongarch64\nkernel: v6.1'), 's.yaml:1:7: arch: loongarch64 has no SPARSEMEM_VMEMMAP in v6.1 (it arrived in v6.2)'],
    ['loongarch64 16K with 2 levels', ok.replace('arch: x86_64', 'arch: loongarch64\nconfig: { pageSize: 16K, levels: 2 }'), 's.yaml:2:26: config.levels: loongarch64 16K pages with 2 levels reach 2^36 bytes, less than the 2^41-byte vmemmap a 48-bit physical address space needs; the model does not know what such a kernel does'],
    ['unknown kernel', ok + 'kernel: v6.180\n', 's.yaml:5:9: kernel: unknown kernel profile "v6.180" (did you mean "v6.18"?); `vmemlab kernels` lists them'],
    ['kernel as a number', ok + 'kernel: 6.18\n', 's.yaml:5:9: kernel: write the profile id as text, e.g. kernel: v6.18'],
    ['distances', ok + 'distances: [[12]]\n', "s.yaml:5:14: distances[0][0]: a node's distance to itself must be 10 (LOCAL_DISTANCE), not 12"],
    ['empty file', '', 's.yaml:1:1: the scenario is empty (expected a map with arch, nodes and steps)'],
    ['a list instead of a map', '- a\n- b\n', 's.yaml:1:1: expected a map with arch, nodes and steps, got a list'],
    ['duplicate key', ok + 'arch: arm64\n', 's.yaml:5:1: YAML syntax: Map keys must be unique'],
    ['missing key', ok + 'steps:\n  - hot-add: { node: 0, start: 8G }\n', 's.yaml:6:14: steps[0].hot-add: missing required key "size"'],
    ['wrong type', ok.replace('id: 0', 'id: zero'), 's.yaml:3:9: nodes[0].id: expected number, got "zero"'],
    ['JSON with a bad value', '{"arch": "x86_64", "nodes": [{"id": 0, "memory": [{"start": 0, "size": "1X"}]}]}', 's.yaml:1:72: nodes[0].memory[0].size: "1X" has an unknown unit "X" (use K, M, G, T or P)'],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      expect(err(text)).toContain(want);
      expect(err(text).split('\n')).toHaveLength(1);
    });
  }

  it('not UTF-8: the position of the first bad byte', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('arch: x86_64\n# caf'), 0xe9, 0x0a]);
    expect(err(bytes)).toBe('s.yaml:2:6: file is not valid UTF-8');
  });

  it('deeply nested: refused', () => {
    expect(err(ok + 'description: ' + '['.repeat(40) + ']'.repeat(40) + '\n')).toContain('nested more than 32 levels deep');
  });

  it('a valid scenario parses, with sizes in bytes', () => {
    const sc = parseScenario('s.yaml', ok + 'steps:\n  - hot-add: { node: 0, start: 0x200000000, size: 1.5G }\n');
    expect(sc.steps.map((s) => [s.kind, s.args])).toEqual([['hot-add', { node: 0, start: 8 * 2 ** 30, size: 1.5 * 2 ** 30 }]]);
  });
});

describe('JSON Schema', () => {
  it('the shipped schema is the generated one', () => {
    const shipped = JSON.parse(readFileSync(new URL('../schema/scenario.schema.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});
