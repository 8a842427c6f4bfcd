/** vmemlab fuzz: random workloads with every invariant checked after every step. */
import type { Command } from 'commander';
const { mkdirSync } = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');
import { lib, UsageError, writeOut, type Ctx, resolveKernels } from '../common.js';

export function register(program: Command, ctx: Ctx): void {
  program
    .command('fuzz')
    .description('random boot/hot-add/hot-remove/namespace sequences with every invariant checked after every step')
    .option('--seed <n>', 'PRNG seed', '1')
    .option('--events <n>', 'number of steps to run', '100000')
    .option('--arch <arch>', 'x86_64, arm64, riscv64, loongarch64, ia64, powerpc64 or s390x (default: all the kernel has)')
    .option('--kernel <id|file>', 'kernel profile, or a profile file/module (default v6.18)')
    .option('--out <dir>', 'where shrunk reproducers are written', 'fuzz-out')
    .option('--paranoid', 'check every invariant over the whole state after every step (default: what the step touched)')
    .option('--jobs <n>', 'worker threads running the random machines (the result is the same for any number)', '1')
    .action(async (o: { seed: string; events: string; arch?: string; kernel?: string; out: string; paranoid?: boolean; jobs: string }) => {
      const int = (flag: string, v: string, min: number) => {
        if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${flag} ${v}: expected a whole number >= ${min}`);
        return Number(v);
      };
      const seed = int('seed', o.seed, 0);
      const events = int('events', o.events, 1);
      const jobs = int('jobs', o.jobs, 1);
      const { ARCH_NAMES, DEFAULT_KERNEL, findProfile, fuzz, fuzzBatched, forWriting, toYaml } = await lib();
      if (o.arch !== undefined && !ARCH_NAMES.includes(o.arch as 'x86_64')) throw new UsageError(`--arch ${o.arch}: expected ${ARCH_NAMES.join(', ')}`);
      // a profile file or module is registered in this thread only: its machines run here
      const fromFile = o.kernel !== undefined && (await import('../../node/profile.js')).isProfilePath(o.kernel);
      const kernel = o.kernel === undefined ? undefined : (await resolveKernels(o.kernel))[0];
      const prof = findProfile(kernel ?? DEFAULT_KERNEL)!;
      if (o.arch === 'loongarch64' && !prof.loongarchVmemmap) throw new UsageError(`--arch loongarch64: it has no SPARSEMEM_VMEMMAP in ${prof.id} (it arrived in v6.2)`);
      if (o.arch === 'powerpc64' && !prof.ppc64) throw new UsageError(`--arch powerpc64: it is not modelled in ${prof.id} (ppc64: false)`);
      if (o.arch === 'ia64' && !prof.ia64) throw new UsageError(`--arch ia64: it is not in ${prof.id} (removed in v6.7); try --kernel v6.6`);
      const tty = process.stderr.isTTY === true;
      const t0 = Date.now();
      let last = t0;
      // VMEMLAB_PROGRESS_MS: the interval of the plain progress lines (tests set it to 0)
      const progressEvery = Number(process.env.VMEMLAB_PROGRESS_MS ?? 2000);
      const opts: Parameters<typeof fuzz>[0] = {
        seed, events, arch: o.arch as 'x86_64' | undefined, kernel, paranoid: o.paranoid,
        onProgress: (p) => {
          const now = Date.now();
          if (!tty) {
            // not a terminal (a log, CI): a plain line every few seconds
            if (now - last < progressEvery) return;
            last = now;
            process.stderr.write(`fuzz: ${p.events}/${p.total} events, ${Math.round(p.events / Math.max(0.001, (now - t0) / 1000))} ev/s, ${p.violations} invariant violations, ${p.findings} predicted kernel bugs (${p.oopses} oopses)\n`);
            return;
          }
          if (now - last < 100) return;
          last = now;
          const w = 30;
          const f = Math.min(w, Math.floor((p.events / p.total) * w));
          const rate = Math.round(p.events / Math.max(0.001, (now - t0) / 1000));
          process.stderr.write(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${p.events}/${p.total} events, ${rate} ev/s, ${p.violations} invariant violations, ${p.findings} predicted kernel bugs (${p.oopses} oopses) `);
        },
      };
      let r: ReturnType<typeof fuzz>;
      if (jobs === 1) r = fuzz(opts);
      else {
        const { FuzzPool } = await import('../fuzz-pool.js');
        // a profile file or module is loaded by each worker too
        const pool = new FuzzPool(jobs, o.paranoid, fromFile ? o.kernel : undefined);
        try {
          r = await fuzzBatched(opts, (cases) => pool.run(cases), 64 * jobs);
        } finally {
          await pool.close();
        }
      }
      if (tty) process.stderr.write('\n');
      const secs = (Date.now() - t0) / 1000;
      const write = (kind: string, cs: { what: string; scenario: Record<string, unknown> }[]) => cs.map((c, i) => {
        mkdirSync(o.out, { recursive: true });
        const f = join(o.out, `${kind}-seed${seed}-${i + 1}.yaml`);
        const how = kind === 'violation' ? 'an invariant violation (a bug in vmemmap-lab): vmemlab run exits 1' : 'a predicted kernel bug (not a vmemmap-lab bug): vmemlab run reports it as such and exits 4';
        writeOut(f, `# vmemlab fuzz --seed ${seed}: ${c.what.replace(/\n/g, ' ')}\n# ${how}\n${toYaml(forWriting(c.scenario))}`);
        return f;
      });
      const vf = write('violation', r.failures);
      const ff = write('kernel-bug', r.findingCases);
      process.stdout.write(`seed ${seed}: ${r.events} events on ${r.machines} random machines in ${secs.toFixed(1)} s (${Math.round(r.events / Math.max(secs, 0.001))} events/s)\n`);
      process.stdout.write(`invariant violations (bugs in vmemmap-lab): ${r.violations}\n`);
      for (let i = 0; i < r.failures.length; i++) process.stdout.write(`  ${r.failures[i]!.what} -> ${vf[i]} (${r.failures[i]!.steps} steps)\n`);
      process.stdout.write(`predicted kernel bugs (the modelled kernel oopses, leaves memmap unmapped or leaks): ${r.findings}, ${r.oopses} of them oopses, ${r.findingCases.length} distinct\n`);
      for (let i = 0; i < r.findingCases.length; i++) process.stdout.write(`  ${r.findingCases[i]!.what.slice(0, 160)} -> ${ff[i]} (${r.findingCases[i]!.steps} steps)\n`);
      ctx.exitCode = r.violations === 0 ? 0 : 1;
    });
}
