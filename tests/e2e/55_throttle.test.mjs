// Layer 55: throttling as Intune does it (graph-conventions.md 8): off by default; per tenant and
// per application in a tenant, writes (POST, PATCH, DELETE) and all requests counted separately
// in sliding windows; 429 TooManyRequests with Retry-After, in the shape of every other error;
// waiting Retry-After gets through, and the Graph JavaScript client's RetryHandler does so by
// itself; /metrics counts the 429s.  On PostgreSQL (CMPD_E2E_STORE=postgres), two instances on one
// database share the limits.  Small limits keep it cheap; every test uses tenants of its own.

import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, createDatabase, describe, newTenant, randomUUID, runClientScript, startServer, STORE_KIND, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertStatus, col, countPath, item } from './lib/graph.mjs';

const V = 'v1.0';
const RETRY_MSG = /^Too many requests\. Retry after (\d+) seconds?\.$/;

const create = (srv, token, name = 'throttled') => srv.request('POST', col(V), { token, body: { displayName: name } });
const list = (srv, token) => srv.request('GET', col(V), { token });

/** A token of a fresh application (its own app id) in `tenant`. */
const appToken = (srv, tenant, appId = randomUUID()) => srv.token({ tenant, roles: ADMIN_ROLES, appId });

/** Assert a 429 from the limiter; returns its Retry-After in seconds. */
function assertThrottled(res, window, clientRequestId) {
  const msg = assertGraphError(res, { status: 429, code: 'TooManyRequests', wrapped: false, message: RETRY_MSG, clientRequestId });
  assert.match(res.headers['retry-after'] || '', /^\d+$/, `Retry-After must be whole seconds: ${res}`);
  const ra = Number(res.headers['retry-after']);
  assert.ok(ra >= 1 && ra <= window, `Retry-After ${ra} must be in 1..${window}: ${res}`);
  assert.equal(Number(RETRY_MSG.exec(msg)[1]), ra, 'the message names the Retry-After');
  return ra;
}

async function throttledCount(srv) {
  const r = await srv.request('GET', '/metrics');
  assertStatus(r, 200);
  const m = /^cmpd_throttled_requests_total (\d+)$/m.exec(r.text);
  assert.ok(m, `cmpd_throttled_requests_total in /metrics:\n${r.text}`);
  return Number(m[1]);
}

describe('off by default', () => {
  const servers = [];
  after(async () => {
    for (const s of servers) if (!s.exit) await s.destroy();
  });

  test('without --throttle a burst past the limits of the throttled server below passes', async () => {
    const srv = await startServer({ listeners: ['http'] });
    servers.push(srv);
    const tok = await appToken(srv, newTenant());
    for (let i = 0; i < 12; i++) assertStatus(await create(srv, tok), 201);
    assertStatus(await list(srv, tok), 200);
    assert.equal(await throttledCount(srv), 0);
    await srv.close();
  });

  test('--throttle off in the environment wins over a --throttle-* option', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--throttle-app-writes', '3'], env: { CMPD_THROTTLE: 'off' } });
    servers.push(srv);
    const tok = await appToken(srv, newTenant());
    for (let i = 0; i < 6; i++) assertStatus(await create(srv, tok), 201);
    await srv.close();
  });
});

describe('limits per tenant and per application (20 s window)', () => {
  const W = 20;
  let srv;
  let seen = 0; // 429s this server sent

  before(async () => {
    // Intune's values but for these; any --throttle-* option turns throttling on.
    srv = await startServer({
      args: ['--throttle-tenant-writes', '5', '--throttle-app-writes', '3', '--throttle-app-requests', '8', '--throttle-window', String(W)],
    });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  const refused = async (res, clientRequestId) => {
    seen++;
    return assertThrottled(res, W, clientRequestId);
  };

  test('the 4th write of an application in the window -> 429 TooManyRequests with Retry-After, as every Graph error', async () => {
    const tok = await appToken(srv, newTenant());
    for (let i = 0; i < 3; i++) assertStatus(await create(srv, tok), 201);
    const res = await srv.request('POST', col(V), { token: tok, body: { displayName: 'one too many' }, headers: { 'client-request-id': 'throttle-me' } });
    const ra = await refused(res, 'throttle-me');
    assert.ok(ra >= W - 2, `all three writes are in the last second or two: Retry-After ${ra}`);
    // A refused request is not counted: refused again, with the same wait or less.
    assert.ok((await refused(await create(srv, tok))) <= ra);
  });

  test('POST, PATCH and DELETE all count as writes; GET and $count still pass under the write limit', async () => {
    const tok = await appToken(srv, newTenant());
    const a = await create(srv, tok);
    assertStatus(a, 201);
    assertStatus(await srv.request('PATCH', item(V, a.json.id), { token: tok, body: { displayName: 'patched' } }), 204);
    assertStatus(await srv.request('DELETE', item(V, a.json.id), { token: tok }), 204);
    await refused(await create(srv, tok));
    await refused(await srv.request('DELETE', item(V, a.json.id), { token: tok }));
    assertStatus(await list(srv, tok), 200);
    assertStatus(await srv.request('GET', countPath(V), { token: tok }), 200);
  });

  test('another application of the tenant, and another tenant, are not affected by a full application', async () => {
    const tenant = newTenant();
    const full = await appToken(srv, tenant);
    for (let i = 0; i < 3; i++) assertStatus(await create(srv, full), 201);
    await refused(await create(srv, full));
    assertStatus(await create(srv, await appToken(srv, tenant)), 201);
    const other = await appToken(srv, newTenant());
    for (let i = 0; i < 3; i++) assertStatus(await create(srv, other), 201);
  });

  test('the tenant limit holds across its applications', async () => {
    const tenant = newTenant();
    const [a, b, c] = [await appToken(srv, tenant), await appToken(srv, tenant), await appToken(srv, tenant)];
    for (let i = 0; i < 3; i++) assertStatus(await create(srv, a), 201);
    for (let i = 0; i < 2; i++) assertStatus(await create(srv, b), 201);
    // 5 writes in the tenant: b has one of its own left and c all three, yet both are refused.
    await refused(await create(srv, b));
    await refused(await create(srv, c));
    // Reads are under the (Intune) tenant request limit, far away.
    assertStatus(await list(srv, c), 200);
    // Another tenant writes on.
    assertStatus(await create(srv, await appToken(srv, newTenant())), 201);
  });

  test('a write counts toward the requests limit too: 3 writes + 5 reads fill 8, then reads are refused', async () => {
    const tenant = newTenant();
    const tok = await appToken(srv, tenant);
    for (let i = 0; i < 3; i++) assertStatus(await create(srv, tok), 201);
    for (let i = 0; i < 5; i++) assertStatus(await list(srv, tok), 200);
    await refused(await list(srv, tok));
    await refused(await srv.request('GET', countPath(V), { token: tok }));
    // Another application of the tenant reads on.
    assertStatus(await list(srv, await appToken(srv, tenant)), 200);
  });

  test('requests refused before the limiter (an expired token, a missing permission) are not counted', async () => {
    const tenant = newTenant();
    const appId = randomUUID();
    const reader = await srv.token({ tenant, roles: ['DeviceManagementServiceConfig.Read.All'], appId });
    const expired = await srv.token({ tenant, roles: ADMIN_ROLES, appId, expiresIn: -3600 });
    for (let i = 0; i < 4; i++) assertGraphError(await create(srv, reader), { status: 403, code: 'Forbidden' });
    for (let i = 0; i < 4; i++) assertGraphError(await create(srv, expired), { status: 401, code: 'InvalidAuthenticationToken' });
    const writer = await appToken(srv, tenant, appId);
    for (let i = 0; i < 3; i++) assertStatus(await create(srv, writer), 201);
    await refused(await create(srv, writer));
  });

  test('/metrics: cmpd_throttled_requests_total counts the 429s', async () => {
    assert.ok(seen >= 10);
    assert.equal(await throttledCount(srv), seen);
  });
});

describe('Retry-After (2 s window)', () => {
  const W = 2;
  let srv;

  before(async () => {
    srv = await startServer({ args: ['--throttle', 'intune', '--throttle-app-writes', '3', '--throttle-window', String(W)] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  test('waiting Retry-After seconds gets the request through', async () => {
    const tok = await appToken(srv, newTenant());
    for (let round = 0; round < 2; round++) {
      let res;
      let n = 0;
      // Fill the window (writes of a second ago may have left it already).
      while ((res = await create(srv, tok)).status === 201) assert.ok(++n <= 6, 'the limit must be reached');
      const ra = assertThrottled(res, W);
      await delay(ra * 1000);
      assertStatus(await create(srv, tok), 201);
    }
  });

  test('the Graph JavaScript client (default middleware) recovers from 429 by itself', async () => {
    const tenant = newTenant();
    const token = await appToken(srv, tenant);
    const before429 = await throttledCount(srv);
    const writes = 7;
    const out = await runClientScript(srv, 'graph_client_throttle_run.mjs', { token, env: { CMPD_WRITES: String(writes) }, timeout: 90000 });
    for (const [i, c] of out.creates.entries()) assert.ok(c.ok, `create ${i} must succeed through the retries: ${JSON.stringify(c)}`);
    assert.equal(new Set(out.creates.map((c) => c.id)).size, writes, 'each create made one partner');
    assert.ok(out.list.ok, JSON.stringify(out.list));
    assert.deepEqual(out.list.names, Array.from({ length: writes }, (_, i) => `throttled ${i}`).sort(), 'no write was lost or doubled');
    // The client did meet 429s (7 writes, 3 per 2 s) and waited them out.
    assert.ok((await throttledCount(srv)) - before429 >= 1, 'the server refused some of the writes');
    assert.ok(out.elapsedMs >= 1000, `the client waited Retry-After (${out.elapsedMs} ms)`);
  });
});

describe('two instances on one PostgreSQL database share the limits', { skip: STORE_KIND !== 'postgres' && 'PostgreSQL runs only (CMPD_E2E_STORE=postgres)' }, () => {
  const W = 20;
  let a;
  let b;

  before(async () => {
    const store = await createDatabase();
    const args = ['--throttle-app-writes', '4', '--throttle-tenant-requests', '10', '--throttle-window', String(W)];
    a = await startServer({ store, args, listeners: ['http'] });
    b = await startServer({ store, args, listeners: ['http'] });
  });
  after(async () => {
    for (const s of [a, b]) if (s && !s.exit) await s.stop().catch(() => s.destroy());
    for (const s of [a, b]) await s?.removeData().catch(() => {});
  });

  test('writes alternating between the instances are refused once the shared limit is reached, on both', async () => {
    const tenant = newTenant();
    const tok = await appToken(a, tenant);
    for (let i = 0; i < 4; i++) assertStatus(await create(i % 2 ? b : a, tok), 201);
    assertThrottled(await create(a, tok), W);
    assertThrottled(await create(b, tok), W);
    // The tenant's requests (4 writes so far) also add up across instances: 6 more reads, then 429.
    for (let i = 0; i < 6; i++) assertStatus(await list(i % 2 ? a : b, tok), 200);
    assertThrottled(await list(a, tok), W);
    assertThrottled(await list(b, tok), W);
    // Another tenant is not affected on either instance.
    const other = await appToken(b, newTenant());
    assertStatus(await create(a, other), 201);
    assertStatus(await create(b, other), 201);
  });
});
