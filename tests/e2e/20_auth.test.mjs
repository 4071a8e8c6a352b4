// Layer 20: identity - tokens minted by `cmpd token`, every way a token can fail (401
// InvalidAuthenticationToken + WWW-Authenticate: Bearer), keys from --jwks (n/e and x5c), and the
// permission table of spec 3.1 (each permission x read/write x delegated/app, personal accounts).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, GUID_RE, newTenant, randomUUID, runCli, startServer, STORE_KIND, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  assertCollection,
  assertEntity,
  assertGraphError,
  assertGraphHeaders,
  assertStatus,
  col,
  countPath,
  item,
  READ_PERMS,
  WRITE_PERMS,
} from './lib/graph.mjs';
import {
  b64url,
  b64urlJson,
  decodeJwt,
  entraClaims,
  GRAPH_APP_ID,
  GRAPH_AUD_URI,
  jwkThumbprint,
  MSA_TENANT,
  newRsaKey,
  signHs256,
  signRs256,
  unsigned,
} from './lib/jwt.mjs';

const MSG_EMPTY = 'Access token is empty.';
const MSG_EXPIRED = 'Access token has expired or is not yet valid.';
const MSG_AUDIENCE = 'Access token validation failure. Invalid audience.';
const MSG_SIGNATURE = 'Access token validation failure. Invalid signature.';
const MSG_ISSUER = 'Access token validation failure. Invalid issuer.';
const MSG_MALFORMED = 'CompactToken parsing failed with error code: 80049217';
// Rows where the contract names no message: a Graph token message.
const ANY_TOKEN_MSG = /^(Access token|CompactToken parsing failed)/;
const SIG_OR_MALFORMED = new RegExp(`^(${MSG_SIGNATURE}|${MSG_MALFORMED})$`.replace(/\./g, '\\.'));

const forbiddenText = (perms) =>
  `Application is not authorized to perform this operation. Application must have one of the following scopes: ${perms.join(', ')}`;

function assertUnauthorized(res, message) {
  const text = assertGraphError(res, { status: 401, code: 'InvalidAuthenticationToken', wrapped: false, scheme: 'https', message });
  const wa = res.headers['www-authenticate'];
  assert.ok(wa, `WWW-Authenticate missing on 401: ${res}`);
  assert.match(wa, /^Bearer(\s|$)/i, `WWW-Authenticate must use the Bearer scheme: ${wa}`);
  return text;
}

function assertForbidden(res, perms) {
  return assertGraphError(res, {
    status: 403,
    code: 'Forbidden',
    wrapped: true,
    scheme: 'https',
    message: perms ? forbiddenText(perms) : undefined,
  });
}

let srv;
let tenant;
let admin; // app token with ServiceConfig.ReadWrite.All
let existing; // a partner created by `admin`
const keys = {};
let jwksDir;
let localKey; // {kid, publicKey, jwk} of the local signing key, as `cmpd jwks` prints it
let localJwks; // the whole document `cmpd jwks` printed

function haveOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  jwksDir = mkdtempSync(path.join(os.tmpdir(), 'cmpd-e2e-jwks-'));
  keys.a = newRsaKey('e2e-jwk-a');
  keys.unknown = newRsaKey('e2e-unknown');
  const jwks = { keys: [keys.a.jwk] };
  if (haveOpenssl()) {
    const k = path.join(jwksDir, 'x5c-key.pem');
    const c = path.join(jwksDir, 'x5c-cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', k, '-out', c, '-subj', '/CN=cmpd-e2e', '-days', '2'], {
      stdio: 'ignore',
    });
    const der = readFileSync(c, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    keys.x5c = { kid: 'e2e-x5c-b', privateKey: createPrivateKey(readFileSync(k)) };
    jwks.keys.push({ kty: 'RSA', use: 'sig', kid: keys.x5c.kid, x5c: [der] });
  }
  const jwksFile = path.join(jwksDir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks));
  srv = await startServer({ args: ['--jwks', jwksFile] });
  tenant = newTenant();
  admin = await srv.token({ tenant, roles: ADMIN_ROLES });
  const r = await srv.request('POST', col('v1.0'), { token: admin, body: { displayName: 'auth layer' } });
  assertStatus(r, 201);
  existing = { id: r.json.id, displayName: 'auth layer' };
  // The local key as every store kind publishes it: DIR/keys/signing.pem on SQLite, a secret in
  // the database on PostgreSQL.
  const j = await srv.cli('jwks');
  assert.equal(j.code, 0, `cmpd jwks failed: ${j.stderr}`);
  localJwks = JSON.parse(j.stdout);
  const jwk = localJwks.keys?.[0];
  assert.ok(jwk, `cmpd jwks printed no key: ${j.stdout}`);
  localKey = { publicKey: createPublicKey({ key: jwk, format: 'jwk' }), kid: jwk.kid, jwk };
});

after(async () => {
  if (srv && !srv.exit) await srv.destroy();
  if (jwksDir) rmSync(jwksDir, { recursive: true, force: true });
});

const get = (headers, p = col('v1.0')) => srv.request('GET', p, { headers });
const bearer = (t) => ({ Authorization: `Bearer ${t}` });

describe('cmpd jwks', () => {
  test('prints one RS256 signature key of the local signing key: kty, use, alg, kid (RFC 7638 thumbprint), n, e', () => {
    assert.equal(localJwks.keys.length, 1, JSON.stringify(localJwks));
    assert.deepEqual(Object.keys(localJwks), ['keys']);
    const { jwk } = localKey;
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.alg, 'RS256');
    assert.match(jwk.n, /^[A-Za-z0-9_-]+$/);
    assert.match(jwk.e, /^[A-Za-z0-9_-]+$/);
    assert.equal(jwk.kid, jwkThumbprint(jwk), 'kid must be the RFC 7638 thumbprint of the key');
    assert.ok(localKey.publicKey.asymmetricKeyDetails.modulusLength >= 2048, 'an RSA key of at least 2048 bits');
  });

  test('on SQLite the key is the public half of DIR/keys/signing.pem', { skip: STORE_KIND !== 'sqlite' && 'SQLite runs only' }, () => {
    const pub = createPublicKey(createPrivateKey(readFileSync(path.join(srv.dataDir, 'keys', 'signing.pem'))));
    const fromFile = pub.export({ format: 'jwk' });
    assert.equal(localKey.jwk.n, fromFile.n);
    assert.equal(localKey.jwk.e, fromFile.e);
    assert.equal(localKey.kid, jwkThumbprint(fromFile), 'kid must be the RFC 7638 thumbprint of signing.pem');
  });
});

describe('cmpd token', () => {
  test('app token: RS256 by the local signing key (kid = RFC 7638 thumbprint), Entra v1 claims, roles', async () => {
    const t = await srv.token({ tenant, roles: ['DeviceManagementServiceConfig.Read.All', 'DeviceManagementConfiguration.Read.All'] });
    const { header, payload, signature, signingInput } = decodeJwt(t);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, localKey.kid, 'kid must be the RFC 7638 thumbprint of the local key');
    assert.ok(verify('sha256', Buffer.from(signingInput), localKey.publicKey, signature), 'signature must verify with the key cmpd jwks prints');
    assert.equal(payload.aud, GRAPH_AUD_URI);
    assert.equal(payload.iss, `https://sts.windows.net/${tenant}/`);
    assert.equal(payload.tid, tenant);
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.idtyp, 'app');
    assert.match(payload.oid, GUID_RE);
    assert.match(payload.appid, GUID_RE);
    assert.deepEqual(payload.roles, ['DeviceManagementServiceConfig.Read.All', 'DeviceManagementConfiguration.Read.All']);
    assert.equal(payload.scp, undefined);
    for (const c of ['iat', 'nbf', 'exp']) assert.ok(Number.isInteger(payload[c]), `${c} must be an integer`);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(payload.iat - now) < 300, 'iat is now');
    assert.ok(payload.nbf <= now + 1);
    assert.equal(payload.exp - payload.iat, 3600, 'default lifetime 3600 s');
  });

  test('delegated token: scp space-separated, idtyp user; --issuer-version 2 gives the v2 issuer, ver 2.0 and azp', async () => {
    const t = await srv.token({ tenant, scopes: ['DeviceManagementConfiguration.Read.All', 'User.Read'], issuerVersion: 2 });
    const { payload } = decodeJwt(t);
    assert.equal(payload.scp, 'DeviceManagementConfiguration.Read.All User.Read');
    assert.equal(payload.idtyp, 'user');
    assert.equal(payload.roles, undefined);
    assert.equal(payload.iss, `https://login.microsoftonline.com/${tenant}/v2.0`);
    assert.equal(payload.ver, '2.0');
    assert.match(payload.azp, GUID_RE);
    const r = await get(bearer(t));
    assertStatus(r, 200);
  });

  test('--audience, --app-id and --expires-in are honoured', async () => {
    const appId = randomUUID();
    const t = await srv.token({ tenant, roles: ADMIN_ROLES, audience: GRAPH_APP_ID, appId, expiresIn: 120 });
    const { payload } = decodeJwt(t);
    assert.equal(payload.aud, GRAPH_APP_ID);
    assert.equal(payload.appid ?? payload.azp, appId);
    assert.ok(Math.abs(payload.exp - payload.iat - 120) <= 1, `exp - iat = ${payload.exp - payload.iat}`);
    const r = await get(bearer(t));
    assertStatus(r, 200);
  });

  test('--personal shapes a personal Microsoft account token', async () => {
    const t = await srv.token({ tenant, scopes: ['DeviceManagementServiceConfig.ReadWrite.All'], personal: true });
    const { payload } = decodeJwt(t);
    assert.ok(
      payload.tid === MSA_TENANT || String(payload.iss).includes(MSA_TENANT) || payload.idp === 'live.com' || String(payload.idp).includes(MSA_TENANT),
      `personal account marker (MSA tenant or idp live.com) missing: ${JSON.stringify(payload)}`,
    );
  });

  test('refuses a missing or non-GUID tenant (non-zero exit, nothing on stdout)', async () => {
    for (const args of [
      ['token', ...srv.storeArgs(), '--roles', ADMIN_ROLES[0]],
      ['token', ...srv.storeArgs(), '--tenant', 'contoso', '--roles', ADMIN_ROLES[0]],
    ]) {
      const r = await runCli(args);
      assert.notEqual(r.code, 0, `cmpd ${args.join(' ')} must fail`);
      assert.equal(r.stdout.trim(), '');
    }
  });
});

describe('token failures -> 401 InvalidAuthenticationToken with WWW-Authenticate: Bearer', () => {
  const rows = [
    ['no Authorization header', async () => ({}), MSG_EMPTY],
    ['"Bearer " with no token', async () => ({ Authorization: 'Bearer ' }), MSG_EMPTY],
    ['one-part token', async () => bearer('abc'), MSG_MALFORMED],
    ['two-part token', async () => bearer('eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0'), MSG_MALFORMED],
    ['three parts of garbage', async () => bearer('a.b.c'), MSG_MALFORMED],
    ['header that is not JSON', async () => bearer(`${b64url('not json')}.${b64urlJson({})}.${b64url('sig')}`), MSG_MALFORMED],
    ['expired token from cmpd token --expires-in -3600', async () => bearer(await srv.token({ tenant, roles: ADMIN_ROLES, expiresIn: -3600 })), MSG_EXPIRED],
    [
      'expired JWKS-signed token',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, exp: Math.floor(Date.now() / 1000) - 3600 }), keys.a.privateKey)),
      MSG_EXPIRED,
    ],
    [
      'not yet valid (nbf in an hour)',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, nbf: Math.floor(Date.now() / 1000) + 3600 }), keys.a.privateKey)),
      MSG_EXPIRED,
    ],
    ['wrong audience (US Gov Graph) from cmpd token', async () => bearer(await srv.token({ tenant, roles: ADMIN_ROLES, audience: 'https://graph.microsoft.us' })), MSG_AUDIENCE],
    ['wrong audience (api://other) from cmpd token', async () => bearer(await srv.token({ tenant, roles: ADMIN_ROLES, audience: 'api://other' })), MSG_AUDIENCE],
    [
      'wrong audience (Azure AD Graph) JWKS-signed',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, aud: 'https://graph.windows.net' }), keys.a.privateKey)),
      MSG_AUDIENCE,
    ],
    [
      'payload tampered (roles raised) keeping the signature',
      async () => {
        const t = await srv.token({ tenant, roles: ['DeviceManagementServiceConfig.Read.All'] });
        const [h, p, s] = t.split('.');
        const claims = JSON.parse(Buffer.from(p, 'base64url'));
        claims.roles = ADMIN_ROLES;
        return bearer(`${h}.${b64urlJson(claims)}.${s}`);
      },
      MSG_SIGNATURE,
    ],
    [
      'signature bytes flipped',
      async () => {
        const t = await srv.token({ tenant, roles: ADMIN_ROLES });
        const [h, p, s] = t.split('.');
        const sig = Buffer.from(s, 'base64url');
        sig[10] ^= 0xff;
        return bearer(`${h}.${p}.${b64url(sig)}`);
      },
      MSG_SIGNATURE,
    ],
    [
      'unknown kid (a key cmpd does not know)',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.unknown.kid }, entraClaims({ tenant, roles: ADMIN_ROLES }), keys.unknown.privateKey)),
      MSG_SIGNATURE,
    ],
    [
      'known kid, signed by another key',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES }), keys.unknown.privateKey)),
      MSG_SIGNATURE,
    ],
    [
      'local kid, signed by another key',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: localKey.kid }, entraClaims({ tenant, ver: '1.0', roles: ADMIN_ROLES }), keys.unknown.privateKey)),
      MSG_SIGNATURE,
    ],
    [
      'no kid in the header',
      async () => bearer(signRs256({ alg: 'RS256', typ: 'JWT' }, entraClaims({ tenant, roles: ADMIN_ROLES }), keys.a.privateKey)),
      SIG_OR_MALFORMED,
    ],
    [
      'alg none, no signature (JWKS kid)',
      async () => bearer(unsigned({ alg: 'none', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES }))),
      SIG_OR_MALFORMED,
    ],
    [
      'alg none with the claims of a real cmpd token',
      async () => {
        const t = await srv.token({ tenant, roles: ADMIN_ROLES });
        const { header, payload } = decodeJwt(t);
        return bearer(unsigned({ ...header, alg: 'none' }, payload));
      },
      SIG_OR_MALFORMED,
    ],
    [
      'HS256 keyed with the local public key PEM (algorithm confusion)',
      async () => {
        const t = await srv.token({ tenant, roles: ADMIN_ROLES });
        const { header, payload } = decodeJwt(t);
        const pem = localKey.publicKey.export({ type: 'spki', format: 'pem' });
        return bearer(signHs256({ ...header, alg: 'HS256' }, payload, pem));
      },
      SIG_OR_MALFORMED,
    ],
    [
      'HS256 with a shared secret',
      async () => bearer(signHs256({ alg: 'HS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES }), 'secret')),
      SIG_OR_MALFORMED,
    ],
    [
      'RS512 in the header',
      async () => bearer(signRs256({ alg: 'RS512', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES }), keys.a.privateKey)),
      SIG_OR_MALFORMED,
    ],
    [
      'issuer GUID differs from tid',
      async () =>
        bearer(
          signRs256(
            { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
            entraClaims({ tenant, roles: ADMIN_ROLES, iss: `https://login.microsoftonline.com/${randomUUID()}/v2.0` }),
            keys.a.privateKey,
          ),
        ),
      MSG_ISSUER,
    ],
    [
      'issuer on a foreign host',
      async () =>
        bearer(
          signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, iss: `https://login.evil.example/${tenant}/v2.0` }), keys.a.privateKey),
        ),
      MSG_ISSUER,
    ],
    [
      'tid that is not a GUID',
      async () =>
        bearer(
          signRs256(
            { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
            entraClaims({ tenant: 'contoso', roles: ADMIN_ROLES, iss: 'https://login.microsoftonline.com/contoso/v2.0' }),
            keys.a.privateKey,
          ),
        ),
      ANY_TOKEN_MSG,
    ],
    ['Basic scheme', async () => ({ Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }), ANY_TOKEN_MSG],
  ];

  for (const [name, make, message] of rows) {
    test(name, async () => {
      const headers = await make();
      for (const p of [col('v1.0'), item('beta', existing.id), countPath('v1.0')]) {
        const r = await get(headers, p);
        assertUnauthorized(r, message);
      }
      const w = await srv.request('POST', col('v1.0'), { headers, body: { displayName: 'must not be stored' } });
      assertUnauthorized(w, message);
    });
  }

  test('401 comes before routing to an item, validation and method checks', async () => {
    assertUnauthorized(await srv.request('GET', item('v1.0', randomUUID())), MSG_EMPTY);
    assertUnauthorized(await srv.request('POST', col('v1.0'), { body: '{not json', headers: { 'Content-Type': 'application/json' } }), MSG_EMPTY);
    assertUnauthorized(await srv.request('DELETE', item('v1.0', existing.id)), MSG_EMPTY);
    const l = await srv.request('GET', col('v1.0'), { token: admin });
    assertCollection(l.json, [existing], 'v1.0');
  });

  test('the scheme name "bearer" is case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER']) {
      const r = await get({ Authorization: `${scheme} ${admin}` });
      assertStatus(r, 200);
    }
  });

  test('small clock skew is tolerated (nbf 60 s ahead, exp 60 s past)', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [entraClaims({ tenant, roles: ADMIN_ROLES, nbf: now + 60 }), entraClaims({ tenant, roles: ADMIN_ROLES, exp: now - 60 })]) {
      const r = await get(bearer(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, claims, keys.a.privateKey)));
      assertStatus(r, 200);
    }
  });
});

describe('--jwks: tokens of an Entra-like issuer are verified offline', () => {
  test('n/e key, v2 app token (aud = Graph app id, azp, roles) -> full CRUD on the tid\'s data', async () => {
    const t = signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, entraClaims({ tenant, ver: '2.0', roles: ['DeviceManagementConfiguration.ReadWrite.All'] }), keys.a.privateKey);
    const l = await get(bearer(t));
    assertStatus(l, 200);
    assertGraphHeaders(l, { scheme: 'https', kind: 'odata' });
    assertCollection(l.json, [existing], 'v1.0');
    const c = await srv.request('POST', col('beta'), { token: t, body: { displayName: 'via jwks' } });
    assertStatus(c, 201);
    const g = await srv.request('GET', item('v1.0', c.json.id), { token: admin });
    assertStatus(g, 200);
    assertEntity(g.json, { id: c.json.id, displayName: 'via jwks' }, 'v1.0');
    const d = await srv.request('DELETE', item('v1.0', c.json.id), { token: t });
    assertStatus(d, 204);
  });

  test('n/e key, v1 delegated token (aud = https://graph.microsoft.com, iss sts.windows.net, appid, scp)', async () => {
    const t = signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid, x5t: keys.a.kid }, entraClaims({ tenant, ver: '1.0', scopes: ['DeviceManagementServiceConfig.Read.All'] }), keys.a.privateKey);
    const r = await get(bearer(t), item('v1.0', existing.id));
    assertStatus(r, 200);
    assertEntity(r.json, existing, 'v1.0');
  });

  test('x5c-only key (certificate chain, as Entra publishes)', async (t) => {
    if (!keys.x5c) {
      t.skip('openssl not available to make a certificate');
      return;
    }
    const tok = signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.x5c.kid }, entraClaims({ tenant, ver: '2.0', roles: ['DeviceManagementServiceConfig.Read.All'] }), keys.x5c.privateKey);
    const r = await get(bearer(tok));
    assertStatus(r, 200);
  });

  test('tid (and the GUID in iss) in upper case names the same tenant', async () => {
    const upper = tenant.toUpperCase();
    const t = signRs256(
      { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
      entraClaims({ tenant: upper, ver: '2.0', roles: ['DeviceManagementServiceConfig.Read.All'] }),
      keys.a.privateKey,
    );
    const l = await get(bearer(t));
    assertStatus(l, 200);
    assertCollection(l.json, [existing], 'v1.0');
  });

  test('the local key still works alongside the JWKS keys', async () => {
    assertStatus(await get(bearer(admin)), 200);
  });
});

describe('permissions (spec 3.1): any listed permission suffices; scp for delegated, roles for app', () => {
  const perms = [...READ_PERMS, 'User.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All'];
  for (const mode of ['app', 'delegated']) {
    for (const perm of perms) {
      const canRead = READ_PERMS.includes(perm);
      const canWrite = WRITE_PERMS.includes(perm);
      test(`${mode} ${perm}: read ${canRead ? 'allowed' : '403'}, write ${canWrite ? 'allowed' : '403'} (v1.0 and beta)`, async () => {
        const tok = await srv.token(mode === 'app' ? { tenant, roles: [perm] } : { tenant, scopes: [perm] });
        for (const v of ['v1.0', 'beta']) {
          await checkAccess(tok, v, canRead, canWrite);
        }
      });
    }
  }

  async function checkAccess(tok, v, canRead, canWrite) {
    const before = await srv.request('GET', countPath(v), { token: admin });
    assertStatus(before, 200);
    // reads
    const l = await srv.request('GET', col(v), { token: tok });
    const g = await srv.request('GET', item(v, existing.id), { token: tok });
    const n = await srv.request('GET', countPath(v), { token: tok });
    if (canRead) {
      assertStatus(l, 200);
      assertStatus(g, 200);
      assertStatus(n, 200);
      assertEntity(g.json, existing, v);
    } else {
      for (const r of [l, g, n]) assertForbidden(r, READ_PERMS);
    }
    // writes
    const c = await srv.request('POST', col(v), { token: tok, body: { displayName: 'perm probe' } });
    if (canWrite) {
      assertStatus(c, 201);
      const p = await srv.request('PATCH', item(v, c.json.id), { token: tok, body: { displayName: 'perm probe 2' } });
      assertStatus(p, 204);
      const d = await srv.request('DELETE', item(v, c.json.id), { token: tok });
      assertStatus(d, 204);
    } else {
      assertForbidden(c, WRITE_PERMS);
      const p = await srv.request('PATCH', item(v, existing.id), { token: tok, body: { displayName: 'hijacked' } });
      assertForbidden(p, WRITE_PERMS);
      const d = await srv.request('DELETE', item(v, existing.id), { token: tok });
      assertForbidden(d, WRITE_PERMS);
    }
    const after = await srv.request('GET', countPath(v), { token: admin });
    assert.equal(after.text, before.text, 'count unchanged');
    const still = await srv.request('GET', item(v, existing.id), { token: admin });
    assertStatus(still, 200);
    assertEntity(still.json, existing, v);
  }

  test('permission names compare case-insensitively', async () => {
    const app = await srv.token({ tenant, roles: ['devicemanagementserviceconfig.readwrite.all'] });
    await checkAccess(app, 'v1.0', true, true);
    const del = await srv.token({ tenant, scopes: ['DEVICEMANAGEMENTCONFIGURATION.READ.ALL'] });
    await checkAccess(del, 'beta', true, false);
  });

  test('one listed permission among others suffices', async () => {
    const del = await srv.token({ tenant, scopes: ['openid', 'User.Read', 'DeviceManagementConfiguration.ReadWrite.All'] });
    await checkAccess(del, 'v1.0', true, true);
    const app = await srv.token({ tenant, roles: ['User.Read.All', 'DeviceManagementServiceConfig.Read.All'] });
    await checkAccess(app, 'beta', true, false);
  });

  test('near-miss names do not match (no prefix/substring matching)', async () => {
    for (const perm of ['DeviceManagementServiceConfig.ReadWrite', 'DeviceManagementServiceConfig.ReadWrite.All.Extra', 'XDeviceManagementConfiguration.Read.All', 'DeviceManagementServiceConfig']) {
      const app = await srv.token({ tenant, roles: [perm] });
      await checkAccess(app, 'v1.0', false, false);
    }
  });

  test('an app-only token is judged by roles, a delegated one by scp (JWKS-signed)', async () => {
    const appWithScp = signRs256(
      { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
      entraClaims({ tenant, roles: [], extra: { idtyp: 'app', scp: 'DeviceManagementServiceConfig.ReadWrite.All' } }),
      keys.a.privateKey,
    );
    await checkAccess(appWithScp, 'v1.0', false, false);
    const userWithRoles = signRs256(
      { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
      entraClaims({ tenant, scopes: ['User.Read'], extra: { roles: ['DeviceManagementServiceConfig.ReadWrite.All'] } }),
      keys.a.privateKey,
    );
    await checkAccess(userWithRoles, 'v1.0', false, false);
    const claims = entraClaims({ tenant, roles: ['DeviceManagementServiceConfig.ReadWrite.All'] });
    delete claims.idtyp; // app-only inferred from roles without scp (conventions 10)
    await checkAccess(signRs256({ alg: 'RS256', typ: 'JWT', kid: keys.a.kid }, claims, keys.a.privateKey), 'v1.0', true, true);
  });

  test('permission is checked before the body and the id are looked at', async () => {
    const ro = await srv.token({ tenant, roles: ['DeviceManagementServiceConfig.Read.All'] });
    assertForbidden(await srv.request('POST', col('v1.0'), { token: ro, body: '{not json', headers: { 'Content-Type': 'application/json' } }), WRITE_PERMS);
    assertForbidden(await srv.request('PATCH', item('v1.0', existing.id), { token: ro, body: { bogus: 1 } }), WRITE_PERMS);
    assertForbidden(await srv.request('DELETE', item('v1.0', randomUUID()), { token: ro }), WRITE_PERMS);
    const none = await srv.token({ tenant, roles: ['User.Read.All'] });
    assertForbidden(await srv.request('GET', item('v1.0', randomUUID()), { token: none }), READ_PERMS);
  });

  const assertPersonal = (res) =>
    assertGraphError(res, { status: 403, code: 'Forbidden', wrapped: true, scheme: 'https', message: /^Application is not authorized to perform this operation\./ });

  test('personal Microsoft accounts -> 403 Forbidden for every operation', async () => {
    const personal = await srv.token({ tenant, scopes: ['DeviceManagementServiceConfig.ReadWrite.All', 'DeviceManagementConfiguration.ReadWrite.All'], personal: true });
    const forged = signRs256(
      { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
      entraClaims({ tenant: MSA_TENANT, scopes: ['DeviceManagementServiceConfig.ReadWrite.All'] }),
      keys.a.privateKey,
    );
    const guestIdp = signRs256(
      { alg: 'RS256', typ: 'JWT', kid: keys.a.kid },
      entraClaims({ tenant, scopes: ['DeviceManagementServiceConfig.ReadWrite.All'], extra: { idp: 'live.com' } }),
      keys.a.privateKey,
    );
    for (const tok of [personal, forged, guestIdp]) {
      for (const v of ['v1.0', 'beta']) {
        assertPersonal(await srv.request('GET', col(v), { token: tok }));
        assertPersonal(await srv.request('GET', item(v, existing.id), { token: tok }));
        assertPersonal(await srv.request('GET', countPath(v), { token: tok }));
        assertPersonal(await srv.request('POST', col(v), { token: tok, body: { displayName: 'msa' } }));
        assertPersonal(await srv.request('PATCH', item(v, existing.id), { token: tok, body: { displayName: 'msa' } }));
        assertPersonal(await srv.request('DELETE', item(v, existing.id), { token: tok }));
      }
    }
    const l = await srv.request('GET', col('v1.0'), { token: admin });
    assertCollection(l.json, [existing], 'v1.0');
  });
});

describe('shutdown', () => {
  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});
