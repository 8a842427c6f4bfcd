// Fills in the output of every "$ vmemlab ..." block of docs/answers.md and docs/model-a-patch.md by running it
// (npm run docs:answers). test/docs.test.ts checks that the file still shows what the commands print.
import { readFileSync, writeFileSync } from 'node:fs';
import { answerBlocks, runDocCommand } from './doc-blocks.js';

for (const doc of ['answers.md', 'model-a-patch.md']) {
  const file = new URL(`../docs/${doc}`, import.meta.url);
  let text = readFileSync(file, 'utf8');
  for (const b of answerBlocks(text).reverse()) {
    const out = runDocCommand(b.command);
    text = text.slice(0, b.outputStart) + out + text.slice(b.outputEnd);
  }
  writeFileSync(file, text);
}
