/** vmemlab run: run a scenario and print a report. */
import type { Command } from 'commander';
import { lib, readScenarioFile, resolveKernels, UsageError, writeOut, type Ctx } from '../common.js';

let barShown = false;

/** A progress bar on a terminal for a run that has taken over a second (standard error is looked at only then). */
function progressBar(): (done: number, total: number) => void {
  const t0 = Date.now();
  let last = 0;
  let tty: boolean | undefined;
  return (done, total) => {
    const now = Date.now();
    if (now - t0 < 1000 || now - last < 100) return;
    last = now;
    tty ??= process.stderr.isTTY === true;
    if (!tty) return;
    barShown = true;
    const w = 30;
    const f = Math.min(w, Math.floor((done / total) * w));
    process.stderr.write(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] step ${done}/${total}`);
  };
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command('run')
    .description('run a scenario (default: the built-in one) and print a report')
    .argument('[scenario]', 'scenario file (YAML or JSON); omit for the built-in default')
    .option('--json', 'print the JSON report (schema 1)')
    .option('--dmesg', 'print the kernel messages of each step')
    .option('--no-debug', 'with --dmesg: leave out pr_debug messages')
    .option('--ptdump', 'print the vmemmap part of the kernel page-table dump')
    .option('--trace', 'print the kernel-level events of each step (tables, leaves, altmap, sections, populate decisions); with --json: a "trace" list in each step')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .option('--kernel <id|file>', "run under this kernel profile (or a profile file/module: ./my.yaml, ./my.mjs) instead of the scenario's")
    .option('--paranoid', 'check every invariant over the whole state after every step (default: what the step touched, and everything at the end)')
    .action(async (file: string | undefined, o: { json?: boolean; dmesg?: boolean; debug: boolean; ptdump?: boolean; trace?: boolean; output?: string; kernel?: string; paranoid?: boolean }) => {
      if (o.json && (o.dmesg || o.ptdump)) throw new UsageError('--json cannot be combined with --dmesg or --ptdump (the JSON report is one document; its "dmesg" holds the messages)');
      // the built-in default under its own kernel needs only the core (no YAML parser, no validator)
      const full = file !== undefined || o.kernel !== undefined ? await lib() : null;
      const { defaultScenario, runScenario, renderJson, renderDmesg, renderPtdump, renderTrace, renderText, runExitCode } = full ?? (await import('../../core.js'));
      let sc = file ? full!.parseScenario(file, readScenarioFile(file)) : defaultScenario();
      if (o.kernel !== undefined) {
        const { invalidUnder } = full!;
        const [k] = await resolveKernels(o.kernel);
        const why = invalidUnder(sc, k!);
        if (why) throw new UsageError(`--kernel ${o.kernel}: the scenario's ${why}`);
        sc = { ...sc, kernel: k! };
      }
      const r = runScenario(sc, { paranoid: o.paranoid, onStep: progressBar() });
      if (barShown) process.stderr.write('\r\x1b[K');
      const parts: string[] = [];
      if (o.json) parts.push(renderJson(r, { trace: o.trace }));
      if (o.dmesg) parts.push(renderDmesg(r, { debug: o.debug }));
      if (o.ptdump) parts.push(renderPtdump(r));
      if (o.trace && !o.json) parts.push(renderTrace(r));
      if (!o.json && !o.dmesg && !o.ptdump && !o.trace) parts.push(renderText(r));
      writeOut(o.output, parts.join(o.json ? '' : '\n'));
      ctx.exitCode = runExitCode(r);
    });
}
