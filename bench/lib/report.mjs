// The table of bench/run.sh, in Markdown, from its raw results (one line per measured wrk run) and
// its metadata.  Usage: node report.mjs RESULTS_TSV META_JSON
import { readFileSync } from 'node:fs';

const [rawFile, metaFile] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
const rows = readFileSync(rawFile, 'utf8').trim().split('\n').slice(1).filter(Boolean).map((l) => {
  const [round, scheme, sc, conns, system, rps, p50, p99, non2xx, sockErr] = l.split('\t');
  return { round: +round, scheme, sc, conns: +conns, system, rps: +rps, p50: +p50, p99: +p99, bad: +non2xx + +sockErr };
});

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const cell = (system, scheme, sc, conns) => {
  const rs = rows.filter((r) => r.system === system && r.scheme === scheme && r.sc === sc && r.conns === conns);
  if (!rs.length) return null;
  return {
    n: rs.length,
    rps: mean(rs.map((r) => r.rps)),
    p50: mean(rs.map((r) => r.p50)),
    p99: mean(rs.map((r) => r.p99)),
    bad: rs.reduce((x, r) => x + r.bad, 0),
  };
};
const int = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const x = (n, d) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const size = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const storeName = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const sysName = { nginx: 'nginx (static)', 'json-server': 'json-server', prism: 'Prism' };
const nameOf = (s) => (s.startsWith('cmpd-') ? '**cmpd**' : sysName[s] ?? s);
const label = (sc, conns) => {
  const m = sc.match(/^(page|deep)_(small|big)$/);
  if (!m) return `${sc}@${conns}`;
  return `${m[1] === 'page' ? 'page' : 'deep page'} ${size(m[2] === 'small' ? meta.small : meta.big)}@${conns}`;
};
const isPage = (sc) => /^(page|deep)_/.test(sc);

const stores = meta.stores.split(' ').filter((s) => meta.systems.split(' ').includes(`cmpd-${s}`));
const schemes = meta.schemes.split(' ');
const specs = meta.scenarios.split(' ').map((s) => ({ sc: s.split('@')[0], conns: +s.split('@')[1] }));
const systems = meta.systems.split(' ');
const peers = systems.filter((s) => !s.startsWith('cmpd-') && s !== 'nginx');
const rounds = Math.max(0, ...rows.map((r) => r.round));

const out = [];
const p = (s = '') => out.push(s);
p(`**Run of ${meta.date}**`);
p();
p(`- Machine: ${meta.nproc} × ${meta.cpu} (\`nproc\` = ${meta.nproc}), shared with other work; load average ${meta.load_start} at the start, ${meta.load_end} at the end`);
p(`- ${meta.cmpd}; ${meta.versions}`);
p(`- ${meta.settings}`);
p(`- ${(meta.elapsed_s / 60).toFixed(1)} min in all, ${(meta.sweep_s / 60).toFixed(1)} of them measuring (the rest: starting, seeding and bulk-loading)`);
p();
p(`Each number is the mean of ${rounds} round(s). **rps ÷ nginx**: requests/s of the system over nginx's, same scheme and`);
p('scenario, measured in the same sweep (1.00 is the ceiling); **p99 ÷ nginx**: its 99th-percentile latency over nginx\'s.');
p('Page rows are compared with nginx\'s list100 (a static page of 100 partners). **bytes**: one response body.');
p('**errors**: non-2xx responses and socket errors (timeouts) in the measured runs. json-server and Prism speak plain');
p('HTTP only, and are not run at 256 connections: they appear in the first store\'s http section.');

const section = (title, sysList, scheme) => {
  p();
  p(`### ${title}`);
  p();
  p('| scenario | system | rps | p50 ms | p99 ms | rps ÷ nginx | p99 ÷ nginx | bytes | errors |');
  p('|---|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const { sc, conns } of specs) {
    let first = true;
    for (const s of sysList) {
      const c = cell(s, scheme, sc, conns);
      if (!c) continue;
      const ref = cell('nginx', scheme, isPage(sc) ? 'list100' : sc, isPage(sc) ? 32 : conns);
      const bytes = meta.bytes[`${s}-${sc}-${scheme}`];
      p(`| ${first ? label(sc, conns) : ''} | ${nameOf(s)} | ${int(c.rps)} | ${ms(c.p50)} | ${ms(c.p99)} | ` +
        `${ref ? x(c.rps / ref.rps, 2) : '–'} | ${ref ? x(c.p99 / ref.p99, 1) : '–'} | ` +
        `${bytes !== undefined ? int(bytes) : ''} | ${c.bad || ''} |`);
      first = false;
    }
  }
};

if (stores.length) {
  stores.forEach((st, i) => {
    for (const scheme of schemes) {
      const list = [`cmpd-${st}`, ...(systems.includes('nginx') ? ['nginx'] : []), ...(i === 0 && scheme === 'http' ? peers : [])];
      let title = `${storeName[st]} · ${scheme}`;
      if (i > 0) title += ` (nginx: the same runs as in ${storeName[stores[0]]} · ${scheme}${scheme === 'http' && peers.length ? '; the peers are there' : ''})`;
      section(title, list, scheme);
    }
  });
} else {
  for (const scheme of schemes) section(scheme, systems, scheme);
}

if (stores.length) {
  p();
  const rss = stores.map((st) => {
    const kb = meta.rss_kb[`cmpd-${st}`];
    return `${storeName[st]} ${kb ? `${(kb / 1024).toFixed(1)} MiB` : 'not read (the process had exited)'}`;
  });
  p(`**Peak RSS of cmpd** (VmHWM of the measured process, whole run): ${rss.join(' · ')}`);

  const growth = [];
  for (const st of stores) {
    for (const scheme of schemes) {
      for (const kind of ['page', 'deep']) {
        const conns = specs.find((s) => s.sc === `${kind}_small`)?.conns;
        const a = conns && cell(`cmpd-${st}`, scheme, `${kind}_small`, conns);
        const b = conns && cell(`cmpd-${st}`, scheme, `${kind}_big`, specs.find((s) => s.sc === `${kind}_big`)?.conns);
        if (a && b) {
          growth.push(`| ${storeName[st]} · ${scheme} | ${kind === 'page' ? 'first page' : 'deep page'}@${conns} | ` +
            `${int(a.rps)} / ${ms(a.p50)} / ${ms(a.p99)} | ${int(b.rps)} / ${ms(b.p50)} / ${ms(b.p99)} | ` +
            `${x(b.rps / a.rps, 2)} | ${x(b.p50 / a.p50, 2)} | ${x(b.p99 / a.p99, 2)} |`);
        }
      }
    }
  }
  const conns = [];
  const getConns = specs.filter((s) => s.sc === 'get_id').map((s) => s.conns).sort((m, n) => m - n);
  const lo = getConns[0];
  const hi = getConns[getConns.length - 1];
  if (getConns.length > 1) {
    for (const scheme of schemes) {
      for (const s of [...stores.map((st) => `cmpd-${st}`), 'nginx']) {
        const a = cell(s, scheme, 'get_id', lo);
        const b = cell(s, scheme, 'get_id', hi);
        if (!a || !b) continue;
        const who = s === 'nginx' ? 'nginx (static)' : `cmpd, ${storeName[s.slice(5)]}`;
        conns.push(`| ${who} · ${scheme} | ${int(a.rps)} / ${ms(a.p50)} / ${ms(a.p99)} | ` +
          `${int(b.rps)} / ${ms(b.p50)} / ${ms(b.p99)} | ${x(b.rps / a.rps, 2)} | ${x(b.p50 / a.p50, 2)} | ${x(b.p99 / a.p99, 2)} |`);
      }
    }
  }
  if (growth.length) {
    p();
    p(`### How cost grows: a tenant of ${int(meta.small)} → ${int(meta.big)} partners, filtered and ordered page`);
    p();
    p('`$filter=partnerState eq \'enabled\'&$orderby=displayName&$top=100` (1 partner in 6 is enabled); the deep page is');
    p('the `$skiptoken` page half-way through the filtered set.');
    p();
    p(`| store · scheme | page | ${size(meta.small)}: rps / p50 / p99 ms | ${size(meta.big)}: rps / p50 / p99 ms | rps × | p50 × | p99 × |`);
    p('|---|---|--:|--:|--:|--:|--:|');
    growth.forEach((l) => p(l));
  }
  if (conns.length) {
    p();
    p(`### How cost grows: connections ${lo} → ${hi}, get_id`);
    p();
    p(`| system · scheme | @${lo}: rps / p50 / p99 ms | @${hi}: rps / p50 / p99 ms | rps × | p50 × | p99 × |`);
    p('|---|--:|--:|--:|--:|--:|');
    conns.forEach((l) => p(l));
  }
}

if (meta.notes.length) {
  p();
  p('### Could not run');
  p();
  meta.notes.forEach((n) => p(`- ${n}`));
}
console.log(out.join('\n'));
