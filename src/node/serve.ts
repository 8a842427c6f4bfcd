/**
 * The static file server of `vmemlab explore`: serves one directory (the built explorer) on
 * 127.0.0.1 only. GET and HEAD of files under that directory, nothing else: no directory
 * listings, no paths outside it (after decoding, normalising and resolving symlinks), no
 * Host other than the loopback name it was reached by (against DNS rebinding). No other logic.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.yaml': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json', '.woff2': 'font/woff2',
};

export const LOOPBACK = '127.0.0.1';

export interface StaticServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The file under `root` that `urlPath` names, or null when it is outside, hidden or not a file. */
export function resolveInside(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (p.includes('\0') || p.includes('\\') || !p.startsWith('/')) return null;
  if (p.split('/').some((seg) => seg === '..' || (seg.startsWith('.') && seg.length > 0))) return null;
  const realRoot = realpathSync(root);
  let file = resolve(realRoot, '.' + p);
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    const real = realpathSync(file);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, code: number, text: string) {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text + '\n');
}

export function handler(root: string, port: () => number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `${LOOPBACK}:${port()}` && host !== `localhost:${port()}`) return send(res, 421, 'misdirected request: only 127.0.0.1 and localhost are served');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed');
    }
    const file = resolveInside(root, req.url ?? '/');
    if (!file) return send(res, 404, 'not found');
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };
}

/** Serve `root` on 127.0.0.1:`port` (0: any free port). */
export function serveStatic(root: string, port = 0): Promise<StaticServer> {
  return new Promise((ok, fail) => {
    let actual = port;
    const server = createServer(handler(root, () => actual));
    server.once('error', fail);
    server.listen(port, LOOPBACK, () => {
      const addr = server.address();
      actual = typeof addr === 'object' && addr ? addr.port : port;
      ok({ server, port: actual, url: `http://${LOOPBACK}:${actual}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
