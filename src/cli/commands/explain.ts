/**
 * `vmemlab explain <scenario> [--step N]`: what each step did and why, in plain language.
 * Flag handling only; the explanation is built by the library (src/answers/explain.ts).
 */
import type { Command } from 'commander';
import { lib, readScenarioFile, resolveKernels, UsageError, writeOut, type Ctx } from '../common.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('explain')
    .description('explain each step of a scenario: the kernel path, why each number is what it is, and what would change it')
    .argument('[scenario]', 'scenario file (YAML or JSON); omit for the built-in default')
    .option('--step <n>', 'only this step (1-based, as in the scenario)')
    .option('--kernel <id|file>', "explain it under this kernel profile (or profile file/module) instead of the scenario's")
    .option('--no-what-if', 'do not run variants of the steps (faster)')
    .option('--json', 'print JSON')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action(async (file: string | undefined, o: { step?: string; kernel?: string; whatIf: boolean; json?: boolean; output?: string }) => {
      const L = await lib();
      let sc = file ? L.parseScenario(file, readScenarioFile(file)) : L.parseScenario(L.DEFAULT_SCENARIO_NAME, L.DEFAULT_SCENARIO);
      if (o.kernel !== undefined) {
        const [k] = await resolveKernels(o.kernel);
        const why = L.invalidUnder(sc, k!);
        if (why) throw new UsageError(`--kernel ${o.kernel}: the scenario's ${why}`);
        sc = { ...sc, kernel: k! };
      }
      let step: number | undefined;
      if (o.step !== undefined) {
        if (!/^\d+$/.test(o.step) || Number(o.step) < 1 || Number(o.step) > sc.steps.length) throw new UsageError(`--step ${o.step}: the scenario has steps 1..${sc.steps.length}`);
        step = Number(o.step);
      }
      const e = L.explainScenario(sc, { step, whatIf: o.whatIf });
      writeOut(o.output, o.json ? JSON.stringify(e, null, 2) + '\n' : L.renderExplanation(e));
      ctx.exitCode = e.steps.every((s) => s.ok || s.kind !== 'expect') ? 0 : 1;
    });
}
