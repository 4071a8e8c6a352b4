// OData query options in the test itself (graph-conventions.md 4-6): a known data set of partners,
// a small evaluator of $filter and $orderby over the model objects (the semantics the server must
// implement, written independently of it), query-string builders, and helpers for walking pages
// and checking 400s.  Used by 45_odata_filter, 46_odata_options and 47_paging.
//
// Semantics implemented here (the contract of issue 3):
//  - comparisons: null eq null is true; x ne null / null ne 'x' true; every other comparison with
//    a null side is false; strings ordinal (code points, case-sensitive); enums by member value;
//    false < true; DateTimeOffset as instants (100 ns ticks; the offset does not matter);
//  - not/and/or two-valued over those results; `in` is eq against any item;
//  - startswith/endswith/contains: case-sensitive, false on null;
//  - lambdas over the *EnrollmentAssignments collections: any() = non-empty, all() over an empty
//    collection is true; a/target/<member> reads null on a target type that lacks the member
//    (groupId: group and exclusion group targets; collectionId: Configuration Manager collections;
//    the beta filter members: every type) or that a cast segment does not match (a cast to
//    groupAssignmentTarget also matches exclusionGroupAssignmentTarget; a cast to the abstract
//    base matches all);
//  - $orderby: nulls first ascending, last descending; ties by creation order.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runClientScript } from './harness.mjs';
import { assertGraphError, assertStatus, bodyFor, col, COLLECTION, countPath, DEFAULTS, PARTNER_STATES, FILTER_TYPES, target } from './graph.mjs';

// ------------------------------------------------------------------------------------------------
// DateTimeOffset -> ticks (100 ns since an arbitrary epoch; only differences matter)

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DTO_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Ticks (BigInt) of an ISO DateTimeOffset; throws on anything else. */
export function ticksOf(s) {
  const m = DTO_RE.exec(s);
  if (!m) throw new Error(`not a DateTimeOffset: ${s}`);
  const [, y, mo, d, h, mi, sec = '0', frac = '', z, sign, oh, om] = m;
  let secs = BigInt(daysFromCivil(+y, +mo, +d)) * 86400n + BigInt(+h * 3600 + +mi * 60 + +sec);
  if (z !== 'Z' && z !== 'z') secs -= BigInt((sign === '-' ? -1 : 1) * (+oh * 3600 + +om * 60));
  const f = (frac + '0000000').slice(0, 7);
  if (frac.length > 7 && /[1-9]/.test(frac.slice(7))) throw new Error(`finer than 100 ns: ${s}`);
  return secs * 10000000n + BigInt(f);
}

// ------------------------------------------------------------------------------------------------
// ordinal string comparison (UTF-8 bytes = code points)

export function cmpStr(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ------------------------------------------------------------------------------------------------
// the data set

/** Deterministic PRNG (mulberry32). */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The same instant written four ways, and its neighbours one tick away.
export const INSTANT = '2026-11-01T08:15:00Z';
export const SAME_INSTANT = ['2026-11-01T08:15:00Z', '2026-11-01T09:15:00+01:00', '2026-11-01T03:15:00-05:00', '2026-11-01T13:45:00+05:30'];
export const TICK_AFTER = '2026-11-01T08:15:00.0000001Z';
export const TICK_BEFORE = '2026-11-01T08:14:59.9999999Z';

const HEARTBEATS = [
  DEFAULTS.lastHeartbeatDateTime,
  '1999-12-31T23:59:59-12:00',
  '2016-12-31T23:59:37.9174975-08:00',
  '2024-02-29T12:00:00-08:00',
  '2025-01-01T00:00:00Z',
  '2025-01-01T01:00:00+01:00', // = 2025-01-01T00:00:00Z
  INSTANT,
  '2026-11-01T09:15:00+01:00',
  '2027-06-15T23:59:59.5+14:00',
  '2030-03-01T00:00:00.1234567Z',
];
// Generated rows draw their names from here: none equals a hand-made row's name, so a test may
// name a hand-made row to mean exactly that partner.
const NAMES = [null, null, 'Fabrikam', 'Northwind', 'Tailspin', 'Woodgrove', 'Litware', 'Proseware', 'Adatum', 'contoso ltd', 'Fabrikam EU', 'Zeta', 'Ünïcödé ✓', 'Tailspin Toys'];
const GROUPS = ['g1', 'g2', 'g3', 'G1', null];
const COLLECTIONS = ['SMS00001', 'SMS00002', null];

function randomTarget(rnd, beta) {
  const kinds = ['allDevicesAssignmentTarget', 'allLicensedUsersAssignmentTarget', 'configurationManagerCollectionAssignmentTarget', 'groupAssignmentTarget', 'exclusionGroupAssignmentTarget'];
  const kind = kinds[Math.floor(rnd() * kinds.length)];
  const props = {};
  if (kind === 'configurationManagerCollectionAssignmentTarget') props.collectionId = COLLECTIONS[Math.floor(rnd() * COLLECTIONS.length)];
  if (kind.includes('roup')) props.groupId = GROUPS[Math.floor(rnd() * GROUPS.length)];
  if (beta) {
    const r = rnd();
    if (r < 0.6) props.filterType = FILTER_TYPES[Math.floor(rnd() * 3)];
    if (rnd() < 0.5) props.filterId = ['f1', 'f2', null][Math.floor(rnd() * 3)];
  }
  return target(kind, props);
}

/**
 * The data set, in creation order: [{version, values}] (model values as lib/graph.mjs's bodyFor
 * takes them).  `extra` generated rows follow the hand-made ones.
 */
export function dataset({ extra = 36, seed = 20261101 } = {}) {
  const T = target;
  const rows = [
    // defaults everywhere
    { version: 'v1.0', values: {} },
    { version: 'beta', values: {} },
    // the same instant four ways, and one tick either side
    { version: 'v1.0', values: { displayName: 'Contoso MDM', partnerState: 'enabled', lastHeartbeatDateTime: SAME_INSTANT[0], macOsOnboarded: true, iosOnboarded: true, macOsEnrollmentAssignments: [T('groupAssignmentTarget', { groupId: 'g1' })], iosEnrollmentAssignments: [T('allLicensedUsersAssignmentTarget')] } },
    { version: 'v1.0', values: { displayName: 'contoso mdm', partnerState: 'unavailable', lastHeartbeatDateTime: SAME_INSTANT[1], androidOnboarded: true } },
    { version: 'beta', values: { displayName: 'CONTOSO', partnerState: 'terminated', lastHeartbeatDateTime: SAME_INSTANT[2], linuxOnboarded: true } },
    { version: 'v1.0', values: { displayName: "O'Brien Partner", partnerState: 'rejected', lastHeartbeatDateTime: SAME_INSTANT[3], androidEnrollmentAssignments: [T('exclusionGroupAssignmentTarget', { groupId: 'g1' })] } },
    { version: 'v1.0', values: { displayName: 'Ünïcödé ☃', partnerState: 'rejected', lastHeartbeatDateTime: TICK_AFTER, iosOnboarded: true } },
    { version: 'beta', values: { displayName: '日本語パートナー', partnerState: 'terminated', lastHeartbeatDateTime: TICK_BEFORE, macOsOnboarded: true } },
    { version: 'v1.0', values: { displayName: '😀 Smile', partnerState: 'unresponsive', lastHeartbeatDateTime: '2025-01-01T00:00:00Z' } },
    // awkward strings
    { version: 'v1.0', values: { displayName: '', partnerState: 'enabled' } },
    { version: 'v1.0', values: { displayName: 'null', partnerState: 'unknown', iosOnboarded: true } },
    { version: 'v1.0', values: { displayName: 'a+b&c=d #1 %20/?', partnerState: 'enabled', androidOnboarded: true } },
    { version: 'v1.0', values: { displayName: "It's a 'test'", partnerState: 'unavailable' } },
    { version: 'v1.0', values: { displayName: 'Fabrikam (EU), Ltd.', partnerState: 'enabled', macOsOnboarded: true, androidOnboarded: true, iosOnboarded: true } },
    // prefixes and case for ordinal ordering
    { version: 'v1.0', values: { displayName: 'Alpha', partnerState: 'enabled', lastHeartbeatDateTime: '2024-02-29T12:00:00-08:00' } },
    { version: 'v1.0', values: { displayName: 'alpha', partnerState: 'enabled', lastHeartbeatDateTime: '2024-02-29T20:00:00Z' } },
    { version: 'v1.0', values: { displayName: 'A', partnerState: 'unknown' } },
    { version: 'v1.0', values: { displayName: 'AB', partnerState: 'unavailable' } },
    { version: 'v1.0', values: { displayName: 'ABC', partnerState: 'terminated' } },
    { version: 'v1.0', values: { displayName: 'zeta', partnerState: 'unresponsive' } },
    { version: 'beta', values: { displayName: 'Contoso', partnerState: 'unavailable', lastHeartbeatDateTime: '2030-03-01T00:00:00.1234567Z' } },
    // every target kind, and null ids
    {
      version: 'v1.0',
      values: {
        displayName: 'All targets',
        partnerState: 'enabled',
        macOsEnrollmentAssignments: [
          T('allDevicesAssignmentTarget'),
          T('allLicensedUsersAssignmentTarget'),
          T('configurationManagerCollectionAssignmentTarget', { collectionId: 'SMS00001' }),
          T('groupAssignmentTarget', { groupId: 'g1' }),
          T('exclusionGroupAssignmentTarget', { groupId: 'g2' }),
        ],
      },
    },
    { version: 'v1.0', values: { displayName: 'Null ids', macOsEnrollmentAssignments: [T('groupAssignmentTarget', { groupId: null }), T('configurationManagerCollectionAssignmentTarget', { collectionId: null })] } },
    { version: 'v1.0', values: { displayName: 'Case G1', iosEnrollmentAssignments: [T('groupAssignmentTarget', { groupId: 'G1' })] } },
    { version: 'v1.0', values: { displayName: 'Exclusion only', iosEnrollmentAssignments: [T('exclusionGroupAssignmentTarget', { groupId: 'g1' })] } },
    { version: 'v1.0', values: { displayName: 'Group only', iosEnrollmentAssignments: [T('groupAssignmentTarget', { groupId: 'g1' })], iosOnboarded: true } },
    { version: 'v1.0', values: { displayName: 'Group and exclusion', iosEnrollmentAssignments: [T('exclusionGroupAssignmentTarget', { groupId: 'g1' }), T('groupAssignmentTarget', { groupId: 'g2' })] } },
    { version: 'v1.0', values: { displayName: 'All g1', androidEnrollmentAssignments: [T('groupAssignmentTarget', { groupId: 'g1' }), T('exclusionGroupAssignmentTarget', { groupId: 'g1' })] } },
    // beta: linux and assignment filters
    {
      version: 'beta',
      values: {
        displayName: 'Linux filters',
        linuxOnboarded: true,
        partnerState: 'enabled',
        linuxEnrollmentAssignments: [
          T('allDevicesAssignmentTarget', { filterType: 'include', filterId: 'f1' }),
          T('groupAssignmentTarget', { groupId: 'g1', filterType: 'exclude', filterId: 'f2' }),
          T('allLicensedUsersAssignmentTarget', { filterType: 'none' }),
        ],
      },
    },
    { version: 'beta', values: { displayName: 'Linux include', linuxOnboarded: true, linuxEnrollmentAssignments: [T('configurationManagerCollectionAssignmentTarget', { collectionId: 'SMS00002', filterType: 'include' })] } },
    { version: 'beta', values: { displayName: null, iosEnrollmentAssignments: [T('allDevicesAssignmentTarget', { filterType: 'exclude', filterId: 'f1' })] } },
  ];
  const rnd = prng(seed);
  for (let i = 0; i < extra; i++) {
    const beta = rnd() < 0.4;
    const values = {};
    if (rnd() < 0.9) values.displayName = NAMES[Math.floor(rnd() * NAMES.length)];
    if (rnd() < 0.9) values.partnerState = PARTNER_STATES[Math.floor(rnd() * PARTNER_STATES.length)];
    if (rnd() < 0.8) values.lastHeartbeatDateTime = HEARTBEATS[Math.floor(rnd() * HEARTBEATS.length)];
    for (const b of ['macOsOnboarded', 'androidOnboarded', 'iosOnboarded']) if (rnd() < 0.5) values[b] = rnd() < 0.5;
    if (beta && rnd() < 0.5) values.linuxOnboarded = rnd() < 0.6;
    const colls = ['macOsEnrollmentAssignments', 'androidEnrollmentAssignments', 'iosEnrollmentAssignments'];
    if (beta) colls.push('linuxEnrollmentAssignments');
    for (const c of colls) {
      const r = rnd();
      if (r < 0.35) continue; // absent -> []
      const n = r < 0.45 ? 0 : 1 + Math.floor(rnd() * 3);
      values[c] = Array.from({ length: n }, () => randomTarget(rnd, beta));
    }
    rows.push({ version: beta ? 'beta' : 'v1.0', values });
  }
  return rows;
}

// ------------------------------------------------------------------------------------------------
// $filter: a small parser and evaluator

const KEYWORDS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', 'in', 'true', 'false', 'null']);
const CMP_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

function tokenize(src) {
  const out = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if ('(),/:'.includes(c)) {
      out.push({ k: c });
      i++;
      continue;
    }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`evaluator: unterminated string in ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ k: 'str', v: s });
      continue;
    }
    if (/[0-9-]/.test(c)) {
      const m = /^[-0-9A-Za-z.:+]+/.exec(src.slice(i));
      const text = m[0];
      i += text.length;
      if (DTO_RE.test(text)) out.push({ k: 'dt', v: ticksOf(text) });
      else throw new Error(`evaluator: unsupported literal ${text}`);
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
    if (!m) throw new Error(`evaluator: unexpected ${c} in ${src}`);
    const name = m[0];
    i += name.length;
    if (src[i] === "'") {
      const rest = tokenize(src.slice(i, src.indexOf("'", i + 1) + 1));
      out.push({ k: 'typed', type: name, v: rest[0].v });
      i = src.indexOf("'", i + 1) + 1;
      continue;
    }
    if (!name.includes('.') && KEYWORDS.has(name)) out.push({ k: name });
    else out.push({ k: 'name', v: name });
  }
  out.push({ k: 'eof' });
  return out;
}

const ENTITY_PROPS = {
  id: 'string',
  displayName: 'string',
  partnerState: 'state',
  lastHeartbeatDateTime: 'dt',
  macOsOnboarded: 'bool',
  androidOnboarded: 'bool',
  iosOnboarded: 'bool',
  linuxOnboarded: 'bool',
};
const COLLECTIONS_PROPS = new Set(['macOsEnrollmentAssignments', 'androidEnrollmentAssignments', 'iosEnrollmentAssignments', 'linuxEnrollmentAssignments']);
const MEMBERS = {
  groupId: 'string',
  collectionId: 'string',
  deviceAndAppManagementAssignmentFilterId: 'string',
  deviceAndAppManagementAssignmentFilterType: 'ftype',
};
const ENUMS = {
  state: { name: 'microsoft.graph.deviceManagementPartnerTenantState', members: PARTNER_STATES },
  ftype: { name: 'microsoft.graph.deviceAndAppManagementAssignmentFilterType', members: FILTER_TYPES },
};

/**
 * Create the rows of dataset() in the token's tenant, each in its version, in order; returns the
 * partners as the evaluator sees them ({...DEFAULTS, ...values, id, seq}).
 */
export async function seedDataset(srv, token) {
  const partners = [];
  for (const [seq, row] of dataset().entries()) {
    const r = await srv.request('POST', col(row.version), { token, body: bodyFor(row.values, { version: row.version }) });
    assertStatus(r, 201);
    partners.push({ ...DEFAULTS, ...row.values, id: r.json.id, seq });
  }
  return partners;
}

/** Parse a (valid) $filter into a small AST; throws on what the evaluator does not know. */
export function parseFilter(src) {
  const toks = tokenize(src);
  let p = 0;
  let lambdaVar = null;
  const peek = () => toks[p];
  const take = (k) => {
    const t = toks[p];
    if (k && t.k !== k) throw new Error(`evaluator: expected ${k}, found ${t.k} in ${src}`);
    p++;
    return t;
  };
  function orExpr() {
    let l = andExpr();
    while (peek().k === 'or') {
      take();
      l = { op: 'or', l, r: andExpr() };
    }
    return l;
  }
  function andExpr() {
    let l = cmpExpr();
    while (peek().k === 'and') {
      take();
      l = { op: 'and', l, r: cmpExpr() };
    }
    return l;
  }
  function cmpExpr() {
    let l = unary();
    for (;;) {
      const k = peek().k;
      if (CMP_OPS.has(k)) {
        take();
        l = { op: 'cmp', cmp: k, l, r: unary() };
      } else if (k === 'in') {
        take();
        take('(');
        const items = [literal()];
        while (peek().k === ',') {
          take();
          items.push(literal());
        }
        take(')');
        l = { op: 'in', l, items };
      } else return l;
    }
  }
  function unary() {
    if (peek().k === 'not') {
      take();
      return { op: 'not', e: unary() };
    }
    return primary();
  }
  function literal() {
    const t = take();
    if (t.k === 'str') return { op: 'lit', t: 'str', v: t.v };
    if (t.k === 'dt') return { op: 'lit', t: 'dt', v: t.v };
    if (t.k === 'true' || t.k === 'false') return { op: 'lit', t: 'bool', v: t.k === 'true' };
    if (t.k === 'null') return { op: 'lit', t: 'null', v: null };
    if (t.k === 'typed') return { op: 'lit', t: 'typed', type: t.type, v: t.v };
    throw new Error(`evaluator: expected a literal, found ${t.k} in ${src}`);
  }
  function primary() {
    const t = peek();
    if (t.k === '(') {
      take();
      const e = orExpr();
      take(')');
      return e;
    }
    if (t.k !== 'name') return literal();
    take();
    const name = t.v;
    if (peek().k === '(') {
      if (!['startswith', 'endswith', 'contains'].includes(name)) throw new Error(`evaluator: function ${name}`);
      take();
      const a = orExpr();
      take(',');
      const b = orExpr();
      take(')');
      return { op: 'func', f: name, a, b };
    }
    if (lambdaVar && name === lambdaVar) {
      take('/');
      const tgt = take('name');
      if (tgt.v !== 'target') throw new Error('evaluator: expected target');
      take('/');
      let seg = take('name').v;
      let cast = null;
      if (seg.includes('.')) {
        cast = seg.replace(/^microsoft\.graph\./, '');
        take('/');
        seg = take('name').v;
      }
      if (!(seg in MEMBERS)) throw new Error(`evaluator: member ${seg}`);
      return { op: 'member', member: seg, cast, type: MEMBERS[seg] };
    }
    if (COLLECTIONS_PROPS.has(name)) {
      take('/');
      const kind = take('name').v;
      take('(');
      if (peek().k === ')') {
        take();
        return { op: kind, coll: name, pred: null };
      }
      const v = take('name').v;
      take(':');
      const saved = lambdaVar;
      lambdaVar = v;
      const pred = orExpr();
      lambdaVar = saved;
      take(')');
      return { op: kind, coll: name, pred };
    }
    if (!(name in ENTITY_PROPS)) throw new Error(`evaluator: property ${name}`);
    return { op: 'prop', name, type: ENTITY_PROPS[name] };
  }
  const e = orExpr();
  take('eof');
  return e;
}

const GROUPISH = new Set(['groupAssignmentTarget', 'exclusionGroupAssignmentTarget']);

function castMatches(cast, type) {
  if (!cast || cast === 'deviceAndAppManagementAssignmentTarget') return true;
  if (cast === 'groupAssignmentTarget') return GROUPISH.has(type);
  return cast === type;
}

function readMember(node, t) {
  if (!castMatches(node.cast, t.type)) return null;
  switch (node.member) {
    case 'groupId':
      return GROUPISH.has(t.type) ? t.groupId ?? null : null;
    case 'collectionId':
      return t.type === 'configurationManagerCollectionAssignmentTarget' ? t.collectionId ?? null : null;
    case 'deviceAndAppManagementAssignmentFilterId':
      return t.filterId ?? null;
    case 'deviceAndAppManagementAssignmentFilterType':
      return FILTER_TYPES.indexOf(t.filterType ?? 'none');
    default:
      throw new Error(`member ${node.member}`);
  }
}

function readProp(name, p) {
  const v = p[name];
  if (name === 'partnerState') return PARTNER_STATES.indexOf(v);
  if (name === 'lastHeartbeatDateTime') return ticksOf(v);
  return v ?? null;
}

/** A literal as a value of the operand's type. */
function literalValue(lit, type) {
  if (lit.t === 'null') return null;
  if (type === 'state' || type === 'ftype') {
    const e = ENUMS[type];
    if (lit.t === 'typed') assert.equal(lit.type, e.name, 'evaluator: typed literal of another enum');
    const i = e.members.indexOf(lit.v);
    if (i < 0) throw new Error(`evaluator: ${lit.v} is not a member`);
    return i;
  }
  return lit.v;
}

function compare(a, b) {
  if (typeof a === 'string') return cmpStr(a, b);
  if (typeof a === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return a - b;
}

function cmpValues(op, a, b) {
  if (a === null || b === null) {
    if (op === 'eq') return a === b;
    if (op === 'ne') return a !== b;
    return false;
  }
  const c = compare(a, b);
  return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[op];
}

const MIRROR = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

function isOperand(n) {
  return n.op === 'prop' || n.op === 'member';
}

function operandValue(n, p, elem) {
  return n.op === 'prop' ? readProp(n.name, p) : readMember(n, elem);
}

/** Evaluate AST `e` for partner `p` (elem: the lambda variable's target). */
export function evaluate(e, p, elem) {
  switch (e.op) {
    case 'or':
      return evaluate(e.l, p, elem) || evaluate(e.r, p, elem);
    case 'and':
      return evaluate(e.l, p, elem) && evaluate(e.r, p, elem);
    case 'not':
      return !evaluate(e.e, p, elem);
    case 'lit':
      assert.equal(e.t, 'bool', 'evaluator: a literal used as a condition');
      return e.v;
    case 'prop':
    case 'member':
      assert.equal(e.type, 'bool', 'evaluator: a non-Boolean operand used as a condition');
      return operandValue(e, p, elem) === true;
    case 'cmp': {
      let { l, r, cmp } = e;
      if (!isOperand(l) && isOperand(r)) {
        [l, r] = [r, l];
        cmp = MIRROR[cmp];
      }
      if (!isOperand(l)) {
        // a condition compared with true/false
        const c = evaluate(l, p, elem);
        assert.ok(r.op === 'lit' && r.t === 'bool' && (cmp === 'eq' || cmp === 'ne'));
        return cmp === 'eq' ? c === r.v : c !== r.v;
      }
      return cmpValues(cmp, operandValue(l, p, elem), literalValue(r, l.type));
    }
    case 'in': {
      const v = operandValue(e.l, p, elem);
      return e.items.some((it) => cmpValues('eq', v, literalValue(it, e.l.type)));
    }
    case 'func': {
      const v = operandValue(e.a, p, elem);
      const s = e.b.v;
      if (v === null) return false;
      if (e.f === 'startswith') return v.startsWith(s);
      if (e.f === 'endswith') return v.endsWith(s);
      return v.includes(s);
    }
    case 'any': {
      const items = p[e.coll] || [];
      if (!e.pred) return items.length > 0;
      return items.some((t) => evaluate(e.pred, p, t));
    }
    case 'all':
      return (p[e.coll] || []).every((t) => evaluate(e.pred, p, t));
    default:
      throw new Error(`evaluator: node ${e.op}`);
  }
}

/** The partners (in creation order) that `filter` selects. */
export function applyFilter(partners, filter) {
  if (!filter) return [...partners];
  const ast = parseFilter(filter);
  return partners.filter((p) => evaluate(ast, p, null));
}

// ------------------------------------------------------------------------------------------------
// $orderby

const ORDER_TYPES = { ...ENTITY_PROPS };

/** Parse "a desc, b" into [{prop, desc}]. */
export function parseOrderby(text) {
  if (!text) return [];
  return text.split(',').map((item) => {
    const [prop, dir = 'asc'] = item.trim().split(/\s+/);
    if (!(prop in ORDER_TYPES)) throw new Error(`evaluator: cannot order by ${prop}`);
    return { prop, desc: dir.toLowerCase() === 'desc' };
  });
}

/** Sort (a copy of) `partners`: the keys, nulls first ascending / last descending, then creation order. */
export function applyOrderby(partners, orderby) {
  const keys = parseOrderby(orderby);
  return [...partners].sort((a, b) => {
    for (const k of keys) {
      const x = readProp(k.prop, a);
      const y = readProp(k.prop, b);
      let c;
      if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1;
      else c = compare(x, y);
      if (c) return k.desc ? -c : c;
    }
    return a.seq - b.seq;
  });
}

/** filter + orderby + skip (+ top as a limit when given) over the model: the expected list. */
export function expected(partners, { filter, orderby, skip = 0, top } = {}) {
  const rows = applyOrderby(applyFilter(partners, filter), orderby);
  return rows.slice(skip, top === undefined ? undefined : skip + top);
}

// ------------------------------------------------------------------------------------------------
// requests

/** A query string from [[name, value], ...] (values percent-encoded, names as given). */
export function qs(pairs) {
  return pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

export function listPath(v, pairs) {
  const q = Array.isArray(pairs) ? qs(pairs) : pairs || '';
  return q ? `${col(v)}?${q}` : col(v);
}

export function countPathQ(v, pairs) {
  const q = Array.isArray(pairs) ? qs(pairs) : pairs || '';
  return q ? `${countPath(v)}?${q}` : countPath(v);
}

export const ids = (list) => list.map((p) => p.id);
export const idSet = (list) => [...new Set(list.map((p) => (typeof p === 'string' ? p : p.id)))].sort();

/**
 * Walk every page of a listing starting at `path` (raw, verbatim nextLinks).  Returns
 * {pages: [body...], items: [...]}.  Each nextLink must be absolute and on this server's base.
 */
export async function walk(srv, path, { token, scheme, base, maxPages = 200, between } = {}) {
  const pages = [];
  const items = [];
  let next = path;
  const b = base || srv.base(scheme);
  for (let i = 0; next; i++) {
    assert.ok(i < maxPages, `more than ${maxPages} pages from ${path}`);
    const r = await srv.request('GET', next, { token, scheme });
    assertStatus(r, 200);
    const body = r.json;
    pages.push(body);
    items.push(...body.value);
    const link = body['@odata.nextLink'];
    if (link === undefined) break;
    assert.equal(typeof link, 'string');
    assert.ok(link.startsWith(`${b}/`), `nextLink must be absolute on ${b}: ${link}`);
    next = link.slice(b.length);
    if (between) await between(i, body);
  }
  return { pages, items };
}

/**
 * Assert a 400 BadRequest whose message matches `fragment` (string: substring; RegExp).  The
 * message must be plain text for $filter errors (wrapped: false); for the other options either
 * form is accepted (wrapped: 'any', the default) and the leading text is matched.
 */
export function assertBadQuery(res, fragment, { scheme, wrapped = 'any' } = {}) {
  const text = assertGraphError(res, { status: 400, code: 'BadRequest', wrapped, scheme });
  if (typeof fragment === 'string') assert.ok(text.includes(fragment), `message ${JSON.stringify(text)} should contain ${JSON.stringify(fragment)}: ${res.request.path}`);
  else if (fragment instanceof RegExp) assert.match(text, fragment, `message for ${res.request.path}`);
  return text;
}

// ------------------------------------------------------------------------------------------------
// the Graph JavaScript client (lib/graph_client_odata_run.mjs in a child node trusting ca.pem)

/** Run `steps` through the Graph client against srv's https listener; resolves the runner's JSON. */
export async function runGraphClient(srv, token, steps) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cmpd-e2e-client-'));
  const file = path.join(dir, 'steps.json');
  await writeFile(file, JSON.stringify(steps));
  try {
    return await runClientScript(srv, 'graph_client_odata_run.mjs', { token, env: { CMPD_STEPS: file } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The value of a client step that must have succeeded. */
export function clientOk(out, name) {
  const s = out[name];
  assert.ok(s, `client step ${name} did not run`);
  assert.ok(s.ok, `client step ${name} threw: ${JSON.stringify(s.error)}`);
  return s.value;
}

/** The GraphError of a client step that must have failed. */
export function clientFailed(out, name) {
  const s = out[name];
  assert.ok(s, `client step ${name} did not run`);
  if (s.ok) assert.fail(`client step ${name} should have thrown, returned ${String(JSON.stringify(s.value)).slice(0, 500)}`);
  assert.equal(s.error.name, 'GraphError', `client step ${name}: ${JSON.stringify(s.error)}`);
  return s.error;
}

export { COLLECTION };
