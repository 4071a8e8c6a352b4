// Limits that protect the service: URL length (414), header size (431), body size (413, see
// 35_validation), the connection cap, request and idle timeouts, and slow clients (slowloris).

import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, newTenant, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertStatus, col } from './lib/graph.mjs';

/** A raw TCP connection to the server's http listener, with its received bytes and close state. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const c = { s, data: '', closed: false };
    s.on('data', (d) => (c.data += d.toString('latin1')));
    s.on('close', () => (c.closed = true));
    s.on('error', () => {});
    s.once('connect', () => resolve(c));
    s.once('error', reject);
  });
}

async function until(pred, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await delay(20);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

describe('URL and header limits', () => {
  let srv;
  let tok;

  before(async () => {
    srv = await startServer({ listeners: ['http'], args: ['--access-log', 'off'] });
    tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
  });

  test('a URL longer than 16384 bytes -> 414 RequestUriTooLong; one at the limit is served', async () => {
    const base = `${col('v1.0')}?$filter=displayName eq '`;
    const fit = `${base}${'x'.repeat(16384 - base.length - 1)}'`.replaceAll(' ', '%20');
    const long = `${fit}${'y'.repeat(100)}`;
    const r = await srv.request('GET', long, { token: tok });
    assertGraphError(r, { status: 414, code: 'RequestUriTooLong' });
    assert.match(r.json.error.message, /at most 16384 bytes/);
    // At the limit the request reaches OData (which has its own $filter length cap).
    const ok = await srv.request('GET', fit.slice(0, 16384), { token: tok });
    assert.notEqual(ok.status, 414);
  });

  test('headers over 32768 bytes together -> 431 RequestHeaderFieldsTooLarge', async () => {
    const headers = {};
    for (let i = 0; i < 10; i++) headers[`x-filler-${i}`] = 'z'.repeat(4000);
    const r = await srv.request('GET', col('v1.0'), { token: tok, headers });
    assertGraphError(r, { status: 431, code: 'RequestHeaderFieldsTooLarge' });
    const fine = {};
    for (let i = 0; i < 5; i++) fine[`x-filler-${i}`] = 'z'.repeat(4000);
    assertStatus(await srv.request('GET', col('v1.0'), { token: tok, headers: fine }), 200);
  });

  test('the limits are options: --max-url-length, --max-header-size', async () => {
    const s = await startServer({ listeners: ['http'], args: ['--max-url-length', '512', '--max-header-size', '4096', '--access-log', 'off'] });
    try {
      assertGraphError(await s.request('GET', `/healthz?${'a'.repeat(600)}`), { status: 414, code: 'RequestUriTooLong' });
      assertGraphError(await s.request('GET', '/healthz', { headers: { 'x-big': 'b'.repeat(5000) } }), { status: 431, code: 'RequestHeaderFieldsTooLarge' });
      assertStatus(await s.request('GET', '/healthz'), 200);
    } finally {
      await s.destroy();
    }
  });
});

describe('connections and timeouts', () => {
  const servers = [];
  after(async () => {
    for (const s of servers) if (!s.exit) await s.destroy();
  });

  test('at --max-connections, a new connection waits until one closes, then is served', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--max-connections', '8', '--threads', '1', '--access-log', 'off'] });
    servers.push(srv);
    const held = [];
    for (let i = 0; i < 8; i++) held.push(await connect(srv.ports.http));
    await delay(200); // let the loop accept them all
    const waiting = await connect(srv.ports.http); // the kernel's backlog accepts it
    waiting.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await delay(500);
    assert.equal(waiting.data, '', 'not served while the server is at its cap');
    const m1 = await (async () => {
      held[0].s.destroy();
      await until(() => waiting.data.includes('\r\n\r\n'), 5000, 'the waiting request is answered once a connection closes');
      return waiting.data;
    })();
    assert.match(m1, /^HTTP\/1\.1 200 /);
    for (const c of held) c.s.destroy();
    waiting.s.destroy();
  });

  test('--request-timeout: a request that never completes, and an idle connection, are closed', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--request-timeout', '1', '--access-log', 'off'] });
    servers.push(srv);
    const partial = await connect(srv.ports.http);
    partial.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // no blank line: the head never ends
    const idle = await connect(srv.ports.http);
    const done = await connect(srv.ports.http);
    done.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => done.data.includes('200'), 5000, 'a complete request is served');
    await until(() => partial.closed && idle.closed && done.closed, 8000, 'all three closed by the server');
    assert.equal(partial.data.includes('200'), false);
  });

  test('slowloris: while 500 slow connections trickle their headers, a normal client gets its answers', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--access-log', 'off'] });
    servers.push(srv);
    const tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const slow = [];
    for (let i = 0; i < 500; i++) {
      const c = await connect(srv.ports.http);
      c.s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      slow.push(c);
    }
    const trickle = setInterval(() => {
      for (const c of slow) if (!c.closed) c.s.write(`x-slow-${Math.random().toString(36).slice(2, 6)}: 1\r\n`);
    }, 500);
    try {
      const created = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'under attack' }, agent: false });
      assertStatus(created, 201);
      for (let i = 0; i < 20; i++) assertStatus(await srv.request('GET', `${col('v1.0')}/${created.json.id}`, { token: tok, agent: false }), 200);
      // Answered while the slow connections were still held open (not after they timed out).
      const open = slow.filter((c) => !c.closed).length;
      assert.ok(open >= 450, `the slow connections were still open (${open} of 500)`);
      // None of them was ever answered: their requests never completed.
      assert.equal(slow.filter((c) => c.data.length > 0 && !c.data.startsWith('HTTP/1.1 408')).length, 0);
    } finally {
      clearInterval(trickle);
      for (const c of slow) c.s.destroy();
    }
    // And every slow connection is dropped by the request timeout (10 s by default).
  });
});
