// Layer 48: service discovery (issue 3 point 5): GET /{v}/$metadata -> 200 application/xml CSDL of
// the served types (edmx:Edmx, the entity, its complex and enum types, the deviceManagement
// singleton; beta adds the linux properties and the assignment filters), and GET /{v}/ -> the
// OData service document; both without a token.  The CSDL is parsed here (a small XML reader)
// and cross-checked against what the JSON API serves and against the spec's metadata fragments.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, newTenant, REPO, startServer, test } from './lib/harness.mjs';
import { ADMIN_ROLES, assertGraphHeaders, assertStatus, col, FILTER_TYPES, item, PARTNER_STATES, TARGET_TYPES, VERSIONS } from './lib/graph.mjs';

let srv;
let tok;

before(async () => {
  srv = await startServer();
  tok = await srv.token({ tenant: newTenant(), roles: ADMIN_ROLES });
});
after(async () => {
  if (srv && !srv.exit) await srv.destroy();
});

// ------------------------------------------------------------------------------------------------
// a small XML reader: elements, attributes, nesting (comments, PIs and text are skipped)

function parseXml(text) {
  const root = { name: '#root', attrs: {}, children: [] };
  const stack = [root];
  const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*"[^"]*")*)\s*(\/?)>|</g;
  let m;
  let last = 0;
  while ((m = re.exec(text))) {
    const between = text.slice(last, m.index);
    assert.ok(!/[<>]/.test(between), `stray markup near offset ${last}: ${between.slice(0, 80)}`);
    last = re.lastIndex;
    if (m[0].startsWith('<!--') || m[0].startsWith('<?')) continue;
    assert.ok(m[2], `malformed tag at offset ${m.index}: ${text.slice(m.index, m.index + 80)}`);
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      const open = stack.pop();
      assert.equal(open.name, name, `</${name}> closes <${open.name}>`);
      continue;
    }
    const attrs = {};
    for (const a of attrText.matchAll(/([\w.:-]+)\s*=\s*"([^"]*)"/g)) {
      assert.ok(!(a[1] in attrs), `duplicate attribute ${a[1]} on <${name}>`);
      attrs[a[1]] = a[2];
    }
    const el = { name, attrs, children: [] };
    stack.at(-1).children.push(el);
    if (!selfClose) stack.push(el);
  }
  assert.ok(!/[<>]/.test(text.slice(last)), 'stray markup at the end');
  assert.equal(stack.length, 1, `unclosed <${stack.at(-1).name}>`);
  assert.equal(root.children.length, 1, 'one document element');
  return root.children[0];
}

const kids = (el, name) => el.children.filter((c) => c.name === name);
const one = (el, name, attr, value) => {
  const found = kids(el, name).filter((c) => attr === undefined || c.attrs[attr] === value);
  assert.equal(found.length, 1, `exactly one <${name}${attr ? ` ${attr}="${value}"` : ''}> in <${el.name} ${JSON.stringify(el.attrs)}>`);
  return found[0];
};

function schemaOf(doc) {
  assert.equal(doc.name, 'edmx:Edmx');
  assert.equal(doc.attrs.Version, '4.0');
  assert.equal(doc.attrs['xmlns:edmx'], 'http://docs.oasis-open.org/odata/ns/edmx');
  const ds = one(doc, 'edmx:DataServices');
  const schema = one(ds, 'Schema', 'Namespace', 'microsoft.graph');
  assert.equal(schema.attrs.xmlns, 'http://docs.oasis-open.org/odata/ns/edm');
  return schema;
}

/** Resolve "graph.x" / "microsoft.graph.x" / Collection(...) against the schema alias. */
const qualify = (t, alias) => t.replace(new RegExp(`(^|\\()${alias}\\.`), '$1microsoft.graph.');

function properties(schema, typeName, kind = 'EntityType') {
  const t = one(schema, kind, 'Name', typeName);
  return Object.fromEntries(kids(t, 'Property').map((p) => [p.attrs.Name, p.attrs]));
}

async function fetchMetadata(v, opts = {}) {
  const r = await srv.request('GET', `/${v}/$metadata`, opts);
  assertStatus(r, 200);
  assert.equal((r.headers['content-type'] || '').split(';')[0].trim(), 'application/xml', `Content-Type: ${r.headers['content-type']}`);
  assert.ok(r.text.startsWith('<?xml'), 'an XML declaration first');
  return r;
}

// ------------------------------------------------------------------------------------------------

describe('$metadata', () => {
  const docs = {};
  before(async () => {
    for (const v of VERSIONS) docs[v] = (await fetchMetadata(v)).text;
  });

  test('answers without a token, with the Graph headers, on https and http; the same with a token', async () => {
    for (const v of VERSIONS) {
      for (const scheme of ['https', 'http']) {
        const r = await fetchMetadata(v, { scheme });
        assertGraphHeaders(r, { scheme });
        assert.equal(r.text, docs[v]);
      }
      assert.equal((await fetchMetadata(v, { token: tok })).text, docs[v]);
    }
  });

  test('well-formed edmx:Edmx 4.0 with the microsoft.graph schema', () => {
    for (const v of VERSIONS) schemaOf(parseXml(docs[v]));
  });

  test('EntityType complianceManagementPartner: every property the JSON API serves, typed as the spec says', async () => {
    const created = await srv.request('POST', col('beta'), { token: tok, body: { displayName: 'metadata' } });
    assertStatus(created, 201);
    for (const v of VERSIONS) {
      const schema = schemaOf(parseXml(docs[v]));
      const alias = schema.attrs.Alias || 'graph';
      const entity = one(schema, 'EntityType', 'Name', 'complianceManagementPartner');
      assert.equal(qualify(entity.attrs.BaseType, alias), 'microsoft.graph.entity');
      assert.ok(entity.attrs.Abstract !== 'true' && entity.attrs.OpenType !== 'true');
      assert.equal(kids(entity, 'NavigationProperty').length, 0, 'no navigation properties');
      const base = one(schema, 'EntityType', 'Name', 'entity');
      assert.equal(base.attrs.Abstract, 'true');
      assert.equal(one(one(base, 'Key'), 'PropertyRef').attrs.Name, 'id');
      const idProp = properties(schema, 'entity').id;
      assert.deepEqual([idProp.Type, idProp.Nullable], ['Edm.String', 'false']);
      const props = properties(schema, 'complianceManagementPartner');
      // the JSON entity's members (less annotations and the inherited id) are exactly the CSDL's
      const g = await srv.request('GET', item(v, created.json.id), { token: tok });
      const jsonNames = Object.keys(g.json).filter((k) => !k.startsWith('@') && k !== 'id').sort();
      assert.deepEqual(Object.keys(props).sort(), jsonNames, `${v}: CSDL properties vs JSON members`);
      const want = {
        displayName: ['Edm.String', undefined],
        lastHeartbeatDateTime: ['Edm.DateTimeOffset', 'false'],
        partnerState: ['microsoft.graph.deviceManagementPartnerTenantState', 'false'],
        macOsOnboarded: ['Edm.Boolean', 'false'],
        androidOnboarded: ['Edm.Boolean', 'false'],
        iosOnboarded: ['Edm.Boolean', 'false'],
        macOsEnrollmentAssignments: ['Collection(microsoft.graph.complianceManagementPartnerAssignment)', undefined],
        androidEnrollmentAssignments: ['Collection(microsoft.graph.complianceManagementPartnerAssignment)', undefined],
        iosEnrollmentAssignments: ['Collection(microsoft.graph.complianceManagementPartnerAssignment)', undefined],
      };
      if (v === 'beta') {
        want.linuxOnboarded = ['Edm.Boolean', 'false'];
        want.linuxEnrollmentAssignments = ['Collection(microsoft.graph.complianceManagementPartnerAssignment)', undefined];
      }
      assert.deepEqual(Object.keys(props).sort(), Object.keys(want).sort(), `${v}: property names`);
      for (const [name, [type, nullable]] of Object.entries(want)) {
        assert.equal(qualify(props[name].Type, alias), type, `${v} ${name} Type`);
        assert.equal(props[name].Nullable, nullable, `${v} ${name} Nullable`);
      }
    }
  });

  test('v1.0 has no linux properties or assignment filters; beta has both', () => {
    assert.ok(!docs['v1.0'].includes('linuxOnboarded'));
    assert.ok(!docs['v1.0'].includes('linuxEnrollmentAssignments'));
    assert.ok(!docs['v1.0'].includes('deviceAndAppManagementAssignmentFilter'));
    const schema = schemaOf(parseXml(docs.beta));
    const filterEnum = one(schema, 'EnumType', 'Name', 'deviceAndAppManagementAssignmentFilterType');
    assert.deepEqual(
      kids(filterEnum, 'Member').map((m) => [m.attrs.Name, m.attrs.Value]),
      FILTER_TYPES.map((n, i) => [n, String(i)]),
    );
    const baseProps = properties(schema, 'deviceAndAppManagementAssignmentTarget', 'ComplexType');
    assert.deepEqual(Object.keys(baseProps).sort(), ['deviceAndAppManagementAssignmentFilterId', 'deviceAndAppManagementAssignmentFilterType']);
    assert.equal(baseProps.deviceAndAppManagementAssignmentFilterType.Nullable, 'false');
  });

  test('the enum, the assignment and the five target types (both versions)', () => {
    for (const v of VERSIONS) {
      const schema = schemaOf(parseXml(docs[v]));
      const alias = schema.attrs.Alias || 'graph';
      const states = one(schema, 'EnumType', 'Name', 'deviceManagementPartnerTenantState');
      assert.deepEqual(
        kids(states, 'Member').map((m) => [m.attrs.Name, m.attrs.Value]),
        PARTNER_STATES.map((n, i) => [n, String(i)]),
      );
      assert.ok(!states.attrs.IsFlags || states.attrs.IsFlags === 'false');
      const assignment = properties(schema, 'complianceManagementPartnerAssignment', 'ComplexType');
      assert.deepEqual(Object.keys(assignment), ['target']);
      assert.equal(qualify(assignment.target.Type, alias), 'microsoft.graph.deviceAndAppManagementAssignmentTarget');
      assert.equal(one(schema, 'ComplexType', 'Name', 'deviceAndAppManagementAssignmentTarget').attrs.Abstract, 'true');
      const bases = {
        allDevicesAssignmentTarget: 'deviceAndAppManagementAssignmentTarget',
        allLicensedUsersAssignmentTarget: 'deviceAndAppManagementAssignmentTarget',
        configurationManagerCollectionAssignmentTarget: 'deviceAndAppManagementAssignmentTarget',
        groupAssignmentTarget: 'deviceAndAppManagementAssignmentTarget',
        exclusionGroupAssignmentTarget: 'groupAssignmentTarget',
      };
      assert.deepEqual(Object.keys(bases).sort(), [...TARGET_TYPES].sort());
      for (const [t, b] of Object.entries(bases)) assert.equal(qualify(one(schema, 'ComplexType', 'Name', t).attrs.BaseType, alias), `microsoft.graph.${b}`, `${v} ${t}`);
      assert.equal(properties(schema, 'groupAssignmentTarget', 'ComplexType').groupId.Type, 'Edm.String');
      assert.equal(properties(schema, 'configurationManagerCollectionAssignmentTarget', 'ComplexType').collectionId.Type, 'Edm.String');
    }
  });

  test('the deviceManagement singleton contains complianceManagementPartners', () => {
    for (const v of VERSIONS) {
      const schema = schemaOf(parseXml(docs[v]));
      const alias = schema.attrs.Alias || 'graph';
      const container = one(schema, 'EntityContainer');
      const singleton = one(container, 'Singleton', 'Name', 'deviceManagement');
      assert.equal(qualify(singleton.attrs.Type, alias), 'microsoft.graph.deviceManagement');
      const dm = one(schema, 'EntityType', 'Name', 'deviceManagement');
      const nav = one(dm, 'NavigationProperty', 'Name', 'complianceManagementPartners');
      assert.equal(qualify(nav.attrs.Type, alias), 'Collection(microsoft.graph.complianceManagementPartner)');
      assert.equal(nav.attrs.ContainsTarget, 'true');
    }
  });

  test("every element of the spec's metadata fragments is served verbatim", (t) => {
    const dir = path.join(REPO, '..', 'shared', 'spec', 'metadata');
    if (!existsSync(dir)) {
      t.skip('shared/ not beside the repository');
      return;
    }
    const norm = (s) => s.replace(/\s+/g, ' ').trim();
    for (const v of VERSIONS) {
      const frag = readFileSync(path.join(dir, `${v}-compliancemanagementpartner.xml`), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
      const served = norm(docs[v]);
      const lines = frag.split('\n').map(norm).filter((l) => /^<(Property|Member|NavigationProperty|Singleton|PropertyRef|EnumType|ComplexType|EntityType|Key)\b/.test(l));
      assert.ok(lines.length > 20, `${v}: ${lines.length} fragment elements`);
      for (const l of lines) assert.ok(served.includes(l), `${v}: ${l} is not served`);
    }
  });
});

describe('service document', () => {
  for (const v of VERSIONS) {
    test(`GET /${v}/ without a token -> the deviceManagement singleton`, async () => {
      for (const scheme of ['https', 'http']) {
        const r = await srv.request('GET', `/${v}/`, { scheme });
        assertStatus(r, 200);
        assertGraphHeaders(r, { scheme });
        assert.match(r.headers['content-type'] || '', /^application\/json\b/);
        const body = r.json;
        assert.equal(Object.keys(body)[0], '@odata.context');
        assert.equal(body['@odata.context'], `https://graph.microsoft.com/${v}/$metadata`);
        assert.ok(Array.isArray(body.value));
        const dm = body.value.filter((e) => e.name === 'deviceManagement');
        assert.equal(dm.length, 1);
        assert.deepEqual(dm[0], { name: 'deviceManagement', kind: 'Singleton', url: 'deviceManagement' });
      }
    });
  }
});

test('SIGTERM -> clean exit 0', async () => {
  await srv.close();
});
