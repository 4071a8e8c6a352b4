// Layer 46: the query options other than $filter (graph-conventions.md 4-5, spec 3.2, 3.3, 3.7):
// $select on list and get (exact @odata.context), $orderby (several keys, nulls, enums by member
// value, ties in creation order: the full id order compared with lib/odata.mjs), $top/$skip,
// $count and /$count, $format, $search, $expand, option names without '$' on beta and in other
// casing, repeated options, and every 400 - raw and through the Graph JavaScript client.

import assert from 'node:assert/strict';
import { after, before, describe, newTenant, startServer, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  assertGraphHeaders,
  assertStatus,
  col,
  contextCollection,
  contextEntity,
  item,
  PARTNER_STATES,
  renderEntity,
  stripAssignmentAnnotations,
  VERSIONS,
} from './lib/graph.mjs';
import { applyFilter, assertBadQuery, clientFailed, clientOk, countPathQ, seedDataset, expected, ids, listPath, runGraphClient, walk } from './lib/odata.mjs';

let srv;
let tok;
let base;
const partners = [];
const byName = (name) => partners.find((p) => p.displayName === name);

before(async () => {
  srv = await startServer();
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  base = srv.base('https');
  partners.push(...(await seedDataset(srv, tok)));
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

const get = (p) => srv.request('GET', p, { token: tok });

async function getOk(p) {
  const r = await get(p);
  assertStatus(r, 200);
  assertGraphHeaders(r, { scheme: 'https', kind: 'odata' });
  return r.json;
}

/** Partner `p` projected to `props` (id always), as the server must write it in version `v`. */
function projected(p, v, props) {
  const full = renderEntity(p, v, { context: false });
  const out = {};
  for (const k of new Set(['id', ...props])) out[k] = full[k];
  return out;
}

function assertProjectedItem(actual, p, v, props, what) {
  assert.ok(!('@odata.type' in actual), `${what}: no @odata.type in a projected item`);
  assert.deepEqual(Object.keys(actual).sort(), [...new Set(['id', ...props])].sort(), `${what}: members`);
  assert.deepEqual(stripAssignmentAnnotations(actual), projected(p, v, props), `${what}: values`);
}

// ------------------------------------------------------------------------------------------------

describe('$select', () => {
  const LIST_CASES = [
    { v: 'v1.0', select: 'id,displayName' },
    { v: 'v1.0', select: 'displayName' },
    { v: 'v1.0', select: 'displayName,id' },
    { v: 'v1.0', select: 'partnerState,lastHeartbeatDateTime,iosEnrollmentAssignments' },
    { v: 'v1.0', select: 'macOsOnboarded,androidOnboarded,iosOnboarded,macOsEnrollmentAssignments,androidEnrollmentAssignments' },
    { v: 'beta', select: 'linuxOnboarded,linuxEnrollmentAssignments,displayName' },
    { v: 'beta', select: 'iosEnrollmentAssignments' },
  ];
  for (const c of LIST_CASES) {
    test(`list ${c.v} $select=${c.select}: @odata.context …(${c.select}), id and the selected members only`, async () => {
      const body = await getOk(listPath(c.v, [['$select', c.select]]));
      assert.deepEqual(Object.keys(body), ['@odata.context', 'value']);
      assert.equal(body['@odata.context'], `${contextCollection(c.v)}(${c.select})`);
      assert.deepEqual(ids(body.value), ids(partners));
      const props = c.select.split(',');
      for (const [i, e] of body.value.entries()) assertProjectedItem(e, partners[i], c.v, props, `item ${i}`);
    });
  }

  test('get $select=id,displayName,partnerState -> …(id,displayName,partnerState)/$entity and those members (spec 3.3)', async () => {
    for (const v of VERSIONS) {
      const p = byName("O'Brien Partner");
      const body = await getOk(`${item(v, p.id)}?$select=id,displayName,partnerState`);
      assert.equal(Object.keys(body)[0], '@odata.context');
      assert.equal(body['@odata.context'], `${contextCollection(v)}(id,displayName,partnerState)/$entity`);
      const { '@odata.context': _c, ...rest } = body;
      assertProjectedItem(rest, p, v, ['id', 'displayName', 'partnerState'], `get ${v}`);
    }
  });

  test('get $select without id still returns id; the context echoes the list as written', async () => {
    const p = byName('All targets');
    const body = await getOk(`${item('v1.0', p.id)}?$select=macOsEnrollmentAssignments,displayName`);
    assert.equal(body['@odata.context'], `${contextCollection('v1.0')}(macOsEnrollmentAssignments,displayName)/$entity`);
    const { '@odata.context': _c, ...rest } = body;
    assertProjectedItem(rest, p, 'v1.0', ['macOsEnrollmentAssignments', 'displayName'], 'get');
  });

  test('get without $select keeps the plain …/$entity context', async () => {
    const p = byName('Alpha');
    const body = await getOk(item('v1.0', p.id));
    assert.equal(body['@odata.context'], contextEntity('v1.0'));
    assert.equal(body['@odata.type'], '#microsoft.graph.complianceManagementPartner');
  });

  test('$select with $filter and $orderby on a list', async () => {
    const f = "partnerState eq 'enabled'";
    const body = await getOk(listPath('v1.0', [['$filter', f], ['$orderby', 'displayName desc'], ['$select', 'displayName,partnerState']]));
    assert.equal(body['@odata.context'], `${contextCollection('v1.0')}(displayName,partnerState)`);
    const want = expected(partners, { filter: f, orderby: 'displayName desc' });
    assert.deepEqual(ids(body.value), ids(want));
    for (const [i, e] of body.value.entries()) assertProjectedItem(e, want[i], 'v1.0', ['displayName', 'partnerState'], `item ${i}`);
  });

  test('unknown, mis-cased, empty and beta-only names -> 400 naming them', async () => {
    const p = partners[0];
    const cases = [
      ['v1.0', 'foo', "'foo'"],
      ['v1.0', 'DisplayName', "'DisplayName'"],
      ['v1.0', 'id,foo', "'foo'"],
      ['v1.0', 'linuxOnboarded', "'linuxOnboarded'"],
      ['v1.0', 'id,displayName/foo', 'displayName/foo'],
      ['beta', 'target', "'target'"],
      ['v1.0', 'id,,displayName', '$select'],
      ['v1.0', '', '$select'],
    ];
    for (const [v, sel, frag] of cases) {
      assertBadQuery(await get(`${col(v)}?$select=${encodeURIComponent(sel)}`), frag, { scheme: 'https' });
      assertBadQuery(await get(`${item(v, p.id)}?$select=${encodeURIComponent(sel)}`), frag, { scheme: 'https' });
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('$orderby: the full order equals the evaluator\'s', () => {
  const CASES = [
    ['v1.0', 'displayName'],
    ['v1.0', 'displayName asc'],
    ['v1.0', 'displayName desc'],
    ['v1.0', 'partnerState'],
    ['v1.0', 'partnerState desc,displayName'],
    ['v1.0', 'lastHeartbeatDateTime'],
    ['v1.0', 'lastHeartbeatDateTime desc'],
    ['v1.0', 'iosOnboarded desc,partnerState,lastHeartbeatDateTime desc'],
    ['v1.0', 'macOsOnboarded, androidOnboarded desc, displayName desc'],
    ['v1.0', 'id'],
    ['v1.0', 'id desc'],
    ['v1.0', 'displayName desc,id'],
    ['v1.0', 'partnerState asc,lastHeartbeatDateTime desc,displayName,iosOnboarded'],
    ['beta', 'linuxOnboarded desc,displayName'],
    ['beta', 'displayName,partnerState desc'],
  ];
  for (const [v, orderby] of CASES) {
    test(`${v} $orderby=${orderby}`, async () => {
      const body = await getOk(listPath(v, [['$orderby', orderby], ['$select', 'id']]));
      assert.deepEqual(ids(body.value), ids(expected(partners, { orderby })), `$orderby=${orderby}`);
    });
  }

  test('with $filter: $filter=partnerState ne \'unknown\'&$orderby=lastHeartbeatDateTime desc,displayName', async () => {
    const filter = "partnerState ne 'unknown'";
    const orderby = 'lastHeartbeatDateTime desc,displayName';
    const body = await getOk(listPath('v1.0', [['$filter', filter], ['$orderby', orderby]]));
    assert.deepEqual(ids(body.value), ids(expected(partners, { filter, orderby })));
  });

  test('hand-checked: nulls first ascending and last descending; enums by member value; equal instants in creation order', async () => {
    const nulls = partners.filter((p) => p.displayName === null).length;
    const asc = (await getOk(listPath('v1.0', [['$orderby', 'displayName']]))).value;
    assert.ok(asc.slice(0, nulls).every((e) => e.displayName === null), 'nulls first ascending');
    assert.equal(asc[nulls].displayName, '', "then ''");
    const desc = (await getOk(listPath('v1.0', [['$orderby', 'displayName desc']]))).value;
    assert.ok(desc.slice(-nulls).every((e) => e.displayName === null), 'nulls last descending');
    assert.equal(desc[0].displayName, '😀 Smile', 'the largest code point first');
    const states = (await getOk(listPath('v1.0', [['$orderby', 'partnerState'], ['$select', 'partnerState']]))).value.map((e) => PARTNER_STATES.indexOf(e.partnerState));
    assert.deepEqual(states, [...states].sort((a, b) => a - b), 'partnerState by member value (unknown, unavailable, enabled, …), not by name');
    assert.ok(states.includes(1) && states.includes(2));
    const hb = (await getOk(listPath('v1.0', [['$orderby', 'lastHeartbeatDateTime'], ['$filter', 'lastHeartbeatDateTime ge 2026-11-01T08:14:59.9999999Z and lastHeartbeatDateTime le 2026-11-01T08:15:00.0000001Z']]))).value;
    const names = hb.map((e) => e.displayName);
    assert.equal(names[0], '日本語パートナー');
    assert.equal(names.at(-1), 'Ünïcödé ☃');
    const same = names.filter((n) => ['Contoso MDM', 'contoso mdm', 'CONTOSO', "O'Brien Partner"].includes(n));
    assert.deepEqual(same, ['Contoso MDM', 'contoso mdm', 'CONTOSO', "O'Brien Partner"], 'equal instants keep creation order');
  });

  test('invalid $orderby -> 400', async () => {
    const cases = [
      ['v1.0', 'foo', "'foo'"],
      ['v1.0', 'DisplayName', "'DisplayName'"],
      ['v1.0', 'iosEnrollmentAssignments', 'iosEnrollmentAssignments'],
      ['v1.0', 'displayName up', "'up'"],
      ['v1.0', 'displayName asc desc', 'displayName'],
      ['v1.0', 'displayName,displayName desc', 'displayName'],
      ['v1.0', 'displayName,', '$orderby'],
      ['v1.0', 'linuxOnboarded', "'linuxOnboarded'"],
      ['beta', 'linuxEnrollmentAssignments', 'linuxEnrollmentAssignments'],
      ['v1.0', '', '$orderby'],
    ];
    for (const [v, o, frag] of cases) assertBadQuery(await get(`${col(v)}?$orderby=${encodeURIComponent(o)}`), frag, { scheme: 'https' });
  });
});

// ------------------------------------------------------------------------------------------------

describe('$top and $skip', () => {
  test('$top=5: the first five; $top is the page size, so a nextLink continues with the next five', async () => {
    const body = await getOk(listPath('v1.0', [['$top', 5]]));
    assert.deepEqual(ids(body.value), ids(partners.slice(0, 5)));
    assert.equal(typeof body['@odata.nextLink'], 'string');
    const next = await getOk(body['@odata.nextLink'].slice(base.length));
    assert.deepEqual(ids(next.value), ids(partners.slice(5, 10)));
  });

  test('$top with $orderby and $filter', async () => {
    const q = { filter: 'displayName ne null', orderby: 'displayName desc' };
    const body = await getOk(listPath('v1.0', [['$filter', q.filter], ['$orderby', q.orderby], ['$top', 7]]));
    assert.deepEqual(ids(body.value), ids(expected(partners, { ...q, top: 7 })));
  });

  test('$top=0 -> no items', async () => {
    const body = await getOk(listPath('v1.0', [['$top', 0]]));
    assert.deepEqual(body.value, []);
  });

  test('$top at and above the page size (1000): every partner on one page', async () => {
    for (const top of [1000, 1001, 5000, '9223372036854775807']) {
      const body = await getOk(listPath('v1.0', [['$top', top]]));
      assert.deepEqual(ids(body.value), ids(partners), `$top=${top}`);
      assert.equal(body['@odata.nextLink'], undefined, `$top=${top}`);
    }
  });

  test('$skip skips on the first page', async () => {
    assert.deepEqual(ids((await getOk(listPath('v1.0', [['$skip', 10]]))).value), ids(partners.slice(10)));
    assert.deepEqual(ids((await getOk(listPath('v1.0', [['$skip', 0]]))).value), ids(partners));
    assert.deepEqual((await getOk(listPath('v1.0', [['$skip', 1000]]))).value, []);
    const o = 'partnerState,displayName desc';
    assert.deepEqual(ids((await getOk(listPath('v1.0', [['$orderby', o], ['$skip', 20]]))).value), ids(expected(partners, { orderby: o, skip: 20 })));
  });

  test('$skip=10&$top=5: items 10-14, and the nextLink continues at 15 (the skip is not applied again)', async () => {
    const o = 'lastHeartbeatDateTime desc';
    const all = expected(partners, { orderby: o });
    const { pages, items } = await walk(srv, listPath('v1.0', [['$orderby', o], ['$skip', 10], ['$top', 5]]), { token: tok });
    assert.deepEqual(ids(pages[0].value), ids(all.slice(10, 15)));
    assert.deepEqual(ids(pages[1].value), ids(all.slice(15, 20)));
    assert.deepEqual(ids(items), ids(all.slice(10)));
  });

  test('negative, non-numeric and overflowing $top/$skip -> 400 naming the option', async () => {
    for (const opt of ['$top', '$skip']) {
      for (const bad of ['-1', 'abc', '1.5', '1e3', '5x', '99999999999999999999', '18446744073709551616', '']) {
        assertBadQuery(await get(`${col('v1.0')}?${opt}=${encodeURIComponent(bad)}`), opt, { scheme: 'https' });
        assertBadQuery(await get(`${col('beta')}?${opt}=${encodeURIComponent(bad)}`), opt, { scheme: 'https' });
      }
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('$count', () => {
  test('$count=true -> @odata.count after @odata.context', async () => {
    const body = await getOk(listPath('v1.0', [['$count', 'true']]));
    assert.deepEqual(Object.keys(body), ['@odata.context', '@odata.count', 'value']);
    assert.equal(body['@odata.count'], partners.length);
  });

  test('$count=true with $filter and $top: all matches counted, before $top/$skip; member order context, count, nextLink, value; only on the first page', async () => {
    const f = "displayName ne null and partnerState ne 'unknown'";
    const n = applyFilter(partners, f).length;
    const first = await getOk(listPath('beta', [['$filter', f], ['$count', 'true'], ['$top', 4], ['$skip', 2]]));
    assert.deepEqual(Object.keys(first), ['@odata.context', '@odata.count', '@odata.nextLink', 'value']);
    assert.equal(first['@odata.count'], n);
    assert.deepEqual(ids(first.value), ids(applyFilter(partners, f).slice(2, 6)));
    const second = await getOk(first['@odata.nextLink'].slice(base.length));
    assert.equal(second['@odata.count'], undefined, 'no @odata.count after the first page');
    assert.equal(Object.keys(second)[0], '@odata.context');
  });

  test('$count=true&$top=0 -> the count and no items', async () => {
    const body = await getOk(listPath('v1.0', [['$count', 'true'], ['$top', 0]]));
    assert.equal(body['@odata.count'], partners.length);
    assert.deepEqual(body.value, []);
  });

  test('$count=false -> no @odata.count', async () => {
    const body = await getOk(listPath('v1.0', [['$count', 'false']]));
    assert.deepEqual(Object.keys(body), ['@odata.context', 'value']);
    assert.equal(body.value.length, partners.length);
  });

  test('$count other than true/false -> 400', async () => {
    for (const bad of ['yes', '1', '0', 'truee', '']) assertBadQuery(await get(`${col('v1.0')}?$count=${bad}`), '$count', { scheme: 'https' });
  });

  test('/$count -> text/plain, honouring $filter', async () => {
    for (const v of VERSIONS) {
      const all = await get(countPathQ(v));
      assertStatus(all, 200);
      assertGraphHeaders(all, { scheme: 'https', kind: 'text' });
      assert.equal(all.text, String(partners.length));
      for (const f of ["partnerState eq 'enabled'", 'displayName eq null', 'iosEnrollmentAssignments/any()', "displayName eq 'no such partner'"]) {
        const r = await get(countPathQ(v, [['$filter', f]]));
        assertStatus(r, 200);
        assertGraphHeaders(r, { scheme: 'https', kind: 'text' });
        assert.equal(r.text, String(applyFilter(partners, f).length), `${v} /$count?$filter=${f}`);
      }
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('$format, $search, $expand', () => {
  test('$format=json -> the same answer as without it (list and get)', async () => {
    const plain = await getOk(listPath('v1.0', [['$filter', 'iosOnboarded']]));
    const fmt = await getOk(listPath('v1.0', [['$filter', 'iosOnboarded'], ['$format', 'json']]));
    assert.deepEqual(fmt, plain);
    const p = partners[3];
    assert.deepEqual(await getOk(`${item('beta', p.id)}?$format=json`), await getOk(item('beta', p.id)));
  });

  test('$format other than json -> 400', async () => {
    for (const bad of ['xml', 'atom', 'csv']) {
      assertBadQuery(await get(`${col('v1.0')}?$format=${bad}`), '$format', { scheme: 'https' });
      assertBadQuery(await get(`${item('v1.0', partners[0].id)}?$format=${bad}`), '$format', { scheme: 'https' });
    }
  });

  test('$search -> 400 (list and /$count)', async () => {
    assertBadQuery(await get(listPath('v1.0', [['$search', 'contoso']])), '$search', { scheme: 'https' });
    assertBadQuery(await get(listPath('beta', [['$search', '"displayName:contoso"']])), '$search', { scheme: 'https' });
    assertBadQuery(await get(countPathQ('v1.0', [['$search', 'contoso']])), '$search', { scheme: 'https' });
  });

  test('$expand -> 400 for any value (list and get)', async () => {
    for (const e of ['iosEnrollmentAssignments', '*', 'foo', 'displayName']) {
      assertBadQuery(await get(listPath('v1.0', [['$expand', e]])), /./, { scheme: 'https' });
      assertBadQuery(await get(`${item('v1.0', partners[0].id)}?$expand=${encodeURIComponent(e)}`), /./, { scheme: 'https' });
    }
  });
});

// ------------------------------------------------------------------------------------------------

describe('option names', () => {
  test('beta: the $ may be omitted (filter, select, orderby, top, skip, count)', async () => {
    const f = "partnerState ne 'unknown'";
    const opts = [['filter', f], ['select', 'id,displayName'], ['orderby', 'displayName desc'], ['skip', 2], ['top', 6], ['count', 'true']];
    const without = await getOk(listPath('beta', opts));
    const withDollar = await getOk(listPath('beta', opts.map(([k, v]) => [`$${k}`, v])));
    assert.equal(without['@odata.context'], `${contextCollection('beta')}(id,displayName)`);
    assert.equal(without['@odata.count'], applyFilter(partners, f).length);
    assert.deepEqual(without.value, withDollar.value);
    assert.deepEqual(ids(without.value), ids(expected(partners, { filter: f, orderby: 'displayName desc', skip: 2, top: 6 })));
  });

  test('beta: /$count?filter= and get ?select= without $', async () => {
    const f = 'iosOnboarded';
    const c = await get(countPathQ('beta', [['filter', f]]));
    assertStatus(c, 200);
    assert.equal(c.text, String(applyFilter(partners, f).length));
    const p = partners[5];
    const g = await getOk(`${item('beta', p.id)}?select=displayName`);
    assert.equal(g['@odata.context'], `${contextCollection('beta')}(displayName)/$entity`);
  });

  test('v1.0: a name without $ is not a query option and is ignored', async () => {
    const body = await getOk(listPath('v1.0', [['filter', "displayName eq 'Alpha'"], ['top', 'abc'], ['select', 'foo'], ['count', 'maybe'], ['orderby', 'nothing']]));
    assert.deepEqual(Object.keys(body), ['@odata.context', 'value']);
    assert.equal(body['@odata.context'], contextCollection('v1.0'));
    assert.deepEqual(ids(body.value), ids(partners));
    const c = await get(countPathQ('v1.0', [['filter', 'nonsense']]));
    assertStatus(c, 200);
    assert.equal(c.text, String(partners.length));
  });

  test('option names are case-insensitive', async () => {
    const f = "partnerState eq 'enabled'";
    const body = await getOk(listPath('v1.0', [['$FILTER', f], ['$Select', 'id'], ['$OrderBy', 'displayName'], ['$TOP', 3], ['$Count', 'true']]));
    assert.equal(body['@odata.count'], applyFilter(partners, f).length);
    assert.deepEqual(ids(body.value), ids(expected(partners, { filter: f, orderby: 'displayName', top: 3 })));
    const beta = await getOk(listPath('beta', [['Filter', f], ['SKIP', 1]]));
    assert.deepEqual(ids(beta.value), ids(applyFilter(partners, f).slice(1)));
  });

  test('a repeated option -> 400 naming it', async () => {
    const cases = [
      ['v1.0', '$top=1&$top=2', '$top'],
      ['v1.0', '$top=1&$TOP=1', '$top'],
      ['v1.0', `$filter=iosOnboarded&$filter=${encodeURIComponent('not iosOnboarded')}`, '$filter'],
      ['v1.0', '$select=id&$select=displayName', '$select'],
      ['v1.0', '$orderby=id&$orderby=displayName', '$orderby'],
      ['v1.0', '$count=true&$count=true', '$count'],
      ['v1.0', '$skip=1&$skip=1', '$skip'],
      ['beta', '$top=1&top=1', '$top'],
      ['beta', 'filter=iosOnboarded&$filter=iosOnboarded', '$filter'],
    ];
    for (const [v, q, frag] of cases) assertBadQuery(await get(`${col(v)}?${q}`), frag, { scheme: 'https' });
  });
});

// ------------------------------------------------------------------------------------------------

describe('through the Graph JavaScript client', () => {
  let out;
  before(async () => {
    out = await runGraphClient(srv, tok, [
      { name: 'selectOrderTop', select: ['id', 'displayName'], orderby: 'displayName desc', top: 10 },
      { name: 'orderMulti', orderby: ['partnerState desc', 'lastHeartbeatDateTime'], top: 999 },
      { name: 'topSkip', top: 3, skip: 4, orderby: 'id' },
      { name: 'countTop', count: true, top: 2 },
      { name: 'countFalse', count: false },
      { name: 'getSelect', path: `/deviceManagement/complianceManagementPartners/${partners[0].id}`, select: 'id,displayName' },
      { name: 'betaNoDollar', version: 'beta', query: 'top=2&orderby=displayName' },
      { name: 'format', query: { $format: 'json' }, top: 1 },
      { name: 'expand', expand: 'iosEnrollmentAssignments' },
      { name: 'search', search: 'contoso' },
      { name: 'badTop', query: '$top=-1' },
      { name: 'badSelect', select: 'nope' },
    ]);
  });

  test('.select().orderby().top()', () => {
    const v = clientOk(out, 'selectOrderTop');
    assert.equal(v['@odata.context'], `https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners(id,displayName)`);
    assert.deepEqual(ids(v.value), ids(expected(partners, { orderby: 'displayName desc', top: 10 })));
    for (const e of v.value) assert.deepEqual(Object.keys(e).sort(), ['displayName', 'id']);
  });

  test('.orderby([two keys]) and .top(999): the whole list in order', () => {
    const v = clientOk(out, 'orderMulti');
    assert.deepEqual(ids(v.value), ids(expected(partners, { orderby: 'partnerState desc,lastHeartbeatDateTime' })));
  });

  test('.top(3).skip(4)', () => {
    assert.deepEqual(ids(clientOk(out, 'topSkip').value), ids(expected(partners, { orderby: 'id', skip: 4, top: 3 })));
  });

  test('.count(true).top(2) -> @odata.count; .count(false) -> none', () => {
    const v = clientOk(out, 'countTop');
    assert.equal(v['@odata.count'], partners.length);
    assert.equal(v.value.length, 2);
    assert.equal(clientOk(out, 'countFalse')['@odata.count'], undefined);
  });

  test('get .select() -> the projected entity', () => {
    const v = clientOk(out, 'getSelect');
    assert.equal(v['@odata.context'], `https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners(id,displayName)/$entity`);
    assert.equal(v.id, partners[0].id);
    assert.deepEqual(Object.keys(v).sort(), ['@odata.context', 'displayName', 'id']);
  });

  test('.version("beta").query("top=2&orderby=…") and .query({$format: "json"})', () => {
    assert.deepEqual(ids(clientOk(out, 'betaNoDollar').value), ids(expected(partners, { orderby: 'displayName', top: 2 })));
    assert.deepEqual(ids(clientOk(out, 'format').value), ids(partners.slice(0, 1)));
  });

  test('.expand(), .search(), a negative $top and an unknown $select -> GraphError 400 BadRequest', () => {
    for (const name of ['expand', 'search', 'badTop', 'badSelect']) {
      const e = clientFailed(out, name);
      assert.equal(e.statusCode, 400, name);
      assert.equal(e.code, 'BadRequest', name);
    }
  });
});

test('SIGTERM -> clean exit 0', async () => {
  await srv.close();
});
