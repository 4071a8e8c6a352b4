// Layer 60: durability - data, tenants, TLS material and the signing key survive a clean restart,
// and every write acknowledged with 201/204 survives a kill -9 sent right after the response.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, newTenant, runCli, startServer, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  applyValues,
  assertCollection,
  assertEntity,
  assertGraphError,
  assertStatus,
  bodyFor,
  col,
  countPath,
  DEFAULTS,
  item,
  seedModel,
  target,
  VERSIONS,
} from './lib/graph.mjs';

let srv;
const tenant = newTenant();
const other = newTenant();
let tok;
let tokOther;
const store = new Map();

before(async () => {
  srv = await startServer();
  tok = await srv.token({ tenant, roles: ADMIN_ROLES });
  tokOther = await srv.token({ tenant: other, roles: ADMIN_ROLES });
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

async function createModel(values, v = 'beta') {
  const r = await srv.request('POST', col(v), { token: tok, body: bodyFor(values, { version: v }) });
  assertStatus(r, 201);
  const m = applyValues({ ...DEFAULTS, id: r.json.id }, values);
  store.set(m.id, m);
  return m;
}

async function expectExactly(server, models, t = tok) {
  for (const v of VERSIONS) {
    const l = await server.request('GET', col(v), { token: t });
    assertStatus(l, 200);
    assertCollection(l.json, models, v);
    const n = await server.request('GET', countPath(v), { token: t });
    assert.equal(n.text, String(models.length));
    for (const m of models) {
      const g = await server.request('GET', item(v, m.id), { token: t });
      assertStatus(g, 200);
      assertEntity(g.json, m, v);
    }
  }
}

/** Stop with `signal`, restart on the same directory and check the data; an unclean exit fails the
 * test only after the restart, so the later tests still have a server. */
async function stopThenRestart(signal) {
  let stopError;
  try {
    await srv.stop(signal);
  } catch (e) {
    stopError = e;
  }
  srv = await srv.restart();
  await expectExactly(srv, [...store.values()]);
  if (stopError) throw stopError;
}

describe('clean restart', () => {
  let caBefore;
  let certBefore;

  test('write a varied data set in two tenants, one unlicensed', async () => {
    await createModel(seedModel(), 'v1.0');
    await createModel({
      displayName: 'beta partner',
      partnerState: 'rejected',
      linuxOnboarded: true,
      lastHeartbeatDateTime: '2026-02-28T23:59:59.9999999+14:00',
      linuxEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: 'g-1', filterId: 'f-1', filterType: 'exclude' })],
      iosEnrollmentAssignments: [target('allLicensedUsersAssignmentTarget')],
    });
    const del = await createModel({ displayName: 'to be deleted' });
    assertStatus(await srv.request('DELETE', item('v1.0', del.id), { token: tok }), 204);
    store.delete(del.id);
    const m = [...store.values()][0];
    assertStatus(await srv.request('PATCH', item('v1.0', m.id), { token: tok, body: { displayName: 'patched before restart' } }), 204);
    store.set(m.id, applyValues(m, { displayName: 'patched before restart' }));
    assertStatus(await srv.request('POST', col('v1.0'), { token: tokOther, body: {} }), 201);
    const r = await srv.cli('tenant', 'set', other, '--intune-license', 'false');
    assert.equal(r.code, 0, r.stderr);
    await expectExactly(srv, [...store.values()]);
    caBefore = await readFile(path.join(srv.dataDir, 'tls', 'ca.pem'));
    certBefore = await readFile(path.join(srv.dataDir, 'tls', 'cert.pem'));
  });

  test('SIGTERM exits 0; a restart on the same directory serves the same data', async () => {
    await stopThenRestart('SIGTERM');
  });

  test('tenants and licences survive; the unlicensed tenant is still refused', async () => {
    const list = await srv.tenantList();
    assert.equal(list.map.get(tenant), 'licensed');
    assert.equal(list.map.get(other), 'unlicensed');
    assertGraphError(await srv.request('GET', col('v1.0'), { token: tokOther }), {
      status: 400,
      code: 'BadRequest',
      message: 'Request not applicable to target tenant.',
      wrapped: false,
      scheme: 'https',
    });
  });

  test('the local CA, the server certificate and the signing key are reused (old tokens still valid)', async () => {
    assert.deepEqual(await readFile(path.join(srv.dataDir, 'tls', 'ca.pem')), caBefore);
    assert.deepEqual(await readFile(path.join(srv.dataDir, 'tls', 'cert.pem')), certBefore);
    assertStatus(await srv.request('GET', col('v1.0'), { token: tok }), 200); // minted before the restart
  });

  test('SIGINT exits 0 as well, and the data is still there after', async () => {
    await stopThenRestart('SIGINT');
  });
});

describe('kill -9 right after the acknowledgement', () => {
  test('creates: 201 then kill -9 -> all there after restart', async () => {
    const made = [];
    const jobs = [];
    for (let i = 0; i < 12; i++) {
      const values = { displayName: `burst ${i}`, partnerState: 'enabled', macOsEnrollmentAssignments: [target('allDevicesAssignmentTarget')] };
      jobs.push(
        srv.request('POST', col('v1.0'), { token: tok, body: bodyFor(values) }).then((r) => {
          assertStatus(r, 201);
          made.push(applyValues({ ...DEFAULTS, id: r.json.id }, values));
        }),
      );
    }
    await Promise.all(jobs);
    await srv.kill9();
    for (const m of made) store.set(m.id, m);
    srv = await srv.restart();
    await expectExactly(srv, [...store.values()]);
  });

  test('a single create then kill -9, three times', async () => {
    for (let i = 0; i < 3; i++) {
      const values = { displayName: `single ${i}`, lastHeartbeatDateTime: '2016-12-31T23:59:37.9174975-08:00' };
      const r = await srv.request('POST', col('beta'), { token: tok, body: values });
      assertStatus(r, 201);
      await srv.kill9();
      store.set(r.json.id, applyValues({ ...DEFAULTS, id: r.json.id }, values));
      srv = await srv.restart();
      const g = await srv.request('GET', item('beta', r.json.id), { token: tok });
      assertStatus(g, 200);
      assertEntity(g.json, store.get(r.json.id), 'beta');
    }
  });

  test('PATCH: 204 then kill -9 -> the change is there', async () => {
    const m = [...store.values()][0];
    const values = { displayName: 'patched then killed', partnerState: 'unresponsive', androidEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: 'after-kill' })] };
    const r = await srv.request('PATCH', item('v1.0', m.id), { token: tok, body: bodyFor(values) });
    assertStatus(r, 204);
    await srv.kill9();
    store.set(m.id, applyValues(m, values));
    srv = await srv.restart();
    await expectExactly(srv, [...store.values()]);
  });

  test('DELETE: 204 then kill -9 -> it stays deleted', async () => {
    const m = [...store.values()][1];
    const r = await srv.request('DELETE', item('v1.0', m.id), { token: tok });
    assertStatus(r, 204);
    await srv.kill9();
    store.delete(m.id);
    srv = await srv.restart();
    assertGraphError(await srv.request('GET', item('v1.0', m.id), { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
    await expectExactly(srv, [...store.values()]);
  });

  test('tenant registration by a first request, then kill -9 -> still registered', async () => {
    const fresh = newTenant();
    const t = await srv.token({ tenant: fresh, roles: ADMIN_ROLES });
    const c = await srv.request('POST', col('v1.0'), { token: t, body: { displayName: 'fresh tenant' } });
    assertStatus(c, 201);
    await srv.kill9();
    srv = await srv.restart();
    assert.equal((await srv.tenantList()).map.get(fresh), 'licensed');
    const g = await srv.request('GET', item('v1.0', c.json.id), { token: t });
    assertStatus(g, 200);
  });

  test('SIGTERM with requests in flight: exit 0; every acknowledged create is there after restart', async () => {
    const acked = [];
    const jobs = [];
    for (let i = 0; i < 30; i++) {
      const values = { displayName: `in flight ${i}` };
      jobs.push(
        srv
          .request('POST', col('v1.0'), { token: tok, body: values, agent: false })
          .then((r) => {
            assert.ok(r.status === 201 || r.status === 503, `in-flight request answered ${r.status}: ${r}`);
            if (r.status === 201) acked.push(applyValues({ ...DEFAULTS, id: r.json.id }, values));
          })
          .catch((e) => {
            // Node puts the reset of a TLS handshake in e.code, not in the message.
            if (!/ECONNRESET|ECONNREFUSED|socket hang up|EPIPE/.test(`${e.code} ${e.message}`)) throw e;
          }),
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = srv.stop('SIGTERM').then(
      () => null,
      (e) => e,
    );
    await Promise.all(jobs);
    const stopError = await stopping;
    for (const m of acked) store.set(m.id, m);
    srv = await srv.restart();
    await expectExactly(srv, [...store.values()]);
    if (stopError) throw stopError;
  });

  test('final clean stop exits 0', async () => {
    await srv.close();
  });
});

// Issue 6: a write is acknowledged once on disk (fsync, group commit) unless the operator opts out.
describe('--durability', () => {
  test('the default is disk: the server says so when ready', async () => {
    const s = await startServer();
    try {
      assert.match(s.log, /ready \(.*durability disk\)/);
    } finally {
      await s.destroy();
    }
  });

  test('--durability process: acknowledged creates and patches survive kill -9 as well', async () => {
    let s = await startServer({ args: ['--durability', 'process'] });
    try {
      assert.match(s.log, /ready \(.*durability process\)/);
      const t = await s.token({ tenant: newTenant(), roles: ADMIN_ROLES });
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.request('POST', col('v1.0'), { token: t, body: { displayName: `process ${i}` } })),
      );
      for (const r of made) assertStatus(r, 201);
      const p = await s.request('PATCH', item('v1.0', made[0].json.id), { token: t, body: { displayName: 'patched' } });
      assertStatus(p, 204);
      await s.kill9();
      s = await s.restart();
      for (const r of made) {
        const g = await s.request('GET', item('v1.0', r.json.id), { token: t });
        assertStatus(g, 200);
        assert.equal(g.json.displayName, r === made[0] ? 'patched' : r.json.displayName);
      }
    } finally {
      await s.destroy();
    }
  });

  test('an unknown --durability is refused before anything starts', async () => {
    const r = await runCli(['serve', '--durability', 'sometimes', '--listen', 'http://127.0.0.1:1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /durability.*disk or process, not 'sometimes'/);
  });

  test('--help documents it', async () => {
    const r = await runCli(['serve', '--help']);
    assert.match(r.stdout + r.stderr, /--durability MODE[\s\S]*fsync/);
  });
});
