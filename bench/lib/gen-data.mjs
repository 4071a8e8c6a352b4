// Generates the fixture files the peer benchmark needs (idempotent, deterministic).
// From ../shared/bench/gen-data.mjs (the project's peer benchmark), plus ids.txt listing every id
// and seed-bodies.json (the create bodies run.sh POSTs into cmpd, so cmpd holds the same partners).
// Usage: node gen-data.mjs OUTDIR [N]   (N = entities in the json-server collection, default 1000)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
const n = Number(process.argv[3] ?? 1000);
if (!out) { console.error('usage: gen-data.mjs OUTDIR [N]'); process.exit(2); }
mkdirSync(out, { recursive: true });

const PATH = '/v1.0/deviceManagement/complianceManagementPartners';
const assignment = () => [{
  '@odata.type': 'microsoft.graph.complianceManagementPartnerAssignment',
  target: {
    '@odata.type': 'microsoft.graph.configurationManagerCollectionAssignmentTarget',
    collectionId: 'Collection Id value',
  },
}];
const hex = (i) => i.toString(16).padStart(12, '0');
const idOf = (i) => `d6d46d0d-6d0d-4d6d-8d6d-${hex(i)}`;
const entity = (i) => ({
  '@odata.type': '#microsoft.graph.complianceManagementPartner',
  id: idOf(i),
  lastHeartbeatDateTime: '2016-12-31T23:59:37.9174975-08:00',
  partnerState: 'unavailable',
  displayName: `Display Name value ${i}`,
  macOsOnboarded: true,
  androidOnboarded: true,
  iosOnboarded: true,
  macOsEnrollmentAssignments: assignment(),
  androidEnrollmentAssignments: assignment(),
  iosEnrollmentAssignments: assignment(),
});

const one = entity(1);
const { id: _drop, ...createBody } = one;
createBody.displayName = 'Created by wrk';
const list100 = {
  '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners',
  value: Array.from({ length: 100 }, (_, k) => entity(k + 1)),
};
const all = Array.from({ length: n }, (_, k) => entity(k + 1));
const w = (f, o) => writeFileSync(join(out, f), typeof o === 'string' ? o : JSON.stringify(o));

const getResp = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#deviceManagement/complianceManagementPartners/$entity', ...one };
w('entity.json', getResp);             // GET-by-id payload (~1.1 KB, as Graph returns it)
w('list100.json', list100);            // first page of 100
w('created.json', one);                // POST 201 payload for the nginx ceiling (no '$' inside)
w('post-body.json', createBody);       // POST body (no id)
w('patch-body.json', { displayName: 'Patched by wrk', partnerState: 'enabled' });
w('db.json', { complianceManagementPartners: all });
w('routes.json', { '/v1.0/deviceManagement/*': '/$1' });
w('ids.txt', all.map((e) => e.id).join('\n') + '\n');   // every id of db.json (PATCH cycles through them)
w('seed-bodies.json', all.map(({ id: _id, ...body }) => body));   // entity i without its id, i = 1..N

// Minimal OpenAPI 3 document for the five operations (used by prism and mockoon).
const ref = { $ref: '#/components/schemas/complianceManagementPartner' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const json = (schema, example) => ({ 'application/json': { schema, example } });
const err = { description: 'error' };
const openapi = {
  openapi: '3.0.3',
  info: { title: 'complianceManagementPartners (bench)', version: '1.0' },
  paths: {
    [PATH]: {
      get: {
        operationId: 'listPartners',
        parameters: [{ name: '$top', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: { description: 'ok', content: json({ type: 'object', properties: { value: { type: 'array', items: ref } } }, list100) }, default: err },
      },
      post: {
        operationId: 'createPartner',
        requestBody: { required: true, content: { 'application/json': { schema: ref } } },
        responses: { 201: { description: 'created', content: json(ref, one) }, default: err },
      },
    },
    [PATH + '/{id}']: {
      parameters: [idParam],
      get: { operationId: 'getPartner', responses: { 200: { description: 'ok', content: json(ref, getResp) }, default: err } },
      patch: {
        operationId: 'updatePartner',
        requestBody: { required: true, content: { 'application/json': { schema: ref } } },
        responses: { 204: { description: 'no content' }, default: err },
      },
      delete: { operationId: 'deletePartner', responses: { 204: { description: 'no content' }, default: err } },
    },
  },
  components: {
    schemas: {
      complianceManagementPartner: {
        type: 'object',
        properties: {
          '@odata.type': { type: 'string' }, id: { type: 'string' },
          lastHeartbeatDateTime: { type: 'string', format: 'date-time' },
          partnerState: { type: 'string', enum: ['unknown', 'unavailable', 'enabled', 'terminated', 'rejected', 'unresponsive'] },
          displayName: { type: 'string' },
          macOsOnboarded: { type: 'boolean' }, androidOnboarded: { type: 'boolean' }, iosOnboarded: { type: 'boolean' },
          macOsEnrollmentAssignments: { type: 'array', items: { type: 'object' } },
          androidEnrollmentAssignments: { type: 'array', items: { type: 'object' } },
          iosEnrollmentAssignments: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  },
};
w('openapi.json', JSON.stringify(openapi, null, 1));
console.log(`entity.json ${JSON.stringify(getResp).length} B, list100.json ${JSON.stringify(list100).length} B, db.json ${n} entities`);
