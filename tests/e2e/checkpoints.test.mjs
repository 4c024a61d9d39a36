// Checkpoints under stress, in headless Chromium against the test SeaweedFS: damaged records, no
// IndexedDB at all, and the network gone for 10 s mid-upload. Bytes are always read back.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { seededRandom } from '../../scripts/seeded-random.mjs';
import {
  abortUnfinished,
  launchChromium,
  md5,
  pseudoRandom,
  readObject,
  startDevServer,
  throttleUploads,
  uploadInPage,
} from './browser.mjs';

const MIB = 1024 * 1024;
let server;
let browser;
let blank;

before(async () => {
  ({ server, blank } = await startDevServer());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A page in a fresh browser context (its own IndexedDB), with its console warnings collected. */
async function freshPage(initScript) {
  const context = await browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  page.on('pageerror', (error) => warnings.push(`page error: ${error.message}`));
  await page.goto(blank);
  return { context, page, warnings };
}

/** Applies `change` (a function of the record, as source) to the stored checkpoint of `key`. */
function changeRecord(page, key, change) {
  return page.evaluate(
    async ({ key, change }) => {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('partwise');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const done = (request) =>
        new Promise((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      // The page's own connection may still be committing its last write: look for up to 3 s.
      let record;
      for (let tries = 0; !record && tries < 30; tries += 1) {
        if (tries) await new Promise((resolve) => setTimeout(resolve, 100));
        record = (await done(db.transaction('checkpoints').objectStore('checkpoints').getAll())).find(
          (r) => r.key === key,
        );
      }
      if (!record) throw new Error(`no checkpoint for ${key}`);
      // eslint-disable-next-line no-new-func
      const changed = new Function('record', `return (${change})(record);`)(structuredClone(record));
      await done(
        db
          .transaction('checkpoints', 'readwrite')
          .objectStore('checkpoints')
          .put({ ...changed, id: record.id }),
      );
      db.close();
    },
    { key, change: change.toString() },
  );
}

const damage = {
  'damaged (fields missing, junk added)': (r) => ({ schema: r.schema, junk: '\u0000\uffff', key: r.key }),
  'cut short (the second half of its fields gone)': (r) => Object.fromEntries(Object.entries(r).slice(0, 4)),
  'of an old schema': (r) => ({ ...r, schema: 0 }),
  'with wrong ETags': (r) => ({
    ...r,
    parts: r.parts.map((p) => ({ ...p, etag: '"00000000000000000000000000000000"' })),
  }),
  'naming an upload the server does not have': (r) => ({ ...r, uploadId: 'no-such-upload' }),
  'with parts that do not fit the file': (r) => ({ ...r, parts: r.parts.map((p) => ({ ...p, size: p.size + 1 })) }),
};
const unreadable = new Set([
  'damaged (fields missing, junk added)',
  'cut short (the second half of its fields gone)',
  'of an old schema',
  'with parts that do not fit the file',
]);

for (const [name, change] of Object.entries(damage)) {
  test(`a checkpoint record ${name} is never a crash or a wrong object`, async () => {
    const { context, page, warnings } = await freshPage();
    const key = `checkpoints/damaged-${Date.now()}.bin`;
    const size = 23 * MIB + 17;
    const first = await uploadInPage(page, { key, size, seed: 31, pauseAfterParts: 2 });
    assert.ok(first.ok && first.paused, JSON.stringify(first));
    await changeRecord(page, key, change);
    await page.reload();
    const again = await uploadInPage(page, { key, size, seed: 31 });
    assert.ok(again.ok, `${JSON.stringify(again.error)}; warnings: ${warnings.join(' | ')}`);
    assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 31)), 'the object is the file');
    assert.ok(!warnings.some((w) => w.startsWith('page error')), warnings.join(' | '));
    if (unreadable.has(name))
      assert.ok(
        warnings.some((w) => /a stored checkpoint was ignored/.test(w)),
        `warned: ${warnings.join(' | ')}`,
      );
    await abortUnfinished(key);
    await context.close();
  });
}

test('without IndexedDB uploads still complete, without resume, and a warning says so', async () => {
  const { context, page, warnings } = await freshPage(() => {
    Object.defineProperty(window, 'indexedDB', {
      get() {
        throw new DOMException('blocked by the test', 'SecurityError');
      },
    });
  });
  const key = `checkpoints/no-idb-${Date.now()}.bin`;
  const run = await uploadInPage(page, { key, size: 11 * MIB, seed: 32 });
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(11 * MIB, 32)));
  assert.ok(
    warnings.some((w) => /IndexedDB is unavailable.*will not resume/.test(w)),
    warnings.join(' | '),
  );
  assert.deepEqual(
    await page.evaluate(async () =>
      (await import('/pkg/index.js'))
        .createUploader({
          provider: 's3',
          endpoint: 'http://127.0.0.1:1',
          bucket: 'any-bucket',
          region: 'us-east-1',
          presign: async () => ({ url: '' }),
        })
        .checkpoints(),
    ),
    [],
    'no checkpoints to offer',
  );
  await context.close();
});

test('offline for 10 s mid-upload: the upload waits and continues', async () => {
  const { context, page } = await freshPage();
  const key = `checkpoints/offline-${Date.now()}.bin`;
  const size = 41 * MIB;
  const running = uploadInPage(page, { key, size, seed: 33, options: { concurrency: 2 } });
  await page.waitForFunction(() => window.partsUploaded >= 2);
  await context.setOffline(true);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const partsWhileOffline = await page.evaluate(() => window.partsUploaded);
  await context.setOffline(false);
  const run = await running;
  assert.ok(run.ok, JSON.stringify(run.error));
  assert.ok(partsWhileOffline < 9, 'it really was cut off');
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 33)));
  await context.close();
});

test('no secret key, session token or URL signature is left in storage or the console', async () => {
  const { context, page } = await freshPage();
  const printed = [];
  page.on('console', (message) => printed.push(message.text()));
  const issued = [];
  page.on('response', async (response) => {
    if (/\/(credentials|presign)\b/.test(response.url())) issued.push(await response.json());
  });
  for (const mode of ['sts', 'presign']) {
    const key = `checkpoints/secrets-${mode}-${Date.now()}.bin`;
    const run = await uploadInPage(page, {
      key,
      size: 23 * MIB,
      seed: 34,
      pauseAfterParts: 2,
      presigned: mode === 'presign',
    });
    assert.ok(run.ok && run.paused, JSON.stringify(run));
  }
  const stored = await page.evaluate(async () => {
    const db = await new Promise((resolve) => {
      const open = indexedDB.open('partwise');
      open.onsuccess = () => resolve(open.result);
    });
    const records = await new Promise((resolve) => {
      const r = db.transaction('checkpoints').objectStore('checkpoints').getAll();
      r.onsuccess = () => resolve(r.result);
    });
    return {
      indexedDB: JSON.stringify(records),
      localStorage: JSON.stringify({ ...localStorage }),
      sessionStorage: JSON.stringify({ ...sessionStorage }),
      records: records.length,
    };
  });
  assert.equal(stored.records, 2, 'both paused uploads keep a checkpoint');
  const secrets = issued
    .flatMap((answer) => {
      if (answer.url) return [answer.url, new URL(answer.url).searchParams.get('X-Amz-Signature')];
      return [answer.secretAccessKey, answer.sessionToken];
    })
    .filter(Boolean);
  assert.ok(secrets.length >= 4, `secrets were issued: ${secrets.length}`);
  for (const [where, text] of Object.entries({ ...stored, console: printed.join('\n') })) {
    for (const secret of secrets) assert.ok(!String(text).includes(secret), `${where} holds ${secret.slice(0, 12)}…`);
  }
  await abortUnfinished('checkpoints/secrets-');
  await context.close();
});

test('reloaded at 10 random points, every resume goes on and no finished part is sent twice', async () => {
  const { context, page } = await freshPage();
  await throttleUploads(page, 8 * MIB);
  const finished = new Set();
  const sentAgain = [];
  const partOf = (request) => {
    const url = new URL(request.url());
    return request.method() === 'PUT' && url.searchParams.has('partNumber')
      ? `${url.searchParams.get('uploadId')}#${url.searchParams.get('partNumber')}`
      : null;
  };
  page.on('request', (request) => {
    const part = partOf(request);
    if (part && finished.has(part)) sentAgain.push(part);
  });
  page.on('requestfinished', async (request) => {
    const part = partOf(request);
    if (part && (await request.response())?.status() === 200) finished.add(part);
  });
  const key = `checkpoints/reloads-${Date.now()}.bin`;
  const size = 151 * MIB + 3;
  // On disk, as a person would pick it: ten in-memory copies would fill Chromium's blob memory.
  const path = join(mkdtempSync(join(tmpdir(), 'partwise-reloads-')), 'reloads.bin');
  writeFileSync(path, pseudoRandom(size, 35));
  const choose = async () => {
    await page.evaluate(() => {
      document.body.innerHTML = '<input type="file" id="file">';
    });
    await page.setInputFiles('#file', path);
  };
  const draw = seededRandom(20261121);
  const points = [];
  for (let reload = 0; reload < 10; reload += 1) {
    await choose();
    const running = uploadInPage(page, {
      key,
      input: '#file',
      abortOnFailure: false,
      options: { concurrency: 2 },
    }).catch(() => null);
    const after = 800 + Math.floor(draw() * 2200);
    await new Promise((resolve) => setTimeout(resolve, after));
    points.push(`${after} ms/${finished.size} parts`);
    await page.reload();
    const outcome = await running;
    assert.ok(!outcome?.ok, `reload ${reload + 1} came before the end (${points.join(', ')})`);
  }
  await choose();
  const last = await uploadInPage(page, { key, input: '#file', options: { concurrency: 2 } });
  console.log(`reloads at: ${points.join(', ')}; ${finished.size} parts finished`);
  assert.ok(last.ok, JSON.stringify(last.error));
  assert.ok(points.filter((p) => !p.endsWith('/0 parts')).length >= 5, 'most reloads came after parts had finished');
  assert.deepEqual(sentAgain, [], 'no part the server had answered 200 to was sent again');
  assert.equal(md5(await readObject(key)), md5(pseudoRandom(size, 35)));
  await context.close();
});
