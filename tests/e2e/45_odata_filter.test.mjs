// Layer 45: $filter against an evaluator in the test.  A known data set (lib/odata.mjs dataset():
// null/empty/unicode/quoted names, every state, one instant written with four offsets and its
// neighbours one tick away, Booleans, assignments of every target kind, empty collections, beta
// linux properties and assignment filters) is created through the API in its own tenant; every
// valid expression of the table below is answered by the server (list and /$count, v1.0 and beta)
// and compared with lib/odata.mjs's evaluation of the same expression over the model; every
// invalid one must be a plain 400 BadRequest "Invalid filter clause…" naming a position.  A subset
// runs through the Graph JavaScript client's fluent API.

import assert from 'node:assert/strict';
import { after, before, describe, newTenant, randomUUID, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertCollection, assertGraphHeaders, assertStatus, col, contextCollection, VERSIONS } from './lib/graph.mjs';
import {
  applyFilter,
  assertBadQuery,
  clientFailed,
  clientOk,
  countPathQ,
  seedDataset,
  expected,
  ids,
  idSet,
  listPath,
  runGraphClient,
  SAME_INSTANT,
} from './lib/odata.mjs';

let srv;
let tok;
let base;
const partners = []; // models in creation order: {...values, id, seq}
const ctx = {
  byName(name) {
    const p = partners.find((x) => x.displayName === name);
    assert.ok(p, `no partner named ${name}`);
    return p;
  },
  sortedIds() {
    return partners.map((p) => p.id).sort();
  },
};

before(async () => {
  srv = await startServer();
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  base = srv.base('https');
  partners.push(...(await seedDataset(srv, tok)));
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

// Code-point position of the first occurrence of `sub` in `s` (ODataLib-style character offsets).
const posOf = (s, sub, from = 0) => {
  const i = s.indexOf(sub, from);
  assert.ok(i >= 0, `${sub} not in ${s}`);
  return [...s.slice(0, i)].length;
};

// ------------------------------------------------------------------------------------------------
// valid expressions.  f: the $filter (or a function of ctx, then `name` labels it); beta: only on
// beta; includes/excludes: displayNames the result must (not) hold, written by hand so the
// evaluator is checked too; all/empty: the result may be every partner / none.

const INSTANT_NAMES = ['Contoso MDM', 'contoso mdm', 'CONTOSO', "O'Brien Partner"];

const VALID = [
  // strings: equality, case, null, quotes, unicode, URL-sensitive characters
  { f: "displayName eq 'Contoso MDM'", includes: ['Contoso MDM'], excludes: ['contoso mdm', 'CONTOSO'] },
  { f: "displayName eq 'contoso mdm'", includes: ['contoso mdm'], excludes: ['Contoso MDM'] },
  { f: "displayName ne 'Contoso MDM'", includes: [null, 'contoso mdm', ''], excludes: ['Contoso MDM'] },
  { f: 'displayName eq null', includes: [null], excludes: ['', 'null'] },
  { f: 'displayName ne null', includes: ['', 'null'], excludes: [null] },
  { f: 'null eq displayName', includes: [null], excludes: [''] },
  { f: "displayName eq ''", includes: [''], excludes: [null] },
  { f: "displayName eq 'null'", includes: ['null'], excludes: [null] },
  { f: "displayName eq 'O''Brien Partner'", includes: ["O'Brien Partner"] },
  { f: "displayName eq 'It''s a ''test'''", includes: ["It's a 'test'"] },
  { f: "displayName eq 'a+b&c=d #1 %20/?'", includes: ['a+b&c=d #1 %20/?'] },
  { f: "displayName eq 'Ünïcödé ☃'", includes: ['Ünïcödé ☃'] },
  { f: "displayName eq '日本語パートナー'", includes: ['日本語パートナー'] },
  { f: "displayName eq '😀 Smile'", includes: ['😀 Smile'] },
  { f: "displayName gt 'Contoso'", includes: ['Contoso MDM', 'contoso mdm', 'zeta', '😀 Smile'], excludes: ['CONTOSO', 'Alpha', null] },
  { f: "displayName ge 'Contoso' and displayName lt 'Contoso MDM'", includes: ['Contoso'], excludes: ['Contoso MDM', 'CONTOSO'] },
  { f: "displayName lt 'a'", includes: ['A', 'Zeta', ''], excludes: ['alpha', null, 'Ünïcödé ☃'] },
  { f: "displayName le ''", includes: [''], excludes: [null, 'A'] },
  { f: "displayName gt 'zeta'", includes: ['Ünïcödé ☃', '日本語パートナー', '😀 Smile'], excludes: ['zeta', null] },
  { f: "'Alpha' eq displayName", includes: ['Alpha'], excludes: ['alpha'] },
  { f: "'M' lt displayName", includes: ["O'Brien Partner", 'alpha'], excludes: ['Alpha', null] },
  { f: "displayName in ('Alpha', 'alpha', 'Zeta')", includes: ['Alpha', 'alpha'], excludes: ['zeta', null] },
  { f: "displayName in ('Alpha', null)", includes: ['Alpha', null], excludes: ['alpha'] },
  { f: "not (displayName in ('Alpha', null))", includes: ['alpha', ''], excludes: ['Alpha', null] },
  // functions: case-sensitive ordinal, false on null
  { f: "startswith(displayName, 'Contoso')", includes: ['Contoso MDM', 'Contoso'], excludes: ['contoso mdm', 'CONTOSO'] },
  { f: "startswith(displayName, 'contoso')", includes: ['contoso mdm'], excludes: ['Contoso MDM'] },
  { f: "endswith(displayName, 'EU')", includes: ['Fabrikam EU'], excludes: ['Fabrikam (EU), Ltd.'] },
  { f: "contains(displayName, 'ab')", includes: ['Fabrikam (EU), Ltd.'], excludes: ['AB', 'ABC'] },
  { f: "contains(displayName, '☃')", includes: ['Ünïcödé ☃'] },
  { f: "startswith(displayName, '日本')", includes: ['日本語パートナー'] },
  { f: "contains(displayName, '''')", includes: ["O'Brien Partner", "It's a 'test'"], excludes: ['Alpha'] },
  { f: "startswith(displayName, '')", includes: ['', 'Alpha'], excludes: [null] },
  { f: "not startswith(displayName, 'C')", includes: [null, 'Alpha'], excludes: ['Contoso MDM', 'CONTOSO'] },
  { f: "endswith(displayName, '%20/?')", includes: ['a+b&c=d #1 %20/?'] },
  // enums, both literal forms, ordered by member value
  { f: "partnerState eq 'enabled'", includes: ['Contoso MDM', 'Alpha'], excludes: ['contoso mdm'] },
  { f: "partnerState eq microsoft.graph.deviceManagementPartnerTenantState'enabled'", includes: ['Contoso MDM', 'Alpha'], excludes: ['contoso mdm'] },
  { f: "partnerState ne 'unknown'", includes: ['Contoso MDM'], excludes: ['A', 'null'] },
  { f: "partnerState gt 'enabled'", includes: ['CONTOSO', "O'Brien Partner", '😀 Smile'], excludes: ['Contoso MDM', 'contoso mdm', 'A'] },
  { f: "partnerState le microsoft.graph.deviceManagementPartnerTenantState'unavailable'", includes: ['A', 'contoso mdm', 'AB'], excludes: ['Contoso MDM', 'ABC'] },
  { f: "partnerState in ('rejected', 'unresponsive')", includes: ["O'Brien Partner", 'Ünïcödé ☃', '😀 Smile', 'zeta'], excludes: ['CONTOSO'] },
  { f: "'terminated' lt partnerState", includes: ["O'Brien Partner", '😀 Smile'], excludes: ['CONTOSO'] },
  // DateTimeOffset: unquoted, compared as instants, 100 ns resolution
  { f: 'lastHeartbeatDateTime eq 2026-11-01T08:15:00Z', includes: INSTANT_NAMES, excludes: ['Ünïcödé ☃', '日本語パートナー'] },
  { f: `lastHeartbeatDateTime eq ${SAME_INSTANT[3]}`, includes: INSTANT_NAMES, excludes: ['Ünïcödé ☃', '日本語パートナー'] },
  { f: `lastHeartbeatDateTime eq ${SAME_INSTANT[2]}`, includes: INSTANT_NAMES, excludes: ['Ünïcödé ☃'] },
  { f: 'lastHeartbeatDateTime gt 2026-11-01T08:15:00Z', includes: ['Ünïcödé ☃'], excludes: [...INSTANT_NAMES, '日本語パートナー'] },
  { f: 'lastHeartbeatDateTime lt 2026-11-01T09:15:00+01:00', includes: ['日本語パートナー', 'Alpha'], excludes: [...INSTANT_NAMES, 'Ünïcödé ☃'] },
  { f: 'lastHeartbeatDateTime ge 2026-11-01T08:15:00.0000001Z', includes: ['Ünïcödé ☃'], excludes: INSTANT_NAMES },
  { f: 'lastHeartbeatDateTime le 2026-11-01T08:14:59.9999999Z', includes: ['日本語パートナー'], excludes: INSTANT_NAMES },
  { f: 'lastHeartbeatDateTime le 0001-01-01T00:00:00Z', includes: ['A', ''], excludes: INSTANT_NAMES },
  { f: 'lastHeartbeatDateTime gt 0001-01-01T00:00:00Z and lastHeartbeatDateTime lt 2025-01-01T00:00:00Z', includes: ['Alpha', 'alpha'], excludes: ['😀 Smile', 'A'] },
  { f: 'lastHeartbeatDateTime eq 2025-01-01T01:00:00+01:00', includes: ['😀 Smile'] },
  { f: 'lastHeartbeatDateTime eq 2024-02-29T20:00:00Z', includes: ['Alpha', 'alpha'] },
  { f: 'lastHeartbeatDateTime in (2026-11-01T08:15:00Z, 2025-01-01T00:00:00Z)', includes: [...INSTANT_NAMES, '😀 Smile'], excludes: ['Ünïcödé ☃'] },
  { f: 'lastHeartbeatDateTime ne 2026-11-01T08:15Z', includes: ['Ünïcödé ☃', 'A'], excludes: INSTANT_NAMES },
  { f: 'lastHeartbeatDateTime eq 2026-11-01T22:15:00+14:00', includes: INSTANT_NAMES, excludes: ['Ünïcödé ☃'] },
  { f: 'lastHeartbeatDateTime gt 2026-10-31T20:15:00-12:00', includes: ['Ünïcödé ☃'], excludes: [...INSTANT_NAMES, '日本語パートナー'] },
  { f: '2026-01-01T00:00:00Z lt lastHeartbeatDateTime', includes: [...INSTANT_NAMES, 'Ünïcödé ☃'], excludes: ['A', 'Alpha'] },
  // Booleans
  { f: 'iosOnboarded', includes: ['Contoso MDM', 'Group only'], excludes: ['contoso mdm'] },
  { f: 'not iosOnboarded', includes: ['contoso mdm'], excludes: ['Contoso MDM'] },
  { f: 'iosOnboarded eq true', includes: ['Contoso MDM'], excludes: ['contoso mdm'] },
  { f: 'iosOnboarded ne true', includes: ['contoso mdm'], excludes: ['Contoso MDM'] },
  { f: 'iosOnboarded eq false and macOsOnboarded', includes: ['日本語パートナー'], excludes: ['Contoso MDM'] },
  { f: 'macOsOnboarded or androidOnboarded', includes: ['Contoso MDM', 'contoso mdm'], excludes: ['A'] },
  // id
  { name: "id eq '<Alpha>'", f: (c) => `id eq '${c.byName('Alpha').id}'`, includes: ['Alpha'], excludes: ['alpha'] },
  { name: "id in ('<Alpha>', '<zeta>', '<unknown>')", f: (c) => `id in ('${c.byName('Alpha').id}', '${c.byName('zeta').id}', '${randomUUID()}')`, includes: ['Alpha', 'zeta'] },
  { name: "id gt '<the middle id>'", f: (c) => `id gt '${c.sortedIds()[30]}'` },
  { name: "id ne '<Alpha>' and startswith(displayName, 'A')", f: (c) => `id ne '${c.byName('Alpha').id}' and startswith(displayName, 'A')`, includes: ['A', 'AB'], excludes: ['Alpha'] },
  // and/or/not, parentheses, precedence
  { f: "partnerState eq 'enabled' and (iosOnboarded or macOsOnboarded)", includes: ['Contoso MDM', 'Fabrikam (EU), Ltd.'], excludes: ['Alpha'] },
  { f: "(partnerState eq 'enabled' and iosOnboarded) or macOsOnboarded", includes: ['Contoso MDM', '日本語パートナー'], excludes: ['Alpha'] },
  { f: "partnerState eq 'enabled' and iosOnboarded or macOsOnboarded", includes: ['Contoso MDM', '日本語パートナー'], excludes: ['Alpha'] },
  { f: "not (partnerState eq 'enabled' or partnerState eq 'rejected')", includes: ['contoso mdm', 'A'], excludes: ['Contoso MDM', "O'Brien Partner"] },
  { f: "not (displayName gt 'M')", includes: [null, 'Alpha'], excludes: ['alpha'] },
  { f: 'not not iosOnboarded', includes: ['Contoso MDM'], excludes: ['contoso mdm'] },
  { f: "((((displayName eq 'Alpha'))))", includes: ['Alpha'] },
  // lambdas over the assignment collections
  { f: 'iosEnrollmentAssignments/any()', includes: ['Contoso MDM', 'Case G1'], excludes: ['A'] },
  { f: 'not macOsEnrollmentAssignments/any()', includes: ['A', 'contoso mdm'], excludes: ['Contoso MDM', 'All targets'] },
  { f: "iosEnrollmentAssignments/any(a:a/target/microsoft.graph.groupAssignmentTarget/groupId eq 'g1')", includes: ['Exclusion only', 'Group only', 'Group and exclusion'], excludes: ['Case G1', 'Contoso MDM'] },
  { f: "iosEnrollmentAssignments/any(a:a/target/microsoft.graph.exclusionGroupAssignmentTarget/groupId eq 'g1')", includes: ['Exclusion only', 'Group and exclusion'], excludes: ['Group only'] },
  { f: "iosEnrollmentAssignments/any(a: a/target/groupId eq 'g1')", includes: ['Exclusion only', 'Group only', 'Group and exclusion'], excludes: ['Case G1'] },
  { f: "iosEnrollmentAssignments/any(a: a/target/groupId eq 'G1')", includes: ['Case G1'], excludes: ['Group only'] },
  { f: 'macOsEnrollmentAssignments/any(a: a/target/groupId eq null)', includes: ['All targets', 'Null ids'], excludes: ['Contoso MDM', 'A'] },
  { f: 'macOsEnrollmentAssignments/any(a: a/target/microsoft.graph.groupAssignmentTarget/groupId eq null)', includes: ['All targets', 'Null ids'], excludes: ['Contoso MDM'] },
  { f: "macOsEnrollmentAssignments/any(a: a/target/collectionId eq 'SMS00001')", includes: ['All targets'], excludes: ['Null ids'] },
  { f: 'macOsEnrollmentAssignments/any(a: a/target/microsoft.graph.configurationManagerCollectionAssignmentTarget/collectionId ne null)', includes: ['All targets'], excludes: ['Null ids', 'Contoso MDM'] },
  { f: "androidEnrollmentAssignments/all(a: a/target/groupId eq 'g1')", includes: ['All g1', "O'Brien Partner", 'A'], excludes: [] },
  { f: "androidEnrollmentAssignments/all(a: a/target/groupId eq 'g1') and androidEnrollmentAssignments/any()", includes: ['All g1', "O'Brien Partner"], excludes: ['A'] },
  { f: "androidEnrollmentAssignments/all(a: a/target/microsoft.graph.exclusionGroupAssignmentTarget/groupId eq 'g1')", includes: ["O'Brien Partner", 'A'], excludes: ['All g1'] },
  { f: "iosEnrollmentAssignments/any(a: a/target/groupId in ('g1', 'g2'))", includes: ['Group only', 'Group and exclusion'], excludes: ['Case G1'] },
  { f: "iosEnrollmentAssignments/any(a: startswith(a/target/groupId, 'g'))", includes: ['Group only'], excludes: ['Case G1', 'Contoso MDM'] },
  { f: "iosEnrollmentAssignments/any(a: a/target/groupId eq 'g1' and iosOnboarded)", includes: ['Group only'], excludes: ['Exclusion only'] },
  { f: "macOsEnrollmentAssignments/all(a: a/target/groupId ne 'g1')", includes: ['Null ids', 'A'], excludes: ['Contoso MDM', 'All targets'] },
  { f: "iosEnrollmentAssignments/any(a: not (a/target/groupId eq 'g1'))", includes: ['Contoso MDM', 'Group and exclusion', 'Case G1'], excludes: ['Group only', 'Exclusion only'] },
  { f: "iosEnrollmentAssignments/any() or androidEnrollmentAssignments/any(a: a/target/groupId eq 'g1')", includes: ['Contoso MDM', "O'Brien Partner"], excludes: ['A'] },
  { f: "macOsEnrollmentAssignments/any(a: a/target/collectionId eq 'SMS00001') and partnerState eq 'enabled'", includes: ['All targets'], excludes: ['Null ids'] },
  { f: "partnerState in (microsoft.graph.deviceManagementPartnerTenantState'enabled', 'rejected')", includes: ['Contoso MDM', "O'Brien Partner"], excludes: ['CONTOSO'] },
  { f: "startswith(displayName, 'a+b&')", includes: ['a+b&c=d #1 %20/?'] },
  { f: "displayName eq 'Alpha' or displayName eq 'zeta' or displayName eq 'A' or displayName eq ''", includes: ['Alpha', 'zeta', 'A', ''], excludes: ['alpha'] },
  { f: 'iosEnrollmentAssignments/any(a: iosOnboarded)', includes: ['Contoso MDM', 'Group only'], excludes: ['Case G1', 'Ünïcödé ☃'] },
  { f: "macOsEnrollmentAssignments/any(a: contains(a/target/collectionId, 'SMS'))", includes: ['All targets'], excludes: ['Null ids'] },
  { f: "iosEnrollmentAssignments/any(a: endswith(a/target/groupId, '1'))", includes: ['Case G1', 'Group only'], excludes: ['Contoso MDM'] },
  { f: "macOsEnrollmentAssignments/any(a: a/target/collectionId in ('SMS00002', null))", includes: ['All targets', 'Null ids', 'Contoso MDM'], excludes: ['A'] },
  { f: 'macOsEnrollmentAssignments/all(a: not (a/target/groupId eq null))', includes: ['Contoso MDM', 'A'], excludes: ['All targets', 'Null ids'] },
  { f: "iosEnrollmentAssignments/any(a: 'g1' eq a/target/groupId)", includes: ['Group only', 'Exclusion only'], excludes: ['Case G1'] },
  { f: "androidEnrollmentAssignments/any(x: x/target/microsoft.graph.groupAssignmentTarget/groupId ge 'g1' and x/target/groupId lt 'g2')", includes: ['All g1', "O'Brien Partner"], excludes: ['A'] },
  // beta only: linux properties and assignment filters
  { beta: true, f: 'linuxOnboarded', includes: ['CONTOSO', 'Linux filters'], excludes: ['Contoso MDM'] },
  { beta: true, f: 'linuxOnboarded eq false and displayName ne null', includes: ['Contoso MDM'], excludes: ['CONTOSO', null] },
  { beta: true, f: 'linuxEnrollmentAssignments/any()', includes: ['Linux filters', 'Linux include'], excludes: ['CONTOSO'] },
  { beta: true, f: "linuxEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq 'include')", includes: ['Linux filters', 'Linux include'] },
  { beta: true, f: "linuxEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType gt 'include')", includes: ['Linux filters'], excludes: ['Linux include'] },
  { beta: true, f: "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq microsoft.graph.deviceAndAppManagementAssignmentFilterType'exclude')", excludes: ['Contoso MDM'] },
  { beta: true, f: "linuxEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterId eq 'f1')", includes: ['Linux filters'], excludes: ['Linux include'] },
  { beta: true, f: 'iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterId eq null)', includes: ['Contoso MDM', 'Group only'] },
  { beta: true, f: "linuxEnrollmentAssignments/any(a: a/target/microsoft.graph.allDevicesAssignmentTarget/deviceAndAppManagementAssignmentFilterType eq 'include')", includes: ['Linux filters'], excludes: ['Linux include'] },
  { beta: true, f: "linuxEnrollmentAssignments/all(a: a/target/microsoft.graph.groupAssignmentTarget/deviceAndAppManagementAssignmentFilterType ne 'exclude')", includes: ['Linux include', 'A'], excludes: ['Linux filters'] },
  { beta: true, f: "linuxEnrollmentAssignments/all(a: a/target/deviceAndAppManagementAssignmentFilterType in ('include', 'exclude'))", includes: ['Linux include', 'A'], excludes: ['Linux filters'] },
  { beta: true, f: 'linuxEnrollmentAssignments/any(a: a/target/microsoft.graph.deviceAndAppManagementAssignmentTarget/deviceAndAppManagementAssignmentFilterId ne null)', includes: ['Linux filters'], excludes: ['Linux include'] },
];

const label = (row) => row.name || row.f;
const resolve = (row) => (typeof row.f === 'function' ? row.f(ctx) : row.f);

test('the data set is stored as the model says (list on v1.0 and beta)', async () => {
  assert.ok(partners.length >= 60, `${partners.length} partners`);
  for (const v of VERSIONS) {
    const r = await srv.request('GET', col(v), { token: tok });
    assertStatus(r, 200);
    assertCollection(r.json, partners, v);
  }
});

test(`the table holds at least 60 valid expressions (${VALID.length}) and every one discriminates`, () => {
  assert.ok(VALID.length >= 60);
  const seen = new Set();
  for (const row of VALID) {
    const f = resolve(row);
    assert.ok(!seen.has(f), `duplicate row ${f}`);
    seen.add(f);
    const got = applyFilter(partners, f);
    if (!row.empty) assert.ok(got.length > 0, `evaluator: ${f} selects nothing`);
    if (!row.all) assert.ok(got.length < partners.length, `evaluator: ${f} selects everything`);
    const names = new Set(got.map((p) => p.displayName));
    for (const n of row.includes || []) assert.ok(names.has(n), `evaluator: ${f} should select ${JSON.stringify(n)}`);
    for (const n of row.excludes || []) assert.ok(!names.has(n), `evaluator: ${f} should not select ${JSON.stringify(n)}`);
  }
});

describe('valid $filter over raw HTTP: list (exact ids, creation order) and /$count, v1.0 and beta', () => {
  for (const row of VALID) {
    test(label(row), async () => {
      const f = resolve(row);
      const want = applyFilter(partners, f);
      for (const v of row.beta ? ['beta'] : VERSIONS) {
        // v1.0: full entities; beta: projected to id (the filter applies the same either way)
        const pairs = v === 'v1.0' ? [['$filter', f]] : [['$filter', f], ['$select', 'id']];
        const r = await srv.request('GET', listPath(v, pairs), { token: tok });
        assertStatus(r, 200);
        assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
        const body = r.json;
        assert.equal(body['@odata.nextLink'], undefined, `one page expected: ${r}`);
        assert.deepEqual(ids(body.value), ids(want), `${v} $filter=${f}: ids (in creation order)`);
        const c = await srv.request('GET', countPathQ(v, [['$filter', f]]), { token: tok });
        assertStatus(c, 200);
        assertGraphHeaders(c, { scheme: 'https', kind: 'text' });
        assert.equal(c.text, String(want.length), `${v} /$count?$filter=${f}`);
      }
    });
  }
});

describe('hand-checked answers (independent of the evaluator)', () => {
  test('one instant written with four offsets: eq any spelling finds all four, and only instants equal to it', async () => {
    for (const spelling of SAME_INSTANT) {
      const r = await srv.request('GET', listPath('v1.0', [['$filter', `lastHeartbeatDateTime eq ${spelling}`]]), { token: tok });
      assertStatus(r, 200);
      const names = r.json.value.map((e) => e.displayName);
      for (const n of INSTANT_NAMES) assert.ok(names.includes(n), `${spelling}: ${n} missing from ${JSON.stringify(names)}`);
      for (const e of r.json.value) assert.equal(Date.parse(e.lastHeartbeatDateTime), Date.parse(SAME_INSTANT[0]), `${e.lastHeartbeatDateTime} is not the instant`);
    }
  });

  test("displayName ne 'x' includes the null displayNames; gt/lt never match null", async () => {
    const nulls = partners.filter((p) => p.displayName === null).length;
    assert.ok(nulls >= 3);
    const ne = await srv.request('GET', listPath('v1.0', [['$filter', "displayName ne 'Alpha'"]]), { token: tok });
    assert.equal(ne.json.value.filter((e) => e.displayName === null).length, nulls);
    assert.equal(ne.json.value.length, partners.length - 1);
    for (const op of ['gt', 'lt', 'ge', 'le']) {
      const r = await srv.request('GET', listPath('v1.0', [['$filter', `displayName ${op} 'M'`]]), { token: tok });
      assertStatus(r, 200);
      assert.equal(r.json.value.filter((e) => e.displayName === null).length, 0, `displayName ${op} 'M' matched a null`);
    }
  });

  test('a cast to groupAssignmentTarget also matches exclusionGroupAssignmentTarget', async () => {
    const r = await srv.request('GET', listPath('v1.0', [['$filter', "iosEnrollmentAssignments/any(a:a/target/microsoft.graph.groupAssignmentTarget/groupId eq 'g1')"]]), { token: tok });
    const names = r.json.value.map((e) => e.displayName);
    assert.ok(names.includes('Exclusion only'), JSON.stringify(names));
    assert.ok(names.includes('Group only'), JSON.stringify(names));
    assert.ok(!names.includes('Case G1'), 'groupId comparison is case-sensitive');
  });

  test('all() over an empty collection is true; any() is false', async () => {
    const a = await srv.request('GET', listPath('v1.0', [['$filter', "macOsEnrollmentAssignments/all(a: a/target/groupId eq 'nothing')"]]), { token: tok });
    const empty = partners.filter((p) => p.macOsEnrollmentAssignments.length === 0);
    assert.deepEqual(idSet(a.json.value), idSet(empty));
    const b = await srv.request('GET', listPath('v1.0', [['$filter', 'macOsEnrollmentAssignments/any()']]), { token: tok });
    assert.deepEqual(idSet(b.json.value), idSet(partners.filter((p) => p.macOsEnrollmentAssignments.length > 0)));
  });

  test('$count=true carries the number of matches', async () => {
    const f = "partnerState eq 'enabled' or displayName eq null";
    const r = await srv.request('GET', listPath('v1.0', [['$filter', f], ['$count', 'true']]), { token: tok });
    assertStatus(r, 200);
    assert.deepEqual(Object.keys(r.json), ['@odata.context', '@odata.count', 'value']);
    assert.equal(r.json['@odata.context'], contextCollection('v1.0'));
    assert.equal(r.json['@odata.count'], applyFilter(partners, f).length);
  });
});

// ------------------------------------------------------------------------------------------------
// invalid expressions: 400 BadRequest, plain "Invalid filter clause…", a position
// pos: the exact position (a number, or [substring] whose code-point offset it is, or 'end');
// frag: a fragment of the message; v1: only on v1.0 (valid on beta).

const DEEP_PARENS = `${'('.repeat(40)}displayName eq 'x'${')'.repeat(40)}`;
const DEEP_NOTS = `${'not '.repeat(40)}iosOnboarded`;
const MANY_TERMS = Array.from({ length: 200 }, () => 'iosOnboarded').join(' or ');
const MANY_IN = `displayName in (${Array.from({ length: 150 }, (_, i) => `'v${i}'`).join(',')})`;
const TOO_LONG = `displayName eq '${'x'.repeat(5000)}'`;

const INVALID = [
  // unknown properties (names are case-sensitive)
  { f: "foo eq 'x'", frag: "'foo'", pos: 0 },
  { f: "displayname eq 'x'", frag: "'displayname'", pos: 0 },
  { f: "displayName eq 'x' and foo eq 'y'", frag: "'foo'", pos: ['foo'] },
  { f: "displayName eq '☃😀' and bar eq 1", frag: "'bar'", pos: ['bar'] },
  { f: "id eq 'x' or iosonboarded", frag: "'iosonboarded'", pos: ['iosonboarded'] },
  // type mismatches
  { f: 'displayName eq 1', frag: 'displayName', pos: ['1'] },
  { f: "iosOnboarded eq 'true'", frag: 'iosOnboarded', pos: ["'true'"] },
  { f: "lastHeartbeatDateTime gt '2026-11-01T08:15:00Z'", frag: 'lastHeartbeatDateTime', pos: ["'"] },
  { f: 'partnerState eq 2', frag: 'partnerState', pos: ['2'] },
  { f: 'partnerState eq true', frag: 'partnerState', pos: ['true'] },
  { f: 'displayName eq 2026-11-01T08:15:00Z', frag: 'displayName', pos: ['2026'] },
  { f: "partnerState eq microsoft.graph.deviceAndAppManagementAssignmentFilterType'none'", frag: 'partnerState', pos: ['microsoft'] },
  // unknown enum members (case-sensitive)
  { f: "partnerState eq 'active'", frag: "'active'", pos: ["'active'"] },
  { f: "partnerState eq 'Enabled'", frag: "'Enabled'", pos: ["'Enabled'"] },
  { f: "partnerState eq microsoft.graph.deviceManagementPartnerTenantState'bogus'", frag: 'bogus', pos: ['microsoft'] },
  { f: "partnerState in ('enabled', 'nope')", frag: "'nope'", pos: ["'nope'"] },
  // unsupported functions and operators
  { f: "tolower(displayName) eq 'x'", frag: 'tolower', pos: 0 },
  { f: 'length(displayName) eq 3', frag: 'length', pos: 0 },
  { f: "substringof('x', displayName)", frag: 'substringof', pos: 0 },
  { f: "iosOnboarded and toupper(displayName) eq 'X'", frag: 'toupper', pos: ['toupper'] },
  { f: "partnerState has 'enabled'", frag: 'has', pos: ['has'] },
  { f: "startswith(partnerState, 'en')", frag: 'startswith', pos: ['partnerState'] },
  // syntax errors
  { f: 'displayName eq', pos: 'end' },
  { f: "displayName eq 'x' and", pos: 'end' },
  { f: "(displayName eq 'x'", pos: 'end' },
  { f: "displayName eq 'x')", pos: [')'] },
  { f: "displayName eq 'unterminated", pos: ["'"] },
  { f: "displayName = 'x'", pos: ['='] },
  { f: "displayName EQ 'x'", pos: ['EQ'] },
  { f: "displayName eq 'x' AND iosOnboarded", pos: ['AND'] },
  { f: "displayName eq 'x' 'y'", pos: ["'y'"] },
  { f: 'displayName in ()', pos: [')'] },
  { f: "displayName eq 'a' or or iosOnboarded", pos: ['or', 22] },
  { f: ' ', pos: 'end' },
  // null, conditions and operands in the wrong place
  { f: 'displayName gt null', frag: 'null', pos: ['null'] },
  { f: 'iosOnboarded eq null', frag: 'iosOnboarded', pos: ['null'] },
  { f: 'partnerState ne null', frag: 'partnerState', pos: ['null'] },
  { f: 'displayName eq id', pos: ['eq'] },
  { f: 'displayName', frag: 'displayName', pos: 0 },
  { f: "'x' eq 'x'", pos: ['eq'] },
  { f: 'lastHeartbeatDateTime gt 2026-13-01T00:00:00Z', frag: '2026-13-01T00:00:00Z', pos: ['2026'] },
  { f: 'lastHeartbeatDateTime gt 2026-11-01T08:15:00', frag: '2026-11-01T08:15:00', pos: ['2026'] },
  { f: 'lastHeartbeatDateTime eq 2026-11-01T08:15:00+15:00', frag: '2026-11-01T08:15:00+15:00', pos: ['2026'] },
  // lambdas
  { f: 'iosEnrollmentAssignments eq null', frag: 'iosEnrollmentAssignments', pos: 0 },
  { f: 'iosEnrollmentAssignments/all()', frag: 'all', pos: [')'] },
  { f: 'iosEnrollmentAssignments/any(a: macOsEnrollmentAssignments/any())', frag: 'ested', pos: ['macOs'] },
  { f: "a/target/groupId eq 'g1'", frag: "'a'", pos: 0 },
  { f: "iosEnrollmentAssignments/any(a: a/target/microsoft.graph.fooTarget/groupId eq 'g1')", frag: 'microsoft.graph.fooTarget', pos: ['microsoft'] },
  { f: "iosEnrollmentAssignments/any(a: a/target/microsoft.graph.allDevicesAssignmentTarget/groupId eq 'g1')", frag: 'groupId', pos: ['groupId'] },
  { f: "iosEnrollmentAssignments/any(a: a/target/microsoft.graph.groupAssignmentTarget/collectionId eq 'c')", frag: 'collectionId', pos: ['collectionId'] },
  { f: 'iosEnrollmentAssignments/any(a: a/target/foo eq 1)', frag: "'foo'", pos: ['foo'] },
  { f: "iosEnrollmentAssignments/any(a: b/target/groupId eq 'g1')", frag: "'b'", pos: ['b/'] },
  { f: "iosEnrollmentAssignments/some(a: a/target/groupId eq 'g1')", frag: 'some', pos: ['some'] },
  // beta-only names on v1.0
  { v1: true, f: 'linuxOnboarded eq true', frag: "'linuxOnboarded'", pos: 0 },
  { v1: true, f: 'linuxEnrollmentAssignments/any()', frag: "'linuxEnrollmentAssignments'", pos: 0 },
  { v1: true, f: "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq 'none')", frag: 'deviceAndAppManagementAssignmentFilterType', pos: ['device'] },
  { v1: true, f: "iosEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterId eq 'f1')", frag: 'deviceAndAppManagementAssignmentFilterId', pos: ['device'] },
  // beta: enum member of the filter type, its non-nullability
  { beta: true, f: "linuxEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq 'maybe')", frag: "'maybe'", pos: ["'maybe'"] },
  { beta: true, f: 'linuxEnrollmentAssignments/any(a: a/target/deviceAndAppManagementAssignmentFilterType eq null)', frag: 'deviceAndAppManagementAssignmentFilterType', pos: ['null'] },
  // limits
  { name: 'nested 40 parentheses deep', f: DEEP_PARENS },
  { name: "40 nested 'not'", f: DEEP_NOTS },
  { name: '200 terms joined by or', f: MANY_TERMS },
  { name: "'in' with 150 values", f: MANY_IN },
  { name: 'an expression of 5000+ bytes', f: TOO_LONG, noPos: true },
];

function expectedPos(row) {
  if (row.pos === undefined) return undefined;
  if (typeof row.pos === 'number') return row.pos;
  if (row.pos === 'end') return [...row.f].length;
  const [sub, from = 0] = row.pos;
  return posOf(row.f, sub, from);
}

function assertInvalid(res, row) {
  const text = assertBadQuery(res, /^Invalid filter clause/, { wrapped: false });
  if (!row.noPos) assert.match(text, /position \d+/, `the message must name a position: ${text}`);
  const pos = expectedPos(row);
  if (pos !== undefined) assert.match(text, new RegExp(`position ${pos}\\b`), `position ${pos} expected: ${text}`);
  if (row.frag) assert.ok(text.toLowerCase().includes(row.frag.toLowerCase()), `message ${JSON.stringify(text)} should mention ${JSON.stringify(row.frag)}`);
}

describe('invalid $filter -> 400 BadRequest "Invalid filter clause…" naming the position', () => {
  for (const row of INVALID) {
    test(row.name || row.f, async () => {
      const versions = row.v1 ? ['v1.0'] : row.beta ? ['beta'] : VERSIONS;
      for (const v of versions) {
        assertInvalid(await srv.request('GET', listPath(v, [['$filter', row.f]]), { token: tok }), row);
        assertInvalid(await srv.request('GET', countPathQ(v, [['$filter', row.f]]), { token: tok }), row);
      }
      if (row.v1) {
        const b = await srv.request('GET', listPath('beta', [['$filter', row.f]]), { token: tok });
        assertStatus(b, 200);
      }
    });
  }

  test("a '+' sent unencoded in an offset is a space after decoding -> 400 naming a position", async () => {
    const r = await srv.request('GET', `${col('v1.0')}?$filter=lastHeartbeatDateTime%20eq%202026-11-01T09:15:00+01:00`, { token: tok });
    const text = assertBadQuery(r, /^Invalid filter clause/, { wrapped: false });
    assert.match(text, /position \d+/);
  });

  test('$filter with no value -> 400', async () => {
    assertBadQuery(await srv.request('GET', `${col('v1.0')}?$filter=`, { token: tok }), '$filter');
  });
});

// ------------------------------------------------------------------------------------------------
// the Graph JavaScript client's fluent API

const CLIENT_ROWS = [
  "displayName eq 'Contoso MDM'",
  "displayName ne 'Contoso MDM'",
  'displayName eq null',
  "displayName eq 'O''Brien Partner'",
  "displayName eq 'Ünïcödé ☃'",
  "startswith(displayName, 'Contoso')",
  "partnerState eq microsoft.graph.deviceManagementPartnerTenantState'enabled'",
  "partnerState gt 'enabled'",
  'lastHeartbeatDateTime eq 2026-11-01T08:15:00Z',
  'lastHeartbeatDateTime lt 2026-11-01T03:15:00-05:00',
  'iosOnboarded',
  "not (partnerState eq 'enabled' or partnerState eq 'rejected')",
  "iosEnrollmentAssignments/any(a:a/target/microsoft.graph.groupAssignmentTarget/groupId eq 'g1')",
  "androidEnrollmentAssignments/all(a: a/target/groupId eq 'g1')",
  'macOsEnrollmentAssignments/any()',
];

describe('through the Graph JavaScript client', () => {
  let out;
  const combo = { filter: "partnerState ne 'unknown' and displayName ne null", select: ['id', 'displayName', 'partnerState'], orderby: 'displayName desc', top: 5 };
  before(async () => {
    const steps = [];
    CLIENT_ROWS.forEach((f, i) => {
      steps.push({ name: `f${i}`, filter: f });
      steps.push({ name: `c${i}`, path: '/deviceManagement/complianceManagementPartners/$count', filter: f });
    });
    steps.push({ name: 'betaLinux', version: 'beta', filter: 'linuxEnrollmentAssignments/any()', select: 'id,linuxOnboarded' });
    steps.push({ name: 'combo', ...combo, count: true });
    steps.push({ name: 'encodedPlus', filter: encodeURIComponent('lastHeartbeatDateTime eq 2026-11-01T13:45:00+05:30') });
    steps.push({ name: 'unknownProperty', filter: "foo eq 'x'" });
    steps.push({ name: 'tolower', filter: "tolower(displayName) eq 'x'" });
    steps.push({ name: 'betaOnlyOnV1', filter: 'linuxOnboarded' });
    out = await runGraphClient(srv, tok, steps);
  });

  test(`.filter(): ${CLIENT_ROWS.length} expressions return the evaluator's ids in creation order`, () => {
    CLIENT_ROWS.forEach((f, i) => {
      const v = clientOk(out, `f${i}`);
      assert.deepEqual(ids(v.value), ids(applyFilter(partners, f)), `.filter(${JSON.stringify(f)})`);
    });
  });

  test('.api(…/$count).filter(): the number of matches', () => {
    CLIENT_ROWS.forEach((f, i) => {
      assert.equal(String(clientOk(out, `c${i}`)), String(applyFilter(partners, f).length), `$count .filter(${JSON.stringify(f)})`);
    });
  });

  test('.version("beta").filter().select(): beta-only properties', () => {
    const v = clientOk(out, 'betaLinux');
    const want = applyFilter(partners, 'linuxEnrollmentAssignments/any()');
    assert.deepEqual(ids(v.value), ids(want));
    assert.equal(v['@odata.context'], `https://graph.microsoft.com/beta/$metadata#deviceManagement/complianceManagementPartners(id,linuxOnboarded)`);
    for (const e of v.value) assert.deepEqual(Object.keys(e).sort(), ['id', 'linuxOnboarded']);
  });

  test('.filter().select().orderby().top().count(): first page, count, projection, nextLink', () => {
    const v = clientOk(out, 'combo');
    const all = expected(partners, { filter: combo.filter, orderby: combo.orderby });
    assert.equal(v['@odata.count'], all.length);
    assert.deepEqual(ids(v.value), ids(all.slice(0, 5)));
    assert.equal(v['@odata.context'], `https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners(id,displayName,partnerState)`);
    for (const e of v.value) assert.deepEqual(Object.keys(e).sort(), ['displayName', 'id', 'partnerState']);
    assert.equal(typeof v['@odata.nextLink'], 'string', 'more matches than $top: a nextLink');
  });

  test('.filter(encodeURIComponent(…)) with a + offset', () => {
    const v = clientOk(out, 'encodedPlus');
    assert.deepEqual(ids(v.value), ids(applyFilter(partners, 'lastHeartbeatDateTime eq 2026-11-01T08:15:00Z')));
  });

  test('invalid filters arrive as GraphError 400 BadRequest "Invalid filter clause…"', () => {
    for (const name of ['unknownProperty', 'tolower', 'betaOnlyOnV1']) {
      const e = clientFailed(out, name);
      assert.equal(e.statusCode, 400, name);
      assert.equal(e.code, 'BadRequest', name);
      assert.match(e.message, /^Invalid filter clause.*position \d+/, name);
    }
  });
});

test('SIGTERM -> clean exit 0', async () => {
  await srv.close();
});
