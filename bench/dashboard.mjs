// The dashboard webview in a real Chromium: with 10,000 open streams, the time to apply one delta
// and repaint (layout included), and the postMessage payload per tick against the stream count.
import fs from 'node:fs';
import path from 'node:path';
import { fmt, median, require, ROOT } from './lib.mjs';

const { chromium } = require('playwright-core');

function stream(i, now) {
  return { id: `c${i}`, serverId: 's1', method: `/demo.Ingest/${['Upload', 'Chat', 'Watch'][i % 3]}`, kind: ['client_stream', 'bidi', 'server_stream'][i % 3], peer: `127.0.0.1:${10000 + (i % 50000)}`, startedAt: now - 600000 + i, observedSince: now - 600000, lastReceivedAt: now - (i % 900) * 1000, lastSentAt: null, received: i % 97, sent: i % 13, deadline: null, state: i % 3 === 2 ? 'half_closed' : 'active' };
}

export async function dashboardBench({ streams = 10000, changed = 50, ticks = 30 } = {}) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const css = fs.readFileSync(path.join(ROOT, 'media', 'dashboard.css'), 'utf8');
    await page.setContent(`<!DOCTYPE html><html><head><style>${css}</style></head><body><main id="app"></main></body></html>`);
    await page.evaluate(() => { window.acquireVsCodeApi = () => ({ postMessage() {}, getState() { return undefined; }, setState() {} }); });
    await page.addScriptTag({ path: path.join(ROOT, 'dist', 'webview', 'dashboard.js') });
    const now = Date.now();
    const server = { id: 's1', grpcJsVersion: '1.14.7', addresses: ['127.0.0.1:50051'], keepalive: { timeMs: null, timeoutMs: null, maxConnectionIdleMs: null, maxConnectionAgeMs: null }, methods: [] };
    const all = Array.from({ length: streams }, (_, i) => stream(i, now));
    const series = Array.from({ length: 900 }, (_, i) => ({ t: now - (900 - i) * 1000, unary: 0, client_stream: 3333, server_stream: 3333, bidi: 3334, suspect: 100 }));
    const init = { type: 'init', title: 'bench', pid: 1, now, settings: { idleWarningMs: 30000, suspectAfterMs: 60000 }, servers: [server], streams: all, series, fixes: [] };
    const initMs = await page.evaluate((m) => {
      const t = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data: m }));
      void document.body.offsetHeight;
      return performance.now() - t;
    }, init);
    const deltas = [];
    for (let k = 1; k <= ticks; k++) {
      const upserts = Array.from({ length: changed }, (_, j) => ({ ...all[(k * 7919 + j * 104729) % streams], received: 1000 + k, lastReceivedAt: now + k * 1000 }));
      deltas.push({ type: 'delta', now: now + k * 1000, upserts, removed: [], point: { ...series[0], t: now + k * 1000 } });
    }
    const times = await page.evaluate((ds) => ds.map((d) => {
      const t = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data: d }));
      void document.body.offsetHeight;
      return performance.now() - t;
    }), deltas);
    const rowsInDom = await page.evaluate(() => document.querySelectorAll('.stream-table .rows .row').length);
    const scrollMs = await page.evaluate(async () => {
      const vp = document.querySelector('.stream-table .viewport');
      const t = performance.now();
      for (let i = 1; i <= 50; i++) { vp.scrollTop = i * 4000; vp.dispatchEvent(new Event('scroll')); void document.body.offsetHeight; }
      return (performance.now() - t) / 50;
    });
    return {
      streams,
      changed,
      initMs,
      deltaMs: median(times.slice(5)),
      deltaMaxMs: Math.max(...times.slice(5)),
      rowsInDom,
      scrollMs,
      initBytes: JSON.stringify(init).length,
      deltaBytes: JSON.stringify(deltas[0]).length,
      idleDeltaBytes: JSON.stringify({ type: 'delta', now, upserts: [], removed: [], point: series[0] }).length,
    };
  } finally {
    await browser.close();
  }
}

export function printDashboard(r) {
  console.log(`dashboard with ${r.streams} streams: apply a delta of ${r.changed} changed streams and repaint: ${fmt(r.deltaMs, 2)} ms median, ${fmt(r.deltaMaxMs, 2)} ms max   (target < 16 ms); ${r.rowsInDom} rows in the DOM; scroll repaint ${fmt(r.scrollMs, 2)} ms`);
  console.log(`  postMessage payload: ${r.deltaBytes} bytes for ${r.changed} changed streams, ${r.idleDeltaBytes} bytes when nothing changed, ${r.initBytes} bytes for the initial ${r.streams} (only on open/show)`);
}
