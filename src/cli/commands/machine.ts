/**
 * `vmemlab snapshot`, `import` and `verify`: start from the machine you have. Flag handling
 * only; collecting runs snapshot/collect.sh (src/node/snapshot.ts), the rest is the library.
 */
import type { Command } from 'commander';
import { importSnapshot, parseSnapshot, renderVerification, verifySnapshot, type Snapshot } from '../../index.js';
import { collectorScript, runCollector } from '../../node/snapshot.js';
import type { CliContext } from './size.js';

export function registerMachine(program: Command, ctx: CliContext & { readText(path: string, what: string): string }): void {
  const load = (file: string): Snapshot => parseSnapshot(file, ctx.readText(file, 'snapshot'));

  program
    .command('snapshot')
    .description('collect, read-only, what decides this machine\'s memmap (run as root for the full picture) into one JSON file')
    .option('-o, --output <file>', 'where to write it (- for standard output)', 'snapshot.json')
    .option('--script', 'print the collector (a POSIX sh script; busybox is enough) to run on machines without Node')
    .option('--raw', 'write the collector\'s text instead of JSON (import and verify read both)')
    .action((o: { output: string; script?: boolean; raw?: boolean }) => {
      if (o.script) {
        ctx.writeOut(undefined, collectorScript());
        return;
      }
      const text = runCollector();
      const snap = parseSnapshot('<collector output>', text);
      ctx.writeOut(o.output, o.raw ? text : JSON.stringify(snap, null, 2) + '\n');
      if (o.output !== '-') {
        const missing = Object.entries(snap.unreadable);
        process.stderr.write(`vmemlab: snapshot of ${snap.kernel.machine} ${snap.kernel.release} written to ${o.output}${snap.root ? '' : ' (not root: some parts could not be read)'}\n`);
        for (const [what, why] of missing) process.stderr.write(`vmemlab:   not read: ${what}: ${why}\n`);
      }
    });

  program
    .command('import')
    .description('write the scenario that reproduces a snapshotted machine, to edit for "what if"')
    .argument('<snapshot>', 'a snapshot (vmemlab snapshot JSON, or the collector\'s text)')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action((file: string, o: { output?: string }) => {
      ctx.writeOut(o.output, importSnapshot(load(file)).yaml);
    });

  program
    .command('verify')
    .description('model the snapshotted machine and compare the prediction with what it shows (exit 0 agrees, 1 differences)')
    .argument('<snapshot>', 'a snapshot (vmemlab snapshot JSON, or the collector\'s text)')
    .option('--json', 'print JSON')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action((file: string, o: { json?: boolean; output?: string }) => {
      const v = verifySnapshot(load(file));
      ctx.writeOut(o.output, o.json ? JSON.stringify(v, null, 2) + '\n' : renderVerification(v));
      ctx.setExit(v.agree ? 0 : 1);
    });
}
