// Layer 40: tenants - two tenants fully isolated (another tenant's partner is answered exactly like
// an unknown id), auto-registration on the first valid request, `cmpd tenant add|set|list` while the
// server runs, the licence rule, and --tenants registered.

import assert from 'node:assert/strict';
import { after, before, describe, newTenant, randomUUID, runCli, startServer, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  assertCollection,
  assertEntity,
  assertGraphError,
  assertStatus,
  col,
  countPath,
  DEFAULTS,
  item,
  itemParen,
  VERSIONS,
} from './lib/graph.mjs';

const UNLICENSED = 'Request not applicable to target tenant.';

/** An error response with everything that legitimately varies (ids, dates, urls) masked. */
function normalizedError(res, ids) {
  let text = res.text;
  const rid = res.headers['request-id'];
  for (const s of [rid, ...ids].filter(Boolean)) text = text.split(s).join('<ID>');
  text = text.replace(/"date":"[^"]*"/, '"date":"<DATE>"');
  text = text.replace(/Url: [^\\"]*/g, 'Url: <URL>');
  const headers = { ...res.headers };
  for (const h of ['request-id', 'client-request-id', 'date', 'content-length', 'x-ms-ags-diagnostic', 'connection', 'keep-alive']) delete headers[h];
  return { status: res.status, headers, text };
}

describe('isolation and licences (auto-registration)', () => {
  let srv;
  const A = newTenant();
  const B = newTenant();
  let tokA;
  let tokB;
  let pA;

  before(async () => {
    srv = await startServer();
    tokA = await srv.token({ tenant: A, roles: ADMIN_ROLES });
    tokB = await srv.token({ tenant: B, scopes: ['DeviceManagementConfiguration.ReadWrite.All'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
  });

  test('an unknown tenant is registered, licensed, by its first valid request (not by a refused token)', async () => {
    let list = await srv.tenantList();
    assert.ok(!list.map.has(A) && !list.map.has(B), `no tenant before any request:\n${list.stdout}`);
    const expired = await srv.token({ tenant: B, roles: ADMIN_ROLES, expiresIn: -3600 });
    assertStatus(await srv.request('GET', col('v1.0'), { token: expired }), 401);
    list = await srv.tenantList();
    assert.ok(!list.map.has(B), `a 401 must not register the tenant:\n${list.stdout}`);
    assertStatus(await srv.request('GET', col('v1.0'), { token: tokA }), 200);
    list = await srv.tenantList();
    assert.equal(list.map.get(A), 'licensed', `tenant list after A's first request:\n${list.stdout}`);
    assert.ok(!list.map.has(B));
    assertStatus(await srv.request('GET', col('beta'), { token: tokB }), 200);
    list = await srv.tenantList();
    assert.equal(list.map.get(B), 'licensed');
  });

  test('tenant list prints one "<tid> licensed|unlicensed" line per tenant', async () => {
    const r = await srv.cli('tenant', 'list');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines) assert.match(l, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} (licensed|unlicensed)$/, `line: ${JSON.stringify(l)}`);
    const tids = lines.map((l) => l.split(' ')[0]);
    assert.equal(new Set(tids).size, tids.length, 'one line per tenant');
    assert.ok(tids.includes(A) && tids.includes(B));
  });

  test('A\'s partner is invisible to B: GET/PATCH/DELETE answer exactly like an unknown id; list and $count exclude it', async () => {
    const c = await srv.request('POST', col('v1.0'), { token: tokA, body: { displayName: 'A owns this', partnerState: 'enabled' } });
    assertStatus(c, 201);
    pA = { ...DEFAULTS, id: c.json.id, displayName: 'A owns this', partnerState: 'enabled' };
    const unknown = randomUUID();
    for (const v of VERSIONS) {
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', { displayName: 'B was here' }],
        ['DELETE', undefined],
      ]) {
        for (const form of [item, itemParen]) {
          const foreign = await srv.request(method, form(v, pA.id), { token: tokB, body });
          const missing = await srv.request(method, form(v, unknown), { token: tokB, body });
          assertGraphError(foreign, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
          assertGraphError(missing, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
          assert.deepEqual(normalizedError(foreign, [pA.id]), normalizedError(missing, [unknown]), `${method} ${v}: foreign id must look like an unknown id`);
        }
      }
      const l = await srv.request('GET', col(v), { token: tokB });
      assertCollection(l.json, [], v);
      const n = await srv.request('GET', countPath(v), { token: tokB });
      assert.equal(n.text, '0');
    }
    // A still has it, untouched
    for (const v of VERSIONS) {
      const g = await srv.request('GET', item(v, pA.id), { token: tokA });
      assertStatus(g, 200);
      assertEntity(g.json, pA, v);
      const n = await srv.request('GET', countPath(v), { token: tokA });
      assert.equal(n.text, '1');
    }
  });

  test('each tenant sees only its own rows when both have data', async () => {
    const cb = await srv.request('POST', col('beta'), { token: tokB, body: { displayName: 'B owns this', linuxOnboarded: true } });
    assertStatus(cb, 201);
    const pB = { ...DEFAULTS, id: cb.json.id, displayName: 'B owns this', linuxOnboarded: true };
    for (const v of VERSIONS) {
      assertCollection((await srv.request('GET', col(v), { token: tokA })).json, [pA], v);
      assertCollection((await srv.request('GET', col(v), { token: tokB })).json, [pB], v);
    }
    assertGraphError(await srv.request('GET', item('v1.0', pB.id), { token: tokA }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
  });

  test('the same tenant through a delegated and an app token sees the same data', async () => {
    const del = await srv.token({ tenant: A, scopes: ['DeviceManagementServiceConfig.Read.All'] });
    const l = await srv.request('GET', col('v1.0'), { token: del });
    assertCollection(l.json, [pA], 'v1.0');
  });

  test('cmpd tenant set A --intune-license false (server running) -> every A request 400 "Request not applicable to target tenant."; B unaffected', async () => {
    const r = await srv.cli('tenant', 'set', A, '--intune-license', 'false');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await srv.tenantList()).map.get(A), 'unlicensed');
    for (const v of VERSIONS) {
      const reqs = [
        ['GET', col(v)],
        ['GET', countPath(v)],
        ['GET', item(v, pA.id)],
        ['GET', item(v, randomUUID())],
        ['POST', col(v), { displayName: 'must not be stored' }],
        ['PATCH', item(v, pA.id), { displayName: 'must not change' }],
        ['DELETE', item(v, pA.id)],
      ];
      for (const [method, p, body] of reqs) {
        const res = await srv.request(method, p, { token: tokA, body });
        assertGraphError(res, { status: 400, code: 'BadRequest', message: UNLICENSED, wrapped: false, scheme: 'https' });
      }
    }
    assertStatus(await srv.request('GET', col('v1.0'), { token: tokB }), 200);
  });

  test('licence restored with tenant set --intune-license true: data intact', async () => {
    const r = await srv.cli('tenant', 'set', A, '--intune-license', 'true');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await srv.tenantList()).map.get(A), 'licensed');
    for (const v of VERSIONS) {
      const l = await srv.request('GET', col(v), { token: tokA });
      assertStatus(l, 200);
      assertCollection(l.json, [pA], v);
    }
  });

  test('tenant add --no-intune-license registers an unlicensed tenant; tenant add of a licensed one works too', async () => {
    const C = newTenant();
    const D = newTenant();
    let r = await srv.cli('tenant', 'add', C, '--no-intune-license');
    assert.equal(r.code, 0, r.stderr);
    r = await srv.cli('tenant', 'add', D);
    assert.equal(r.code, 0, r.stderr);
    const list = await srv.tenantList();
    assert.equal(list.map.get(C), 'unlicensed');
    assert.equal(list.map.get(D), 'licensed');
    const tokC = await srv.token({ tenant: C, roles: ADMIN_ROLES });
    assertGraphError(await srv.request('GET', col('v1.0'), { token: tokC }), { status: 400, code: 'BadRequest', message: UNLICENSED, wrapped: false, scheme: 'https' });
    assertGraphError(await srv.request('POST', col('beta'), { token: tokC, body: {} }), { status: 400, code: 'BadRequest', message: UNLICENSED, wrapped: false, scheme: 'https' });
    const tokD = await srv.token({ tenant: D, roles: ADMIN_ROLES });
    assertStatus(await srv.request('GET', col('v1.0'), { token: tokD }), 200);
  });

  test('tenant ids are GUIDs compared case-insensitively (upper-case input is stored lower-case)', async () => {
    const E = newTenant();
    const r = await srv.cli('tenant', 'add', E.toUpperCase(), '--no-intune-license');
    assert.equal(r.code, 0, r.stderr);
    const list = await srv.tenantList();
    assert.equal(list.map.get(E), 'unlicensed');
    assert.ok(!list.stdout.includes(E.toUpperCase()), `listed lower-case:\n${list.stdout}`);
    const s = await srv.cli('tenant', 'set', E.toUpperCase(), '--intune-license', 'true');
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await srv.tenantList()).map.get(E), 'licensed');
    const tokE = await srv.token({ tenant: E.toUpperCase(), roles: ADMIN_ROLES });
    assertStatus(await srv.request('GET', col('v1.0'), { token: tokE }), 200);
  });

  test('tenant commands refuse a non-GUID tenant id and bad licence values', async () => {
    for (const args of [
      ['tenant', 'add', 'contoso'],
      ['tenant', 'set', 'contoso', '--intune-license', 'true'],
      ['tenant', 'set', A, '--intune-license', 'maybe'],
    ]) {
      const r = await srv.cli(...args);
      assert.notEqual(r.code, 0, `cmpd ${args.join(' ')} must fail`);
    }
    assert.equal((await srv.tenantList()).map.get(A), 'licensed');
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});

describe('--tenants registered', () => {
  let srv;
  const F = newTenant();
  const G = newTenant();

  before(async () => {
    srv = await startServer({ args: ['--tenants', 'registered'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
  });

  test('an unregistered tenant -> 403 Forbidden and stays unregistered', async () => {
    const tok = await srv.token({ tenant: F, roles: ADMIN_ROLES });
    // pinned: Intune-wrapped 403 naming the tenant (not a 401: the token itself is valid)
    const refused = { status: 403, code: 'Forbidden', wrapped: true, scheme: 'https', message: new RegExp(`tenant '${F}' is not registered`) };
    for (const v of VERSIONS) {
      assertGraphError(await srv.request('GET', col(v), { token: tok }), refused);
      assertGraphError(await srv.request('POST', col(v), { token: tok, body: { displayName: 'x' } }), refused);
      assertGraphError(await srv.request('GET', countPath(v), { token: tok }), refused);
      assertGraphError(await srv.request('GET', item(v, randomUUID()), { token: tok }), refused);
    }
    assert.ok(!(await srv.tenantList()).map.has(F));
  });

  test('after cmpd tenant add (server running) the tenant is served', async () => {
    const r = await srv.cli('tenant', 'add', F);
    assert.equal(r.code, 0, r.stderr);
    const tok = await srv.token({ tenant: F, roles: ADMIN_ROLES });
    const c = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'registered' } });
    assertStatus(c, 201);
    const l = await srv.request('GET', col('v1.0'), { token: tok });
    assertCollection(l.json, [{ id: c.json.id, displayName: 'registered' }], 'v1.0');
  });

  test('a registered but unlicensed tenant -> 400 "Request not applicable to target tenant."', async () => {
    const r = await srv.cli('tenant', 'add', G, '--no-intune-license');
    assert.equal(r.code, 0, r.stderr);
    const tok = await srv.token({ tenant: G, roles: ADMIN_ROLES });
    assertGraphError(await srv.request('GET', col('v1.0'), { token: tok }), { status: 400, code: 'BadRequest', message: UNLICENSED, wrapped: false, scheme: 'https' });
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});

describe('tenant commands without a server', () => {
  test('tenant add/set/list work on a data dir no server has used yet', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cmpd-e2e-cli-'));
    try {
      const T1 = newTenant();
      let r = await runCli(['tenant', 'add', T1, '--data', dir]);
      assert.equal(r.code, 0, r.stderr);
      r = await runCli(['tenant', 'set', T1, '--intune-license', 'false', '--data', dir]);
      assert.equal(r.code, 0, r.stderr);
      r = await runCli(['tenant', 'list', '--data', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `${T1} unlicensed`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
