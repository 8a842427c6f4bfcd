#!/usr/bin/env node
// The bundled command line (npm run build / prepare make it), or the plain tsc output.
const { main, quietOnClosedPipes } = await import('../dist/bundle/main.js').catch((e) => {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  return import('../dist/src/cli/main.js');
});

quietOnClosedPipes();

process.exitCode = await main(process.argv.slice(2));
