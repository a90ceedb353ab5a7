// Helpers for benchmarks: child processes (shared with the tests), medians.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const require = createRequire(import.meta.url);
export const AGENT = path.join(ROOT, 'dist', 'agent.js');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const procs = require('../test/helpers/procs.js');

export const killAll = procs.killAll;
export const inspectPort = procs.inspectorPortFrom;

/** A tracked child process (test/helpers/procs.js); benchmarks wait longer by default. */
export function start(cmd, args, opts = {}) {
  const proc = procs.spawnTracked(cmd, args, opts);
  const waitFor = proc.waitFor;
  proc.waitFor = (pred, ms = 120000) => waitFor(pred, ms);
  return proc;
}

export function run(cmd, args, { env = process.env } = {}) {
  return new Promise((resolve) => execFile(cmd, args, { cwd: ROOT, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ err, stdout, stderr })));
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (n, d = 1) => Number(n).toFixed(d);

/** The ingest fixture (a real grpc-go server and its clients), built into test/.tmp/<dirName>. */
export function buildIngest(dirName) {
  const dir = path.join(ROOT, 'test', '.tmp', dirName);
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'ingest');
  const b = spawnSync('go', ['build', '-o', bin, './cmd/ingest'], { cwd: path.join(ROOT, 'test', 'fixtures', 'analysis', 'gomod'), env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`go build failed: ${b.stderr}`);
  return bin;
}
