// The development backend: what an app's backend does for partwise, done with the AWS SDK (an
// independent signer, so partwise's own is cross-checked).
//   GET  /credentials  temporary credentials from the store's STS AssumeRole
//   POST /presign      a presigned URL for the request partwise describes
// It reads the store's address and its long-term development keys from the environment
// (PARTWISE_TEST_*), which never reach the browser.
import { createServer } from 'node:http';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  S3Client, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand, ListPartsCommand, ListMultipartUploadsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const settings = () => ({
  endpoint: process.env.PARTWISE_TEST_ENDPOINT,
  region: process.env.PARTWISE_TEST_REGION ?? 'us-east-1',
  credentials: { accessKeyId: process.env.PARTWISE_TEST_ACCESS_KEY, secretAccessKey: process.env.PARTWISE_TEST_SECRET_KEY },
  roleArn: process.env.PARTWISE_TEST_ROLE_ARN ?? 'arn:aws:iam::000000000000:role/uploader',
});

// One client of each kind, made on first use (the environment is read then).
let stsClient;
let s3Client;
const sts = () => {
  const s = settings();
  stsClient ??= new STSClient({ endpoint: s.endpoint, region: s.region, credentials: s.credentials });
  return stsClient;
};
const s3 = () => {
  const s = settings();
  s3Client ??= new S3Client({
    endpoint: s.endpoint, region: s.region, credentials: s.credentials, forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3Client;
};

/** Temporary credentials for the uploader role (optionally limited to a key prefix). */
export async function assumeRole({ prefix } = {}) {
  const s = settings();
  const policy = prefix
    ? JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: [`arn:aws:s3:::*/${prefix}*`] }] })
    : undefined;
  const { Credentials: c } = await sts().send(new AssumeRoleCommand({
    RoleArn: s.roleArn, RoleSessionName: `partwise-${Date.now()}`, DurationSeconds: 900, Policy: policy,
  }));
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration.toISOString() };
}

const commands = {
  createMultipartUpload: (r) => new CreateMultipartUploadCommand({ Bucket: r.bucket, Key: r.key, ContentType: header(r, 'content-type') }),
  uploadPart: (r) => new UploadPartCommand({ Bucket: r.bucket, Key: r.key, UploadId: r.uploadId, PartNumber: r.partNumber, ContentMD5: header(r, 'content-md5') }),
  completeMultipartUpload: (r) => new CompleteMultipartUploadCommand({ Bucket: r.bucket, Key: r.key, UploadId: r.uploadId }),
  abortMultipartUpload: (r) => new AbortMultipartUploadCommand({ Bucket: r.bucket, Key: r.key, UploadId: r.uploadId }),
  listParts: (r) => new ListPartsCommand({ Bucket: r.bucket, Key: r.key, UploadId: r.uploadId, MaxParts: num(r.query?.['max-parts']), PartNumberMarker: r.query?.['part-number-marker'] }),
  listMultipartUploads: (r) => new ListMultipartUploadsCommand({
    Bucket: r.bucket, Prefix: r.query?.prefix, Delimiter: r.query?.delimiter, KeyMarker: r.query?.['key-marker'],
    UploadIdMarker: r.query?.['upload-id-marker'], MaxUploads: num(r.query?.['max-uploads']),
  }),
  putObject: (r) => new PutObjectCommand({ Bucket: r.bucket, Key: r.key, ContentType: header(r, 'content-type'), ContentMD5: header(r, 'content-md5') }),
};

function header(request, name) {
  const found = Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === name);
  return found?.[1];
}
function num(value) { return value === undefined ? undefined : Number(value); }

/** A presigned URL for one request partwise describes: `{operation, bucket, key, uploadId, partNumber, query, headers}`. */
export async function presign(request, expiresIn = 900) {
  const make = commands[request.operation];
  if (!make) throw new Error(`unknown operation ${request.operation}`);
  const signableHeaders = new Set(Object.keys(request.headers ?? {}).map((h) => h.toLowerCase()));
  const url = await getSignedUrl(s3(), make(request), { expiresIn, signableHeaders });
  return { url, headers: request.headers ?? {} };
}

/** A request's JSON body. */
export async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/**
 * Test-only stand-ins for a misbehaving store, answering any method with open CORS:
 * `slowdown` 503 SlowDown; `stall` never answers; `hidden-etag` 200 with an ETag that CORS hides.
 */
function fault(kind, req, res) {
  const cors = {
    'access-control-allow-origin': '*', 'access-control-allow-headers': '*',
    'access-control-allow-methods': 'GET, PUT, POST, DELETE', 'access-control-expose-headers': 'x-amz-request-id, date',
  };
  if (req.method === 'OPTIONS') { res.writeHead(204, cors); return res.end(); }
  req.resume();
  if (kind === 'stall') return;
  req.on('end', () => {
    if (kind === 'hidden-etag') {
      res.writeHead(200, { ...cors, etag: '"0123456789abcdef0123456789abcdef"' });
      return res.end();
    }
    res.writeHead(503, { ...cors, 'content-type': 'application/xml', 'x-amz-request-id': 'fault-1' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault-1</RequestId></Error>');
  });
}

/** The HTTP server: CORS open to any origin, JSON in and out. */
export function createBackend() {
  return createServer(async (req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'GET, POST, OPTIONS' };
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path.startsWith('/fault/')) return fault(path.slice('/fault/'.length), req, res);
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); return res.end(); }
    try {
      let answer;
      if (req.method === 'GET' && path === '/credentials') answer = await assumeRole({ prefix: new URL(req.url, 'http://x').searchParams.get('prefix') ?? undefined });
      else if (req.method === 'POST' && path === '/presign') answer = await presign(await readJson(req));
      else { res.writeHead(404, cors); return res.end(); }
      res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(answer));
    } catch (error) {
      res.writeHead(502, { ...cors, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error.name, message: error.message }));
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PARTWISE_BACKEND_PORT ?? 0);
  const server = createBackend().listen(port, '127.0.0.1', () => {
    console.log(`http://127.0.0.1:${server.address().port}`);
  });
}
