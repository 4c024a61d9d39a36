// `npm pack` ships what an app needs and nothing else (run after `npm run build`).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('the package holds the wasm, the JS, the types, README and licenses only', () => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  const files = pack.files.map((f) => f.path).sort();
  for (const needed of [
    'pkg/index.js',
    'pkg/index.d.ts',
    'pkg/driver.js',
    'pkg/browser.js',
    'pkg/hash_pool.js',
    'pkg/partwise.js',
    'pkg/partwise_bg.wasm',
    'README.md',
    'LICENSE-MIT',
    'LICENSE-APACHE',
    'package.json',
  ]) {
    assert.ok(files.includes(needed), `${needed} is missing from ${files.join(', ')}`);
  }
  const extra = files.filter((f) => !/^(pkg\/|README\.md$|LICENSE-|package\.json$)/.test(f));
  assert.deepEqual(extra, [], 'nothing but the package');
});
