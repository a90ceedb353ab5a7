// Real child processes for tests: gRPC servers with an inspector, clients that can be frozen.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const children = new Set();

function killAll() {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGCONT'); } catch {}
    try { c.kill('SIGKILL'); } catch {}
  }
  children.clear();
}
process.on('exit', killAll);

/** A child whose stdout JSON lines are collected; `waitFor(pred)` resolves with the first match. */
function track(child, name) {
  children.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  const events = [];
  const waiters = [];
  let stderr = '';
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let ev;
    try { ev = JSON.parse(line); } catch { return; }
    events.push(ev);
    for (const w of [...waiters]) if (w.pred(ev)) { waiters.splice(waiters.indexOf(w), 1); clearTimeout(w.timer); w.resolve(ev); }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  return {
    child,
    pid: child.pid,
    events,
    exited,
    get stderr() { return stderr; },
    /** The first event matching `pred` from now on (not one already seen). */
    next(pred, timeoutMs = 20000, what = 'event') {
      const from = events.length;
      return this.waitFor((e) => events.indexOf(e) >= from && pred(e), timeoutMs, what);
    },
    waitFor(pred, timeoutMs = 15000, what = 'event') {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: timed out waiting for ${what}; stderr: ${stderr.slice(-500)}`)), timeoutMs);
        waiters.push({ pred, resolve, timer });
      });
    },
    freeze() { process.kill(child.pid, 'SIGSTOP'); },
    thaw() { process.kill(child.pid, 'SIGCONT'); },
    kill() { try { process.kill(child.pid, 'SIGCONT'); } catch {} child.kill('SIGKILL'); },
    send(line) { child.stdin.write(line + '\n'); },
  };
}

/** Any command, tracked like the fixtures (used by the benchmarks too). */
function spawnTracked(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return track(child, path.basename(args.find((a) => !a.startsWith('-')) ?? cmd));
}

function inspectorPortFrom(proc) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no inspector port: ' + proc.stderr)), 10000);
    const check = () => {
      const m = /Debugger listening on ws:\/\/[^:]+:(\d+)\//.exec(proc.stderr);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); } else setTimeout(check, 20);
    };
    check();
  });
}

/**
 * Starts test/fixtures/server.js (or another script) with the inspector on a free loopback port.
 * Returns { ...proc, port (gRPC), inspectPort }.
 */
async function startServer({ script = 'server.js', env = {}, nodeArgs = [], inspect = true, args: scriptArgs = [] } = {}) {
  const args = [...(inspect ? ['--inspect=127.0.0.1:0'] : []), ...nodeArgs, path.join(FIXTURES, script), ...scriptArgs];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const proc = track(child, script);
  const listening = await proc.waitFor((e) => e.event === 'listening', 15000, 'listening');
  const inspectPort = inspect ? await inspectorPortFrom(proc) : null;
  return Object.assign(proc, { port: listening.port, inspectPort });
}

async function startClient(port, kinds, extra = []) {
  const child = spawn(process.execPath, [path.join(FIXTURES, 'client.js'), String(port), kinds, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, 'client');
  await proc.waitFor((e) => e.event === 'ready', 15000, 'client ready');
  return proc;
}

/** Starts any node script with an inspector (for processes without gRPC). */
async function startPlain(code) {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, 'plain');
  return Object.assign(proc, { inspectPort: await inspectorPortFrom(proc) });
}

/** Runs dist/cli.js to completion: { code, stdout, stderr }. */
function cli(args, { env = process.env, timeoutMs = 30000 } = {}) {
  const { execFile } = require('node:child_process');
  const CLI_PATH = path.join(ROOT, 'dist', 'cli.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_PATH, ...args], { timeout: timeoutMs, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Evaluates an expression in the target through a connection of its own, as other code there could. */
async function evalIn(inspectPort, expression) {
  const { lib } = require('./lib');
  const { discoverTarget } = lib('inspector/targetDiscovery.js');
  const { CdpConnection } = lib('inspector/cdpConnection.js');
  const t = await discoverTarget({ host: '127.0.0.1', port: inspectPort });
  const cdp = await CdpConnection.connect(t.webSocketUrl);
  try {
    const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true, includeCommandLineAPI: true });
    return r.result.value;
  } finally {
    cdp.close();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value. */
async function until(fn, timeoutMs = 15000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

module.exports = { ROOT, FIXTURES, startServer, startClient, startPlain, spawnTracked, inspectorPortFrom, cli, evalIn, sleep, until, killAll };
