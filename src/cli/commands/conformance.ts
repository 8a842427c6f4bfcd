/** vmemlab conformance: boot your own kernel under QEMU with the conformance harness. */
import type { Command } from 'commander';
const { existsSync } = process.getBuiltinModule('node:fs');
const { dirname, join, resolve } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');
import { lib, readScenarioFile, UsageError, type Ctx } from '../common.js';

/** The checkout this code runs from: the nearest directory above it with a package.json (dist/ or a bundle may sit at several depths). */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return dir;
}

export function register(program: Command, ctx: Ctx): void {
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
    .action(async (scenario: string | undefined, o: { kernelImage: string; modules?: string; kver?: string; arch?: string; kernel?: string; out?: string; timeout: string }) => {
      const exists = (flag: string, p: string | undefined) => {
        if (p !== undefined && !existsSync(p)) throw new UsageError(`${flag} ${p}: no such file or directory`);
      };
      exists('--kernel-image', o.kernelImage);
      exists('--modules', o.modules);
      const { findProfile, parseScenario } = await lib();
      if (scenario) parseScenario(scenario, readScenarioFile(scenario));
      if (o.arch !== undefined && o.arch !== 'x86_64' && o.arch !== 'arm64') throw new UsageError(`--arch ${o.arch}: must be x86_64 or arm64`);
      if (o.kernel !== undefined && !findProfile(o.kernel)) throw new UsageError(`--kernel ${o.kernel}: no such profile (vmemlab kernels lists them)`);
      const timeout = Number(o.timeout);
      if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--timeout ${o.timeout}: must be a positive whole number of seconds`);
      const root = checkoutRoot();
      const entry = join(root, 'conformance', 'user-kernel-cli.ts');
      if (!existsSync(entry)) throw new UsageError('vmemlab conformance needs the source checkout (conformance/ is not part of the installed package)');
      const opts = { kernelImage: resolve(o.kernelImage), modules: o.modules && resolve(o.modules), kver: o.kver, scenario: scenario && resolve(scenario), arch: o.arch, profile: o.kernel, outDir: o.out && resolve(o.out), timeoutSec: timeout };
      const { spawnSync } = process.getBuiltinModule('node:child_process');
      const r = spawnSync(process.execPath, ['--import', 'tsx', entry, JSON.stringify(opts)], { cwd: root, stdio: 'inherit' });
      ctx.exitCode = r.status ?? 3;
    });
}
