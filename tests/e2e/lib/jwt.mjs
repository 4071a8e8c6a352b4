// Forging and reading JWTs with node's crypto: our own RSA keys (published to cmpd with --jwks),
// unknown kids, alg none, HS256, tampered payloads.

import { createHash, createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

export const GRAPH_AUD_URI = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

export function b64url(data) {
  return Buffer.from(typeof data === 'string' ? data : data).toString('base64url');
}

export function b64urlJson(o) {
  return b64url(JSON.stringify(o));
}

export function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: Buffer.from(s, 'base64url'),
    signingInput: `${h}.${p}`,
  };
}

/** A fresh RSA-2048 key pair with a kid and its JWK (n/e form). */
export function newRsaKey(kid = `e2e-${randomUUID()}`) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  return { kid, publicKey, privateKey, jwk };
}

export function signRs256(header, payload, privateKey) {
  const input = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  const sig = sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${b64url(sig)}`;
}

export function signHs256(header, payload, secret) {
  const input = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  const sig = createHmac('sha256', secret).update(input).digest();
  return `${input}.${b64url(sig)}`;
}

export function unsigned(header, payload) {
  return `${b64urlJson(header)}.${b64urlJson(payload)}.`;
}

/**
 * Entra-shaped access-token claims for Graph.  o: {tenant, ver ('1.0'|'2.0'), roles, scopes,
 * aud, iss, now, lifetime, nbf, exp, appId, extra}.
 */
export function entraClaims(o) {
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const ver = o.ver ?? '2.0';
  const appId = o.appId ?? randomUUID();
  const c = {
    aud: o.aud ?? (ver === '2.0' ? GRAPH_APP_ID : GRAPH_AUD_URI),
    iss: o.iss ?? (ver === '2.0' ? `https://login.microsoftonline.com/${o.tenant}/v2.0` : `https://sts.windows.net/${o.tenant}/`),
    iat: now - 60,
    nbf: o.nbf ?? now - 60,
    exp: o.exp ?? now + (o.lifetime ?? 3600),
    tid: o.tenant,
    oid: randomUUID(),
    sub: randomUUID(),
    ver,
    uti: randomUUID().replace(/-/g, '').slice(0, 22),
  };
  if (ver === '2.0') c.azp = appId;
  else c.appid = appId;
  if (o.roles) {
    c.roles = o.roles;
    c.idtyp = 'app';
  }
  if (o.scopes) {
    c.scp = o.scopes.join(' ');
    c.idtyp = 'user';
    c.name = 'E2E User';
    c.upn = 'e2e@contoso.example';
  }
  return { ...c, ...(o.extra || {}) };
}

/** RFC 7638 thumbprint of an RSA public JWK. */
export function jwkThumbprint(jwk) {
  const canon = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canon).digest('base64url');
}
