// Probes what a SeaweedFS (or any S3 endpoint) does with SSE-S3, SSE-KMS and SSE-C on multipart
// uploads: node scripts/probe-sse.mjs (PARTWISE_TEST_* from scripts/seaweedfs.sh start).
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

const env = process.env;
const s3 = new S3Client({
  endpoint: env.PARTWISE_TEST_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: env.PARTWISE_TEST_ACCESS_KEY, secretAccessKey: env.PARTWISE_TEST_SECRET_KEY },
});
const Bucket = env.PARTWISE_TEST_BUCKET;
const md5 = (b) => createHash('md5').update(b).digest('hex');
const key = randomBytes(32);
const customer = {
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: key.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
};
const modes = {
  'SSE-S3': { initiate: { ServerSideEncryption: 'AES256' }, part: {}, complete: {}, read: {} },
  'SSE-KMS': {
    initiate: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'partwise-test-key' },
    part: {},
    complete: {},
    read: {},
  },
  'SSE-C': { initiate: customer, part: customer, complete: customer, read: customer },
};
const part1 = randomBytes(5 * 1024 * 1024);
const part2 = randomBytes(1000);
for (const [mode, h] of Object.entries(modes)) {
  const Key = `probe/${mode}`;
  const line = [mode];
  try {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: `${Key}-put`, Body: part2, ...h.initiate }));
    line.push(`put etag ${put.ETag === `"${md5(part2)}"` ? 'md5' : put.ETag} sse=${put.ServerSideEncryption}`);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ...h.initiate }));
    const etags = [];
    for (const [n, body] of [part1, part2].entries()) {
      const r = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: n + 1, Body: body, ...h.part }),
      );
      etags.push(r.ETag);
      line.push(`part${n + 1} etag ${r.ETag === `"${md5(body)}"` ? 'md5' : r.ETag}`);
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    line.push(`listparts ${listed.Parts?.length}`);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        ...h.complete,
      }),
    );
    line.push(`complete etag ${done.ETag}`);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, ...h.read }));
    line.push(`head sse=${head.ServerSideEncryption} kms=${head.SSEKMSKeyId} c=${head.SSECustomerAlgorithm}`);
    const got = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket, Key, ...h.read }))).Body.transformToByteArray(),
    );
    line.push(`read ${got.equals(Buffer.concat([part1, part2])) ? 'same' : 'DIFFERENT'}`);
    if (mode === 'SSE-C') {
      const without = await s3.send(new GetObjectCommand({ Bucket, Key })).then(
        async (r) =>
          Buffer.from(await r.Body.transformToByteArray()).equals(Buffer.concat([part1, part2]))
            ? 'plaintext!'
            : 'other bytes',
        (e) => e.name,
      );
      line.push(`read without key: ${without}`);
    }
  } catch (e) {
    line.push(`FAILED ${e.name}: ${e.message}`);
  }
  console.log(line.join('; '));
}
