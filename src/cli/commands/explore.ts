/**
 * `vmemlab explore [scenario] [--port P] [--no-open]`: serve the built explorer on 127.0.0.1
 * and open it with the scenario in the URL fragment (the server never sees it). Builds the
 * site first when it is missing and can be built (a source checkout).
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { lib, readScenarioFile, UsageError, type Ctx } from '../common.js';

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const p = (process.getBuiltinModule('node:child_process') as typeof import('node:child_process')).spawn(cmd, [url], { stdio: 'ignore', detached: true });
    p.on('error', () => process.stderr.write(`vmemlab explore: could not start a browser (${cmd}); open the address above yourself\n`));
    p.unref();
  } catch {
    /* the address is printed; that is enough */
  }
}

export function register(program: Command, _ctx: Ctx): void {
  program
    .command('explore')
    .description('open the explorer (maps of the physical memory, the vmemmap and its page tables; steps; compare) in a browser, served on 127.0.0.1 only')
    .argument('[scenario]', 'scenario file to open (it travels in the URL fragment; default: the built-in scenario)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '0')
    .option('--no-open', 'print the address instead of starting a browser')
    .option('--kernel <file>', 'show the scenario under a profile file (./my.yaml; it travels in the URL fragment too; profile modules run only in Node)')
    .action(async (file: string | undefined, o: { port: string; open: boolean; kernel?: string }) => {
      const { parseScenario } = await lib();
      const { serveStatic } = await import('../../node/serve.js');
      const { buildSite, scenarioFragment, siteBuilt, siteDir } = await import('../../node/site.js');
      if (!/^\d+$/.test(o.port) || Number(o.port) > 65535) throw new UsageError(`--port ${o.port}: expected a port number 0-65535`);
      let fragment = '';
      let profile: { name: string; text: string } | undefined;
      if (o.kernel !== undefined) {
        if (/\.(m?js|cjs)$/i.test(o.kernel)) throw new UsageError(`--kernel ${o.kernel}: a profile module runs only in Node; the explorer takes profile files (YAML or JSON)`);
        const { parseProfileFile } = await lib();
        const text = new TextDecoder().decode(readScenarioFile(o.kernel));
        parseProfileFile(o.kernel, text); // its errors here, before anything starts
        profile = { name: basename(o.kernel), text };
      }
      if (file || profile) {
        const name = file ? basename(file) : 'default.yaml';
        const text = file ? readScenarioFile(file) : (await lib()).DEFAULT_SCENARIO;
        parseScenario(file ?? name, text); // the same errors as the other commands, before anything starts
        fragment = '#' + scenarioFragment(name, text, profile);
      }
      if (!siteBuilt()) {
        const why = buildSite((s) => process.stderr.write(s));
        if (why) throw new UsageError(why);
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
