/** The built-in default scenario of `vmemlab run`. */
export const DEFAULT_SCENARIO_NAME = '<built-in default>';
export const DEFAULT_SCENARIO = `# vmemlab's built-in default: an x86_64 box with two NUMA nodes and a 16 GiB NVDIMM on
# node 1, turned into an fsdax namespace whose memmap lives on the device (--map=dev).
description: x86_64, 2 NUMA nodes x 8 GiB, 16 GiB pmem on node 1 as fsdax --map=dev
arch: x86_64
kernel: v6.18
nodes:
  - id: 0
    memory:
      - { start: 0x0, size: 8G }
  - id: 1
    memory:
      - { start: 8G, size: 8G }
devices:
  - { name: pmem0, type: nvdimm, node: 1, start: 64G, size: 16G }
steps:
  - boot
  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
`;
