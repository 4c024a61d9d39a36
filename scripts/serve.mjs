// Development server for the demo: serves the repository's static files (www/, pkg/) on loopback,
// the local SeaweedFS address at /dev/config, and what an app's backend would serve: temporary
// credentials at /credentials and presigned URLs at /presign (scripts/dev-backend.mjs). The
// long-term development keys stay in this process.
import { createServer } from 'node:http';
import { assumeRole, presign, readJson } from './dev-backend.mjs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};

const config = () => ({
  provider: 's3',
  endpoint: process.env.PARTWISE_TEST_ENDPOINT,
  bucket: process.env.PARTWISE_TEST_BUCKET,
  region: 'us-east-1',
});

const api = {
  '/dev/config': async () => config(),
  '/credentials': async () => assumeRole(),
  '/presign': async (req) => presign(await readJson(req)),
};

/** The server: static files of the repository plus the development API. */
export const createDevServer = () => createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  if (api[path]) {
    try {
      const answer = await api[path](req);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(answer));
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: error.name, message: error.message }));
    }
  }
  if (path === '/') {
    res.writeHead(302, { location: '/www/' });
    return res.end();
  }
  const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
  if (!file.startsWith(root) || file.split(sep).includes('.tools') || file.split(sep).includes('.git')) {
    res.writeHead(403);
    return res.end('forbidden');
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
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
