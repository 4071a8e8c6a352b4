// Run by 70_graph_client.test.mjs in a child `node` whose NODE_EXTRA_CA_CERTS names cmpd's ca.pem
// (node reads that variable only at start-up).  Drives cmpd with the real Microsoft Graph
// JavaScript client, exactly as the documented call does, and prints one JSON object with what each
// step returned (or the GraphError it threw); the parent test asserts on it.
//
// env: CMPD_BASE (https://localhost:PORT), CMPD_HTTP_BASE (http://localhost:PORT), CMPD_TOKEN,
//      CMPD_BODY (path of the example request body)

import { ResponseType } from '@microsoft/microsoft-graph-client';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorInfo, initClient } from './graph_client_common.mjs';

const base = process.env.CMPD_BASE;
const token = process.env.CMPD_TOKEN;
const body = JSON.parse(readFileSync(process.env.CMPD_BODY, 'utf8'));

const init = (baseUrl) => initClient(baseUrl, token);

async function step(out, name, fn) {
  try {
    const value = await fn();
    out[name] = { ok: true, value: value === undefined ? '__undefined__' : value };
  } catch (e) {
    out[name] = { ok: false, error: errorInfo(e) };
  }
}

const out = {};
const client = init(base);
const api = '/deviceManagement/complianceManagementPartners';

// The documented call (spec/examples/README.md).
await step(out, 'create', () => client.api('/deviceManagement/complianceManagementPartners').post(body));
const id = out.create.ok ? out.create.value.id : randomUUID();
out.id = id;
await step(out, 'get', () => client.api(`${api}/${id}`).get());
await step(out, 'getParen', () => client.api(`${api}('${id}')`).get());
await step(out, 'getBeta', () => client.api(`${api}/${id}`).version('beta').get());
await step(out, 'list', () => client.api(api).get());
await step(out, 'count', () => client.api(`${api}/$count`).get());
await step(out, 'patch', () => client.api(`${api}/${id}`).patch({ displayName: 'Patched via SDK', partnerState: 'enabled' }));
await step(out, 'getAfterPatch', () => client.api(`${api}/${id}`).get());
await step(out, 'patchRepresentation', () =>
  client.api(`${api}/${id}`).header('Prefer', 'return=representation').patch({ iosOnboarded: false }),
);
await step(out, 'raw', async () => {
  const crid = randomUUID();
  const res = await client.api(api).header('client-request-id', crid).responseType(ResponseType.RAW).get();
  return {
    status: res.status,
    sentClientRequestId: crid,
    headers: Object.fromEntries(res.headers.entries()),
    text: await res.text(),
  };
});
await step(out, 'notFound', () => client.api(`${api}/${randomUUID()}`).get());
await step(out, 'badRequest', () => client.api(api).post({ displayName: 'bad', foo: 1 }));
await step(out, 'delete', () => client.api(`${api}/${id}`).delete());
await step(out, 'getAfterDelete', () => client.api(`${api}/${id}`).get());
await step(out, 'countAfterDelete', () => client.api(`${api}/$count`).get());
// The client attaches the token only to https URLs: over http cmpd sees no token.
if (process.env.CMPD_HTTP_BASE) {
  const plain = init(process.env.CMPD_HTTP_BASE);
  await step(out, 'overHttp', () => plain.api(api).get());
}

process.stdout.write(`${JSON.stringify(out)}\n`);
