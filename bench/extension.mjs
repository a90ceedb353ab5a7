// The extension in a real VS Code (code-server, log level trace) attached to a server with
// 10,000 open streams: activation time and the extension-host time of a tree tick and of the
// status bar's count, as the extension itself logs them.
import fs from 'node:fs';
import path from 'node:path';
import { fmt, inspectPort, median, require, start } from './lib.mjs';

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

export function printExtension(r) {
  console.log(`extension activation: ${fmt(r.activationMs, 1)} ms (activate(), as logged in a real VS Code)   (target < 50 ms)`);
  console.log(`tree tick with ${r.streams} open streams: ${fmt(r.tickMedianMs, 2)} ms median, ${fmt(r.tickMaxMs, 2)} ms max of extension-host time (${r.rowsRendered} rows rendered, ${r.samples}×10 ticks)   (target < 50 ms); status bar count of ${r.streams}: ${fmt(r.statusMedianMs, 2)} ms`);
}
