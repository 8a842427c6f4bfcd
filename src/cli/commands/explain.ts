/**
 * `vmemlab explain <scenario> [--step N]`: what each step did and why, in plain language.
 * Flag handling only; the explanation is built by the library (src/answers/explain.ts).
 */
import type { Command } from 'commander';
import { DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, explainScenario, parseScenario, renderExplanation } from '../../index.js';
import type { CliContext } from './size.js';

export function registerExplain(program: Command, ctx: CliContext & { readScenario(path: string): Uint8Array }): void {
  program
    .command('explain')
    .description('explain each step of a scenario: the kernel path, why each number is what it is, and what would change it')
    .argument('[scenario]', 'scenario file (YAML or JSON); omit for the built-in default')
    .option('--step <n>', 'only this step (1-based, as in the scenario)')
    .option('--no-what-if', 'do not run variants of the steps (faster)')
    .option('--json', 'print JSON')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action((file: string | undefined, o: { step?: string; whatIf: boolean; json?: boolean; output?: string }) => {
      const sc = file ? parseScenario(file, ctx.readScenario(file)) : parseScenario(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO);
      let step: number | undefined;
      if (o.step !== undefined) {
        if (!/^\d+$/.test(o.step) || Number(o.step) < 1 || Number(o.step) > sc.steps.length) throw ctx.usage(`--step ${o.step}: the scenario has steps 1..${sc.steps.length}`);
        step = Number(o.step);
      }
      const e = explainScenario(sc, { step, whatIf: o.whatIf });
      ctx.writeOut(o.output, o.json ? JSON.stringify(e, null, 2) + '\n' : renderExplanation(e));
      ctx.setExit(e.steps.every((s) => s.ok || s.kind !== 'expect') ? 0 : 1);
    });
}
