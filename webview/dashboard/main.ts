// The dashboard webview: keeps the attached process's streams, applies the extension's deltas
// (at most one a second), and draws charts and the table from them.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { LiveServer, LiveStream } from '../../src/model/liveStream';
import type { DashboardInit, DashboardSettings, FromWebview, ServerFixInfo, ToWebview } from '../../src/dashboard/protocol';
import { CONNECTION_COLUMNS, connectionRows } from '../../src/dashboard/connectionTable';
import type { LiveConnection } from '../../src/sources/channelz/connections';
import { idleHistogram, SERIES_SECONDS, type SeriesPoint } from '../../src/dashboard/series';
import { serverView } from '../../src/model/treeModel';
import { channelzServerDescription } from '../../src/model/connectionTree';
import { drawHistogram, drawLineChart, SERIES_COLOURS } from './charts';
import { StreamTable, type TableState } from './streamTable';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): { table?: TableState } | undefined;
  setState(state: { table?: TableState }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const streams = new Map<string, LiveStream>();
const servers = new Map<string, LiveServer>();
let series: SeriesPoint[] = [];
let settings: DashboardSettings = { idleWarningMs: 30_000, suspectAfterMs: 60_000 };
let fixes: ServerFixInfo[] = [];
let now = Date.now();
let source: DashboardInit['source'] = 'node';
let connections: LiveConnection[] = [];

const app = document.getElementById('app') as HTMLElement;
app.innerHTML = `
  <header>
    <h1 id="title">gRPC Streams</h1>
    <div class="summary"><span id="open-count">0 open</span> · <span id="suspect-count" class="suspect-count">0 suspect</span><span id="dead-part"> · <span id="dead-count" class="dead-count">0 dead</span></span></div>
    <div id="message" role="status" hidden></div>
  </header>
  <div id="stale" role="alert" hidden></div>
  <section id="servers" aria-label="Servers"></section>
  <section class="charts">
    <figure>
      <figcaption>Open streams over time (up to 15 minutes) <span class="legend" id="legend"></span></figcaption>
      <svg id="line-chart" role="img" aria-label="Open streams over time by kind, with suspect streams"></svg>
    </figure>
    <figure>
      <figcaption>Idle time of open streams</figcaption>
      <svg id="histogram" role="img" aria-label="Histogram of idle times"></svg>
    </figure>
  </section>
  <section id="table" aria-label="Open streams"></section>
  <section id="connections" aria-label="Connections" hidden></section>`;

const $ = <T extends Element>(sel: string): T => app.querySelector(sel) as T;
// Colours through the CSSOM: the content security policy forbids inline style attributes.
for (const [k, c] of Object.entries(SERIES_COLOURS)) {
  const key = document.createElement('span');
  key.className = 'key';
  const swatch = document.createElement('i');
  swatch.style.background = c;
  key.append(swatch, k.replace('_', ' '));
  $('#legend').append(key);
}

function toolbarButton(id: string, label: string, title: string, message: FromWebview): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.setAttribute('secondary', '');
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

const saved = vscode.getState()?.table;
const table = new StreamTable($('#table'), saved ?? { sort: 'idle', descending: true, filter: '', state: 'all', liveness: 'all' }, {
  cancel: (id) => vscode.postMessage({ type: 'cancelStream', streamId: id }),
  handler: (id) => vscode.postMessage({ type: 'goToHandler', streamId: id }),
  stateChanged: (s) => vscode.setState({ table: s }),
}, [
  toolbarButton('probe', 'Probe Connections', 'Send an HTTP/2 PING to every client with an open stream and show which answer', { type: 'probeConnections' }),
  toolbarButton('cancel-dead', 'Cancel Dead Streams', 'End every stream whose client does not answer a PING (asks first)', { type: 'cancelDeadStreams' }),
]);

function showMessage(text: string, kind: 'error' | 'info'): void {
  const m = $<HTMLElement>('#message');
  m.textContent = text;
  m.className = kind;
  m.hidden = false;
  clearTimeout((showMessage as unknown as { t?: number }).t);
  (showMessage as unknown as { t?: number }).t = window.setTimeout(() => (m.hidden = true), 8000);
}

/** Stays until the process answers again (or for good when its agent was removed). */
function showStale(text: string | null): void {
  const s = $<HTMLElement>('#stale');
  s.textContent = text ? `⚠ ${text}` : '';
  s.hidden = !text;
  document.body.classList.toggle('stale', !!text);
}

function renderServers(): void {
  const root = $<HTMLElement>('#servers');
  root.replaceChildren();
  for (const s of servers.values()) {
    const open = [...streams.values()].filter((x) => x.serverId === s.id).length;
    const view = source === 'channelz'
      ? { warning: null, description: channelzServerDescription(s, connections.filter((c) => c.serverId === s.id).length) }
      : serverView(s, open, { idleWarningMs: settings.idleWarningMs, suspectAfterMs: settings.suspectAfterMs, maxStreamsPerMethod: 0 });
    const card = document.createElement('div');
    card.className = `server${view.warning ? ' warn' : ''}`;
    card.dataset.serverId = s.id;
    const title = document.createElement('strong');
    title.textContent = s.addresses.join(', ') || `server ${s.id}`;
    const desc = document.createElement('span');
    desc.textContent = ` ${view.description}`;
    card.append(title, desc);
    if (view.warning) {
      const w = document.createElement('p');
      w.className = 'warning';
      w.textContent = `⚠ ${view.warning}`;
      card.append(w);
      const fix = fixes.find((f) => f.serverId === s.id);
      if (fix?.file) {
        const b = document.createElement('vscode-button');
        b.textContent = 'Fix keepalive…';
        b.title = `Open the keepalive quick fix in ${fix.file}`;
        b.addEventListener('click', () => vscode.postMessage({ type: 'openKeepaliveFix', serverId: s.id }));
        card.append(b);
      }
    }
    root.append(card);
  }
}

/** channelz: a table of connections instead of the streams' charts and table (channelz counts per connection). */
function renderConnections(): void {
  const root = $<HTMLElement>('#connections');
  const rows = connectionRows(connections, now, settings.suspectAfterMs);
  const suspects = rows.filter((r) => r.suspect).length;
  $('#open-count').textContent = `${rows.length} connection${rows.length === 1 ? '' : 's'}`;
  $('#suspect-count').textContent = `${suspects} suspect`;
  $('#suspect-count').classList.toggle('has-suspects', suspects > 0);
  const table = document.createElement('table');
  table.className = 'connection-table';
  const head = table.createTHead().insertRow();
  for (const [, label] of CONNECTION_COLUMNS) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label;
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.className = r.suspect ? 'suspect' : '';
    tr.dataset.id = r.id;
    for (const [key] of CONNECTION_COLUMNS) tr.insertCell().textContent = String(r[key] || (key === 'reasons' ? '' : '—'));
  }
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = rows.length === 0 ? 'No client connections.' : 'channelz counts per connection: which calls are open on it, and their methods and peers, are not known.';
  root.replaceChildren(table, note);
}

function render(dataChanged: boolean): void {
  if (source === 'channelz') {
    renderConnections();
    if (dataChanged) renderServers();
    return;
  }
  const suspects = series.length > 0 ? series[series.length - 1].suspect : 0;
  $('#open-count').textContent = `${streams.size} open`;
  $('#suspect-count').textContent = `${suspects} suspect`;
  $('#suspect-count').classList.toggle('has-suspects', suspects > 0);
  let dead = 0;
  for (const s of streams.values()) if (s.liveness === 'dead') dead++;
  $('#dead-count').textContent = `${dead} dead`;
  $('#dead-count').classList.toggle('has-dead', dead > 0);
  drawLineChart($('#line-chart'), series, SERIES_SECONDS * 1000);
  drawHistogram($('#histogram'), idleHistogram(streams.values(), now), settings.idleWarningMs);
  table.setData(streams, servers, now, settings.suspectAfterMs);
  if (dataChanged) renderServers();
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  const started = performance.now();
  switch (m.type) {
    case 'init':
      streams.clear();
      for (const s of m.streams) streams.set(s.id, s);
      servers.clear();
      for (const s of m.servers) servers.set(s.id, s);
      series = m.series;
      settings = m.settings;
      fixes = m.fixes;
      now = m.now;
      source = m.source;
      connections = m.connections;
      // channelz: connections, not streams; only the Node agent can PING or cancel.
      for (const sel of ['.charts', '#table']) $<HTMLElement>(sel).hidden = source === 'channelz';
      $<HTMLElement>('#connections').hidden = source !== 'channelz';
      $<HTMLElement>('#dead-part').hidden = source !== 'node';
      for (const id of ['#probe', '#cancel-dead']) {
        const b = app.querySelector<HTMLElement>(id);
        if (b) b.hidden = source !== 'node';
      }
      $('#title').textContent = `gRPC Streams: ${m.title}`;
      showStale(m.stale);
      render(true);
      break;
    case 'delta': {
      for (const s of m.upserts) streams.set(s.id, s);
      for (const id of m.removed) streams.delete(id);
      if (m.servers) {
        servers.clear();
        for (const s of m.servers) servers.set(s.id, s);
      }
      if (m.point) {
        series.push(m.point);
        if (series.length > SERIES_SECONDS) series.splice(0, series.length - SERIES_SECONDS);
      }
      if (m.settings) settings = m.settings;
      if (m.fixes) fixes = m.fixes;
      if (m.connections) connections = m.connections;
      now = m.now;
      render(m.upserts.length > 0 || m.removed.length > 0 || !!m.servers || !!m.fixes || !!m.connections);
      break;
    }
    case 'error':
      showMessage(m.message, 'error');
      break;
    case 'info':
      showMessage(m.message, 'info');
      break;
    case 'stale':
      showStale(m.message);
      render(false);
      break;
    case 'detached':
      showMessage('Detached from the process.', 'info');
      break;
  }
  document.body.dataset.lastRenderMs = (performance.now() - started).toFixed(2);
});

vscode.postMessage({ type: 'ready' });
