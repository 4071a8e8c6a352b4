// Layer 22: national clouds (graph-conventions.md 1).  `cmpd serve --cloud NAME` selects the token
// audiences and issuers it accepts and the Graph root that @odata.context names; nextLink and
// Location keep naming the server as the client reached it, so they can be followed.  A token of
// one cloud is refused by a server of another (401 InvalidAuthenticationToken, Invalid audience /
// Invalid issuer), whether `cmpd token` minted it or an Entra-like key from --jwks signed it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, newTenant, startServer, stopAll, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertStatus, col, COLLECTION, contextCollection, contextEntity, item } from './lib/graph.mjs';
import { entraClaims, GRAPH_APP_ID, newRsaKey, signRs256 } from './lib/jwt.mjs';

const CLOUDS = {
  global: { root: 'https://graph.microsoft.com', login: 'https://login.microsoftonline.com', v1: 'https://sts.windows.net' },
  usgov: { root: 'https://graph.microsoft.us', login: 'https://login.microsoftonline.us', v1: 'https://sts.windows.net' },
  'usgov-dod': { root: 'https://dod-graph.microsoft.us', login: 'https://login.microsoftonline.us', v1: 'https://sts.windows.net' },
  china: { root: 'https://microsoftgraph.chinacloudapi.cn', login: 'https://login.chinacloudapi.cn', v1: 'https://sts.chinacloudapi.cn' },
};
const MSG_AUDIENCE = 'Access token validation failure. Invalid audience.';
const MSG_ISSUER = 'Access token validation failure. Invalid issuer.';
const PAGE = 2;

// In a describe of their own: the harness's file-level after() kills what is left, and runs first.
describe('national clouds', () => {
  const servers = {};
  let jwksDir;
  let key;

  before(async () => {
    jwksDir = mkdtempSync(path.join(os.tmpdir(), 'cmpd-e2e-clouds-'));
    key = newRsaKey('e2e-clouds');
    const jwks = path.join(jwksDir, 'jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [key.jwk] }));
    for (const name of Object.keys(CLOUDS))
      servers[name] = await startServer({ args: ['--cloud', name, '--jwks', jwks, '--page-size', String(PAGE)] });
  });

  after(async () => {
    await stopAll(Object.values(servers));
    rmSync(jwksDir, { recursive: true, force: true });
  });

  const refused = (r, message) => assertGraphError(r, { status: 401, code: 'InvalidAuthenticationToken', message, wrapped: false });

  for (const [name, cloud] of Object.entries(CLOUDS)) {
    describe(`--cloud ${name}`, () => {
      const tenant = newTenant();

      test(`its own tokens work; @odata.context names ${cloud.root}; Location and nextLink name the server`, async () => {
        const srv = servers[name];
        for (const issuerVersion of [1, 2]) {
          const tok = await srv.token({ tenant, roles: ADMIN_ROLES, cloud: name, issuerVersion });
          const c = await srv.request('POST', col('beta'), { token: tok, body: { displayName: `${name} v${issuerVersion}` } });
          assertStatus(c, 201);
          assert.equal(c.json['@odata.context'], contextEntity('beta', cloud.root));
          assert.equal(c.headers.location, `${srv.base()}/beta${COLLECTION}/${c.json.id}`);
          const g = await srv.request('GET', item('v1.0', c.json.id), { token: tok });
          assertStatus(g, 200);
          assert.equal(g.json['@odata.context'], contextEntity('v1.0', cloud.root));
        }
        const tok = await srv.token({ tenant, roles: ADMIN_ROLES, cloud: name });
        await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: `${name} third` } });
        const l = await srv.request('GET', col('v1.0'), { token: tok });
        assertStatus(l, 200);
        assert.equal(l.json['@odata.context'], contextCollection('v1.0', cloud.root));
        assert.equal(l.json.value.length, PAGE);
        assert.ok(l.json['@odata.nextLink'].startsWith(`${srv.base()}/v1.0${COLLECTION}?`), l.json['@odata.nextLink']);
        const next = await srv.request('GET', l.json['@odata.nextLink'].slice(srv.base().length), { token: tok });
        assertStatus(next, 200);
        assert.equal(next.json['@odata.context'], contextCollection('v1.0', cloud.root));
        assert.equal(next.json.value.length, 1);
        const doc = await srv.request('GET', '/v1.0/');
        assertStatus(doc, 200);
        assert.equal(doc.json['@odata.context'], `${cloud.root}/v1.0/$metadata`);
      });

      test('the Graph app id as audience and the cloud\'s v1 and v2 issuers are accepted from --jwks keys', async () => {
        const srv = servers[name];
        for (const claims of [
          { ver: '2.0', aud: GRAPH_APP_ID, iss: `${cloud.login}/${tenant}/v2.0` },
          { ver: '1.0', aud: cloud.root, iss: `${cloud.v1}/${tenant}/` },
        ]) {
          const t = signRs256({ alg: 'RS256', typ: 'JWT', kid: key.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, ...claims }), key.privateKey);
          const r = await srv.request('GET', col('v1.0'), { token: t });
          assertStatus(r, 200);
        }
      });

      for (const [other, o] of Object.entries(CLOUDS)) {
        if (o.root === cloud.root) continue;
        test(`a token of ${other} is refused: Invalid audience`, async () => {
          const srv = servers[name];
          const minted = await srv.token({ tenant, roles: ADMIN_ROLES, cloud: other });
          refused(await srv.request('GET', col('v1.0'), { token: minted }), MSG_AUDIENCE);
          const signed = signRs256({ alg: 'RS256', typ: 'JWT', kid: key.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, ver: '1.0', aud: o.root, iss: `${o.v1}/${tenant}/` }), key.privateKey);
          refused(await srv.request('GET', col('v1.0'), { token: signed }), MSG_AUDIENCE);
        });
        if (o.login !== cloud.login) {
          test(`the Graph app id with ${other}'s v2 issuer is refused: Invalid issuer`, async () => {
            const srv = servers[name];
            const t = signRs256({ alg: 'RS256', typ: 'JWT', kid: key.kid }, entraClaims({ tenant, roles: ADMIN_ROLES, ver: '2.0', aud: GRAPH_APP_ID, iss: `${o.login}/${tenant}/v2.0` }), key.privateKey);
            refused(await srv.request('GET', col('v1.0'), { token: t }), MSG_ISSUER);
          });
        }
      }
    });
  }
});

describe('--public-url with --cloud', () => {
  test('the public URL is the root of @odata.context, nextLink and Location alike', async () => {
    const publicUrl = 'https://cmpd.example.test';
    const srv = await startServer({ args: ['--cloud', 'usgov', '--public-url', publicUrl] });
    try {
      const tenant = newTenant();
      const tok = await srv.token({ tenant, roles: ADMIN_ROLES, cloud: 'usgov' });
      const c = await srv.request('POST', col('v1.0'), { token: tok, body: {} });
      assertStatus(c, 201);
      assert.equal(c.json['@odata.context'], contextEntity('v1.0', publicUrl));
      assert.equal(c.headers.location, `${publicUrl}/v1.0${COLLECTION}/${c.json.id}`);
    } finally {
      await srv.close();
    }
  });
});
