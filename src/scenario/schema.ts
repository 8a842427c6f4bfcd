/**
 * The scenario format (design.md section 4) as zod schemas. The same schemas validate
 * scenarios and generate the shipped JSON Schema (schema/scenario.schema.json).
 */
import { z } from 'zod';

/** Sizes: 16G, 512M, 0x1000, 4096 (parsed and range-checked later, with positions). */
export const Size = z.union([z.number(), z.string()]).describe('A size or address: 16G, 512M, 1.5T, 0x100000000 or a plain number of bytes (binary units)');

const Range = z.strictObject({ start: Size, size: Size });

export const NodeSchema = z.strictObject({
  id: z.number().int().min(0).max(63).describe('NUMA node id'),
  memory: z.array(Range).describe('Boot memory (memblock.memory) of this node').default([]),
  used: Size.optional().describe('RAM of this node in use by everything the model does not track (kernel image, page cache, applications) once booted; default 0'),
});

export const DeviceSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, _ . -').describe('Your name for the device; steps refer to it'),
  type: z.enum(['nvdimm', 'hmem', 'cxl']).describe('nvdimm: an NFIT persistent-memory region (one region per device); hmem: EFI "soft reserved" memory (EFI_MEMORY_SP, e.g. HBM or CXL set up by firmware) that dax_hmem turns into a dax device; cxl: a CXL RAM region (dax_cxl, 6.3+)'),
  node: z.number().int().min(0).describe('NUMA node the region belongs to (nd_region numa_node / target_node)'),
  start: Size,
  size: Size,
  labels: z.boolean().optional().describe('Label-backed region (default true): several namespaces possible. false: one namespace spanning the region, as QEMU without label-size'),
});

const NamespaceStep = z.strictObject({
  device: z.string(),
  mode: z.enum(['fsdax', 'devdax', 'raw']).default('fsdax'),
  map: z.enum(['dev', 'mem']).optional().describe('Where the memmap goes: dev = on the device (altmap), mem = system RAM. Default dev'),
  align: Size.optional().describe('ndctl --align; default: the kernel default for the arch (nd_pfn_default_alignment)'),
  size: Size.optional().describe('ndctl --size; default: the largest free extent of the region'),
  force: z.boolean().optional().describe('ndctl -f: skip the 16 MiB start check (check_dax_align); a label-less region is always driven with -f -e'),
});

const DestroyStep = z.strictObject({
  device: z.string(),
  namespace: z.string().optional().describe('namespaceR.N; default: the last one created on the device'),
  force: z.boolean().default(true).describe('ndctl destroy-namespace -f (default, as the conformance harness runs it); without it an enabled namespace is refused (-EBUSY)'),
});

const ReconfigureStep = z.strictObject({
  device: z.string().describe('An hmem or cxl device, or an nvdimm device (then its devdax namespace)'),
  namespace: z.string().optional().describe('nvdimm: namespaceR.N; default: the last devdax namespace created on the device'),
  mode: z.enum(['system-ram', 'devdax']).describe('daxctl reconfigure-device --mode=system-ram: unbind device_dax, bind kmem; --mode=devdax: back (offline first, or force to let daxctl offline)'),
  memmapOnMemory: z.boolean().optional().describe('write the dax device memmap_on_memory attribute first (6.12+; needs memory_hotplug.memmap_on_memory)'),
  online: z.enum(['movable', 'normal', 'none']).default('movable').describe('how daxctl onlines the new memory blocks: movable (default), normal (--no-movable) or none (--no-online)'),
  force: z.boolean().default(false).describe('-f: system-ram: go on although the kernel auto-onlines hot-added memory; devdax: offline the memory blocks first'),
});

const HugepagesStep = z.strictObject({
  size: Size.describe('huge page size: one the arch registers (x86_64: 2M, 1G with gbpages; arm64 4K: 64K, 2M, 32M, 1G; ...)'),
  count: z.number().int().min(0).describe('the new nr_hugepages'),
  node: z.number().int().min(0).optional().describe('write the per-node file /sys/devices/system/node/nodeN/hugepages/...; default: the global one'),
});

const HotAddStep = z.strictObject({
  node: z.number().int().min(0),
  start: Size,
  size: Size,
});
const HotRemoveStep = z.strictObject({
  start: Size,
  size: Size,
  offline: z.boolean().default(true).describe('Offline online blocks first, as an ACPI eject does (default true); false calls remove_memory() directly'),
});
const OnlineStep = z.strictObject({
  start: Size,
  size: Size,
  type: z.enum(['online', 'online_kernel', 'online_movable']).default('online'),
});
const OfflineStep = z.strictObject({ start: Size, size: Size });

const ExpectStep = z.strictObject({
  step: z.number().int().min(1).describe('1-based index of the step checked'),
  ok: z.boolean().optional(),
  errno: z.string().nullable().optional().describe('e.g. ENOMEM, or null for success'),
  altmap: z.strictObject({
    namespace: z.string().optional(),
    alloc: z.number().int().optional(),
    align: z.number().int().optional(),
    free: z.number().int().optional(),
    reserve: z.number().int().optional(),
  }).optional(),
  namespace: z.strictObject({ name: z.string().optional(), size: z.number().int().optional(), dataOffset: z.number().int().optional() }).optional(),
  memmapBacking: z.strictObject({
    ram: z.record(z.string(), z.number()).optional(),
    altmap: z.record(z.string(), z.number()).optional(),
    self: z.record(z.string(), z.number()).optional().describe('memmap_on_memory: bytes inside hot-added blocks, by node'),
    dedup: z.record(z.string(), z.number()).optional().describe('device-dax dedup: bytes served by shared tail pages, by pgmap'),
  }).optional(),
  blocks: z.strictObject({
    online: z.number().int().optional().describe('memory blocks online (boot and hot-added)'),
    offline: z.number().int().optional(),
    selfHosting: z.number().int().optional().describe('blocks that host their own memmap'),
    vmemmapPages: z.number().int().optional().describe('self-hosted vmemmap pages per such block'),
  }).optional(),
  hugetlb: z.strictObject({
    vmemmapFreed: z.record(z.string(), z.number()).optional().describe('HVO: net vmemmap bytes given back, by node'),
    pages: z.record(z.string(), z.number()).optional().describe('pool size by huge page size in bytes, all nodes'),
    memTotalGain: z.record(z.string(), z.number()).optional().describe('HVO: bytes added to MemTotal by freeing boot vmemmap pages, by node (must be exact, not a range)'),
  }).optional(),
  violations: z.number().int().min(0).optional().describe('invariant violations (bugs in vmemmap-lab) up to the step'),
  kernelBugs: z.number().int().min(0).optional().describe('predicted kernel bugs the checks found up to the step (not counting an oops)'),
  oops: z.union([z.boolean(), z.string()]).optional().describe('the step ended in a predicted kernel oops (true), in this function (a name), or did not (false)'),
});

export const STEP_SCHEMAS = {
  boot: z.strictObject({}),
  'create-namespace': NamespaceStep,
  'destroy-namespace': DestroyStep,
  'reconfigure-device': ReconfigureStep,
  hugepages: HugepagesStep,
  'hot-add': HotAddStep,
  'hot-remove': HotRemoveStep,
  online: OnlineStep,
  offline: OfflineStep,
  expect: ExpectStep,
} as const;
export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];

const StepSchema = z.union([
  z.literal('boot'),
  ...STEP_KINDS.map((k) => z.strictObject({ [k]: STEP_SCHEMAS[k] })),
]).describe('One step: "boot" or an object with exactly one of ' + STEP_KINDS.join(', '));

export const ConfigSchema = z.strictObject({
  pageSize: z.enum(['4K', '8K', '16K', '64K']).optional().describe('arm64 and loongarch64: 4K, 16K or 64K (loongarch64 default 16K); ia64: 4K, 8K, 16K (default) or 64K; powerpc64: 4K or 64K (default); x86_64, riscv64 and s390x: 4K only'),
  vaBits: z.number().int().optional().describe('arm64 VA_BITS: 4K 39/48/52, 16K 36/47/48/52, 64K 42/48/52 (default 48)'),
  levels: z.number().int().optional().describe('x86_64 paging levels: 4 (default) or 5 (LA57); loongarch64 page-table levels: 4K 4, 16K 2/3 (default 3), 64K 2/3 (default 3); ia64: 3 (default) or 4 (not with 64K)'),
  mode: z.enum(['sv39', 'sv48', 'sv57']).optional().describe('riscv64 paging mode: sv39 (default), sv48, sv57 (Sv48/Sv57 from v6.1 in the profiles)'),
  pse: z.boolean().optional().describe('x86_64 X86_FEATURE_PSE (default true)'),
  hypervisor: z.boolean().optional().describe('x86_64 X86_FEATURE_HYPERVISOR (default false); changes the memory block size probe'),
  gbpages: z.boolean().optional().describe('x86_64 X86_FEATURE_GBPAGES (default true): 1 GiB huge pages exist (QEMU qemu64: false)'),
  mmu: z.enum(['radix', 'hash']).optional().describe('powerpc64 MMU: radix (default) or hash (disable_radix)'),
  lmbSize: z.number().int().optional().describe('powerpc64 ibm,lmb-size of the DR-memory node in bytes (default 268435456 = 256 MiB, QEMU pseries and PowerVM); 0: no such node, the memory block size is probed from the memory nodes'),
  hash16M: z.boolean().optional().describe('powerpc64 hash: the MMU offers 16M pages (default true; QEMU only with cap-hpt-max-page-size=16M)'),
  kfence: z.boolean().optional().describe('powerpc64 hash: KFENCE or debug_pagealloc is on (default true, as in Debian 6.12): the linear map uses base pages, so memremap_compat_align() is 2 MiB instead of 16 MiB'),
  edat1: z.boolean().optional().describe('s390x: the CPU has EDAT-1 (default true): the vmemmap is mapped with 1 MiB segment frames, else with 4 KiB pages (QEMU TCG: false)'),
  rzm: z.number().int().optional().describe('s390x: sclp.rzm, the storage increment in MiB (default 1, as QEMU reports); the memory block is max(section, rzm)'),
});

export const ScenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  arch: z.enum(['x86_64', 'arm64', 'riscv64', 'loongarch64', 'ia64', 'powerpc64', 's390x']),
  config: ConfigSchema.default({}),
  kernel: z.union([z.string(), z.number()]).optional().describe('Kernel profile id, e.g. v6.18 or seed-v2; `vmemlab kernels` lists them (default v6.18)'),
  cmdline: z.string().default('').describe('Kernel parameters the model understands: memhp_default_state='),
  nodes: z.array(NodeSchema).min(1),
  distances: z.array(z.array(z.number().int())).optional().describe('node_distance() matrix; default 10 on the diagonal, 20 elsewhere'),
  devices: z.array(DeviceSchema).default([]),
  faults: z.array(z.strictObject({
    alloc: z.enum(['memblock', 'buddy', 'altmap']).describe('allocator: memblock (boot), buddy (page allocator after boot), altmap'),
    nth: z.number().int().min(1).describe('the nth allocation of that kind in the whole run fails (1-based)'),
  })).default([]).describe('Fault injection: make chosen allocations fail to exercise the kernel\'s error paths'),
  reserved: z.array(Range).optional().describe('memblock.reserved at sparse_init() time (kernel image, initrd, firmware tables). Default: 1 MiB at 0 and 64 MiB at 16 MiB on x86_64; 64 MiB at the start of DRAM elsewhere'),
  steps: z.array(StepSchema).default(['boot']),
});

export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** The JSON Schema shipped with the package (input shape). */
export function scenarioJsonSchema(): unknown {
  const s = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { $id: 'https://vmemmap-lab/scenario.schema.json', title: 'vmemmap-lab scenario', ...s };
}
