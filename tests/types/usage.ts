// Type-checks the public declarations (js/index.d.ts) the way an app uses them: `npm test` runs
// `tsc -p tests/types`. The @ts-expect-error lines must stay errors.
import {
  type CallbackContext,
  type CallbackError,
  createUploader,
  type ErrorCode,
  PartwiseError,
  type PresignRequest,
  preload,
  Uploader,
  type UploadResult,
  UploadTask,
} from '../../js/index.js';

async function sts(file: File): Promise<UploadResult> {
  const loading: Promise<void> = preload();
  await loading;
  const uploader = createUploader({
    provider: 'oss',
    endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
    bucket: 'b',
    region: 'cn-hangzhou',
    credentials: async ({ signal }) => {
      const refusal: CallbackError = Object.assign(new Error('gone'), { retryable: false });
      if (signal.aborted) throw refusal;
      return { accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't', expiration: new Date() };
    },
    concurrency: 3,
    maxRequests: 8,
    callbackTimeoutMs: 10_000,
    retry: { attempts: 2, shouldRetry: (error: PartwiseError, attempt: number) => error.retryable && attempt < 2 },
    checksum: 'none',
  });
  const controller = new AbortController();
  const task = uploader.upload(file, {
    key: 'k',
    contentType: 'text/plain',
    metadata: { a: 'b' },
    contentDisposition: { type: 'inline', filename: '报告.pdf' },
    cacheControl: 'no-cache',
    contentEncoding: 'gzip',
    expires: new Date(),
    storageClass: 'IA',
    acl: 'private',
    tagging: { team: 'blue' },
    encryption: { type: 'SSE-KMS', keyId: 'alias/uploads', context: { team: 'blue' } },
    signal: controller.signal,
  });
  uploader.upload(file, { key: 'k2', contentDisposition: 'attachment', expires: 'Wed, 21 Oct 2026 07:28:00 GMT' });
  uploader.upload(file, {
    key: 'k3',
    encryption: { type: 'SSE-C', key: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' },
  });
  uploader.upload(file, { key: 'k4', encryption: { type: 'SSE-S3' } });
  task.addEventListener('progress', (event) => {
    const { loaded, total, etaSeconds }: { loaded: number; total: number; etaSeconds: number | null } = event.detail;
    void [loaded, total, etaSeconds];
  });
  task.addEventListener('retry', (event) => {
    const error: PartwiseError = event.detail.error;
    if (error.code === 'NetworkError' && error.retryable) void error.message;
  });
  task.addEventListener('statechange', (event) => {
    if (event.detail.state === 'paused') task.resume();
  });
  task.pause();
  const listed = await uploader.listUploads({ prefix: 'k' });
  await uploader.abortUpload({ key: listed[0].key, uploadId: listed[0].uploadId });
  const saved = await uploader.checkpoints();
  void saved[0]?.createdAt.getTime();
  const progress: number = (saved[0]?.partsDone ?? 0) / (saved[0]?.partsTotal ?? 1);
  const names: [string | null, string | null] = [task.key, task.uploadId];
  void [progress, names];
  const ended: 'aborted' | 'complete' = await task.abort();
  void ended;
  uploader.dispose();
  return task.done;
}

function presigned(blob: Blob) {
  const presign = async (request: PresignRequest, { signal }: CallbackContext) => {
    signal.throwIfAborted();
    if (request.operation === 'headObject' && request.method !== 'HEAD') throw new Error('HeadObject is a HEAD');
    return { url: `https://example.com/${request.key}`, headers: request.headers };
  };
  const uploader = createUploader({ endpoint: 'https://s3.amazonaws.com', bucket: 'b', region: 'us-east-1', presign });
  return uploader.upload(blob, { key: 'k' }).done.catch((error: unknown) => {
    if (error instanceof PartwiseError) {
      const code: ErrorCode = error.code;
      if (code === 'BrowserError') return [code, error.message];
      return [code, error.status, error.providerCode, error.requestId, error.retryable];
    }
    throw error;
  });
}

// @ts-expect-error: exactly one of credentials and presign
createUploader({
  endpoint: 'e',
  bucket: 'b',
  credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 's' }),
  presign: async () => 'u',
});
// @ts-expect-error: an unknown service
createUploader({ provider: 'gcs', endpoint: 'e', bucket: 'b', presign: async () => 'u' });
// @ts-expect-error: a key is required
createUploader({ endpoint: 'e', bucket: 'b', presign: async () => 'u' }).upload(new Blob(), {});
createUploader({ endpoint: 'e', bucket: 'b', presign: async () => 'u' }).upload(new Blob(), {
  key: 'k',
  // @ts-expect-error: a disposition is 'attachment' or 'inline'
  contentDisposition: { type: 'download', filename: 'a' },
});
createUploader({ endpoint: 'e', bucket: 'b', presign: async () => 'u' }).upload(new Blob(), {
  key: 'k',
  // @ts-expect-error: SSE-C needs the key
  encryption: { type: 'SSE-C' },
});

// @ts-expect-error: not a code partwise reports
const internal: ErrorCode = 'Internal';
// @ts-expect-error: uploaders come from createUploader
new Uploader({ endpoint: 'e', bucket: 'b', presign: async () => 'u' });
// @ts-expect-error: tasks come from Uploader.upload
new UploadTask();

void [sts, presigned, internal];
