// Layer 35: request-body validation - one row per rule of spec 4 and conventions 2.4, plus the
// parser's limits (malformed JSON, non-object, duplicate keys, invalid UTF-8, nesting, size) and
// Content-Type.  Every row: the status and code, a Graph error body whose message names the
// offending property, nothing stored (count unchanged on POST, entity unchanged on PATCH), and the
// server still serving.

import assert from 'node:assert/strict';
import { after, before, describe, newTenant, randomUUID, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertStatus, col, countPath, item } from './lib/graph.mjs';

const UNKNOWN = (p) =>
  `The property '${p}' does not exist on type 'microsoft.graph.complianceManagementPartner'. Make sure to only use property names that are defined by the type or mark the type as open type.`;

const T = (type, props = {}) => ({ '@odata.type': `#microsoft.graph.${type}`, ...props });
const GROUP = T('groupAssignmentTarget', { groupId: '0e226165-c685-41ce-8bfc-df8360ab325d' });
const asg = (target) => [{ target }];

let srv;
let tok;
const fixtures = {}; // version -> {id, text} of an entity PATCH rows run against

before(async () => {
  srv = await startServer();
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  for (const v of ['v1.0', 'beta']) {
    const r = await srv.request('POST', col(v), {
      token: tok,
      body: { displayName: `fixture ${v}`, partnerState: 'enabled', macOsEnrollmentAssignments: asg(GROUP) },
    });
    assertStatus(r, 201);
    fixtures[v] = { id: r.json.id };
  }
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

async function snapshot(v) {
  const n = await srv.request('GET', countPath(v), { token: tok });
  assertStatus(n, 200);
  const g = await srv.request('GET', item(v, fixtures[v].id), { token: tok });
  assertStatus(g, 200);
  return { count: n.text, entity: g.text };
}

/**
 * Send `body` with `method` on version `v` and check the refusal.  row: {status, code, mentions
 * (array of alternatives, any one must appear in the message), message (exact leading text),
 * wrapped, contentType}.
 */
async function expectRefused(v, method, row) {
  const before = await snapshot(v);
  const p = method === 'POST' ? col(v) : item(v, fixtures[v].id);
  let body = row.body;
  if (typeof body === 'function') body = body(v);
  if (!Buffer.isBuffer(body) && typeof body !== 'string') body = JSON.stringify(body);
  const r = await srv.request(method, p, {
    token: tok,
    body,
    headers: { 'Content-Type': row.contentType || 'application/json' },
  });
  const text = assertGraphError(r, {
    status: row.status || 400,
    code: row.code || 'BadRequest',
    wrapped: row.wrapped ?? true,
    scheme: 'https',
    message: row.message,
  });
  if (row.mentions) {
    assert.ok(
      row.mentions.some((m) => text.includes(m)),
      `${method} ${v}: message must name ${row.mentions.map((m) => `"${m}"`).join(' or ')}: ${JSON.stringify(text)}`,
    );
  }
  const afterSnap = await snapshot(v);
  assert.equal(afterSnap.count, before.count, `${method} ${v}: nothing may be stored`);
  assert.equal(afterSnap.entity, before.entity, `${method} ${v}: the entity must be unchanged`);
}

function defineRows(title, rows, { versions = ['v1.0', 'beta'], methods = ['POST', 'PATCH'] } = {}) {
  describe(title, () => {
    for (const row of rows) {
      const vs = row.versions || versions;
      const ms = row.methods || methods;
      test(`${row.name} [${vs.join(', ')} × ${ms.join(', ')}]`, async () => {
        for (const v of vs) for (const m of ms) await expectRefused(v, m, row);
      });
    }
  });
}

const utf8 = (prefix, bytes, suffix) => Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)]);
const deep = (n) => `{"displayName":${'['.repeat(n)}${']'.repeat(n)}}`;
const deepObj = (n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

// -- the JSON text itself -------------------------------------------------------------------------
defineRows('JSON syntax -> 400 BadRequest', [
  { name: 'truncated', body: '{"displayName": ', wrapped: 'any' },
  { name: 'trailing comma', body: '{"displayName":"a",}', wrapped: 'any' },
  { name: 'single quotes', body: "{'displayName':'a'}", wrapped: 'any' },
  { name: 'a comment', body: '{"displayName":"a" /* c */}', wrapped: 'any' },
  { name: 'trailing garbage', body: '{"displayName":"a"} x', wrapped: 'any' },
  { name: 'two values', body: '{} {}', wrapped: 'any' },
  { name: 'NaN literal', body: '{"androidOnboarded": NaN}', wrapped: 'any' },
  { name: 'unquoted key', body: '{displayName: "a"}', wrapped: 'any' },
  { name: 'empty body', body: '', wrapped: 'any' },
  { name: 'whitespace only', body: '  \r\n ', wrapped: 'any' },
  { name: 'raw control character in a string', body: '{"displayName":"a\u0001b"}', wrapped: 'any' },
  { name: 'NUL escape in a string', body: '{"displayName":"a\\u0000b"}', wrapped: 'any' },
]);

defineRows('body that is not an object -> 400 BadRequest', [
  { name: 'array', body: '[]', wrapped: 'any' },
  { name: 'array of an entity', body: '[{"displayName":"a"}]', wrapped: 'any' },
  { name: 'string', body: '"displayName"', wrapped: 'any' },
  { name: 'number', body: '42', wrapped: 'any' },
  { name: 'null', body: 'null', wrapped: 'any' },
  { name: 'true', body: 'true', wrapped: 'any' },
]);

defineRows('duplicate member names -> 400 naming the member', [
  { name: 'top level', body: '{"displayName":"a","displayName":"b"}', mentions: ['displayName'], wrapped: 'any' },
  {
    name: 'inside a target',
    body: '{"macOsEnrollmentAssignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"a","groupId":"b"}}]}',
    mentions: ['groupId'],
    wrapped: 'any',
  },
  { name: 'annotation twice', body: '{"@odata.type":"#microsoft.graph.complianceManagementPartner","@odata.type":"#microsoft.graph.complianceManagementPartner"}', mentions: ['@odata.type'], wrapped: 'any' },
]);

defineRows('invalid UTF-8 (raw bytes) -> 400', [
  { name: '0xFF 0xFE in a string', body: utf8('{"displayName":"', [0xff, 0xfe], '"}'), wrapped: 'any' },
  { name: 'overlong "/" (C0 AF)', body: utf8('{"displayName":"', [0xc0, 0xaf], '"}'), wrapped: 'any' },
  { name: 'truncated 3-byte sequence', body: utf8('{"displayName":"', [0xe2, 0x82], '"}'), wrapped: 'any' },
  { name: 'UTF-8-encoded surrogate (ED A0 80)', body: utf8('{"displayName":"', [0xed, 0xa0, 0x80], '"}'), wrapped: 'any' },
  { name: 'code point above U+10FFFF (F4 90 80 80)', body: utf8('{"displayName":"', [0xf4, 0x90, 0x80, 0x80], '"}'), wrapped: 'any' },
  { name: 'invalid byte in a member name', body: utf8('{"display', [0xff], 'Name":"a"}'), wrapped: 'any' },
  { name: 'Latin-1 text', body: utf8('{"displayName":"caf', [0xe9], '"}'), wrapped: 'any' },
]);

defineRows('nesting deeper than the limit -> 400', [
  { name: '100 nested arrays', body: deep(100), wrapped: 'any' },
  { name: '100 nested objects', body: deepObj(100), wrapped: 'any' },
  { name: '10000 nested arrays', body: deep(10000), wrapped: 'any' },
]);

// -- unknown properties ---------------------------------------------------------------------------
defineRows('unknown property (type is not open) -> 400 with ODataLib\'s message', [
  { name: 'foo', body: { displayName: 'a', foo: 1 }, message: UNKNOWN('foo'), mentions: ['foo'] },
  { name: 'mis-cased DisplayName', body: { DisplayName: 'a' }, message: UNKNOWN('DisplayName'), mentions: ['DisplayName'] },
  { name: 'historic windowsOnboarded', body: { windowsOnboarded: true }, message: UNKNOWN('windowsOnboarded'), mentions: ['windowsOnboarded'] },
  { name: 'historic windowsEnrollmentAssignments', body: { windowsEnrollmentAssignments: [] }, message: UNKNOWN('windowsEnrollmentAssignments'), mentions: ['windowsEnrollmentAssignments'] },
  { name: 'null-valued unknown property', body: { bar: null }, message: UNKNOWN('bar'), mentions: ['bar'] },
]);

defineRows(
  'v1.0 body with beta-only properties -> 400 like an unknown property',
  [
    { name: 'linuxOnboarded', body: { linuxOnboarded: false }, message: UNKNOWN('linuxOnboarded'), mentions: ['linuxOnboarded'] },
    { name: 'linuxEnrollmentAssignments', body: { linuxEnrollmentAssignments: [] }, message: UNKNOWN('linuxEnrollmentAssignments'), mentions: ['linuxEnrollmentAssignments'] },
    {
      name: 'target deviceAndAppManagementAssignmentFilterId',
      body: { macOsEnrollmentAssignments: asg({ ...GROUP, deviceAndAppManagementAssignmentFilterId: randomUUID() }) },
      mentions: ['deviceAndAppManagementAssignmentFilterId'],
    },
    {
      name: 'target deviceAndAppManagementAssignmentFilterType',
      body: { iosEnrollmentAssignments: asg(T('allDevicesAssignmentTarget', { deviceAndAppManagementAssignmentFilterType: 'none' })) },
      mentions: ['deviceAndAppManagementAssignmentFilterType'],
    },
  ],
  { versions: ['v1.0'] },
);

defineRows('unknown property below the entity -> 400 naming it', [
  { name: 'in an assignment', body: { macOsEnrollmentAssignments: [{ target: GROUP, foo: 1 }] }, mentions: ['foo'] },
  { name: 'in a target', body: { androidEnrollmentAssignments: asg({ ...GROUP, foo: 1 }) }, mentions: ['foo'] },
]);

// -- wrong JSON types ---------------------------------------------------------------------------
defineRows('wrong JSON type -> 400 naming the property', [
  { name: 'androidOnboarded "yes"', body: { androidOnboarded: 'yes' }, mentions: ['androidOnboarded'] },
  { name: 'iosOnboarded 1', body: { iosOnboarded: 1 }, mentions: ['iosOnboarded'] },
  { name: 'macOsOnboarded "true"', body: { macOsOnboarded: 'true' }, mentions: ['macOsOnboarded'] },
  { name: 'displayName 5', body: { displayName: 5 }, mentions: ['displayName'] },
  { name: 'displayName true', body: { displayName: true }, mentions: ['displayName'] },
  { name: 'displayName {}', body: { displayName: {} }, mentions: ['displayName'] },
  { name: 'displayName []', body: { displayName: [] }, mentions: ['displayName'] },
  { name: 'lastHeartbeatDateTime 12345', body: { lastHeartbeatDateTime: 12345 }, mentions: ['lastHeartbeatDateTime'] },
  { name: 'lastHeartbeatDateTime true', body: { lastHeartbeatDateTime: true }, mentions: ['lastHeartbeatDateTime'] },
  { name: 'partnerState true', body: { partnerState: true }, mentions: ['partnerState'] },
  { name: 'partnerState {}', body: { partnerState: {} }, mentions: ['partnerState'] },
  { name: 'macOsEnrollmentAssignments {}', body: { macOsEnrollmentAssignments: {} }, mentions: ['macOsEnrollmentAssignments'] },
  { name: 'androidEnrollmentAssignments "x"', body: { androidEnrollmentAssignments: 'x' }, mentions: ['androidEnrollmentAssignments'] },
  { name: 'iosEnrollmentAssignments 5', body: { iosEnrollmentAssignments: 5 }, mentions: ['iosEnrollmentAssignments'] },
  { name: 'assignment that is a number', body: { macOsEnrollmentAssignments: [1] }, mentions: ['macOsEnrollmentAssignments'] },
  { name: 'assignment that is a string', body: { iosEnrollmentAssignments: ['x'] }, mentions: ['iosEnrollmentAssignments'] },
  { name: 'assignment that is an array', body: { androidEnrollmentAssignments: [[]] }, mentions: ['androidEnrollmentAssignments'] },
  { name: 'target "x"', body: { macOsEnrollmentAssignments: [{ target: 'x' }] }, mentions: ['target'] },
  { name: 'target []', body: { macOsEnrollmentAssignments: [{ target: [] }] }, mentions: ['target'] },
  { name: 'target 5', body: { macOsEnrollmentAssignments: [{ target: 5 }] }, mentions: ['target'] },
  { name: 'groupId 5', body: { macOsEnrollmentAssignments: asg(T('groupAssignmentTarget', { groupId: 5 })) }, mentions: ['groupId'] },
  { name: 'groupId true', body: { macOsEnrollmentAssignments: asg(T('exclusionGroupAssignmentTarget', { groupId: true })) }, mentions: ['groupId'] },
  { name: 'collectionId {}', body: { macOsEnrollmentAssignments: asg(T('configurationManagerCollectionAssignmentTarget', { collectionId: {} })) }, mentions: ['collectionId'] },
  { name: 'entity @odata.type 5', body: { '@odata.type': 5 }, mentions: ['@odata.type'] },
  { name: 'target @odata.type 5', body: { macOsEnrollmentAssignments: asg({ '@odata.type': 5 }) }, mentions: ['@odata.type', 'target'] },
]);

defineRows(
  'beta: wrong JSON type of beta properties -> 400 naming the property',
  [
    { name: 'linuxOnboarded "no"', body: { linuxOnboarded: 'no' }, mentions: ['linuxOnboarded'] },
    { name: 'linuxEnrollmentAssignments {}', body: { linuxEnrollmentAssignments: {} }, mentions: ['linuxEnrollmentAssignments'] },
    { name: 'filterId 5', body: { macOsEnrollmentAssignments: asg({ ...GROUP, deviceAndAppManagementAssignmentFilterId: 5 }) }, mentions: ['deviceAndAppManagementAssignmentFilterId'] },
    { name: 'filterType true', body: { macOsEnrollmentAssignments: asg({ ...GROUP, deviceAndAppManagementAssignmentFilterType: true }) }, mentions: ['deviceAndAppManagementAssignmentFilterType'] },
  ],
  { versions: ['beta'] },
);

// -- null for non-nullable ----------------------------------------------------------------------
defineRows('null for a non-nullable property -> 400 naming it', [
  { name: 'androidOnboarded', body: { androidOnboarded: null }, mentions: ['androidOnboarded'] },
  { name: 'iosOnboarded', body: { iosOnboarded: null }, mentions: ['iosOnboarded'] },
  { name: 'macOsOnboarded', body: { macOsOnboarded: null }, mentions: ['macOsOnboarded'] },
  { name: 'lastHeartbeatDateTime', body: { lastHeartbeatDateTime: null }, mentions: ['lastHeartbeatDateTime'] },
  { name: 'partnerState', body: { partnerState: null }, mentions: ['partnerState'] },
]);

defineRows(
  'beta: null for a non-nullable beta property -> 400 naming it',
  [
    { name: 'linuxOnboarded', body: { linuxOnboarded: null }, mentions: ['linuxOnboarded'] },
    {
      name: 'deviceAndAppManagementAssignmentFilterType',
      body: { linuxEnrollmentAssignments: asg(T('allDevicesAssignmentTarget', { deviceAndAppManagementAssignmentFilterType: null })) },
      mentions: ['deviceAndAppManagementAssignmentFilterType'],
    },
  ],
  { versions: ['beta'] },
);

// -- enums --------------------------------------------------------------------------------------
defineRows('enum literal that is not a member, or an integer -> 400', [
  { name: 'partnerState "active"', body: { partnerState: 'active' }, mentions: ['partnerState', 'active'] },
  { name: 'partnerState 2', body: { partnerState: 2 }, mentions: ['partnerState'] },
  { name: 'partnerState "Enabled" (members are exact)', body: { partnerState: 'Enabled' }, mentions: ['partnerState', 'Enabled'] },
  { name: 'partnerState "unknownFutureValue" (no such member)', body: { partnerState: 'unknownFutureValue' }, mentions: ['partnerState', 'unknownFutureValue'] },
  { name: 'partnerState ""', body: { partnerState: '' }, mentions: ['partnerState'] },
  { name: 'partnerState "2"', body: { partnerState: '2' }, mentions: ['partnerState'] },
]);

defineRows(
  'beta: filter type not a member -> 400',
  [
    { name: '"sometimes"', body: { macOsEnrollmentAssignments: asg({ ...GROUP, deviceAndAppManagementAssignmentFilterType: 'sometimes' }) }, mentions: ['deviceAndAppManagementAssignmentFilterType', 'sometimes'] },
    { name: '"Include"', body: { macOsEnrollmentAssignments: asg({ ...GROUP, deviceAndAppManagementAssignmentFilterType: 'Include' }) }, mentions: ['deviceAndAppManagementAssignmentFilterType', 'Include'] },
    { name: 'integer 1', body: { macOsEnrollmentAssignments: asg({ ...GROUP, deviceAndAppManagementAssignmentFilterType: 1 }) }, mentions: ['deviceAndAppManagementAssignmentFilterType'] },
  ],
  { versions: ['beta'] },
);

// -- DateTimeOffset -----------------------------------------------------------------------------
defineRows(
  'malformed DateTimeOffset -> 400 naming lastHeartbeatDateTime',
  [
    'yesterday',
    '',
    '2016-12-31',
    '2016-12-31T23:59:37',
    '2016-12-31T23:59:37.9174975',
    '2016-12-31 23:59:37Z',
    '2016-13-01T00:00:00Z',
    '2016-02-30T00:00:00Z',
    '2016-12-31T25:00:00Z',
    '2016-12-31T23:61:00Z',
    '2016-12-31T23:59:37+25:00',
    '2016-12-31T23:59:37.Z',
    '16-12-31T23:59:37Z',
    '2016-12-31T23:59:37Z junk',
  ].map((s) => ({ name: JSON.stringify(s), body: { lastHeartbeatDateTime: s }, mentions: ['lastHeartbeatDateTime'] })),
);

// -- targets ------------------------------------------------------------------------------------
defineRows('target without @odata.type, or naming the abstract base -> 400', [
  { name: 'missing @odata.type', body: { macOsEnrollmentAssignments: asg({ groupId: randomUUID() }) }, mentions: ['target', '@odata.type'] },
  { name: 'empty target {}', body: { iosEnrollmentAssignments: asg({}) }, mentions: ['target', '@odata.type'] },
  { name: 'abstract base with #', body: { macOsEnrollmentAssignments: asg(T('deviceAndAppManagementAssignmentTarget')) }, mentions: ['target', 'deviceAndAppManagementAssignmentTarget'] },
  {
    name: 'abstract base without #',
    body: { macOsEnrollmentAssignments: asg({ '@odata.type': 'microsoft.graph.deviceAndAppManagementAssignmentTarget' }) },
    mentions: ['target', 'deviceAndAppManagementAssignmentTarget'],
  },
]);

defineRows(
  'target @odata.type that is not one of the five subtypes -> 400',
  [
    '#microsoft.graph.scopeTagGroupAssignmentTarget',
    '#microsoft.graph.groupAssignmentTargt',
    '#microsoft.graph.cloudPcManagementGroupAssignmentTarget',
    '#microsoft.graph.GroupAssignmentTarget',
    '#foo.groupAssignmentTarget',
    'groupAssignmentTarget',
    '##microsoft.graph.groupAssignmentTarget',
    '#microsoft.graph.complianceManagementPartner',
    '',
  ].map((t) => ({ name: JSON.stringify(t), body: { androidEnrollmentAssignments: asg({ '@odata.type': t }) }, mentions: ['target', ...(t ? [t.replace(/^#+/, '')] : [])] })),
);

defineRows('target property not defined on the named subtype -> 400 naming it', [
  { name: 'groupId on allDevicesAssignmentTarget', body: { macOsEnrollmentAssignments: asg(T('allDevicesAssignmentTarget', { groupId: randomUUID() })) }, mentions: ['groupId'] },
  { name: 'groupId on allLicensedUsersAssignmentTarget', body: { macOsEnrollmentAssignments: asg(T('allLicensedUsersAssignmentTarget', { groupId: randomUUID() })) }, mentions: ['groupId'] },
  { name: 'collectionId on groupAssignmentTarget', body: { iosEnrollmentAssignments: asg(T('groupAssignmentTarget', { collectionId: 'SMS00001' })) }, mentions: ['collectionId'] },
  { name: 'collectionId on exclusionGroupAssignmentTarget', body: { iosEnrollmentAssignments: asg(T('exclusionGroupAssignmentTarget', { collectionId: 'SMS00001' })) }, mentions: ['collectionId'] },
  {
    name: 'groupId on configurationManagerCollectionAssignmentTarget',
    body: { androidEnrollmentAssignments: asg(T('configurationManagerCollectionAssignmentTarget', { groupId: randomUUID() })) },
    mentions: ['groupId'],
  },
]);

// -- the entity's own @odata.type and id ----------------------------------------------------------
defineRows(
  'entity @odata.type that is not complianceManagementPartner -> 400',
  ['#microsoft.graph.user', '#microsoft.graph.deviceManagement', 'microsoft.graph.complianceManagementPartnerAssignment', '#microsoft.graph.groupAssignmentTarget', '#microsoft.graph.CompliancemanagementPartner', '#other.complianceManagementPartner'].map((t) => ({
    name: JSON.stringify(t),
    body: { '@odata.type': t, displayName: 'typed' },
    mentions: ['@odata.type', t.replace(/^#/, '')],
  })),
);

defineRows(
  'PATCH with an id differing from the URL -> 400 naming id',
  [
    { name: 'another GUID', body: () => ({ id: randomUUID(), displayName: 'moved' }), mentions: ['id'] },
    { name: 'not a GUID', body: { id: 'garbage', displayName: 'moved' }, mentions: ['id'] },
    { name: 'id null', body: { id: null }, mentions: ['id'] },
  ],
  { methods: ['PATCH'] },
);

// -- Content-Type and size -------------------------------------------------------------------------
defineRows(
  'non-JSON Content-Type -> 415 UnsupportedMediaType',
  ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x'].map((ct) => ({
    name: ct,
    body: { displayName: 'valid json, wrong type' },
    contentType: ct,
    status: 415,
    code: 'UnsupportedMediaType',
    wrapped: 'any',
  })),
);

describe('size limit (1 MiB)', () => {
  const big = () => `{"displayName":"${'x'.repeat(1024 * 1024 + 16)}"}`;

  test('a body over 1 MiB with Content-Length -> 413 RequestEntityTooLarge, nothing stored, still serving', async () => {
    for (const v of ['v1.0', 'beta']) {
      for (const method of ['POST', 'PATCH']) {
        const before = await snapshot(v);
        const p = method === 'POST' ? col(v) : item(v, fixtures[v].id);
        const r = await srv.request(method, p, { token: tok, body: big(), headers: { 'Content-Type': 'application/json' }, agent: false });
        assertGraphError(r, { status: 413, code: 'RequestEntityTooLarge', wrapped: 'any', scheme: 'https' });
        const afterSnap = await snapshot(v);
        assert.deepEqual(afterSnap, before);
      }
    }
    assertStatus(await srv.request('GET', '/healthz'), 200);
  });

  test('a chunked body over 1 MiB (no Content-Length) -> 413, nothing stored', async () => {
    const before = await snapshot('v1.0');
    const chunk = Buffer.from('x'.repeat(64 * 1024));
    const chunks = [Buffer.from('{"displayName":"')];
    for (let i = 0; i < 17; i++) chunks.push(chunk);
    chunks.push(Buffer.from('"}'));
    const r = await srv.request('POST', col('v1.0'), {
      token: tok,
      chunks,
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      agent: false,
    });
    assertGraphError(r, { status: 413, code: 'RequestEntityTooLarge', wrapped: 'any', scheme: 'https' });
    assert.deepEqual(await snapshot('v1.0'), before);
  });

  // A valid body padded with JSON whitespace to an exact size.
  const padded = (size) => {
    const head = '{"displayName":"padded"';
    return `${head}${' '.repeat(size - head.length - 1)}}`;
  };

  test('a valid body of exactly 1 MiB is accepted; one byte more -> 413', async () => {
    const exact = padded(1024 * 1024);
    assert.equal(Buffer.byteLength(exact), 1024 * 1024);
    const r = await srv.request('POST', col('v1.0'), { token: tok, body: exact, headers: { 'Content-Type': 'application/json' } });
    assertStatus(r, 201);
    assert.equal(r.json.displayName, 'padded');
    assertStatus(await srv.request('DELETE', item('v1.0', r.json.id), { token: tok }), 204);
    const before = await snapshot('v1.0');
    const over = await srv.request('POST', col('v1.0'), { token: tok, body: padded(1024 * 1024 + 1), headers: { 'Content-Type': 'application/json' }, agent: false });
    assertGraphError(over, { status: 413, code: 'RequestEntityTooLarge', wrapped: 'any', scheme: 'https' });
    assert.deepEqual(await snapshot('v1.0'), before);
  });
});

describe('limits of graph/json_in.h (GRAPH_MAX_STRING 4096 bytes, GRAPH_MAX_ASSIGNMENTS 1000)', () => {
  test('a 4096-byte string is accepted, 4097 bytes -> 400 naming the property', async () => {
    const ok = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'd'.repeat(4096) } });
    assertStatus(ok, 201);
    assert.equal(ok.json.displayName.length, 4096);
    assertStatus(await srv.request('DELETE', item('v1.0', ok.json.id), { token: tok }), 204);
    await expectRefused('v1.0', 'POST', { body: { displayName: 'd'.repeat(4097) }, mentions: ['displayName'] });
    await expectRefused('beta', 'PATCH', {
      body: { macOsEnrollmentAssignments: asg(T('configurationManagerCollectionAssignmentTarget', { collectionId: 'c'.repeat(4097) })) },
      mentions: ['collectionId'],
    });
  });

  test('1000 assignments are accepted, 1001 -> 400 naming the collection', async () => {
    const many = (n) => Array.from({ length: n }, (_, i) => ({ target: T('groupAssignmentTarget', { groupId: `g${i}` }) }));
    const ok = await srv.request('POST', col('v1.0'), { token: tok, body: { iosEnrollmentAssignments: many(1000) } });
    assertStatus(ok, 201);
    assert.equal(ok.json.iosEnrollmentAssignments.length, 1000);
    const g = await srv.request('GET', item('beta', ok.json.id), { token: tok });
    assert.equal(g.json.iosEnrollmentAssignments.length, 1000);
    assert.equal(g.json.iosEnrollmentAssignments[999].target.groupId, 'g999');
    assertStatus(await srv.request('DELETE', item('v1.0', ok.json.id), { token: tok }), 204);
    await expectRefused('v1.0', 'POST', { body: { iosEnrollmentAssignments: many(1001) }, mentions: ['iosEnrollmentAssignments'] });
  });
});

describe('connections survive refusals', () => {
  test('on one keep-alive connection: refused bodies, then valid requests, all answered in order', async () => {
    const https = (await import('node:https')).default;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: srv.ca });
    let connections = 0;
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (...args) => {
      connections++;
      return create(...args);
    };
    try {
      const send = async (method, p, body, status) => {
        const r = await srv.request(method, p, { token: tok, body, headers: { 'Content-Type': 'application/json' }, agent });
        assertStatus(r, status);
        return r;
      };
      await send('POST', col('v1.0'), '{"displayName": ', 400);
      await send('POST', col('v1.0'), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 400);
      await send('POST', col('v1.0'), deep(100), 400);
      await send('PATCH', item('v1.0', fixtures['v1.0'].id), JSON.stringify({ partnerState: 'active' }), 400);
      await send('POST', col('v1.0'), JSON.stringify({ foo: 1 }), 400);
      const ok = await send('GET', item('v1.0', fixtures['v1.0'].id), undefined, 200);
      assert.equal(ok.json.id, fixtures['v1.0'].id);
      assert.equal(connections, 1, 'a refused (complete) body must not cost the connection');
    } finally {
      agent.destroy();
    }
  });
});

describe('after all refusals', () => {
  test('the server still serves and holds exactly the two fixtures', async () => {
    assertStatus(await srv.request('GET', '/healthz'), 200);
    for (const v of ['v1.0', 'beta']) {
      const n = await srv.request('GET', countPath(v), { token: tok });
      assert.equal(n.text, '2');
    }
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.close();
  });
});
