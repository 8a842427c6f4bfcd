/** A worker thread of `vmemlab fuzz --jobs N`: runs the random machines it is sent. */
const { parentPort } = process.getBuiltinModule('node:worker_threads');
import { runCase } from '../sim/fuzz.js';

parentPort!.on('message', (m: { id: number; cases: Record<string, unknown>[]; paranoid?: boolean }) => {
  try {
    parentPort!.postMessage({ id: m.id, results: m.cases.map((c) => runCase(c, { paranoid: m.paranoid })) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).stack ?? String(e) });
  }
});
