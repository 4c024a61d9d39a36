// Alibaba Cloud OSS, signed by Alibaba's own SDK (ali-oss): V1 presigned URLs and STS AssumeRole.
import OSS from 'ali-oss';

/** Presigning and AssumeRole for one OSS target. */
export function ossSigner(target) {
  const { accessKeyId, secretAccessKey, roleArn } = target.secret;
  const client = new OSS({
    accessKeyId,
    accessKeySecret: secretAccessKey,
    bucket: target.bucket,
    endpoint: target.endpoint,
    region: `oss-${target.region}`,
    secure: target.endpoint.startsWith('https:'),
  });
  let sts;
  return {
    async assumeRole({ prefix } = {}) {
      sts ??= new OSS.STS({ accessKeyId, accessKeySecret: secretAccessKey });
      const policy = prefix
        ? {
            Version: '1',
            Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: [`acs:oss:*:*:${target.bucket}/${prefix}*`] }],
          }
        : undefined;
      const { credentials: c } = await sts.assumeRole(roleArn, policy, 900, `partwise-${Date.now()}`);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.AccessKeySecret,
        sessionToken: c.SecurityToken,
        expiration: c.Expiration,
      };
    },
    async presign(request, expires = 900) {
      // Content-MD5, Content-Type and x-oss-* headers are part of a V1 signature: sign exactly
      // the ones partwise will send; the query (uploads, uploadId, partNumber, ...) is the sub-resource.
      const headers = request.headers ?? {};
      const url = client.signatureUrl(request.key, {
        method: request.method,
        expires,
        ...headers,
        subResource: { ...(request.query ?? {}) },
      });
      return { url, headers };
    },
  };
}
