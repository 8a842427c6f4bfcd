/** The "$ vmemlab ..." blocks of a Markdown document and running them (docs/answers.md). */
import { spawnSync } from 'node:child_process';

export interface DocBlock {
  command: string;
  /** Offsets of the output (after the command line, up to the closing fence). */
  outputStart: number;
  outputEnd: number;
  output: string;
}

/** Fenced blocks whose first line is "$ vmemlab ...": the command and what follows it. */
export function answerBlocks(text: string): DocBlock[] {
  const out: DocBlock[] = [];
  const re = /```\n\$ (vmemlab [^\n]*)\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const outputStart = m.index + m[0].length;
    const outputEnd = text.indexOf('```', outputStart);
    out.push({ command: m[1]!, outputStart, outputEnd, output: text.slice(outputStart, outputEnd) });
  }
  return out;
}

/** Run a documented command (words split on spaces, no shell) from the repository root. */
export function runDocCommand(command: string): string {
  const root = new URL('..', import.meta.url).pathname;
  const args = command.split(/\s+/).slice(1);
  // fuzz's progress lines are timed: none in documentation runs
  const r = spawnSync(process.execPath, [`${root}bin/vmemlab.js`, ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, VMEMLAB_PROGRESS_MS: '3600000' } });
  return normalise(r.stdout + (r.stderr ? r.stderr : ''));
}

/** What differs between runs of the same command: wall-clock figures. */
export function normalise(text: string): string {
  return text.replace(/ in \d+(\.\d+)? s \(\d+ events\/s\)/g, ' in N s (N events/s)');
}
