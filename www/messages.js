// Every PartwiseError in words a person understands, with what fixes it.

/** The CORS rule each service needs, in the shape its console or API takes. */
const EXPOSE = {
  s3: ['ETag', 'x-amz-request-id', 'Date'],
  oss: ['ETag', 'x-oss-request-id', 'Date'],
  obs: ['ETag', 'x-obs-request-id', 'Date'],
  nos: ['ETag', 'x-nos-request-id', 'Date'],
  ks3: ['ETag', 'x-kss-request-id', 'Date'],
};

/** The bucket CORS rule for `origin` on `provider` (S3-style XML; all five take this shape). */
export function corsRule(provider, origin) {
  const expose = (EXPOSE[provider] ?? EXPOSE.s3).map((h) => `    <ExposeHeader>${h}</ExposeHeader>`).join('\n');
  return `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>${origin}</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
${expose}
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;
}

const PROVIDER_CODES = {
  SignatureDoesNotMatch: [
    'The storage service rejected the request’s signature.',
    'Check the secret key the backend uses, and that this computer’s clock is right.',
  ],
  InvalidAccessKeyId: [
    'The storage service doesn’t know the access key (or the temporary key has expired).',
    'Check the backend’s access key; temporary keys are renewed automatically, so a repeat means the backend hands out stale ones.',
  ],
  AccessDenied: [
    'The credentials aren’t allowed to write here.',
    'Give the uploader role (or the presigning user) write access to this bucket and key prefix.',
  ],
  NoSuchBucket: ['The bucket doesn’t exist.', 'Check the bucket name and the endpoint’s region.'],
  NoSuchUpload: [
    'The upload no longer exists on the server (it was completed or aborted elsewhere).',
    'Add the file again to start a new upload.',
  ],
  RequestTimeTooSkewed: [
    'This computer’s clock is too far off the server’s.',
    'Set the clock automatically in the system settings, then resume.',
  ],
  EntityTooSmall: ['A part was smaller than the service allows.', 'Use a part size of at least 5 MiB.'],
  InvalidPart: ['The server is missing a part the upload refers to.', 'Cancel the upload and add the file again.'],
  BadDigest: [
    'A part arrived damaged (its MD5 didn’t match).',
    'Resume: the part is sent again. If it repeats, a proxy is changing the data.',
  ],
  QuotaExceeded: ['The bucket’s quota is used up.', 'Free space or raise the quota, then resume.'],
};

/**
 * `{title, fix, snippet}` for an error: what happened, what to do, and a configuration snippet
 * when the fix is one (the CORS rule).
 */
export function explain(error, { provider = 's3', origin = location.origin } = {}) {
  const ids = error.requestId ? ` (request id ${error.requestId})` : '';
  switch (error.code) {
    case 'EtagNotExposed':
      return {
        title: 'The browser can’t read the ETag the storage service sent back.',
        fix: 'The bucket’s CORS rule must expose the ETag header. Add this rule to the bucket, then resume:',
        snippet: corsRule(provider, origin),
      };
    case 'NetworkError':
      return {
        title: 'The storage service couldn’t be reached.',
        fix: `Check the connection and the endpoint. If the service is up, its CORS rule probably doesn’t allow ${origin}; the rule it needs:`,
        snippet: corsRule(provider, origin),
      };
    case 'CredentialsError':
      return {
        title: 'The backend didn’t hand out upload credentials.',
        fix: `Check that the backend is running and configured for this bucket: ${error.message}`,
      };
    case 'TooLarge':
      return { title: 'The file is larger than this service accepts in one object.', fix: error.message };
    case 'CheckpointInvalid':
      return { title: 'The saved progress of this upload was unreadable.', fix: 'Add the file again; it starts over.' };
    case 'InvalidInput':
      return { title: 'The upload settings are invalid.', fix: error.message };
    case 'ProviderError': {
      const [title, fix] = PROVIDER_CODES[error.providerCode] ?? [
        `The storage service refused the request (${error.providerCode ?? `HTTP ${error.status}`}).`,
        error.message,
      ];
      return { title, fix: `${fix}${ids}` };
    }
    case 'InvalidResponse':
      return { title: 'The storage service answered with something unexpected.', fix: `${error.message}${ids}` };
    default:
      return { title: 'The upload failed.', fix: error.message };
  }
}
