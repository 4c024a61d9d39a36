// partwise: multipart uploads of browser files to S3, OSS, OBS, NOS and KS3.
// This module is the public API; the work is done by the WebAssembly module next to it
// (./partwise.js and ./partwise_bg.wasm, found through import.meta.url, so it runs unbundled).
import init, { WasmUploader } from './partwise.js';

let loading;
/** Loads and instantiates the WebAssembly module (once). Called for you; call early to preload. */
export function preload() {
  loading ??= init();
  return loading;
}

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

function toError(raw) {
  if (raw instanceof PartwiseError) return raw;
  if (raw && typeof raw === 'object' && typeof raw.code === 'string') return new PartwiseError(raw);
  return new PartwiseError({ code: 'Internal', message: String(raw?.message ?? raw) });
}

/** One upload: an EventTarget (`progress`, `part`, `retry`, `statechange`, `error`, `complete`) with controls. */
export class UploadTask extends EventTarget {
  #wasm = null;
  #queued = [];
  #state = 'uploading';

  /** @internal */
  constructor(started) {
    super();
    this.done = started.then(
      (wasm) => {
        this.#wasm = wasm;
        for (const command of this.#queued) wasm[command]();
        return wasm.done;
      },
    ).then(
      (result) => {
        this.dispatchEvent(new CustomEvent('complete', { detail: result }));
        return result;
      },
      (raw) => {
        const error = toError(raw);
        if (this.#state !== 'error' && this.#state !== 'aborted') this.#setState(error.code === 'Aborted' ? 'aborted' : 'error');
        this.dispatchEvent(new CustomEvent('error', { detail: error }));
        throw error;
      },
    );
    // Failures are also reported as `error` events; an app that only listens to events must not
    // see an "unhandled rejection".
    this.done.catch(() => {});
  }

  /** `uploading`, `paused`, `complete`, `error` or `aborted`. */
  get state() { return this.#state; }

  /** Requests sent for parts (retries included) and the most in flight at once. */
  get stats() { return this.#wasm?.stats ?? { partRequests: 0, maxPartsInFlight: 0 }; }

  /** Stops sending parts; parts in flight are cancelled and sent again on resume. */
  pause() { this.#command('pause'); }

  /** Continues after `pause()`. */
  resume() { this.#command('resume'); }

  /** Cancels the upload, aborts it on the server and deletes its checkpoint. */
  abort() { this.#command('abort'); }

  /** @internal */
  emit(type, detail) {
    if (type === 'statechange') this.#state = detail.state;
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
  #wasm = null;

  /** @internal */
  constructor(options) {
    if (!options || typeof options !== 'object') throw new PartwiseError({ code: 'InvalidInput', message: 'invalid options: must be an object' });
    const modes = ['credentials', 'presign'].filter((name) => typeof options[name] === 'function');
    if (modes.length !== 1) {
      throw new PartwiseError({ code: 'InvalidInput', message: 'invalid credentials: give exactly one of `credentials` and `presign`, as functions' });
    }
    this.#options = { ...options };
  }

  async #inner() {
    await preload();
    try {
      this.#wasm ??= new WasmUploader(this.#options);
    } catch (raw) {
      throw toError(raw);
    }
    return this.#wasm;
  }

  /** Starts uploading `file` (a File or Blob) to `key`; returns the running task. */
  upload(file, { key, contentType, metadata, headers } = {}) {
    let task;
    const started = this.#inner().then((wasm) => {
      try {
        return wasm.upload(file, { key, contentType: contentType ?? (file.type || undefined), metadata, headers }, (type, detail) => task.emit(type, detail));
      } catch (raw) {
        throw toError(raw);
      }
    });
    task = new UploadTask(started);
    return task;
  }

  /** Unfinished uploads of this browser to this bucket, stored for resume. */
  async checkpoints() {
    return (await this.#inner()).checkpoints();
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
