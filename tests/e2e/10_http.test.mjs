// Layer 10: the HTTP surface - /healthz, both listeners, routing (versions, segments, casing, sub-paths,
// methods), the headers of every Graph response, HTTP/2 over TLS, --public-url.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, freePort, GUID_RE, newTenant, randomUUID, rawRequest, runCli, startServer, STORE_KIND, test } from './lib/harness.mjs';
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

  test('Accept: a header that excludes the resource\'s media type -> 406 NotAcceptable', async () => {
    const list = '/v1.0/deviceManagement/complianceManagementPartners';
    const ok = [
      [list, '*/*'],
      [list, 'application/json'],
      [list, 'application/json;odata.metadata=minimal;odata.streaming=true'],
      [list, 'text/html, application/*;q=0.5'],
      [list, 'APPLICATION/JSON'],
      [`${list}/$count`, 'text/plain'],
      ['/v1.0/$metadata', 'application/xml'],
    ];
    for (const [p, accept] of ok) {
      const r = await srv.request('GET', p, { scheme: 'http', token: tok, headers: { accept } });
      assertStatus(r, 200);
    }
    const refused = [
      [list, 'text/html'],
      [list, 'application/xml'],
      [list, 'application/json;q=0, text/html'],
      [list, 'application/json; q=0.0'],
      [`${list}/$count`, 'application/json'],
    ];
    for (const [p, accept] of refused) {
      const r = await srv.request('GET', p, { scheme: 'http', token: tok, headers: { accept } });
      assertGraphError(r, { status: 406, code: 'NotAcceptable', wrapped: false, scheme: 'http' });
    }
  });

  test('/healthz answers HEAD too, and 405 MethodNotAllowed with Allow for other methods', async () => {
    const head = await srv.request('HEAD', '/healthz', { scheme: 'http' });
    assertStatus(head, 200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await srv.request(method, '/healthz', { scheme: 'https' });
      assertGraphError(r, { status: 405, code: 'MethodNotAllowed', message: METHOD_MSG, wrapped: false, scheme: 'https' });
      assert.equal(r.headers.allow, 'GET, HEAD', `${method} /healthz Allow`);
    }
  });

  test('first start created DIR/tls/{ca,cert,key}.pem, DIR/keys/signing.pem and DIR/cmpd.db', { skip: STORE_KIND !== 'sqlite' && 'SQLite runs only' }, async () => {
    const { existsSync, statSync } = await import('node:fs');
    for (const f of ['tls/ca.pem', 'tls/cert.pem', 'tls/key.pem', 'keys/signing.pem', 'cmpd.db'])
      assert.ok(existsSync(`${srv.dataDir}/${f}`), `${f} missing`);
    for (const f of ['tls/key.pem', 'keys/signing.pem', 'keys/skiptoken.key', 'cmpd.db']) {
      const mode = statSync(`${srv.dataDir}/${f}`).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${f} must not be readable by group/others (mode ${mode.toString(8)})`);
    }
    for (const d of ['', 'keys', 'tls']) {
      const mode = statSync(`${srv.dataDir}/${d}`).mode & 0o777;
      assert.equal(mode, 0o700, `DIR/${d} must be 0700 (mode ${mode.toString(8)})`);
    }
  });

  test('with --store postgres://: first start created DIR/tls/{ca,cert,key}.pem only (the keys and data live in the store)', { skip: STORE_KIND !== 'postgres' && 'PostgreSQL runs only' }, async () => {
    const { existsSync, statSync } = await import('node:fs');
    for (const f of ['tls/ca.pem', 'tls/cert.pem', 'tls/key.pem']) assert.ok(existsSync(`${srv.dataDir}/${f}`), `${f} missing`);
    const mode = statSync(`${srv.dataDir}/tls/key.pem`).mode & 0o777;
    assert.equal(mode & 0o077, 0, `tls/key.pem must not be readable by group/others (mode ${mode.toString(8)})`);
    for (const f of ['keys/signing.pem', 'keys/skiptoken.key', 'cmpd.db'])
      assert.ok(!existsSync(`${srv.dataDir}/${f}`), `${f} must not exist with --store postgres://`);
  });

  test('the local CA signed a server certificate for localhost, 127.0.0.1 and ::1', async () => {
    const { X509Certificate } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const ca = new X509Certificate(readFileSync(`${srv.dataDir}/tls/ca.pem`));
    const cert = new X509Certificate(readFileSync(`${srv.dataDir}/tls/cert.pem`));
    assert.ok(ca.ca, 'ca.pem must be a CA certificate');
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'cert.pem must be issued and signed by ca.pem');
    assert.equal(cert.checkHost('localhost'), 'localhost', `SAN: ${cert.subjectAltName}`);
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1', `SAN: ${cert.subjectAltName}`);
    assert.ok(cert.checkIP('::1'), `SAN must include ::1: ${cert.subjectAltName}`);
    assert.ok(new Date(cert.validTo) > new Date(Date.now() + 30 * 86400 * 1000), 'certificate valid for more than 30 days');
  });

  test('both listeners serve the Graph routes; @odata.context follows the scheme and Host of the request', async () => {
    for (const scheme of ['https', 'http']) {
      const r = await srv.request('GET', col('v1.0'), { scheme, token: tok });
      assertStatus(r, 200);
      assertGraphHeaders(r, { scheme, kind: 'odata' });
      assertCollection(r.json, [model], 'v1.0');
      const g = await srv.request('GET', item('beta', id), { scheme, token: tok });
      assertStatus(g, 200);
      assertGraphHeaders(g, { scheme, kind: 'odata' });
      assertEntity(g.json, model, 'beta');
    }
  });

  test('Host header: localhost:PORT is reflected in Location; @odata.context names the Graph root whatever the Host', async () => {
    const host = `localhost:${srv.ports.https}`;
    const r = await srv.request('GET', col('v1.0'), { token: tok, host });
    assertStatus(r, 200);
    assert.equal(r.json['@odata.context'], contextCollection('v1.0'));
    const c = await srv.request('POST', col('beta'), { token: tok, host, body: {} });
    assertStatus(c, 201);
    assert.equal(c.headers.location, `https://${host}/beta/deviceManagement/complianceManagementPartners/${c.json.id}`);
    assert.equal(c.json['@odata.context'], contextEntity('beta'));
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

  test('a client-request-id that is not a GUID (printable, no spaces) is echoed as sent', async () => {
    const crid = 'my-trace/42:"quoted"\\x';
    const ok = await srv.request('GET', col('v1.0'), { token: tok, headers: { 'client-request-id': crid } });
    assertGraphHeaders(ok, { scheme: 'https', kind: 'odata', clientRequestId: crid });
    const nf = await srv.request('GET', item('v1.0', randomUUID()), { token: tok, headers: { 'client-request-id': crid } });
    assertGraphError(nf, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https', clientRequestId: crid });
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
    assertCollection(list.json, [model], 'v1.0');
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
      assertCollection(res.json, [model], 'v1.0');
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
    assertEntity(c.json, { id: c.json.id, displayName: 'pub' }, 'v1.0', { root: publicUrl });
    const l = await srv.request('GET', col('beta'), { token: tok });
    assertStatus(l, 200);
    assertCollection(l.json, [{ id: c.json.id, displayName: 'pub' }], 'beta', 'collection', publicUrl);
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

describe('--tls-cert/--tls-key: a given certificate is served', () => {
  let srv;
  let dir;
  let certPem;

  before(async (t) => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    dir = mkdtempSync(`${os.tmpdir()}/cmpd-e2e-cert-`);
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-subj', '/CN=cmpd-e2e-given',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '2'],
      { stdio: 'ignore' },
    );
    certPem = readFileSync(`${dir}/cert.pem`);
    srv = await startServer({ listeners: ['https'], ca: certPem, args: ['--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
    if (dir) (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  });

  test('the HTTPS listener presents the given certificate and serves Graph', async () => {
    const https = (await import('node:https')).default;
    const { X509Certificate } = await import('node:crypto');
    const given = new X509Certificate(certPem);
    const peer = await new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: srv.ports.https, path: '/healthz', ca: certPem, agent: false }, (res) => {
        const c = res.socket.getPeerX509Certificate();
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, cert: c }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(peer.status, 200);
    assert.equal(peer.cert.fingerprint256, given.fingerprint256);
    const tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const r = await rawRequest({ scheme: 'https', port: srv.ports.https, path: col('v1.0'), headers: { Authorization: `Bearer ${tok}` }, ca: certPem, agent: false });
    assertStatus(r, 200);
    assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});

describe('start-up errors exit non-zero at once', () => {
  const cases = [
    ['unreadable --tls-cert/--tls-key', (d, p) => ['--listen', `https://127.0.0.1:${p}`, '--tls-cert', `${d}/nope.pem`, '--tls-key', `${d}/nope-key.pem`]],
    ['unreadable --jwks', (d, p) => ['--listen', `http://127.0.0.1:${p}`, '--jwks', `${d}/nope.json`]],
    ['--jwks that is not a JWKS', (d, p) => ['--listen', `http://127.0.0.1:${p}`, '--jwks', `${d}/cmpd.db`]],
    ['--tenants with an unknown mode', (d, p) => ['--listen', `http://127.0.0.1:${p}`, '--tenants', 'sometimes']],
    ['an unknown option', (d, p) => ['--listen', `http://127.0.0.1:${p}`, '--no-such-option']],
    ['a --listen URL that is not http(s)', () => ['--listen', 'ftp://127.0.0.1:21']],
  ];
  for (const [name, args] of cases) {
    test(name, async () => {
      const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
      const os = await import('node:os');
      const d = await mkdtemp(`${os.tmpdir()}/cmpd-e2e-bad-`);
      try {
        await writeFile(`${d}/cmpd.db`, 'not json at all');
        const port = await freePort();
        const r = await runCli(['serve', '--data', `${d}/data`, ...args(d, port)], { timeout: 15000 });
        assert.ok(r.code !== 0 && r.code !== null, `cmpd serve must fail fast (code=${r.code} signal=${r.signal}): ${r.stderr}`);
        assert.ok(r.stderr.trim().length > 0, 'it says why on stderr');
      } finally {
        await rm(d, { recursive: true, force: true });
      }
    });
  }
});

describe('shutdown while clients hold connections', () => {
  for (const kind of ['https keep-alive', 'http keep-alive', 'h2 session']) {
    test(`SIGTERM with an idle ${kind} connection open -> clean exit 0`, async () => {
      const srv = await startServer();
      const http = (await import('node:http')).default;
      const https = (await import('node:https')).default;
      let agent;
      let session;
      try {
        const tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
        if (kind === 'h2 session') {
          session = http2.connect(`https://127.0.0.1:${srv.ports.https}`, { ca: srv.ca });
          session.on('error', () => {});
          await new Promise((resolve, reject) => {
            const req = session.request({ ':method': 'GET', ':path': col('v1.0'), authorization: `Bearer ${tok}` });
            req.on('response', (h) => assert.equal(h[':status'], 200));
            req.resume();
            req.on('end', resolve);
            req.on('error', reject);
            req.end();
          });
        } else {
          const scheme = kind.startsWith('https') ? 'https' : 'http';
          agent = scheme === 'https' ? new https.Agent({ keepAlive: true, ca: srv.ca }) : new http.Agent({ keepAlive: true });
          agent.on('error', () => {});
          const r = await srv.request('GET', col('v1.0'), { token: tok, scheme, agent });
          assertStatus(r, 200);
        }
        // the connection is open and idle now; a real SDK client holds it like this
        await srv.stop('SIGTERM'); // waits for the exit, asserts code 0
      } finally {
        agent?.destroy();
        session?.destroy();
        await srv.destroy();
      }
    });
  }
});
