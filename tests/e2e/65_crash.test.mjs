// Layer 65: crash safety - 8 clients create, patch and delete concurrently, cmpd is killed with
// SIGKILL at a random moment (50-500 ms into the cycle, sent from a thread of its own so that it
// does not wait for the clients' event loop), its store is checked as the kill left it, and it is
// started again on the same data directory (and, on PostgreSQL, the same database); CRASH_CYCLES
// times.  The store check: SQLite - PRAGMA integrity_check and foreign_key_check on a copy of
// cmpd.db and its WAL (sqlite3 recovers the copy as the restart will; the original keeps its WAL
// for cmpd's own recovery); PostgreSQL - pg_amcheck --heapallindexed (amcheck is installed in the
// database first).  Both: every assignment column is a JSON array, every partnerState in range,
// and the number of partner rows equals what the listing shows after the restart.
// The test keeps a model of what the server acknowledged:
//   - a write answered 2xx is acknowledged: it must be there after the restart, exactly;
//   - a write whose connection broke at the kill is unknown: applied or not, but whole.
// Each partner has at most one write in flight at a time, so its acceptable states after a restart
// are its last acknowledged state, plus the result of the one unknown write (a PATCH or a DELETE)
// issued after it; a create whose 201 never arrived is recognised by its distinctive displayName.
// After each restart the listing (every page, nextLinks followed) must hold exactly the model's
// partners - no acknowledged delete back, nothing that was never sent, no half-written row - and
// the model takes the state found, so the next cycle starts exact again.  A cycle that fails
// reports every discrepancy (id, acceptable states, actual, the partner's writes) and the later
// cycles are skipped.
// Environment: CRASH_CYCLES (default 12), CRASH_WORKERS (8), CRASH_SEED (the operation mix and the
// kill delays are drawn from it; printed as a diagnostic), CRASH_KILL_MS=LO-HI (default 50-500).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { after, before, describe, newTenant, pgProgram, psql, startServer, STORE_KIND, test } from './lib/harness.mjs';
import {
  ADMIN_ROLES,
  applyValues,
  assertEntity,
  assertGraphError,
  assertStatus,
  bodyFor,
  col,
  COLLECTION_PROPS,
  countPath,
  DEFAULTS,
  ENTITY_TYPE,
  entityOrder,
  FILTER_TYPES,
  item,
  PARTNER_STATES,
  seedModel,
  target,
  TARGET_ID_PROP,
  TARGET_TYPES,
} from './lib/graph.mjs';

const CYCLES = Number(process.env.CRASH_CYCLES || 12);
const WORKERS = Number(process.env.CRASH_WORKERS || 8);
const SEED = Number(process.env.CRASH_SEED || randomBytes(4).readUInt32LE(0));
const [KILL_MIN_MS, KILL_MAX_MS] = (process.env.CRASH_KILL_MS || '50-500').split('-').map(Number);
const PAGE_SIZE = 50; // --page-size: the verification listing takes several pages
const MAX_LIVE = 300; // above it the workers mostly delete, so a cycle's verification stays short
const SAMPLE = 20; // GETs of single partners per kind and cycle, besides the listing
const V = 'beta'; // the listing and the item GETs: the version with every property
const ASSIGNMENT_ANNOTATION = 'microsoft.graph.complianceManagementPartnerAssignment'; // as examples/create-request.json
const SANITIZER_RE = /ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:/;
const CONN_ERROR_RE = /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|aborted/;

// A seeded generator (mulberry32): the operation mix and the kill delays of a run are reproducible
// from CRASH_SEED (the timing of the kill against the requests is not).
let rngState = SEED >>> 0;
function rand() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const chance = (p) => rand() < p;
const hex = (n = 4) => Math.floor(rand() * 16 ** n).toString(16).padStart(n, '0');

const HEARTBEATS = ['2016-12-31T23:59:37.9174975-08:00', '2024-02-29T12:34:56.1234567+02:00', '2026-02-28T23:59:59.9999999+14:00', '0001-01-01T00:00:00Z'];

function sh(cmd, args, { timeout = 60000 } = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : '') });
    });
  });
}

// ------------------------------------------------------------------------------------------------
// bodies: model values (graph.mjs) sent in the shape of the documented example

function randomTarget(version) {
  const t = target(pick(TARGET_TYPES));
  const idProp = TARGET_ID_PROP[t.type];
  if (idProp) t[idProp] = `${idProp === 'groupId' ? 'g' : 'c'}-${hex(6)}`;
  if (version === 'beta' && chance(0.4)) {
    t.filterId = `f-${hex(6)}`;
    t.filterType = pick(FILTER_TYPES);
  }
  return t;
}

const collectionsOf = (version) => (version === 'beta' ? COLLECTION_PROPS : COLLECTION_PROPS.filter((k) => k !== 'linuxEnrollmentAssignments'));

/** A create: the documented example (seedModel) with a distinctive name and a random variation. */
function createValues(version, name) {
  const values = { ...seedModel(), displayName: name };
  if (chance(0.7)) values.partnerState = pick(PARTNER_STATES);
  if (chance(0.5)) values.lastHeartbeatDateTime = pick(HEARTBEATS);
  for (const k of ['macOsOnboarded', 'androidOnboarded', 'iosOnboarded']) if (chance(0.3)) values[k] = chance(0.5);
  if (version === 'beta' && chance(0.5)) values.linuxOnboarded = chance(0.5);
  for (const k of collectionsOf(version)) if (chance(0.5)) values[k] = Array.from({ length: randInt(0, 3) }, () => randomTarget(version));
  return values;
}

/** A patch: a new distinctive name, and some of partnerState, the assignments, the rest. */
function patchValues(version, name) {
  const values = { displayName: name };
  if (chance(0.7)) values.partnerState = pick(PARTNER_STATES);
  for (const k of collectionsOf(version)) if (chance(0.35)) values[k] = Array.from({ length: randInt(0, 2) }, () => randomTarget(version));
  if (chance(0.2)) values.lastHeartbeatDateTime = pick(HEARTBEATS);
  if (chance(0.2)) values.iosOnboarded = chance(0.5);
  return values;
}

/** The wire body: as examples/create-request.json writes it (type annotations on the entity and
 * on each assignment, target types without or with the '#'). */
function wireBody(values, version) {
  const body = { '@odata.type': ENTITY_TYPE, ...bodyFor(values, { version, hash: chance(0.5) }) };
  for (const k of COLLECTION_PROPS) if (body[k]) body[k] = body[k].map((a) => ({ '@odata.type': ASSIGNMENT_ANNOTATION, ...a }));
  return body;
}

const newModel = (id, values) => applyValues({ ...DEFAULTS, id }, values);

/** Does the listed/read entity `e` render exactly as model `m`? */
function matches(e, m, context = false, base = '') {
  try {
    assertEntity(e, m, V, { context });
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILL `pid` `ms` after go(), from a thread of its own: the moment does not wait for this
 * thread's event loop (busy with the clients' responses), so it falls anywhere in the server's work.
 */
async function startKiller(pid, ms) {
  const flags = new Int32Array(new SharedArrayBuffer(12)); // [fired, go, never set]
  const worker = new Worker(
    `const { workerData: { pid, ms, flags } } = require('node:worker_threads');
     Atomics.wait(flags, 1, 0);
     Atomics.wait(flags, 2, 0, ms);
     Atomics.store(flags, 0, 1);
     try { process.kill(pid, 'SIGKILL'); } catch {}`,
    { eval: true, workerData: { pid, ms, flags } },
  );
  const done = new Promise((resolve, reject) => {
    worker.on('exit', resolve);
    worker.on('error', reject);
  });
  await new Promise((resolve) => worker.once('online', resolve));
  return {
    go() {
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 1);
    },
    fired: () => Atomics.load(flags, 0) === 1,
    done,
    /** End the thread if it is still waiting (a failed storm). */
    cancel: () => worker.terminate(),
  };
}

// ------------------------------------------------------------------------------------------------

describe('SIGKILL at random moments under concurrent creates, patches and deletes', () => {
  let srv;
  let tok;
  const tenant = newTenant();
  const runTag = hex(6);
  let failed = false; // a failed cycle leaves the model unusable: the later ones are skipped

  // id -> {id, state (model), busy, pending: null | {kind: 'patch', after, op} | {kind: 'delete', op}, history}
  const partners = new Map();
  const gone = new Map(); // id -> how it went (acknowledged / unknown delete found applied), cycle
  const unknownCreates = new Map(); // displayName -> {values, version, cycle}: a POST without its 201
  const abandoned = new Map(); // displayName -> cycle: unknown creates found not applied
  const totals = {
    acked: { create: 0, patch: 0, delete: 0 },
    unknown: { create: 0, patch: 0, delete: 0 },
    unknownApplied: { create: 0, patch: 0, delete: 0 },
    cycles: 0,
    maxLive: 0,
  };
  const started = Date.now();

  const note = (p, text) => {
    p.history.push(text);
    if (p.history.length > 8) p.history.shift();
  };

  before(async () => {
    srv = await startServer({ listeners: ['http'], args: ['--page-size', String(PAGE_SIZE)] });
    tok = await srv.token({ tenant, roles: ADMIN_ROLES });
    if (STORE_KIND === 'postgres') await psql(srv.store, 'CREATE EXTENSION IF NOT EXISTS amcheck');
    // a few partners to patch and delete from the first moment
    for (let i = 0; i < 16; i++) {
      const version = i % 3 ? 'beta' : 'v1.0';
      const values = createValues(version, `crash ${runTag} seed ${i}`);
      const r = await srv.request('POST', col(version), { token: tok, body: wireBody(values, version) });
      assertStatus(r, 201);
      const m = newModel(r.json.id, values);
      assertEntity(r.json, m, version);
      partners.set(m.id, { id: m.id, state: m, busy: false, pending: null, history: [`seed: created ${JSON.stringify(values)}`] });
    }
  });

  // Whatever happened (a failed cycle may leave a killed server behind): kill what runs, remove the
  // data directory and the database.
  after(async () => {
    if (srv) await srv.destroy();
  });

  // ---- one cycle's storm ----

  async function storm(cycle, stats, unexpected) {
    const killAfter = randInt(KILL_MIN_MS, KILL_MAX_MS);
    const killer = await startKiller(srv.proc.pid, killAfter);
    const run = {
      get killing() {
        return killer.fired() || srv.exit !== null;
      },
    };
    const base = srv.base('http');
    let seq = 0;

    function classify(e, what) {
      const msg = `${e.code || ''} ${e.message}`;
      if (!run.killing) unexpected.push(`${what}: connection error before the kill: ${msg}`);
      else if (!CONN_ERROR_RE.test(msg)) unexpected.push(`${what}: not a connection error: ${msg}`);
    }

    async function doCreate(w, agent) {
      const version = chance(0.3) ? 'v1.0' : 'beta';
      const name = `crash ${runTag} c${cycle} w${w} #${seq++}`;
      const values = createValues(version, name);
      const what = `POST ${version} "${name}"`;
      unknownCreates.set(name, { values, version, cycle }); // until its 201 arrives
      let r;
      try {
        r = await srv.request('POST', col(version), { token: tok, body: wireBody(values, version), agent });
      } catch (e) {
        classify(e, what);
        stats.unknown.create++;
        return;
      }
      if (r.status !== 201) {
        unexpected.push(`${what}: ${r}`);
        stats.unknown.create++; // the server said no, but whether nothing was written is not asserted here
        return;
      }
      unknownCreates.delete(name);
      const m = newModel(r.json.id, values);
      try {
        assertEntity(r.json, m, version);
      } catch (e) {
        unexpected.push(`${what}: the 201 body is not the partner created: ${e.message}`);
      }
      stats.acked.create++;
      partners.set(m.id, { id: m.id, state: m, busy: false, pending: null, history: [`c${cycle}: created (201) ${JSON.stringify(values)}`] });
    }

    async function doPatch(w, agent, p) {
      const version = chance(0.3) ? 'v1.0' : 'beta';
      const name = `crash ${runTag} c${cycle} w${w} #${seq++} patched`;
      const values = patchValues(version, name);
      const after = applyValues(p.state, values);
      const what = `PATCH ${version} ${p.id} ${JSON.stringify(values)}`;
      p.busy = true;
      let r;
      try {
        r = await srv.request('PATCH', item(version, p.id), { token: tok, body: wireBody(values, version), agent });
      } catch (e) {
        classify(e, what);
        p.pending = { kind: 'patch', after, op: `c${cycle}: ${what} (connection broken)` };
        note(p, p.pending.op);
        stats.unknown.patch++;
        return; // stays busy: no further write of it before the restart
      }
      if (r.status !== 204) {
        unexpected.push(`${what}: ${r}`);
        p.pending = { kind: 'patch', after, op: `c${cycle}: ${what} -> ${r.status}` };
        note(p, p.pending.op);
        stats.unknown.patch++;
        return;
      }
      p.state = after;
      note(p, `c${cycle}: ${what} -> 204`);
      stats.acked.patch++;
      p.busy = false;
    }

    async function doDelete(w, agent, p) {
      const version = chance(0.3) ? 'v1.0' : 'beta';
      const what = `DELETE ${version} ${p.id}`;
      p.busy = true;
      let r;
      try {
        r = await srv.request('DELETE', item(version, p.id), { token: tok, agent });
      } catch (e) {
        classify(e, what);
        p.pending = { kind: 'delete', op: `c${cycle}: ${what} (connection broken)` };
        note(p, p.pending.op);
        stats.unknown.delete++;
        return;
      }
      if (r.status !== 204) {
        unexpected.push(`${what}: ${r}`);
        p.pending = { kind: 'delete', op: `c${cycle}: ${what} -> ${r.status}` };
        note(p, p.pending.op);
        stats.unknown.delete++;
        return;
      }
      partners.delete(p.id);
      gone.set(p.id, { how: `acknowledged DELETE (204) in cycle ${cycle}`, cycle });
      stats.ackedDeletes.push(p.id);
      stats.acked.delete++;
    }

    async function worker(w) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (!run.killing) {
          const idle = [];
          for (const p of partners.values()) if (!p.busy) idle.push(p);
          const crowded = partners.size > MAX_LIVE;
          const r = rand();
          const pCreate = crowded ? 0.15 : 0.45; // patches 0.35, deletes the rest
          if (!idle.length || r < pCreate) await doCreate(w, agent);
          else if (r < pCreate + 0.35) await doPatch(w, agent, pick(idle));
          else await doDelete(w, agent, pick(idle));
        }
      } finally {
        agent.destroy();
      }
    }

    try {
      let diedFirst = false;
      srv.exited.then(() => {
        diedFirst = !killer.fired();
      });
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      killer.go();
      await killer.done;
      await srv.kill9(); // normally gone already: waits for its exit, ends the harness's agents
      if (diedFirst) unexpected.push(`cmpd exited by itself during the storm: ${JSON.stringify(srv.exit)}`);
      await Promise.all(workers);
      return { killAfter };
    } finally {
      await killer.cancel();
      if (!srv.exit) await srv.kill9(); // the clients stop only when it is gone
    }
  }

  // ---- the store of the killed server ----

  /** Integrity of the store as the kill left it; returns the number of partner rows in it. */
  async function checkStore(problems) {
    if (STORE_KIND === 'sqlite') {
      // A copy of the database and its WAL (not the -shm): sqlite3 recovers the copy from the WAL as
      // the restart will, and the original is left for cmpd's own recovery (closing the last
      // connection of the original would checkpoint and remove its WAL).
      const db = path.join(srv.dataDir, 'cmpd.db');
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'cmpd-crash-check-'));
      try {
        const copy = path.join(tmp, 'cmpd.db');
        await copyFile(db, copy);
        const wal = existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : -1;
        if (wal >= 0) await copyFile(`${db}-wal`, `${copy}-wal`);
        const ic = await sh('sqlite3', [copy, 'PRAGMA integrity_check; PRAGMA foreign_key_check;']);
        if (ic.code !== 0 || ic.stdout.trim() !== 'ok')
          problems.push(`sqlite3 PRAGMA integrity_check / foreign_key_check (WAL ${wal} bytes): exit ${ic.code}, ${JSON.stringify(ic.stdout + ic.stderr)}`);
        const assignmentsBad = COLLECTION_PROPS.map((k) => {
          const c = assignmentColumn(k);
          return `json_valid(${c}) = 0 OR json_type(${c}) <> 'array'`;
        }).join(' OR ');
        const inv = await sh('sqlite3', [
          copy,
          `SELECT count(*) FROM partners WHERE ${assignmentsBad} OR partner_state NOT BETWEEN 0 AND ${PARTNER_STATES.length - 1} ` +
            `OR length(id) <> 36 OR last_heartbeat = ''; SELECT count(*) FROM partners;`,
        ]);
        const [bad, rows] = inv.stdout.trim().split('\n').map(Number);
        if (inv.code !== 0 || bad !== 0) problems.push(`rows violating the schema's invariants: exit ${inv.code}, ${JSON.stringify(inv.stdout + inv.stderr)}`);
        return { rows, detail: `WAL ${wal} bytes` };
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    // The sessions of the killed cmpd end when PostgreSQL notices the closed connection, and a
    // statement one was running (a COMMIT) completes first: wait for them, so that what is checked
    // and counted is what the restart will find.
    const waitStart = Date.now();
    for (;;) {
      const n = Number(
        await psql(
          srv.store,
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        ),
      );
      if (n === 0) break;
      if (Date.now() - waitStart > 20000) {
        problems.push(`${n} sessions of the killed cmpd still open 20 s after the kill`);
        break;
      }
      await delay(20);
    }
    const waited = Date.now() - waitStart;
    const u = new URL(srv.store);
    const am = await sh(pgProgram('pg_amcheck'), ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), '--heapallindexed', '-d', u.pathname.slice(1)]);
    if (am.code !== 0) problems.push(`pg_amcheck --heapallindexed: exit ${am.code}: ${am.stdout}${am.stderr}`);
    const assignmentsBad = COLLECTION_PROPS.map((k) => `jsonb_typeof(${assignmentColumn(k)}::jsonb) IS DISTINCT FROM 'array'`).join(' OR ');
    let out;
    try {
      out = await psql(
        srv.store,
        `SELECT (SELECT count(*) FROM partners WHERE ${assignmentsBad} OR partner_state NOT BETWEEN 0 AND ${PARTNER_STATES.length - 1} ` +
          `OR length(id) <> 36 OR last_heartbeat = '') || ' ' || (SELECT count(*) FROM partners)`,
      );
    } catch (e) {
      problems.push(`invariant query failed (an assignment column that is not JSON?): ${e.message}`);
      return { rows: undefined, detail: 'pg_amcheck' };
    }
    const [bad, rows] = out.trim().split(' ').map(Number);
    if (bad !== 0) problems.push(`${bad} rows violating the schema's invariants`);
    return { rows, detail: `sessions of the killed cmpd gone after ${waited} ms, pg_amcheck exit ${am.code}` };
  }

  // ---- verification after the restart ----

  async function listAll() {
    const items = [];
    let next = col(V);
    for (let page = 0; next; page++) {
      assert.ok(page < 1000, 'paging does not end');
      const r = await srv.request('GET', next, { token: tok });
      assertStatus(r, 200);
      items.push(...r.json.value);
      const link = r.json['@odata.nextLink'];
      next = link ? link.slice(new URL(link).origin.length) : undefined;
    }
    return items;
  }

  async function verify(cycle, stats, problems, storeRows) {
    const base = srv.base('http');
    const items = await listAll();
    const listed = new Map();
    for (const e of items) {
      if (listed.has(e.id)) problems.push(`${e.id} listed twice`);
      listed.set(e.id, e);
      try {
        assert.deepEqual(Object.keys(e), entityOrder(V, false));
      } catch {
        problems.push(`${e.id}: listed without the complete shape (half-written?): ${JSON.stringify(e)}`);
      }
    }
    const count = await srv.request('GET', countPath(V), { token: tok });
    assertStatus(count, 200);
    if (count.text !== String(items.length)) problems.push(`/$count says ${count.text}, the listing has ${items.length}`);
    if (storeRows !== undefined && storeRows !== items.length)
      problems.push(`the store held ${storeRows} partner rows after the kill, the listing after the restart has ${items.length}`);

    // every partner of the model: its acknowledged state, or the result of its one unknown write
    for (const p of [...partners.values()]) {
      const e = listed.get(p.id);
      const acceptable = [p.state];
      if (p.pending?.kind === 'patch') acceptable.push(p.pending.after);
      const mayBeGone = p.pending?.kind === 'delete';
      const discrepancy = (kind, actual) =>
        `${kind}: ${p.id}: expected ${mayBeGone ? 'absent or ' : ''}one of ${JSON.stringify(acceptable)}; actual: ${actual}; ` +
        `its writes: ${JSON.stringify(p.history)}`;
      if (!e) {
        if (mayBeGone) {
          partners.delete(p.id);
          gone.set(p.id, { how: `unknown DELETE found applied in cycle ${cycle}`, cycle });
          stats.unknownApplied.delete++;
        } else problems.push(discrepancy('LOST', 'not listed'));
        continue;
      }
      const i = acceptable.findIndex((m) => matches(e, m));
      if (i < 0) {
        problems.push(discrepancy('WRONG STATE', JSON.stringify(e)));
        continue;
      }
      if (i === 1) stats.unknownApplied.patch++;
      p.state = acceptable[i];
      note(p, `c${cycle}: found after the restart as ${i === 1 ? 'the unknown PATCH applied' : 'the acknowledged state'}${mayBeGone ? ' (unknown DELETE not applied)' : ''}`);
      p.pending = null;
      p.busy = false;
    }

    // everything listed that the model does not know: an unknown create, whole, or a discrepancy
    for (const e of items) {
      if (partners.has(e.id)) continue;
      if (gone.has(e.id)) {
        problems.push(`RESURRECTED: ${e.id} (${gone.get(e.id).how}) is listed again: ${JSON.stringify(e)}`);
        continue;
      }
      const u = unknownCreates.get(e.displayName);
      if (!u) {
        const was = abandoned.has(e.displayName) ? ` (an unknown create of cycle ${abandoned.get(e.displayName)}, absent after that restart)` : '';
        problems.push(`UNEXPECTED ITEM: ${e.id} is neither acknowledged nor an unknown create${was}: ${JSON.stringify(e)}`);
        continue;
      }
      const m = newModel(e.id, u.values);
      if (!matches(e, m)) {
        problems.push(`HALF-WRITTEN: ${e.id}, the unknown create "${e.displayName}" of cycle ${u.cycle}: expected ${JSON.stringify(m)}; actual ${JSON.stringify(e)}`);
        continue;
      }
      unknownCreates.delete(e.displayName);
      stats.unknownApplied.create++;
      partners.set(e.id, { id: e.id, state: m, busy: false, pending: null, history: [`c${u.cycle}: created without its 201 reaching the client ${JSON.stringify(u.values)}`] });
    }
    for (const [name, u] of unknownCreates) abandoned.set(name, u.cycle);
    unknownCreates.clear();

    // single reads: a sample of the partners there and of those acknowledged deleted in this cycle
    const present = [...partners.values()].sort(() => rand() - 0.5).slice(0, SAMPLE);
    for (const p of present) {
      const g = await srv.request('GET', item(V, p.id), { token: tok });
      if (g.status !== 200 || !matches(g.json, p.state, true, base)) problems.push(`GET ${p.id}: expected ${JSON.stringify(p.state)}; actual ${g}`);
    }
    for (const id of stats.ackedDeletes.sort(() => rand() - 0.5).slice(0, SAMPLE)) {
      const g = await srv.request('GET', item(V, id), { token: tok });
      try {
        assertGraphError(g, { status: 404, code: 'ResourceNotFound', wrapped: true, scheme: 'http' });
      } catch (err) {
        problems.push(`GET of ${id}, deleted with 204 in cycle ${cycle}: expected 404, actual ${g} (${err.message})`);
      }
    }
    return items.length;
  }

  // ---- the cycles ----

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    test(`cycle ${cycle}: writes, SIGKILL, store check, restart, every acknowledged write there`, async (t) => {
      if (failed) {
        t.skip('an earlier cycle failed');
        return;
      }
      failed = true; // until this cycle passes
      if (cycle === 1) t.diagnostic(`CRASH_SEED=${SEED} (${STORE_KIND}, ${WORKERS} workers, kill after ${KILL_MIN_MS}-${KILL_MAX_MS} ms)`);
      const stats = {
        acked: { create: 0, patch: 0, delete: 0 },
        unknown: { create: 0, patch: 0, delete: 0 },
        unknownApplied: { create: 0, patch: 0, delete: 0 },
        ackedDeletes: [],
      };
      const unexpected = [];
      const problems = [];
      const t0 = Date.now();
      const { killAfter } = await storm(cycle, stats, unexpected);
      assert.equal(srv.exit?.signal, 'SIGKILL', 'the server was killed by the test');
      if (SANITIZER_RE.test(srv.log)) problems.push(`sanitizer report in the killed server's output:\n${srv.describeLog()}`);
      const t1 = Date.now();
      const { rows, detail } = await checkStore(problems);
      const t2 = Date.now();
      srv = await srv.restart();
      const t3 = Date.now();
      const live = await verify(cycle, stats, problems, rows);
      const t4 = Date.now();
      for (const k of ['create', 'patch', 'delete']) {
        totals.acked[k] += stats.acked[k];
        totals.unknown[k] += stats.unknown[k];
        totals.unknownApplied[k] += stats.unknownApplied[k];
      }
      totals.maxLive = Math.max(totals.maxLive, live);
      const fmt = (o) => `${o.create}/${o.patch}/${o.delete}`;
      t.diagnostic(
        `killed after ${killAfter} ms; acknowledged c/p/d ${fmt(stats.acked)}, unknown ${fmt(stats.unknown)} ` +
          `(found applied ${fmt(stats.unknownApplied)}); ${live} partners; store check ${t2 - t1} ms (${detail}), restart ${t3 - t2} ms, ` +
          `verify ${t4 - t3} ms, cycle ${t4 - t0} ms`,
      );
      const all = [...unexpected.map((s) => `UNEXPECTED ANSWER: ${s}`), ...problems];
      assert.deepEqual(all.slice(0, 25), [], `cycle ${cycle} (CRASH_SEED=${SEED}): ${all.length} discrepancies`);
      totals.cycles++;
      failed = false;
    });
  }

  test('summary; a clean stop, and the store passes its check once more', async (t) => {
    if (failed) {
      t.skip('an earlier cycle failed');
      return;
    }
    const fmt = (o) => `${o.create}/${o.patch}/${o.delete}`;
    t.diagnostic(
      `${totals.cycles} cycles passed (${STORE_KIND}); acknowledged c/p/d ${fmt(totals.acked)}, unknown ${fmt(totals.unknown)}, ` +
        `unknown found applied ${fmt(totals.unknownApplied)}; at most ${totals.maxLive} partners; ${Date.now() - started} ms`,
    );
    assert.equal(totals.cycles, CYCLES);
    assert.ok(totals.acked.create > 0 && totals.acked.patch > 0 && totals.acked.delete > 0, 'writes of every kind were acknowledged before the kills');
    const rowsBefore = partners.size;
    await srv.stop(); // SIGTERM: exit 0, no sanitizer report
    const problems = [];
    const { rows } = await checkStore(problems);
    assert.deepEqual(problems, []);
    assert.equal(rows, rowsBefore, 'partner rows after the clean stop');
    if (!process.env.CMPD_E2E_KEEP) await srv.removeData();
  });
});

/** The store column of an assignment collection (the `column` names of graph/model.c). */
function assignmentColumn(prop) {
  return {
    macOsEnrollmentAssignments: 'mac_os_assignments',
    androidEnrollmentAssignments: 'android_assignments',
    iosEnrollmentAssignments: 'ios_assignments',
    linuxEnrollmentAssignments: 'linux_assignments',
  }[prop];
}
