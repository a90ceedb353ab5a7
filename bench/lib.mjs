// Helpers for benchmarks: child processes, inspector attach, medians.
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const require = createRequire(import.meta.url);
export const AGENT = path.join(ROOT, 'dist', 'agent.js');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const children = new Set();

export function killAll() {
  for (const c of children) try { c.kill('SIGKILL'); } catch {}
  children.clear();
}
process.on('exit', killAll);

export function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const events = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    let e;
    try { e = JSON.parse(l); } catch { return; }
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
  });
  return {
    child,
    events,
    get stderr() { return stderr; },
    waitFor(pred, ms = 120000) {
      const hit = events.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout; stderr: ${stderr.slice(-400)}`)), ms);
        waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
      });
    },
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
    kill() { try { child.kill('SIGKILL'); } catch {} },
  };
}

export async function inspectPort(proc) {
  for (let i = 0; i < 200; i++) {
    const m = /Debugger listening on ws:\/\/[^:]+:(\d+)\//.exec(proc.stderr);
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no inspector port');
}

export function run(cmd, args) {
  return new Promise((resolve) => execFile(cmd, args, { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ err, stdout, stderr })));
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (n, d = 1) => Number(n).toFixed(d);
