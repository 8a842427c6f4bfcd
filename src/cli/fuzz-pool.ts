/** Worker threads for `vmemlab fuzz --jobs N`: a batch of cases split among them, results in order. */
import type { Worker as WorkerT } from 'node:worker_threads';
const { Worker } = process.getBuiltinModule('node:worker_threads');
const { existsSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');
import type { CaseResult } from '../sim/fuzz.js';

/** The worker script: next to this code in the bundle (dist/bundle/), one level up in tsc's output (dist/src/cli/). */
function workerUrl(): URL {
  for (const rel of ['./fuzz-worker.js', '../fuzz-worker.js', './cli/fuzz-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(u))) return u;
  }
  throw new Error('fuzz-worker.js not found next to the command line code');
}

export class FuzzPool {
  private readonly workers: WorkerT[];
  private seq = 0;

  constructor(n: number, private readonly paranoid: boolean | undefined, private readonly profile?: string) {
    const url = workerUrl();
    this.workers = Array.from({ length: n }, () => new Worker(url));
  }

  /** Run `cases` split into one contiguous share per worker; the results in the cases' order. */
  run(cases: Record<string, unknown>[]): Promise<CaseResult[]> {
    const n = this.workers.length;
    const per = Math.ceil(cases.length / n);
    const parts = this.workers.map((w, i) => new Promise<CaseResult[]>((resolve, reject) => {
      const share = cases.slice(i * per, (i + 1) * per);
      if (share.length === 0) return resolve([]);
      const id = ++this.seq;
      const on = (m: { id: number; results?: CaseResult[]; error?: string }) => {
        if (m.id !== id) return;
        w.off('message', on);
        if (m.error) reject(new Error(`fuzz worker: ${m.error}`));
        else resolve(m.results!);
      };
      w.on('message', on);
      w.postMessage({ id, cases: share, paranoid: this.paranoid, profile: this.profile });
    }));
    return Promise.all(parts).then((rs) => rs.flat());
  }

  close(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}
