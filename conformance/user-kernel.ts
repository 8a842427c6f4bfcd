/**
 * `vmemlab conformance`: check the model against a kernel of the user's own, with the same
 * harness the committed cases use (QEMU TCG, the guest /init, vmemdump, the comparison).
 *
 *   import { runUserKernel } from '../conformance/user-kernel.js';
 *   const r = await runUserKernel({ kernelImage: 'bzImage', modules: '/tmp/mods', scenario: 's.yaml' });
 *   process.exitCode = r.ok ? 0 : 1; console.log(r.text);
 *
 * Options (UserKernelOptions):
 *   kernelImage  the kernel to boot: x86_64 bzImage/vmlinuz, arm64 Image (edk2 loads it)
 *   modules      optional: a directory holding lib/modules/<kver>/ (an extracted package or
 *                `make modules_install INSTALL_MOD_PATH=DIR`), or that <kver> directory itself.
 *                The harness needs nfit, nd_pmem, dax_pmem, device_dax and kmem, as modules
 *                here or built in; without `modules` everything must be built in. A tree
 *                without modules.dep is depmod'ed in a symlinked copy (the user's tree is
 *                never written to).
 *   kver         which lib/modules/<kver> to use when there are several
 *   scenario     a scenario file (YAML/JSON, the CLI's format; only what QEMU can express,
 *                see conformance/README.md). Default: the x86_64 (or arm64, with arch)
 *                fsdax --map=dev and --map=mem case on a 2 GiB guest with a 4 GiB NVDIMM
 *   arch         x86_64 | arm64 when there is no scenario (default x86_64)
 *   profile      model profile to compare with (default: the one matching the release the
 *                guest reports, conformance/kernels.ts PROFILE_FOR_SERIES)
 *   outDir       where recording.json, raw.txt.gz and the run files go (default: a new
 *                directory under the system temp dir)
 *   timeoutSec   QEMU time limit (default 600)
 *   setup        run conformance/setup.sh tools[-arm64] first when QEMU or vmemdump is
 *                missing (default true)
 *   log          progress lines (default: stderr)
 *
 * The kernel needs: CONFIG_SPARSEMEM_VMEMMAP, MEMORY_HOTPLUG, ZONE_DEVICE, ACPI_NFIT,
 * LIBNVDIMM/BLK_DEV_PMEM/DEV_DAX_PMEM, PROC_KCORE, KALLSYMS_ALL, DYNAMIC_DEBUG (for the
 * altmap/PMD lines), DEVTMPFS, the serial console (x86: 8250; arm64: PL011 + VIRTIO_CONSOLE),
 * BLK_DEV_INITRD with gzip, and for arm64 EFI_STUB + ACPI. No lockdown (kcore must be readable).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { compareRecording, renderComparison, type CaseComparison } from './compare.js';
import { cacheDir, CONFORMANCE_DIR, type KernelEntry } from './kernels.js';
import { readScenario } from './plan.js';
import type { Recording } from './recording.js';
import { recordScenario } from './runner.js';

export interface UserKernelOptions {
  kernelImage: string;
  modules?: string;
  kver?: string;
  scenario?: string;
  arch?: 'x86_64' | 'arm64';
  profile?: string;
  outDir?: string;
  timeoutSec?: number;
  setup?: boolean;
  log?: (line: string) => void;
}

export interface UserKernelResult {
  /** true when the guest finished, the layout matched and the model agreed everywhere */
  ok: boolean;
  outDir: string;
  recording: Recording | null;
  comparison: CaseComparison | null;
  /** the scenario does not describe the guest's machine (then no comparison is made) */
  layoutProblems: string[];
  /** the scenario lines describing what the guest saw */
  layoutYaml: string;
  problems: string[];
  /** a readable report (comparison, problems, where the files are) */
  text: string;
}

export const DEFAULT_USER_SCENARIO: Record<'x86_64' | 'arm64', string> = {
  x86_64: `# vmemlab conformance default: x86_64, 2 GiB guest, 4 GiB label-less NVDIMM at 4 GiB
description: user kernel, fsdax --map=dev then --map=mem
arch: x86_64
cmdline: memhp_default_state=offline
config: { levels: 4, gbpages: false }
nodes:
  - id: 0
    memory: [ { start: 0x1000, size: 0x9e000 }, { start: 0x100000, size: 0x7fedf000 } ]
devices:
  - { name: nvdimm0, type: nvdimm, node: 0, start: 0x100000000, size: 4G, labels: false }
steps:
  - boot
  - create-namespace: { device: nvdimm0, mode: fsdax, map: dev }
  - destroy-namespace: { device: nvdimm0 }
  - create-namespace: { device: nvdimm0, mode: fsdax, map: mem }
`,
  arm64: `# vmemlab conformance default: arm64 4K, 2 GiB guest at 1 GiB, 4 GiB label-less NVDIMM at 3 GiB
description: user kernel, fsdax --map=dev then --map=mem
arch: arm64
cmdline: memhp_default_state=offline
config: { pageSize: 4K, vaBits: 52 }
nodes:
  - id: 0
    memory: [ { start: 0x40000000, size: 0x80000000 } ]
devices:
  - { name: nvdimm0, type: nvdimm, node: 0, start: 0xc0000000, size: 4G, labels: false }
steps:
  - boot
  - create-namespace: { device: nvdimm0, mode: fsdax, map: dev }
  - destroy-namespace: { device: nvdimm0 }
  - create-namespace: { device: nvdimm0, mode: fsdax, map: mem }
`,
};

/** lib/modules/<kver> of a user's tree: the root that holds it, the kver, and whether modules.dep exists. */
function locateModules(p: string, kver?: string): { root: string; kver: string; hasDep: boolean } {
  const abs = resolve(p);
  if (existsSync(join(abs, 'lib', 'modules'))) {
    const vers = readdirSync(join(abs, 'lib', 'modules'));
    const v = kver ?? (vers.length === 1 ? vers[0] : undefined);
    if (!v || !vers.includes(v)) throw new Error(`${abs}/lib/modules holds ${vers.join(', ') || 'nothing'}: pass kver`);
    return { root: abs, kver: v, hasDep: existsSync(join(abs, 'lib', 'modules', v, 'modules.dep')) };
  }
  // the <kver> directory itself (…/lib/modules/<kver>)
  if (basename(dirname(abs)) === 'modules' && basename(dirname(dirname(abs))) === 'lib') {
    return { root: dirname(dirname(dirname(abs))), kver: basename(abs), hasDep: existsSync(join(abs, 'modules.dep')) };
  }
  throw new Error(`${abs}: expected a directory holding lib/modules/<kver>, or lib/modules/<kver> itself`);
}

export async function runUserKernel(opts: UserKernelOptions): Promise<UserKernelResult> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const outDir = resolve(opts.outDir ?? mkdtempSync(join(tmpdir(), 'vmemlab-conformance-user-')));
  mkdirSync(outDir, { recursive: true });
  const scenarioText = opts.scenario ? readFileSync(opts.scenario, 'utf8') : DEFAULT_USER_SCENARIO[opts.arch ?? 'x86_64'];
  const arch = (readScenario(scenarioText).arch ?? opts.arch ?? 'x86_64') as 'x86_64' | 'arm64';
  if (!existsSync(opts.kernelImage)) throw new Error(`no kernel image ${opts.kernelImage}`);
  // tools: QEMU, busybox, ndctl, vmemdump (no Debian kernel download)
  const qemu = arch === 'x86_64' ? '/usr/bin/qemu-system-x86_64' : '/usr/bin/qemu-system-aarch64';
  if (opts.setup !== false && (!existsSync(qemu) || !existsSync(join(cacheDir(), 'bin', `vmemdump-${arch}`)) || (arch === 'arm64' && !existsSync(join(cacheDir(), 'sysroot-arm64', '.ready'))))) {
    const r = spawnSync('bash', [join(CONFORMANCE_DIR, 'setup.sh'), arch === 'x86_64' ? 'tools' : 'tools-arm64'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`setup.sh failed (exit ${r.status})`);
  }
  let modulesRoot = outDir;
  let kver = 'none';
  if (opts.modules) {
    const m = locateModules(opts.modules, opts.kver);
    kver = m.kver;
    modulesRoot = m.root;
    if (!m.hasDep) {
      // depmod in a symlinked copy: the user's tree stays untouched
      const copy = join(outDir, 'modules');
      mkdirSync(join(copy, 'lib', 'modules'), { recursive: true });
      const cp = spawnSync('cp', ['-as', join(m.root, 'lib', 'modules', m.kver), join(copy, 'lib', 'modules', m.kver)]);
      if (cp.status !== 0) throw new Error(`cannot link the module tree: ${cp.stderr?.toString()}`);
      // the index files depmod writes must not be links into the user's tree
      const kdir = join(copy, 'lib', 'modules', m.kver);
      for (const f of readdirSync(kdir)) if (/^modules\./.test(f) && !/^modules\.(builtin|builtin\.modinfo|order)$/.test(f)) rmSync(join(kdir, f));
      const dm = spawnSync('depmod', ['-b', copy, m.kver]);
      if (dm.status !== 0) throw new Error(`depmod failed: ${dm.stderr?.toString()}`);
      modulesRoot = copy;
    }
  }
  const entry: KernelEntry = { id: 'user', arch, package: '(user kernel)', kver, release: '', profile: opts.profile ?? '' };
  const o = await recordScenario({
    caseName: 'user-kernel',
    scenarioText,
    kernel: { entry, image: resolve(opts.kernelImage), modulesRoot, initramfs: join(outDir, 'initramfs.cpio.gz') },
    runDir: join(outDir, 'run'),
    timeoutSec: opts.timeoutSec,
    log,
  });
  writeFileSync(join(outDir, 'scenario.yaml'), scenarioText);
  writeFileSync(join(outDir, 'recording.json'), JSON.stringify(o.recording, null, 1) + '\n');
  writeFileSync(join(outDir, 'raw.txt.gz'), o.rawGz);
  const lines: string[] = [];
  let comparison: CaseComparison | null = null;
  if (o.problems.length) lines.push('problems:', ...o.problems.map((p) => '  - ' + p));
  if (o.layoutProblems.length) {
    lines.push('the scenario does not describe the machine the guest saw (no comparison made):', ...o.layoutProblems.map((p) => '  - ' + p), '  use these scenario lines:', ...o.layoutYaml.split('\n').map((l) => '    ' + l));
  } else if (o.recording.steps.length) {
    comparison = compareRecording(o.recording, scenarioText, { profile: opts.profile });
    lines.push(renderComparison(comparison));
  }
  lines.push(`files: ${outDir} (recording.json, raw.txt.gz, run/)`);
  const ok = o.problems.length === 0 && o.layoutProblems.length === 0 && comparison !== null && comparison.status === 'compared' && comparison.differences.length === 0;
  return { ok, outDir, recording: o.recording, comparison, layoutProblems: o.layoutProblems, layoutYaml: o.layoutYaml, problems: o.problems, text: lines.join('\n') };
}
