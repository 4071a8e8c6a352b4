// Run by 75_batch.test.mjs in a child node: drives cmpd's $batch with the Graph JavaScript client's
// batching helpers (BatchRequestContent builds the envelope, BatchResponseContent reads the
// answers) and prints one JSON object with what each answer held.
//
// env: CMPD_BASE (https://localhost:PORT), CMPD_TOKEN; NODE_EXTRA_CA_CERTS names cmpd's ca.pem

import { BatchRequestContent, BatchResponseContent } from '@microsoft/microsoft-graph-client';
import { initClient } from './graph_client_common.mjs';

const base = process.env.CMPD_BASE;
const client = initClient(base, process.env.CMPD_TOKEN);
const api = `${base}/v1.0/deviceManagement/complianceManagementPartners`;
const json = { 'Content-Type': 'application/json' };

async function summary(res) {
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

async function send(steps) {
  const content = new BatchRequestContent(steps);
  const body = await content.getContent();
  const res = await client.api('/$batch').post(body);
  return new BatchResponseContent(res);
}

const out = {};
const first = await send([
  { id: '1', request: new Request(api, { method: 'POST', headers: json, body: JSON.stringify({ displayName: 'via BatchRequestContent' }) }) },
  { id: '2', request: new Request(api, { method: 'GET' }), dependsOn: ['1'] },
]);
out.create = await summary(first.getResponseById('1'));
out.list = await summary(first.getResponseById('2'));
const id = out.create.body.id;
const item = `${api}/${id}`;
const second = await send([
  { id: 'get', request: new Request(item, { method: 'GET' }) },
  { id: 'patch', request: new Request(item, { method: 'PATCH', headers: json, body: JSON.stringify({ displayName: 'patched by batch' }) }), dependsOn: ['get'] },
  { id: 'missing', request: new Request(`${api}/00000000-0000-4000-8000-000000000000`, { method: 'GET' }), dependsOn: ['patch'] },
]);
out.get = await summary(second.getResponseById('get'));
out.patch = await summary(second.getResponseById('patch'));
out.missing = await summary(second.getResponseById('missing'));
const third = await send([
  { id: 'g', request: new Request(item, { method: 'GET' }) },
  { id: 'd', request: new Request(item, { method: 'DELETE' }), dependsOn: ['g'] },
  { id: 'a', request: new Request(item, { method: 'GET' }), dependsOn: ['d'] },
]);
out.second = {
  get: await summary(third.getResponseById('g')),
  del: await summary(third.getResponseById('d')),
  after: await summary(third.getResponseById('a')),
};
console.log(JSON.stringify(out));
