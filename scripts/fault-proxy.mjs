// A fault-injecting HTTP proxy for tests, between the browser and the object store. Loopback only,
// bounded (at most `maxRequests` requests, at most `lifetimeMs` alive) and it stops by itself.
// Per request, the rules a test sets decide whether to pass it through or to: reset the connection,
// answer 500, 503 SlowDown, 403 RequestTimeTooSkewed, 400 ExpiredToken or 404 NoSuchUpload, stall, drop the ETag
// header of the real answer, forward the request body cut short or with one byte changed (same
// length: the service's Content-MD5 check must catch it), carry the request out and then
// lose its answer (the connection drops after the answer's head, before its body), or answer a
// part with an ETag of 32 hex digits that is not its MD5 (as S3 does under SSE-KMS and SSE-C; the
// proxy maps it back to the store's in CompleteMultipartUpload bodies), or answer with another
// CRC-64/ECMA than the object's (OSS's and KS3's header and KS3's element: a damaged object). A
// stall that ends before the client's stall timer is a delay; a hold lasts until the test calls
// `release()`.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { seededRandom } from './seeded-random.mjs';

/** Every fault the proxy can inject. */
export const FAULTS = [
  'reset',
  '500',
  'slowdown',
  'skewed',
  'expired-token',
  'stall',
  'hold',
  'drop-etag',
  'cut-body',
  'corrupt-body',
  'lose-answer',
  'no-such-upload',
  'opaque-etag',
  'wrong-crc',
];

const ERRORS = {
  500: [500, 'InternalError', 'We encountered an internal error. Please try again.'],
  slowdown: [503, 'SlowDown', 'Please reduce your request rate.'],
  skewed: [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'],
  'expired-token': [400, 'ExpiredToken', 'The provided token has expired.'],
  'no-such-upload': [404, 'NoSuchUpload', 'The specified upload does not exist.'],
};

/**
 * A rule: requests matching `method` (optional) and carrying query parameter `query` (optional;
 * `name=value` for that value only)
 * are faulted with probability `rate` (default 1), at most `limit` times (default unlimited),
 * taking the kinds in `faults` in turn; `stallMs` is how long a stall lasts (default 10 s).
 */
/** Another CRC-64 than `crc` (decimal), as a damaged object would have. */
const otherCrc = (crc) => String((BigInt(crc) + 1n) % 2n ** 64n);

function matches(rule, req, url) {
  const [name, value] = (rule.query ?? '').split('=');
  const query =
    !rule.query || (value === undefined ? url.searchParams.has(name) : url.searchParams.get(name) === value);
  return (!rule.method || rule.method === req.method) && query;
}

/**
 * Starts the proxy in front of `upstream` (an http:// origin). Returns `{ url, setRules(rules, seed),
 * stats, release(), close() }`; `stats` counts requests (also by method) and faults by kind.
 */
export async function startFaultProxy({ upstream, maxRequests = 20_000, lifetimeMs = 15 * 60_000 }) {
  const target = new URL(upstream);
  let rules = [];
  let draw = seededRandom(1);
  /** The store's ETag of each opaque one the proxy answered. */
  const opaqueEtags = new Map();
  /** The requests on hold, each released by calling its function. */
  const held = [];
  const stats = { requests: 0, passed: 0, methods: {}, faults: Object.fromEntries(FAULTS.map((k) => [k, 0])) };

  const cors = (req) => ({
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-expose-headers': 'ETag, Date, x-amz-request-id',
  });

  function pickFault(req, url) {
    if (req.method === 'OPTIONS') return null;
    for (const rule of rules) {
      if (!matches(rule, req, url)) continue;
      if (rule.limit !== undefined && rule.used >= rule.limit) continue;
      if (draw() >= (rule.rate ?? 1)) continue;
      const kind = rule.faults[rule.used % rule.faults.length];
      rule.used += 1;
      return { kind, stallMs: rule.stallMs ?? 10_000 };
    }
    return null;
  }

  function forward(req, res, { body, dropEtag, opaqueEtag, loseAnswer, wrongCrc } = {}) {
    const headers = { ...req.headers };
    if (body) headers['content-length'] = String(body.length);
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        if (loseAnswer) {
          // The answer's head goes out, its body never does: a browser cannot take the request
          // for unsent and send it again by itself, as it does when a reused connection closes.
          res.writeHead(answer.statusCode, answer.headers);
          res.flushHeaders();
          answer.resume();
          answer.on('end', () => setTimeout(() => res.destroy(), 50));
          return;
        }
        const back = { ...answer.headers };
        if (dropEtag) delete back.etag;
        if (opaqueEtag && back.etag) {
          const opaque = `"${createHash('md5').update(`sse:${back.etag}`).digest('hex')}"`;
          opaqueEtags.set(opaque, back.etag);
          back.etag = opaque;
        }
        if (wrongCrc) {
          for (const name of Object.keys(back).filter((n) => n.endsWith('crc64ecma')))
            back[name] = otherCrc(back[name]);
          const chunks = [];
          answer.on('data', (chunk) => chunks.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(chunks)
              .toString()
              .replace(/(<ChecksumCRC64ECMA>)(\d+)/, (_, open, crc) => open + otherCrc(crc));
            delete back['content-length'];
            res.writeHead(answer.statusCode, back);
            res.end(text);
          });
          return;
        }
        res.writeHead(answer.statusCode, back);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    if (body) out.end(body);
    else req.pipe(out);
  }

  const server = http.createServer(async (req, res) => {
    const remote = req.socket.remoteAddress ?? '';
    if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(remote)) {
      req.socket.destroy();
      return;
    }
    stats.requests += 1;
    stats.methods[req.method] = (stats.methods[req.method] ?? 0) + 1;
    if (stats.requests >= maxRequests) setImmediate(close);
    const url = new URL(req.url, 'http://proxy');
    const fault = pickFault(req, url);
    if (!fault && opaqueEtags.size > 0 && req.method === 'POST' && url.searchParams.has('uploadId')) {
      // CompleteMultipartUpload naming opaque ETags: the store gets its own back.
      stats.passed += 1;
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      let text = Buffer.concat(chunks).toString();
      for (const [opaque, real] of opaqueEtags) {
        const bare = (etag) => etag.replaceAll('"', '');
        text = text.replaceAll(bare(opaque), bare(real));
      }
      // Same length, so the signed Content-Length holds; SeaweedFS does not check a Complete
      // body's Content-MD5 (the signature covers the header, not the body).
      forward(req, res, { body: Buffer.from(text) });
      return;
    }
    if (!fault) {
      stats.passed += 1;
      forward(req, res);
      return;
    }
    stats.faults[fault.kind] += 1;
    switch (fault.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall':
        await new Promise((resolve) => {
          const t = setTimeout(resolve, fault.stallMs);
          res.on('close', () => {
            clearTimeout(t);
            resolve();
          });
        });
        if (!res.destroyed) forward(req, res);
        return;
      case 'hold':
        await new Promise((resolve) => {
          held.push(resolve);
          res.on('close', resolve);
        });
        if (!res.destroyed) forward(req, res);
        return;
      case 'drop-etag':
        forward(req, res, { dropEtag: true });
        return;
      case 'opaque-etag':
        forward(req, res, { opaqueEtag: true });
        return;
      case 'wrong-crc':
        forward(req, res, { wrongCrc: true });
        return;
      case 'lose-answer':
        forward(req, res, { loseAnswer: true });
        return;
      case 'cut-body':
      case 'corrupt-body': {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        const whole = Buffer.concat(chunks);
        if (fault.kind === 'cut-body') forward(req, res, { body: whole.subarray(0, Math.floor(whole.length / 2)) });
        else {
          if (whole.length > 0) whole[whole.length >> 1] ^= 0xff;
          forward(req, res, { body: whole });
        }
        return;
      }
      default: {
        req.resume();
        const [status, code, message] = ERRORS[fault.kind];
        res.writeHead(status, {
          ...cors(req),
          'content-type': 'application/xml',
          'x-amz-request-id': `fault-${stats.requests}`,
        });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-${stats.requests}</RequestId></Error>`,
        );
      }
    }
  });

  function release() {
    for (const resolve of held.splice(0)) resolve();
  }

  function close() {
    release();
    clearTimeout(deadline);
    server.close();
    server.closeAllConnections();
  }
  const deadline = setTimeout(close, lifetimeMs);
  deadline.unref();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats,
    /** Replaces the rules (see `matches`) and re-seeds the draw. */
    setRules(next, seed = 1) {
      rules = next.map((rule) => ({ ...rule, used: 0 }));
      draw = seededRandom(seed);
    },
    /** Lets the requests on hold go on to the upstream. */
    release,
    close,
  };
}

// As a program: `node scripts/fault-proxy.mjs <upstream>` prints the proxy's address (no faults
// until a test sets rules in-process; useful to check the pass-through by hand).
if (import.meta.url === `file://${process.argv[1]}`) {
  const proxy = await startFaultProxy({ upstream: process.argv[2] ?? process.env.PARTWISE_TEST_ENDPOINT });
  console.log(proxy.url);
}
