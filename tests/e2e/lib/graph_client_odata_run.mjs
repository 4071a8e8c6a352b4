// Run by 45_odata_filter / 46_odata_options / 47_paging in a child `node` whose
// NODE_EXTRA_CA_CERTS names cmpd's ca.pem (as lib/graph_client_run.mjs is run by 70).  Drives the
// query options through the Graph JavaScript client's fluent API (.filter, .select, .orderby,
// .top, .skip, .count, .query) and its PageIterator, and prints one JSON object: for each step
// {ok, value} or {ok: false, error}; a step with `iterate` reports {ids, pages, firstPage}.
//
// env: CMPD_BASE (https://localhost:PORT), CMPD_TOKEN, CMPD_STEPS (path of a JSON array of steps:
//      {name, version?, path?, filter?, select?, orderby?, top?, skip?, count?, expand?, search?,
//       skipToken?, query?, iterate?})

import { PageIterator } from '@microsoft/microsoft-graph-client';
import { readFileSync } from 'node:fs';
import { errorInfo, initClient } from './graph_client_common.mjs';

const token = process.env.CMPD_TOKEN;
const steps = JSON.parse(readFileSync(process.env.CMPD_STEPS, 'utf8'));

const client = initClient(process.env.CMPD_BASE, token);

function request(s) {
  let r = client.api(s.path || '/deviceManagement/complianceManagementPartners');
  if (s.version) r = r.version(s.version);
  if (s.filter !== undefined) r = r.filter(s.filter);
  if (s.select !== undefined) r = r.select(s.select);
  if (s.orderby !== undefined) r = r.orderby(s.orderby);
  if (s.top !== undefined) r = r.top(s.top);
  if (s.skip !== undefined) r = r.skip(s.skip);
  if (s.count !== undefined) r = r.count(s.count);
  if (s.expand !== undefined) r = r.expand(s.expand);
  if (s.search !== undefined) r = r.search(s.search);
  if (s.skipToken !== undefined) r = r.skipToken(s.skipToken);
  if (s.query !== undefined) r = r.query(s.query);
  return r;
}

const out = {};
for (const s of steps) {
  try {
    const first = await request(s).get();
    if (!s.iterate) {
      out[s.name] = { ok: true, value: first === undefined ? '__undefined__' : first };
      continue;
    }
    const seen = [];
    let pages = 1;
    const { value: _v, ...firstPage } = first;
    const it = new PageIterator(client, first, (item) => {
      seen.push(item.id);
      return true;
    });
    // count the pages the iterator fetches
    const fetchNext = it.fetchAndUpdateNextPageData.bind(it);
    it.fetchAndUpdateNextPageData = async () => {
      pages++;
      return fetchNext();
    };
    await it.iterate();
    out[s.name] = { ok: true, value: { ids: seen, pages, firstPage, complete: it.isComplete() } };
  } catch (e) {
    out[s.name] = { ok: false, error: errorInfo(e) };
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
