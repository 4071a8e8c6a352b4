// Layer 80: a cluster - three stateless cmpd instances on one PostgreSQL database, behind haproxy
// (roundrobin, health checks on /readyz, retries and redispatch), all on loopback:
//   (a) what one instance writes the others read; a nextLink made by one is followed on another;
//       one token works everywhere;
//   (b) kill -9 of one instance while 8 clients write through haproxy (and 2 straight to it): every
//       acknowledged write is there with exactly its body, nothing half-written is listed, the
//       others keep serving;
//   (c) a restart of PostgreSQL under the running instances: they recover without a restart.
// The cluster is private (tests/pg.sh start in a temp dir, stopped in after()), so the other files
// are not disturbed.  Needs PostgreSQL (signalled by CMPD_TEST_PG, as tests/run.sh sets it) and
// haproxy (/usr/sbin/haproxy or $HAPROXY); without CMPD_TEST_PG the file is skipped, unless
// CMPD_E2E_REQUIRE_CLUSTER=1 (tests/run.sh), where that is a failure.  Runs in both store modes.

import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, databaseUrl, describe, freePort, newTenant, psql, randomUUID, rawRequest, REPO, startServer, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  applyValues,
  assertEntity,
  assertGraphError,
  assertStatus,
  bodyFor,
  col,
  DEFAULTS,
  entityOrder,
  PARTNER_STATES,
  target,
} from './lib/graph.mjs';

const PG_SH = path.join(REPO, 'tests', 'pg.sh');
const HAPROXY = process.env.HAPROXY || '/usr/sbin/haproxy';
const V = 'beta'; // the version with every property
const item = (id) => `${col(V)}/${id}`;

function unavailable() {
  if (!process.env.CMPD_TEST_PG) return 'CMPD_TEST_PG is not set (no PostgreSQL for this run; tests/run.sh starts one)';
  if (!existsSync(HAPROXY)) return `haproxy not found at ${HAPROXY} (Debian: apt-get install haproxy, or set HAPROXY)`;
  return null;
}
const why = unavailable();
const required = process.env.CMPD_E2E_REQUIRE_CLUSTER === '1';
const skip = why && !required ? why : false;

if (why && required) {
  test('cluster test prerequisites', () => {
    assert.fail(`the cluster test cannot run: ${why}`);
  });
}

function sh(cmd, args, { timeout = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

describe('three cmpd instances on one PostgreSQL behind haproxy', { skip: skip || (why ? 'prerequisites missing' : false) }, () => {
  let tmp;
  let pgDir;
  let store; // URL of the cluster's database
  const inst = []; // the three Servers
  let lb; // {proc, port, log, cfg}
  let lbAgent;
  let tenant;
  let tok;

  // Everything is torn down even when a test fails: the instances by the harness (and here), haproxy
  // and the private cluster here, and again synchronously if the process exits early.
  const killAll = () => {
    try {
      lb?.proc?.kill('SIGKILL');
    } catch {
      /* gone */
    }
    if (pgDir) {
      try {
        execFileSync(PG_SH, ['stop', pgDir], { stdio: 'ignore', timeout: 60000 });
      } catch {
        /* best effort */
      }
    }
  };
  process.on('exit', killAll);

  before(async () => {
    tmp = await mkdtemp(path.join(process.env.CMPD_E2E_TMP || os.tmpdir(), 'cmpd-cluster-'));
    chmodSync(tmp, 0o711); // as root the cluster runs as `postgres`, which must get through
    pgDir = path.join(tmp, 'pg');
    const clusterUrl = (await sh(PG_SH, ['start', pgDir])).trim();
    await psql(clusterUrl, 'CREATE DATABASE cmpd_cluster');
    store = databaseUrl(clusterUrl, 'cmpd_cluster');
    // One after the other: the first creates the schema and the shared keys, the others read them.
    for (let i = 0; i < 3; i++) inst.push(await startServer({ store, listeners: ['http'], args: ['--threads', '2'] }));
    lbAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    await startLb();
    tenant = newTenant();
    tok = await inst[0].token({ tenant, roles: ADMIN_ROLES });
  });

  after(async () => {
    lbAgent?.destroy();
    await stopLb();
    for (const s of inst) await s?.destroy().catch(() => {});
    killAll();
    process.off('exit', killAll);
    if (tmp && !process.env.CMPD_E2E_KEEP) await rm(tmp, { recursive: true, force: true });
  });

  // ---- haproxy ----

  async function startLb() {
    const port = lb?.port || (await freePort());
    const cfg = path.join(tmp, 'haproxy.cfg');
    const servers = inst.map((s, i) => `    server c${i} 127.0.0.1:${s.ports.http} check`).join('\n');
    await writeFile(
      cfg,
      `global
    maxconn 2000

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 20s
    timeout check 1s
    retries 3
    option redispatch
    # Only what never reached an instance is retried: a replayed POST could create a duplicate.
    retry-on conn-failure

frontend fe
    bind 127.0.0.1:${port}
    default_backend cmpd

backend cmpd
    balance roundrobin
    option httpchk GET /readyz
    default-server inter 200ms fastinter 100ms downinter 200ms fall 2 rise 1
${servers}
`,
    );
    const proc = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    lb = { proc, port, log: '', cfg };
    const append = (c) => {
      if (lb.log.length < 1 << 20) lb.log += c.toString('utf8');
    };
    proc.stdout.on('data', append);
    proc.stderr.on('data', append);
    lb.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 20000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode) throw new Error(`haproxy exited at start:\n${lb.log}`);
      try {
        const r = await viaLb('GET', '/healthz', { agent: false });
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`haproxy did not answer /healthz within 20 s:\n${lb.log}`);
      await delay(100);
    }
  }

  async function stopLb() {
    if (!lb || lb.proc.exitCode !== null || lb.proc.signalCode) return;
    lb.proc.kill('SIGTERM');
    const r = await Promise.race([lb.exited, delay(5000, 'timeout')]);
    if (r === 'timeout') lb.proc.kill('SIGKILL');
  }

  function viaLb(method, p, { token = tok, body, agent = lbAgent } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return rawRequest({ port: lb.port, method, path: p, headers, body, agent });
  }
  const lbBase = () => `http://127.0.0.1:${lb.port}`;

  // ---- helpers ----

  const model = (id, values) => applyValues({ ...DEFAULTS, id }, values);

  function valuesFor(tag, i) {
    return {
      displayName: `${tag} ${i} ${randomUUID()}`,
      partnerState: PARTNER_STATES[i % PARTNER_STATES.length],
      lastHeartbeatDateTime: '2024-02-29T12:34:56.1234567+02:00',
      macOsOnboarded: i % 2 === 0,
      linuxOnboarded: i % 3 === 0,
      androidOnboarded: i % 5 === 0,
      iosOnboarded: true,
      macOsEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: `g-${i}`, filterId: `f-${i}`, filterType: 'include' })],
      androidEnrollmentAssignments: [],
      iosEnrollmentAssignments: [target('allDevicesAssignmentTarget'), target('allLicensedUsersAssignmentTarget')],
      linuxEnrollmentAssignments: [target('configurationManagerCollectionAssignmentTarget', { collectionId: `c-${i}` })],
    };
  }

  /** Every page of `p` (following nextLinks) from the servers `pick(page)` names. */
  async function walk(p, pick, token = tok) {
    const items = [];
    let next = p;
    for (let page = 0; next; page++) {
      assert.ok(page < 1000, 'paging does not end');
      const { req, base } = pick(page);
      const r = await req('GET', next, token);
      assertStatus(r, 200);
      items.push(...r.json.value);
      const link = r.json['@odata.nextLink'];
      if (link) assert.ok(link.startsWith(`${base}/`), `nextLink ${link} must be on ${base}`);
      next = link ? link.slice(new URL(link).origin.length) : undefined;
    }
    return items;
  }
  const onInst = (s) => ({ base: s.base('http'), req: (m, p, token) => s.request(m, p, { token }) });
  const onLb = () => ({ base: lbBase(), req: (m, p, token) => viaLb(m, p, { token }) });

  // ---- (a) shared state ----

  describe('(a) one shared store', () => {
    test('a create on one instance is read, exactly, on the other two and through haproxy', async () => {
      const values = valuesFor('shared', 1);
      const c = await inst[0].request('POST', col(V), { token: tok, body: bodyFor(values, { version: V }) });
      assertStatus(c, 201);
      const m = model(c.json.id, values);
      assertEntity(c.json, m, V);
      for (const s of inst.slice(1)) {
        const g = await s.request('GET', item(m.id), { token: tok });
        assertStatus(g, 200);
        assertEntity(g.json, m, V);
      }
      for (let i = 0; i < 3; i++) {
        const g = await viaLb('GET', item(m.id));
        assertStatus(g, 200);
        assertEntity(g.json, m, V);
      }
    });

    test('a token minted once is accepted by all three instances and through haproxy', async () => {
      const t = await inst[2].token({ tenant, roles: ['DeviceManagementServiceConfig.Read.All'] });
      for (const s of inst) assertStatus(await s.request('GET', col(V), { token: t }), 200);
      for (let i = 0; i < 3; i++) assertStatus(await viaLb('GET', col(V), { token: t }), 200);
    });

    test('paging with $top=2: each page from another instance (nextLinks work across instances), then through haproxy', async () => {
      const t = newTenant();
      const tk = await inst[1].token({ tenant: t, roles: ADMIN_ROLES });
      const made = [];
      for (let i = 0; i < 11; i++) {
        const values = valuesFor('page', i);
        const c = await inst[i % 3].request('POST', col(V), { token: tk, body: bodyFor(values, { version: V }) });
        assertStatus(c, 201);
        made.push(model(c.json.id, values));
      }
      const want = [...made].sort((a, b) => (a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : 0));
      const q = `${col(V)}?$orderby=displayName&$top=2`;
      const pages = await walk(q, (page) => onInst(inst[page % 3]), tk);
      assert.deepEqual(pages.map((e) => e.id), want.map((m) => m.id), 'every partner once, in order');
      for (const e of pages) assertEntity(e, made.find((m) => m.id === e.id), V, { context: false });
      const viaHaproxy = await walk(q, () => onLb(), tk);
      assert.deepEqual(viaHaproxy.map((e) => e.id), want.map((m) => m.id), 'the same through haproxy');
    });

    test('PATCH on one instance, DELETE on another: both seen everywhere', async () => {
      const values = valuesFor('mutate', 2);
      const c = await inst[1].request('POST', col(V), { token: tok, body: bodyFor(values, { version: V }) });
      assertStatus(c, 201);
      const patch = { displayName: 'patched on c2', partnerState: 'terminated' };
      assertStatus(await inst[2].request('PATCH', item(c.json.id), { token: tok, body: patch }), 204);
      const m = applyValues(model(c.json.id, values), patch);
      for (const s of inst) {
        const g = await s.request('GET', item(m.id), { token: tok });
        assertStatus(g, 200);
        assertEntity(g.json, m, V);
      }
      assertStatus(await inst[0].request('DELETE', item(m.id), { token: tok }), 204);
      for (const s of inst)
        assertGraphError(await s.request('GET', item(m.id), { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'http' });
      assertGraphError(await viaLb('GET', item(m.id)), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'http' });
    });
  });

  // ---- (b) kill -9 under load ----

  describe('(b) kill -9 of one instance while 8 clients write through haproxy (and 2 straight to it)', () => {
    const CLIENTS = 8;
    const DIRECT = 2; // clients of the victim itself: their requests are surely in flight at the kill
    const RUN_MS = 4000;
    const KILL_AT_MS = 1500;
    const sent = new Map(); // displayName -> values of every POST sent
    const acked = []; // models of the POSTs answered 201
    const outcomes = { ok: 0, okAfterKill: 0, conn: 0, status5xx: 0, direct: 0, directConn: 0 };
    let t;
    let tk;

    test('writes before and after the kill: only connection errors and 5xx besides 201', async (tc) => {
      t = newTenant();
      tk = await inst[0].token({ tenant: t, roles: ADMIN_ROLES });
      // the tenant exists before the storm (auto-registration is not what is tested here)
      const first = await viaLb('POST', col(V), { token: tk, body: {} });
      assertStatus(first, 201);
      acked.push(model(first.json.id, {}));
      const start = Date.now();
      const unexpected = [];
      let killedAt = 0;
      const client = async (c) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; i < 2000 && Date.now() - start < RUN_MS; i++) {
            const values = valuesFor(`storm c${c}`, i);
            sent.set(values.displayName, values);
            const sentAt = Date.now();
            try {
              const r = await viaLb('POST', col(V), { token: tk, body: bodyFor(values, { version: V }), agent });
              if (r.status === 201) {
                outcomes.ok++;
                if (killedAt && sentAt > killedAt) outcomes.okAfterKill++;
                acked.push(model(r.json.id, values));
              } else if (r.status >= 500) outcomes.status5xx++;
              else unexpected.push(`${r}`);
            } catch (e) {
              outcomes.conn++;
              if (!/ECONNRESET|ECONNREFUSED|socket hang up|EPIPE|timed out/.test(`${e.code} ${e.message}`)) unexpected.push(`${e.code} ${e.message}`);
            }
          }
        } finally {
          agent.destroy();
        }
      };
      // straight to the instance that is killed: 201s until the kill, then connection errors
      const direct = async (c) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; i < 2000 && Date.now() - start < RUN_MS; i++) {
            const values = valuesFor(`direct c${c}`, i);
            sent.set(values.displayName, values);
            try {
              const r = await inst[1].request('POST', col(V), { token: tk, body: bodyFor(values, { version: V }), agent });
              if (r.status === 201) {
                outcomes.direct++;
                acked.push(model(r.json.id, values));
              } else if (r.status < 500) unexpected.push(`direct: ${r}`);
            } catch (e) {
              outcomes.directConn++;
              if (!/ECONNRESET|ECONNREFUSED|socket hang up|EPIPE/.test(`${e.code} ${e.message}`)) unexpected.push(`direct: ${e.code} ${e.message}`);
              await delay(20);
            }
          }
        } finally {
          agent.destroy();
        }
      };
      const killer = (async () => {
        await delay(KILL_AT_MS);
        await inst[1].kill9();
        killedAt = Date.now();
      })();
      await Promise.all([
        ...Array.from({ length: CLIENTS }, (_, c) => client(c)),
        ...Array.from({ length: DIRECT }, (_, c) => direct(c)),
        killer,
      ]);
      assert.deepEqual(unexpected, [], `only 201, 5xx and connection errors expected (${JSON.stringify(outcomes)})`);
      tc.diagnostic(`outcomes: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.ok > 20, `the clients got writes through: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.direct > 0, `the direct clients got writes through before the kill: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.okAfterKill > 0, `writes sent after the kill got through haproxy: ${JSON.stringify(outcomes)}`);
      assert.ok(inst[1].exit?.signal === 'SIGKILL', 'the instance was killed');
    });

    test('every acknowledged write is there with exactly the body sent (GET on the two survivors)', async () => {
      assert.ok(acked.length > 0, 'writes acknowledged');
      const survivors = [inst[0], inst[2]];
      for (const [i, m] of acked.entries()) {
        const s = survivors[i % 2];
        const g = await s.request('GET', item(m.id), { token: tk });
        assertStatus(g, 200);
        assertEntity(g.json, m, V);
      }
    });

    test('the list through haproxy has every acknowledged write and no partial partner', async (tc) => {
      const items = await walk(col(V), () => onLb(), tk);
      const ids = new Set(items.map((e) => e.id));
      for (const m of acked) assert.ok(ids.has(m.id), `acknowledged ${m.id} missing from the list`);
      assert.equal(ids.size, items.length, 'no partner listed twice');
      const byId = new Map(acked.map((m) => [m.id, m]));
      for (const e of items) {
        assert.deepEqual(Object.keys(e), entityOrder(V, false), `item ${e.id}: every property of the shape`);
        // a write in flight at the kill may be stored without its 201 having reached the client: it
        // must still be whole, exactly one of the bodies sent
        if (!byId.has(e.id)) assert.ok(sent.has(e.displayName), `listed item ${e.id} is none of the bodies sent: ${JSON.stringify(e)}`);
        const m = byId.get(e.id) || model(e.id, sent.get(e.displayName));
        assertEntity(e, m, V, { context: false, what: `listed item ${e.id}` });
      }
      // haproxy retries only connection failures (a request that never reached an instance), so
      // no POST is replayed: no unacknowledged row is the twin of an acknowledged body
      const ackedNames = new Set(acked.map((m) => m.displayName));
      const twins = items.filter((e) => !byId.has(e.id) && ackedNames.has(e.displayName)).length;
      tc.diagnostic(
        `${items.length} listed, ${acked.length} acknowledged, ${items.length - acked.length} stored without their 201 reaching the client`,
      );
      assert.equal(twins, 0, 'no request was replayed');
    });

    test('the survivors and haproxy keep serving after the kill', async () => {
      for (const s of [inst[0], inst[2]]) {
        const c = await s.request('POST', col(V), { token: tk, body: { displayName: `after kill on ${s.ports.http}` } });
        assertStatus(c, 201);
        assertStatus(await s.request('GET', item(c.json.id), { token: tk }), 200);
      }
      for (let i = 0; i < 12; i++) {
        const r = await viaLb(i % 2 ? 'GET' : 'POST', col(V), { token: tk, body: i % 2 ? undefined : { displayName: `after kill ${i}` } });
        assertStatus(r, i % 2 ? 200 : 201);
      }
    });

    test('the killed instance restarts on its directory and store and rejoins', async () => {
      inst[1] = await inst[1].restart({ samePorts: true });
      if (!lb.cfg.includes(`:${inst[1].ports.http} `)) {
        // the old port could not be bound again: haproxy gets the new one
        await stopLb();
        await startLb();
      }
      const g = await inst[1].request('GET', item(acked[0].id), { token: tk });
      assertStatus(g, 200);
      assertEntity(g.json, acked[0], V);
    });
  });

  // ---- (c) PostgreSQL restart ----

  describe('(c) PostgreSQL restarts under the running instances', () => {
    let prior; // a partner written before the restart
    let retries = 0;

    /** One request; a 503 with Retry-After may be retried once (the first request after the restart). */
    async function once(s, method, p, body, t = tok) {
      let r = await s.request(method, p, { token: t, body });
      if (r.status === 503 && r.headers['retry-after']) {
        retries++;
        await delay(Math.min(2000, 1000 * Number(r.headers['retry-after']) || 500));
        r = await s.request(method, p, { token: t, body });
      }
      return r;
    }

    test('tests/pg.sh restart while cmpd runs', async () => {
      const c = await inst[0].request('POST', col(V), { token: tok, body: { displayName: 'before the restart' } });
      assertStatus(c, 201);
      prior = model(c.json.id, { displayName: 'before the restart' });
      for (const s of inst) assertStatus(await s.request('GET', item(prior.id), { token: tok }), 200);
      await sh(PG_SH, ['restart', pgDir]);
      for (const s of inst) assert.equal(s.exit, null, `instance ${s.ports.http} must not exit when PostgreSQL restarts`);
    });

    test('afterwards GET, POST, PATCH and DELETE succeed on every instance without restarting it', async (t) => {
      for (const s of inst) {
        const base = s.base('http');
        const g = await once(s, 'GET', item(prior.id));
        assertStatus(g, 200);
        assertEntity(g.json, prior, V);
        const values = valuesFor(`after pg restart ${s.ports.http}`, 7);
        const c = await once(s, 'POST', col(V), bodyFor(values, { version: V }));
        assertStatus(c, 201);
        const m = model(c.json.id, values);
        assertStatus(await once(s, 'PATCH', item(m.id), { partnerState: 'rejected' }), 204);
        const g2 = await once(s, 'GET', item(m.id));
        assertStatus(g2, 200);
        assertEntity(g2.json, applyValues(m, { partnerState: 'rejected' }), V);
        const l = await once(s, 'GET', `${col(V)}?$top=5`);
        assertStatus(l, 200);
        assertStatus(await once(s, 'DELETE', item(m.id)), 204);
        assertGraphError(await once(s, 'GET', item(m.id)), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'http' });
        assert.equal(s.exit, null, 'still the same process');
      }
      for (let i = 0; i < 6; i++) assertStatus(await viaLb('GET', item(prior.id)), 200);
      t.diagnostic(`503 retries after the restart: ${retries}`);
    });

    test('every instance stops cleanly (SIGTERM -> exit 0)', async () => {
      await stopLb();
      for (const s of inst) await s.stop();
    });
  });
});
