// Layer 52: the data tools - `cmpd export` / `cmpd import` (JSON lines, one partner per line:
// {"tenantId":"…","partner":{…the beta entity…}}), `cmpd tenant reset TID` and
// `cmpd serve --seed FILE`.  Every check goes through the real binary and real HTTP: an export
// imported into a fresh store answers byte-identical GETs and listings (but for the server's own
// base URL in @odata.context), ids kept; import is all-or-nothing with --on-conflict
// fail|skip|replace; a bad line is refused with its number and nothing is written; a reset
// touches one tenant only; a seed is loaded before the listeners open and again, idempotently, at
// every restart.  Runs on SQLite and (CMPD_E2E_STORE=postgres) PostgreSQL.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, BIN, createDatabase, describe, newTenant, startServer, STORE_KIND, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertStatus, col, item, VERSIONS } from './lib/graph.mjs';

let tmp;
let n = 0;
const servers = [];

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cmpd-e2e-data-'));
});
after(async () => {
  for (const s of servers) await s.destroy().catch(() => {});
  if (tmp && !process.env.CMPD_E2E_KEEP) await rm(tmp, { recursive: true, force: true });
});

const file = (name) => path.join(tmp, `${++n}-${name}`);

async function serve(args = []) {
  const s = await startServer({ listeners: ['http'], args });
  servers.push(s);
  return s;
}

const tokens = new Map();
async function tok(srv, tenant) {
  const key = `${srv.dataDir} ${tenant}`;
  if (!tokens.has(key)) tokens.set(key, await srv.token({ tenant, roles: ADMIN_ROLES }));
  return tokens.get(key);
}

async function create(srv, tenant, v, body) {
  const r = await srv.request('POST', col(v), { token: await tok(srv, tenant), body });
  assertStatus(r, 201);
  return r.json.id;
}

/** A response's text with the server's base URL taken out (the rest must match byte for byte). */
async function text(srv, tenant, p) {
  const r = await srv.request('GET', p, { token: await tok(srv, tenant) });
  assertStatus(r, 200);
  return r.text.split(srv.base('http')).join('BASE');
}

/** Every listing and every GET of `tenant` in both versions, as text. */
async function snapshot(srv, tenant, ids) {
  const out = {};
  for (const v of VERSIONS) {
    out[`list ${v}`] = await text(srv, tenant, col(v));
    for (const id of ids) out[`${v} ${id}`] = await text(srv, tenant, item(v, id));
  }
  return out;
}

async function count(srv, tenant) {
  const r = await srv.request('GET', `${col('v1.0')}/$count`, { token: await tok(srv, tenant) });
  assertStatus(r, 200);
  return Number(r.text);
}

const lines = (s) => s.split('\n').filter((l) => l.trim() !== '');

// Partners with every kind of property away from its default, in both versions.
const T1 = newTenant();
const T2 = newTenant();
const ids = { [T1]: [], [T2]: [] };
let A; // the source server
let exported; // path of the export of every tenant

before(async () => {
  A = await serve();
  ids[T1].push(
    await create(A, T1, 'beta', {
      displayName: 'Contoso "MDM" \\ ü 日本',
      partnerState: 'enabled',
      lastHeartbeatDateTime: '2016-12-31T23:59:37.9174975-08:00',
      macOsOnboarded: true,
      linuxOnboarded: true,
      macOsEnrollmentAssignments: [
        { target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'a8c1b5c0-7c6e-4a26-9a8e-1f0a4f3c2d11', deviceAndAppManagementAssignmentFilterId: '9d3c7e1f-2a4b-4c6d-8e0f-1a2b3c4d5e6f', deviceAndAppManagementAssignmentFilterType: 'include' } },
        { target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } },
      ],
      linuxEnrollmentAssignments: [{ target: { '@odata.type': '#microsoft.graph.configurationManagerCollectionAssignmentTarget', collectionId: 'SMS00001' } }],
    }),
  );
  ids[T1].push(await create(A, T1, 'v1.0', { displayName: 'plain', iosEnrollmentAssignments: [{ target: { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId: 'g' } }] }));
  ids[T1].push(await create(A, T1, 'v1.0', {}));
  const patched = await create(A, T1, 'v1.0', { displayName: 'to patch' });
  const p = await A.request('PATCH', item('beta', patched), { token: await tok(A, T1), body: { partnerState: 'unresponsive', androidOnboarded: true } });
  assertStatus(p, 204);
  ids[T1].push(patched);
  for (let i = 0; i < 3; i++) ids[T2].push(await create(A, T2, 'v1.0', { displayName: `t2 ${i}` }));
  exported = file('all.jsonl');
  const r = await A.cli('export', '--output', exported);
  assert.equal(r.code, 0, r.stderr);
});

describe('cmpd export', () => {
  test('every partner of every tenant, one line each, in the documented format; summary on stderr', async () => {
    const r = await A.cli('export');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^exported 7 partners from 2 tenants$/m);
    assert.ok(!r.stderr.includes('\r'), 'no progress bar when stderr is not a terminal');
    const got = lines(r.stdout).map((l) => JSON.parse(l));
    assert.equal(got.length, 7);
    for (const l of got) {
      assert.deepEqual(Object.keys(l), ['tenantId', 'partner']);
      assert.equal(l.partner['@odata.type'], '#microsoft.graph.complianceManagementPartner');
      assert.ok(ids[l.tenantId].includes(l.partner.id));
      assert.ok('linuxEnrollmentAssignments' in l.partner, 'the beta shape');
    }
    // each tenant's partners in listing (insertion) order
    assert.deepEqual(got.filter((l) => l.tenantId === T1).map((l) => l.partner.id), ids[T1]);
    assert.deepEqual(got.filter((l) => l.tenantId === T2).map((l) => l.partner.id), ids[T2]);
    assert.equal(await readFile(exported, 'utf8'), r.stdout, '--output writes the same bytes');
    assert.ok(!existsSync(`${exported}.partial`));
  });

  test('--tenant exports that tenant only (any case)', async () => {
    const r = await A.cli('export', '--tenant', T2.toUpperCase());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^exported 3 partners from 1 tenants$/m);
    assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l).partner.id), ids[T2]);
  });

  test('a bad --tenant is a usage error', async () => {
    const r = await A.cli('export', '--tenant', 'nope');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tenant GUID/);
  });
});

describe('cmpd import', () => {
  test('export -> import into a fresh store: byte-identical GETs and listings, ids kept', async () => {
    const B = await serve();
    const r = await B.cli('import', exported);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^imported 7 partners \(0 replaced\), skipped 0, failed 0$/m);
    for (const t of [T1, T2]) assert.deepEqual(await snapshot(B, t, ids[t]), await snapshot(A, t, ids[t]));
    // and exporting again gives the same file
    const again = await B.cli('export');
    assert.equal(again.stdout, await readFile(exported, 'utf8'));
  });

  test('a per-tenant export imports that tenant only (stdin with -)', async () => {
    const B = await serve();
    const one = file('t2.jsonl');
    assert.equal((await A.cli('export', '--tenant', T2, one)).code, 0);
    const r = await runWithStdin([...B.storeArgs(), 'import', '-'], await readFile(one, 'utf8'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await count(B, T1), 0);
    assert.deepEqual(await snapshot(B, T2, ids[T2]), await snapshot(A, T2, ids[T2]));
  });

  test('--on-conflict fail (default): every existing id reported by line, nothing written', async () => {
    const B = await serve();
    const extra = await create(B, T1, 'v1.0', { displayName: 'only in B' });
    const first = lines(await readFile(exported, 'utf8')).filter((l) => JSON.parse(l).partner.id === ids[T1][0]);
    // one new line first, then two that exist in B
    const fresh = JSON.stringify({ tenantId: T1, partner: { id: '0e226165-c685-41ce-8bfc-df8360ab3201', displayName: 'new' } });
    const f = file('conflict.jsonl');
    await writeFile(f, `${fresh}\n${first[0]}\n${first[0]}\n`);
    assert.equal((await B.cli('import', '--input', f, '--on-conflict', 'skip')).code, 0); // B now has first[0] + fresh
    const before = await snapshot(B, T1, [extra, ids[T1][0]]);
    const g = file('conflict2.jsonl');
    await writeFile(g, `${JSON.stringify({ tenantId: T1, partner: { id: '0e226165-c685-41ce-8bfc-df8360ab3202' } })}\n${first[0]}\n${fresh}\n`);
    const r = await B.cli('import', g);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`line 2: partner ${ids[T1][0]} of tenant ${T1} exists already`));
    assert.match(r.stderr, /line 3: partner 0e226165-c685-41ce-8bfc-df8360ab3201 .*exists already/);
    assert.match(r.stderr, /imported 0 partners, failed 2 of 3 lines/);
    assert.equal((await B.request('GET', item('v1.0', '0e226165-c685-41ce-8bfc-df8360ab3202'), { token: await tok(B, T1) })).status, 404);
    assert.deepEqual(await snapshot(B, T1, [extra, ids[T1][0]]), before);
  });

  test('--on-conflict skip keeps the stored partner; replace overwrites it with the line', async () => {
    const B = await serve();
    assert.equal((await B.cli('import', exported)).code, 0);
    const id = ids[T1][0];
    const p = await B.request('PATCH', item('v1.0', id), { token: await tok(B, T1), body: { displayName: 'changed in B' } });
    assertStatus(p, 204);
    const changed = await text(B, T1, item('beta', id));
    const skip = await B.cli('import', exported, '--on-conflict', 'skip');
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stderr, /^imported 0 partners \(0 replaced\), skipped 7, failed 0$/m);
    assert.equal(await text(B, T1, item('beta', id)), changed);
    const rep = await B.cli('import', exported, '--on-conflict', 'replace');
    assert.equal(rep.code, 0, rep.stderr);
    assert.match(rep.stderr, /^imported 7 partners \(7 replaced\), skipped 0, failed 0$/m);
    for (const v of VERSIONS) assert.equal(await text(B, T1, item(v, id)), await text(A, T1, item(v, id)));
    assert.equal(await count(B, T1), 4);
  });

  test('bad lines: each refused with its number and the API message, nothing written', async () => {
    const B = await serve();
    const good = (i) => JSON.stringify({ tenantId: T1, partner: { id: `5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c0${i}`, displayName: `good ${i}` } });
    const f = file('bad.jsonl');
    await writeFile(
      f,
      [
        good(1),
        '',
        JSON.stringify({ tenantId: T1, partner: { id: '5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c02', partnerState: 'bogus' } }),
        good(3),
        '{"tenantId":',
        JSON.stringify({ tenantId: 'not-a-guid', partner: {} }),
        JSON.stringify({ tenantId: T1, partner: { displayName: 'no id' } }),
        JSON.stringify({ tenantId: T1, partner: { id: '5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c09', color: 'red' } }),
        JSON.stringify({ tenantId: T1, partner: { id: '5b0e2c5a-5b5e-4bd0-b1a4-1d8e9f7a6c08' }, extra: 1 }),
        good(4),
      ].join('\n'),
    );
    const r = await B.cli('import', f);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 3: The value 'bogus' is not a valid member of the enum type 'microsoft\.graph\.deviceManagementPartnerTenantState' for property 'partnerState'\./);
    assert.match(r.stderr, /line 5: Invalid JSON/);
    assert.match(r.stderr, /line 6: tenantId must be a tenant GUID/);
    assert.match(r.stderr, /line 7: partner\.id must be a GUID/);
    assert.match(r.stderr, /line 8: The property 'color' does not exist on type 'microsoft\.graph\.complianceManagementPartner'/);
    assert.match(r.stderr, /line 9: unknown member 'extra'/);
    assert.doesNotMatch(r.stderr, /line (1|2|4|10):/);
    assert.match(r.stderr, /6 bad lines; nothing was imported/);
    assert.equal(await count(B, T1), 0, 'the good lines were not written either');
  });

  test('--register-tenants registers the unknown tenants for a server with --tenants registered', async () => {
    const B = await serve(['--tenants', 'registered']);
    assert.equal((await B.cli('import', exported)).code, 0);
    assert.equal((await B.request('GET', col('v1.0'), { token: await tok(B, T1) })).status, 403, 'imported, not registered');
    const again = await B.cli('import', exported, '--on-conflict', 'skip', '--register-tenants');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /registered 2 tenants/);
    const { map } = await B.tenantList();
    assert.equal(map.get(T1), 'licensed');
    assert.equal(map.get(T2), 'licensed');
    assert.deepEqual(await snapshot(B, T1, ids[T1]), await snapshot(A, T1, ids[T1]));
  });

  test('progress bar on a terminal (script -qc), summary after it', async (t) => {
    if (!existsSync('/usr/bin/script')) return t.skip('no script(1)');
    const B = await serve();
    const cmd = [BIN, 'import', exported, ...B.storeArgs()].map((a) => `'${a}'`).join(' ');
    const r = await run('/usr/bin/script', ['-qc', cmd, '/dev/null']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\rimporting \[#+\] 100% \d+\/\d+ bytes/);
    assert.match(r.stdout, /imported 7 partners/);
    const ex = await run('/usr/bin/script', ['-qc', [BIN, 'export', '--output', file('tty.jsonl'), ...B.storeArgs()].map((a) => `'${a}'`).join(' '), '/dev/null']);
    assert.equal(ex.code, 0, ex.stdout);
    assert.match(ex.stdout, /\rexporting \[#{30}\] 100% 7\/7 partners/);
  });
});

describe('cmpd tenant reset', () => {
  test('deletes every partner of one tenant, keeps its registration and the other tenants', async () => {
    const B = await serve();
    assert.equal((await B.cli('import', exported)).code, 0);
    await count(B, T1); // registers T1 and T2 (auto mode)
    const t2 = await snapshot(B, T2, ids[T2]);
    const before = await B.tenantList();
    const r = await B.cli('tenant', 'reset', T1);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${T1} deleted 4 partners`);
    assert.equal(await count(B, T1), 0);
    assert.deepEqual(await snapshot(B, T2, ids[T2]), t2);
    assert.deepEqual((await B.tenantList()).map, before.map);
    const twice = await B.cli('tenant', 'reset', T1);
    assert.equal(twice.stdout.trim(), `${T1} deleted 0 partners`);
    assert.equal((await B.cli('tenant', 'reset', 'nope')).code, 2);
  });
});

describe('cmpd serve --seed', () => {
  test('loaded before listening; a restart with the same seed skips what exists and keeps changes', async () => {
    const B = await serve(['--seed', exported]);
    assert.match(B.log, /seed .*: 7 partners loaded, 0 already there/);
    for (const t of [T1, T2]) assert.deepEqual(await snapshot(B, t, ids[t]), await snapshot(A, t, ids[t]));
    const id = ids[T2][0];
    assertStatus(await B.request('PATCH', item('v1.0', id), { token: await tok(B, T2), body: { displayName: 'kept' } }), 204);
    const added = await create(B, T2, 'v1.0', { displayName: 'added' });
    await B.stop();
    const C = await B.restart();
    servers.push(C);
    assert.match(C.log, /seed .*: 0 partners loaded, 7 already there/);
    assert.equal(JSON.parse(await text(C, T2, item('v1.0', id))).displayName, 'kept');
    assert.equal(JSON.parse(await text(C, T2, item('v1.0', added))).displayName, 'added');
    assert.equal(await count(C, T1), 4);
  });

  test('two instances starting at once on one store with the same seed both start; each partner once', async () => {
    const store = STORE_KIND === 'postgres' ? await createDatabase() : `sqlite:${file('shared.db')}`;
    const start = () => startServer({ listeners: ['http'], store, args: ['--seed', exported] });
    const both = await Promise.all([start(), start()]);
    servers.push(...both);
    const logs = both.map((s) => /seed .*: (\d+) partners loaded, (\d+) already there/.exec(s.log));
    for (const m of logs) assert.ok(m, 'each instance logs its seed');
    assert.equal(Number(logs[0][1]) + Number(logs[1][1]), 7, 'together they loaded each partner once');
    for (const t of [T1, T2]) assert.deepEqual(await snapshot(both[1], t, ids[t]), await snapshot(A, t, ids[t]));
  });

  test('the seed registers its tenants (for --tenants registered)', async () => {
    const B = await serve(['--tenants', 'registered', '--seed', exported]);
    assert.equal((await B.request('GET', col('v1.0'), { token: await tok(B, T1) })).status, 200);
  });

  test('a bad seed stops the start with the line number; nothing loaded', async () => {
    const f = file('bad-seed.jsonl');
    const all = lines(await readFile(exported, 'utf8'));
    await writeFile(f, `${all[0]}\n{"tenantId":"${T1}","partner":{"id":"x"}}\n`);
    await assert.rejects(serve(['--seed', f]), (e) => /line 2: partner\.id must be a GUID/.test(e.message) && /exited/.test(e.message));
    const env = { CMPD_SEED: exported };
    const B = await startServer({ listeners: ['http'], env });
    servers.push(B);
    assert.match(B.log, /seed .*: 7 partners loaded/, 'CMPD_SEED works like --seed');
  });
});

function run(cmd, args, input) {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

/** `cmpd <args>` with `input` on stdin (the store arguments first: getopt takes them anywhere). */
function runWithStdin(args, input) {
  const [flag, where, ...rest] = args;
  return run(BIN, [...rest, flag, where], input);
}
