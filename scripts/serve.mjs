// Development server for the demo: serves the repository's static files (www/, pkg/) on loopback
// and, under the same origin, the development backend's API (scripts/dev-backend.mjs): the buckets
// at /targets, temporary credentials at /credentials, presigned URLs at /presign. The long-term
// keys stay in this process.

import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerApi } from './dev-backend.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The names this server answers to: loopback only. */
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Whether a request comes from a page of this server: its `Host` is a loopback name with the port
 * the server listens on (a DNS-rebound name is refused) and its `Origin`, when present, is this
 * server's own (another site's page is refused), as development servers such as Vite do. Anything
 * else could take temporary credentials or presigned URLs for the configured buckets.
 */
function fromOwnPage(req) {
  const own = LOOPBACK.map((name) => `${name}:${req.socket.localPort}`);
  if (!own.includes(req.headers.host ?? '')) return false;
  const origin = req.headers.origin;
  return origin === undefined || own.some((host) => origin === `http://${host}`);
}

/** The server: static files of the repository plus the development API. */
export const createDevServer = () =>
  createServer(async (req, res) => {
    if (!fromOwnPage(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      return res.end('forbidden: open the demo at its own loopback address');
    }
    if (await answerApi(req, res)) return;
    const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    if (path === '/') {
      res.writeHead(302, { location: '/www/' });
      return res.end();
    }
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const parts = file.split(sep);
    if (!file.startsWith(root) || parts.includes('.tools') || parts.includes('.git') || parts.includes('.data')) {
      res.writeHead(403);
      return res.end('forbidden');
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      res.writeHead(200, {
        'content-type': types[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      res.end(await readFile(file));
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PARTWISE_DEMO_PORT ?? 8080);
  createDevServer().listen(port, '127.0.0.1', () => {
    console.log(`partwise demo: http://127.0.0.1:${port}/www/`);
  });
}
