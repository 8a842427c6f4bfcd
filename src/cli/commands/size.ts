/**
 * `vmemlab size <question>`: sizing answers without a scenario file. Flag handling only; the
 * answers are built and run by the library (src/answers/size.ts through src/index.ts).
 *
 * Any of --arch, --page-size, --kernel and the question's own value flags (--size, --map,
 * --align, --huge-page ...) may be a comma-separated list: then one row per combination.
 */
import { Command } from 'commander';
import {
  ARCH_NAMES, DEFAULT_KERNEL, SizeError, parseSize, fmtSize, sizeBlocks, sizeDedup, sizeHotAdd, sizeHvo, sizeMemmap, sizeNamespace,
  type AnswerBase, type MachineOpts,
} from '../../index.js';

export interface CliContext {
  writeOut(path: string | undefined, text: string): void;
  usage(message: string): Error;
  setExit(code: number): void;
}

const commas = (n: number) => n.toLocaleString('en-US');

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((x) => x.trim()).filter(Boolean);
}

function sizes(ctx: CliContext, flag: string, v: string | undefined): number[] | undefined {
  const xs = list(v);
  if (!xs) return undefined;
  if (xs.length === 0) throw ctx.usage(`${flag}: give a size, e.g. 16G`);
  return xs.map((x) => {
    try {
      return parseSize(x);
    } catch (e) {
      if (e instanceof SizeError) throw ctx.usage(`${flag} ${x}: ${e.message}`);
      throw e;
    }
  });
}

function one(ctx: CliContext, flag: string, v: string | undefined): number | undefined {
  const xs = sizes(ctx, flag, v);
  if (xs && xs.length > 1) throw ctx.usage(`${flag}: takes one value, not a list`);
  return xs?.[0];
}

function int(ctx: CliContext, flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw ctx.usage(`${flag} ${v}: expected a whole number`);
  return Number(v);
}

function choice<T extends string>(ctx: CliContext, flag: string, v: string | undefined, allowed: readonly T[]): T[] | undefined {
  const xs = list(v);
  if (!xs) return undefined;
  for (const x of xs) if (!allowed.includes(x as T)) throw ctx.usage(`${flag} ${x}: expected ${allowed.join(' or ')}`);
  return xs as T[];
}

interface CommonFlags {
  arch?: string;
  pageSize?: string;
  vaBits?: string;
  levels?: string;
  kernel?: string;
  json?: boolean;
  scenario?: boolean;
  output?: string;
}

/** Every machine the flags name: arch x page size x kernel. Page sizes an arch lacks are skipped. */
function machines(ctx: CliContext, o: CommonFlags): MachineOpts[] {
  const arches = choice(ctx, '--arch', o.arch, ARCH_NAMES) ?? ['x86_64'];
  const pages = choice(ctx, '--page-size', o.pageSize, ['4K', '16K', '64K'] as const);
  const kernels = list(o.kernel) ?? [DEFAULT_KERNEL];
  const vaBits = int(ctx, '--va-bits', o.vaBits);
  const levels = int(ctx, '--levels', o.levels);
  const out: MachineOpts[] = [];
  for (const arch of arches) {
    const ps = arch === 'x86_64' ? (pages ? pages.filter((p) => p === '4K') : [undefined]) : (pages ?? [undefined]);
    for (const pageSize of ps) {
      for (const kernel of kernels) {
        out.push({ arch, pageSize, kernel, ...(arch === 'arm64' && vaBits !== undefined ? { vaBits } : {}), ...(arch === 'x86_64' && levels !== undefined ? { levels } : {}) });
      }
    }
  }
  if (out.length === 0) throw ctx.usage(`--page-size ${o.pageSize}: none of these page sizes exists on ${arches.join(', ')} (x86_64 has only 4K)`);
  if (arches.length === 1 && arches[0] === 'x86_64' && pages && !pages.includes('4K')) throw ctx.usage(`--page-size ${o.pageSize}: x86_64 has only 4K pages`);
  return out;
}

function product<T>(base: T[], key: string, values: unknown[] | undefined): (T & Record<string, unknown>)[] {
  if (!values) return base as (T & Record<string, unknown>)[];
  return base.flatMap((b) => values.map((v) => ({ ...b, [key]: v })));
}

function common(cmd: Command): Command {
  return cmd
    .option('--arch <list>', `architecture(s): ${ARCH_NAMES.join(', ')} (default x86_64)`)
    .option('--page-size <list>', 'base page size(s): 4K, 16K, 64K (arm64; x86_64 has 4K)')
    .option('--va-bits <n>', 'arm64 VA_BITS (default 48)')
    .option('--levels <n>', 'x86_64 paging levels: 4 or 5')
    .option('--kernel <list>', `kernel profile(s) (default ${DEFAULT_KERNEL}; \`vmemlab kernels\` lists them)`)
    .option('--json', 'print JSON (an object; an array of objects when a flag is a list)')
    .option('--scenario', 'print the scenario that answers the question (YAML), to run, explain or edit')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)');
}

type Row = AnswerBase & Record<string, unknown>;

function machineCol(a: AnswerBase): string {
  return `${a.machine.label} ${a.machine.kernel}`;
}

function render(ctx: CliContext, o: CommonFlags, answers: Row[], columns: [string, (a: Row) => string][]): void {
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
  ctx.writeOut(o.output, text);
  ctx.setExit(answers.every((a) => a.ok) ? 0 : 1);
}

/** A size for a table cell: exact (16 GiB, 16380 KiB) or, when no unit divides it, in bytes. */
function bytes(n: unknown): string {
  if (typeof n !== 'number') return '-';
  const s = fmtSize(n);
  if (!s.includes('.')) return s;
  for (const [u, name] of [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']] as const) if (n % u === 0) return `${commas(n / u)} ${name}`;
  return `${commas(n)} B`;
}

export function registerSize(program: Command, ctx: CliContext): void {
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
    .action((o: CommonFlags & { size?: string; usable?: string; mode?: string; map?: string; align?: string; start?: string; nodeRam?: string }) => {
      if ((o.size === undefined) === (o.usable === undefined)) throw ctx.usage('--size or --usable: give one (--size: how much is usable? --usable: what size to ask for?)');
      let qs: Record<string, unknown>[] = machines(ctx, o).map((m) => ({ ...m, start: one(ctx, '--start', o.start), nodeRam: one(ctx, '--node-ram', o.nodeRam) }));
      qs = product(qs, 'size', sizes(ctx, '--size', o.size));
      qs = product(qs, 'usable', sizes(ctx, '--usable', o.usable));
      qs = product(qs, 'mode', choice(ctx, '--mode', o.mode, ['fsdax', 'devdax'] as const));
      qs = product(qs, 'map', choice(ctx, '--map', o.map, ['dev', 'mem'] as const));
      qs = product(qs, 'align', sizes(ctx, '--align', o.align));
      const answers = qs.map((q) => sizeNamespace(q as never) as unknown as Row);
      render(ctx, o, answers, [
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
    .action((o: CommonFlags & { size: string; nodeRam?: string }) => {
      const qs = product(machines(ctx, o).map((m) => ({ ...m, nodeRam: one(ctx, '--node-ram', o.nodeRam) })), 'size', sizes(ctx, '--size', o.size));
      const answers = qs.map((q) => sizeMemmap(q as never) as unknown as Row);
      render(ctx, o, answers, [
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
    .action((o: CommonFlags & { size: string; free: string; block?: string; memmapOnMemory?: boolean | string; used?: string; ram?: string }) => {
      if (typeof o.memmapOnMemory === 'string' && o.memmapOnMemory !== 'force' && o.memmapOnMemory !== 'on') throw ctx.usage(`--memmap-on-memory ${o.memmapOnMemory}: expected on or force`);
      const free = one(ctx, '--free', o.free)!;
      const qs = product(machines(ctx, o).map((m) => ({ ...m, free, block: one(ctx, '--block', o.block), memmapOnMemory: o.memmapOnMemory === 'force' ? 'force' : o.memmapOnMemory !== undefined, used: one(ctx, '--used', o.used), ram: one(ctx, '--ram', o.ram) })), 'size', sizes(ctx, '--size', o.size));
      const answers = qs.map((q) => sizeHotAdd(q as never) as unknown as Row);
      render(ctx, o, answers, [
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
    .action((o: CommonFlags & { hugePage: string; count?: string; pool?: string; boot?: boolean }) => {
      if ((o.count === undefined) === (o.pool === undefined)) throw ctx.usage('--count or --pool: give one');
      const pool = one(ctx, '--pool', o.pool);
      const count = int(ctx, '--count', o.count);
      const qs = product(machines(ctx, o).map((m) => ({ ...m, boot: o.boot === true })), 'hugePage', sizes(ctx, '--huge-page', o.hugePage)).map((q) => {
        const hp = q.hugePage as number;
        if (pool !== undefined && pool % hp !== 0) throw ctx.usage(`--pool ${o.pool}: not a multiple of the ${fmtSize(hp)} huge page size`);
        return { ...q, count: count ?? pool! / hp };
      });
      const answers = qs.map((q) => sizeHvo(q as never) as unknown as Row);
      render(ctx, o, answers, [
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
    .action((o: CommonFlags & { size: string; align?: string; map?: string }) => {
      let qs: Record<string, unknown>[] = product(machines(ctx, o), 'size', sizes(ctx, '--size', o.size));
      qs = product(qs, 'align', sizes(ctx, '--align', o.align));
      qs = product(qs, 'map', choice(ctx, '--map', o.map, ['dev', 'mem'] as const));
      const answers = qs.map((q) => sizeDedup(q as never) as unknown as Row);
      render(ctx, o, answers, [
        ['size', (a) => bytes(a.size)],
        ['align', (a) => bytes(a.align)],
        ['map', (a) => String(a.map)],
        ['struct pages', (a) => bytes(a.structPages)],
        ['memmap', (a) => bytes(a.memmap)],
        ['saved', (a) => bytes(a.saved)],
      ]);
    });

  common(size.command('blocks'))
    .description('granularity and alignment rules: page, section, sub-section, memory block, pageblock; the vmemmap window')
    .option('--ram <size>', 'boot RAM (x86_64 picks its memory block size from it; default 16G)')
    .action((o: CommonFlags & { ram?: string }) => {
      const answers = machines(ctx, o).map((m) => sizeBlocks({ ...m, ram: one(ctx, '--ram', o.ram) }) as unknown as Row);
      render(ctx, o, answers, [
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
