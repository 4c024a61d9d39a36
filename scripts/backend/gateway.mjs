// The local service gateways (scripts/gateway/): temporary credentials from a gateway's STS route
// and URLs presigned by the vendor's SDK in the gateway's presign route, both asked for with the
// gateway's long-term development key (which never reaches the page).

/** Presigning and AssumeRole for one local gateway target. */
export function gatewaySigner(target) {
  const { accessKeyId, secretAccessKey } = target.secret;
  const call = async (route, body) => {
    const answer = await fetch(new URL(route, target.endpoint), {
      method: 'POST',
      body: JSON.stringify({ accessKeyId, secretAccessKey, ...body }),
    });
    if (!answer.ok)
      throw Object.assign(new Error(`${target.label}: ${route} answered ${answer.status}`), { status: 502 });
    return answer.json();
  };
  return {
    /** `durationSeconds`: a shorter session than the gateway's default (tests of expiry). */
    assumeRole: ({ durationSeconds } = {}) => call('/_sts', { durationSeconds }),
    presign: (request, expiresIn = 900, signature = target.signature) =>
      call('/_presign', { request, expiresIn, scheme: signature }),
  };
}
