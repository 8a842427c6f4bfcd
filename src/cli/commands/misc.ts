/** Small commands: check, schema, kernels, arches. */
import type { Command } from 'commander';
import { lib, readScenarioFile, resolveKernels, UsageError, writeOut, type Ctx } from '../common.js';

export function registerCheck(program: Command, _ctx: Ctx): void {
  program
    .command('check')
    .description('validate scenario files without running them')
    .argument('<scenario...>', 'scenario files')
    .action(async (files: string[]) => {
      const { parseScenario } = await lib();
      for (const f of files) parseScenario(f, readScenarioFile(f));
      process.stdout.write(`${files.length} scenario(s) valid\n`);
    });
}

export function registerSchema(program: Command, _ctx: Ctx): void {
  program
    .command('schema')
    .description('print the JSON Schema of the scenario format')
    .action(async () => {
      const { scenarioJsonSchema } = await lib();
      process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
    });
}

export function registerKernels(program: Command, _ctx: Ctx): void {
  program
    .command('kernels')
    .description('list the kernel profiles with their provenance; --switches: the behaviour switches a profile file can set')
    .option('--switches', 'every behaviour switch: its kernel site, values, what each means (release, commit) and which profiles use which')
    .option('--json', 'with --switches: print JSON')
    .action(async (o: { switches?: boolean; json?: boolean }) => {
      const { PROFILES, renderSwitchListing, switchListing } = await lib();
      if (o.json && !o.switches) throw new UsageError('--json goes with --switches');
      if (o.switches) {
        const l = switchListing(PROFILES);
        writeOut(undefined, o.json ? JSON.stringify(l, null, 2) + '\n' : renderSwitchListing(l));
        return;
      }
      for (const p of PROFILES) process.stdout.write(`${p.id.padEnd(17)} ${p.kind === 'proposal' ? '[proposal] ' : ''}${p.title}\n${''.padEnd(18)}${p.provenance}\n`);
    });
}

export function registerDiffProfiles(program: Command, _ctx: Ctx): void {
  program
    .command('diff-profiles')
    .description('the behaviour switches and policies in which two profiles differ, with what each value means (release, commit)')
    .argument('<a>', 'profile id, or a profile file/module')
    .argument('<b>', 'profile id, or a profile file/module')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const { diffProfiles, findProfile, renderProfileDiff } = await lib();
      const [ia] = await resolveKernels(a);
      const [ib] = await resolveKernels(b);
      const d = diffProfiles(findProfile(ia!)!, findProfile(ib!)!);
      writeOut(undefined, o.json ? JSON.stringify(d, null, 2) + '\n' : renderProfileDiff(d));
    });
}

export function registerArches(program: Command, _ctx: Ctx): void {
  program
    .command('arches')
    .description('list the modelled architectures and their config keys')
    .action(async () => {
      const { ARCH_NAMES } = await lib();
      const info: Record<string, string> = {
        x86_64: 'config: { levels: 4|5, pse: true|false, hypervisor: true|false, gbpages: true|false }  (4K pages)',
        arm64: 'config: { pageSize: 4K|16K|64K, vaBits: 4K 39/48/52, 16K 36/47/48/52, 64K 42/48/52 }',
      };
      for (const a of ARCH_NAMES) process.stdout.write(`${a.padEnd(8)} ${info[a]}\n`);
    });
}
