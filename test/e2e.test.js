// End to end in a real VS Code (code-server) and a real browser: install the packaged extension,
// attach to a real gRPC server through the command palette, and watch a frozen client's stream.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, startClient, until, killAll } = require('./helpers/procs');
const fs = require('node:fs');
const path = require('node:path');
const { CodeServer, freePort } = require('./e2e/codeServer');

test.after(killAll);

test('Streams view: attach by address, idle time grows, the stream turns suspect, Cancel Stream reaches the handler', { timeout: 240000 }, async () => {
  const server = await startServer();
  const client = await startClient(server.port, 'upload');
  const cs = await CodeServer.start({ settings: { 'grpcStreams.idleWarningSeconds': 2, 'grpcStreams.suspectAfterSeconds': 4 } });
  try {
    const page = await cs.openBrowser();
    await cs.screenshot('01-workbench');
    client.freeze();

    await cs.runCommand('gRPC Streams: Attach to Inspector Address…');
    await cs.answerInput(`127.0.0.1:${server.inspectPort}`);
    await cs.runCommand('View: Show gRPC Streams');
    const streamRow = () => cs.streamRows().then((rows) => rows.find((r) => r.aria.includes('stream from 127.0.0.1')));
    const first = await until(streamRow, 30000, 'the stream row');
    await cs.screenshot('02-attached');
    const rows = await cs.streamRows();
    const labels = rows.map((r) => r.label);
    assert.ok(labels.includes(`127.0.0.1:${server.port}`), `server row in ${labels}`);
    const methodRow = rows.find((r) => r.label === 'demo.Ingest/Upload');
    assert.ok(methodRow, 'method row');
    assert.equal(methodRow.description, '1 open');
    assert.ok(first.level > methodRow.level, 'the stream sits under its method');
    assert.match(first.description, /^idle \d+s · ↓0 ↑0 · client_stream$/);

    const idleOf = (r) => Number(/idle (\d+)s/.exec(r.description)[1]);
    const i1 = idleOf(first);
    await page.waitForTimeout(3000);
    const second = await streamRow();
    assert.ok(idleOf(second) >= i1 + 2, `idle grew: ${first.description} → ${second.description}`);

    const suspect = await until(async () => {
      const r = await streamRow();
      return r && r.aria.startsWith('suspect') && r;
    }, 15000, 'the stream to turn suspect');
    assert.match(suspect.aria, /^suspect stream from 127\.0\.0\.1:\d+/);
    // The status bar counts it too.
    await page.locator('.statusbar-item', { hasText: 'gRPC 1 stream · 1 suspect' }).first().waitFor({ timeout: 10000 });
    await cs.screenshot('03-suspect');

    // Select the stream; Go to Handler opens the handler's source at its line.
    await page.locator('[id="workbench.view.extension.grpcStreams"] .monaco-list-row', { hasText: '↓0 ↑0' }).first().click();
    await cs.runCommand('gRPC Streams: Go to Handler');
    await page.locator('.tabs-container .tab.active', { hasText: 'server.js' }).waitFor({ timeout: 15000 });
    await page.locator('.statusbar-item', { hasText: /Ln 21, Col \d+/ }).first().waitFor({ timeout: 10000 });
    await cs.screenshot('03b-go-to-handler');
    // Cancel it from the palette (the view keeps its selection); confirm the modal dialog.
    await cs.runCommand('gRPC Streams: Cancel Stream');
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Cancel Stream' });
    await confirm.waitFor({ state: 'visible', timeout: 10000 });
    await cs.screenshot('04-confirm-cancel');
    await confirm.click();
    await server.waitFor((e) => e.event === 'cancelled' && e.method === 'Upload', 10000, 'the handler to see cancelled');
    await until(async () => !(await streamRow()), 10000, 'the stream row to go');
    const after = await cs.streamRows();
    assert.equal(after.find((r) => r.label === 'demo.Ingest/Upload').description, '0 open');
    await cs.screenshot('05-cancelled');
  } catch (e) {
    await cs.screenshot('failure').catch(() => undefined);
    throw e;
  } finally {
    await cs.stop();
    client.kill();
    server.kill();
  }
});

test('Go diagnostics and the "Receive asynchronously" quick fix from the light bulb', { timeout: 240000 }, async () => {
  const os = require('node:os');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-streams-go-'));
  const fixture = path.join(__dirname, 'fixtures', 'analysis', 'go', 'eof_basic.go');
  const file = path.join(ws, 'server.go');
  fs.copyFileSync(fixture, file);
  const cs = await CodeServer.start({ workspace: ws });
  try {
    const page = await cs.openBrowser();
    await cs.openFile('server.go');
    await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ timeout: 30000 });
    await cs.screenshot('10-go-diagnostic');
    // The Problems panel names the rule.
    await cs.runCommand('View: Focus Problems');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'never checks stream.Context()' }).first().waitFor({ timeout: 10000 });
    // Cursor onto the finding (line 17) and open the quick fixes.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await cs.answerInput(':17:16');
    await page.keyboard.press('Control+.');
    const item = page.locator('.action-widget .monaco-list-row', { hasText: 'Receive asynchronously' }).first();
    await item.waitFor({ timeout: 15000 });
    await cs.screenshot('11-go-quick-fix');
    await item.click();
    await page.keyboard.press('Control+S');
    const golden = fs.readFileSync(path.join(__dirname, 'fixtures', 'analysis', 'expected', 'go', 'eof_basic.go.line17.async-receive.go.golden'), 'utf8');
    const saved = await until(() => {
      const t = fs.readFileSync(file, 'utf8');
      return t !== fs.readFileSync(fixture, 'utf8') && t;
    }, 15000, 'the fixed file to be saved');
    assert.equal(saved, golden, 'the document changed exactly as the fix says');
    await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ state: 'detached', timeout: 15000 });
    await cs.screenshot('12-go-fixed');
  } catch (e) {
    await cs.screenshot('failure-go').catch(() => undefined);
    throw e;
  } finally {
    await cs.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test('Dashboard: table, chart and suspect count from a real server; Cancel on a row ends that call', { timeout: 240000 }, async () => {
  const server = await startServer();
  const clients = [await startClient(server.port, 'chat,watch', ['--watch-every', '500', '--chat-every', '500']), await startClient(server.port, 'upload')];
  const frozen = clients[1];
  // The workspace holds the server's source, so the dashboard can offer the keepalive fix there.
  const ws = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'grpc-streams-dash-'));
  fs.copyFileSync(path.join(__dirname, 'fixtures', 'analysis', 'ts', 'esm_server.mjs'), path.join(ws, 'server.mjs'));
  const cs = await CodeServer.start({ workspace: ws, settings: { 'grpcStreams.idleWarningSeconds': 2, 'grpcStreams.suspectAfterSeconds': 3 } });
  try {
    const page = await cs.openBrowser();
    frozen.freeze();
    // Attach to Process…: the quick pick lists local Node processes and says whose inspector is open.
    await cs.runCommand('gRPC Streams: Attach to Process…');
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: `inspector open on 127.0.0.1:${server.inspectPort}` });
    await pick.first().waitFor({ timeout: 30000 });
    await page.locator('.quick-input-widget input.input').fill(String(server.pid));
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: String(server.pid) }).first().waitFor({ timeout: 10000 });
    await page.keyboard.press('Enter');
    await page.locator('.statusbar-item', { hasText: 'gRPC 3 streams' }).first().waitFor({ timeout: 30000 });
    await cs.runCommand('gRPC Streams: Show Dashboard');
    const frame = page.frameLocator('iframe.webview').frameLocator('#active-frame');
    await frame.locator('.stream-table .rows .row').first().waitFor({ timeout: 30000 });
    const methods = await frame.locator('.stream-table .rows .row .col-method').allTextContents();
    assert.deepEqual(methods.slice().sort(), ['/demo.Ingest/Chat', '/demo.Ingest/Upload', '/demo.Ingest/Watch']);
    // The suspect count turns to 1 (the frozen upload), and the chart has points.
    await frame.locator('#suspect-count', { hasText: '1 suspect' }).waitFor({ timeout: 20000 });
    const points = Number(await frame.locator('#line-chart polyline[data-series="client_stream"]').getAttribute('data-points'));
    assert.ok(points >= 2, `chart points: ${points}`);
    const suspectRow = frame.locator('.stream-table .rows .row.suspect');
    assert.equal(await suspectRow.count(), 1);
    assert.equal(await suspectRow.locator('.col-method').textContent(), '/demo.Ingest/Upload');
    assert.match(await frame.locator('.server.warn .warning').first().textContent(), /No keepalive in force/);
    // Filter by text; Go to Handler from the row hides the dashboard behind the source; showing the
    // dashboard again restores its data and its filter.
    await frame.locator('#filter').click();
    await page.keyboard.type('Chat');
    await until(async () => (await frame.locator('.stream-table .rows .row').count()) === 1, 5000, 'filter to one row');
    await frame.locator('.stream-table .rows .row vscode-button[data-action="handler"]').click();
    await page.locator('.tabs-container .tab.active', { hasText: 'server.js' }).waitFor({ timeout: 15000 });
    await page.locator('.tabs-container .tab', { hasText: 'gRPC Streams: process' }).click();
    const shown = page.frameLocator('iframe.webview').frameLocator('#active-frame');
    await until(async () => (await shown.locator('.stream-table .rows .row').count()) === 1, 15000, 'the dashboard to come back with its filter');
    assert.equal(await shown.locator('#filter').evaluate((el) => el.value), 'Chat');
    await frame.locator('#filter').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await until(async () => (await frame.locator('.stream-table .rows .row').count()) === 3, 5000, 'filter cleared');
    await page.waitForTimeout(1500);
    await cs.screenshot('20-dashboard');
    fs.mkdirSync(path.join(__dirname, '..', 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(__dirname, '..', 'test-artifacts', 'dashboard-dark.png') });
    // Cancel the suspect row; confirm in VS Code's dialog.
    await suspectRow.locator('vscode-button[data-action="cancel"]').click();
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Cancel Stream' });
    await confirm.waitFor({ state: 'visible', timeout: 10000 });
    await confirm.click();
    await server.waitFor((e) => e.event === 'cancelled' && e.method === 'Upload', 10000, 'the handler to see cancelled');
    await until(async () => (await frame.locator('.stream-table .rows .row').count()) === 2, 10000, 'the cancelled row to go');
    await cs.screenshot('21-dashboard-after-cancel');
    // Fix keepalive…: opens the keepalive quick fix where the server is created.
    await frame.locator('.server.warn vscode-button', { hasText: 'Fix keepalive' }).click();
    await page.locator('.action-widget .monaco-list-row', { hasText: 'Add server keepalive' }).first().waitFor({ timeout: 20000 });
    await cs.screenshot('22-dashboard-keepalive-fix');
  } catch (e) {
    await cs.screenshot('failure-dashboard').catch(() => undefined);
    throw e;
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
    await cs.stop();
    for (const c of clients) c.kill();
    server.kill();
  }
});

test('A Node debugging session: the extension offers to attach through js-debug, tracks streams, and detaches when it ends', { timeout: 240000 }, async () => {
  const os = require('node:os');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-streams-debug-'));
  const grpcPort = await freePort();
  fs.mkdirSync(path.join(ws, '.vscode'));
  fs.writeFileSync(path.join(ws, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{ type: 'node', request: 'launch', name: 'Demo gRPC server', program: path.join(__dirname, 'fixtures', 'server.js'), cwd: path.join(__dirname, '..'), env: { PORT: String(grpcPort) } }],
  }, null, 2));
  const cs = await CodeServer.start({ workspace: ws });
  let client;
  try {
    const page = await cs.openBrowser();
    // Quick Open's "debug " prefix lists the launch configurations.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input.input').fill('debug ');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Demo gRPC server' }).first().click({ timeout: 30000 });
    const offer = page.locator('.notification-toast', { hasText: 'Watch its gRPC streams?' });
    await offer.waitFor({ timeout: 60000 });
    await cs.screenshot('30-debug-offer');
    await offer.locator('.monaco-button', { hasText: /^Attach$/ }).click();
    await page.locator('.statusbar-item', { hasText: 'gRPC 0 streams' }).first().waitFor({ timeout: 30000 });
    client = await startClient(grpcPort, 'upload,chat');
    await page.locator('.statusbar-item', { hasText: 'gRPC 2 streams' }).first().waitFor({ timeout: 20000 });
    await cs.runCommand('View: Show gRPC Streams');
    const rows = await until(async () => {
      const r = await cs.streamRows();
      return r.filter((x) => x.aria.includes('stream from 127.0.0.1')).length === 2 && r;
    }, 20000, 'two stream rows');
    assert.ok(rows.some((r) => /^debug: .*Demo gRPC server/.test(r.description)), rows.map((r) => r.description).join(' | '));
    await cs.screenshot('31-debug-attached');
    await page.locator('.debug-toolbar .codicon-debug-stop').first().click();
    await page.locator('.statusbar-item', { hasText: /gRPC \d+ streams?/ }).first().waitFor({ state: 'detached', timeout: 20000 });
    await page.getByText('Not attached to any Node gRPC server.').waitFor({ timeout: 10000 });
  } catch (e) {
    await cs.screenshot('failure-debug').catch(() => undefined);
    throw e;
  } finally {
    client?.kill();
    await cs.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
