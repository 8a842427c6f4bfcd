import type { KernelProfile } from './types.js';
import { v6_18 } from './v6.18.js';

export type { KernelProfile } from './types.js';

/** Every profile the model knows, in release order. */
export const PROFILES: readonly KernelProfile[] = [v6_18];
export const DEFAULT_KERNEL = 'v6.18';

export function findProfile(id: string): KernelProfile | undefined {
  return PROFILES.find((p) => p.id === id);
}
