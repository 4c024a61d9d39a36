// The fault proxy on its own, in front of a tiny upstream: pass-through, rules, and its bounds.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startFaultProxy } from '../scripts/fault-proxy.mjs';

let upstream;
let origin;
let received = 0;

before(async () => {
  upstream = http
    .createServer((req, res) => {
      let length = 0;
      req.on('data', (chunk) => {
        length += chunk.length;
      });
      req.on('end', () => {
        received += 1;
        res.writeHead(200, { etag: '"e"', 'x-length': String(length), 'x-oss-hash-crc64ecma': '18446744073709551615' });
        res.end('<ChecksumCRC64ECMA>41</ChecksumCRC64ECMA>');
      });
    })
    .listen(0, '127.0.0.1');
  await new Promise((resolve) => upstream.once('listening', resolve));
  origin = `http://127.0.0.1:${upstream.address().port}`;
});

after(() => upstream.close());

const put = (url, body = 'x'.repeat(100)) => fetch(`${url}/b/k?partNumber=1&uploadId=u`, { method: 'PUT', body });

test('passes requests through and injects the faults its rules name, in turn', async () => {
  const proxy = await startFaultProxy({ upstream: origin });
  try {
    const plain = await put(proxy.url);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('etag'), '"e"');
    proxy.setRules([
      {
        method: 'PUT',
        query: 'partNumber',
        limit: 5,
        faults: ['slowdown', 'drop-etag', 'cut-body', 'reset', 'lose-answer'],
      },
    ]);
    const slow = await put(proxy.url);
    assert.equal(slow.status, 503);
    assert.match(await slow.text(), /<Code>SlowDown<\/Code>/);
    assert.equal((await put(proxy.url)).headers.get('etag'), null, 'ETag dropped');
    assert.equal((await put(proxy.url)).headers.get('x-length'), '50', 'the body was cut in half');
    await assert.rejects(put(proxy.url), 'the connection was reset');
    const seen = received;
    await assert.rejects(
      put(proxy.url).then((answer) => answer.text()),
      'the answer was lost',
    );
    assert.equal(received, seen + 1, 'after the store carried the request out');
    assert.equal((await put(proxy.url)).status, 200, 'the limit is spent');
    proxy.setRules([{ method: 'POST', faults: ['wrong-crc'] }]);
    const damaged = await fetch(`${proxy.url}/b/k?uploadId=u`, { method: 'POST' });
    assert.equal(damaged.headers.get('x-oss-hash-crc64ecma'), '0', 'another CRC in the header');
    assert.equal(await damaged.text(), '<ChecksumCRC64ECMA>42</ChecksumCRC64ECMA>', 'and in the body');
    assert.equal((await fetch(`${proxy.url}/b/k`)).status, 200, 'other requests pass');
    assert.deepEqual(
      [
        proxy.stats.faults.slowdown,
        proxy.stats.faults['drop-etag'],
        proxy.stats.faults['cut-body'],
        proxy.stats.faults.reset,
        proxy.stats.faults['lose-answer'],
      ],
      [1, 1, 1, 1, 1],
    );
  } finally {
    proxy.close();
  }
});

test('stops by itself after its request budget and after its lifetime', async () => {
  const counted = await startFaultProxy({ upstream: origin, maxRequests: 2 });
  assert.equal((await put(counted.url)).status, 200);
  await put(counted.url).catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(put(counted.url), 'closed after 2 requests');

  const timed = await startFaultProxy({ upstream: origin, lifetimeMs: 100 });
  assert.equal((await put(timed.url)).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await assert.rejects(put(timed.url), 'closed after its lifetime');
});
