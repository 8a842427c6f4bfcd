/**
 * Loading a user's profile for `--kernel ./my.yaml` or `--kernel ./my-proposal.mjs`: a profile
 * file is read and parsed; a JavaScript module is imported (its default export). Either is
 * registered under its id, so scenarios, compare, matrix, fuzz, size and explain find it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findProfile, registerProfile } from '../kernels/index.js';
import { parseProfileFile, profileFromModule, ProfileError } from '../kernels/profile-file.js';
import type { KernelProfile } from '../kernels/types.js';

/** Does a --kernel value name a file rather than a profile id? */
export function isProfilePath(v: string): boolean {
  return /[/\\]/.test(v) || /\.(ya?ml|json|m?js|cjs)$/i.test(v);
}

export async function loadUserProfile(path: string): Promise<KernelProfile> {
  let p: KernelProfile;
  if (/\.(m?js|cjs)$/i.test(path)) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new ProfileError(path, '', err.code === 'ERR_MODULE_NOT_FOUND' ? 'no such file' : `cannot load the module: ${err.message.split('\n')[0]}`);
    }
    p = profileFromModule(path, mod.default);
  } else {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ProfileError(path, '', code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
    }
    p = parseProfileFile(path, text);
  }
  const same = findProfile(p.id);
  if (!same) registerProfile(p);
  else if (same !== p) throw new ProfileError(path, 'id', `"${p.id}" is already loaded from another file`);
  return p;
}
