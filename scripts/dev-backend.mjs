// The development backend: what an app's backend does for partwise, done with the vendors' SDKs
// (independent signers, so partwise's own are cross-checked):
//   GET  /targets                    the buckets it serves (no keys; services without one: `configured: false`)
//   GET  /credentials?target=ID      temporary credentials from the service's STS AssumeRole
//   POST /presign?target=ID          a presigned URL for the request partwise describes
// Without `target`, the first bucket (the local SeaweedFS under `npm test` and `npm start`).
import { createServer } from 'node:http';
import { gatewaySigner } from './backend/gateway.mjs';
import { ossSigner } from './backend/oss.mjs';
import { readJson } from './backend/request.mjs';
import { s3Signer } from './backend/s3.mjs';
import { publicTarget, readTargets, SERVICES } from './backend/targets.mjs';

const signers = new Map();
const signerOf = (target) =>
  target.local ? gatewaySigner(target) : target.provider === 'oss' ? ossSigner(target) : s3Signer(target);
/** The signer of a target id (default: the first target). */
export function signerFor(id) {
  const targets = readTargets();
  const target = id ? targets.find((t) => t.id === id) : targets[0];
  if (!target) throw Object.assign(new Error(`no bucket configured as ${id ?? 'default'}`), { status: 404 });
  if (!signers.has(target.id)) signers.set(target.id, { target, ...signerOf(target) });
  return signers.get(target.id);
}

/** Temporary credentials for the default bucket (optionally limited to a key prefix). */
export const assumeRole = (options) => signerFor().assumeRole(options);

/** A presigned URL for a request to the default bucket. */
export const presign = (request, expiresIn) => signerFor().presign(request, expiresIn);

/** The backend's API as functions of the request URL and body: shared with the demo server. */
export const api = {
  '/targets': async () => {
    const targets = readTargets();
    const missing = SERVICES.filter((s) => !targets.some((t) => t.id === s.id)).map(({ id, provider, label }) => ({
      id,
      provider,
      label,
      configured: false,
    }));
    return [...targets.map(publicTarget), ...missing];
  },
  '/credentials': async (_req, url) => {
    const signer = signerFor(url.searchParams.get('target'));
    if (!signer.target.modes.includes('sts'))
      throw Object.assign(
        new Error(
          `${signer.target.label}: temporary credentials are not configured (set its ROLE_ARN, or use presigned mode)`,
        ),
        { status: 400 },
      );
    return signer.assumeRole({
      prefix: url.searchParams.get('prefix') ?? signer.target.keyPrefix,
      // Local emulations only: a shorter session, for tests of expiry.
      durationSeconds: Number(url.searchParams.get('durationSeconds')) || undefined,
    });
  },
  // `signature`: the scheme of the URL, for services with two (`oss-v1`, `ks3-v2`; local emulations).
  '/presign': async (req, url) =>
    signerFor(url.searchParams.get('target')).presign(
      await readJson(req),
      undefined,
      url.searchParams.get('signature') ?? undefined,
    ),
};

/** Answers one API request with JSON; false when the path is not the API's. */
export async function answerApi(req, res, headers = {}) {
  const url = new URL(req.url, 'http://localhost');
  const handler = api[url.pathname];
  if (!handler) return false;
  try {
    const answer = await handler(req, url);
    res.writeHead(200, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(answer));
  } catch (error) {
    res.writeHead(error.status ?? 502, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: error.name, message: error.message }));
  }
  return true;
}

/** The HTTP server: CORS open to any origin, JSON in and out. */
export function createBackend() {
  return createServer(async (req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'content-type',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      return res.end();
    }
    if (!(await answerApi(req, res, cors))) {
      res.writeHead(404, cors);
      res.end();
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PARTWISE_BACKEND_PORT ?? 0);
  const server = createBackend().listen(port, '127.0.0.1', () => {
    console.log(`http://127.0.0.1:${server.address().port}`);
  });
}
