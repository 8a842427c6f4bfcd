/** A worker thread of `vmemlab fuzz --jobs N`: runs the random machines it is sent. */
const { parentPort } = process.getBuiltinModule('node:worker_threads');
import { runCase } from '../sim/fuzz.js';

/** A profile file or module the machines run under (`fuzz --kernel ./my.yaml`), loaded once per worker. */
let profileLoaded: Promise<unknown> | null = null;

parentPort!.on('message', async (m: { id: number; cases: Record<string, unknown>[]; paranoid?: boolean; profile?: string }) => {
  try {
    if (m.profile) await (profileLoaded ??= import('../node/profile.js').then((n) => n.loadUserProfile(m.profile!)));
    parentPort!.postMessage({ id: m.id, results: m.cases.map((c) => runCase(c, { paranoid: m.paranoid })) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) });
  }
});
