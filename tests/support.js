// Browser-side helpers of the browser tests (tests/web.rs, tests/engines/uploader-page.js):
// credentials and presigned URLs from the development backend (scripts/dev-backend.mjs, or the
// development server's same routes with backend ''), counted; console capture; raw IndexedDB
// reads; Worker hash counting; requests through fetch.

/** A `credentials` callback that asks the backend for STS credentials; `.calls()` counts calls. */
export function stsCredentials(backend, override) {
  let calls = 0;
  const issued = [];
  const provider = async () => {
    calls += 1;
    const answer = await fetch(`${backend}/credentials`);
    if (!answer.ok) throw new Error(`credentials: ${answer.status}`);
    const credentials = { ...(await answer.json()), ...(override ?? {}) };
    issued.push(credentials.secretAccessKey, credentials.sessionToken);
    return credentials;
  };
  provider.calls = () => calls;
  provider.issued = () => issued;
  return provider;
}

/** A `presign` callback backed by the backend; `.count(operation)` counts calls per operation. */
export function presigner(backend) {
  const counts = {};
  const presign = async (request) => {
    counts[request.operation] = (counts[request.operation] ?? 0) + 1;
    const answer = await fetch(`${backend}/presign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    if (!answer.ok) throw new Error(`presign: ${answer.status} ${await answer.text()}`);
    return answer.json();
  };
  presign.count = (operation) => counts[operation] ?? 0;
  return presign;
}

/**
 * A `presigner` whose answers for parts wait until `parts` of them have been asked for, then go out
 * together: that many parts are sent at once however fast the page hashes and the store answers.
 */
export function holdingPresigner(backend, parts) {
  const presign = presigner(backend);
  let held = [];
  const holding = async (request, options) => {
    const answer = await presign(request, options);
    if (request.operation !== 'uploadPart' || held === null) return answer;
    return new Promise((resolve) => {
      held.push(() => resolve(answer));
      if (held.length < parts) return;
      for (const release of held) release();
      held = null;
    });
  };
  holding.count = presign.count;
  return holding;
}

/** A `credentials` callback whose first answer is an unknown temporary key (as an expired one looks). */
export function expiringCredentials(backend) {
  const real = stsCredentials(backend);
  let first = true;
  const provider = async () => {
    const credentials = await real();
    if (!first) return credentials;
    first = false;
    return { ...credentials, accessKeyId: 'ASIAEXPIREDEXPIRED00', sessionToken: 'expired-session-token' };
  };
  provider.calls = real.calls;
  return provider;
}

/** Every console line from now on, as it is printed. */
export function captureConsole() {
  const lines = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
    const original = console[method];
    console[method] = (...args) => {
      lines.push(args.map(String).join(' '));
      original.apply(console, args);
    };
  }
  return lines;
}

/** Every record of the partwise IndexedDB database, as JSON text. */
export async function dumpCheckpoints() {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open('partwise');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  if (!db.objectStoreNames.contains('checkpoints')) return '[]';
  const records = await new Promise((resolve, reject) => {
    const request = db.transaction('checkpoints').objectStore('checkpoints').getAll();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return JSON.stringify(records);
}

/**
 * Counts the parts handed to hashing Workers from now on (messages posted to a Worker that carry a
 * Blob) until stopped: parts hashed on the main thread are not counted.
 */
export function countWorkerHashes() {
  const post = Worker.prototype.postMessage;
  const counter = { hashes: 0 };
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message?.blob instanceof Blob) counter.hashes += 1;
    return post.call(this, message, ...rest);
  };
  counter.stop = () => {
    Worker.prototype.postMessage = post;
    return counter.hashes;
  };
  return counter;
}
/** A request of the browser tests, through fetch: `{status, headers: [name, value, …], body}` (bytes). */
export async function sendRequest(method, url, headers, body) {
  const all = new Headers();
  for (let i = 0; i < headers.length; i += 2) all.append(headers[i], headers[i + 1]);
  const answer = await fetch(url, { method, headers: all, body });
  const flat = [];
  for (const [name, value] of answer.headers) flat.push(name, value);
  return { status: answer.status, headers: flat, body: new Uint8Array(await answer.arrayBuffer()) };
}
