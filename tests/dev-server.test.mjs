// The demo's development server hands out temporary credentials and presigned URLs, so it answers
// only its own pages: a request naming another host (DNS rebinding) or sent from another site's
// page is refused; the page's own requests pass.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createDevServer } from '../scripts/serve.mjs';

let server;
let port;

before(async () => {
  server = createDevServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = server.address().port;
});

after(() => server.close());

/** The status of GET `path` with these headers (Node's fetch will not set Host). */
const status = (path, headers) =>
  new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (answer) => {
      answer.resume();
      resolve(answer.statusCode);
    })
      .on('error', reject)
      .end();
  });

test("the server's own pages are answered, by any loopback name", async () => {
  assert.equal(await status('/targets', { host: `127.0.0.1:${port}` }), 200);
  assert.equal(await status('/targets', { host: `localhost:${port}`, origin: `http://localhost:${port}` }), 200);
  assert.equal(await status('/www/', { host: `127.0.0.1:${port}` }), 200);
});

test('a rebound host name is refused', async () => {
  for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
    assert.equal(await status('/credentials', { host }), 403, host);
  }
});

test("another site's page is refused", async () => {
  for (const origin of ['http://evil.example', `https://127.0.0.1:${port}`, 'null']) {
    assert.equal(await status('/credentials', { host: `127.0.0.1:${port}`, origin }), 403, origin);
  }
});
