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

test('menus name only tree item contexts the code sets', () => {
  const contexts = Object.values(ids.ItemContext);
  for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
    for (const i of items) {
      for (const m of i.when.matchAll(/viewItem (==|=~) (\S+)/g)) {
        const matches = m[1] === '==' ? contexts.filter((c) => c === m[2]) : contexts.filter((c) => new RegExp(m[2].slice(1, -1)).test(c));
        assert.ok(matches.length > 0, `${menu}: ${i.command} names ${m[2]}`);
      }
    }
  }
});

test('allowing a remote inspector is a machine setting that an untrusted workspace cannot turn on', () => {
  const setting = `${ids.ConfigSection}.${ids.Settings.allowRemoteInspector}`;
  assert.ok(['machine', 'application'].includes(pkg.contributes.configuration.properties[setting].scope), 'scope');
  const untrusted = pkg.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, 'limited');
  assert.ok(untrusted.restrictedConfigurations.includes(setting));
  for (const key of untrusted.restrictedConfigurations) assert.ok(pkg.contributes.configuration.properties[key], `${key} is contributed`);
  assert.match(untrusted.description, /allowRemoteInspector/);
});

test('settings as the extension reads them: allowRemoteInspector from user settings only, a rule off under its old id stays off', () => {
  // settings.js needs the vscode module: a stand-in that answers like VS Code's configuration does.
  const Module = require('node:module');
  const values = {};
  const fake = {
    workspace: {
      getConfiguration: () => ({
        get: (key, dflt) => {
          const v = values[key];
          return v ? v.workspaceValue ?? v.globalValue ?? dflt : dflt;
        },
        inspect: (key) => ({ key, defaultValue: false, ...values[key] }),
      }),
      onDidChangeConfiguration: () => ({ dispose() {} }),
    },
    EventEmitter: class { event() {} fire() {} dispose() {} },
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fake };
  try {
    const { readConfig } = lib('extension/settings.js');
    assert.equal(readConfig().allowRemoteInspector, false, 'default');
    values.allowRemoteInspector = { workspaceValue: true };
    assert.equal(readConfig().allowRemoteInspector, false, 'a workspace value is ignored');
    values.allowRemoteInspector = { workspaceFolderValue: true };
    assert.equal(readConfig().allowRemoteInspector, false, 'a folder value is ignored');
    values.allowRemoteInspector = { globalValue: true, workspaceValue: false };
    assert.equal(readConfig().allowRemoteInspector, true, 'the user value counts');
    values['diagnostics.rules'] = { globalValue: { 'recv-loop-ignores-context': false } };
    assert.equal(readConfig().diagnosticsRules['recv-without-idle-timeout'], false, 'a rule turned off under its old id stays off');
    // Probe settings: seconds in the settings, milliseconds for the agent; below the floor, the default.
    assert.deepEqual([readConfig().probeEnabled, readConfig().probeTimeoutMs, readConfig().probeMinIntervalMs], [true, 5000, 10000]);
    values['probe.enabled'] = { globalValue: false };
    values['probe.timeoutSeconds'] = { globalValue: 0.5 };
    values['probe.minIntervalSeconds'] = { workspaceValue: 0.2 };
    assert.deepEqual([readConfig().probeEnabled, readConfig().probeTimeoutMs, readConfig().probeMinIntervalMs], [false, 500, 10000]);
  } finally {
    Module._resolveFilename = resolve;
    delete require.cache.vscode;
  }
});

test('the diagnostics rules setting names rules by their current ids; renamed ones stay, deprecated', () => {
  const { RENAMED_RULES } = lib('analysis/types.js');
  const rules = pkg.contributes.configuration.properties[`${ids.ConfigSection}.${ids.Settings.diagnosticsRules}`];
  const current = Object.keys(rules.properties).filter((k) => !rules.properties[k].deprecationMessage);
  assert.deepEqual(Object.keys(rules.default).sort(), current.sort(), 'every current rule is on by default');
  for (const [old, renamed] of Object.entries(RENAMED_RULES)) {
    assert.ok(current.includes(renamed), `${renamed} is contributed`);
    assert.match(rules.properties[old].deprecationMessage, new RegExp(renamed));
  }
});

test('the grouping toggle: the title bar and the palette offer only the grouping not in use', () => {
  const toggles = [ids.CommandIds.groupByConnection, ids.CommandIds.groupByMethod];
  const key = ids.ContextKeys.groupBy;
  for (const menu of ['view/title', 'commandPalette']) {
    const items = pkg.contributes.menus[menu].filter((i) => toggles.includes(i.command));
    assert.equal(items.length, 2, menu);
    assert.match(items.find((i) => i.command === ids.CommandIds.groupByConnection).when, new RegExp(`${key.replace('.', '\\.')} != connection`), menu);
    assert.match(items.find((i) => i.command === ids.CommandIds.groupByMethod).when, new RegExp(`${key.replace('.', '\\.')} == connection`), menu);
  }
});

test('probe settings: on by default, floors no lower than the agent accepts', () => {
  const props = pkg.contributes.configuration.properties;
  const at = (k) => props[`${ids.ConfigSection}.${k}`];
  assert.equal(at(ids.Settings.probeEnabled).default, true);
  assert.equal(at(ids.Settings.probeTimeoutSeconds).default, 5);
  assert.equal(at(ids.Settings.probeMinIntervalSeconds).default, 10);
  // The agent takes a timeout of 100 ms or more and an interval of 1 s or more.
  assert.ok(at(ids.Settings.probeTimeoutSeconds).minimum * 1000 >= 100);
  assert.ok(at(ids.Settings.probeMinIntervalSeconds).minimum * 1000 >= 1000);
});

test('the package holds every file the extension and its CLI load at run time', () => {
  const { execFileSync } = require('node:child_process');
  const listed = new Set(execFileSync('npx', ['vsce', 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter(Boolean));
  // Loaded by path, not bundled: the agent (into the target), the analysis (lazily), channelz, the webview.
  for (const f of ['dist/extension.js', 'dist/cli.js', 'dist/agent.js', 'dist/analysis.js', 'dist/channelz.js', 'dist/webview/dashboard.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-go.wasm']) {
    assert.ok(listed.has(f), `${f} is packaged`);
  }
});
