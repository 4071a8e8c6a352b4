// Creates partners in cmpd through its own POST endpoint, in order, and prints their ids (one a
// line, in the order of the bodies), so the ids of the peers' entity 1..N map to cmpd's.
// Usage: node seed.mjs COLLECTION_URL BODIES_JSON TOKEN [CONCURRENCY]
import { readFileSync } from 'node:fs';

const [url, bodiesFile, token, conc = '8'] = process.argv.slice(2);
if (!token) {
  console.error('usage: seed.mjs COLLECTION_URL BODIES_JSON TOKEN [CONCURRENCY]');
  process.exit(2);
}
const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8'));
const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
const ids = new Array(bodies.length);
let next = 0;
let failed = 0;
async function worker() {
  while (next < bodies.length) {
    const i = next++;
    const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(bodies[i]) });
    const text = await r.text();
    if (r.status !== 201) {
      if (++failed <= 3) console.error(`seed: POST -> ${r.status} ${text.slice(0, 300)}`);
      continue;
    }
    ids[i] = JSON.parse(text).id;
  }
}
await Promise.all(Array.from({ length: Number(conc) }, worker));
if (failed) {
  console.error(`seed: ${failed} of ${bodies.length} POSTs failed`);
  process.exit(1);
}
process.stdout.write(ids.join('\n') + '\n');
