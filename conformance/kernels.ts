/**
 * The kernels the harness records against (conformance/kernels.json, shared with setup.sh):
 * Debian packages extracted into the cache, and self-built ones (a kernel Debian does not ship,
 * e.g. arm64 with 64K pages, built by a committed recipe outside the repo; the image path is
 * configurable and CI never needs it); and which model profile matches a kernel.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This folder (also when the .ts files are compiled elsewhere, e.g. dist/conformance/). */
export const CONFORMANCE_DIR = ((): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [here, join(here, '..', '..', 'conformance')]) if (existsSync(join(c, 'kernels.json'))) return c;
  return here;
})();
export const REPO_DIR = dirname(CONFORMANCE_DIR);
export const CASES_DIR = join(CONFORMANCE_DIR, 'cases');

export interface KernelEntry {
  id: string;
  arch: 'x86_64' | 'arm64';
  package: string;
  kver: string;
  release: string;
  /** The model profile a scenario names to mean this kernel (also the default for comparison). */
  profile: string;
  pageSize?: '4K' | '16K' | '64K';
  /** Not a Debian package: built by `recipe` (a script in the repo), everything built in; next to
   * its image the recipe puts lib/modules/<kver>/ with modules.builtin and depmod's indexes only. */
  selfBuilt?: { recipe: string; env: string; image: string };
}

/** Where a self-built kernel's image is: $env, else the recipe's default output. */
export function selfBuiltImage(k: KernelEntry): string | null {
  if (!k.selfBuilt) return null;
  return process.env[k.selfBuilt.env] || k.selfBuilt.image;
}

/** Why a self-built kernel cannot be booted here (null when its image exists). */
export function selfBuiltMissing(k: KernelEntry): string | null {
  const img = selfBuiltImage(k);
  if (img === null || existsSync(img)) return null;
  return `kernel ${k.id} is self-built and its image ${img} is not here: build it with ${k.selfBuilt!.recipe} (about 6 minutes on 2 cores), or set ${k.selfBuilt!.env} to its arch/arm64/boot/Image. Only recording needs it; the committed recordings are compared without it`;
}

export function kernels(): KernelEntry[] {
  const j = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'kernels.json'), 'utf8')) as { kernels: Record<string, Omit<KernelEntry, 'id'>> };
  return Object.entries(j.kernels).map(([id, k]) => ({ id, ...k }));
}

export function cacheDir(): string {
  return process.env.VMEMLAB_CONFORMANCE_CACHE ?? '/var/cache/vmemlab-conformance';
}

/** Files of an extracted kernel in the cache. */
export function kernelFiles(k: KernelEntry): { image: string; modulesRoot: string; config: string } {
  const dir = join(cacheDir(), 'kernels', k.id);
  const img = selfBuiltImage(k);
  // the recipe puts config and lib/modules/<kver>/ (built-in modules only) next to the Image
  if (img !== null) return { image: img, modulesRoot: dirname(img), config: join(dirname(img), 'config') };
  return { image: join(dir, 'boot', `vmlinuz-${k.kver}`), modulesRoot: dir, config: join(dir, 'boot', `config-${k.kver}`) };
}

export function kernelReady(k: KernelEntry): boolean {
  const f = kernelFiles(k);
  if (k.selfBuilt) return existsSync(f.image);
  return existsSync(f.image) && existsSync(join(f.modulesRoot, '.ready'));
}

/** "v6.12" -> "6.12"; "v6.1.y" -> "6.1". */
function profileSeries(profile: string): string | null {
  const m = /^v(\d+)\.(\d+)/.exec(profile);
  return m ? `${m[1]}.${m[2]}` : null;
}

/** The recorded kernel for a scenario: arch, arm64 page size and the profile's series. */
export function kernelForScenario(arch: string, pageSize: string | undefined, profile: string | undefined): KernelEntry {
  const series = profile ? profileSeries(profile) : null;
  const all = kernels();
  const hit = all.find((k) => k.arch === arch && (arch !== 'arm64' || (k.pageSize ?? '4K') === (pageSize ?? '4K')) && series !== null && k.release.startsWith(series + '.'));
  if (!hit) {
    const offers = all.map((k) => `${k.arch}${k.pageSize ? ' ' + k.pageSize : ''} kernel: ${k.profile} (${k.package})`).join('; ');
    throw new Error(`no recorded kernel for arch ${arch}${pageSize ? ' pageSize ' + pageSize : ''} and kernel profile ${profile ?? '(none: the scenario must name one)'}; available: ${offers}`);
  }
  return hit;
}

/**
 * The model profile to compare a recorded kernel release with: the first of the candidates
 * that the model has. Debian's 6.1 is the 6.1.y stable series (6.1.192), whose struct page
 * reservation went back to 64 bytes in 6.1.12: "v6.1.y" when the model has it, else "v6.1"
 * (6.1.0, MAX_STRUCT_PAGE_SIZE 128).
 */
export const PROFILE_FOR_SERIES: Record<string, string[]> = {
  '6.12': ['v6.12'],
  '6.1': ['v6.1.y', 'v6.1'],
  '6.6': ['v6.6'],
  '6.18': ['v6.18'],
  '7.1': ['v7.1'],
  '5.15': ['v5.15'],
  '5.10': ['v5.10'],
};

export function profileForRelease(release: string, known: readonly string[]): string | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return null;
  return (PROFILE_FOR_SERIES[`${m[1]}.${m[2]}`] ?? []).find((p) => known.includes(p)) ?? null;
}
