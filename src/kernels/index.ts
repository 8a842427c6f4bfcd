import type { KernelProfile } from './types.js';
import { v6_18 } from './v6.18.js';
import { v5_6, v5_9, v5_10, v5_15, v6_1, v6_1_y, v6_6, v6_12, v7_1 } from './releases.js';
import { robinArm64, seedV2, seedV2Fallback } from './proposals.js';

export type { KernelProfile } from './types.js';

/** Every profile the model knows: releases in order, then the thread's proposals. */
export const PROFILES: readonly KernelProfile[] = [v5_6, v5_9, v5_10, v5_15, v6_1, v6_1_y, v6_6, v6_12, v6_18, v7_1, seedV2, seedV2Fallback, robinArm64];
export const DEFAULT_KERNEL = 'v6.18';

export function findProfile(id: string): KernelProfile | undefined {
  return PROFILES.find((p) => p.id === id);
}
