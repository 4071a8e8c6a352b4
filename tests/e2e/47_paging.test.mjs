// Layer 47: server-driven paging with `cmpd serve --page-size 7` (graph-conventions.md 6): walks
// with and without $filter/$orderby/$select/$top/$skip/$count equal the evaluator's full ordered
// list (lib/odata.mjs); the shape of @odata.nextLink; tampered, foreign and re-used-with-other-
// options $skiptokens -> 400; keyset paging under concurrent creates, deletes and updates (every
// partner that existed throughout seen exactly once, none twice); the Graph JavaScript client's
// PageIterator.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, newTenant, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertStatus, col, COLLECTION, contextCollection, DEFAULTS, item, PARTNER_STATES } from './lib/graph.mjs';
import { applyFilter, applyOrderby, assertBadQuery, clientOk, seedDataset, expected, ids, listPath, qs, runGraphClient, walk } from './lib/odata.mjs';

const PAGE = 7;

let srv;
let tok;
const partners = [];

before(async () => {
  srv = await startServer({ args: ['--page-size', String(PAGE)] });
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  partners.push(...(await seedDataset(srv, tok)));
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

const TOKEN_RE = /^[^&#\s]+$/;

/**
 * Walk `query` (a query string, may be '') on version v and check every page: member order,
 * @odata.context, @odata.count on the first page only, full pages of `size` before the last, and
 * each nextLink = <base>/<v>/deviceManagement/complianceManagementPartners?<query>&$skiptoken=<t>.
 */
async function checkedWalk(v, query, { size = PAGE, scheme = 'https', count, context, token = tok } = {}) {
  const base = srv.base(scheme);
  const path = query ? `${col(v)}?${query}` : col(v);
  const { pages, items } = await walk(srv, path, { token, scheme });
  const prefix = `${base}/${v}${COLLECTION}?${query ? `${query}&` : ''}$skiptoken=`;
  pages.forEach((body, i) => {
    const last = i === pages.length - 1;
    const keys = ['@odata.context'];
    if (count !== undefined && i === 0) keys.push('@odata.count');
    if (!last) keys.push('@odata.nextLink');
    keys.push('value');
    assert.deepEqual(Object.keys(body), keys, `page ${i} members`);
    assert.equal(body['@odata.context'], context ?? contextCollection(v), `page ${i} @odata.context`);
    if (count !== undefined && i === 0) assert.equal(body['@odata.count'], count, '@odata.count on the first page');
    if (!last) {
      assert.equal(body.value.length, size, `page ${i} must hold ${size} items`);
      const link = body['@odata.nextLink'];
      assert.ok(link.startsWith(prefix), `nextLink of page ${i} must repeat the query verbatim:\n  ${link}\n  expected prefix ${prefix}`);
      assert.match(link.slice(prefix.length), TOKEN_RE, 'an opaque, URL-safe $skiptoken');
    } else assert.ok(body.value.length <= size, 'last page');
  });
  assert.ok(pages.length <= Math.ceil(items.length / size) + 1, `${pages.length} pages for ${items.length} items`);
  return { pages, items };
}

describe('walks equal the evaluator\'s full ordered list', () => {
  const CASES = [
    { v: 'v1.0', opts: {} },
    { v: 'beta', opts: {} },
    { v: 'v1.0', opts: { filter: "partnerState ne 'unknown'" } },
    { v: 'v1.0', opts: { orderby: 'displayName' } },
    { v: 'v1.0', opts: { orderby: 'displayName desc' } },
    { v: 'v1.0', opts: { orderby: 'partnerState desc,lastHeartbeatDateTime' } },
    { v: 'v1.0', opts: { orderby: 'lastHeartbeatDateTime' } },
    { v: 'v1.0', opts: { orderby: 'iosOnboarded,macOsOnboarded desc' } },
    { v: 'v1.0', opts: { orderby: 'id desc' } },
    { v: 'v1.0', opts: { orderby: 'partnerState,displayName desc,lastHeartbeatDateTime desc,iosOnboarded,id' } },
    { v: 'v1.0', opts: { filter: 'displayName ne null or iosOnboarded', orderby: 'displayName,partnerState desc' } },
    { v: 'v1.0', opts: { filter: "iosEnrollmentAssignments/any() or macOsEnrollmentAssignments/any(a: a/target/groupId ne 'g1')", orderby: 'lastHeartbeatDateTime desc' } },
    { v: 'beta', opts: { filter: 'linuxOnboarded or androidOnboarded', orderby: 'linuxOnboarded desc,displayName' } },
  ];
  for (const { v, opts } of CASES) {
    const query = qs([['$filter', opts.filter], ['$orderby', opts.orderby]]);
    test(`${v} ?${decodeURIComponent(query) || '(no options)'}`, async () => {
      const { items } = await checkedWalk(v, query);
      assert.deepEqual(ids(items), ids(expected(partners, opts)));
    });
  }

  test('$select: the projection on every page, the context with it', async () => {
    const opts = { filter: "displayName ne 'Alpha'", orderby: 'displayName desc' };
    const query = qs([['$select', 'displayName,partnerState'], ['$filter', opts.filter], ['$orderby', opts.orderby]]);
    const { items } = await checkedWalk('v1.0', query, { context: `${contextCollection('v1.0')}(displayName,partnerState)` });
    assert.deepEqual(ids(items), ids(expected(partners, opts)));
    for (const e of items) assert.deepEqual(Object.keys(e).sort(), ['displayName', 'id', 'partnerState']);
  });

  test('$count=true: @odata.count (every match) on the first page only', async () => {
    const opts = { filter: 'not iosOnboarded', orderby: 'partnerState' };
    const query = qs([['$count', 'true'], ['$filter', opts.filter], ['$orderby', opts.orderby]]);
    const want = expected(partners, opts);
    const { items } = await checkedWalk('v1.0', query, { count: want.length });
    assert.deepEqual(ids(items), ids(want));
  });

  test('$top=3: pages of three', async () => {
    const { items, pages } = await checkedWalk('v1.0', qs([['$orderby', 'displayName'], ['$top', 3]]), { size: 3 });
    assert.deepEqual(ids(items), ids(expected(partners, { orderby: 'displayName' })));
    assert.ok(pages.length >= Math.ceil(partners.length / 3));
  });

  test('$top above the page size is clamped to it', async () => {
    for (const top of [8, 50, 1000, 5000]) {
      const { items } = await checkedWalk('v1.0', qs([['$top', top]]), { size: PAGE });
      assert.deepEqual(ids(items), ids(partners), `$top=${top}`);
    }
  });

  test('$skip applies once, on the first page', async () => {
    const opts = { orderby: 'lastHeartbeatDateTime desc,id' };
    const { items, pages } = await checkedWalk('v1.0', qs([['$orderby', opts.orderby], ['$skip', 5]]));
    assert.deepEqual(ids(items), ids(expected(partners, { ...opts, skip: 5 })));
    assert.deepEqual(ids(pages[1].value), ids(expected(partners, opts).slice(5 + PAGE, 5 + 2 * PAGE)));
  });

  test('beta without $: filter=, orderby=, top=, count=', async () => {
    const opts = { filter: "partnerState ne 'enabled'", orderby: 'displayName desc' };
    const want = expected(partners, opts);
    const query = qs([['filter', opts.filter], ['orderby', opts.orderby], ['top', 4], ['count', 'true']]);
    const { items } = await checkedWalk('beta', query, { size: 4, count: want.length });
    assert.deepEqual(ids(items), ids(want));
  });

  test('over plain http the nextLink is http', async () => {
    const { items } = await checkedWalk('v1.0', qs([['$orderby', 'displayName']]), { scheme: 'http' });
    assert.deepEqual(ids(items), ids(expected(partners, { orderby: 'displayName' })));
  });

  test('a filter that matches nothing: one empty page, no nextLink', async () => {
    const { pages } = await checkedWalk('v1.0', qs([['$filter', "displayName eq 'nobody'"], ['$count', 'true']]), { count: 0 });
    assert.equal(pages.length, 1);
    assert.deepEqual(pages[0].value, []);
  });
});

// ------------------------------------------------------------------------------------------------

describe('$skiptoken: tampered, foreign, or with other query options -> 400 naming $skiptoken', () => {
  const Q = { filter: "partnerState ne 'unknown'", orderby: 'displayName desc,lastHeartbeatDateTime', select: 'id,displayName', top: 5 };
  const query = qs([['$filter', Q.filter], ['$orderby', Q.orderby], ['$select', Q.select], ['$top', Q.top], ['$count', 'true']]);
  let link; // the nextLink of page 1, relative to the base
  let token;

  before(async () => {
    const r = await srv.request('GET', `${col('v1.0')}?${query}`, { token: tok });
    assertStatus(r, 200);
    const base = srv.base('https');
    link = r.json['@odata.nextLink'].slice(base.length);
    token = /[?&]\$skiptoken=([^&]*)$/.exec(link)[1];
    assert.ok(token.length > 4);
  });

  const withToken = (t, q = query) => `${col('v1.0')}?${q}&$skiptoken=${t}`;
  const expectRefused = async (p, opts = {}) => assertBadQuery(await srv.request('GET', p, { token: opts.token || tok }), '$skiptoken', { scheme: 'https' });

  test('the token as returned works (control)', async () => {
    const r = await srv.request('GET', withToken(token), { token: tok });
    assertStatus(r, 200);
    assert.deepEqual(ids(r.json.value), ids(expected(partners, { filter: Q.filter, orderby: Q.orderby }).slice(5, 10)));
  });

  test('altered tokens', async () => {
    // change the top bit of one base64url digit (in the last digit the low bits may be padding)
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const flip = (s, i) => {
      const d = B64.indexOf(s[i]);
      return s.slice(0, i) + (d < 0 ? 'A' : B64[d ^ 32]) + s.slice(i + 1);
    };
    const variants = [
      flip(token, 0),
      flip(token, Math.floor(token.length / 2)),
      flip(token, token.length - 1),
      token.slice(0, -4),
      `${token}AA`,
      token.slice(1),
      'garbage',
      '!!!!',
      randomBytes(48).toString('base64url'),
      token.split('').reverse().join(''),
      '',
    ];
    for (const t of variants) await expectRefused(withToken(encodeURIComponent(t)));
  });

  test('a token used by another tenant', async () => {
    const other = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const made = await srv.request('POST', col('v1.0'), { token: other, body: { displayName: 'other tenant', partnerState: 'enabled' } });
    assertStatus(made, 201);
    await expectRefused(link, { token: other });
  });

  test('a token used with other query options', async () => {
    const others = [
      qs([['$filter', "partnerState ne 'enabled'"], ['$orderby', Q.orderby], ['$select', Q.select], ['$top', Q.top], ['$count', 'true']]),
      qs([['$orderby', Q.orderby], ['$select', Q.select], ['$top', Q.top], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$orderby', 'displayName,lastHeartbeatDateTime'], ['$select', Q.select], ['$top', Q.top], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$select', Q.select], ['$top', Q.top], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$orderby', Q.orderby], ['$select', 'id'], ['$top', Q.top], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$orderby', Q.orderby], ['$top', Q.top], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$orderby', Q.orderby], ['$select', Q.select], ['$top', 6], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$orderby', Q.orderby], ['$select', Q.select], ['$count', 'true']]),
      qs([['$filter', Q.filter], ['$orderby', Q.orderby], ['$select', Q.select], ['$top', Q.top]]),
      '',
    ];
    for (const q of others) await expectRefused(q ? withToken(token, q) : `${col('v1.0')}?$skiptoken=${token}`);
  });

  test('a token of an unfiltered walk used with a $filter', async () => {
    const r = await srv.request('GET', col('v1.0'), { token: tok });
    const t = /\$skiptoken=([^&]*)$/.exec(r.json['@odata.nextLink'])[1];
    const ok = await srv.request('GET', `${col('v1.0')}?$skiptoken=${t}`, { token: tok });
    assertStatus(ok, 200);
    await expectRefused(`${col('v1.0')}?${qs([['$filter', 'iosOnboarded']])}&$skiptoken=${t}`);
    await expectRefused(`${col('v1.0')}?${qs([['$orderby', 'id']])}&$skiptoken=${t}`);
  });
});

// ------------------------------------------------------------------------------------------------
// keyset paging under concurrent writes: each scenario in a fresh tenant of 40 partners

function seedValues(i) {
  const names = ['Kilo', 'alpha', null, 'Echo', 'delta', 'Bravo', 'Charlie', 'Alpha', 'echo', 'Foxtrot'];
  return {
    displayName: names[i % names.length] === null ? null : `${names[i % names.length]} ${String(i).padStart(2, '0')}`,
    partnerState: PARTNER_STATES[(i * 7) % PARTNER_STATES.length],
    lastHeartbeatDateTime: `2026-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:00:00${i % 3 ? 'Z' : '+02:00'}`,
    iosOnboarded: i % 3 === 0,
  };
}

describe('keyset paging under concurrent writes', () => {
  const SCENARIOS = [
    { name: 'no $orderby', opts: {} },
    { name: '$orderby=displayName (nulls first)', opts: { orderby: 'displayName' } },
    { name: '$filter and $orderby=displayName desc', opts: { filter: "partnerState ne 'rejected'", orderby: 'displayName desc' } },
    { name: '$orderby=lastHeartbeatDateTime desc,displayName with $top=4', opts: { orderby: 'lastHeartbeatDateTime desc,displayName' }, top: 4 },
    { name: '$orderby=partnerState,iosOnboarded (many ties)', opts: { orderby: 'partnerState,iosOnboarded' } },
  ];
  for (const sc of SCENARIOS) {
    test(sc.name, async () => {
      const t = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
      const model = new Map(); // id -> partner model
      let seq = 0;
      const create = async (values) => {
        const r = await srv.request('POST', col('v1.0'), { token: t, body: values });
        assertStatus(r, 201);
        const p = { ...DEFAULTS, ...values, id: r.json.id, seq: seq++ };
        model.set(p.id, p);
        return p;
      };
      const originals = [];
      for (let i = 0; i < 40; i++) originals.push(await create(seedValues(i)));
      const order = applyOrderby(applyFilter(originals, sc.opts.filter), sc.opts.orderby);

      const deleted = new Set();
      const createdDuring = new Set();
      const seen = [];
      let n = 0;
      const between = async () => {
        // after each page: two creates (sorting early and late), delete one unseen and one or two
        // seen originals, and update an unseen original outside the sort keys and the filter
        n++;
        for (const name of [`AAA new ${n}`, `zzz new ${n}`]) {
          const p = await create({ displayName: name, partnerState: n % 2 ? 'enabled' : 'rejected', lastHeartbeatDateTime: `2026-0${1 + (n % 9)}-15T12:00:00Z` });
          createdDuring.add(p.id);
        }
        const seenIds = new Set(seen.map((e) => e.id));
        const unseen = order.filter((p) => !seenIds.has(p.id) && !deleted.has(p.id));
        // on odd pages also the row the next page continues after (the cursor's own row)
        const victims = [unseen.at(-1), model.get(seen[Math.floor(seen.length / 2)]?.id), n % 2 ? model.get(seen.at(-1)?.id) : undefined].filter(
          (p) => p && !deleted.has(p.id) && !createdDuring.has(p.id),
        );
        for (const p of victims) {
          assertStatus(await srv.request('DELETE', item('v1.0', p.id), { token: t }), 204);
          deleted.add(p.id);
        }
        const survivor = unseen.find((p) => !deleted.has(p.id));
        if (survivor) assertStatus(await srv.request('PATCH', item('v1.0', survivor.id), { token: t, body: { androidOnboarded: n % 2 === 1, macOsEnrollmentAssignments: [] } }), 204);
      };
      const query = qs([['$filter', sc.opts.filter], ['$orderby', sc.opts.orderby], ['$top', sc.top]]);
      const size = sc.top || PAGE;
      const { items, pages } = await walk(srv, query ? `${col('v1.0')}?${query}` : col('v1.0'), {
        token: t,
        between: async (i, body) => {
          seen.push(...body.value);
          await between();
        },
      });
      assert.ok(pages.length >= 4, `${pages.length} pages`);
      const counts = new Map();
      for (const e of items) counts.set(e.id, (counts.get(e.id) || 0) + 1);
      for (const [id, c] of counts) assert.equal(c, 1, `${id} (${model.get(id)?.displayName}) seen ${c} times`);
      const throughout = order.filter((p) => !deleted.has(p.id));
      for (const p of throughout) assert.ok(counts.has(p.id), `${p.displayName} existed throughout and was not seen`);
      for (const e of items) assert.ok(model.has(e.id), `unknown id ${e.id}`);
      // the partners that existed throughout come in the evaluator's order
      const throughoutIds = new Set(throughout.map((p) => p.id));
      assert.deepEqual(ids(items.filter((e) => throughoutIds.has(e.id))), ids(throughout));
      // and everything seen matches the filter
      if (sc.opts.filter) assert.equal(applyFilter(items.map((e) => model.get(e.id)), sc.opts.filter).length, items.length);
      for (const [i, body] of pages.entries()) if (i < pages.length - 1) assert.ok(body.value.length <= size);
    });
  }
});

// ------------------------------------------------------------------------------------------------

describe("the Graph JavaScript client's PageIterator", () => {
  let out;
  const S = {
    all: {},
    filtered: { filter: "partnerState ne 'unknown' and displayName ne null", orderby: 'displayName desc', select: 'id,displayName' },
    top3: { filter: 'iosEnrollmentAssignments/any() or iosOnboarded', orderby: 'lastHeartbeatDateTime', top: 3 },
    beta: { version: 'beta', orderby: 'linuxOnboarded desc,partnerState', count: true },
  };
  before(async () => {
    out = await runGraphClient(
      srv,
      tok,
      Object.entries(S).map(([name, s]) => ({ name, iterate: true, ...s })),
    );
  });

  for (const [name, s] of Object.entries(S)) {
    test(`${name}: every page, in order`, () => {
      const v = clientOk(out, name);
      const want = expected(partners, { filter: s.filter, orderby: s.orderby });
      assert.deepEqual(v.ids, ids(want));
      assert.ok(v.complete, 'the iterator completed');
      const full = Math.ceil(want.length / (s.top || PAGE));
      assert.ok(v.pages >= full && v.pages <= full + 1, `${v.pages} pages fetched for ${want.length} items`);
      if (s.count) assert.equal(v.firstPage['@odata.count'], want.length);
    });
  }
});

test('SIGTERM -> clean exit 0', async () => {
  await srv.close();
});
