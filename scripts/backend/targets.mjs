// The buckets the development backend serves, read from the environment. The local SeaweedFS
// (PARTWISE_TEST_*, exported by scripts/seaweedfs.sh) is always one; each of the five services is
// another when its variables are set:
//   PARTWISE_<S>_ENDPOINT, _BUCKET, _REGION, _ACCESS_KEY, _SECRET_KEY   (required but _REGION)
//   PARTWISE_<S>_ROLE_ARN       the role AssumeRole hands out (STS mode; S3 and OSS)
//   PARTWISE_<S>_STS_ENDPOINT   S3-compatible stores with their own STS (default: AWS STS)
//   PARTWISE_<S>_KEY_PREFIX     temporary credentials only for keys under this prefix
// with <S> one of S3, OSS, OBS, NOS, KS3. The keys never leave the backend. The local emulations
// of OSS, OBS, NOS and KS3 (scripts/gateways.sh exports PARTWISE_LOCAL_<S>_*) are `<s>-local`.

/** The services, in the order the demo lists them. */
export const SERVICES = [
  { id: 's3', provider: 's3', label: 'Amazon S3', region: 'us-east-1' },
  { id: 'oss', provider: 'oss', label: 'Alibaba Cloud OSS', region: 'cn-hangzhou' },
  { id: 'obs', provider: 'obs', label: 'Huawei Cloud OBS', region: 'cn-north-4' },
  { id: 'nos', provider: 'nos', label: 'NetEase NOS', region: 'us-east-1' },
  { id: 'ks3', provider: 'ks3', label: 'Kingsoft Cloud KS3', region: 'BEIJING' },
];

/** The local emulations of the four other services (scripts/gateways.sh, PARTWISE_LOCAL_<S>_*). */
export const LOCAL_SERVICES = SERVICES.filter((s) => s.id !== 's3');

/** Whether temporary credentials can be issued: AWS STS (S3 and S3-compatibles) and Alibaba STS. */
const STS_SERVICES = new Set(['s3', 'oss']);

/** Every target: `{id, provider, label, endpoint, bucket, region, keyPrefix, modes, secret}` (secret: backend only). */
export function readTargets(env = process.env) {
  const targets = [];
  if (env.PARTWISE_TEST_ENDPOINT) {
    targets.push({
      id: 'seaweedfs',
      provider: 's3',
      label: 'SeaweedFS (local)',
      endpoint: env.PARTWISE_TEST_ENDPOINT,
      bucket: env.PARTWISE_TEST_BUCKET,
      region: 'us-east-1',
      keyPrefix: env.PARTWISE_TEST_KEY_PREFIX || undefined,
      modes: ['sts', 'presign'],
      secret: {
        accessKeyId: env.PARTWISE_TEST_ACCESS_KEY,
        secretAccessKey: env.PARTWISE_TEST_SECRET_KEY,
        roleArn: 'arn:aws:iam::000000000000:role/uploader',
        stsEndpoint: env.PARTWISE_TEST_ENDPOINT,
      },
    });
  }
  for (const service of LOCAL_SERVICES) {
    const v = (name) => env[`PARTWISE_LOCAL_${service.id.toUpperCase()}_${name}`];
    if (!v('ENDPOINT')) continue;
    targets.push({
      id: `${service.id}-local`,
      provider: service.provider,
      label: `${service.label} (local emulation)`,
      endpoint: v('ENDPOINT'),
      bucket: v('BUCKET'),
      region: service.region,
      modes: ['sts', 'presign'],
      local: true,
      secret: { accessKeyId: v('ACCESS_KEY'), secretAccessKey: v('SECRET_KEY') },
    });
  }
  for (const service of SERVICES) {
    const v = (name) => env[`PARTWISE_${service.id.toUpperCase()}_${name}`] || undefined;
    if (!v('ENDPOINT') || !v('BUCKET') || !v('ACCESS_KEY') || !v('SECRET_KEY')) continue;
    const sts = STS_SERVICES.has(service.id) && v('ROLE_ARN');
    targets.push({
      id: service.id,
      provider: service.provider,
      label: service.label,
      endpoint: v('ENDPOINT'),
      bucket: v('BUCKET'),
      region: v('REGION') ?? service.region,
      keyPrefix: v('KEY_PREFIX'),
      modes: sts ? ['sts', 'presign'] : ['presign'],
      secret: {
        accessKeyId: v('ACCESS_KEY'),
        secretAccessKey: v('SECRET_KEY'),
        roleArn: v('ROLE_ARN'),
        stsEndpoint: v('STS_ENDPOINT'),
      },
    });
  }
  return targets;
}

/** What the page may see of a target: everything but the keys. */
export function publicTarget({ secret, ...visible }) {
  return visible;
}

/** Path-style addressing for IP-address and localhost endpoints, virtual-hosted otherwise. */
export function pathStyle(endpoint) {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
}
