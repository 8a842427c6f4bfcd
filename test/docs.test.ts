/**
 * The documentation stands alone and shows real output: every "$ vmemlab ..." block of
 * docs/answers.md prints exactly what is shown, and docs/ and src/ point at nothing outside
 * the repository.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerBlocks, runDocCommand } from '../scripts/doc-blocks.js';

const root = new URL('..', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(root, p)).isDirectory() ? files(p) : [p];
  });
}

describe('docs/answers.md', () => {
  const text = readFileSync(join(root, 'docs/answers.md'), 'utf8');
  const blocks = answerBlocks(text);
  it('answers every job of the user research with at least one command', () => {
    for (let job = 1; job <= 15; job++) expect(text, `job ${job}`).toMatch(new RegExp(`^## ${job}\\. `, 'm'));
    expect(blocks.length).toBeGreaterThanOrEqual(15);
  });
  for (const b of blocks) {
    it(`shows what \`${b.command}\` prints`, () => {
      expect(runDocCommand(b.command)).toBe(b.output);
    });
  }
});

describe('docs/model-a-patch.md (the tutorial)', () => {
  const text = readFileSync(join(root, 'docs/model-a-patch.md'), 'utf8');
  const blocks = answerBlocks(text);
  it('runs compare, explain, matrix and fuzz on a profile file and a profile module', () => {
    const cmds = blocks.map((b) => b.command).join('\n');
    for (const w of ['compare', 'explain', 'matrix', 'fuzz', 'diff-profiles']) expect(cmds).toContain(`vmemlab ${w}`);
    expect(cmds).toContain('.yaml');
    expect(cmds).toContain('.mjs');
  });
  for (const b of blocks) {
    it(`shows what \`${b.command}\` prints`, () => {
      expect(runDocCommand(b.command)).toBe(b.output);
    });
  }
});

describe('the repository stands alone', () => {
  it('docs/ and src/ cite no paths outside it and no mirror of the kernel source', () => {
    for (const f of [...files('docs'), ...files('src'), 'README.md']) {
      const t = readFileSync(join(root, f), 'utf8');
      expect(t, f).not.toMatch(/\.\.\/shared\/|\/work\/|\.mirror|seed lines? \d|seed:\d/);
      expect(t, f).not.toMatch(/\b(gfunkmonk|shilei-massclouds|krr-io|c1336658570|mihaelbh|zcjie1|ejga2001|ach84|shmily1012|danayer)\b/);
    }
  });
});
