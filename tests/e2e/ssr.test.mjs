// The built package imported where there is no browser, as server-side rendering does: importing
// it and creating an uploader must not throw; an upload there fails as a PartwiseError.

import assert from 'node:assert/strict';
import { test } from 'node:test';

test('the package imports in Node and fails an upload there with a PartwiseError, not a crash', async () => {
  const api = await import('../../pkg/index.js');
  assert.deepEqual(Object.keys(api).sort(), ['PartwiseError', 'UploadTask', 'Uploader', 'createUploader', 'preload']);
  const uploader = api.createUploader({
    endpoint: 'http://127.0.0.1:1',
    bucket: 'bucket',
    credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
  });
  const error = await uploader.upload(new Blob(['x']), { key: 'k' }).done.catch((e) => e);
  assert.ok(error instanceof api.PartwiseError, String(error));
});
