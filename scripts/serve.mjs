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

/** The server: static files of the repository plus the development API. */
export const createDevServer = () =>
  createServer(async (req, res) => {
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
