// Layer 50: naming the store on the command line - `--store LOCATION` and $CMPD_STORE on serve,
// token, tenant and jwks, and their precedence (--store, then CMPD_STORE, then --data's SQLite).
// With a store named that way the signing key and the $skiptoken key live in the store, shared by
// every instance on it, not in DIR/keys/.  The locations are `sqlite:PATH` (and a directory) in
// SQLite runs, fresh PostgreSQL databases (postgres://...) in PostgreSQL runs.

import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, createDatabase, describe, freePort, newTenant, runCli, startServer, STORE_KIND, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertCollection, assertGraphError, assertStatus, col, item } from './lib/graph.mjs';
import { decodeJwt, jwkThumbprint } from './lib/jwt.mjs';

const UNLICENSED = 'Request not applicable to target tenant.';
const PG = STORE_KIND === 'postgres';

let tmp;
let n = 0;
const servers = [];

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cmpd-e2e-store-'));
});
after(async () => {
  for (const s of servers) await s.destroy().catch(() => {});
  if (tmp && !process.env.CMPD_E2E_KEEP) await rm(tmp, { recursive: true, force: true });
});

/** A fresh, unused store location of this run's kind. */
async function newStore() {
  if (PG) return createDatabase();
  return `sqlite:${path.join(tmp, `store-${++n}.db`)}`;
}

/** A path for a data directory that does not exist yet (cmpd creates it). */
async function newDir(name) {
  return path.join(tmp, `${name}-${++n}`);
}

const cli = (args, env) => runCli(args, { env });

async function mint(where, tenant, env, roles = ADMIN_ROLES) {
  const args = ['token', ...where, '--tenant', tenant, '--roles', roles.join(',')];
  const r = await cli(args, env);
  assert.equal(r.code, 0, `cmpd ${args.join(' ')} failed: ${r.stderr}`);
  const tok = r.stdout.trim();
  assert.match(tok, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, `not a compact JWS: ${r.stdout}`);
  return tok;
}

async function jwks(where, env) {
  const r = await cli(['jwks', ...where], env);
  assert.equal(r.code, 0, `cmpd jwks ${where.join(' ')} failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.keys?.length, 1, `one key expected: ${r.stdout}`);
  return doc.keys[0];
}

/** A server with one http listener; `store` as startServer takes it, `env` e.g. {CMPD_STORE}. */
async function serve({ store, env, args = [], dataDir } = {}) {
  const s = await startServer({ listeners: ['http'], store, env, args, dataDir: dataDir || (await newDir('data')), ownsDir: false });
  servers.push(s);
  return s;
}

const get = (s, tok, p = col('v1.0')) => s.request('GET', p, { token: tok });

describe(`--store ${PG ? 'postgres://...' : 'sqlite:PATH'} on serve, token and jwks`, () => {
  let X;
  let srv;
  let tok;
  const tenant = newTenant();

  before(async () => {
    X = await newStore();
    srv = await serve({ store: X });
    tok = await mint(['--store', X], tenant);
  });

  test('a token minted with `cmpd token --store X` is accepted by the server on --store X', async () => {
    const c = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'via --store' } });
    assertStatus(c, 201);
    const l = await get(srv, tok);
    assertStatus(l, 200);
    assertCollection(l.json, [{ id: c.json.id, displayName: 'via --store' }], 'v1.0');
  });

  test('`cmpd jwks --store X`: its kid is the kid of the token header, and the signature verifies with it', async () => {
    const jwk = await jwks(['--store', X]);
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.kid, jwkThumbprint(jwk), 'kid = RFC 7638 thumbprint');
    const { header, signature, signingInput } = decodeJwt(tok);
    assert.equal(header.kid, jwk.kid);
    assert.ok(verify('sha256', Buffer.from(signingInput), createPublicKey({ key: jwk, format: 'jwk' }), signature));
  });

  test('the keys live in the store: no DIR/keys/ files, and no DIR/cmpd.db', () => {
    for (const f of ['keys/signing.pem', 'keys/skiptoken.key', 'cmpd.db'])
      assert.ok(!existsSync(path.join(srv.dataDir, f)), `${f} must not exist with --store`);
  });

  test('a second instance on the same store (another --data) shares data, tokens and $skiptoken keys', async () => {
    const two = await serve({ store: X, args: ['--page-size', '2'] });
    const one = await serve({ store: X, args: ['--page-size', '2'] });
    assert.notEqual(one.dataDir, two.dataDir);
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const c = await one.request('POST', col('v1.0'), { token: tok, body: { displayName: `shared ${i}` } });
      assertStatus(c, 201);
      ids.push(c.json.id);
    }
    for (const id of ids) assertStatus(await two.request('GET', item('v1.0', id), { token: tok }), 200);
    // a nextLink made by one instance is followed on the other, page by page
    const seen = [];
    let next = `${col('v1.0')}?$orderby=displayName`;
    for (let page = 0; next; page++) {
      const s = page % 2 ? two : one;
      const r = await s.request('GET', next, { token: tok });
      assertStatus(r, 200);
      seen.push(...r.json.value.map((e) => e.id));
      const link = r.json['@odata.nextLink'];
      next = link ? link.slice(new URL(link).origin.length) : undefined;
      assert.ok(page < 10, 'paging does not end');
    }
    assert.equal(seen.length, ids.length + 1, `every partner once: ${seen}`);
    for (const id of ids) assert.ok(seen.includes(id), `${id} missing from the pages`);
    assert.equal(new Set(seen).size, seen.length, 'no partner twice');
    const d = await two.request('DELETE', item('v1.0', ids[0]), { token: tok });
    assertStatus(d, 204);
    assertGraphError(await one.request('GET', item('v1.0', ids[0]), { token: tok }), { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'http' });
  });

  test('a token minted for another store is refused (401)', async () => {
    const Y = await newStore();
    const other = await mint(['--store', Y], tenant);
    assertGraphError(await get(srv, other), { status: 401, code: 'InvalidAuthenticationToken', wrapped: false, scheme: 'http' });
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.stop();
  });
});

describe('CMPD_STORE in place of --store', () => {
  let X;
  let srv;
  const tenant = newTenant();

  before(async () => {
    X = await newStore();
    srv = await serve({ store: false, env: { CMPD_STORE: X } });
  });

  test('serve, token and jwks on CMPD_STORE use the same store as --store X', async () => {
    const viaEnv = await mint(['--data', await newDir('unused')], tenant, { CMPD_STORE: X });
    const viaFlag = await mint(['--store', X], tenant);
    assertStatus(await get(srv, viaEnv), 200);
    assertStatus(await get(srv, viaFlag), 200);
    const kEnv = await jwks([], { CMPD_STORE: X });
    const kFlag = await jwks(['--store', X]);
    assert.deepEqual(kEnv, kFlag);
    assert.equal(decodeJwt(viaEnv).header.kid, kFlag.kid);
    for (const f of ['keys/signing.pem', 'cmpd.db']) assert.ok(!existsSync(path.join(srv.dataDir, f)), `${f} must not exist with CMPD_STORE`);
  });

  test('tenant add/set/list on CMPD_STORE act on the store the server uses', async () => {
    const T = newTenant();
    let r = await cli(['tenant', 'add', T, '--no-intune-license'], { CMPD_STORE: X });
    assert.equal(r.code, 0, r.stderr);
    r = await cli(['tenant', 'list', '--store', X]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${T}\\s+unlicensed$`, 'm'));
    const tok = await mint(['--store', X], T);
    assertGraphError(await get(srv, tok), { status: 400, code: 'BadRequest', message: UNLICENSED, wrapped: false, scheme: 'http' });
    r = await cli(['tenant', 'set', T, '--intune-license', 'true'], { CMPD_STORE: X });
    assert.equal(r.code, 0, r.stderr);
    assertStatus(await get(srv, tok), 200);
  });

  test('SIGTERM -> clean exit 0', async () => {
    await srv.stop();
  });
});

describe('precedence: --store, then CMPD_STORE, then --data', () => {
  test('--store beats CMPD_STORE; CMPD_STORE beats --data; --data alone is DIR/keys/signing.pem', async () => {
    const X = await newStore();
    const Y = await newStore();
    const D = await newDir('data');
    const kX = await jwks(['--store', X]);
    const kY = await jwks(['--store', Y]);
    const kD = await jwks(['--data', D]);
    assert.notEqual(kX.kid, kY.kid, 'two fresh stores have two keys');
    assert.notEqual(kX.kid, kD.kid);
    assert.ok(existsSync(path.join(D, 'keys', 'signing.pem')), '--data alone keeps the key in DIR/keys/signing.pem');
    assert.equal((await jwks(['--store', X], { CMPD_STORE: Y })).kid, kX.kid, 'jwks: --store over CMPD_STORE');
    assert.equal((await jwks(['--data', D], { CMPD_STORE: Y })).kid, kY.kid, 'jwks: CMPD_STORE over --data');
    assert.equal((await jwks(['--data', D, '--store', X], { CMPD_STORE: Y })).kid, kX.kid, 'jwks: --store over both');
    const t = newTenant();
    assert.equal(decodeJwt(await mint(['--store', X], t, { CMPD_STORE: Y })).header.kid, kX.kid, 'token: --store over CMPD_STORE');
    assert.equal(decodeJwt(await mint(['--data', D], t, { CMPD_STORE: Y })).header.kid, kY.kid, 'token: CMPD_STORE over --data');
    assert.equal(decodeJwt(await mint(['--data', D], t)).header.kid, kD.kid, 'token: --data alone');
  });

  test('serve: --store beats CMPD_STORE, which beats --data', async () => {
    const X = await newStore();
    const Y = await newStore();
    const t = newTenant();
    const tX = await mint(['--store', X], t);
    const tY = await mint(['--store', Y], t);
    const a = await serve({ store: X, env: { CMPD_STORE: Y } });
    assertStatus(await get(a, tX), 200);
    assertGraphError(await get(a, tY), { status: 401, code: 'InvalidAuthenticationToken', wrapped: false, scheme: 'http' });
    const b = await serve({ store: false, env: { CMPD_STORE: Y } });
    assertStatus(await get(b, tY), 200);
    assertGraphError(await get(b, tX), { status: 401, code: 'InvalidAuthenticationToken', wrapped: false, scheme: 'http' });
    assert.ok(!existsSync(path.join(b.dataDir, 'keys', 'signing.pem')), 'CMPD_STORE wins over --data: no key file');
    await a.stop();
    await b.stop();
  });

  test('tenant: --store beats CMPD_STORE', async () => {
    const X = await newStore();
    const Y = await newStore();
    const T = newTenant();
    let r = await cli(['tenant', 'add', T, '--store', X], { CMPD_STORE: Y });
    assert.equal(r.code, 0, r.stderr);
    r = await cli(['tenant', 'list', '--store', X]);
    assert.equal(r.stdout.trim(), `${T} licensed`);
    r = await cli(['tenant', 'list'], { CMPD_STORE: Y });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '', 'nothing registered in Y');
  });
});

describe('cmpd tenant add --store X is seen by a `--tenants registered` server on X', () => {
  test('registered while the server runs -> served; unregistered -> 403', async () => {
    const X = await newStore();
    const srv = await serve({ store: X, args: ['--tenants', 'registered'] });
    const F = newTenant();
    const tok = await mint(['--store', X], F);
    assertGraphError(await get(srv, tok), { status: 403, code: 'Forbidden', wrapped: true, scheme: 'http', message: new RegExp(`tenant '${F}' is not registered`) });
    const r = await cli(['tenant', 'add', F, '--store', X]);
    assert.equal(r.code, 0, r.stderr);
    const c = await srv.request('POST', col('v1.0'), { token: tok, body: { displayName: 'registered via --store' } });
    assertStatus(c, 201);
    const l = await get(srv, tok);
    assertCollection(l.json, [{ id: c.json.id, displayName: 'registered via --store' }], 'v1.0');
    await srv.stop();
  });
});

describe('SQLite locations', { skip: PG && 'SQLite runs only' }, () => {
  test('sqlite:PATH is that database file; a directory location holds DIR2/cmpd.db; keys in the database either way', async () => {
    const file = path.join(tmp, `direct-${++n}.db`);
    const a = await serve({ store: `sqlite:${file}` });
    assert.ok(existsSync(file), 'sqlite:PATH creates PATH');
    const dir2 = await newDir('storedir');
    const b = await serve({ store: dir2 });
    assert.ok(existsSync(path.join(dir2, 'cmpd.db')), 'a directory location holds cmpd.db');
    for (const d of [a.dataDir, b.dataDir, dir2])
      for (const f of ['keys/signing.pem', 'keys/skiptoken.key'])
        assert.ok(!existsSync(path.join(d, f)), `${d}/${f} must not exist: the keys are in the store`);
    const t = newTenant();
    assertStatus(await get(a, await mint(['--store', `sqlite:${file}`], t)), 200);
    assertStatus(await get(b, await mint(['--store', dir2], t)), 200);
    await a.stop();
    await b.stop();
  });
});

describe('a store that cannot be opened: non-zero exit at once, reason on stderr, nothing on stdout', () => {
  const bad = async () => (PG ? `postgres://cmpd@127.0.0.1:${await freePort()}/nope` : `sqlite:${path.join(tmp, 'no-such-dir', 'x', 'y.db')}`);

  test('serve', async () => {
    const port = await freePort();
    const r = await runCli(['serve', '--data', await newDir('data'), '--store', await bad(), '--listen', `http://127.0.0.1:${port}`], { timeout: 20000 });
    assert.ok(r.code !== 0 && r.code !== null, `cmpd serve must fail fast (code=${r.code} signal=${r.signal}): ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, 'it says why on stderr');
  });

  for (const args of [['token', '--tenant', newTenant(), '--roles', ADMIN_ROLES[0]], ['tenant', 'list'], ['tenant', 'add', newTenant()], ['jwks']]) {
    test(`cmpd ${args[0]} ${args[0] === 'tenant' ? args[1] : ''}`.trim(), async () => {
      const r = await runCli([...args, '--store', await bad()], { timeout: 20000 });
      assert.ok(r.code !== 0 && r.code !== null, `must fail (code=${r.code}): ${r.stdout}`);
      assert.equal(r.stdout.trim(), '');
      assert.ok(r.stderr.trim().length > 0, 'it says why on stderr');
    });
  }
});
