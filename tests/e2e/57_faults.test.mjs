// Layer 57: fault injection for client testing (--fault-*), off by default.  A fraction of the
// authorised API requests is answered with an injected 429 TooManyRequests or 503
// ServiceUnavailable (Graph error body, Retry-After), and requests can be delayed on a timer of
// the event loop (which serves others meanwhile).  Seeded runs with --threads 1 repeat; per-tenant
// scope; /healthz, /readyz, /metrics, $metadata and the service document never; a bad token is
// still 401; a client gone during a delay leaves the server unharmed; the Graph JavaScript
// client's RetryHandler gets through injected 429/503 without losing or doubling a write.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, newTenant, randomUUID, runClientScript, runCli, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertStatus, col } from './lib/graph.mjs';

const V = 'v1.0';
const MSG = {
  429: /^Too many requests\. Retry after (\d+) seconds?\.$/,
  503: /^The service is temporarily unavailable\. Retry after (\d+) seconds?\.$/,
};
const CODE = { 429: 'TooManyRequests', 503: 'ServiceUnavailable' };

const list = (srv, token, opts = {}) => srv.request('GET', col(V), { token, ...opts });
const appToken = (srv, tenant = newTenant()) => srv.token({ tenant, roles: ADMIN_ROLES, appId: randomUUID() });

/** Assert an injected error: 429 or 503, Graph body with innerError, Retry-After `ra`. */
function assertInjected(res, ra, clientRequestId) {
  assert.ok(res.status === 429 || res.status === 503, `an injected 429 or 503, got ${res}`);
  const msg = assertGraphError(res, { status: res.status, code: CODE[res.status], wrapped: false, message: MSG[res.status], clientRequestId });
  assert.equal(res.headers['retry-after'], String(ra), `Retry-After: ${res}`);
  assert.equal(Number(MSG[res.status].exec(msg)[1]), ra, 'the message names the Retry-After');
  return res.status;
}

async function metric(srv, re) {
  const r = await srv.request('GET', '/metrics');
  assertStatus(r, 200);
  const m = re.exec(r.text);
  return m ? Number(m[1]) : 0;
}

describe('off by default', () => {
  let srv;
  before(async () => {
    srv = await startServer({ listeners: ['http'], args: ['--threads', '1'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  test('1,000 API requests, none faulted; no warning, no fault series', async () => {
    const tok = await appToken(srv);
    for (let i = 0; i < 1000; i++) assertStatus(await list(srv, tok), 200);
    assert.doesNotMatch(srv.log, /FAULT INJECTION/);
    assert.equal(await metric(srv, /^cmpd_faults_injected_total\{kind="(?:429|503|latency)"\} (\d+)$/m), 0);
  });
});

describe('bad options are refused at start', () => {
  const cases = [
    [['--fault-rate', '1.5'], /fault-rate \(command line\): .*fraction from 0 to 1.*'1\.5'/],
    [['--fault-rate', 'x'], /fraction from 0 to 1/],
    [['--fault-status', '500'], /fault-status \(command line\): .*429, 503 or 429,503.*'500'/],
    [['--fault-rate', '1', '--fault-retry-after', '0'], /fault-retry-after \(command line\): .*1 to 3600/],
    [['--fault-latency', '50-10'], /fault-latency \(command line\): .*MIN at most MAX/],
    [['--fault-latency', '70000'], /fault-latency \(command line\): .*0\.\.60000/],
    [['--fault-rate', '1', '--fault-seed', '-1'], /fault-seed \(command line\): .*whole number/],
    [['--fault-rate', '1', '--fault-tenant', 'contoso'], /fault-tenant \(command line\): .*GUID/],
    [['--fault-seed', '7'], /--fault-seed needs --fault-rate or --fault-latency/],
    [['--fault-latency-rate', '0.5'], /--fault-latency-rate needs --fault-latency/],
  ];
  for (const [args, re] of cases)
    test(`cmpd serve ${args.join(' ')}`, async () => {
      const r = await runCli(['serve', '--data', '/nonexistent-cmpd-fault', ...args]);
      assert.equal(r.code, 2, `exit 2: ${JSON.stringify(r)}`);
      assert.match(r.stderr, re);
    });
  test('CMPD_FAULT_RATE in the environment is checked the same way', async () => {
    const r = await runCli(['serve', '--data', '/nonexistent-cmpd-fault'], { env: { CMPD_FAULT_RATE: '-0.1' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fault-rate.*fraction/);
  });
});

describe('--fault-rate 1', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--fault-rate', '1', '--fault-retry-after', '2'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  test('warns at start that fault injection is on', () => {
    assert.match(srv.log, /FAULT INJECTION IS ON/);
  });

  test('every API request (v1.0 and beta, reads and writes) gets 429 or 503, Graph-shaped, with Retry-After', async () => {
    const tok = await appToken(srv);
    const seen = { 429: 0, 503: 0 };
    for (let i = 0; i < 40; i++) {
      const crid = randomUUID();
      const headers = { 'client-request-id': crid };
      const v = i % 2 ? 'beta' : 'v1.0';
      const res =
        i % 4 === 3
          ? await srv.request('POST', col(v), { token: tok, headers, body: { displayName: 'never' } })
          : await srv.request('GET', i % 4 === 1 ? `${col(v)}/$count` : col(v), { token: tok, headers });
      seen[assertInjected(res, 2, crid)]++;
    }
    assert.ok(seen[429] > 0 && seen[503] > 0, `both statuses by default: ${JSON.stringify(seen)}`);
  });

  test('faulted writes did nothing to the store: the tenant was never registered', async () => {
    const tenant = newTenant();
    const tok = await appToken(srv, tenant);
    for (let i = 0; i < 5; i++) assertInjected(await srv.request('POST', col(V), { token: tok, body: { displayName: 'x' } }), 2);
    const tenants = await srv.tenantList();
    assert.ok(!JSON.stringify(tenants).includes(tenant), 'the faulted tenant is not in the store');
  });

  test('/healthz, /readyz, /metrics, $metadata and the service document are never faulted', async () => {
    const tok = await appToken(srv);
    for (let i = 0; i < 10; i++) {
      assertStatus(await srv.request('GET', '/healthz'), 200);
      assertStatus(await srv.request('GET', '/readyz'), 200);
      assertStatus(await srv.request('GET', '/metrics'), 200);
      assertStatus(await srv.request('GET', `/${V}/$metadata`), 200);
      assertStatus(await srv.request('GET', `/${V}`, { token: tok }), 200);
    }
  });

  test('a bad token still gets 401, a missing permission 403', async () => {
    assertGraphError(await list(srv, 'not-a-token'), { status: 401, code: 'InvalidAuthenticationToken' });
    assertGraphError(await list(srv, undefined), { status: 401 });
    const personal = await srv.token({ tenant: newTenant(), roles: ['DeviceManagementApps.Read.All'] });
    assertGraphError(await list(srv, personal), { status: 403, code: 'Forbidden' });
  });

  test('/metrics counts them in cmpd_faults_injected_total{kind}', async () => {
    const tok = await appToken(srv);
    const b429 = await metric(srv, /^cmpd_faults_injected_total\{kind="429"\} (\d+)$/m);
    const b503 = await metric(srv, /^cmpd_faults_injected_total\{kind="503"\} (\d+)$/m);
    const seen = { 429: 0, 503: 0 };
    for (let i = 0; i < 20; i++) seen[assertInjected(await list(srv, tok), 2)]++;
    assert.equal((await metric(srv, /^cmpd_faults_injected_total\{kind="429"\} (\d+)$/m)) - b429, seen[429]);
    assert.equal((await metric(srv, /^cmpd_faults_injected_total\{kind="503"\} (\d+)$/m)) - b503, seen[503]);
    assert.equal(await metric(srv, /^cmpd_store_errors_total (\d+)$/m), 0, 'injected 503s are not store errors');
  });
});

describe('--fault-status and --fault-tenant', () => {
  const servers = [];
  after(async () => {
    for (const s of servers) if (!s.exit) await s.close();
  });

  test('--fault-status 503 injects only 503s', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--fault-rate', '1', '--fault-status', '503'] });
    servers.push(srv);
    const tok = await appToken(srv);
    for (let i = 0; i < 10; i++) assert.equal(assertInjected(await list(srv, tok), 1), 503);
  });

  test('only the tenants named are faulted (GUIDs matched whatever their case)', async () => {
    const a = newTenant();
    const b = newTenant();
    const srv = await startServer({ listeners: ['http'], args: ['--fault-rate', '1', '--fault-status', '429', '--fault-tenant', a.toUpperCase()] });
    servers.push(srv);
    const ta = await appToken(srv, a);
    const tb = await appToken(srv, b);
    for (let i = 0; i < 10; i++) {
      assert.equal(assertInjected(await list(srv, ta), 1), 429);
      assertStatus(await list(srv, tb), 200);
    }
    assertStatus(await srv.request('POST', col(V), { token: tb, body: { displayName: 'b writes' } }), 201);
  });
});

describe('the options from a config file and the environment', () => {
  const servers = [];
  let file;
  before(async () => {
    file = path.join(await mkdtemp(path.join(os.tmpdir(), 'cmpd-fault-')), 'cmpd.conf');
    await writeFile(file, '# faults for the client tests\nfault-rate = 1\nfault-status = 429\nfault-retry-after = 3\n');
  });
  after(async () => {
    for (const s of servers) if (!s.exit) await s.close();
  });

  test('file: rate, status, Retry-After; CMPD_FAULT_TENANT: two tenants, comma-separated', async () => {
    const [a, b, c] = [newTenant(), newTenant(), newTenant()];
    const srv = await startServer({ listeners: ['http'], args: ['--config', file], env: { CMPD_FAULT_TENANT: `${a},${b}` } });
    servers.push(srv);
    for (const t of [a, b]) assert.equal(assertInjected(await list(srv, await appToken(srv, t)), 3), 429);
    assertStatus(await list(srv, await appToken(srv, c)), 200);
  });

  test('CMPD_FAULT_RATE=0 switches the file\'s faults off', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--config', file], env: { CMPD_FAULT_RATE: '0' } });
    servers.push(srv);
    for (let i = 0; i < 20; i++) assertStatus(await list(srv, await appToken(srv)), 200);
    assert.doesNotMatch(srv.log, /FAULT INJECTION/);
  });
});

describe('--fault-seed: a seeded sequence repeats (--threads 1)', () => {
  const ARGS = ['--threads', '1', '--fault-rate', '0.3', '--fault-seed', '20261128'];

  async function run(args) {
    const srv = await startServer({ listeners: ['http'], args });
    try {
      const tok = await appToken(srv);
      const out = [];
      for (let i = 0; i < 60; i++) {
        const res = await list(srv, tok);
        if (res.status !== 200) assertInjected(res, 1);
        out.push(res.status);
      }
      return out;
    } finally {
      await srv.close();
    }
  }

  test('two runs with the same seed see the same faults; another seed differs', async () => {
    const first = await run(ARGS);
    const second = await run(ARGS);
    assert.deepEqual(second, first, 'the same statuses in the same order');
    const faulted = first.filter((s) => s !== 200).length;
    assert.ok(faulted >= 8 && faulted <= 32, `about 30% of 60 faulted: ${faulted} (${first.join(',')})`);
    assert.ok(first.includes(429) && first.includes(503), first.join(','));
    const other = await run([...ARGS.slice(0, -1), '7']);
    assert.notDeepEqual(other, first, 'another seed, another sequence');
  });
});

describe('--fault-latency', () => {
  let srv;
  before(async () => {
    srv = await startServer({ listeners: ['http'], args: ['--threads', '1', '--fault-latency', '400-500'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  test('adds at least the minimum delay; the one loop answers others meanwhile', async () => {
    const tok = await appToken(srv);
    assertStatus(await list(srv, tok), 200); // warm (the tenant registered)
    const t0 = Date.now();
    const slow = [list(srv, tok, { agent: false }), list(srv, tok, { agent: false }), list(srv, tok, { agent: false })];
    await delay(50);
    const h0 = Date.now();
    assertStatus(await srv.request('GET', '/healthz', { agent: false }), 200);
    assertStatus(await srv.request('GET', '/metrics', { agent: false }), 200);
    const healthMs = Date.now() - h0;
    const results = await Promise.all(slow);
    const total = Date.now() - t0;
    for (const r of results) assertStatus(r, 200);
    assert.ok(healthMs < 300, `health answered during the delay (${healthMs} ms)`);
    assert.ok(total >= 400, `at least the minimum delay (${total} ms)`);
    assert.ok(total < 1400, `three delayed requests overlap, not queue (${total} ms)`);
    assert.ok((await metric(srv, /^cmpd_faults_injected_total\{kind="latency"\} (\d+)$/m)) >= 4);
  });

  test('a delayed write is done once, after the delay', async () => {
    const tok = await appToken(srv);
    const t0 = Date.now();
    const r = await srv.request('POST', col(V), { token: tok, body: { displayName: 'late' } });
    assertStatus(r, 201);
    assert.ok(Date.now() - t0 >= 400);
    const l = await list(srv, tok);
    assert.deepEqual(l.json.value.map((p) => p.displayName), ['late']);
  });

  test('a client gone during the delay: the server goes on (and stops cleanly, sanitizer-clean)', async () => {
    const tok = await appToken(srv);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port: srv.ports.http, path: col(V), method: i % 2 ? 'POST' : 'GET', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' } });
        req.on('error', () => resolve());
        req.end(i % 2 ? JSON.stringify({ displayName: `gone ${i}` }) : undefined);
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
    }
    await delay(700); // past every delay
    assertStatus(await srv.request('GET', '/healthz'), 200);
    assertStatus(await list(srv, tok), 200);
  });

  test('a stop while requests are held answers them and exits promptly', async () => {
    const tok = await appToken(srv);
    const held = list(srv, tok, { agent: false });
    await delay(100);
    const t0 = Date.now();
    const stopping = srv.close();
    const r = await held.catch((e) => e);
    await stopping;
    assert.ok(Date.now() - t0 < 2500, `stopped in ${Date.now() - t0} ms`);
    if (!(r instanceof Error)) assert.ok([200, 503].includes(r.status), String(r.status));
    assert.equal(srv.exit.code, 0);
  });
});

describe('a client gone during the delay over HTTP/2 (the held request is let go unanswered)', () => {
  let srv;
  before(async () => {
    srv = await startServer({ listeners: ['https'], args: ['--threads', '1', '--fault-latency', '300'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  // Over HTTP/1 h2o notices a gone client only when it writes the answer; over HTTP/2 a stream
  // reset or a closed connection disposes of the request while it is held, the path this takes.
  test('stream resets and closed connections while held; the server goes on, stops clean', async () => {
    const tok = await appToken(srv);
    const mark = srv.log.length;
    for (let i = 0; i < 6; i++) {
      const session = http2.connect(`https://127.0.0.1:${srv.ports.https}`, { ca: srv.ca });
      session.on('error', () => {});
      const headers = { ':path': col(V), authorization: `Bearer ${tok}` };
      if (i % 3 === 2) Object.assign(headers, { ':method': 'POST', 'content-type': 'application/json' });
      const stream = session.request(headers);
      stream.on('error', () => {});
      stream.end(i % 3 === 2 ? JSON.stringify({ displayName: `gone ${i}` }) : undefined);
      await delay(100);
      if (i % 2) session.destroy();
      else {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        session.close();
      }
    }
    await delay(600); // past every delay
    // A request let go unanswered writes no access-log line.
    const lines = srv.log.slice(mark).split('\n').filter((l) => l.includes('"path":"/v1.0/deviceManagement'));
    assert.equal(lines.length, 0, lines.join('\n'));
    assertStatus(await srv.request('GET', '/healthz'), 200);
    assertStatus(await list(srv, tok), 200);
    assert.equal((await list(srv, tok)).json.value.length, 0, 'no held POST was carried out');
    await srv.close(); // sanitizer reports fail here in ASan runs
  });
});

describe('--fault-latency-rate', () => {
  test('0 delays nothing; 0.5 with a seed delays some', async () => {
    const srv = await startServer({ listeners: ['http'], args: ['--threads', '1', '--fault-latency', '200', '--fault-latency-rate', '0.5', '--fault-seed', '3'] });
    try {
      const tok = await appToken(srv);
      let slow = 0;
      for (let i = 0; i < 16; i++) {
        const t0 = Date.now();
        assertStatus(await list(srv, tok), 200);
        if (Date.now() - t0 >= 200) slow++;
      }
      assert.ok(slow >= 2 && slow <= 14, `some delayed: ${slow}/16`);
      assert.equal(await metric(srv, /^cmpd_faults_injected_total\{kind="latency"\} (\d+)$/m), slow);
    } finally {
      await srv.close();
    }
  });
});

describe('the Graph JavaScript client (default RetryHandler) gets through injected 429/503', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--threads', '1', '--fault-rate', '0.4', '--fault-seed', '11'] });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  test('every write lands once, none lost or doubled', async () => {
    const token = await appToken(srv);
    const writes = 6;
    const out = await runClientScript(srv, 'graph_client_throttle_run.mjs', { token, env: { CMPD_WRITES: String(writes) }, timeout: 90000 });
    for (const [i, c] of out.creates.entries()) assert.ok(c.ok, `create ${i} must succeed through the retries: ${JSON.stringify(c)}`);
    assert.equal(new Set(out.creates.map((c) => c.id)).size, writes);
    assert.ok(out.list.ok, JSON.stringify(out.list));
    assert.deepEqual(out.list.names, Array.from({ length: writes }, (_, i) => `throttled ${i}`).sort(), 'no write was lost or doubled');
    const injected = (await metric(srv, /^cmpd_faults_injected_total\{kind="429"\} (\d+)$/m)) + (await metric(srv, /^cmpd_faults_injected_total\{kind="503"\} (\d+)$/m));
    assert.ok(injected >= 1, 'the client met injected errors and retried');
    assert.ok(out.elapsedMs >= 1000, `the client waited Retry-After (${out.elapsedMs} ms)`);
  });
});
