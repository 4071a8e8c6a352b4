// Layer 10: the HTTP surface - /healthz, both listeners, routing (versions, segments, casing, sub-paths,
// methods), the headers of every Graph response, HTTP/2 over TLS, --public-url.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, GUID_RE, newTenant, randomUUID, startServer, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  assertCollection,
  assertEntity,
  assertGraphError,
  assertGraphHeaders,
  assertStatus,
  col,
  contextCollection,
  contextEntity,
  countPath,
  CT_ODATA,
  item,
  itemParen,
} from './lib/graph.mjs';

const METHOD_MSG = 'Specified HTTP method is not allowed for the request target.';

describe('http layer', () => {
  let srv;
  let tok;
  let id;
  let model;

  before(async () => {
    srv = await startServer();
    tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const r = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'http layer' } });
    assertStatus(r, 201);
    id = r.json.id;
    model = { id, displayName: 'http layer' };
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
  });

  test('GET /healthz answers 200 without a token on both listeners', async () => {
    for (const scheme of ['https', 'http']) {
      const r = await srv.request('GET', '/healthz', { scheme });
      assertStatus(r, 200);
    }
  });

  test('first start created DIR/tls/{ca,cert,key}.pem, DIR/keys/signing.pem and DIR/cmpd.db', async () => {
    const { existsSync, statSync } = await import('node:fs');
    for (const f of ['tls/ca.pem', 'tls/cert.pem', 'tls/key.pem', 'keys/signing.pem', 'cmpd.db'])
      assert.ok(existsSync(`${srv.dataDir}/${f}`), `${f} missing`);
    for (const f of ['tls/key.pem', 'keys/signing.pem']) {
      const mode = statSync(`${srv.dataDir}/${f}`).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${f} must not be readable by group/others (mode ${mode.toString(8)})`);
    }
  });

  test('both listeners serve the Graph routes; @odata.context follows the scheme and Host of the request', async () => {
    for (const scheme of ['https', 'http']) {
      const r = await srv.request('GET', col('v1.0'), { scheme, token: tok });
      assertStatus(r, 200);
      assertGraphHeaders(r, { scheme, kind: 'odata' });
      assertCollection(r.json, [model], 'v1.0', srv.base(scheme));
      const g = await srv.request('GET', item('beta', id), { scheme, token: tok });
      assertStatus(g, 200);
      assertGraphHeaders(g, { scheme, kind: 'odata' });
      assertEntity(g.json, model, 'beta', srv.base(scheme));
    }
  });

  test('Host header: localhost:PORT is reflected in @odata.context and Location', async () => {
    const host = `localhost:${srv.ports.https}`;
    const r = await srv.request('GET', col('v1.0'), { token: tok, host });
    assertStatus(r, 200);
    assert.equal(r.json['@odata.context'], contextCollection(`https://${host}`, 'v1.0'));
    const c = await srv.request('POST', col('beta'), { token: tok, host, body: {} });
    assertStatus(c, 201);
    assert.equal(c.headers.location, `https://${host}/beta/deviceManagement/complianceManagementPartners/${c.json.id}`);
    assert.equal(c.json['@odata.context'], contextEntity(`https://${host}`, 'beta'));
    const d = await srv.request('DELETE', item('beta', c.json.id), { token: tok });
    assertStatus(d, 204);
  });

  test('headers of success responses: request-id, client-request-id, OData-Version, Content-Type, Cache-Control, x-ms-ags-diagnostic, HSTS only on https', async () => {
    for (const scheme of ['https', 'http']) {
      const list = await srv.request('GET', col('v1.0'), { scheme, token: tok });
      assertGraphHeaders(list, { scheme, kind: 'odata' });
      const get = await srv.request('GET', itemParen('v1.0', id), { scheme, token: tok });
      assertGraphHeaders(get, { scheme, kind: 'odata' });
      const count = await srv.request('GET', countPath('v1.0'), { scheme, token: tok });
      assertStatus(count, 200);
      assertGraphHeaders(count, { scheme, kind: 'text' });
      const patch = await srv.request('PATCH', item('v1.0', id), { scheme, token: tok, body: {} });
      assertStatus(patch, 204);
      assertGraphHeaders(patch, { scheme, kind: 'empty' });
    }
  });

  test('request-id is a fresh GUID per request', async () => {
    const ids = new Set();
    for (let i = 0; i < 5; i++) {
      const r = await srv.request('GET', col('v1.0'), { token: tok });
      assert.match(r.headers['request-id'], GUID_RE);
      ids.add(r.headers['request-id']);
    }
    assert.equal(ids.size, 5);
  });

  test('client-request-id is echoed on successes and errors (header and innerError)', async () => {
    for (const scheme of ['https', 'http']) {
      const crid = randomUUID();
      const ok = await srv.request('GET', col('v1.0'), { scheme, token: tok, headers: { 'client-request-id': crid } });
      assertStatus(ok, 200);
      assertGraphHeaders(ok, { scheme, kind: 'odata', clientRequestId: crid });
      assert.notEqual(ok.headers['request-id'], crid, 'request-id is the server\'s own');
      const crid2 = randomUUID();
      const nf = await srv.request('GET', item('v1.0', randomUUID()), { scheme, token: tok, headers: { 'client-request-id': crid2 } });
      assertGraphError(nf, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme, clientRequestId: crid2 });
      assert.equal(nf.json.error.innerError['client-request-id'], crid2);
      const crid3 = randomUUID();
      const unauth = await srv.request('GET', col('v1.0'), { scheme, headers: { 'client-request-id': crid3 } });
      assertGraphError(unauth, { status: 401, code: 'InvalidAuthenticationToken', wrapped: false, scheme, clientRequestId: crid3 });
    }
  });

  test('unknown version -> 404 ResourceNotFound "Invalid version: <segment>" (plain message)', async () => {
    const cases = [
      ['/v2/deviceManagement/complianceManagementPartners', 'v2'],
      ['/v1/deviceManagement/complianceManagementPartners', 'v1'],
      ['/v2.0/deviceManagement/complianceManagementPartners/$count', 'v2.0'],
      ['/deviceManagement/complianceManagementPartners', 'deviceManagement'],
      ['/alpha/deviceManagement/complianceManagementPartners', 'alpha'],
    ];
    for (const [p, seg] of cases) {
      for (const scheme of ['https', 'http']) {
        const r = await srv.request('GET', p, { scheme, token: tok });
        assertGraphError(r, { status: 404, code: 'ResourceNotFound', message: `Invalid version: ${seg}`, wrapped: false, scheme });
      }
    }
  });

  test('mis-cased or unknown path segments -> 404', async () => {
    const paths = [
      '/v1.0/devicemanagement/complianceManagementPartners',
      '/v1.0/DeviceManagement/complianceManagementPartners',
      '/beta/deviceManagement/compliancemanagementpartners',
      '/beta/deviceManagement/CompliancemanagementPartners',
      `/v1.0/devicemanagement/complianceManagementPartners/${id}`,
      '/v1.0/deviceManagement/complianceManagementPartners/$Count',
      '/v1.0/deviceManagement/managedDevices',
      '/v1.0/users',
    ];
    for (const p of paths) {
      const r = await srv.request('GET', p, { token: tok });
      assertGraphError(r, { status: 404, code: 'ResourceNotFound', wrapped: 'any', scheme: 'https' });
    }
  });

  test('a segment below an item -> 400 "Resource not found for the segment \'<seg>\'."', async () => {
    for (const v of ['v1.0', 'beta']) {
      for (const seg of ['displayName', 'macOsEnrollmentAssignments', 'partnerState']) {
        for (const base of [item(v, id), itemParen(v, id)]) {
          const r = await srv.request('GET', `${base}/${seg}`, { token: tok });
          assertGraphError(r, {
            status: 400,
            code: 'BadRequest',
            message: `Resource not found for the segment '${seg}'.`,
            wrapped: false,
            scheme: 'https',
          });
        }
      }
    }
  });

  test('methods a URL does not support -> 405 MethodNotAllowed, nothing changed', async () => {
    const body = { displayName: 'must not be stored' };
    const cases = [
      ['PUT', item('v1.0', id)],
      ['POST', item('v1.0', id)],
      ['PUT', itemParen('beta', id)],
      ['POST', itemParen('beta', id)],
      ['PATCH', col('v1.0')],
      ['DELETE', col('v1.0')],
      ['PUT', col('beta')],
      ['PATCH', col('beta')],
      ['DELETE', col('beta')],
      ['POST', countPath('v1.0')],
      ['DELETE', countPath('v1.0')],
      ['PATCH', countPath('beta')],
      ['PUT', countPath('beta')],
    ];
    for (const [method, p] of cases) {
      const withBody = method !== 'DELETE';
      const r = await srv.request(method, p, { token: tok, body: withBody ? body : undefined });
      assertGraphError(r, { status: 405, code: 'MethodNotAllowed', message: METHOD_MSG, wrapped: false, scheme: 'https' });
    }
    const list = await srv.request('GET', col('v1.0'), { token: tok });
    assertCollection(list.json, [model], 'v1.0', srv.base());
  });

  test('405 responses carry an Allow header listing the supported methods (RFC 9110 15.5.6)', async () => {
    const expectAllow = [
      [item('v1.0', id), ['GET', 'PATCH', 'DELETE']],
      [col('v1.0'), ['GET', 'POST']],
      [countPath('v1.0'), ['GET']],
    ];
    for (const [p, methods] of expectAllow) {
      const r = await srv.request('PUT', p, { token: tok, body: {} });
      assertStatus(r, 405);
      assert.ok(r.headers.allow, `Allow header missing on 405 for PUT ${p}`);
      const got = r.headers.allow.split(',').map((s) => s.trim().toUpperCase());
      for (const m of methods) assert.ok(got.includes(m), `Allow of ${p} must include ${m}: ${r.headers.allow}`);
      assert.ok(!got.includes('PUT'), `Allow of ${p} must not include PUT`);
    }
  });

  test('HTTP/2 over TLS (ALPN h2): Graph route with the same headers, HSTS included', async () => {
    const session = http2.connect(`https://127.0.0.1:${srv.ports.https}`, { ca: srv.ca });
    try {
      const res = await new Promise((resolve, reject) => {
        session.on('error', reject);
        const req = session.request({ ':method': 'GET', ':path': col('v1.0'), authorization: `Bearer ${tok}` });
        let headers;
        const parts = [];
        req.on('response', (h) => {
          headers = h;
        });
        req.on('data', (c) => parts.push(c));
        req.on('end', () => {
          const raw = Buffer.concat(parts);
          resolve({
            status: headers[':status'],
            headers,
            raw,
            text: raw.toString('utf8'),
            get json() {
              return JSON.parse(this.text);
            },
            toString() {
              return `h2 GET -> ${headers[':status']} ${raw.toString('utf8').slice(0, 500)}`;
            },
          });
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(session.alpnProtocol, 'h2');
      assertStatus(res, 200);
      assertGraphHeaders(res, { scheme: 'https', kind: 'odata' });
      assert.equal(res.headers['content-type'], CT_ODATA);
      assertCollection(res.json, [model], 'v1.0', srv.base('https'));
    } finally {
      session.close();
    }
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});

describe('--public-url', () => {
  const publicUrl = 'https://graph.cmpd.example:9443';
  let srv;
  let tok;

  before(async () => {
    srv = await startServer({ listeners: ['http'], args: ['--public-url', publicUrl] });
    tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
  });

  test('@odata.context and Location use the public URL, whatever the Host', async () => {
    const c = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'pub' }, host: 'elsewhere:1234' });
    assertStatus(c, 201);
    assert.equal(c.headers.location, `${publicUrl}/v1.0/deviceManagement/complianceManagementPartners/${c.json.id}`);
    assertEntity(c.json, { id: c.json.id, displayName: 'pub' }, 'v1.0', publicUrl);
    const l = await srv.request('GET', col('beta'), { token: tok });
    assertStatus(l, 200);
    assertCollection(l.json, [{ id: c.json.id, displayName: 'pub' }], 'beta', publicUrl);
  });

  test('plain-http listener alone: no HSTS', async () => {
    const r = await srv.request('GET', col('v1.0'), { token: tok, scheme: 'http' });
    assertGraphHeaders(r, { scheme: 'http', kind: 'odata' });
  });

  test('SIGINT -> clean exit 0', async () => {
    await srv.stop('SIGINT');
    await srv.close();
  });
});
