/**
 * One recording: scenario -> plan -> initramfs -> QEMU -> recording + raw output, with the
 * layout check (the scenario must describe the machine the guest actually saw).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cacheDir, CONFORMANCE_DIR, kernelFiles, kernelReady, selfBuiltMissing, type KernelEntry } from './kernels.js';
import { planScenario, readScenario, type MachinePlan } from './plan.js';
import { bootMachine, buildInitramfs, type BootResult } from './qemu.js';
import { buildRecording, checkLayout, layoutYaml, type Recording } from './recording.js';

export interface KernelSource {
  entry: KernelEntry;
  image: string;
  modulesRoot: string;
  /** where to put the initramfs (cached per kernel for the Debian kernels) */
  initramfs: string;
}

/** Make sure setup.sh has prepared a Debian kernel (runs it when not); a self-built kernel must
 * be there already (its recipe is not run from here: a kernel build takes minutes), and only
 * the host tools are set up for it. */
export function ensureSetup(k: KernelEntry, log: (s: string) => void = console.error): void {
  const missing = selfBuiltMissing(k);
  if (missing) throw new Error(missing);
  const vmemdump = join(cacheDir(), 'bin', `vmemdump-${k.arch}`);
  const srcSum = join(vmemdump + '.src');
  const fresh = existsSync(srcSum) && existsSync(vmemdump) && sourceHash() === readFileSync(srcSum, 'utf8').trim();
  if (kernelReady(k) && fresh && (k.arch !== 'arm64' || existsSync(join(cacheDir(), 'sysroot-arm64', '.ready')))) return;
  const target = k.selfBuilt ? (k.arch === 'arm64' ? 'tools-arm64' : 'tools') : k.id;
  log(`conformance: running setup.sh ${target}`);
  const r = spawnSync('bash', [join(CONFORMANCE_DIR, 'setup.sh'), target], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`setup.sh ${target} failed (exit ${r.status})`);
}

function sourceHash(): string {
  const r = spawnSync('sha256sum', [join(CONFORMANCE_DIR, 'guest', 'vmemdump.c')], { encoding: 'utf8' });
  return (r.stdout ?? '').slice(0, 16);
}

export function debianKernel(k: KernelEntry): KernelSource {
  const f = kernelFiles(k);
  // a self-built kernel has everything built in: its initramfs carries modules.builtin and the
  // depmod indexes only (daxctl asks libkmod for kmem, which must find it built in)
  return { entry: k, image: f.image, modulesRoot: f.modulesRoot, initramfs: join(cacheDir(), 'initramfs', `${k.id}.cpio.gz`) };
}

export interface RecordOutcome {
  plan: MachinePlan;
  boot: BootResult;
  recording: Recording;
  /** gzip of the raw guest output (host log, results channel, console) */
  rawGz: Buffer;
  /** scenario vs guest: empty when they agree */
  layoutProblems: string[];
  /** the scenario lines describing what the guest saw */
  layoutYaml: string;
  problems: string[];
}

export function rawText(caseName: string, b: BootResult): string {
  return [`##### vmemlab-conformance raw output: ${caseName}`, '##### host', b.hostLog.trimEnd(), '##### results (guest results channel)', b.results.trimEnd(), '##### console (kernel console)', b.console.trimEnd(), ''].join('\n');
}

/** Split raw.txt(.gz) back into its parts. */
export function splitRaw(raw: Buffer | string): { host: string; results: string; console: string } {
  const text = typeof raw === 'string' ? raw : (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('latin1');
  const part = (a: string, b: string | null) => {
    const i = text.indexOf(a);
    if (i < 0) return '';
    const s = text.indexOf('\n', i) + 1;
    const e = b ? text.indexOf(b, s) : text.length;
    return text.slice(s, e < 0 ? text.length : e).replace(/\n$/, '');
  };
  return { host: part('##### host', '##### results'), results: part('##### results', '##### console'), console: part('##### console', null) };
}

export async function recordScenario(o: { caseName: string; scenarioText: string; kernel?: KernelSource; runDir: string; timeoutSec?: number; log?: (s: string) => void; modulesKver?: string }): Promise<RecordOutcome> {
  const log = o.log ?? ((s: string) => console.error(s));
  const plan = planScenario(o.scenarioText, o.kernel ? { kernel: o.kernel.entry } : {});
  const src = o.kernel ?? debianKernel(plan.kernel);
  if (!o.kernel) ensureSetup(plan.kernel, log);
  mkdirSync(join(src.initramfs, '..'), { recursive: true });
  buildInitramfs({ arch: plan.arch, modulesRoot: src.modulesRoot, kver: o.modulesKver ?? src.entry.kver, out: src.initramfs, guestDir: join(CONFORMANCE_DIR, 'guest'), cacheDir: cacheDir() });
  log(`conformance: ${o.caseName}: booting ${src.entry.id} (${plan.arch}, ${plan.ramBytes / 2 ** 20} MiB, ${plan.devices.filter((d) => d.type === 'nvdimm').length} nvdimm, ${plan.devices.filter((d) => d.type === 'hmem').length} hmem, ${plan.steps.length} steps)`);
  const boot = await bootMachine({ plan, image: src.image, initrd: src.initramfs, runDir: o.runDir, timeoutSec: o.timeoutSec, log: (s) => { if (s.startsWith('host:')) log(`  ${s}`); } });
  const rel = (s: string) => s.split(o.runDir).join('<run>').split(cacheDir()).join('<cache>');
  const recording = buildRecording({ caseName: o.caseName, results: boot.results, plan, kernelCmdline: boot.kernelCmdline, qemuArgs: boot.qemuArgs.map(rel), wallSeconds: boot.wallSeconds, outcome: boot.outcome });
  const raw = rawText(o.caseName, boot);
  writeFileSync(join(o.runDir, 'raw.txt'), raw);
  const rawGz = gzipSync(Buffer.from(raw, 'latin1'), { level: 9 });
  const config = (readScenario(o.scenarioText).config ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (boot.outcome !== 'done') problems.push(`the guest did not finish (outcome ${boot.outcome}); see ${join(o.runDir, 'console.log')} and results.log${boot.qemuStderr ? `; QEMU said: ${boot.qemuStderr}` : ''}`);
  const expected = plan.steps.filter((s) => s.guest).map((s) => s.index);
  const got = recording.steps.map((s) => s.index);
  if (JSON.stringify(expected) !== JSON.stringify(got)) problems.push(`steps recorded ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  for (const s of recording.steps) for (const e of s.vmemmap.errors) problems.push(`step ${s.index}: vmemdump: ${e}`);
  const layoutProblems = boot.outcome !== 'done' && !recording.steps.length ? [] : recording.layout.nodes.length ? checkLayout(plan, recording.layout, config) : ['no layout recorded (the boot log has no "Early memory node ranges")'];
  return { plan, boot, recording, rawGz, layoutProblems, layoutYaml: layoutYaml(recording.layout, plan.devices.map((d) => d.name), plan.devices.map((d) => d.labels)), problems };
}
