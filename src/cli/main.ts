/**
 * The `vmemlab` command line. A thin shell over the library API (src/index.ts): each command
 * is a file under commands/ (the list is commands/index.ts) and loads the library only when
 * it runs, so `--help` and usage errors cost little more than starting Node.
 *
 * Exit codes: 0 success; 1 the scenario ran but an expect step failed or an invariant was
 * violated; 2 bad input (scenario file, flags); 3 internal error (a bug in vmemmap-lab).
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { newCtx, UsageError } from './common.js';

/**
 * The library's errors that mean bad input (exit 2, one line), matched by name so that a
 * usage error need not load the library: give such an error class `this.name = '<Name>'`.
 */
export const INPUT_ERRORS = new Set(['ScenarioError', 'AnswerError', 'SnapshotError', 'ProfileError']);

/**
 * A reader that goes away (`vmemlab run ... | head -1`) ends the program quietly with exit 0,
 * the Unix convention for a consumer that has seen enough; so does a closed standard error.
 */
export function quietOnClosedPipes(): void {
  // an 'error' event nobody listens to becomes an uncaught exception; catching it here, not
  // with listeners on process.stdout/stderr, leaves those streams unbuilt until used (their
  // construction is a few milliseconds of start-up)
  process.on('uncaughtException', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    process.stderr.write(`vmemlab: internal error (a bug in vmemmap-lab, please report it with the scenario): ${e.message}\n`);
    if (process.env.VMEMLAB_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(3);
  });
}

export async function main(argv: string[]): Promise<number> {
  const ctx = newCtx();
  const program = new Command();
  program
    .name('vmemlab')
    .description('An executable model of the Linux kernel\'s SPARSEMEM_VMEMMAP: memmap population, vmem_altmap, pmem namespaces, memory hot(un)plug')
    .version('0.1.0')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`vmemlab: ${s.replace(/^error: /, '').trim().replace(/\s*\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)').replace(/\n/g, ' ')}\n`),
    });
  for (const register of COMMANDS) register(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof UsageError || (e instanceof Error && INPUT_ERRORS.has(e.name))) {
      process.stderr.write(`vmemlab: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`vmemlab: internal error (a bug in vmemmap-lab, please report it with the scenario): ${(e as Error).message}\n`);
    if (process.env.VMEMLAB_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 3;
  }
  return ctx.exitCode;
}
