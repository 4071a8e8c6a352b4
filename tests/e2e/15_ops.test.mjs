// Operations: /readyz, /metrics (Prometheus text), the JSON-lines access log, and configuration by
// flags, CMPD_* variables and a config file.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, newTenant, runCli, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertStatus, col, item } from './lib/graph.mjs';

/** The JSON lines of a server's output that are access-log entries. */
function accessLines(log) {
  return log
    .split('\n')
    .filter((l) => l.startsWith('{"time":'))
    .map((l) => JSON.parse(l));
}

/** Wait until `pred(lines)` holds for the access-log lines of `read()`, or fail. */
async function waitLines(read, pred, what) {
  let lines = [];
  for (let i = 0; i < 100; i++) {
    lines = accessLines(await read());
    if (pred(lines)) return lines;
    await delay(50);
  }
  assert.fail(`access log: ${what}; saw ${JSON.stringify(lines).slice(0, 2000)}`);
}

/** Parse Prometheus text into Map(series -> value). */
function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+) (\S+)$/.exec(line);
    assert.ok(m, `a metrics line is "series value": ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe('operational endpoints', () => {
  let srv;
  let tok;
  let tenant;

  before(async () => {
    srv = await startServer();
    tenant = newTenant();
    tok = await srv.token({ tenant, roles: ADMIN_ROLES });
  });
  after(async () => {
    if (srv && !srv.exit) await srv.destroy();
  });

  test('GET and HEAD /readyz answer 200 when the store answers, without a token', async () => {
    const r = await srv.request('GET', '/readyz');
    assertStatus(r, 200);
    assert.deepEqual(r.json, { status: 'ok' });
    assert.match(r.headers['request-id'], /^[0-9a-f-]{36}$/);
    assertStatus(await srv.request('HEAD', '/readyz'), 200);
  });

  test('other methods on /readyz and /metrics -> 405 with Allow: GET, HEAD', async () => {
    for (const p of ['/readyz', '/metrics', '/healthz']) {
      const r = await srv.request('POST', p, { body: {} });
      assertGraphError(r, { status: 405, code: 'MethodNotAllowed' });
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  });

  test('GET /metrics: Prometheus text with requests by route, method and status, latency, connections', async () => {
    const created = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'metrics' } });
    assertStatus(created, 201);
    for (let i = 0; i < 3; i++) assertStatus(await srv.request('GET', item('v1.0', created.json.id), { token: tok }), 200);
    assertGraphError(await srv.request('GET', item('v1.0', '00000000-0000-4000-8000-000000000000'), { token: tok }), { status: 404, code: 'ResourceNotFound' });
    assertGraphError(await srv.request('GET', col('v1.0')), { status: 401, code: 'InvalidAuthenticationToken' });
    const r = await srv.request('GET', '/metrics');
    assertStatus(r, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const m = parseMetrics(r.text);
    assert.ok(m.get('cmpd_http_requests_total{route="get",method="GET",status="200"}') >= 3, r.text);
    assert.ok(m.get('cmpd_http_requests_total{route="get",method="GET",status="404"}') >= 1, r.text);
    assert.ok(m.get('cmpd_http_requests_total{route="create",method="POST",status="201"}') >= 1, r.text);
    assert.ok(m.get('cmpd_http_requests_total{route="list",method="GET",status="401"}') >= 1, r.text);
    const count = m.get('cmpd_http_request_duration_seconds_count{route="get"}');
    assert.ok(count >= 4, r.text);
    assert.equal(m.get('cmpd_http_request_duration_seconds_bucket{route="get",le="+Inf"}'), count);
    // Buckets are cumulative.
    let prev = 0;
    for (const [k, v] of m) {
      if (!k.startsWith('cmpd_http_request_duration_seconds_bucket{route="get"')) continue;
      assert.ok(v >= prev, `${k} ${v} < ${prev}`);
      prev = v;
    }
    assert.ok(m.get('cmpd_http_request_duration_seconds_sum{route="get"}') > 0);
    assert.ok(m.get('cmpd_open_connections') >= 1, 'this request\'s connection is open');
    assert.ok(m.get('cmpd_connections_total') >= 1);
    assert.equal(m.get('cmpd_store_errors_total'), 0);
    assert.equal(m.get('cmpd_throttled_requests_total'), 0);
    // No tenant or id ever appears in the metrics.
    assert.ok(!r.text.includes(tenant) && !r.text.includes(created.json.id));
  });

  test('access log: one JSON line per request with the request-id; never the token', async () => {
    const r = await srv.request('GET', `${col('v1.0')}?$top=1`, { token: tok, headers: { 'client-request-id': 'log-me-1' } });
    assertStatus(r, 200);
    const bad = await srv.request('POST', col('v1.0'), { token: tok, body: '{"displayName":', headers: { 'Content-Type': 'application/json' } });
    assert.equal(bad.status, 400);
    const lines = await waitLines(
      async () => srv.log,
      (ls) => ls.some((l) => l.request_id === r.headers['request-id']) && ls.some((l) => l.request_id === bad.headers['request-id']),
      'both requests logged',
    );
    const l = lines.find((x) => x.request_id === r.headers['request-id']);
    assert.equal(l.client_request_id, 'log-me-1');
    assert.equal(l.method, 'GET');
    assert.equal(l.path, `${col('v1.0')}?$top=1`);
    assert.equal(l.status, 200);
    assert.equal(l.tenant, tenant);
    assert.equal(l.remote, '127.0.0.1');
    assert.ok(l.bytes > 0 && l.duration_ms >= 0);
    assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const e = lines.find((x) => x.request_id === bad.headers['request-id']);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'BadRequest');
    assert.ok(!srv.log.includes(tok), 'the bearer token is never logged');
  });
});

describe('access log destinations and configuration sources', () => {
  let dir;
  const servers = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cmpd-ops-'));
  });
  after(async () => {
    for (const s of servers) if (!s.exit) await s.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  test('--access-log FILE appends owner-only JSON lines; --access-log off writes none', async () => {
    const file = path.join(dir, 'access.log');
    const a = await startServer({ listeners: ['http'], args: ['--access-log', file] });
    servers.push(a);
    const r = await a.request('GET', '/healthz');
    await waitLines(async () => readFile(file, 'utf8').catch(() => ''), (ls) => ls.some((l) => l.request_id === r.headers['request-id']), 'the file has the line');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(accessLines(a.log).length, 0, 'nothing on standard output');
    const b = await startServer({ listeners: ['http'], args: ['--access-log', 'off'] });
    servers.push(b);
    assertStatus(await b.request('GET', '/healthz'), 200);
    await delay(200);
    assert.equal(accessLines(b.log).length, 0);
  });

  test('a config file, CMPD_* variables and flags: each overrides the one before', async () => {
    const conf = path.join(dir, 'cmpd.conf');
    await writeFile(conf, '# test\npage-size = 2\naccess-log = off\n');
    const t = newTenant();
    async function pageSize(opts) {
      const s = await startServer({ listeners: ['http'], ...opts });
      servers.push(s);
      const k = await s.token({ tenant: t, roles: ADMIN_ROLES });
      for (let i = 0; i < 4; i++) assertStatus(await s.request('POST', col('v1.0'), { token: k, body: { displayName: `p${i}` } }), 201);
      const r = await s.request('GET', col('v1.0'), { token: k });
      assertStatus(r, 200);
      await s.destroy();
      return { n: r.json.value.length, logged: accessLines(s.log).length };
    }
    assert.deepEqual(await pageSize({ args: ['--config', conf] }), { n: 2, logged: 0 });
    assert.deepEqual(await pageSize({ env: { CMPD_CONFIG: conf } }), { n: 2, logged: 0 });
    assert.deepEqual(await pageSize({ args: ['--config', conf], env: { CMPD_PAGE_SIZE: '3' } }), { n: 3, logged: 0 });
    assert.equal((await pageSize({ args: ['--config', conf, '--page-size', '1'], env: { CMPD_PAGE_SIZE: '3', CMPD_ACCESS_LOG: '-' } })).n, 1);
  });

  test('bad configuration is refused at start with a message naming its source', async () => {
    const conf = path.join(dir, 'bad.conf');
    await writeFile(conf, 'page-size = 2\nthreads = many\n');
    let r = await runCli(['serve', '--config', conf]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /threads .*bad\.conf line 2.*'many'/);
    r = await runCli(['serve', '--listen', 'http://127.0.0.1:1'], { env: { CMPD_PAGE_SIZE: '0' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /page-size \(CMPD_PAGE_SIZE\)/);
    r = await runCli(['serve', '--listen', 'http://127.0.0.1:1', '--ids', 'v5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ids \(command line\): v7 or v4, not 'v5'/);
    r = await runCli(['serve', '--listen', 'http://127.0.0.1:1'], { env: { CMPD_DURABILITY: 'fsync' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /durability \(CMPD_DURABILITY\): disk or process, not 'fsync'/);
    r = await runCli(['serve', '--no-such-option']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--no-such-option'/);
  });

  test('a second cmpd on a port another one listens on is refused, not handed half the connections', async () => {
    // The loops' sockets share their port with SO_REUSEPORT, which the kernel would as gladly
    // extend to another process setting it: the second cmpd must fail at start instead.
    const a = await startServer({ listeners: ['http'] });
    servers.push(a);
    const other = path.join(dir, 'second');
    const r = await runCli(['serve', '--data', other, '--listen', `http://127.0.0.1:${a.ports.http}`], { timeout: 20000 });
    assert.equal(r.signal, null, 'it exited on its own');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${a.ports.http}: Address already in use`));
    assert.ok(!existsSync(other), 'refused before it created its data directory');
    for (let i = 0; i < 8; i++) assertStatus(await a.request('GET', '/healthz'), 200);
  });

  test('cmpd serve --help lists every option with its CMPD_* variable', async () => {
    const r = await runCli(['serve', '--help']);
    assert.equal(r.code, 0);
    for (const o of ['data', 'store', 'listen', 'public-url', 'tls-cert', 'tls-key', 'jwks', 'tenants', 'cloud', 'durability', 'threads', 'page-size', 'ids', 'access-log', 'throttle']) {
      assert.match(r.stdout, new RegExp(`--${o} `), o);
      assert.ok(r.stdout.includes(`CMPD_${o.toUpperCase().replaceAll('-', '_')}`), o);
    }
    assert.match(r.stdout, /--config FILE/);
  });
});
