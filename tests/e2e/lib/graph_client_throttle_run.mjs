// Run by 55_throttle.test.mjs in a child `node` whose NODE_EXTRA_CA_CERTS names cmpd's ca.pem.
// Drives a throttled cmpd with the real Microsoft Graph JavaScript client and its default
// middleware (RetryHandler included, nothing configured): CMPD_WRITES creates in a row, more than
// the limit allows in one window, then a list.  Prints one JSON object: what each call returned
// (or the GraphError it threw) and how long the whole took.
//
// env: CMPD_BASE (https://localhost:PORT), CMPD_TOKEN, CMPD_WRITES

import { errorInfo, initClient } from './graph_client_common.mjs';

const client = initClient(process.env.CMPD_BASE, process.env.CMPD_TOKEN);
const api = '/deviceManagement/complianceManagementPartners';
const out = { creates: [], started: Date.now() };

for (let i = 0; i < Number(process.env.CMPD_WRITES); i++) {
  try {
    const p = await client.api(api).post({ displayName: `throttled ${i}` });
    out.creates.push({ ok: true, id: p.id, displayName: p.displayName });
  } catch (e) {
    out.creates.push({ ok: false, ...errorInfo(e) });
  }
}
try {
  const list = await client.api(api).get();
  out.list = { ok: true, names: list.value.map((p) => p.displayName).sort() };
} catch (e) {
  out.list = { ok: false, ...errorInfo(e) };
}
out.elapsedMs = Date.now() - out.started;
process.stdout.write(`${JSON.stringify(out)}\n`);
