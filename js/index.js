// partwise: multipart uploads of browser files to S3, OSS, OBS, NOS and KS3.
// This module is the public API; the decisions are the WebAssembly module's next to it
// (./partwise.js and ./partwise_bg.wasm, found through import.meta.url, so it runs unbundled),
// carried out in the browser by ./driver.js.
import { Runner } from './driver.js';
import init, { WasmClient } from './partwise.js';

let loading = null;
/**
 * Loads and instantiates the WebAssembly module (once). Called for you; call early to preload.
 * A failed load is not kept: the next call tries again.
 */
export function preload() {
  loading ??= init().then(
    () => undefined,
    (raw) => {
      loading = null;
      throw toError(raw);
    },
  );
  return loading;
}

/** Every `PartwiseError.code`: `CODES` in src/error.rs (tests/api_facts.rs checks they agree). */
const ERROR_CODES = new Set([
  'InvalidInput',
  'TooLarge',
  'ProviderError',
  'InvalidResponse',
  'EtagNotExposed',
  'CheckpointInvalid',
  'NetworkError',
  'Aborted',
  'CredentialsError',
  'BrowserError',
  'IntegrityError',
]);

/** The one error type: every failure has a stable `code`, and service failures their details. */
export class PartwiseError extends Error {
  constructor({ code, message, status = null, providerCode = null, requestId = null, retryable = false }) {
    super(message);
    this.name = 'PartwiseError';
    this.code = code;
    this.status = status;
    this.providerCode = providerCode;
    this.requestId = requestId;
    this.retryable = retryable;
  }
}

/** A PartwiseError for anything thrown: the core's error objects keep their code; anything else is a BrowserError. */
function toError(raw) {
  if (raw instanceof PartwiseError) return raw;
  if (raw && typeof raw === 'object' && ERROR_CODES.has(raw.code)) return new PartwiseError(raw);
  return new PartwiseError({ code: 'BrowserError', message: String(raw?.message ?? raw) });
}

/** An InvalidInput error naming the argument at fault. */
function invalid(field, reason) {
  return new PartwiseError({ code: 'InvalidInput', message: `invalid ${field}: ${reason}` });
}

/** Whether `value` is a Blob or File, from this realm or another (an iframe's). */
/**
 * `field`'s options as the module reads them: JSON, the callbacks left out (they stay here), a
 * `Date` as its HTTP date, a number JSON cannot hold (NaN, ±Infinity, a BigInt) as a string, so the
 * module names the option.
 */
function optionsJson(options, field) {
  try {
    return JSON.stringify(options, function (key, value) {
      const raw = this[key];
      if (raw instanceof Date) return raw.toUTCString();
      if (typeof value === 'bigint' || (typeof value === 'number' && !Number.isFinite(value))) return String(value);
      return value;
    });
  } catch (error) {
    throw invalid(field, `must be plain data (${error?.message})`);
  }
}

function isBlob(value) {
  const tag = Object.prototype.toString.call(value);
  return value instanceof Blob || tag === '[object Blob]' || tag === '[object File]';
}

/** The first problem with `upload()`'s arguments, or null. */
function uploadArgumentsError(file, options) {
  if (!isBlob(file)) return invalid('file', 'must be a File or Blob');
  if (!options || typeof options !== 'object')
    return invalid('key', 'give the upload options, {key}, as the second argument');
  if (typeof options.key !== 'string' || options.key === '') return invalid('key', 'must be a non-empty string');
  const { signal } = options;
  if (signal !== undefined && !(typeof signal?.addEventListener === 'function' && 'aborted' in signal))
    return invalid('signal', 'must be an AbortSignal');
  return null;
}

/** One upload: an EventTarget (`progress`, `part`, `retry`, `statechange`, `replaced`, `error`, `complete`) with controls. */
export class UploadTask extends EventTarget {
  #wasm = null;
  #queued = [];
  #state = 'uploading';
  #abortStored;

  /** @internal `abortStored(uploadId)` aborts a failed task's upload on the server. */
  constructor(started, key = null, abortStored = async () => {}) {
    super();
    this.#abortStored = abortStored;
    /** The object key the file goes to. */
    this.key = key;
    this.done = started
      .then((wasm) => {
        this.#wasm = wasm;
        for (const command of this.#queued) wasm[command]();
        return wasm.done;
      })
      .then(
        (result) => {
          this.dispatchEvent(new CustomEvent('complete', { detail: result }));
          return result;
        },
        (raw) => {
          const error = toError(raw);
          if (this.#state !== 'error' && this.#state !== 'aborted')
            this.#setState(error.code === 'Aborted' ? 'aborted' : 'error');
          this.dispatchEvent(new CustomEvent('error', { detail: error }));
          throw error;
        },
      );
    // Failures are also reported as `error` events; an app that only listens to events must not
    // see an "unhandled rejection".
    this.done.catch(() => {});
  }

  /** `waiting`, `uploading`, `paused`, `complete`, `error` or `aborted`. */
  get state() {
    return this.#state;
  }

  /** The multipart upload's id once it is known (started or resumed), else null. */
  get uploadId() {
    return this.#wasm?.uploadId ?? null;
  }

  /** Requests sent for parts (retries included) and the most in flight at once. */
  get stats() {
    return this.#wasm?.stats ?? { partRequests: 0, maxPartsInFlight: 0 };
  }

  /** Stops sending parts; parts in flight are cancelled and sent again on resume. */
  pause() {
    this.#command('pause');
  }

  /** Continues after `pause()`. */
  resume() {
    this.#command('resume');
  }

  /**
   * Cancels the upload, aborts it on the server, then deletes its checkpoint. Resolves with the
   * final state: `'aborted'`, or `'complete'` when a Complete already under way stored the object.
   * Rejects with the server's or the network's error when the server-side abort failed (the
   * checkpoint stays). A task that failed has its kept upload aborted the same way.
   */
  abort() {
    if (this.#state === 'error') return this.#abortFailed();
    this.#command('abort');
    return this.done.then(
      () => 'complete',
      (error) => {
        if (error.code === 'Aborted') return 'aborted';
        throw error;
      },
    );
  }

  async #abortFailed() {
    const uploadId = this.uploadId;
    if (uploadId) await this.#abortStored(uploadId);
    this.#setState('aborted');
    return 'aborted';
  }

  /** @internal */
  emit(type, detail) {
    if (type === 'statechange') this.#state = detail.state;
    if (type === 'retry') detail = { ...detail, error: toError(detail.error) };
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setState(state) {
    this.#state = state;
    this.dispatchEvent(new CustomEvent('statechange', { detail: { state } }));
  }

  #command(name) {
    if (this.#wasm) this.#wasm[name]();
    else this.#queued.push(name);
  }
}

/** Uploads files to one bucket. See `createUploader`. */
export class Uploader {
  #options;
  #json;
  #shouldRetry;
  #wasm = null;
  #disposed = false;
  #running = new Set();

  /** @internal */
  constructor(options) {
    if (!options || typeof options !== 'object') throw invalid('options', 'must be an object');
    const modes = ['credentials', 'presign'].filter((name) => typeof options[name] === 'function');
    if (modes.length !== 1) {
      throw invalid('credentials', 'give exactly one of `credentials` and `presign`, as functions');
    }
    this.#options = { ...options };
    this.#json = optionsJson(options, 'options');
    const shouldRetry = options.retry?.shouldRetry;
    // The core hands over its error objects; the app sees PartwiseErrors, as in `retry` events.
    if (typeof shouldRetry === 'function') this.#shouldRetry = (raw, attempt) => shouldRetry(toError(raw), attempt);
  }

  async #inner() {
    if (this.#disposed) throw invalid('uploader', 'was disposed; create another one');
    await preload();
    try {
      const presign = typeof this.#options.presign === 'function';
      const cores = globalThis.navigator?.hardwareConcurrency || 2;
      this.#wasm ??= new Runner(new WasmClient(this.#json, presign, this.#shouldRetry, cores), this.#options);
    } catch (raw) {
      throw toError(raw);
    }
    return this.#wasm;
  }

  /** Starts uploading `file` (a File or Blob) to `key`; returns the running task. */
  upload(file, options) {
    const refused = uploadArgumentsError(file, options);
    if (refused) return new UploadTask(Promise.reject(refused), typeof options?.key === 'string' ? options.key : null);
    const { key, signal, ...object } = options;
    let task;
    const started = this.#inner().then((wasm) => {
      try {
        return wasm.upload(
          file,
          optionsJson(
            { ...object, key, contentType: object.contentType ?? (file.type || undefined) },
            'upload options',
          ),
          (type, detail) => task.emit(type, detail),
        );
      } catch (raw) {
        throw toError(raw);
      }
    });
    task = new UploadTask(started, key, (uploadId) => this.abortUpload({ key, uploadId }));
    this.#running.add(task);
    task.done.catch(() => {}).finally(() => this.#running.delete(task));
    if (signal?.aborted) task.abort().catch(() => {});
    else signal?.addEventListener('abort', () => task.abort().catch(() => {}), { once: true });
    return task;
  }

  /**
   * Frees what the uploader holds: its running uploads are paused (their checkpoints stay, so a
   * new uploader resumes them) and its hashing Workers stop. Later calls fail with InvalidInput.
   */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const task of this.#running) task.pause();
    this.#wasm?.dispose();
  }

  /** Unfinished uploads of this browser to this bucket, stored for resume. */
  async checkpoints() {
    try {
      return await (await this.#inner()).checkpoints();
    } catch (raw) {
      throw toError(raw);
    }
  }

  /** The server's unfinished multipart uploads (all pages), optionally under a key prefix. */
  async listUploads({ prefix } = {}) {
    try {
      return await (await this.#inner()).listUploads(prefix);
    } catch (raw) {
      throw toError(raw);
    }
  }

  /** Aborts an unfinished multipart upload on the server and forgets its checkpoint. */
  async abortUpload({ key, uploadId }) {
    try {
      return await (await this.#inner()).abortUpload(key, uploadId);
    } catch (raw) {
      throw toError(raw);
    }
  }
}

/** An uploader for one bucket. Give `credentials` (STS, signed here) or `presign` (your backend signs). */
export function createUploader(options) {
  return new Uploader(options);
}
