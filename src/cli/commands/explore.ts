/**
 * `vmemlab explore [scenario] [--port P] [--no-open]`: serve the built explorer on 127.0.0.1
 * and open it with the scenario in the URL fragment (the server never sees it). Builds the
 * site first when it is missing and can be built (a source checkout).
 */
import { Command } from 'commander';
import { basename } from 'node:path';
import { spawn } from 'node:child_process';
import { parseScenario } from '../../index.js';
import { serveStatic } from '../../node/serve.js';
import { buildSite, scenarioFragment, siteBuilt, siteDir } from '../../node/site.js';

export interface ExploreContext {
  usage(message: string): Error;
  setExit(code: number): void;
  readScenario(path: string): Uint8Array;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    p.on('error', () => process.stderr.write(`vmemlab explore: could not start a browser (${cmd}); open the address above yourself\n`));
    p.unref();
  } catch {
    /* the address is printed; that is enough */
  }
}

export function registerExplore(program: Command, ctx: ExploreContext): void {
  program
    .command('explore')
    .description('open the explorer (maps of the physical memory, the vmemmap and its page tables; steps; compare) in a browser, served on 127.0.0.1 only')
    .argument('[scenario]', 'scenario file to open (it travels in the URL fragment; default: the built-in scenario)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '0')
    .option('--no-open', 'print the address instead of starting a browser')
    .action((file: string | undefined, o: { port: string; open: boolean }) => {
      if (!/^\d+$/.test(o.port) || Number(o.port) > 65535) throw ctx.usage(`--port ${o.port}: expected a port number 0-65535`);
      let fragment = '';
      if (file) {
        const text = ctx.readScenario(file);
        parseScenario(file, text); // the same errors as the other commands, before anything starts
        fragment = '#' + scenarioFragment(basename(file), text);
      }
      if (!siteBuilt()) {
        const why = buildSite((s) => process.stderr.write(s));
        if (why) throw ctx.usage(why);
      }
      serveStatic(siteDir(), Number(o.port)).then((s) => {
        const url = s.url + fragment;
        process.stdout.write(`vmemlab explore: serving ${siteDir()} at ${s.url} (127.0.0.1 only; Ctrl-C stops)\n${url}\n`);
        if (o.open) openBrowser(url);
        const stop = () => { void s.close().then(() => process.exit(0)); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }, (e: NodeJS.ErrnoException) => {
        process.stderr.write(`vmemlab explore: cannot listen on 127.0.0.1:${o.port} (${e.code ?? e.message})\n`);
        process.exitCode = 2;
      });
    });
}
