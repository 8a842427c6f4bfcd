/**
 * Running the snapshot collector (snapshot/collect.sh) on this machine: the only part of
 * `vmemlab snapshot` that touches Node. The script is the one definition of what a snapshot
 * holds; this runs it with /bin/sh and hands its text to the pure parser.
 */
// the default import: the CLI bundle loads child_process lazily (scripts/bundle.mjs)
import childProcess from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the collector script is: snapshot/collect.sh in the package, found from this file upwards. */
export function collectorPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'snapshot', 'collect.sh');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('snapshot/collect.sh is missing from the installed package');
}

export function collectorScript(): string {
  return readFileSync(collectorPath(), 'utf8');
}

/** Run the collector; returns its text (stdout). Throws with its stderr if the shell fails. */
export function runCollector(): string {
  const r = childProcess.spawnSync('/bin/sh', [collectorPath()], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`the collector exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n')[0]}`);
  return r.stdout;
}
