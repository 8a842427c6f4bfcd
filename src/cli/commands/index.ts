/**
 * The commands, in the order `vmemlab --help` lists them. Adding a command: write
 * src/cli/commands/<name>.ts exporting a register(program, ctx) function that defines its
 * flags with commander and an async action that loads what it needs with `await lib()`
 * (or a dynamic import of its own module), then add it to this list. Nothing heavy may be
 * imported at the top of a command file: `vmemlab --help` and usage errors load only
 * commander and these files.
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
