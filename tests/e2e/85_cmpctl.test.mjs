// Layer 85: cmpctl, the mgc-syntax command-line client (src/cli/), run as the real build/cmpctl
// binary (next to CMPD_BIN) against a real cmpd over http and https: the seed command of
// spec/examples/README.md with mgc -> cmpctl, list with OData options and --all across pages,
// get/patch/delete, Graph errors on stderr with exit 1, usage errors with exit 2, connection and
// TLS failures with exit 3, --help at every level, flags over environment.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, BIN, describe, E2E_DIR, freePort, GUID_RE, newTenant, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertEntity, col, contextCollection, loadFixture, seedModel } from './lib/graph.mjs';

const CMPCTL = path.join(path.dirname(BIN), 'cmpctl');
const PAGE = 3;
const GROUP = ['device-management', 'compliance-management-partners'];
const REQUEST_TEXT = readFileSync(path.join(E2E_DIR, 'fixtures', 'create-request.json'), 'utf8');

let srv;
let tok;
let tmp;

/** Run cmpctl; resolves {code, stdout, stderr}.  The environment has no CMPD_* unless given. */
function cmpctl(args, env = {}) {
  const base = { ...process.env };
  for (const k of ['CMPD_URL', 'CMPD_TOKEN', 'CMPD_CA', 'CMPD_API_VERSION']) delete base[k];
  return new Promise((resolve, reject) => {
    execFile(CMPCTL, args, { env: { ...base, ...env }, timeout: 60000, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`cannot run cmpctl ${args.join(' ')}: ${err.message}`));
      else resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

/** cmpctl <GROUP> <cmd> ... over `scheme` with this file's token; asserts exit 0; returns stdout. */
async function ok(cmd, args = [], { scheme = 'http', token = tok } = {}) {
  const conn = ['--url', srv.base(scheme), '--token', token];
  if (scheme === 'https') conn.push('--ca', srv.caPath);
  const r = await cmpctl([...GROUP, cmd, ...args, ...conn]);
  assert.equal(r.code, 0, `cmpctl ${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '', 'nothing on stderr on success');
  return r.stdout;
}

/** Output must be the JSON indented by two spaces, as mgc prints it. */
function pretty(stdout) {
  const v = JSON.parse(stdout);
  assert.equal(stdout, `${JSON.stringify(v, null, 2)}\n`, 'output is JSON indented by two spaces');
  return v;
}

async function create(body, opts) {
  return pretty(await ok('create', ['--body', JSON.stringify(body)], opts));
}

before(async () => {
  assert.ok(existsSync(CMPCTL), `cmpctl not found at ${CMPCTL} (build it next to cmpd)`);
  srv = await startServer({ args: ['--page-size', String(PAGE)] });
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmpctl-e2e-'));
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the documented seed command, mgc -> cmpctl', () => {
  test('`cmpctl device-management compliance-management-partners create --body <create-request.json>` (URL and token from the environment) prints the created entity', async () => {
    const r = await cmpctl([...GROUP, 'create', '--body', REQUEST_TEXT], { CMPD_URL: srv.base('http'), CMPD_TOKEN: tok });
    assert.equal(r.code, 0, r.stderr);
    const out = pretty(r.stdout);
    const expected = loadFixture('create-response.json');
    assert.match(out.id, GUID_RE);
    assertEntity(out, { id: out.id, ...seedModel() }, 'v1.0');
    // create-response.json's shape: every documented member, same values but the id.
    for (const k of Object.keys(expected)) {
      assert.ok(k in out, `member ${k} of create-response.json missing`);
      if (k !== 'id' && !k.endsWith('EnrollmentAssignments')) assert.deepEqual(out[k], expected[k], k);
    }
    for (const k of Object.keys(expected).filter((x) => x.endsWith('EnrollmentAssignments')))
      assert.deepEqual(out[k].map((a) => a.target.collectionId), expected[k].map((a) => a.target.collectionId), k);
  });

  test('over https with --ca DIR/tls/ca.pem; without the CA the TLS failure exits 3', async () => {
    const out = pretty(await ok('create', ['--body', REQUEST_TEXT], { scheme: 'https' }));
    assertEntity(out, { id: out.id, ...seedModel() }, 'v1.0');
    const r = await cmpctl([...GROUP, 'list', '--url', srv.base('https'), '--token', tok]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^cmpctl: cannot reach cmpd: https:\/\/127\.0\.0\.1:\d+\/v1\.0\/deviceManagement\/complianceManagementPartners: .*(certificate|SSL)/i);
    assert.equal(r.stdout, '');
  });
});

describe('get, patch, delete', () => {
  test('get prints the entity; --select narrows it; --api-version beta shows the beta members', async () => {
    const made = await create({ displayName: 'cli-get', partnerState: 'enabled' });
    const got = pretty(await ok('get', ['--compliance-management-partner-id', made.id]));
    assert.deepEqual(got, made);
    const sel = pretty(await ok('get', ['--compliance-management-partner-id', made.id, '--select', 'id,displayName']));
    assert.equal(sel.id, made.id);
    assert.equal(sel.displayName, 'cli-get');
    assert.ok(!('partnerState' in sel), '--select narrows the entity');
    const beta = pretty(await ok('get', ['--compliance-management-partner-id', made.id, '--api-version', 'beta']));
    assert.equal(beta.linuxOnboarded, false);
    assert.match(beta['@odata.context'], /\/beta\/\$metadata#/);
  });

  test('patch (204) prints nothing, the change is stored; delete prints nothing; then get is a readable 404 with exit 1', async () => {
    const made = await create({ displayName: 'cli-patch' });
    const p = await ok('patch', ['--compliance-management-partner-id', made.id, '--body', '{"displayName":"patched","iosOnboarded":true}']);
    assert.equal(p, '');
    const got = pretty(await ok('get', ['--compliance-management-partner-id', made.id]));
    assert.equal(got.displayName, 'patched');
    assert.equal(got.iosOnboarded, true);
    assert.equal(await ok('delete', ['--compliance-management-partner-id', made.id]), '');
    const r = await cmpctl([...GROUP, 'get', '--compliance-management-partner-id', made.id, '--url', srv.base('http'), '--token', tok]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n');
    assert.match(lines[0], /^cmpctl: HTTP 404 Not Found: ResourceNotFound: \S.* - Operation ID \(for customer support\): 0{8}-0{4}-0{4}-0{4}-0{12} - Activity ID: [0-9a-f-]{36} - Url: /);
    assert.doesNotMatch(lines[0], /_version|\\r\\n/, 'the wrapped message is unwrapped');
    assert.match(lines[1], /^ {2}request-id: [0-9a-f-]{36}$/);
    assert.match(lines[2], /^ {2}date: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    assert.equal(lines[0].match(/Activity ID: ([0-9a-f-]{36})/)[1], lines[1].split(': ')[1], 'Activity ID = request-id');
  });

  test('a 400 (bad $filter) and a 400 from the body are printed readably with exit 1', async () => {
    let r = await cmpctl([...GROUP, 'list', '--filter', 'nosuchProperty eq 1', '--url', srv.base('http'), '--token', tok]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cmpctl: HTTP 400 Bad Request: BadRequest: \S/);
    assert.match(r.stderr, /\n {2}request-id: [0-9a-f-]{36}\n {2}date: /);
    r = await cmpctl([...GROUP, 'create', '--body', '{"partnerState":"nonsense"}', '--url', srv.base('http'), '--token', tok]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cmpctl: HTTP 400 Bad Request: BadRequest: \S/);
    assert.doesNotMatch(r.stderr.split('\n')[0], /"_version"/);
  });

  test('no token: the 401 is printed with exit 1', async () => {
    const r = await cmpctl([...GROUP, 'list', '--url', srv.base('http')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cmpctl: HTTP 401 Unauthorized: InvalidAuthenticationToken: \S/);
    assert.equal(r.stdout, '');
  });
});

describe('list', () => {
  let ltok;
  const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const ids = [];
  const run = (args) => ok('list', args, { token: ltok });

  before(async () => {
    ltok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    for (const n of names) ids.push((await create({ displayName: n, partnerState: n < 'd' ? 'enabled' : 'unknown' }, { token: ltok })).id);
  });

  test('--filter --select --orderby --top --count print the page the server sends, as pretty JSON', async () => {
    const out = pretty(await run(['--filter', "partnerState eq 'unknown'", '--select', 'id,displayName', '--orderby', 'displayName desc', '--top', '2', '--count']));
    const raw = await srv.request('GET', `${col('v1.0')}?$filter=${encodeURIComponent("partnerState eq 'unknown'")}&$select=id,displayName&$orderby=${encodeURIComponent('displayName desc')}&$top=2&$count=true`, { scheme: 'http', token: ltok });
    assert.equal(raw.status, 200);
    assert.equal(out['@odata.count'], 5);
    assert.deepEqual(out.value.map((e) => e.displayName), ['hotel', 'golf']);
    assert.deepEqual(Object.keys(out.value[0]), ['id', 'displayName']);
    assert.deepEqual(out.value, raw.json.value);
    assert.equal(out['@odata.context'], raw.json['@odata.context']);
  });

  test('list values given mgc-style as separate words (--select id displayName) and --skip', async () => {
    const out = pretty(await run(['--select', 'id', 'displayName', '--orderby', 'displayName', '--skip', '1', '--top', '2']));
    assert.deepEqual(out.value.map((e) => e.displayName), ['bravo', 'charlie']);
  });

  test('without --all one server page (--page-size 3) and its @odata.nextLink', async () => {
    const out = pretty(await run([]));
    assert.equal(out.value.length, PAGE);
    assert.match(out['@odata.nextLink'], /\$skiptoken=/);
  });

  test('--all follows @odata.nextLink across pages and prints one merged value array', async () => {
    const out = pretty(await run(['--all', '--count', '--orderby', 'displayName']));
    assert.deepEqual(Object.keys(out), ['@odata.context', '@odata.count', 'value']);
    assert.equal(out['@odata.context'], contextCollection('v1.0'));
    assert.equal(out['@odata.count'], names.length);
    assert.deepEqual(out.value.map((e) => e.displayName), names);
    assert.deepEqual(out.value.map((e) => e.id).sort(), [...ids].sort());
    const f = pretty(await run(['--all', '--filter', "partnerState eq 'unknown'", '--select', 'displayName']));
    assert.deepEqual(f.value.map((e) => e.displayName).sort(), names.slice(3));
    const https = pretty(await ok('list', ['--all'], { scheme: 'https', token: ltok }));
    assert.equal(https.value.length, names.length);
  });
});

describe('usage errors exit 2, nothing sent', () => {
  const cases = [
    ['unknown option', [...GROUP, 'list', '--bogus'], /unknown option '--bogus'/],
    ['unknown command', [...GROUP, 'frobnicate'], /unknown command 'frobnicate'/],
    ['unknown group', ['device-mgmt'], /unknown command 'device-mgmt'/],
    ['no command', GROUP, /required command was not provided/],
    ['missing id', [...GROUP, 'get'], /--compliance-management-partner-id is required/],
    ['missing body', [...GROUP, 'create'], /--body is required/],
    ['option of another command', [...GROUP, 'get', '--compliance-management-partner-id', 'x', '--top', '1'], /--top does not apply to 'get'/],
    ['bad number', [...GROUP, 'list', '--top', 'ten'], /--top takes a number/],
    ['bad --body JSON', [...GROUP, 'create', '--body', '{"displayName":'], /--body is not valid JSON/],
    ['--body not an object', [...GROUP, 'create', '--body', '[1]'], /--body must be a JSON object/],
    ['bad --api-version', [...GROUP, 'list', '--api-version', 'v2'], /--api-version takes v1.0 or beta/],
    ['unsupported --output', [...GROUP, 'list', '--output', 'table'], /--output 'table' is not supported/],
  ];
  for (const [what, args, re] of cases) {
    test(what, async () => {
      // A URL where nothing listens: a request sent would exit 3, not 2.
      const r = await cmpctl([...args, '--url', `http://127.0.0.1:${await freePort()}`, '--token', 'x']);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    });
  }
});

describe('--help at every level', () => {
  const levels = [
    [[], /^ {2}cmpctl \[command\] \[options\]$/m, /device-management/],
    [['device-management'], /^ {2}cmpctl device-management \[command\] \[options\]$/m, /compliance-management-partners/],
    [GROUP, /^ {2}cmpctl device-management compliance-management-partners \[command\] \[options\]$/m, /^ {2}list /m],
    [[...GROUP, 'list'], /^ {2}cmpctl device-management compliance-management-partners list \[options\]$/m, /--all/],
    [[...GROUP, 'get'], /get \[options\]$/m, /--compliance-management-partner-id/],
    [[...GROUP, 'create'], /create \[options\]$/m, /--body/],
    [[...GROUP, 'patch'], /patch \[options\]$/m, /--if-match/],
    [[...GROUP, 'delete'], /delete \[options\]$/m, /--compliance-management-partner-id/],
  ];
  for (const [words, usage, more] of levels) {
    test(`cmpctl ${words.join(' ')} --help`.replace('  ', ' '), async () => {
      for (const h of ['--help', '-h']) {
        const r = await cmpctl([...words, h]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Description:\n/);
        assert.match(r.stdout, usage);
        assert.match(r.stdout, more);
        assert.match(r.stdout, /--help/);
      }
    });
  }
});

describe('connection settings', () => {
  test('flags win over CMPD_URL / CMPD_TOKEN; the environment alone works; --token @file', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    let r = await cmpctl([...GROUP, 'list', '--top', '1', '--url', srv.base('http'), '--token', tok], { CMPD_URL: dead, CMPD_TOKEN: 'bad' });
    assert.equal(r.code, 0, r.stderr);
    r = await cmpctl([...GROUP, 'list', '--top', '1'], { CMPD_URL: srv.base('https'), CMPD_TOKEN: tok, CMPD_CA: srv.caPath });
    assert.equal(r.code, 0, r.stderr);
    r = await cmpctl([...GROUP, 'list', '--top', '1'], { CMPD_URL: srv.base('http'), CMPD_TOKEN: tok, CMPD_API_VERSION: 'beta' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(JSON.parse(r.stdout)['@odata.context'], /\/beta\//);
    r = await cmpctl([...GROUP, 'list', '--top', '1', '--url', dead], { CMPD_URL: srv.base('http'), CMPD_TOKEN: tok });
    assert.equal(r.code, 3, 'the --url flag beats CMPD_URL');
    assert.match(r.stderr, /^cmpctl: cannot reach cmpd: http:\/\/127\.0\.0\.1:\d+\/v1\.0\/deviceManagement\/complianceManagementPartners\?\$top=1: /);
    const file = path.join(tmp, 'token');
    writeFileSync(file, `${tok}\n`);
    r = await cmpctl([...GROUP, 'list', '--top', '1', '--url', srv.base('http'), '--token', `@${file}`]);
    assert.equal(r.code, 0, r.stderr);
    r = await cmpctl([...GROUP, 'list', '--url', srv.base('http'), '--token', `@${file}.missing`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read the token file/);
    r = await cmpctl([...GROUP, 'list', '--url', srv.base('http')], { CMPD_TOKEN: `${tok}\r\nX-Injected: 1` });
    assert.equal(r.code, 2, 'a token of two lines is refused, not sent as two headers');
    assert.match(r.stderr, /the token must be one line/);
  });
});
