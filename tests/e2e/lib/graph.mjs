// What a Graph answer must look like (graph-conventions.md 2-4, compliance-management-partner.md 2-3),
// as assertions shared by the test files, and a small model of the entity to build expected bodies.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { E2E_DIR, GUID_RE } from './harness.mjs';

export const CT_ODATA =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
export const CT_ERROR = 'application/json';
export const HSTS = 'max-age=31536000';

export const COLLECTION = '/deviceManagement/complianceManagementPartners';
export const VERSIONS = ['v1.0', 'beta'];
export const col = (v) => `/${v}${COLLECTION}`;
export const item = (v, id) => `/${v}${COLLECTION}/${id}`;
export const itemParen = (v, id) => `/${v}${COLLECTION}('${id}')`;
export const countPath = (v) => `/${v}${COLLECTION}/$count`;
// @odata.context names the cloud's Graph root, as Graph writes it (graph-conventions.md 1, 4), or
// --public-url when the server has one; nextLink and Location name where the server was reached.
export const GRAPH_ROOT = 'https://graph.microsoft.com';
export const contextCollection = (v, root = GRAPH_ROOT) => `${root}/${v}/$metadata#deviceManagement/complianceManagementPartners`;
export const contextEntity = (v, root = GRAPH_ROOT) => `${contextCollection(v, root)}/$entity`;

// compliance-management-partner.md 3.1, in the table's order (least -> most privileged).
export const READ_PERMS = [
  'DeviceManagementServiceConfig.Read.All',
  'DeviceManagementServiceConfig.ReadWrite.All',
  'DeviceManagementConfiguration.Read.All',
  'DeviceManagementConfiguration.ReadWrite.All',
];
export const WRITE_PERMS = ['DeviceManagementServiceConfig.ReadWrite.All', 'DeviceManagementConfiguration.ReadWrite.All'];
export const ADMIN_ROLES = ['DeviceManagementServiceConfig.ReadWrite.All'];

export const ENTITY_TYPE = '#microsoft.graph.complianceManagementPartner';
export const ASSIGNMENT_TYPE = '#microsoft.graph.complianceManagementPartnerAssignment';
export const PARTNER_STATES = ['unknown', 'unavailable', 'enabled', 'terminated', 'rejected', 'unresponsive'];
export const FILTER_TYPES = ['none', 'include', 'exclude'];
export const TARGET_TYPES = [
  'allDevicesAssignmentTarget',
  'allLicensedUsersAssignmentTarget',
  'configurationManagerCollectionAssignmentTarget',
  'groupAssignmentTarget',
  'exclusionGroupAssignmentTarget',
];
export const TARGET_ID_PROP = {
  allDevicesAssignmentTarget: null,
  allLicensedUsersAssignmentTarget: null,
  configurationManagerCollectionAssignmentTarget: 'collectionId',
  groupAssignmentTarget: 'groupId',
  exclusionGroupAssignmentTarget: 'groupId',
};

export const COLLECTION_PROPS = [
  'macOsEnrollmentAssignments',
  'androidEnrollmentAssignments',
  'iosEnrollmentAssignments',
  'linuxEnrollmentAssignments',
];

/** Wire order of an entity (spec 2.1), with @odata.context first when `context`. */
export function entityOrder(v, context = true) {
  const keys = [];
  if (context) keys.push('@odata.context');
  keys.push('@odata.type', 'id', 'lastHeartbeatDateTime', 'partnerState', 'displayName', 'macOsOnboarded');
  if (v === 'beta') keys.push('linuxOnboarded');
  keys.push('androidOnboarded', 'iosOnboarded', 'macOsEnrollmentAssignments', 'androidEnrollmentAssignments', 'iosEnrollmentAssignments');
  if (v === 'beta') keys.push('linuxEnrollmentAssignments');
  return keys;
}

export const DEFAULTS = Object.freeze({
  lastHeartbeatDateTime: '0001-01-01T00:00:00Z',
  partnerState: 'unknown',
  displayName: null,
  macOsOnboarded: false,
  linuxOnboarded: false,
  androidOnboarded: false,
  iosOnboarded: false,
  macOsEnrollmentAssignments: [],
  androidEnrollmentAssignments: [],
  iosEnrollmentAssignments: [],
  linuxEnrollmentAssignments: [],
});

// ------------------------------------------------------------------------------------------------
// the model: a partner is {id, ...DEFAULTS-shaped values}; an assignment target is
// {type, groupId?, collectionId?, filterId?, filterType?}

export function target(type, props = {}) {
  return { type, ...props };
}

/** A target as a request body writes it (`hash`: with the leading '#'). */
export function targetInput(t, { hash = true, version = 'v1.0' } = {}) {
  const o = { '@odata.type': `${hash ? '#' : ''}microsoft.graph.${t.type}` };
  const idProp = TARGET_ID_PROP[t.type];
  if (idProp && t[idProp] !== undefined) o[idProp] = t[idProp];
  if (version === 'beta') {
    if (t.filterId !== undefined) o.deviceAndAppManagementAssignmentFilterId = t.filterId;
    if (t.filterType !== undefined) o.deviceAndAppManagementAssignmentFilterType = t.filterType;
  }
  return o;
}

export function assignmentInput(t, opts) {
  return { target: targetInput(t, opts) };
}

/** Request body for the model values in `p` (only the keys present in `p`). */
export function bodyFor(p, opts = {}) {
  const out = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'id') continue;
    if (COLLECTION_PROPS.includes(k)) out[k] = v.map((t) => assignmentInput(t, opts));
    else out[k] = v;
  }
  return out;
}

/** Apply a create (defaults + values) or a patch (values over `base`) to the model. */
export function applyValues(baseValues, values) {
  const out = { ...baseValues };
  for (const [k, v] of Object.entries(values)) {
    if (k === 'id' || k.startsWith('@')) continue;
    out[k] = v;
  }
  return out;
}

function renderTarget(t, v) {
  const o = { '@odata.type': `#microsoft.graph.${t.type}` };
  if (v === 'beta') {
    o.deviceAndAppManagementAssignmentFilterId = t.filterId ?? null;
    o.deviceAndAppManagementAssignmentFilterType = t.filterType ?? 'none';
  }
  const idProp = TARGET_ID_PROP[t.type];
  if (idProp) o[idProp] = t[idProp] ?? null;
  return o;
}

/** The exact JSON object the server must send for partner `p` in version `v`. */
export function renderEntity(p, v, opts = {}) {
  if (typeof opts !== 'object') throw new TypeError('renderEntity(p, v, {context, root})');
  const { context = true, root = GRAPH_ROOT } = opts;
  const full = { ...DEFAULTS, ...p };
  const o = {};
  if (context) o['@odata.context'] = contextEntity(v, root);
  o['@odata.type'] = ENTITY_TYPE;
  for (const k of entityOrder(v, false).slice(1)) {
    if (COLLECTION_PROPS.includes(k)) o[k] = full[k].map((t) => ({ target: renderTarget(t, v) }));
    else o[k] = full[k];
  }
  return o;
}

/**
 * The spec is not settled on whether an assignment carries its own "@odata.type" (3.2 vs the 3.4
 * example); when it does it must be the '#'-prefixed assignment type, written first.  Returns a
 * copy without it.
 */
export function stripAssignmentAnnotations(entity) {
  const copy = structuredClone(entity);
  for (const k of COLLECTION_PROPS) {
    if (!Array.isArray(copy[k])) continue;
    copy[k] = copy[k].map((a, i) => {
      if (a && typeof a === 'object' && '@odata.type' in a) {
        assert.equal(a['@odata.type'], ASSIGNMENT_TYPE, `${k}[${i}]["@odata.type"]`);
        assert.equal(Object.keys(a)[0], '@odata.type', `${k}[${i}]: "@odata.type" must come first`);
        const { '@odata.type': _t, ...rest } = a;
        return rest;
      }
      return a;
    });
  }
  return copy;
}

/** Assert that `actual` (a parsed entity) is exactly partner `p` in version `v`. */
export function assertEntity(actual, p, v, opts = {}) {
  if (typeof opts !== 'object') throw new TypeError('assertEntity(actual, p, v, {context, what, root})');
  const { context = true, what = 'entity', root = GRAPH_ROOT } = opts;
  assert.ok(actual && typeof actual === 'object' && !Array.isArray(actual), `${what}: not an object`);
  const stripped = stripAssignmentAnnotations(actual);
  assert.deepEqual(stripped, renderEntity(p, v, { context, root }), `${what}: body differs`);
  assert.deepEqual(Object.keys(actual), entityOrder(v, context), `${what}: property order differs from spec 2.1`);
  for (const k of COLLECTION_PROPS) {
    for (const [i, a] of (actual[k] || []).entries())
      assert.equal(Object.keys(a.target)[0], '@odata.type', `${what}.${k}[${i}].target: "@odata.type" must come first`);
  }
}

/** Assert a collection body holding exactly `partners` (any order). */
export function assertCollection(body, partners, v, what = 'collection', root = GRAPH_ROOT) {
  assert.deepEqual(Object.keys(body), ['@odata.context', 'value'], `${what}: members`);
  assert.equal(body['@odata.context'], contextCollection(v, root), `${what}: @odata.context`);
  assert.ok(Array.isArray(body.value), `${what}: value is not an array`);
  const byId = new Map(partners.map((p) => [p.id, p]));
  assert.deepEqual(body.value.map((e) => e.id).sort(), [...byId.keys()].sort(), `${what}: ids`);
  for (const e of body.value) assertEntity(e, byId.get(e.id), v, { context: false, what: `${what} item ${e.id}` });
}

// ------------------------------------------------------------------------------------------------
// headers and errors

/**
 * Headers every Graph response carries (conventions 3).  kind: 'odata' | 'error' | 'text' | 'empty'.
 * Returns the request-id.
 */
export function assertGraphHeaders(res, { scheme, kind, clientRequestId } = {}) {
  const h = res.headers;
  const ctx = () => String(res);
  assert.match(h['request-id'] || '', GUID_RE, `request-id header must be a GUID: ${ctx()}`);
  if (clientRequestId !== undefined) assert.equal(h['client-request-id'], clientRequestId, `client-request-id must echo the request's: ${ctx()}`);
  else assert.equal(h['client-request-id'], h['request-id'], `client-request-id must equal request-id when none was sent: ${ctx()}`);
  assert.equal(h['cache-control'], 'no-cache', `Cache-Control: ${ctx()}`);
  assert.match(h.date || '', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/, `Date (RFC 1123): ${ctx()}`);
  assert.ok(h['x-ms-ags-diagnostic'], `x-ms-ags-diagnostic missing: ${ctx()}`);
  let diag;
  assert.doesNotThrow(() => {
    diag = JSON.parse(h['x-ms-ags-diagnostic']);
  }, `x-ms-ags-diagnostic must be JSON text: ${h['x-ms-ags-diagnostic']}`);
  assert.ok(diag && typeof diag === 'object' && !Array.isArray(diag), 'x-ms-ags-diagnostic must be a JSON object');
  if (scheme === 'https') assert.equal(h['strict-transport-security'], HSTS, `HSTS on https: ${ctx()}`);
  else if (scheme === 'http') assert.equal(h['strict-transport-security'], undefined, `no HSTS on plain http: ${ctx()}`);
  if (kind === 'odata') {
    assert.equal(h['content-type'], CT_ODATA, `Content-Type of an OData payload: ${ctx()}`);
    assert.equal(h['odata-version'], '4.0', `OData-Version: ${ctx()}`);
  } else if (kind === 'error') {
    assert.equal(h['content-type'], CT_ERROR, `Content-Type of an error: ${ctx()}`);
  } else if (kind === 'text') {
    assert.equal((h['content-type'] || '').split(';')[0].trim(), 'text/plain', `Content-Type of $count: ${ctx()}`);
  } else if (kind === 'empty') {
    assert.equal(res.raw.length, 0, `body must be empty: ${ctx()}`);
  }
  return h['request-id'];
}

export function assertStatus(res, status) {
  assert.equal(res.status, status, `expected ${status}: ${res}`);
}

const WRAPPED_RE =
  /^\{\r\n {2}"_version": 3,\r\n {2}"Message": "(?:[^"\\\r\n]|\\.)*",\r\n {2}"CustomApiErrorPhrase": "",\r\n {2}"RetryAfter": null,\r\n {2}"ErrorSourceService": "",\r\n {2}"HttpHeaders": "\{\}"\r\n\}$/;
const INNER_MSG_RE =
  /^([\s\S]*) - Operation ID \(for customer support\): 00000000-0000-0000-0000-000000000000 - Activity ID: ([0-9a-fA-F-]{36}) - Url: (\S+)$/;

/** Parse Intune's wrapped message; returns the leading human text. */
export function unwrapMessage(message, requestId, what = 'error.message') {
  assert.match(message, WRAPPED_RE, `${what} is not Intune's wrapped JSON (CRLF, two spaces): ${JSON.stringify(message)}`);
  const inner = JSON.parse(message);
  assert.deepEqual(Object.keys(inner), ['_version', 'Message', 'CustomApiErrorPhrase', 'RetryAfter', 'ErrorSourceService', 'HttpHeaders']);
  const m = INNER_MSG_RE.exec(inner.Message);
  assert.ok(m, `${what}: Message lacks " - Operation ID (for customer support): 0…0 - Activity ID: <id> - Url: <url>": ${JSON.stringify(inner.Message)}`);
  if (requestId) assert.equal(m[2], requestId, `${what}: Activity ID must equal the request-id`);
  assert.doesNotMatch(m[3], /microsoft\.com|windows\.net|manage\.microsoft/i, `${what}: Url must be cmpd's own`);
  return m[1];
}

/**
 * Assert a Graph error response.  o: {status, code, message (string exact | RegExp on the leading
 * text), wrapped (true | false | 'any'), scheme, clientRequestId}.  Returns the (leading) message text.
 */
export function assertGraphError(res, o) {
  assertStatus(res, o.status);
  const rid = assertGraphHeaders(res, { scheme: o.scheme, kind: 'error', clientRequestId: o.clientRequestId });
  const body = res.json;
  assert.deepEqual(Object.keys(body), ['error'], `error body must have exactly "error": ${res}`);
  const e = body.error;
  assert.deepEqual(Object.keys(e), ['code', 'message', 'innerError'], `error members and order: ${res}`);
  if (o.code !== undefined) assert.equal(e.code, o.code, `error.code: ${res}`);
  assert.equal(typeof e.message, 'string');
  const ie = e.innerError;
  assert.deepEqual(Object.keys(ie), ['date', 'request-id', 'client-request-id'], `innerError members and order: ${res}`);
  assert.match(ie.date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'innerError.date format yyyy-MM-ddTHH:mm:ss');
  const skew = Math.abs(Date.parse(`${ie.date}Z`) - Date.now());
  assert.ok(skew < 10 * 60 * 1000, `innerError.date must be UTC now, got ${ie.date}`);
  assert.equal(ie['request-id'], rid, 'innerError.request-id must equal the request-id header');
  assert.equal(ie['client-request-id'], res.headers['client-request-id'], 'innerError.client-request-id must equal the header');
  let text;
  const looksWrapped = e.message.startsWith('{');
  if (o.wrapped === true || (o.wrapped === 'any' && looksWrapped)) text = unwrapMessage(e.message, rid);
  else {
    if (o.wrapped === false) assert.ok(!looksWrapped, `message must be plain text, not wrapped: ${res}`);
    text = e.message;
  }
  if (typeof o.message === 'string') assert.equal(text, o.message, `error message: ${res}`);
  else if (o.message instanceof RegExp) assert.match(text, o.message, `error message: ${res}`);
  return text;
}

// ------------------------------------------------------------------------------------------------
// fixtures

export function loadFixture(name) {
  return JSON.parse(readFileSync(path.join(E2E_DIR, 'fixtures', name), 'utf8'));
}

/** The seed example request (spec/examples/create-request.json) as model values. */
export function seedModel() {
  const t = target('configurationManagerCollectionAssignmentTarget', { collectionId: 'Collection Id value' });
  return {
    lastHeartbeatDateTime: '2016-12-31T23:59:37.9174975-08:00',
    partnerState: 'unavailable',
    displayName: 'Display Name value',
    macOsOnboarded: true,
    androidOnboarded: true,
    iosOnboarded: true,
    macOsEnrollmentAssignments: [t],
    androidEnrollmentAssignments: [t],
    iosEnrollmentAssignments: [t],
  };
}
