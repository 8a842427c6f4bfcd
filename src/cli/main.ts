/**
 * The `vmemlab` command line. A thin shell over the library API (src/index.ts).
 *
 * Exit codes: 0 success; 1 the scenario ran but an expect step failed or an invariant was
 * violated; 2 bad input (scenario file, flags); 3 internal error (a bug in vmemmap-lab).
 */
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME, PROFILES, ScenarioError, parseScenario, renderDmesg, renderJson,
  renderPtdump, renderText, runPassed, runScenario, scenarioJsonSchema, ARCH_NAMES, fuzz, toYaml, type FuzzCase,
  compare, invalidUnder, renderComparison, matrix, matrixForScenario, renderMatrix, AnswerError,
} from '../index.js';
import { registerSize } from './commands/size.js';
import { registerExplain } from './commands/explain.js';
import { registerExplore } from './commands/explore.js';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findProfile } from '../kernels/index.js';

class UsageError extends Error {}

function readScenarioFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read scenario (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message})`);
  }
}

/** Write all of it or nothing: a temporary file renamed into place. */
function writeOut(path: string | undefined, text: string): void {
  if (!path || path === '-') {
    process.stdout.write(text);
    return;
  }
  const tmp = `${path}.vmemlab-tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw new UsageError(`--output ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function main(argv: string[]): number {
  let exitCode = 0;
  const program = new Command();
  program
    .name('vmemlab')
    .description('An executable model of the Linux kernel\'s SPARSEMEM_VMEMMAP: memmap population, vmem_altmap, pmem namespaces, memory hot(un)plug')
    .version('0.1.0')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`vmemlab: ${s.replace(/^error: /, '').trim().replace(/\s*\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)').replace(/\n/g, ' ')}\n`),
    });

  program
    .command('run')
    .description('run a scenario (default: the built-in one) and print a report')
    .argument('[scenario]', 'scenario file (YAML or JSON); omit for the built-in default')
    .option('--json', 'print the JSON report (schema 1)')
    .option('--dmesg', 'print the kernel messages of each step')
    .option('--no-debug', 'with --dmesg: leave out pr_debug messages')
    .option('--ptdump', 'print the vmemmap part of the kernel page-table dump')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .option('--kernel <id>', "run under this kernel profile instead of the scenario's")
    .action((file: string | undefined, o: { json?: boolean; dmesg?: boolean; debug: boolean; ptdump?: boolean; output?: string; kernel?: string }) => {
      if (o.json && (o.dmesg || o.ptdump)) throw new UsageError('--json cannot be combined with --dmesg or --ptdump (the JSON report is one document; its "dmesg" holds the messages)');
      let sc = file ? parseScenario(file, readScenarioFile(file)) : parseScenario(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO);
      if (o.kernel !== undefined) {
        if (!findProfile(o.kernel)) throw new UsageError(`--kernel ${o.kernel}: unknown profile; \`vmemlab kernels\` lists them`);
        const why = invalidUnder(sc, o.kernel);
        if (why) throw new UsageError(`--kernel ${o.kernel}: the scenario's ${why}`);
        sc = { ...sc, kernel: o.kernel };
      }
      const r = runScenario(sc);
      const parts: string[] = [];
      if (o.json) parts.push(renderJson(r));
      if (o.dmesg) parts.push(renderDmesg(r, { debug: o.debug }));
      if (o.ptdump) parts.push(renderPtdump(r));
      if (!o.json && !o.dmesg && !o.ptdump) parts.push(renderText(r));
      writeOut(o.output, parts.join(o.json ? '' : '\n'));
      exitCode = runPassed(r) ? 0 : 1;
    });

  const ctx = { writeOut, usage: (msg: string) => new UsageError(msg), setExit: (c: number) => { exitCode = c; } };
  registerSize(program, ctx);
  registerExplain(program, { ...ctx, readScenario: readScenarioFile });
  registerExplore(program, { ...ctx, readScenario: readScenarioFile });

  program
    .command('fuzz')
    .description('random boot/hot-add/hot-remove/namespace sequences with every invariant checked after every step')
    .option('--seed <n>', 'PRNG seed', '1')
    .option('--events <n>', 'number of steps to run', '100000')
    .option('--arch <arch>', 'x86_64 or arm64 (default: both)')
    .option('--kernel <id>', 'kernel profile (default v6.18)')
    .option('--out <dir>', 'where shrunk reproducers are written', 'fuzz-out')
    .action((o: { seed: string; events: string; arch?: string; kernel?: string; out: string }) => {
      const int = (flag: string, v: string, min: number) => {
        if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${flag} ${v}: expected a whole number >= ${min}`);
        return Number(v);
      };
      const seed = int('seed', o.seed, 0);
      const events = int('events', o.events, 1);
      if (o.arch !== undefined && !ARCH_NAMES.includes(o.arch as 'x86_64')) throw new UsageError(`--arch ${o.arch}: expected ${ARCH_NAMES.join(' or ')}`);
      if (o.kernel !== undefined && !findProfile(o.kernel)) throw new UsageError(`--kernel ${o.kernel}: unknown profile; \`vmemlab kernels\` lists them`);
      const tty = process.stderr.isTTY === true;
      const t0 = Date.now();
      let last = 0;
      const r = fuzz({
        seed, events, arch: o.arch as 'x86_64' | undefined, kernel: o.kernel,
        onProgress: (p) => {
          const now = Date.now();
          if (!tty || now - last < 100) return;
          last = now;
          const w = 30;
          const f = Math.min(w, Math.floor((p.events / p.total) * w));
          const rate = Math.round(p.events / Math.max(0.001, (now - t0) / 1000));
          process.stderr.write(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${p.events}/${p.total} events, ${rate} ev/s, ${p.violations} violations, ${p.findings} kernel findings `);
        },
      });
      if (tty) process.stderr.write('\n');
      const secs = (Date.now() - t0) / 1000;
      const write = (kind: string, cs: FuzzCase[]) => cs.map((c, i) => {
        mkdirSync(o.out, { recursive: true });
        const f = join(o.out, `${kind}-seed${seed}-${i + 1}.yaml`);
        writeOut(f, `# vmemlab fuzz --seed ${seed}: ${c.what.replace(/\n/g, ' ')}\n${toYaml(c.scenario)}`);
        return f;
      });
      const vf = write('violation', r.failures);
      const ff = write('finding', r.findingCases);
      process.stdout.write(`seed ${seed}: ${r.events} events on ${r.machines} random machines in ${secs.toFixed(1)} s (${Math.round(r.events / Math.max(secs, 0.001))} events/s)\n`);
      process.stdout.write(`invariant violations (bugs in vmemmap-lab): ${r.violations}\n`);
      for (let i = 0; i < r.failures.length; i++) process.stdout.write(`  ${r.failures[i]!.what} -> ${vf[i]} (${r.failures[i]!.steps} steps)\n`);
      process.stdout.write(`kernel findings (the modelled kernel leaves memmap unmapped or leaks): ${r.findings}, ${r.findingCases.length} distinct\n`);
      for (let i = 0; i < r.findingCases.length; i++) process.stdout.write(`  ${r.findingCases[i]!.what.slice(0, 160)} -> ${ff[i]} (${r.findingCases[i]!.steps} steps)\n`);
      exitCode = r.violations === 0 ? 0 : 1;
    });

  const kernelList = (v: string) => {
    const ks = v.split(',').map((x) => x.trim()).filter(Boolean);
    for (const k of ks) if (!findProfile(k)) throw new UsageError(`--kernel ${k}: unknown profile; \`vmemlab kernels\` lists them`);
    if (ks.length === 0) throw new UsageError('--kernel: name at least one profile');
    return ks;
  };

  program
    .command('compare')
    .description('run one scenario under several kernel profiles and show what differs, step by step')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--kernel <list>', 'comma-separated profiles, e.g. v5.6,v6.1,v6.18,seed-v2')
    .option('--all', 'show every row, not only those that differ')
    .option('--json', 'print the comparison as JSON')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action((file: string, o: { kernel: string; all?: boolean; json?: boolean; output?: string }) => {
      const ks = kernelList(o.kernel);
      const sc = parseScenario(file, readScenarioFile(file));
      const c = compare(sc, ks, { all: o.all });
      writeOut(o.output, o.json ? JSON.stringify(c, null, 2) + '\n' : renderComparison(c));
      exitCode = c.passed ? 0 : 1;
    });

  program
    .command('matrix')
    .description('where the memmap of device memory ends up, per arch/page size and kernel profile')
    .option('--scenario <file>', 'use your scenario: one row per step instead of the standard cases')
    .option('--kernel <list>', 'comma-separated profiles (default: all)')
    .option('--json', 'print JSON')
    .option('--markdown', 'print a Markdown table')
    .option('-o, --output <file>', 'write to a file instead of standard output (all or nothing)')
    .action((o: { scenario?: string; kernel?: string; json?: boolean; markdown?: boolean; output?: string }) => {
      const ks = o.kernel ? kernelList(o.kernel) : undefined;
      const mx = o.scenario ? matrixForScenario(parseScenario(o.scenario, readScenarioFile(o.scenario)), ks) : matrix(ks);
      writeOut(o.output, o.json ? JSON.stringify(mx, null, 2) + '\n' : renderMatrix(mx, o.markdown ? 'markdown' : 'text'));
    });

  program
    .command('conformance')
    .description('boot your own kernel under QEMU with the conformance harness and compare it with the model (needs a checkout with npm ci, root, and Debian packages: see conformance/README.md)')
    .argument('[scenario]', 'scenario (default: fsdax --map=dev and --map=mem on a 2 GiB guest with a 4 GiB NVDIMM)')
    .requiredOption('--kernel-image <file>', 'x86_64 bzImage/vmlinuz or arm64 Image')
    .option('--modules <dir>', 'a directory holding lib/modules/<kver>/ (or that <kver> directory)')
    .option('--kver <release>', 'which lib/modules/<kver> when there are several')
    .option('--arch <arch>', 'x86_64 or arm64 (without a scenario)')
    .option('--kernel <profile>', 'model profile to compare with (default: the one matching the release the guest reports)')
    .option('--out <dir>', 'where the recording and the raw guest output go')
    .option('--timeout <seconds>', 'QEMU time limit', '600')
    .action((scenario: string | undefined, o: { kernelImage: string; modules?: string; kver?: string; arch?: string; kernel?: string; out?: string; timeout: string }) => {
      const exists = (flag: string, p: string | undefined) => {
        if (p !== undefined && !existsSync(p)) throw new UsageError(`${flag} ${p}: no such file or directory`);
      };
      exists('--kernel-image', o.kernelImage);
      exists('--modules', o.modules);
      if (scenario) parseScenario(scenario, readScenarioFile(scenario));
      if (o.arch !== undefined && o.arch !== 'x86_64' && o.arch !== 'arm64') throw new UsageError(`--arch ${o.arch}: must be x86_64 or arm64`);
      if (o.kernel !== undefined && !findProfile(o.kernel)) throw new UsageError(`--kernel ${o.kernel}: no such profile (vmemlab kernels lists them)`);
      const timeout = Number(o.timeout);
      if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--timeout ${o.timeout}: must be a positive whole number of seconds`);
      const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
      const entry = join(root, 'conformance', 'user-kernel-cli.ts');
      if (!existsSync(entry)) throw new UsageError('vmemlab conformance needs the source checkout (conformance/ is not part of the installed package)');
      const opts = { kernelImage: resolve(o.kernelImage), modules: o.modules && resolve(o.modules), kver: o.kver, scenario: scenario && resolve(scenario), arch: o.arch, profile: o.kernel, outDir: o.out && resolve(o.out), timeoutSec: timeout };
      const r = spawnSync(process.execPath, ['--import', 'tsx', entry, JSON.stringify(opts)], { cwd: root, stdio: 'inherit' });
      exitCode = r.status ?? 3;
    });

  program
    .command('check')
    .description('validate scenario files without running them')
    .argument('<scenario...>', 'scenario files')
    .action((files: string[]) => {
      for (const f of files) parseScenario(f, readScenarioFile(f));
      process.stdout.write(`${files.length} scenario(s) valid\n`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the scenario format')
    .action(() => {
      process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
    });

  program
    .command('kernels')
    .description('list the kernel profiles with their provenance')
    .action(() => {
      for (const p of PROFILES) process.stdout.write(`${p.id.padEnd(17)} ${p.kind === 'proposal' ? '[proposal] ' : ''}${p.title}\n${''.padEnd(18)}${p.provenance}\n`);
    });

  program
    .command('arches')
    .description('list the modelled architectures and their config keys')
    .action(() => {
      const info: Record<string, string> = {
        x86_64: 'config: { levels: 4|5, pse: true|false, hypervisor: true|false, gbpages: true|false }  (4K pages)',
        arm64: 'config: { pageSize: 4K|16K|64K, vaBits: 4K 39/48/52, 16K 36/47/48/52, 64K 42/48/52 }',
      };
      for (const a of ARCH_NAMES) process.stdout.write(`${a.padEnd(8)} ${info[a]}\n`);
    });

  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof ScenarioError || e instanceof UsageError || e instanceof AnswerError) {
      process.stderr.write(`vmemlab: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`vmemlab: internal error (a bug in vmemmap-lab, please report it with the scenario): ${(e as Error).message}\n`);
    if (process.env.VMEMLAB_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 3;
  }
  return exitCode;
}
