// Harness for the end-to-end tests: start the real cmpd binary on free loopback ports with a fresh
// data directory, talk to it over raw HTTP/1.1 (http and https, trusting DIR/tls/ca.pem), mint
// tokens with `cmpd token`, run `cmpd tenant ...`, and stop it (SIGTERM must exit 0, so a sanitizer
// report fails the test) or kill -9 it and start again on the same directory.
//
// Every test file runs in its own node process (node --test), owns its servers and tenants, and
// uses `test`/`describe` from here: a failing test gets the tail of each live server's output
// attached (as TAP diagnostics and in the error message).
//
// The store: by default each server keeps its data in SQLite at DIR/cmpd.db and its keys in
// DIR/keys/ (plain `--data DIR`).  With CMPD_E2E_STORE=postgres and CMPD_TEST_PG (the URL of a
// PostgreSQL cluster whose role may create databases), each data directory gets a fresh database
// of that cluster, passed as `--store URL` to the server and to the CLI commands made for it
// (token, tenant, jwks); the signing key then lives in the database, not in DIR/keys/.  A restart
// on the same directory reuses its database; the databases are dropped with the servers.

import { spawn, execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import nodeTest, { after as nodeAfter, describe as nodeDescribe } from 'node:test';

export const E2E_DIR = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const REPO = path.resolve(E2E_DIR, '..', '..');
export const BIN = process.env.CMPD_BIN
  ? path.resolve(process.env.CMPD_BIN)
  : path.join(REPO, 'build', 'cmpd');

// Generous bounds: a sanitizer build starts and answers several times slower than a release one.
const START_TIMEOUT_MS = Number(process.env.CMPD_E2E_START_TIMEOUT_MS || 30000);
const STOP_TIMEOUT_MS = Number(process.env.CMPD_E2E_STOP_TIMEOUT_MS || 20000);
const REQUEST_TIMEOUT_MS = Number(process.env.CMPD_E2E_REQUEST_TIMEOUT_MS || 30000);
const CLI_TIMEOUT_MS = 30000;
const LOG_CAP = 4 * 1024 * 1024;
const LOG_TAIL = 6000;

/** 'postgres' when CMPD_E2E_STORE=postgres (needs CMPD_TEST_PG), else 'sqlite'. */
export const STORE_KIND = process.env.CMPD_E2E_STORE === 'postgres' ? 'postgres' : 'sqlite';
/** URL of the PostgreSQL cluster of this run (postgres://cmpd@127.0.0.1:PORT/postgres), or undefined. */
export const TEST_PG = process.env.CMPD_TEST_PG || undefined;
if (process.env.CMPD_E2E_STORE && !['sqlite', 'postgres'].includes(process.env.CMPD_E2E_STORE))
  throw new Error(`CMPD_E2E_STORE=${process.env.CMPD_E2E_STORE}: expected sqlite or postgres`);
if (STORE_KIND === 'postgres' && !TEST_PG)
  throw new Error('CMPD_E2E_STORE=postgres needs CMPD_TEST_PG (e.g. the URL printed by tests/pg.sh start DIR)');

// The children get the environment of the runner without CMPD_STORE: which store a command uses is
// decided by the arguments the tests give it (and by the `env` a test passes explicitly).
const baseEnv = { ...process.env };
delete baseEnv.CMPD_STORE;

const live = new Set(); // servers of this test file that have not exited
const storeOfDir = new Map(); // data directory -> --store URL of its PostgreSQL database
const createdDbs = new Set(); // database URLs this file created and has not dropped yet

// Whatever a failed or cancelled test left running is killed when the file ends, so a stray server
// never keeps the runner waiting nor outlives the suite; then the file's databases are dropped.
nodeAfter(async () => {
  for (const s of [...live]) await s.destroy().catch(() => {});
  if (!process.env.CMPD_E2E_KEEP) for (const url of [...createdDbs]) await dropDatabase(url).catch(() => {});
});
process.on('exit', () => {
  for (const s of live) {
    try {
      s.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

// ------------------------------------------------------------------------------------------------
// test wrappers: attach server output to failures

function attachLogs(t, err) {
  const parts = [];
  for (const s of live) parts.push(s.describeLog(LOG_TAIL));
  for (const s of recentlyExited) parts.push(s.describeLog(LOG_TAIL));
  if (!parts.length) return;
  const text = parts.join('\n');
  try {
    for (const line of text.split('\n')) t.diagnostic(line);
  } catch {
    /* diagnostics are best effort */
  }
  if (err && typeof err === 'object' && typeof err.message === 'string' && !err.cmpdLogAttached) {
    try {
      err.message += `\n${text}`;
      err.cmpdLogAttached = true;
    } catch {
      /* read-only message */
    }
  }
}

const recentlyExited = new Set(); // servers that exited during the current test

function wrap(fn) {
  return async function wrapped(t) {
    recentlyExited.clear();
    try {
      return await fn(t);
    } catch (err) {
      attachLogs(t, err);
      throw err;
    }
  };
}

/** node:test's `test` (aka `it`), with server output attached to failures. */
export function test(name, opts, fn) {
  if (typeof opts === 'function') return nodeTest(name, wrap(opts));
  return nodeTest(name, opts, wrap(fn));
}
export const it = test;
export const describe = nodeDescribe;
export { before, after, beforeEach, afterEach } from 'node:test';

// ------------------------------------------------------------------------------------------------
// small utilities

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const GUID_V4_LOWER_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** What cmpd assigns to new partners by default (`--ids v7`): lowercase RFC 9562 version 7 GUIDs. */
export const GUID_V7_LOWER_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix time in ms that a version 7 GUID begins with. */
export function guidV7Ms(id) {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

export function newTenant() {
  return randomUUID();
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run the cmpd binary with `args`; resolves {code, signal, stdout, stderr} (never rejects on exit code). */
export function runCli(args, { env, timeout = CLI_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      BIN,
      args,
      { env: { ...baseEnv, ...env }, timeout, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number' && !err.signal) {
          reject(new Error(`cannot run ${BIN} ${args.join(' ')}: ${err.message}`));
          return;
        }
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          signal: err ? err.signal || null : null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/**
 * Run lib/<script> (a Graph JavaScript client runner) in a child node that trusts srv's CA, with
 * CMPD_BASE = srv's https root and CMPD_TOKEN = token besides `env`; resolves the JSON object of the
 * last line it prints.  A runner that fails rejects with its output.
 */
export function runClientScript(srv, script, { token, env = {}, timeout = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(E2E_DIR, 'lib', script)],
      {
        cwd: E2E_DIR,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: srv.caPath, CMPD_BASE: `https://localhost:${srv.ports.https}`, ...(token ? { CMPD_TOKEN: token } : {}), ...env },
        timeout,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${script} failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()));
      },
    );
  });
}

/** Raw HTTP/1.1 request.  `body`: string | Buffer | plain object/array (sent as JSON) | undefined. */
export function rawRequest({
  scheme = 'http',
  host = '127.0.0.1',
  port,
  method = 'GET',
  path: reqPath = '/',
  headers = {},
  body,
  ca,
  agent,
  chunks, // optional array of Buffers sent with chunked transfer encoding
}) {
  return new Promise((resolve, reject) => {
    const mod = scheme === 'https' ? https : http;
    let payload;
    if (body === undefined || body === null) payload = undefined;
    else if (Buffer.isBuffer(body)) payload = body;
    else if (typeof body === 'string') payload = Buffer.from(body, 'utf8');
    else payload = Buffer.from(JSON.stringify(body), 'utf8');
    const h = { ...headers };
    if (payload !== undefined && !hasHeader(h, 'content-length')) h['Content-Length'] = payload.length;
    const opts = { host, port, method, path: reqPath, headers: h, agent };
    if (scheme === 'https') opts.ca = ca;
    let settled = false;
    const req = mod.request(opts, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('error', (e) => {
        if (!settled) {
          settled = true;
          reject(e);
        }
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve(makeResponse(res, Buffer.concat(parts), { method, path: reqPath, scheme }));
      });
    });
    req.on('error', (e) => {
      if (!settled) {
        settled = true;
        e.message = `${method} ${scheme}://${host}:${port}${reqPath}: ${e.message}`;
        reject(e);
      }
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timed out')));
    if (chunks) {
      for (const c of chunks) req.write(c);
      req.end();
    } else if (payload !== undefined) req.end(payload);
    else req.end();
  });
}

function hasHeader(h, name) {
  return Object.keys(h).some((k) => k.toLowerCase() === name);
}

function makeResponse(res, raw, req) {
  const text = raw.toString('utf8');
  let json;
  let jsonError;
  return {
    status: res.statusCode,
    headers: res.headers, // lower-cased names
    rawHeaders: res.rawHeaders,
    raw,
    text,
    request: req,
    get json() {
      if (json === undefined && jsonError === undefined) {
        try {
          json = JSON.parse(text);
        } catch (e) {
          jsonError = e;
        }
      }
      if (jsonError) throw new Error(`response body is not JSON (${jsonError.message}): ${text.slice(0, 500)}`);
      return json;
    },
    /** A one-line description for assertion messages. */
    toString() {
      return `${req.method} ${req.scheme} ${req.path} -> ${res.statusCode} ${JSON.stringify(res.headers)} ${text.slice(0, 2000)}`;
    },
  };
}

// ------------------------------------------------------------------------------------------------
// PostgreSQL databases

/** Path of a PostgreSQL client program: /usr/lib/postgresql/<highest>/bin/NAME, else NAME from PATH. */
export function pgProgram(name) {
  const root = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', name)));
  } catch {
    /* not a Debian layout */
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions.length ? path.join(root, versions[0], 'bin', name) : name;
}

/** Run `sql` with psql on the database at `url` (as its role, over TCP); rejects on failure. */
export function psql(url, sql) {
  return new Promise((resolve, reject) => {
    execFile(
      pgProgram('psql'),
      ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
      { env: baseEnv, timeout: CLI_TIMEOUT_MS, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`psql ${url} -c ${JSON.stringify(sql)} failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** URL of database `name` on the cluster of `clusterUrl` (same role, host and port). */
export function databaseUrl(clusterUrl, name) {
  const u = new URL(clusterUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Create a fresh database (cmpd_e2e_<random hex>) on the cluster of `clusterUrl` (default
 * CMPD_TEST_PG) and return its URL.  It is dropped when the file ends (unless CMPD_E2E_KEEP).
 */
export async function createDatabase(clusterUrl = TEST_PG) {
  if (!clusterUrl) throw new Error('createDatabase: no PostgreSQL cluster (CMPD_TEST_PG is not set)');
  const name = `cmpd_e2e_${randomBytes(8).toString('hex')}`;
  await psql(clusterUrl, `CREATE DATABASE ${name}`);
  const url = databaseUrl(clusterUrl, name);
  createdDbs.add(url);
  return url;
}

/** Drop a database made by createDatabase, even with sessions still open (best effort by callers). */
export async function dropDatabase(url) {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  if (!/^cmpd_e2e_[0-9a-f]+$/.test(name)) throw new Error(`dropDatabase: refusing to drop ${name}`);
  createdDbs.delete(url);
  u.pathname = '/postgres';
  await psql(u.toString(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * The arguments that name the store of data directory `dataDir` for a CLI command: ['--data',
 * dataDir] on SQLite, ['--store', URL] when the harness gave that directory a PostgreSQL database.
 */
export function storeArgs(dataDir) {
  const url = storeOfDir.get(dataDir);
  return url ? ['--store', url] : ['--data', dataDir];
}

// ------------------------------------------------------------------------------------------------
// the server

/**
 * Start `cmpd serve`.
 * opts.dataDir   reuse a directory (restart); default a fresh mkdtemp
 * opts.listeners ['https', 'http'] (default both), each on a free port of 127.0.0.1
 * opts.args      extra `serve` arguments (e.g. ['--tenants', 'registered'], ['--jwks', F])
 * opts.env       extra environment
 * opts.ca        certificate(s) to trust instead of DIR/tls/ca.pem (with --tls-cert)
 * opts.store     false: no --store even in PostgreSQL runs (the test names the store itself, in
 *                opts.args or opts.env); a URL: use that store.  Default: nothing on SQLite, the
 *                directory's own fresh database on PostgreSQL.
 */
export async function startServer(opts = {}) {
  const listeners = opts.listeners || ['https', 'http'];
  const ownsDir = opts.ownsDir ?? !opts.dataDir;
  const dataDir = opts.dataDir || (await mkdtemp(path.join(os.tmpdir(), 'cmpd-e2e-')));
  if (!existsSync(BIN)) throw new Error(`cmpd binary not found at ${BIN} (set CMPD_BIN or build it first)`);
  let store = opts.store ?? storeOfDir.get(dataDir);
  if (store === undefined && STORE_KIND === 'postgres') store = await createDatabase();
  if (store) storeOfDir.set(dataDir, store);
  // A port found free can be taken by another test process before cmpd binds it: on a bind
  // failure, try again with fresh ports (bounded).
  for (let attempt = 1; ; attempt++) {
    const ports = {};
    for (const scheme of listeners) ports[scheme] = (attempt === 1 && opts.ports?.[scheme]) || (await freePort());
    const args = ['serve', '--data', dataDir];
    if (store) args.push('--store', store);
    for (const scheme of listeners) args.push('--listen', `${scheme}://127.0.0.1:${ports[scheme]}`);
    args.push(...(opts.args || []));
    const server = new Server({
      dataDir,
      ownsDir,
      ports,
      listeners,
      args,
      extraArgs: opts.args || [],
      env: opts.env || {},
      ca: opts.ca,
      store: store || undefined,
      storeGiven: opts.store,
    });
    try {
      await server.start();
      return server;
    } catch (e) {
      if (attempt >= 3 || !server.exit || !/address already in use|EADDRINUSE|bind/i.test(server.log)) {
        if (ownsDir && !process.env.CMPD_E2E_KEEP) await server.removeData();
        throw e;
      }
    }
  }
}

export class Server {
  constructor({ dataDir, ownsDir, ports, listeners, args, extraArgs, env, ca, store, storeGiven }) {
    this.dataDir = dataDir;
    this.store = store; // the --store URL given to serve, or undefined (SQLite in DIR)
    this.storeGiven = storeGiven; // opts.store as given (restart passes it on)
    this.givenCa = ca; // trust this instead of DIR/tls/ca.pem (--tls-cert)
    this.ca = ca;
    this.ownsDir = ownsDir;
    this.ports = ports;
    this.listeners = listeners;
    this.args = args;
    this.extraArgs = extraArgs;
    this.env = env;
    this.log = '';
    this.exit = null; // {code, signal} once exited
    this.tokenCache = new Map();
  }

  get caPath() {
    return path.join(this.dataDir, 'tls', 'ca.pem');
  }

  /** Base URL of a listener as the server sees it when addressed by 127.0.0.1. */
  base(scheme = this.defaultScheme()) {
    if (!this.ports[scheme]) throw new Error(`no ${scheme} listener`);
    return `${scheme}://127.0.0.1:${this.ports[scheme]}`;
  }

  defaultScheme() {
    return this.ports.https ? 'https' : 'http';
  }

  describeLog(tail = LOG_TAIL) {
    const status = this.exit ? `exited code=${this.exit.code} signal=${this.exit.signal}` : `running pid=${this.proc?.pid}`;
    const text = this.log.length > tail ? `…${this.log.slice(-tail)}` : this.log;
    return `--- cmpd ${this.args.join(' ')} (${status}) output ---\n${text || '(no output)'}\n--- end of cmpd output ---`;
  }

  async start() {
    const proc = spawn(BIN, this.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...baseEnv, ...this.env },
    });
    this.proc = proc;
    live.add(this);
    const append = (chunk) => {
      if (this.log.length < LOG_CAP) this.log += chunk.toString('utf8');
    };
    proc.stdout.on('data', append);
    proc.stderr.on('data', append);
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        recentlyExited.add(this);
        resolve(this.exit);
      });
      proc.on('error', (e) => {
        this.log += `\n[spawn error] ${e.message}\n`;
        this.exit = { code: null, signal: null, error: e };
        live.delete(this);
        resolve(this.exit);
      });
    });
    await this.waitHealthy();
  }

  async waitHealthy() {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let last = 'not tried';
    for (let i = 0; i < 100000 && Date.now() < deadline; i++) {
      if (this.exit) throw new Error(`cmpd exited before becoming healthy\n${this.describeLog()}`);
      try {
        const scheme = this.ports.http ? 'http' : 'https';
        if (scheme === 'https' && !this.ca) {
          if (!existsSync(this.caPath)) throw new Error('no ca.pem yet');
          this.ca = await readFile(this.caPath);
        }
        const res = await rawRequest({
          scheme,
          port: this.ports[scheme],
          path: '/healthz',
          ca: this.ca,
          agent: false,
        });
        if (res.status === 200) break;
        last = `status ${res.status}`;
      } catch (e) {
        last = e.message;
      }
      await delay(Math.min(25 * (i + 1), 200));
    }
    if (Date.now() >= deadline) {
      this.proc.kill('SIGKILL');
      await this.exited;
      throw new Error(`cmpd did not answer /healthz within ${START_TIMEOUT_MS} ms (${last})\n${this.describeLog()}`);
    }
    if (!this.givenCa && (this.ports.https || existsSync(this.caPath))) this.ca = await readFile(this.caPath);
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 16, ca: this.ca }),
    };
  }

  destroyAgents() {
    if (!this.agents) return;
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * A request to this server.  opts: scheme, headers, body, token (adds Authorization: Bearer),
   * host (Host header value), agent (false for a fresh connection), chunks.
   */
  request(method, reqPath, opts = {}) {
    const scheme = opts.scheme || this.defaultScheme();
    const headers = { ...(opts.headers || {}) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (opts.host) headers.Host = opts.host;
    if (opts.body !== undefined && typeof opts.body === 'object' && !Buffer.isBuffer(opts.body) && !hasHeader(headers, 'content-type'))
      headers['Content-Type'] = 'application/json';
    return rawRequest({
      scheme,
      port: this.ports[scheme],
      method,
      path: reqPath,
      headers,
      body: opts.body,
      ca: this.ca,
      agent: opts.agent === undefined ? this.agents[scheme] : opts.agent,
      chunks: opts.chunks,
    });
  }

  /**
   * `cmpd token` for this data dir.  o: {tenant, roles: [] , scopes: [], personal, expiresIn,
   * audience, appId, issuerVersion, cloud}.  Cached per argument set.
   */
  async token(o) {
    const args = tokenArgs(this.storeArgs(), o);
    const key = args.join('\u0000');
    if (this.tokenCache.has(key)) return this.tokenCache.get(key);
    const r = await runCli(args);
    if (r.code !== 0) throw new Error(`cmpd ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    const tok = r.stdout.trim();
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(tok))
      throw new Error(`cmpd token printed something that is not a compact JWS: ${JSON.stringify(r.stdout)}`);
    if (o.expiresIn === undefined || o.expiresIn > 0) this.tokenCache.set(key, tok);
    return tok;
  }

  /** The arguments that name this server's store for a CLI command (see storeArgs()). */
  storeArgs() {
    return this.store ? ['--store', this.store] : ['--data', this.dataDir];
  }

  /** `cmpd <args...> --data DIR`, or `--store URL` when the server was given one. */
  cli(...args) {
    return runCli([...args, ...this.storeArgs()]);
  }

  async tenantList() {
    const r = await this.cli('tenant', 'list');
    if (r.code !== 0) throw new Error(`cmpd tenant list failed (${r.code}): ${r.stderr}`);
    const out = new Map();
    for (const line of r.stdout.split('\n')) {
      const m = /^([0-9a-fA-F-]{36})\s+(licensed|unlicensed)\s*$/.exec(line);
      if (m) out.set(m[1].toLowerCase(), m[2]);
    }
    return { map: out, stdout: r.stdout };
  }

  /** Send `signal` and wait for the exit; the exit must be clean (code 0). Returns the log. */
  async stop(signal = 'SIGTERM') {
    this.destroyAgents();
    if (!this.exit) {
      this.proc.kill(signal);
      const ac = new AbortController();
      const timer = delay(STOP_TIMEOUT_MS, 'timeout', { signal: ac.signal }).catch(() => 'aborted');
      const r = await Promise.race([this.exited, timer]);
      ac.abort();
      if (r === 'timeout') {
        this.proc.kill('SIGKILL');
        await this.exited;
        throw new Error(`cmpd did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}\n${this.describeLog()}`);
      }
    }
    if (this.exit.code !== 0 || this.exit.signal) {
      throw logged(new Error(
        `cmpd did not exit cleanly after ${signal}: code=${this.exit.code} signal=${this.exit.signal}\n${this.describeLog(LOG_CAP)}`,
      ));
    }
    if (/ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:/.test(this.log))
      throw logged(new Error(`sanitizer report in cmpd output\n${this.describeLog(LOG_CAP)}`));
    return this.log;
  }

  /** kill -9, wait for the exit. */
  async kill9() {
    this.destroyAgents();
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }

  /** A new server on the same data directory and arguments (fresh ports unless sameports). */
  async restart({ samePorts = false } = {}) {
    if (!this.exit) throw new Error('restart() of a running server: stop() or kill9() it first');
    return startServer({
      dataDir: this.dataDir,
      listeners: this.listeners,
      args: this.extraArgs,
      env: this.env,
      ca: this.givenCa,
      ownsDir: this.ownsDir,
      ports: samePorts ? this.ports : undefined,
      store: this.storeGiven,
    });
  }

  /** Remove the data directory and, on PostgreSQL, the database the harness made for it. */
  async removeData() {
    await rm(this.dataDir, { recursive: true, force: true });
    const url = storeOfDir.get(this.dataDir);
    storeOfDir.delete(this.dataDir);
    if (url && createdDbs.has(url)) await dropDatabase(url).catch(() => {});
  }

  /** Stop (clean exit asserted) and remove the data directory if this harness created it. */
  async close() {
    try {
      await this.stop();
    } finally {
      if (this.ownsDir && !process.env.CMPD_E2E_KEEP) await this.removeData();
    }
  }

  /** Kill whatever is left without asserting (for after() hooks of failed files). */
  async destroy() {
    this.destroyAgents();
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    if (this.ownsDir && !process.env.CMPD_E2E_KEEP) await this.removeData();
  }
}

/** Mark an error whose message already carries the server output. */
function logged(e) {
  e.cmpdLogAttached = true;
  return e;
}

/** `cmpd token` arguments; `where` is a data directory or the arguments naming a store (storeArgs()). */
export function tokenArgs(where, o) {
  if (!o || !o.tenant) throw new Error('token: tenant required');
  const args = ['token', ...(Array.isArray(where) ? where : storeArgs(where)), '--tenant', o.tenant];
  if (o.roles) args.push('--roles', o.roles.join(','));
  if (o.scopes) args.push('--scopes', o.scopes.join(' '));
  if (o.personal) args.push('--personal');
  if (o.expiresIn !== undefined) args.push('--expires-in', String(o.expiresIn));
  if (o.audience) args.push('--audience', o.audience);
  if (o.appId) args.push('--app-id', o.appId);
  if (o.issuerVersion) args.push('--issuer-version', String(o.issuerVersion));
  if (o.cloud) args.push('--cloud', o.cloud);
  return args;
}

/** Stop all servers of this file that are still running (clean exit asserted for each). */
export async function stopAll(servers) {
  const errors = [];
  for (const s of servers) {
    if (!s) continue;
    try {
      await s.close();
    } catch (e) {
      errors.push(e);
      await s.destroy().catch(() => {});
    }
  }
  if (errors.length) throw errors[0];
}

export { randomUUID };
