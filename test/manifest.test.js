// package.json `contributes` and src/extension/ids.ts must name the same commands and settings.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { lib, ROOT = path.resolve(__dirname, '..') } = require('./helpers/lib');
const ids = lib('extension/ids.js');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('every command id is contributed with a title, a category and an icon, and nothing extra', () => {
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(contributed, Object.values(ids.CommandIds).sort());
  for (const c of pkg.contributes.commands) {
    assert.equal(c.category, 'gRPC Streams', c.command);
    assert.match(c.icon || '', /^\$\([a-z-]+\)$/, c.command);
  }
});

test('menus name only contributed commands, and view ids match', () => {
  const known = new Set(Object.values(ids.CommandIds));
  for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
    for (const i of items) {
      assert.ok(known.has(i.command), `${menu}: ${i.command}`);
      assert.ok(i.when, `${menu}: ${i.command} has a when clause`);
    }
  }
  assert.equal(pkg.contributes.views[ids.ViewIds.container][0].id, ids.ViewIds.streams);
  assert.equal(pkg.contributes.viewsWelcome[0].view, ids.ViewIds.streams);
});

test('every setting the code reads is contributed with a description and a default', () => {
  const props = pkg.contributes.configuration.properties;
  for (const key of Object.values(ids.Settings)) {
    const p = props[`${ids.ConfigSection}.${key}`];
    assert.ok(p, `grpcStreams.${key} is contributed`);
    assert.ok(p.description || p.markdownDescription, key);
    assert.ok('default' in p, key);
  }
  assert.equal(Object.keys(props).length, Object.values(ids.Settings).length);
});

test('the extension runs on the workspace side and activates lazily', () => {
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.ok(!pkg.activationEvents.includes('*') && !pkg.activationEvents.includes('onStartupFinished'));
});
