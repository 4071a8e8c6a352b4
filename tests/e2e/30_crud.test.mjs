// Layer 30: the five operations and /$count on v1.0 and beta - exact bodies and headers, both key
// forms, Prefer: return=representation, Location, defaults, the one store behind both versions,
// lastHeartbeatDateTime kept exactly, every enum member and target type.

import assert from 'node:assert/strict';
import { after, before, describe, GUID_V4_LOWER_RE, GUID_V7_LOWER_RE, guidV7Ms, newTenant, randomUUID, startServer, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  applyValues,
  assertCollection,
  assertEntity,
  assertGraphError,
  assertGraphHeaders,
  assertStatus,
  bodyFor,
  col,
  contextEntity,
  countPath,
  DEFAULTS,
  FILTER_TYPES,
  item,
  itemParen,
  loadFixture,
  PARTNER_STATES,
  seedModel,
  target,
  TARGET_TYPES,
  VERSIONS,
} from './lib/graph.mjs';

let srv;
let tok;
const store = new Map(); // id -> model of what the server must hold for this tenant

before(async () => {
  srv = await startServer();
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

const base = () => srv.base('https');

async function create(v, body, { scheme = 'https', headers } = {}) {
  const r = await srv.request('POST', col(v), { token: tok, body, scheme, headers });
  assertStatus(r, 201);
  return r;
}

/** Create from model values; asserts 201, headers, Location and the exact body; records the model. */
async function createModel(v, values, opts = {}) {
  const r = await create(v, bodyFor(values, { version: v, hash: opts.hash ?? true }));
  const id = r.json.id;
  assert.match(id, GUID_V7_LOWER_RE, 'server id: lowercase RFC 9562 v7 GUID');
  const m = applyValues({ ...DEFAULTS, id }, values);
  assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
  assert.equal(r.headers.location, `${base()}/${v}/deviceManagement/complianceManagementPartners/${id}`);
  assertEntity(r.json, m, v);
  store.set(id, m);
  return m;
}

async function expectStored(m) {
  for (const v of VERSIONS) {
    const r = await srv.request('GET', item(v, m.id), { token: tok });
    assertStatus(r, 200);
    assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
    assertEntity(r.json, m, v, { what: `GET ${v} ${m.id}` });
  }
}

async function expectCount(n) {
  for (const v of VERSIONS) {
    const r = await srv.request('GET', countPath(v), { token: tok });
    assertStatus(r, 200);
    assertGraphHeaders(r, { scheme: 'https', kind: 'text' });
    assert.equal(r.text, String(n), `$count on ${v}`);
  }
}

describe('empty tenant', () => {
  test('list -> 200 {"@odata.context": …, "value": []}', async () => {
    for (const v of VERSIONS) {
      const r = await srv.request('GET', col(v), { token: tok });
      assertStatus(r, 200);
      assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
      assertCollection(r.json, [], v);
    }
  });
  test('$count -> 200 text/plain "0"', async () => {
    await expectCount(0);
  });
});

describe('create', () => {
  test('the seed example on v1.0 -> 201, Location, full entity with # on every @odata.type, heartbeat exact', async () => {
    const req = loadFixture('create-request.json');
    const r = await create('v1.0', req);
    const id = r.json.id;
    assert.match(id, GUID_V7_LOWER_RE);
    assert.equal(r.headers.location, `${base()}/v1.0/deviceManagement/complianceManagementPartners/${id}`);
    assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
    const m = { ...DEFAULTS, ...seedModel(), id };
    assertEntity(r.json, m, 'v1.0');
    assert.equal(r.json.lastHeartbeatDateTime, '2016-12-31T23:59:37.9174975-08:00');
    store.set(id, m);
    await expectStored(m);
  });

  test('{} on each version -> every default (false, "unknown", 0001-01-01T00:00:00Z, null, [])', async () => {
    for (const v of VERSIONS) {
      const m = await createModel(v, {});
      const r = await srv.request('GET', item(v, m.id), { token: tok });
      assert.equal(r.json.lastHeartbeatDateTime, '0001-01-01T00:00:00Z');
      assert.equal(r.json.partnerState, 'unknown');
      assert.equal(r.json.displayName, null);
      await expectStored(m);
    }
  });

  test('a client id is ignored; the server assigns a fresh lowercase GUID', async () => {
    const clientId = '11111111-1111-4111-8111-111111111111';
    const r = await create('v1.0', { id: clientId, displayName: 'client id' });
    assert.notEqual(r.json.id, clientId);
    assert.match(r.json.id, GUID_V7_LOWER_RE);
    const m = { ...DEFAULTS, id: r.json.id, displayName: 'client id' };
    store.set(m.id, m);
    const g = await srv.request('GET', item('v1.0', clientId), { token: tok });
    assertGraphError(g, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
    const r2 = await create('beta', { id: 'not even a guid', displayName: 'client id 2' });
    assert.match(r2.json.id, GUID_V7_LOWER_RE);
    store.set(r2.json.id, { ...DEFAULTS, id: r2.json.id, displayName: 'client id 2' });
  });

  test('ids are unique across creates', async () => {
    const ids = new Set();
    for (let i = 0; i < 10; i++) {
      const m = await createModel('v1.0', { displayName: `u${i}` });
      ids.add(m.id);
    }
    assert.equal(ids.size, 10);
  });

  test('ids are version 7: they begin with the time of creation and sort in creation order', async () => {
    const made = [];
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      const m = await createModel(i % 2 ? 'beta' : 'v1.0', { displayName: `t${i}` });
      const t1 = Date.now();
      const ms = guidV7Ms(m.id);
      assert.ok(ms >= t0 && ms <= t1, `${m.id}: ${ms} within [${t0}, ${t1}]`);
      made.push(m.id);
    }
    assert.deepEqual([...made].sort(), made, 'one after another, each id sorts after the last');
  });

  test('@odata.type with or without "#" on input; always "#" on output', async () => {
    const values = {
      displayName: 'no hash',
      macOsEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: randomUUID() })],
    };
    const m = await createModel('v1.0', values, { hash: false });
    await expectStored(m);
    const r = await create('v1.0', { '@odata.type': 'microsoft.graph.complianceManagementPartner', displayName: 'entity type without #' });
    store.set(r.json.id, { ...DEFAULTS, id: r.json.id, displayName: 'entity type without #' });
    assertEntity(r.json, store.get(r.json.id), 'v1.0');
  });

  test('all five target types round-trip, with and without their id property', async () => {
    const g = randomUUID();
    const m = await createModel('v1.0', {
      macOsEnrollmentAssignments: TARGET_TYPES.map((t) =>
        target(t, t === 'configurationManagerCollectionAssignmentTarget' ? { collectionId: 'SMS00001' } : t.includes('roup') ? { groupId: g } : {}),
      ),
      androidEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: null }), target('configurationManagerCollectionAssignmentTarget', { collectionId: null })],
      iosEnrollmentAssignments: [target('exclusionGroupAssignmentTarget')], // groupId omitted -> null
    });
    await expectStored(m);
  });

  test('beta: linux properties and assignment filters round-trip; v1.0 hides them', async () => {
    const m = await createModel('beta', {
      displayName: 'beta only',
      linuxOnboarded: true,
      macOsEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: randomUUID(), filterId: randomUUID(), filterType: 'include' })],
      linuxEnrollmentAssignments: [
        target('allDevicesAssignmentTarget', { filterId: randomUUID(), filterType: 'exclude' }),
        target('allLicensedUsersAssignmentTarget', { filterType: 'none' }),
        target('exclusionGroupAssignmentTarget', { groupId: randomUUID(), filterId: null }),
      ],
    });
    await expectStored(m);
    const v1 = await srv.request('GET', item('v1.0', m.id), { token: tok });
    assert.ok(!('linuxOnboarded' in v1.json) && !('linuxEnrollmentAssignments' in v1.json));
    assert.ok(!('deviceAndAppManagementAssignmentFilterType' in v1.json.macOsEnrollmentAssignments[0].target));
  });

  test('every partnerState member and every filter type is accepted', async () => {
    for (const s of PARTNER_STATES) await expectStored(await createModel('v1.0', { partnerState: s }));
    for (const f of FILTER_TYPES) await expectStored(await createModel('beta', { iosEnrollmentAssignments: [target('allDevicesAssignmentTarget', { filterType: f })] }));
  });

  test('lastHeartbeatDateTime is kept exactly as sent (fraction digits and offset)', async () => {
    for (const hb of [
      '2016-12-31T23:59:37.9174975-08:00',
      '2026-11-01T08:15:00Z',
      '2026-11-01T08:15:00+05:30',
      '2026-11-01T08:15:00.1Z',
      '2026-11-01T08:15:00.000Z',
      '2026-02-28T23:59:59.9999999+14:00',
      '1999-01-01T00:00:00-12:00',
    ]) {
      const m = await createModel('v1.0', { lastHeartbeatDateTime: hb });
      await expectStored(m);
    }
  });

  test('strings round-trip: unicode, escapes, empty, long', async () => {
    for (const s of ['Contoso — Ünïcödé ☃ 😀', 'quote " backslash \\ slash / tab \t newline \n', '', 'x'.repeat(4000), '\u0001\u001f']) {
      await expectStored(await createModel('beta', { displayName: s, macOsEnrollmentAssignments: [target('configurationManagerCollectionAssignmentTarget', { collectionId: s })] }));
    }
  });

  test('instance annotations on input are ignored', async () => {
    const r = await create('v1.0', {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners/$entity',
      '@odata.etag': 'W/"1"',
      '@custom.annotation': { anything: [1, 2] },
      'displayName@odata.type': '#String',
      displayName: 'annotated',
    });
    const m = { ...DEFAULTS, id: r.json.id, displayName: 'annotated' };
    store.set(m.id, m);
    assertEntity(r.json, m, 'v1.0');
  });

  test('over plain http: Location and @odata.context use http://', async () => {
    const r = await create('v1.0', { displayName: 'over http' }, { scheme: 'http' });
    assert.equal(r.headers.location, `${srv.base('http')}/v1.0/deviceManagement/complianceManagementPartners/${r.json.id}`);
    assert.equal(r.json['@odata.context'], contextEntity('v1.0'));
    assertGraphHeaders(r, { scheme: 'http', kind: 'odata' });
    store.set(r.json.id, { ...DEFAULTS, id: r.json.id, displayName: 'over http' });
  });

  test('Content-Type application/json with parameters or other casing is accepted', async () => {
    for (const ct of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;odata.metadata=minimal']) {
      const r = await create('v1.0', JSON.stringify({ displayName: ct }), { headers: { 'Content-Type': ct } });
      store.set(r.json.id, { ...DEFAULTS, id: r.json.id, displayName: ct });
    }
  });
});

describe('read', () => {
  test('list and $count show exactly what was created, on both versions', async () => {
    for (const v of VERSIONS) {
      const r = await srv.request('GET', col(v), { token: tok });
      assertStatus(r, 200);
      assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
      assertCollection(r.json, [...store.values()], v);
    }
    await expectCount(store.size);
  });

  test('both key forms: /{id} and (\'{id}\'), with the same body', async () => {
    const m = [...store.values()][0];
    for (const v of VERSIONS) {
      const a = await srv.request('GET', item(v, m.id), { token: tok });
      const b = await srv.request('GET', itemParen(v, m.id), { token: tok });
      assertStatus(a, 200);
      assertStatus(b, 200);
      assert.equal(b.text, a.text);
      assertEntity(b.json, m, v);
    }
  });

  test('the key matches case-insensitively (GUID)', async () => {
    const m = [...store.values()][0];
    const r = await srv.request('GET', item('v1.0', m.id.toUpperCase()), { token: tok });
    assertStatus(r, 200);
    assertEntity(r.json, m, 'v1.0');
  });

  test('unknown id -> 404 ResourceNotFound (wrapped), for GET/PATCH/DELETE, both key forms', async () => {
    const unknown = randomUUID();
    for (const v of VERSIONS) {
      for (const p of [item(v, unknown), itemParen(v, unknown)]) {
        assertGraphError(await srv.request('GET', p, { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
        assertGraphError(await srv.request('PATCH', p, { token: tok, body: { displayName: 'x' } }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
        assertGraphError(await srv.request('DELETE', p, { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
      }
    }
    await expectCount(store.size);
  });

  test('a key that is not a GUID -> 404 like an unknown id', async () => {
    for (const key of ['not-a-guid', '12345', encodeURIComponent('x y'), '00000000-0000-0000-0000-00000000000g']) {
      const r = await srv.request('GET', item('v1.0', key), { token: tok });
      assertGraphError(r, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
      const p = await srv.request('GET', itemParen('beta', key), { token: tok });
      assertGraphError(p, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
    }
  });
});

describe('update', () => {
  let m;
  before(async () => {
    m = await createModel('beta', {
      displayName: 'to patch',
      partnerState: 'enabled',
      lastHeartbeatDateTime: '2026-11-01T08:15:00Z',
      macOsOnboarded: true,
      linuxOnboarded: true,
      macOsEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: randomUUID() }), target('allDevicesAssignmentTarget')],
      linuxEnrollmentAssignments: [target('allLicensedUsersAssignmentTarget', { filterId: randomUUID(), filterType: 'include' })],
    });
  });

  async function patch(v, values, { key = 'segment', prefer, raw } = {}) {
    const headers = prefer ? { Prefer: prefer } : undefined;
    const p = key === 'segment' ? item(v, m.id) : itemParen(v, m.id);
    return srv.request('PATCH', p, { token: tok, body: raw ?? bodyFor(values, { version: v }), headers });
  }

  test('PATCH -> 204, empty body; only the properties sent change', async () => {
    const r = await patch('v1.0', { displayName: 'patched', iosOnboarded: true });
    assertStatus(r, 204);
    assertGraphHeaders(r, { scheme: 'https', kind: 'empty' });
    m = applyValues(m, { displayName: 'patched', iosOnboarded: true });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('PATCH with the (\'{id}\') key form', async () => {
    const r = await patch('beta', { partnerState: 'terminated' }, { key: 'paren' });
    assertStatus(r, 204);
    m = applyValues(m, { partnerState: 'terminated' });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('Prefer: return=representation -> 200 + full entity + Preference-Applied', async () => {
    for (const v of VERSIONS) {
      const values = { displayName: `rep ${v}`, androidOnboarded: v === 'beta' };
      const r = await patch(v, values, { prefer: 'return=representation' });
      assertStatus(r, 200);
      assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
      assert.equal(r.headers['preference-applied'], 'return=representation');
      m = applyValues(m, values);
      store.set(m.id, m);
      assertEntity(r.json, m, v);
    }
    await expectStored(m);
  });

  test('Prefer with several preferences still honours return=representation', async () => {
    const r = await patch('beta', { displayName: 'multi prefer' }, { prefer: 'odata.maxpagesize=5, return=representation' });
    assertStatus(r, 200);
    assert.match(r.headers['preference-applied'] || '', /(^|,\s*)return=representation(\s*,|$)/);
    m = applyValues(m, { displayName: 'multi prefer' });
    store.set(m.id, m);
    assertEntity(r.json, m, 'beta');
  });

  test('Prefer: return=minimal (or absent) -> 204 without Preference-Applied: return=representation', async () => {
    const r = await patch('v1.0', { displayName: 'minimal' }, { prefer: 'return=minimal' });
    assertStatus(r, 204);
    assert.notEqual(r.headers['preference-applied'], 'return=representation');
    m = applyValues(m, { displayName: 'minimal' });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('collections are replaced whole; [] empties them', async () => {
    const one = [target('configurationManagerCollectionAssignmentTarget', { collectionId: 'C1' })];
    assertStatus(await patch('v1.0', { macOsEnrollmentAssignments: one }), 204);
    m = applyValues(m, { macOsEnrollmentAssignments: one });
    store.set(m.id, m);
    await expectStored(m);
    assertStatus(await patch('v1.0', { macOsEnrollmentAssignments: [] }), 204);
    m = applyValues(m, { macOsEnrollmentAssignments: [] });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('a v1.0 PATCH leaves the beta-only data alone', async () => {
    assert.equal(m.linuxOnboarded, true);
    assertStatus(await patch('v1.0', { displayName: 'v1 patch', androidEnrollmentAssignments: [target('allDevicesAssignmentTarget')] }), 204);
    m = applyValues(m, { displayName: 'v1 patch', androidEnrollmentAssignments: [target('allDevicesAssignmentTarget')] });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('beta PATCH of linux properties', async () => {
    const values = { linuxOnboarded: false, linuxEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: randomUUID(), filterType: 'exclude', filterId: randomUUID() })] };
    assertStatus(await patch('beta', values), 204);
    m = applyValues(m, values);
    store.set(m.id, m);
    await expectStored(m);
  });

  test('every partnerState member, and displayName back to null', async () => {
    for (const s of PARTNER_STATES) {
      assertStatus(await patch('v1.0', { partnerState: s }), 204);
      m = applyValues(m, { partnerState: s });
    }
    assertStatus(await patch('v1.0', { displayName: null }), 204);
    m = applyValues(m, { displayName: null });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('lastHeartbeatDateTime is kept exactly through PATCH', async () => {
    for (const hb of ['2016-12-31T23:59:37.9174975-08:00', '2027-01-01T00:00:00+01:00']) {
      assertStatus(await patch('beta', { lastHeartbeatDateTime: hb }), 204);
      m = applyValues(m, { lastHeartbeatDateTime: hb });
      store.set(m.id, m);
      await expectStored(m);
    }
  });

  test('{} -> 204, nothing changes; the id in the body equal to the URL is accepted', async () => {
    assertStatus(await patch('v1.0', {}, { raw: {} }), 204);
    await expectStored(m);
    assertStatus(await patch('v1.0', {}, { raw: { id: m.id, displayName: 'same id' } }), 204);
    m = applyValues(m, { displayName: 'same id' });
    store.set(m.id, m);
    await expectStored(m);
  });

  test('a GET body sent back as a PATCH (context, type, id, everything) -> 204, unchanged', async () => {
    for (const v of VERSIONS) {
      const g = await srv.request('GET', item(v, m.id), { token: tok });
      const r = await srv.request('PATCH', item(v, m.id), { token: tok, body: g.text, headers: { 'Content-Type': 'application/json' } });
      assertStatus(r, 204);
      await expectStored(m);
    }
  });
});

describe('concurrency', () => {
  test('40 parallel creates over both listeners and HTTP/1.1 keep-alive, mixed with reads: all distinct, all stored', async () => {
    const jobs = [];
    const made = [];
    for (let i = 0; i < 40; i++) {
      const v = i % 2 ? 'beta' : 'v1.0';
      const scheme = i % 3 ? 'https' : 'http';
      const values = { displayName: `parallel ${i}`, partnerState: PARTNER_STATES[i % PARTNER_STATES.length] };
      jobs.push(
        srv.request('POST', col(v), { token: tok, scheme, body: values }).then((r) => {
          assertStatus(r, 201);
          made.push({ ...DEFAULTS, ...values, id: r.json.id });
        }),
      );
      jobs.push(srv.request('GET', col(v), { token: tok, scheme }).then((r) => assertStatus(r, 200)));
    }
    await Promise.all(jobs);
    assert.equal(new Set(made.map((m) => m.id)).size, 40);
    for (const m of made) store.set(m.id, m);
    await expectCount(store.size);
    for (const m of made.slice(0, 5)) await expectStored(m);
  });

  test('parallel PATCHes of one entity: every one answers 204 and the result is one of them, whole', async () => {
    const m = await createModel('v1.0', { displayName: 'contended' });
    const variants = Array.from({ length: 12 }, (_, i) => ({
      displayName: `writer ${i}`,
      partnerState: PARTNER_STATES[i % PARTNER_STATES.length],
      macOsEnrollmentAssignments: [target('groupAssignmentTarget', { groupId: `g${i}` })],
    }));
    const rs = await Promise.all(variants.map((values) => srv.request('PATCH', item('v1.0', m.id), { token: tok, body: bodyFor(values) })));
    for (const r of rs) assertStatus(r, 204);
    const g = await srv.request('GET', item('v1.0', m.id), { token: tok });
    const i = Number(/^writer (\d+)$/.exec(g.json.displayName)?.[1]);
    assert.ok(Number.isInteger(i), `displayName: ${g.json.displayName}`);
    const final = applyValues(m, variants[i]);
    assertEntity(g.json, final, 'v1.0'); // no mix of two writers
    store.set(m.id, final);
  });
});

describe('delete', () => {
  test('DELETE -> 204 empty; then 404 for GET/PATCH/DELETE; count drops', async () => {
    const m = await createModel('v1.0', { displayName: 'to delete' });
    await expectCount(store.size);
    const r = await srv.request('DELETE', item('v1.0', m.id), { token: tok });
    assertStatus(r, 204);
    assertGraphHeaders(r, { scheme: 'https', kind: 'empty' });
    store.delete(m.id);
    await expectCount(store.size);
    for (const v of VERSIONS) {
      assertGraphError(await srv.request('GET', item(v, m.id), { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
      assertGraphError(await srv.request('PATCH', item(v, m.id), { token: tok, body: { displayName: 'zombie' } }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
      assertGraphError(await srv.request('DELETE', item(v, m.id), { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
    }
    await expectCount(store.size);
  });

  test('DELETE on beta with the (\'{id}\') form removes it from v1.0 too', async () => {
    const m = await createModel('v1.0', { displayName: 'cross-version delete' });
    assertStatus(await srv.request('DELETE', itemParen('beta', m.id), { token: tok }), 204);
    store.delete(m.id);
    assertGraphError(await srv.request('GET', item('v1.0', m.id), { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'https' });
  });

  test('final list and $count match the model exactly', async () => {
    for (const v of VERSIONS) {
      const r = await srv.request('GET', col(v), { token: tok });
      assertCollection(r.json, [...store.values()], v);
    }
    await expectCount(store.size);
  });
});

describe('--ids v4', () => {
  let s4;
  before(async () => {
    s4 = await startServer({ args: ['--ids', 'v4'] });
  });
  after(async () => {
    if (s4 && !s4.exit) await s4.destroy();
  });

  test('new partners get random version 4 GUIDs', async () => {
    const t = await s4.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const ids = new Set();
    for (const v of VERSIONS) {
      for (let i = 0; i < 3; i++) {
        const r = await s4.request('POST', col(v), { token: t, body: { displayName: `v4 ${i}` } });
        assertStatus(r, 201);
        assert.match(r.json.id, GUID_V4_LOWER_RE);
        ids.add(r.json.id);
        const g = await s4.request('GET', item(v, r.json.id), { token: t });
        assertStatus(g, 200);
      }
    }
    assert.equal(ids.size, 6);
  });
});

describe('shutdown', () => {
  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});
