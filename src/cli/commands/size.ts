/**
 * `vmemlab size <question>`: sizing answers without a scenario file. Flag handling only; the
 * answers are built and run by the library (src/answers/size.ts through src/index.ts).
 *
 * Any of --arch, --page-size, --kernel and the question's own value flags (--size, --map,
 * --align, --huge-page ...) may be a comma-separated list: then one row per combination.
 */
import type { Command } from 'commander';
import type { AnswerBase, MachineOpts } from '../../index.js';
import { lib, resolveKernels, UsageError, writeOut, type Ctx } from '../common.js';
import { commas, fmtSize } from '../../util/units.js';

type Lib = Awaited<ReturnType<typeof lib>>;

/** What the helpers below need: the library (loaded in the action) and the exit code. */
interface CliContext {
  L: Lib;
  ctx: Ctx;
}


function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((x) => x.trim()).filter(Boolean);
}

function sizes(c: CliContext, flag: string, v: string | undefined): number[] | undefined {
  const xs = list(v);
  if (!xs) return undefined;
  if (xs.length === 0) throw new UsageError(`${flag}: give a size, e.g. 16G`);
  return xs.map((x) => {
    try {
      return c.L.parseSize(x);
    } catch (e) {
      if (e instanceof c.L.SizeError) throw new UsageError(`${flag} ${x}: ${e.message}`);
      throw e;
    }
  });
}

function one(c: CliContext, flag: string, v: string | undefined): number | undefined {
  const xs = sizes(c, flag, v);
  if (xs && xs.length > 1) throw new UsageError(`${flag}: takes one value, not a list`);
  return xs?.[0];
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} ${v}: expected a whole number`);
  return Number(v);
}

function choice<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T[] | undefined {
  const xs = list(v);
  if (!xs) return undefined;
  for (const x of xs) if (!allowed.includes(x as T)) throw new UsageError(`${flag} ${x}: expected ${allowed.join(' or ')}`);
  return xs as T[];
}

interface CommonFlags {
  arch?: string;
  pageSize?: string;
  vaBits?: string;
  levels?: string;
  paging?: string;
  mmu?: string;
  /** --no-edat: commander's negation sets edat to false. */
  edat?: boolean;
  kernel?: string;
  json?: boolean;
  scenario?: boolean;
  output?: string;
}

/** Base page sizes each arch offers. */
const PAGE_SIZES: Record<string, readonly string[]> = { x86_64: ['4K'], riscv64: ['4K'], arm64: ['4K', '16K', '64K'], loongarch64: ['4K', '16K', '64K'], ia64: ['4K', '8K', '16K', '64K'], powerpc64: ['4K', '64K'], s390x: ['4K'] };

/** Every machine the flags name: arch x page size x paging mode x kernel. Page sizes an arch lacks are skipped. */
async function machines(c: CliContext, o: CommonFlags): Promise<MachineOpts[]> {
  const arches = choice('--arch', o.arch, c.L.ARCH_NAMES) ?? ['x86_64'];
  const pages = choice('--page-size', o.pageSize, ['4K', '8K', '16K', '64K'] as const);
  const paging = choice('--paging', o.paging, c.L.RISCV_MODES);
  const mmus = choice('--mmu', o.mmu, ['radix', 'hash'] as const);
  const kernels = o.kernel === undefined ? [c.L.DEFAULT_KERNEL] : await resolveKernels(o.kernel);
  const vaBits = int('--va-bits', o.vaBits);
  const levels = int('--levels', o.levels);
  const out: MachineOpts[] = [];
  for (const arch of arches) {
    const ps = pages ? pages.filter((p) => PAGE_SIZES[arch]!.includes(p)) : [undefined];
    for (const pageSize of ps) {
      for (const mode of arch === 'riscv64' ? (paging ?? [undefined]) : arch === 'powerpc64' ? (mmus ?? [undefined]) : [undefined]) {
        for (const kernel of kernels) {
          out.push({
            arch, kernel,
            ...(pageSize !== undefined ? { pageSize } : {}),
            ...(arch === 'arm64' && vaBits !== undefined ? { vaBits } : {}),
            ...((arch === 'x86_64' || arch === 'loongarch64' || arch === 'ia64') && levels !== undefined ? { levels } : {}),
            ...(mode !== undefined ? (arch === 'powerpc64' ? { mmu: mode } : { paging: mode }) : {}),
            ...(arch === 's390x' && o.edat === false ? { edat1: false } : {}),
          });
        }
      }
    }
  }
  if (out.length === 0) throw new UsageError(`--page-size ${o.pageSize}: none of these page sizes exists on ${arches.join(', ')} (x86_64 and riscv64 have only 4K)`);
  const only4k = arches.filter((a) => a === 'x86_64' || a === 'riscv64' || a === 's390x');
  if (arches.length === only4k.length && pages && !pages.includes('4K')) throw new UsageError(`--page-size ${o.pageSize}: ${only4k.join(' and ')} ${only4k.length > 1 ? 'have' : 'has'} only 4K pages`);
  return out;
}

function product<T>(base: T[], key: string, values: unknown[] | undefined): (T & Record<string, unknown>)[] {
  if (!values) return base as (T & Record<string, unknown>)[];
  return base.flatMap((b) => values.map((v) => ({ ...b, [key]: v })));
}

function common(cmd: Command): Command {
  return cmd
    .option('--arch <list>', 'architecture(s): x86_64, arm64, riscv64, loongarch64, ia64, powerpc64, s390x (default x86_64)')
    .option('--page-size <list>', 'base page size(s): 4K, 16K, 64K (arm64, loongarch64), 8K too (ia64), 4K or 64K (powerpc64); x86_64, riscv64 and s390x have 4K')
    .option('--va-bits <n>', 'arm64 VA_BITS (default 48)')
    .option('--levels <n>', 'x86_64 paging levels: 4 or 5; loongarch64 page-table levels: 2, 3 or 4; ia64: 3 or 4')
    .option('--paging <list>', 'riscv64 paging mode(s): sv39, sv48, sv57 (default sv39)')
    .option('--mmu <list>', 'powerpc64 MMU(s): radix, hash (default radix)')
    .option('--no-edat', 's390x: a CPU without EDAT-1 (4 KiB vmemmap pages, as under QEMU TCG)')
    .option('--kernel <list>', 'kernel profile(s), ids or profile files/modules (default: the default profile, v6.18; `vmemlab kernels` lists them)')
    .option('--json', 'print JSON (an object; an array of objects when a flag is a list)')
    .option('--scenario', 'print the scenario that answers the question (YAML), to run, explain or edit')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)');
}

type Row = AnswerBase & Record<string, unknown>;

function machineCol(a: AnswerBase): string {
  return `${a.machine.label} ${a.machine.kernel}`;
}

function render(c: CliContext, o: CommonFlags, answers: Row[], columns: [string, (a: Row) => string][]): void {
  let text: string;
  if (o.scenario) text = answers.map((a) => (answers.length > 1 ? `# ${machineCol(a)}\n` : '') + a.scenario).join('---\n');
  else if (o.json) text = JSON.stringify(answers.length === 1 ? answers[0] : answers, null, 2) + '\n';
  else if (answers.length === 1) {
    const a = answers[0]!;
    const lines = [...a.explanation];
    for (const w of a.warnings) lines.push(`  kernel: ${w}`);
    text = lines.join('\n') + '\n';
  } else {
    const head = ['machine', ...columns.map(([h]) => h)];
    const rows = answers.map((a) => [machineCol(a), ...columns.map(([, f]) => f(a))]);
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd();
    text = [line(head), ...rows.map(line)].join('\n') + '\n';
  }
  writeOut(o.output, text);
  c.ctx.exitCode = answers.every((a) => a.ok) ? 0 : 1;
}

/** A size for a table cell: exact (16 GiB, 16380 KiB) or, when no unit divides it, in bytes. */
function bytes(n: unknown): string {
  if (typeof n !== 'number') return '-';
  const s = fmtSize(n);
  if (!s.includes('.')) return s;
  for (const [u, name] of [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']] as const) if (n % u === 0) return `${commas(n / u)} ${name}`;
  return `${commas(n)} B`;
}

export function register(program: Command, ctx: Ctx): void {
  const size = program
    .command('size')
    .description('answer a sizing question directly (no scenario file): namespace, memmap, hot-add, hvo, dedup, blocks');

  common(size.command('namespace'))
    .description('usable capacity of an fsdax/devdax namespace (nd_pfn_init), where its memmap lives, what it costs; or --usable: the size to ask for')
    .option('--size <list>', 'namespace (region) size(s), e.g. 1.5T')
    .option('--usable <list>', 'the inverse question: the smallest size giving at least this much usable')
    .option('--mode <list>', 'fsdax (default) or devdax')
    .option('--map <list>', 'dev (default: memmap on the device) or mem (in RAM)')
    .option('--align <list>', 'namespace alignment, e.g. 4K, 2M, 1G (default: the kernel\'s for the arch)')
    .option('--start <addr>', 'physical address of the region (default: 64 GiB-aligned above RAM)')
    .option('--node-ram <size>', 'boot RAM of the node (default: enough for a --map=mem memmap)')
    .action(async (o: CommonFlags & { size?: string; usable?: string; mode?: string; map?: string; align?: string; start?: string; nodeRam?: string }) => {
      const c: CliContext = { L: await lib(), ctx };
      if ((o.size === undefined) === (o.usable === undefined)) throw new UsageError('--size or --usable: give one (--size: how much is usable? --usable: what size to ask for?)');
      let qs: Record<string, unknown>[] = (await machines(c, o)).map((m) => ({ ...m, start: one(c, '--start', o.start), nodeRam: one(c, '--node-ram', o.nodeRam) }));
      qs = product(qs, 'size', sizes(c, '--size', o.size));
      qs = product(qs, 'usable', sizes(c, '--usable', o.usable));
      qs = product(qs, 'mode', choice( '--mode', o.mode, ['fsdax', 'devdax'] as const));
      qs = product(qs, 'map', choice( '--map', o.map, ['dev', 'mem'] as const));
      qs = product(qs, 'align', sizes(c, '--align', o.align));
      const answers = qs.map((q) => c.L.sizeNamespace(q as never) as unknown as Row);
      render(c, o, answers, [
        ['size', (a) => bytes(a.size)],
        ['mode', (a) => `${a.mode} map=${a.map}`],
        ['align', (a) => bytes(a.align)],
        ['usable', (a) => (a.usable === null ? `FAILED ${a.errno}` : `${commas(a.usable as number)} (${fmtSize(a.usable as number)})`)],
        ['dataOffset', (a) => (a.dataOffset === null ? '-' : commas(a.dataOffset as number))],
        ['memmap', (a) => `${bytes((a.memmap as { bytes: number }).bytes)} ${(a.memmap as { on: string }).on}`],
        ['pt pages', (a) => String((a.pageTablePages as { total: number }).total)],
        ['leaf', (a) => String(a.leaf)],
      ]);
    });

  common(size.command('memmap'))
    .description('what memory costs in struct pages and vmemmap page tables, and at which level it maps')
    .requiredOption('--size <list>', 'memory size(s), e.g. 1G,16G,1T,6T')
    .option('--node-ram <size>', 'hot-add the memory to a node with this much boot RAM (default: the memory is boot RAM)')
    .action(async (o: CommonFlags & { size: string; nodeRam?: string }) => {
      const c: CliContext = { L: await lib(), ctx };
      const qs = product((await machines(c, o)).map((m) => ({ ...m, nodeRam: one(c, '--node-ram', o.nodeRam) })), 'size', sizes(c, '--size', o.size));
      const answers = qs.map((q) => c.L.sizeMemmap(q as never) as unknown as Row);
      render(c, o, answers, [
        ['size', (a) => bytes(a.size)],
        ['memmap', (a) => `${commas((a.memmap as { bytes: number }).bytes)} (${bytes((a.memmap as { bytes: number }).bytes)})`],
        ['pt pages', (a) => String((a.pageTablePages as { total: number }).total)],
        ['leaf', (a) => String(a.leaf)],
        ['ok', (a) => (a.ok ? 'ok' : `FAILED ${a.errno}`)],
      ]);
    });

  common(size.command('hot-add'))
    .description('pre-flight a hot-add into a guest: will it fit, what it needs, the largest that fits, a chunk plan')
    .requiredOption('--size <list>', 'memory to hot-add, e.g. 12G')
    .requiredOption('--free <size>', 'free memory in the guest before the hot-add (MemFree)')
    .option('--block <size>', 'hot-add granularity (DIMM size), a multiple of the memory block size (default: one block)')
    .option('--memmap-on-memory [mode]', 'memory_hotplug.memmap_on_memory=1 (or =force): the memmap inside the added memory where the kernel allows')
    .option('--used <size>', 'memory the guest has in use (default 0)')
    .option('--ram <size>', 'boot RAM of the guest (default: what free + used need)')
    .action(async (o: CommonFlags & { size: string; free: string; block?: string; memmapOnMemory?: boolean | string; used?: string; ram?: string }) => {
      const c: CliContext = { L: await lib(), ctx };
      if (typeof o.memmapOnMemory === 'string' && o.memmapOnMemory !== 'force' && o.memmapOnMemory !== 'on') throw new UsageError(`--memmap-on-memory ${o.memmapOnMemory}: expected on or force`);
      const free = one(c, '--free', o.free)!;
      const qs = product((await machines(c, o)).map((m) => ({ ...m, free, block: one(c, '--block', o.block), memmapOnMemory: o.memmapOnMemory === 'force' ? 'force' : o.memmapOnMemory !== undefined, used: one(c, '--used', o.used), ram: one(c, '--ram', o.ram) })), 'size', sizes(c, '--size', o.size));
      const answers = qs.map((q) => c.L.sizeHotAdd(q as never) as unknown as Row);
      render(c, o, answers, [
        ['size', (a) => bytes(a.size)],
        ['free', (a) => bytes(a.free)],
        ['at once', (a) => (a.ok ? 'ok' : `FAILED ${a.errno}`)],
        ['needs free', (a) => bytes(a.needFree)],
        ['memmap', (a) => { const m = a.memmap as { ram: number; self: number }; return m.self ? `${bytes(m.ram)} RAM + ${bytes(m.self)} in the blocks` : `${bytes(m.ram)} RAM`; }],
        ['largest fit', (a) => bytes(a.largestFit)],
        ['plan', (a) => `${(a.plan as unknown[]).length} chunk(s)${a.planComplete ? '' : ' (incomplete)'}`],
      ]);
    });

  common(size.command('hvo'))
    .description('HugeTLB vmemmap optimisation: what N huge pages give back, or why they cannot')
    .requiredOption('--huge-page <list>', 'huge page size(s), e.g. 2M,1G')
    .option('--count <n>', 'number of huge pages')
    .option('--pool <size>', 'pool size instead of --count (a multiple of the huge page size)')
    .option('--boot', 'reserve them at boot (hugepagesz= hugepages=) instead of at run time')
    .action(async (o: CommonFlags & { hugePage: string; count?: string; pool?: string; boot?: boolean }) => {
      const c: CliContext = { L: await lib(), ctx };
      if ((o.count === undefined) === (o.pool === undefined)) throw new UsageError('--count or --pool: give one');
      const pool = one(c, '--pool', o.pool);
      const count = int( '--count', o.count);
      const qs = product((await machines(c, o)).map((m) => ({ ...m, boot: o.boot === true })), 'hugePage', sizes(c, '--huge-page', o.hugePage)).map((q) => {
        const hp = q.hugePage as number;
        if (pool !== undefined && pool % hp !== 0) throw new UsageError(`--pool ${o.pool}: not a multiple of the ${fmtSize(hp)} huge page size`);
        return { ...q, count: count ?? pool! / hp };
      });
      const answers = qs.map((q) => c.L.sizeHvo(q as never) as unknown as Row);
      render(c, o, answers, [
        ['huge page', (a) => bytes(a.hugePage)],
        ['pages', (a) => commas(a.pages as number)],
        ['hvo', (a) => (a.hvo ? 'on' : 'impossible')],
        ['freed/page', (a) => bytes(a.freedPerPage)],
        ['freed', (a) => bytes(a.vmemmapFreed)],
        ['MemTotal gain', (a) => { const g = a.memTotalGain as { min: number; max: number }; return g.min === g.max ? bytes(g.min) : `${bytes(g.min)}..${bytes(g.max)}`; }],
      ]);
    });

  common(size.command('dedup'))
    .description('device-dax compound-page vmemmap dedup: what the memmap of a devdax namespace costs with it')
    .requiredOption('--size <list>', 'namespace size(s)')
    .option('--align <list>', 'device-dax alignment(s), e.g. 2M,1G (default: the kernel\'s)')
    .option('--map <list>', 'mem (default) or dev')
    .action(async (o: CommonFlags & { size: string; align?: string; map?: string }) => {
      const c: CliContext = { L: await lib(), ctx };
      let qs: Record<string, unknown>[] = product((await machines(c, o)), 'size', sizes(c, '--size', o.size));
      qs = product(qs, 'align', sizes(c, '--align', o.align));
      qs = product(qs, 'map', choice( '--map', o.map, ['dev', 'mem'] as const));
      const answers = qs.map((q) => c.L.sizeDedup(q as never) as unknown as Row);
      render(c, o, answers, [
        ['size', (a) => bytes(a.size)],
        ['align', (a) => bytes(a.align)],
        ['map', (a) => String(a.map)],
        ['struct pages', (a) => (a.ok ? bytes(a.structPages) : `FAILED ${a.errno}`)],
        ['memmap', (a) => bytes(a.memmap)],
        ['saved', (a) => bytes(a.saved)],
      ]);
    });

  common(size.command('blocks'))
    .description('granularity and alignment rules: page, section, sub-section, memory block, pageblock; the vmemmap window')
    .option('--ram <size>', 'boot RAM (x86_64 picks its memory block size from it; default 16G)')
    .action(async (o: CommonFlags & { ram?: string }) => {
      const c: CliContext = { L: await lib(), ctx };
      const answers = (await machines(c, o)).map((m) => c.L.sizeBlocks({ ...m, ram: one(c, '--ram', o.ram) }) as unknown as Row);
      render(c, o, answers, [
        ['page', (a) => bytes(a.pageSize)],
        ['section', (a) => bytes(a.sectionSize)],
        ['sub-section', (a) => bytes(a.subsectionSize)],
        ['block', (a) => bytes(a.memoryBlockSize)],
        ['pageblock', (a) => bytes(a.pageblockSize)],
        ['memmap/block', (a) => bytes(a.memmapPerBlock)],
        ['vmemmap', (a) => bytes((a.vmemmap as { size: number }).size)],
        ['max phys', (a) => bytes(a.maxPhysmem)],
      ]);
    });
}
