// The extension in a real VS Code (code-server, log level trace) attached to a server with
// 10,000 open streams: activation time and the extension-host time of a tree tick and of the
// status bar's count, as the extension itself logs them. And the diagnostics provider on 10,000-line
// Go and TypeScript files while a user types in them.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fmt, inspectPort, median, require, start } from './lib.mjs';
import { bigFiles } from './lint.mjs';

const { CodeServer } = require('../test/e2e/codeServer.js');

function findLogs(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.includes('gRPC Streams')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export async function extensionBench({ streams = 10000, watchSeconds = 25 } = {}) {
  const server = start(process.execPath, ['--inspect=127.0.0.1:0', 'bench/echoServer.js']);
  const { port } = await server.waitFor((e) => e.event === 'listening');
  const ip = await inspectPort(server);
  const client = start(process.execPath, ['bench/manyStreams.js', String(port), String(streams)]);
  await client.waitFor((e) => e.event === 'ready', 180000);
  const cs = await CodeServer.start({ extraArgs: ['--log', 'trace'] });
  try {
    await cs.openBrowser();
    await cs.runCommand('gRPC Streams: Attach to Inspector Address…');
    await cs.answerInput(`127.0.0.1:${ip}`);
    await cs.page.locator('.statusbar-item', { hasText: `gRPC ${streams} streams` }).first().waitFor({ timeout: 120000 });
    await cs.runCommand('View: Show gRPC Streams');
    await cs.page.waitForTimeout(watchSeconds * 1000);
    const text = findLogs(cs.userData).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    const activation = Number(/Activated in ([\d.]+) ms/.exec(text)?.[1]);
    const ticks = [...text.matchAll(/tree tick: (\d+) streams, (\d+) rows rendered, \d+ changed; median ([\d.]+) ms, max ([\d.]+) ms/g)].filter((m) => Number(m[1]) === streams);
    const status = [...text.matchAll(/status bar: (\d+) streams judged in ([\d.]+) ms/g)].filter((m) => Number(m[1]) === streams).map((m) => Number(m[2]));
    return {
      streams,
      activationMs: activation,
      tickMedianMs: ticks.length ? median(ticks.map((m) => Number(m[3]))) : NaN,
      tickMaxMs: ticks.length ? Math.max(...ticks.map((m) => Number(m[4]))) : NaN,
      rowsRendered: ticks.length ? Number(ticks[ticks.length - 1][2]) : 0,
      statusMedianMs: status.length ? median(status) : NaN,
      samples: ticks.length,
    };
  } finally {
    await cs.stop();
    client.kill();
    server.kill();
  }
}

/**
 * Opens each big file in a real VS Code, waits for its diagnostics, then types a comment line in
 * the middle of it, again and again (each pause longer than the 300 ms debounce), and reads the
 * provider's own timings from the log: the first analysis parses from nothing, the others follow edits.
 */
export async function diagnosticsBench({ edits = 20 } = {}) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-streams-bench-'));
  const { go, ts } = bigFiles();
  fs.writeFileSync(path.join(ws, 'big.go'), go);
  fs.writeFileSync(path.join(ws, 'big.ts'), ts);
  const cs = await CodeServer.start({ workspace: ws, extraArgs: ['--log', 'trace'] });
  const out = {};
  try {
    const page = await cs.openBrowser();
    for (const name of ['big.go', 'big.ts']) {
      await cs.openFile(name);
      await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ timeout: 60000 });
      await page.locator('.monaco-editor .view-lines').first().click();
      for (let i = 0; i < edits; i++) {
        await page.keyboard.press('Control+G');
        await cs.answerInput(`:${4000 + i * 300}`);
        await page.keyboard.press('Home');
        await page.keyboard.type(`// typed ${i}`);
        await page.keyboard.press('Enter');
        await page.waitForTimeout(900);
      }
      const runs = findLogs(cs.userData)
        .map((f) => fs.readFileSync(f, 'utf8'))
        .join('\n')
        .matchAll(new RegExp(`Analysis of \\S*${name.replace('.', '\\.')}: (\\d+) lines, (\\d+) findings, ([\\d.]+) ms \\(([\\d.]+) ms CPU\\)`, 'g'));
      const found = [...runs];
      const times = found.map((m) => Number(m[3]));
      const cpu = found.map((m) => Number(m[4]));
      out[name] = { firstMs: times[0], afterEditMs: median(times.slice(1)), afterEditCpuMs: median(cpu.slice(1)), analyses: times.length };
      await page.keyboard.press('Control+Z');
    }
    return out;
  } finally {
    await cs.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

export function printDiagnostics(r) {
  for (const [name, v] of Object.entries(r)) {
    console.log(`diagnostics provider on the 10,000-line ${name} in a real VS Code: ${fmt(v.firstMs, 1)} ms when opened, ${fmt(v.afterEditMs, 1)} ms median after each typed line (${fmt(v.afterEditCpuMs, 1)} ms of extension-host CPU; ${v.analyses} analyses, as logged)   (target < 50 ms)`);
  }
}

export function printExtension(r) {
  console.log(`extension activation: ${fmt(r.activationMs, 1)} ms (activate(), as logged in a real VS Code)   (target < 50 ms)`);
  console.log(`tree tick with ${r.streams} open streams: ${fmt(r.tickMedianMs, 2)} ms median, ${fmt(r.tickMaxMs, 2)} ms max of extension-host time (${r.rowsRendered} rows rendered, ${r.samples}×10 ticks)   (target < 50 ms); status bar count of ${r.streams}: ${fmt(r.statusMedianMs, 2)} ms`);
}
