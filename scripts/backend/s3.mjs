// S3 and the S3-compatible APIs (SeaweedFS; OBS, NOS and KS3 through their S3-compatible SigV4),
// signed by the AWS SDK.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { header } from './request.mjs';
import { pathStyle } from './targets.mjs';

const num = (value) => (value === undefined ? undefined : Number(value));

/** The object options partwise lists in a request's headers, as the AWS SDK command's fields (the
 * SDK writes them back as the same headers, so the signed URL covers each). */
function objectFields(r) {
  const meta = 'x-amz-meta-';
  const metadata = Object.entries(r.headers ?? {})
    .filter(([name]) => name.toLowerCase().startsWith(meta))
    .map(([name, value]) => [name.slice(meta.length).toLowerCase(), value]);
  const expires = header(r, 'expires');
  return {
    ContentType: header(r, 'content-type'),
    ContentDisposition: header(r, 'content-disposition'),
    CacheControl: header(r, 'cache-control'),
    ContentEncoding: header(r, 'content-encoding'),
    Expires: expires === undefined ? undefined : new Date(expires),
    StorageClass: header(r, 'x-amz-storage-class'),
    ACL: header(r, 'x-amz-acl'),
    Tagging: header(r, 'x-amz-tagging'),
    Metadata: metadata.length ? Object.fromEntries(metadata) : undefined,
  };
}

/** The server-side encryption partwise lists in a request's headers, as the AWS SDK's fields:
 * SSE-S3 and SSE-KMS on Initiate and PutObject, the SSE-C key on every request that carries it. */
function encryptionFields(r) {
  const sse = 'x-amz-server-side-encryption';
  return {
    ServerSideEncryption: header(r, sse),
    SSEKMSKeyId: header(r, `${sse}-aws-kms-key-id`),
    SSEKMSEncryptionContext: header(r, `${sse}-context`),
    SSECustomerAlgorithm: header(r, `${sse}-customer-algorithm`),
    SSECustomerKey: header(r, `${sse}-customer-key`),
    SSECustomerKeyMD5: header(r, `${sse}-customer-key-md5`),
  };
}

/** The flexible checksum partwise lists in a request's headers, as the AWS SDK's fields: the
 * algorithm and type declared on Initiate, a part's (or PutObject's) checksum, the object's CRC and
 * its type on Complete. */
function checksumFields(r) {
  const checksum = 'x-amz-checksum';
  return {
    ChecksumType: header(r, `${checksum}-type`),
    ChecksumCRC32: header(r, `${checksum}-crc32`),
    ChecksumCRC32C: header(r, `${checksum}-crc32c`),
    ChecksumCRC64NVME: header(r, `${checksum}-crc64nvme`),
    ChecksumSHA256: header(r, `${checksum}-sha256`),
  };
}

/** The AWS SDK command for each operation partwise asks to presign. */
const commands = {
  createMultipartUpload: (r) =>
    new CreateMultipartUploadCommand({
      Bucket: r.bucket,
      Key: r.key,
      ...objectFields(r),
      ...encryptionFields(r),
      ChecksumAlgorithm: header(r, 'x-amz-checksum-algorithm'),
      ChecksumType: header(r, 'x-amz-checksum-type'),
    }),
  uploadPart: (r) =>
    new UploadPartCommand({
      Bucket: r.bucket,
      Key: r.key,
      UploadId: r.uploadId,
      PartNumber: r.partNumber,
      ContentMD5: header(r, 'content-md5'),
      ...encryptionFields(r),
      ...checksumFields(r),
    }),
  completeMultipartUpload: (r) =>
    new CompleteMultipartUploadCommand({
      Bucket: r.bucket,
      Key: r.key,
      UploadId: r.uploadId,
      ...encryptionFields(r),
      ...checksumFields(r),
    }),
  abortMultipartUpload: (r) => new AbortMultipartUploadCommand({ Bucket: r.bucket, Key: r.key, UploadId: r.uploadId }),
  listParts: (r) =>
    new ListPartsCommand({
      Bucket: r.bucket,
      Key: r.key,
      UploadId: r.uploadId,
      MaxParts: num(r.query?.['max-parts']),
      PartNumberMarker: r.query?.['part-number-marker'],
    }),
  listMultipartUploads: (r) =>
    new ListMultipartUploadsCommand({
      Bucket: r.bucket,
      Prefix: r.query?.prefix,
      Delimiter: r.query?.delimiter,
      KeyMarker: r.query?.['key-marker'],
      UploadIdMarker: r.query?.['upload-id-marker'],
      MaxUploads: num(r.query?.['max-uploads']),
    }),
  putObject: (r) =>
    new PutObjectCommand({
      Bucket: r.bucket,
      Key: r.key,
      ...objectFields(r),
      ...encryptionFields(r),
      ...checksumFields(r),
      ContentMD5: header(r, 'content-md5'),
    }),
  headObject: (r) => new HeadObjectCommand({ Bucket: r.bucket, Key: r.key, ...encryptionFields(r) }),
};

/** Presigning and AssumeRole for one S3-compatible target. */
export function s3Signer(target) {
  const { accessKeyId, secretAccessKey, roleArn, stsEndpoint } = target.secret;
  const credentials = { accessKeyId, secretAccessKey };
  const s3 = new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials,
    forcePathStyle: pathStyle(target.endpoint),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let sts;
  return {
    async assumeRole({ prefix } = {}) {
      sts ??= new STSClient({ endpoint: stsEndpoint, region: target.region, credentials });
      const policy = prefix
        ? JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: [`arn:aws:s3:::${target.bucket}/${prefix}*`] }],
          })
        : undefined;
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: `partwise-${Date.now()}`,
          DurationSeconds: 900,
          Policy: policy,
        }),
      );
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration.toISOString(),
      };
    },
    async presign(request, expiresIn = 900) {
      const make = commands[request.operation];
      if (!make) throw new Error(`unknown operation ${request.operation}`);
      const signableHeaders = new Set(Object.keys(request.headers ?? {}).map((h) => h.toLowerCase()));
      // The browser sends every listed header: none may move into the query instead.
      const unhoistableHeaders = new Set([...signableHeaders].filter((h) => h.startsWith('x-amz-')));
      const url = await getSignedUrl(s3, make(request), { expiresIn, signableHeaders, unhoistableHeaders });
      return { url, headers: request.headers ?? {} };
    },
  };
}
