/**
 * Entry point behind `vmemlab conformance` (src/cli/main.ts): the options arrive as one JSON
 * argument, already validated by the CLI. Exit 0: the kernel and the model agree; 1: they
 * differ or the guest did not finish; 2: the scenario does not describe what QEMU built.
 */
import { runUserKernel, type UserKernelOptions } from './user-kernel.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as UserKernelOptions;
const r = await runUserKernel(opts);
process.stdout.write(r.text.endsWith('\n') ? r.text : r.text + '\n');
process.exitCode = r.ok ? 0 : r.layoutProblems.length ? 2 : 1;
