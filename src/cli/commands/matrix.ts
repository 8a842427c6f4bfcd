/** vmemlab matrix: where device memmap lives, per arch/page size and kernel profile. */
import type { Command } from 'commander';
import { resolveKernels, lib, readScenarioFile, writeOut, type Ctx } from '../common.js';

export function register(program: Command, _ctx: Ctx): void {
  program
    .command('matrix')
    .description('where the memmap of device memory ends up, per arch/page size and kernel profile')
    .option('--scenario <file>', 'use your scenario: one row per step instead of the standard cases')
    .option('--kernel <list>', 'comma-separated profiles, ids or profile files/modules (default: all built-in ones)')
    .option('--json', 'print JSON')
    .option('--markdown', 'print a Markdown table')
    .option('--wide', 'text: one table with the full cells (wider than a terminal), not blocks of short cells with a legend')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action(async (o: { scenario?: string; kernel?: string; json?: boolean; markdown?: boolean; wide?: boolean; output?: string }) => {
      const { matrix, matrixForScenario, parseScenario, renderMatrix } = await lib();
      const ks = o.kernel ? await resolveKernels(o.kernel) : undefined;
      const mx = o.scenario ? matrixForScenario(parseScenario(o.scenario, readScenarioFile(o.scenario)), ks) : matrix(ks);
      writeOut(o.output, o.json ? JSON.stringify(mx, null, 2) + '\n' : renderMatrix(mx, o.markdown ? 'markdown' : 'text', { width: o.wide ? Infinity : 100 }));
    });
}
