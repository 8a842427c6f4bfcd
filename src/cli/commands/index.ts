/**
 * The commands, in the order `vmemlab --help` lists them. Adding a command:
 *  1. write src/cli/commands/<name>.ts exporting register(program, ctx): its flags with
 *     commander, and an async action that loads what it needs inside the action
 *     (`const { x } = await lib()` from ../common.js, or `await import('../../answers/x.js')`);
 *     at the top of the file import only types (`import type`), commander types and
 *     ../common.js: `vmemlab --help` and usage errors load only commander and these files;
 *  2. add its register function to COMMANDS below;
 *  3. a library error class that means bad input sets `this.name` and is added to
 *     INPUT_ERRORS in ../main.ts (exit 2, one line).
 * ctx (../common.ts Ctx) has setExit, usage, writeOut, readScenario and readText.
 */
import type { Command } from 'commander';
import type { Ctx } from '../common.js';
import { register as run } from './run.js';
import { register as fuzz } from './fuzz.js';
import { register as compare } from './compare.js';
import { register as matrix } from './matrix.js';
import { register as conformance } from './conformance.js';
import { register as size } from './size.js';
import { register as explain } from './explain.js';
import { register as explore } from './explore.js';
import { registerImport, registerSnapshot, registerVerify } from './machine.js';
import { registerArches, registerCheck, registerDiffProfiles, registerKernels, registerSchema } from './misc.js';

export const COMMANDS: ((program: Command, ctx: Ctx) => void)[] = [
  size, explain, run, compare, matrix, explore, registerSnapshot, registerImport, registerVerify, fuzz, conformance,
  registerCheck, registerSchema, registerKernels, registerDiffProfiles, registerArches,
];
