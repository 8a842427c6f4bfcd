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
    .description('list the modelled architectures, their config keys, and the kernel profiles that have each')
    .option('--json', 'print JSON: [{ arch, config, notes, profiles }]')
    .action(async (o: { json?: boolean }) => {
      const { ARCH_NAMES, ARCH_INFO, PROFILES, archProfiles } = await lib();
      const rows = ARCH_NAMES.map((a) => ({ arch: a, ...ARCH_INFO[a], profiles: archProfiles(a, PROFILES) }));
      if (o.json) return writeOut(undefined, JSON.stringify(rows, null, 2) + '\n');
      const all = PROFILES.length;
      writeOut(undefined, rows.map((r) => `${r.arch}\n  config: ${r.config}\n  ${r.notes}\n  profiles: ${r.profiles.length === all ? 'all' : r.profiles.join(', ')}\n`).join(''));
    });
}
