/**
 * `vmemlab snapshot`, `import` and `verify`: start from the machine you have. Flag handling
 * only; collecting runs snapshot/collect.sh (src/node/snapshot.ts), the rest is the library.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { lib, UsageError, writeOut, type Ctx } from '../common.js';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read snapshot (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message})`);
  }
}

export function registerSnapshot(program: Command, _ctx: Ctx): void {
  program
    .command('snapshot')
    .description('collect, read-only, what decides this machine\'s memmap (run as root for the full picture) into one JSON file')
    .option('-o, --output <file>', 'where to write it (- for standard output)', 'snapshot.json')
    .option('--script', 'print the collector (a POSIX sh script; busybox is enough) to run on machines without Node')
    .option('--raw', 'write the collector\'s text instead of JSON (import and verify read both)')
    .action(async (o: { output: string; script?: boolean; raw?: boolean }) => {
      const node = await import('../../node/snapshot.js');
      if (o.script) {
        writeOut(undefined, node.collectorScript());
        return;
      }
      const { parseSnapshot } = await lib();
      const text = node.runCollector();
      const snap = parseSnapshot('<collector output>', text);
      writeOut(o.output, o.raw ? text : JSON.stringify(snap, null, 2) + '\n');
      if (o.output !== '-') {
        process.stderr.write(`vmemlab: snapshot of ${snap.kernel.machine} ${snap.kernel.release} written to ${o.output}${snap.root ? '' : ' (not root: some parts could not be read)'}\n`);
        for (const [what, why] of Object.entries(snap.unreadable)) process.stderr.write(`vmemlab:   not read: ${what}: ${why}\n`);
      }
    });
}

export function registerImport(program: Command, _ctx: Ctx): void {
  program
    .command('import')
    .description('write the scenario that reproduces a snapshotted machine, to edit for "what if"')
    .argument('<snapshot>', 'a snapshot (vmemlab snapshot JSON, or the collector\'s text)')
    .option('--json', 'print JSON: {scenario, kernel: {id, why}, notes, hotAdded} instead of YAML')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action(async (file: string, o: { json?: boolean; output?: string }) => {
      const { importSnapshot, parseSnapshot } = await lib();
      const i = importSnapshot(parseSnapshot(file, readText(file)));
      writeOut(o.output, o.json ? JSON.stringify({ scenario: i.scenario, kernel: i.kernel, notes: i.notes, hotAdded: i.hotAdded }, null, 2) + '\n' : i.yaml);
    });
}

export function registerVerify(program: Command, ctx: Ctx): void {
  program
    .command('verify')
    .description('model the snapshotted machine and compare the prediction with what it shows (exit 0 agrees, 1 differences)')
    .argument('<snapshot>', 'a snapshot (vmemlab snapshot JSON, or the collector\'s text)')
    .option('--json', 'print JSON')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action(async (file: string, o: { json?: boolean; output?: string }) => {
      const { parseSnapshot, renderVerification, verifySnapshot } = await lib();
      const v = verifySnapshot(parseSnapshot(file, readText(file)));
      writeOut(o.output, o.json ? JSON.stringify(v, null, 2) + '\n' : renderVerification(v));
      ctx.exitCode = v.agree ? 0 : 1;
    });
}
