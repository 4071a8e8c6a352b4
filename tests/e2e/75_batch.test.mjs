// Layer 75: JSON batching, POST /{version}/$batch (graph-conventions.md 7).  The envelope rules
// (at most 20 requests, ids unique case-insensitively, method and url required, headers with a
// Content-Type when a body is sent, dependsOn naming known ids without a cycle) fail the whole
// batch with a Graph 400; a bad inner url or body fails that request alone.  Each inner request
// runs the same pipeline as a request of its own: its own permission check and throttling, its
// own headers (Content-Type, OData-Version, Location, Retry-After), OData options, Prefer.  A
// request whose dependency failed gets 424.  Then the same through the Graph JavaScript client's
// BatchRequestContent / BatchResponseContent (lib/graph_client_batch_run.mjs, a child node).

import assert from 'node:assert/strict';
import { after, before, describe, GUID_RE, newTenant, runClientScript, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphError, assertGraphHeaders, assertStatus, col, CT_ERROR, CT_ODATA, COLLECTION, GRAPH_ROOT } from './lib/graph.mjs';

const READ_ROLES = ['DeviceManagementServiceConfig.Read.All'];
const batchPath = (v) => `/${v}/$batch`;
const post = (srv, token, envelope, v = 'v1.0', headers = {}) =>
  srv.request('POST', batchPath(v), { token, body: envelope, headers });
const JSON_CT = { 'Content-Type': 'application/json' };
const get = (id, url = COLLECTION, extra = {}) => ({ id, method: 'GET', url, ...extra });
const create = (id, name, extra = {}) => ({ id, method: 'POST', url: COLLECTION, headers: JSON_CT, body: { displayName: name }, ...extra });

/** The answer of id `id` in a 200 batch response. */
function answer(res, id) {
  assertStatus(res, 200);
  const a = res.json.responses.find((r) => r.id === id);
  assert.ok(a, `no answer for id ${id}: ${res}`);
  return a;
}

/** An inner error answer: status, Graph error body, innerError with the batch's ids. */
function assertInnerError(res, a, { status, code, message }) {
  assert.equal(a.status, status, `inner status: ${JSON.stringify(a)}`);
  assert.equal(a.headers['Content-Type'], CT_ERROR, `inner error Content-Type: ${JSON.stringify(a)}`);
  assert.deepEqual(Object.keys(a.body), ['error']);
  assert.deepEqual(Object.keys(a.body.error), ['code', 'message', 'innerError']);
  if (code) assert.equal(a.body.error.code, code);
  if (message) assert.match(a.body.error.message, message);
  const ie = a.body.error.innerError;
  assert.deepEqual(Object.keys(ie), ['date', 'request-id', 'client-request-id']);
  assert.equal(ie['request-id'], res.headers['request-id'], 'innerError.request-id is the batch request-id');
  assert.equal(ie['client-request-id'], res.headers['client-request-id']);
}

/** A whole-batch 400. */
function assertBatch400(res, message) {
  return assertGraphError(res, { status: 400, code: 'BadRequest', message, wrapped: 'any' });
}

let srv;
let admin;
let reader;
let base;

// In a describe of their own: the harness's file-level after() kills what is left, and runs first;
// close() asserts a clean exit and no sanitizer report.
describe('batch', () => {
  before(async () => {
    srv = await startServer({ listeners: ['http'] });
    const tenant = newTenant();
    admin = await srv.token({ tenant, roles: ADMIN_ROLES });
    reader = await srv.token({ tenant, roles: READ_ROLES });
    base = `http://127.0.0.1:${srv.ports.http}`;
  });
  after(async () => {
    if (srv && !srv.exit) await srv.close();
  });

  describe('envelope', () => {
    test('20 requests pass, 21 fail the whole batch with 400', async () => {
      const twenty = Array.from({ length: 20 }, (_, i) => get(String(i + 1)));
      const ok = await post(srv, admin, { requests: twenty });
      assertStatus(ok, 200);
      assertGraphHeaders(ok, { scheme: 'http', kind: 'odata' });
      assert.equal(ok.json.responses.length, 20);
      for (const a of ok.json.responses) assert.equal(a.status, 200);
      const bad = await post(srv, admin, { requests: [...twenty, get('21')] });
      assertBatch400(bad, /at most 20 requests; this one has 21/);
    });

    test('an empty batch answers an empty responses array', async () => {
      const r = await post(srv, admin, { requests: [] });
      assertStatus(r, 200);
      assert.deepEqual(r.json, { responses: [] });
    });

    test('duplicate ids, compared case-insensitively, fail the whole batch', async () => {
      assertBatch400(await post(srv, admin, { requests: [get('a'), get('a')] }), /two requests with the id 'a'/);
      assertBatch400(await post(srv, admin, { requests: [get('Req'), get('rEQ')] }), /two requests with the id 'rEQ'/);
    });

    test('malformed envelopes fail with 400', async () => {
      const cases = [
        ['{"requests": [', /./],
        ['[]', /must be a JSON object/],
        ['{}', /needs a 'requests' array/],
        ['{"requests": {}}', /needs a 'requests' array/],
        ['{"requests": [1]}', /request 1: each request must be an object/],
        ['{"requests": [{"method":"GET","url":"/x"}]}', /'id' is required/],
        ['{"requests": [{"id":1,"method":"GET","url":"/x"}]}', /'id' is required/],
        ['{"requests": [{"id":"1","url":"/x"}]}', /'method' is required/],
        ['{"requests": [{"id":"1","method":"GET"}]}', /'url' is required/],
        ['{"requests": [{"id":"1","method":"GET","url":"/x","headers":[]}]}', /'headers' must be an object/],
        ['{"requests": [{"id":"1","method":"GET","url":"/x","headers":{"a":1}}]}', /header value must be a string/],
        ['{"requests": [{"id":"1","method":"POST","url":"/x","body":{}}]}', /needs a Content-Type/],
        ['{"requests": [{"id":"1","method":"POST","url":"/x","headers":{"Accept":"*/*"},"body":{}}]}', /needs a Content-Type/],
        ['{"requests": [{"id":"1","method":"GET","url":"/x","dependsOn":"2"}]}', /'dependsOn' must be an array/],
        ['{"requests": [{"id":"1","method":"GET","url":"/x","dependsOn":["9"]}]}', /names '9', which is not the id/],
        ['{"requests": [{"id":"1","method":"GET","url":"/x","dependsOn":["1"]}]}', /form a cycle/],
        ['{"requests": [{"id":"1","method":"GET","url":"/x","dependsOn":["2"]},{"id":"2","method":"GET","url":"/x","dependsOn":["1"]}]}', /form a cycle/],
      ];
      for (const [body, msg] of cases) {
        const r = await srv.request('POST', batchPath('v1.0'), { token: admin, body, headers: JSON_CT });
        assertBatch400(r, msg);
      }
    });

    test('the envelope must be JSON, at most 1 MiB, and the batch needs a valid token', async () => {
      const env = JSON.stringify({ requests: [get('1')] });
      const r415 = await srv.request('POST', batchPath('v1.0'), { token: admin, body: env, headers: { 'Content-Type': 'text/plain' } });
      assertGraphError(r415, { status: 415, code: 'UnsupportedMediaType', wrapped: 'any' });
      const big = JSON.stringify({ requests: [get('1')], pad: 'x'.repeat(1024 * 1024) });
      const r413 = await srv.request('POST', batchPath('v1.0'), { token: admin, body: big, headers: JSON_CT });
      assertGraphError(r413, { status: 413, wrapped: 'any' });
      const r401 = await srv.request('POST', batchPath('v1.0'), { body: env, headers: JSON_CT });
      assertGraphError(r401, { status: 401, code: 'InvalidAuthenticationToken', wrapped: 'any' });
      const r405 = await srv.request('GET', batchPath('v1.0'), { token: admin });
      assertGraphError(r405, { status: 405, wrapped: 'any' });
      assert.equal(r405.headers.allow, 'POST');
    });
  });

  describe('inner requests', () => {
    test('create -> get -> patch -> get -> delete -> get in one batch, chained with dependsOn', async () => {
      const first = await post(srv, admin, { requests: [create('c', 'batched')] });
      const c = answer(first, 'c');
      assert.equal(c.status, 201);
      assert.equal(c.headers['Content-Type'], CT_ODATA);
      assert.equal(c.headers['OData-Version'], '4.0');
      assert.equal(c.headers['Cache-Control'], 'no-cache');
      const id = c.body.id;
      assert.match(id, GUID_RE);
      assert.equal(c.headers.Location, `${base}/v1.0${COLLECTION}/${id}`);
      assert.equal(c.body['@odata.context'], `${GRAPH_ROOT}/v1.0/$metadata#deviceManagement/complianceManagementPartners/$entity`);
      assert.equal(c.body.displayName, 'batched');

      const url = `${COLLECTION}/${id}`;
      const r = await post(srv, admin, {
        requests: [
          { id: '1', method: 'GET', url: `${url}?$select=id,displayName` },
          { id: '2', method: 'PATCH', url, dependsOn: ['1'], headers: { 'Content-Type': 'application/json' }, body: { displayName: 'patched' } },
          { id: '3', method: 'PATCH', url: url.slice(1), dependsOn: ['2'], headers: { 'Content-Type': 'application/json', Prefer: 'return=representation' }, body: { iosOnboarded: true } },
          { id: '4', method: 'DELETE', url, dependsOn: ['3'] },
          { id: '5', method: 'GET', url, dependsOn: ['4'] },
          { id: '6', method: 'GET', url, dependsOn: ['5'] },
        ],
      });
      assertStatus(r, 200);
      assertGraphHeaders(r, { scheme: 'http', kind: 'odata' });
      assert.deepEqual(r.json.responses.map((a) => a.id), ['1', '2', '3', '4', '5', '6']);
      const a1 = answer(r, '1');
      assert.equal(a1.status, 200);
      assert.deepEqual(a1.body, {
        '@odata.context': `${GRAPH_ROOT}/v1.0/$metadata#deviceManagement/complianceManagementPartners(id,displayName)/$entity`,
        id,
        displayName: 'batched',
      });
      const a2 = answer(r, '2');
      assert.equal(a2.status, 204);
      assert.equal('body' in a2, false, '204 answers carry no body');
      assert.equal(a2.headers['Content-Type'], undefined);
      const a3 = answer(r, '3');
      assert.equal(a3.status, 200);
      assert.equal(a3.headers['Preference-Applied'], 'return=representation');
      assert.equal(a3.body.displayName, 'patched');
      assert.equal(a3.body.iosOnboarded, true);
      assert.equal(answer(r, '4').status, 204);
      assertInnerError(r, answer(r, '5'), { status: 404, code: 'ResourceNotFound' });
      assertInnerError(r, answer(r, '6'), { status: 424, code: 'FailedDependency', message: /request '5', which failed with status 404/ });
      // And outside the batch, the item is gone.
      assertStatus(await srv.request('GET', `/v1.0${url}`, { token: admin }), 404);
    });

    test('a failed dependency gives 424 down the chain; independent requests still run', async () => {
      const r = await post(srv, admin, {
        requests: [
          get('bad', `${COLLECTION}?$top=-1`),
          get('dep', COLLECTION, { dependsOn: ['BAD'] }),
          get('dep2', COLLECTION, { dependsOn: ['dep'] }),
          get('free'),
        ],
      });
      assertInnerError(r, answer(r, 'bad'), { status: 400, code: 'BadRequest' });
      assertInnerError(r, answer(r, 'dep'), { status: 424, code: 'FailedDependency' });
      assertInnerError(r, answer(r, 'dep2'), { status: 424, code: 'FailedDependency', message: /request 'dep', which failed with status 424/ });
      assert.equal(answer(r, 'free').status, 200);
    });

    test('a request runs after those it depends on even when listed before them', async () => {
      const r = await post(srv, admin, {
        requests: [get('late', `${COLLECTION}?$filter=displayName eq 'order-test'&$count=true`, { dependsOn: ['early'] }), create('early', 'order-test')],
      });
      assert.equal(answer(r, 'early').status, 201);
      const late = answer(r, 'late');
      assert.equal(late.status, 200);
      assert.equal(late.body['@odata.count'], 1);
      assert.equal(late.body.value[0].displayName, 'order-test');
    });

    test('a read-only token: 200 for the inner GET, 403 for the inner POST', async () => {
      const r = await post(srv, reader, { requests: [get('r'), create('w', 'nope')] });
      assert.equal(answer(r, 'r').status, 200);
      assertInnerError(r, answer(r, 'w'), { status: 403, code: 'Forbidden' });
    });

    test('bad inner url, method, body: that request alone fails', async () => {
      const r = await post(srv, admin, {
        requests: [
          get('abs', `https://graph.microsoft.com/v1.0${COLLECTION}`),
          get('ver', `/beta${COLLECTION}`),
          get('same', `/v1.0${COLLECTION}`),
          get('nf', '/deviceManagement/nothing'),
          { id: 'put', method: 'PUT', url: COLLECTION },
          { id: 'badjson', method: 'POST', url: COLLECTION, headers: JSON_CT, body: Buffer.from('{"displayName":').toString('base64') },
          { id: 'arr', method: 'POST', url: COLLECTION, headers: JSON_CT, body: [1] },
          { id: 'notb64', method: 'POST', url: COLLECTION, headers: JSON_CT, body: '%%%' },
          { id: 'text', method: 'POST', url: COLLECTION, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('hello').toString('base64') },
          { id: 'unknownProp', method: 'POST', url: COLLECTION, headers: JSON_CT, body: { foo: 1 } },
          { id: 'b64ok', method: 'POST', url: COLLECTION, headers: JSON_CT, body: Buffer.from('{"displayName":"from base64"}').toString('base64') },
          { id: 'nested', method: 'POST', url: '$batch', headers: JSON_CT, body: { requests: [] } },
          get('count', `${COLLECTION}/$count`),
          { id: 'accept', method: 'GET', url: COLLECTION, headers: { Accept: 'application/xml' } },
        ],
      });
      assertInnerError(r, answer(r, 'abs'), { status: 400, code: 'BadRequest', message: /must be relative to the version root/ });
      assertInnerError(r, answer(r, 'ver'), { status: 400, code: 'BadRequest', message: /names another version than the batch's \(\/v1\.0\)/ });
      assert.equal(answer(r, 'same').status, 200, 'the batch version in the url is taken as relative (the SDKs send it)');
      assertInnerError(r, answer(r, 'nf'), { status: 404, code: 'ResourceNotFound' });
      const put = answer(r, 'put');
      assertInnerError(r, put, { status: 405, code: 'MethodNotAllowed' });
      assert.equal(put.headers.Allow, 'GET, POST');
      assertInnerError(r, answer(r, 'badjson'), { status: 400, code: 'BadRequest' });
      assertInnerError(r, answer(r, 'arr'), { status: 400, code: 'BadRequest', message: /JSON object or base64/ });
      assertInnerError(r, answer(r, 'notb64'), { status: 400, code: 'BadRequest', message: /JSON object or base64/ });
      assertInnerError(r, answer(r, 'text'), { status: 415, code: 'UnsupportedMediaType' });
      assertInnerError(r, answer(r, 'unknownProp'), { status: 400, code: 'BadRequest' });
      const b64 = answer(r, 'b64ok');
      assert.equal(b64.status, 201);
      assert.equal(b64.body.displayName, 'from base64');
      assertInnerError(r, answer(r, 'nested'), { status: 400, message: /cannot hold another batch/ });
      const count = answer(r, 'count');
      assert.equal(count.status, 200);
      assert.equal(count.headers['Content-Type'], 'text/plain');
      assert.equal(count.headers['OData-Version'], undefined);
      assert.match(count.body, /^\d+$/);
      assertInnerError(r, answer(r, 'accept'), { status: 406, code: 'NotAcceptable' });
    });

    test('client-request-id of the batch reaches the inner error bodies; an inner Authorization is ignored', async () => {
      const crid = 'batch-crid-1';
      const r = await post(srv, reader, { requests: [create('w', 'x', { headers: { ...JSON_CT, Authorization: `Bearer ${admin}` } })] }, 'v1.0', { 'client-request-id': crid });
      assert.equal(r.headers['client-request-id'], crid);
      const a = answer(r, 'w');
      assertInnerError(r, a, { status: 403 });
      assert.equal(a.body.error.innerError['client-request-id'], crid);
    });

    test('beta and v1.0 batches answer with their own context URLs', async () => {
      for (const v of ['v1.0', 'beta']) {
        const r = await post(srv, admin, { requests: [get('1', `${COLLECTION}?$top=1`), get('2', 'deviceManagement/complianceManagementPartners')] }, v);
        for (const id of ['1', '2']) {
          const a = answer(r, id);
          assert.equal(a.status, 200);
          assert.equal(a.body['@odata.context'], `${GRAPH_ROOT}/${v}/$metadata#deviceManagement/complianceManagementPartners`);
        }
      }
    });

    test('the access log has one line for the batch, none for its inner requests', async () => {
      const r = await post(srv, admin, { requests: [get('1'), get('2')] });
      assertStatus(r, 200);
      const rid = r.headers['request-id'];
      let lines = [];
      for (let i = 0; i < 100 && lines.length === 0; i++) {
        lines = srv.log.split('\n').filter((l) => l.startsWith('{"time":')).map((l) => JSON.parse(l)).filter((l) => l.request_id === rid);
        if (lines.length === 0) await new Promise((res) => setTimeout(res, 50));
      }
      assert.equal(lines.length, 1, `one access-log line for ${rid}`);
      assert.equal(lines[0].method, 'POST');
      assert.equal(lines[0].path, '/v1.0/$batch');
      assert.equal(lines[0].status, 200);
    });

    test('/metrics counts the batch under route="batch"', async () => {
      const m = await srv.request('GET', '/metrics');
      assert.match(m.text, /route="batch"/);
    });
  });
});

describe('throttling', () => {
  let tsrv;
  before(async () => {
    tsrv = await startServer({ listeners: ['http'], args: ['--throttle', 'intune', '--throttle-app-writes', '3', '--throttle-window', '60'] });
  });
  after(async () => {
    if (tsrv && !tsrv.exit) await tsrv.close();
  });

  test('inner requests are throttled one by one; an inner 429 carries Retry-After', async () => {
    const tok = await tsrv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const r = await post(tsrv, tok, { requests: [1, 2, 3, 4, 5].map((i) => create(String(i), `t${i}`)) });
    assertStatus(r, 200);
    for (const id of ['1', '2', '3']) assert.equal(answer(r, id).status, 201);
    for (const id of ['4', '5']) {
      const a = answer(r, id);
      assertInnerError(r, a, { status: 429, code: 'TooManyRequests', message: /^Too many requests\. Retry after \d+ seconds?\.$/ });
      assert.match(a.headers['Retry-After'], /^\d+$/);
      assert.ok(Number(a.headers['Retry-After']) >= 1);
    }
  });
});

describe('fault injection', () => {
  let fsrv;
  before(async () => {
    fsrv = await startServer({ listeners: ['http'], args: ['--fault-rate', '1', '--fault-status', '503', '--fault-retry-after', '7', '--fault-latency', '60000'] });
  });
  after(async () => {
    if (fsrv && !fsrv.exit) await fsrv.close();
  });

  test('inner requests get injected errors in their own answers, and are never held by a delay', async () => {
    const tok = await fsrv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const t0 = Date.now();
    const r = await post(fsrv, tok, { requests: [get('1'), create('2', 'faulted')] });
    assert.ok(Date.now() - t0 < 30000, 'a 60 s fault delay must not hold the batch or its inner requests');
    for (const id of ['1', '2']) {
      const a = answer(r, id);
      assertInnerError(r, a, { status: 503, code: 'ServiceUnavailable', message: /Retry after 7 seconds\.$/ });
      assert.equal(a.headers['Retry-After'], '7');
    }
  });
});

describe('Graph JavaScript client batching', () => {
  let csrv;
  before(async () => {
    csrv = await startServer();
  });
  after(async () => {
    if (csrv && !csrv.exit) await csrv.close();
  });

  test('BatchRequestContent / BatchResponseContent against cmpd', async () => {
    const tok = await csrv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
    const out = await runClientScript(csrv, 'graph_client_batch_run.mjs', { token: tok, timeout: 60000 });
    assert.equal(out.create.status, 201, JSON.stringify(out));
    assert.match(out.create.body.id, GUID_RE);
    assert.equal(out.create.contentType, CT_ODATA);
    assert.equal(out.get.status, 200);
    assert.equal(out.get.body.displayName, 'via BatchRequestContent');
    assert.equal(out.patch.status, 204);
    assert.equal(out.list.status, 200);
    assert.ok(Array.isArray(out.list.body.value));
    assert.equal(out.missing.status, 404);
    assert.equal(out.missing.body.error.code, 'ResourceNotFound');
    assert.equal(out.second.get.status, 200);
    assert.equal(out.second.get.body.displayName, 'patched by batch');
    assert.equal(out.second.del.status, 204);
    assert.equal(out.second.after.status, 404);
  });
});
