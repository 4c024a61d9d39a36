/** The services partwise speaks to. */
export type Provider = 's3' | 'oss' | 'obs' | 'nos' | 'ks3';

/** Signature schemes: OSS V4 or V1, KS3 V4 or V2; one each for S3, OBS and NOS. */
export type Signature = 'aws-v4' | 'oss-v4' | 'oss-v1' | 'obs' | 'nos' | 'ks3-v4' | 'ks3-v2';

/** Temporary (STS) or long-term credentials. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they expire; partwise asks for new ones shortly before. */
  expiration?: Date | string | number;
}

/** The operations a `presign` callback is asked to sign. */
export type Operation =
  | 'createMultipartUpload'
  | 'uploadPart'
  | 'completeMultipartUpload'
  | 'abortMultipartUpload'
  | 'listParts'
  | 'listMultipartUploads'
  | 'putObject'
  | 'headObject';

/**
 * The last argument of every `credentials` and `presign` call. `signal` aborts when partwise gives
 * up on the call: after `callbackTimeoutMs`, or when the upload is paused, aborted or its uploader
 * disposed. Pass it on to `fetch`.
 */
export interface CallbackContext {
  signal: AbortSignal;
}

/** A request for the app's backend to presign. */
export interface PresignRequest {
  operation: Operation;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  bucket: string;
  key: string;
  uploadId?: string;
  partNumber?: number;
  /** Every query parameter of the request (uploadId and partNumber included). */
  query: Record<string, string>;
  /** The headers the request will carry (Content-MD5, Content-Type, metadata), to sign. */
  headers: Record<string, string>;
}

export interface UploaderOptionsBase {
  provider?: Provider;
  /** The service endpoint, such as `https://s3.us-east-1.amazonaws.com`. */
  endpoint: string;
  bucket: string;
  /** Required where the signing scheme needs one (S3, OSS V4, KS3 V4). */
  region?: string;
  /** Default: true for IP-address and localhost endpoints, false otherwise. */
  pathStyle?: boolean;
  /** The signature scheme, for services with two (default: the first of each pair). */
  signature?: Signature;
  /** Bytes per part; default: the planner's choice within the service's limits. */
  partSize?: number;
  /** Parts in flight at once, per upload (default 4). */
  concurrency?: number;
  /**
   * Requests in flight at once over all the uploader's uploads, shared in turn so that more files
   * queue instead of opening more connections (default 6, what browsers open per host over
   * HTTP/1.1; an endpoint on HTTP/2 may take more).
   */
  maxRequests?: number;
  /** How failed requests are retried: exponential backoff with jitter. */
  retry?: RetryOptions;
  /**
   * What every part carries (default `'md5'`): Content-MD5, or (S3 only) one of S3's flexible
   * checksums; with a CRC the object's CRC, combined from the parts', is checked on Complete
   * (a mismatch fails with `IntegrityError`).
   */
  checksum?: 'md5' | 'crc32' | 'crc32c' | 'crc64nvme' | 'sha256' | 'none';
  /** Resume after a reload from IndexedDB checkpoints (default true). */
  checkpoints?: boolean;
  /** Hashing Web Workers (default: half of hardwareConcurrency, 1 to 4). */
  hashWorkers?: number;
  /** A part request with no progress for this long is aborted and retried (default 30000). */
  stallTimeoutMs?: number;
  /**
   * A `credentials` or `presign` call with no answer this long has its `signal` aborted and is
   * retried like a failed request (default 30000).
   */
  callbackTimeoutMs?: number;
}

/** Retries of a failed request; delays double from `baseDelayMs` up to `maxDelayMs`. */
export interface RetryOptions {
  /** Tries after the first failure; 0 never retries (default 5). */
  attempts?: number;
  /** Delay before the first retry, in milliseconds (default 500). */
  baseDelayMs?: number;
  /** Longest delay between tries, in milliseconds (default 20000). */
  maxDelayMs?: number;
  /**
   * Asked (synchronously) before each retry of a request or callback, with the error and the
   * retry's number (1-based); returning `false` (or throwing) stops retrying and fails with that
   * error. Default: retry as the policy says.
   */
  shouldRetry?: (error: PartwiseError, attempt: number) => boolean;
}

/**
 * What a `credentials` or `presign` callback may throw: an error with `retryable: false` fails
 * the upload at once (`CredentialsError`); any other throw, rejection or timeout is retried.
 */
export interface CallbackError extends Error {
  retryable?: boolean;
}

export type UploaderOptions = UploaderOptionsBase &
  (
    | { credentials: (context: CallbackContext) => Promise<Credentials>; presign?: never }
    | {
        presign: (
          request: PresignRequest,
          context: CallbackContext,
        ) => Promise<string | { url: string; headers?: Record<string, string> }>;
        credentials?: never;
      }
  );

/** `Content-Disposition` from a file name (any Unicode; written per RFC 6266 with an ASCII fallback). */
export interface ContentDispositionFile {
  /** Default `'attachment'` (saved); `'inline'` is shown in the browser. */
  type?: 'attachment' | 'inline';
  filename: string;
}

/**
 * Server-side encryption (README "Encryption"): keys the service manages, a KMS key (`keyId`,
 * default the service's; `context` sent as base64 JSON, S3 only), or your own 256-bit key in
 * base64 (SSE-C: sent with every part and never stored by partwise: pass it again to resume).
 */
export type Encryption =
  | { type: 'SSE-S3' }
  | { type: 'SSE-KMS'; keyId?: string; context?: Record<string, string> }
  | { type: 'SSE-C'; key: string };

/**
 * What the object is created with: sent on CreateMultipartUpload or the single PutObject, and
 * listed in `PresignRequest.headers`. An option the service lacks fails with `InvalidInput`.
 */
export interface UploadOptions {
  key: string;
  /** Default: the file's type. */
  contentType?: string;
  /** A header value (ASCII), or a file name: `{ filename: '报告.pdf' }`. */
  contentDisposition?: string | ContentDispositionFile;
  cacheControl?: string;
  contentEncoding?: string;
  /** A Date, or an HTTP date string. */
  expires?: Date | string;
  /** The service's storage class: `'STANDARD_IA'` (S3), `'IA'` (OSS), `'WARM'` (OBS), ... */
  storageClass?: string;
  /** The service's canned ACL: `'private'`, `'public-read'`, ... (not NOS). */
  acl?: string;
  /** Object tags, sent URL-encoded as `k=v&k2=v2` (S3, OSS, KS3). */
  tagging?: Record<string, string>;
  /** `x-amz-meta-*` (or the service's prefix), non-ASCII values encoded as README says. */
  metadata?: Record<string, string>;
  /** Further headers stored with the object, as given. */
  headers?: Record<string, string>;
  /** Server-side encryption: a mode the service lacks fails with `InvalidInput`. */
  encryption?: Encryption;
  /** Aborting it aborts the upload, as `task.abort()` does. */
  signal?: AbortSignal;
}

export interface UploadResult {
  bucket: string;
  key: string;
  /** null when the file went up in one PutObject. */
  uploadId: string | null;
  etag: string;
  location: string;
  size: number;
  parts: number;
}

export interface ProgressDetail {
  loaded: number;
  total: number;
  partsDone: number;
  partsTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface PartDetail {
  partNumber: number;
  etag: string;
  size: number;
}
export interface RetryDetail {
  partNumber: number | null;
  attempt: number;
  delayMs: number;
  error: PartwiseError;
}
/** `waiting`: another tab of this origin uploads the same file to the same key (Web Locks). */
export type TaskState = 'waiting' | 'uploading' | 'paused' | 'complete' | 'error' | 'aborted';
/** The key's stored upload of another file, aborted on the server before this file's upload. */
export interface ReplacedDetail {
  key: string;
  uploadId: string;
}

/** What failed, as `PartwiseError.code`: stable across versions. */
export type ErrorCode =
  | 'InvalidInput'
  | 'TooLarge'
  | 'ProviderError'
  | 'InvalidResponse'
  | 'EtagNotExposed'
  | 'CheckpointInvalid'
  | 'NetworkError'
  | 'Aborted'
  | 'CredentialsError'
  | 'BrowserError'
  | 'IntegrityError';

export interface PartwiseErrorInit {
  code: ErrorCode;
  message: string;
  status: number | null;
  providerCode: string | null;
  requestId: string | null;
  retryable: boolean;
}

/** Every failure, with a stable `code` (see `ErrorCode`) and, from the service, its details. */
export class PartwiseError extends Error implements PartwiseErrorInit {
  constructor(init: Partial<PartwiseErrorInit> & { code: ErrorCode; message: string });
  readonly code: ErrorCode;
  readonly status: number | null;
  readonly providerCode: string | null;
  readonly requestId: string | null;
  readonly retryable: boolean;
}

export interface UploadTaskEventMap {
  progress: CustomEvent<ProgressDetail>;
  part: CustomEvent<PartDetail>;
  retry: CustomEvent<RetryDetail>;
  statechange: CustomEvent<{ state: TaskState }>;
  replaced: CustomEvent<ReplacedDetail>;
  error: CustomEvent<PartwiseError>;
  complete: CustomEvent<UploadResult>;
}

/** One upload, already running: an EventTarget with controls. Made by `Uploader.upload`. */
export class UploadTask extends EventTarget {
  private constructor();
  readonly done: Promise<UploadResult>;
  /** The object key the file goes to (null when the call was refused for a missing key). */
  readonly key: string | null;
  /** The multipart upload's id once it is known (started or resumed); null before and for a one-request PutObject. */
  readonly uploadId: string | null;
  readonly state: TaskState;
  readonly stats: { partRequests: number; maxPartsInFlight: number };
  pause(): void;
  resume(): void;
  /** Aborts on the server, then forgets the checkpoint; resolves with the final state ('complete' when a Complete under way stored the object), rejects when the server-side abort failed. A task that failed (its checkpoint kept) has its upload aborted the same way. */
  abort(): Promise<'aborted' | 'complete'>;
  addEventListener<K extends keyof UploadTaskEventMap>(
    type: K,
    listener: (event: UploadTaskEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof UploadTaskEventMap>(
    type: K,
    listener: (event: UploadTaskEventMap[K]) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

export interface CheckpointInfo {
  key: string;
  uploadId: string;
  name: string;
  size: number;
  partSize: number;
  partsDone: number;
  /** Parts the file is planned in. */
  partsTotal: number;
  /** When the upload started. */
  createdAt: Date;
}

export interface UnfinishedUpload {
  key: string;
  uploadId: string;
  initiated: string | null;
}

/** Uploads files to one bucket. Made by `createUploader`. */
export class Uploader {
  private constructor();
  /** `done` rejects with an `InvalidInput` error naming `file` or `key` when they are not a Blob and a non-empty string. */
  upload(file: Blob, options: UploadOptions): UploadTask;
  checkpoints(): Promise<CheckpointInfo[]>;
  listUploads(options?: { prefix?: string }): Promise<UnfinishedUpload[]>;
  abortUpload(upload: { key: string; uploadId: string }): Promise<void>;
  /** Pauses the running uploads (their checkpoints stay) and stops the hashing Workers; later calls fail with InvalidInput. */
  dispose(): void;
}

export function createUploader(options: UploaderOptions): Uploader;

/** Loads the WebAssembly module ahead of the first upload. After a failure, the next call tries again. */
export function preload(): Promise<void>;
