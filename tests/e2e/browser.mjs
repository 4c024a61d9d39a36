// Shared by the Playwright tests: Debian's Chromium, started the way this machine needs, and the
// store's objects read back with the development keys.
import { chromium } from 'playwright-core';
import { S3Client, GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';

/** Headless Debian Chromium with no background network traffic. */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

let client;
/** An S3 client of the test store, with the long-term development keys (never given to a page). */
export function store() {
  client ??= new S3Client({
    endpoint: process.env.PARTWISE_TEST_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.PARTWISE_TEST_ACCESS_KEY, secretAccessKey: process.env.PARTWISE_TEST_SECRET_KEY },
  });
  return client;
}

/** The stored object's bytes. */
export async function readObject(key) {
  const answer = await store().send(new GetObjectCommand({ Bucket: process.env.PARTWISE_TEST_BUCKET, Key: key }));
  return Buffer.from(await answer.Body.transformToByteArray());
}

/** The store's unfinished multipart uploads under `prefix`. */
export async function unfinishedUploads(prefix) {
  const answer = await store().send(new ListMultipartUploadsCommand({ Bucket: process.env.PARTWISE_TEST_BUCKET, Prefix: prefix }));
  return (answer.Uploads ?? []).map((u) => ({ key: u.Key, uploadId: u.UploadId }));
}

/** `size` pseudo-random bytes (xorshift32), the same for the same seed. */
export function pseudoRandom(size, seed = 2463534242) {
  const bytes = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i += 1) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; bytes[i] = x & 255; }
  return bytes;
}
