// Development server for the demo: serves the repository's static files (www/, pkg/) on loopback
// and, at /dev/config, the local SeaweedFS address and development keys from the environment.
// For local development only: it hands out keys that the demo's own SeaweedFS accepts.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PARTWISE_DEMO_PORT ?? 8080);
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};

const config = () => ({
  provider: 's3',
  endpoint: process.env.PARTWISE_TEST_ENDPOINT,
  bucket: process.env.PARTWISE_TEST_BUCKET,
  region: 'us-east-1',
  accessKeyId: process.env.PARTWISE_TEST_ACCESS_KEY,
  secretAccessKey: process.env.PARTWISE_TEST_SECRET_KEY,
});

createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  if (path === '/dev/config') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return res.end(JSON.stringify(config()));
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
}).listen(port, '127.0.0.1', () => {
  console.log(`partwise demo: http://127.0.0.1:${port}/www/`);
});
