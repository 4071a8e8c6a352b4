// What the child scripts that drive the real Microsoft Graph JavaScript client share
// (graph_client_run, graph_client_odata_run, graph_client_throttle_run).

import { Client } from '@microsoft/microsoft-graph-client';

/** A client for cmpd at `baseUrl`, sending `token`, with the library's default middleware. */
export function initClient(baseUrl, token) {
  return Client.init({
    authProvider: (done) => done(null, token),
    baseUrl,
    customHosts: new Set(['localhost']), // the client sends tokens only to hosts it knows
    defaultVersion: 'v1.0',
  });
}

/** What a thrown GraphError carries, as plain JSON for the parent test. */
export function errorInfo(e) {
  return {
    name: e?.constructor?.name,
    statusCode: e?.statusCode,
    code: e?.code,
    message: e?.message,
    requestId: e?.requestId,
    date: e?.date instanceof Date ? e.date.toISOString() : e?.date,
    body: typeof e?.body === 'string' ? e.body : e?.body === undefined ? undefined : JSON.stringify(e.body),
    headers: e?.headers ? Object.fromEntries(e.headers.entries?.() ?? []) : undefined,
  };
}
