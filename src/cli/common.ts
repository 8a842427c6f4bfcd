/**
 * What the command files share: usage errors, reading scenario files, all-or-nothing output.
 * Light on purpose (Node built-ins only): every command file imports it at start-up, and
 * the library is loaded only inside a command's action (see commands/index.ts).
 */
// built-ins through process.getBuiltinModule, not ES imports (see scripts/bundle.mjs)
const { readFileSync, renameSync, writeFileSync, writeSync } = process.getBuiltinModule('node:fs');

/** Bad flags or files: exit 2 with one line. */
export class UsageError extends Error {}

/**
 * What a command's register(program, ctx) gets. The functions are the same as the ones it
 * could import from this file; they are here too so a command written against a context
 * (writeOut, usage, setExit, readScenario, readText) plugs in as it is.
 */
export interface Ctx {
  /** The process exit code when the action returns normally. */
  exitCode: number;
  setExit(code: number): void;
  usage(message: string): Error;
  writeOut(path: string | undefined, text: string): void;
  readScenario(path: string): Uint8Array;
  readText(path: string, what: string): string;
}

export function newCtx(): Ctx {
  const ctx: Ctx = {
    exitCode: 0,
    setExit: (code) => { ctx.exitCode = code; },
    usage: (message) => new UsageError(message),
    writeOut,
    readScenario: readScenarioFile,
    readText: readTextFile,
  };
  return ctx;
}

export function readScenarioFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read scenario (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message})`);
  }
}

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read ${what} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message})`);
  }
}

/** Write all of it or nothing: a temporary file renamed into place. */
export function writeOut(path: string | undefined, text: string): void {
  if (!path || path === '-') {
    writeStdout(text);
    return;
  }
  const tmp = `${path}.vmemlab-tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw new UsageError(`--output ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Standard output written directly to file descriptor 1 (not through process.stdout, whose
 * construction costs start-up time); a reader that went away ends the program quietly.
 */
export function writeStdout(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0);
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // a non-blocking pipe is full: wait 1 ms
    }
  }
}

/** --kernel a,b,c: known profile ids. */
export function kernelList(v: string, findProfile: (id: string) => unknown): string[] {
  const ks = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const k of ks) if (!findProfile(k)) throw new UsageError(`--kernel ${k}: unknown profile; \`vmemlab kernels\` lists them`);
  if (ks.length === 0) throw new UsageError('--kernel: name at least one profile');
  return ks;
}

/** The library, loaded when a command first needs it (not for --help or a usage error). */
export function lib(): Promise<typeof import('../index.js')> {
  return import('../index.js');
}

/**
 * --kernel a,b,./my.yaml,./my-proposal.mjs: profile ids, or profile files and modules (loaded
 * and registered under their ids, src/node/profile.ts). Returns the ids.
 */
export async function resolveKernels(v: string): Promise<string[]> {
  const ks = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (ks.length === 0) throw new UsageError('--kernel: name at least one profile');
  const { findProfile } = await lib();
  const out: string[] = [];
  for (const k of ks) {
    const node = await import('../node/profile.js');
    if (node.isProfilePath(k)) out.push((await node.loadUserProfile(k)).id);
    else if (findProfile(k)) out.push(k);
    else throw new UsageError(`--kernel ${k}: unknown profile; \`vmemlab kernels\` lists them (or give a profile file: ./my.yaml)`);
  }
  return out;
}
