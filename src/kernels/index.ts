import type { KernelProfile } from './types.js';
import { v6_18 } from './v6.18.js';
import { v5_6, v5_9, v5_10, v5_15, v6_1, v6_1_y, v6_6, v6_12, v7_1 } from './releases.js';
import { robinArm64, seedV2, seedV2Fallback } from './proposals.js';

export type { KernelProfile } from './types.js';

/** Every profile the model knows: releases in order, then the thread's proposals. */
export const PROFILES: readonly KernelProfile[] = [v5_6, v5_9, v5_10, v5_15, v6_1, v6_1_y, v6_6, v6_12, v6_18, v7_1, seedV2, seedV2Fallback, robinArm64];
export const DEFAULT_KERNEL = 'v6.18';

/** Profiles the user brought (profile files), found by id like the built-in ones. */
const userProfiles = new Map<string, KernelProfile>();

/** Make a user's profile (a parsed profile file) known by its id. */
export function registerProfile(p: KernelProfile): void {
  if (PROFILES.some((x) => x.id === p.id)) throw new Error(`${p.id} is a built-in profile`);
  userProfiles.set(p.id, p);
}

export function findProfile(id: string): KernelProfile | undefined {
  return PROFILES.find((p) => p.id === id) ?? userProfiles.get(id);
}
