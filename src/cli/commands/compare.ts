/** vmemlab compare: one scenario under several kernel profiles. */
import type { Command } from 'commander';
import { resolveKernels, lib, readScenarioFile, writeOut, type Ctx } from '../common.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('compare')
    .description('run one scenario under several kernel profiles and show what differs, step by step')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--kernel <list>', 'comma-separated profiles (ids, or profile files/modules: ./my.yaml), e.g. v5.6,v6.1,v6.18,seed-v2')
    .option('--all', 'show every row, not only those that differ')
    .option('--wide', 'text: all profiles in one table (wider than a terminal), not blocks that fit 100 columns')
    .option('--json', 'print the comparison as JSON')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action(async (file: string, o: { kernel: string; all?: boolean; wide?: boolean; json?: boolean; output?: string }) => {
      const { compare, parseScenario, renderComparison } = await lib();
      const ks = await resolveKernels(o.kernel);
      const sc = parseScenario(file, readScenarioFile(file));
      const c = compare(sc, ks, { all: o.all });
      writeOut(o.output, o.json ? JSON.stringify(c, null, 2) + '\n' : renderComparison(c, { width: o.wide ? Infinity : 100 }));
      // expect steps run under every profile: one that fails fails the comparison
      ctx.exitCode = c.passed ? 0 : 1;
    });
}
