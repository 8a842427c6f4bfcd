/**
 * The contract of `vmemlab size --json`: the fields scripts may rely on (docs/report.md), as
 * zod schemas. Answers carry more fields; these are the ones that will not change meaning.
 * The same schemas generate schema/size.schema.json.
 */
import { z } from 'zod';

const bytes = z.number().int().min(0);
// pages; a table smaller than a page counts its share (s390's 2 KiB page tables: half a page)
const pages = z.number().multipleOf(0.5);
const tables = z.object({ total: pages, byLevel: z.record(z.string(), pages), byNode: z.record(z.string(), pages) });
const base = {
  question: z.string(),
  machine: z.object({ arch: z.string(), label: z.string(), config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), kernel: z.string() }),
  ok: z.boolean(),
  errno: z.string().nullable(),
  explanation: z.array(z.string()),
  warnings: z.array(z.string()),
  scenario: z.string().describe('the scenario that was run (YAML)'),
};

export const SIZE_SCHEMAS = {
  namespace: z.looseObject({
    ...base,
    question: z.literal('size namespace'),
    size: bytes.describe('region (namespace) size asked for'),
    usable: bytes.nullable().describe('usable capacity as nd_pfn_init() gives it; null if creation failed'),
    dataOffset: bytes.nullable(),
    align: bytes,
    memmap: z.looseObject({ bytes: bytes.describe('struct-page bytes the kernel populated for the namespace'), on: z.enum(['device', 'ram', 'device+ram', 'none']) }),
    pageTablePages: tables,
    leaf: z.enum(['pmd', 'pte', 'mixed', 'none']),
  }),
  memmap: z.looseObject({
    ...base,
    question: z.literal('size memmap'),
    memmap: z.looseObject({ bytes }),
    pageTablePages: tables,
    leaf: z.enum(['pmd', 'pte', 'mixed', 'none']),
  }),
  'hot-add': z.looseObject({
    ...base,
    question: z.literal('size hot-add'),
    needFree: bytes.describe('free memory the hot-add consumes: memmap in RAM and page tables'),
    largestFit: bytes,
    plan: z.array(z.object({ start: bytes, size: bytes, freeBefore: bytes, freeAfter: bytes })),
  }),
  hvo: z.looseObject({
    ...base,
    question: z.literal('size hvo'),
    hvo: z.boolean(),
    freedPerPage: bytes,
    vmemmapFreed: bytes,
    memTotalGain: z.object({ min: bytes, max: bytes }),
  }),
  dedup: z.looseObject({
    ...base,
    question: z.literal('size dedup'),
    structPages: bytes,
    memmap: bytes,
    saved: bytes,
    dedup: z.boolean(),
  }),
  blocks: z.looseObject({
    ...base,
    question: z.literal('size blocks'),
    pageSize: bytes,
    sectionSize: bytes,
    subsectionSize: bytes,
    memoryBlockSize: bytes,
    vmemmap: z.object({ start: z.string(), end: z.string(), size: bytes, pageTableLevels: z.number().int() }),
    maxPhysmem: bytes,
  }),
};

/** JSON Schema of one `vmemlab size --json` answer (or an array of them, for tables). */
export function sizeJsonSchema(): unknown {
  const one = z.union(Object.values(SIZE_SCHEMAS) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  const s = z.toJSONSchema(z.union([one, z.array(one)]), { unrepresentable: 'any' }) as Record<string, unknown>;
  return { $id: 'https://vmemmap-lab/size.schema.json', title: 'vmemmap-lab size answer', ...s };
}
