// The stream table: sortable, filterable, and virtual: only the rows in view exist in the DOM,
// so 10,000 streams scroll as smoothly as 10.
import type { LiveServer, LiveStream } from '../../src/model/liveStream';
import { clientCell, filterRows, knownCell, formatDuration, queuedCell, sortRows, toRow, visibleRange, type LivenessFilter, type SortKey, type StateFilter, type TableRow } from '../../src/dashboard/table';
import { judgeStream } from '../../src/model/suspect';

export const ROW_HEIGHT = 26;

/**
 * What a decision to cancel needs comes first: on a narrow panel the pinned Actions column covers
 * the last columns until the table is scrolled sideways.
 */
const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'method', label: 'Method' },
  { key: 'peer', label: 'Peer' },
  { key: 'client', label: 'Client' },
  { key: 'idle', label: 'Idle', numeric: true },
  { key: 'queued', label: 'Queued', numeric: true },
  { key: 'state', label: 'State' },
  { key: 'kind', label: 'Kind' },
  { key: 'age', label: 'Age', numeric: true },
  { key: 'received', label: '↓', numeric: true },
  { key: 'sent', label: '↑', numeric: true },
];

export interface TableState {
  sort: SortKey;
  descending: boolean;
  filter: string;
  state: StateFilter;
  /** Absent in the state saved by versions before the liveness probe. */
  liveness?: LivenessFilter;
}

function select<T extends string>(id: string, label: string, options: Array<[T, string]>, value: T, changed: (v: T) => void): HTMLElement {
  const el = document.createElement('vscode-single-select') as HTMLElement & { value: string };
  el.id = id;
  el.setAttribute('aria-label', label);
  for (const [v, text] of options) {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', v);
    o.textContent = text;
    if (v === value) o.setAttribute('selected', '');
    el.append(o);
  }
  el.addEventListener('change', () => changed(el.value as T));
  return el;
}

export class StreamTable {
  private rows: TableRow[] = [];
  private shown: TableRow[] = [];
  private readonly header: HTMLElement;
  private readonly viewport: HTMLElement;
  private actionsWidth = 0;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly countLabel: HTMLElement;

  constructor(
    root: HTMLElement,
    public state: TableState,
    private readonly actions: { cancel(id: string): void; handler(id: string): void; stateChanged(s: TableState): void },
    /** Buttons for the whole table (Probe Connections, Cancel Dead Streams), at the toolbar's end. */
    toolbarButtons: HTMLElement[] = [],
  ) {
    this.root = root;
    root.classList.add('stream-table');
    const toolbar = document.createElement('div');
    toolbar.className = 'toolbar';
    const filter = document.createElement('vscode-textfield') as HTMLElement & { value: string };
    filter.setAttribute('placeholder', 'Filter by method, peer, kind or id');
    filter.setAttribute('aria-label', 'Filter streams');
    filter.id = 'filter';
    filter.value = state.filter;
    filter.addEventListener('input', () => this.update({ filter: filter.value }));
    const states = select<StateFilter>('state-filter', 'Filter by state', [['all', 'All states'], ['active', 'Active'], ['half_closed', 'Half-closed'], ['suspect', 'Suspect']], state.state, (v) => this.update({ state: v }));
    const liveness = select<LivenessFilter>('liveness-filter', 'Filter by what the client answered a PING', [['all', 'All clients'], ['dead', 'Dead'], ['alive', 'Alive'], ['unknown', 'Not probed']], state.liveness ?? 'all', (v) => this.update({ liveness: v }));
    this.countLabel = document.createElement('span');
    this.countLabel.className = 'count';
    const end = document.createElement('span');
    end.className = 'toolbar-actions';
    end.append(...toolbarButtons);
    toolbar.append(filter, states, liveness, this.countLabel, end);

    const table = document.createElement('div');
    table.setAttribute('role', 'table');
    table.setAttribute('aria-label', 'Open streams');
    this.header = document.createElement('div');
    this.header.className = 'row header';
    this.header.setAttribute('role', 'row');
    for (const c of COLUMNS) {
      const b = document.createElement('button');
      b.className = `cell col-${c.key}${c.numeric ? ' num' : ''}`;
      b.setAttribute('role', 'columnheader');
      b.dataset.key = c.key;
      b.textContent = c.label;
      b.addEventListener('click', () => this.update(this.state.sort === c.key ? { descending: !this.state.descending } : { sort: c.key, descending: !!c.numeric }));
      this.header.append(b);
    }
    const act = document.createElement('span');
    act.className = 'cell col-actions';
    act.setAttribute('role', 'columnheader');
    act.textContent = 'Actions';
    this.header.append(act);
    // One scroll container for the header and the rows: the header stays on top, the Actions
    // column at the right edge, and both line up at any width.
    this.viewport = document.createElement('div');
    this.viewport.className = 'viewport';
    this.viewport.setAttribute('role', 'rowgroup');
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    this.body = document.createElement('div');
    this.body.className = 'rows';
    this.spacer.append(this.body);
    this.viewport.append(this.header, this.spacer);
    this.viewport.addEventListener('scroll', () => this.paint());
    table.append(this.viewport);
    root.append(toolbar, table);
    this.body.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('[data-action]') as HTMLElement | null;
      if (!b) return;
      const id = b.dataset.id as string;
      if (b.dataset.action === 'cancel') this.actions.cancel(id);
      else this.actions.handler(id);
    });
  }

  private readonly root: HTMLElement;

  /** Recomputes rows from the records (time moved, or data changed) and repaints what is in view. */
  private records = new Map<string, LiveStream>();
  private servers = new Map<string, LiveServer>();
  private now = 0;
  private suspectAfterMs = 60_000;

  setData(streams: Map<string, LiveStream>, servers: Map<string, LiveServer>, now: number, suspectAfterMs: number): void {
    this.records = streams;
    this.servers = servers;
    this.now = now;
    this.suspectAfterMs = suspectAfterMs;
    const rows: TableRow[] = [];
    for (const s of streams.values()) rows.push(toRow(s, servers.get(s.serverId), now, suspectAfterMs));
    this.rows = rows;
    this.refilter();
  }

  private update(change: Partial<TableState>): void {
    this.state = { ...this.state, ...change };
    this.actions.stateChanged(this.state);
    this.refilter();
  }

  private refilter(): void {
    this.shown = sortRows(filterRows(this.rows, this.state.filter, this.state.state, this.state.liveness ?? 'all'), this.state.sort, this.state.descending);
    this.countLabel.textContent = `${this.shown.length} of ${this.rows.length} streams`;
    for (const h of this.header.querySelectorAll<HTMLElement>('[data-key]')) {
      const sorted = h.dataset.key === this.state.sort;
      h.setAttribute('aria-sort', sorted ? (this.state.descending ? 'descending' : 'ascending') : 'none');
      h.classList.toggle('sorted', sorted);
    }
    this.spacer.style.height = `${this.shown.length * ROW_HEIGHT}px`;
    this.paint();
  }

  paint(): void {
    const head = this.header.offsetHeight;
    const { start, end } = visibleRange(Math.max(0, this.viewport.scrollTop - head), Math.max(0, (this.viewport.clientHeight || 400) - head), ROW_HEIGHT, this.shown.length);
    const frag = document.createDocumentFragment();
    for (let i = start; i < end; i++) frag.append(this.rowElement(this.shown[i], i));
    this.body.style.transform = `translateY(${start * ROW_HEIGHT}px)`;
    this.body.replaceChildren(frag);
    if (!this.actionsWidth && end > start) requestAnimationFrame(() => this.fitActions());
  }

  /**
   * The Actions column as wide as its buttons (their width depends on the theme's font): every
   * row's grid gets the same width, so the buttons are never cut off.
   */
  private fitActions(): void {
    const cell = this.body.querySelector<HTMLElement>('.col-actions');
    if (!cell || this.actionsWidth) return;
    const buttons = [...cell.children] as HTMLElement[];
    const widths = buttons.map((b) => b.getBoundingClientRect().width);
    if (widths.some((w) => w === 0)) return; // not rendered yet: the next paint measures
    const style = getComputedStyle(cell);
    const gap = parseFloat(style.columnGap) || 0;
    const pad = (parseFloat(style.paddingLeft) || 0) + (parseFloat(style.paddingRight) || 0);
    this.actionsWidth = Math.ceil(widths.reduce((n, w) => n + w, 0) + gap * (widths.length - 1) + pad) + 1;
    this.root.style.setProperty('--actions-width', `${this.actionsWidth}px`);
  }

  private rowElement(r: TableRow, index: number): HTMLElement {
    const row = document.createElement('div');
    row.className = `row${r.suspect ? ' suspect' : ''}${r.liveness === 'dead' ? ' dead' : ''}`;
    row.setAttribute('role', 'row');
    row.setAttribute('aria-rowindex', String(index + 1));
    row.dataset.id = r.id;
    const record = this.records.get(r.id);
    // Reasons only for the rows in view: wording them for 10,000 rows a second would cost.
    if (r.suspect && record) row.title = `${r.liveness === 'dead' ? 'Dead' : 'Suspect'}: ${judgeStream(record, this.servers.get(record.serverId), this.now, this.suspectAfterMs).reasons.join('; ')}`;
    const text: Record<SortKey, string> = {
      method: r.method,
      peer: knownCell(r.peer),
      client: clientCell(r),
      idle: formatDuration(r.idleMs),
      queued: queuedCell(r),
      state: r.suspect ? 'suspect' : r.state.replace('_', '-'),
      kind: knownCell(r.kind),
      age: formatDuration(r.ageMs),
      received: knownCell(r.received),
      sent: knownCell(r.sent),
    };
    for (const { key, numeric } of COLUMNS) {
      const c = document.createElement('span');
      c.className = `cell col-${key}${numeric ? ' num' : ''}`;
      c.setAttribute('role', 'cell');
      c.textContent = text[key];
      if (key === 'client' && r.liveness === 'unknown') c.title = 'Not probed yet';
      else if (key === 'queued' && r.queuedBytes === null) c.title = 'Not known';
      row.append(c);
    }
    const actions = document.createElement('span');
    actions.className = 'cell col-actions';
    actions.setAttribute('role', 'cell');
    for (const [action, label, verb] of [['handler', 'Handler', 'Go to the handler of'], ['cancel', 'Cancel', 'Cancel']]) {
      const b = document.createElement('vscode-button');
      b.setAttribute('secondary', '');
      b.dataset.action = action;
      b.dataset.id = r.id;
      b.setAttribute('aria-label', `${verb} ${r.method} from ${r.peer ?? 'an unknown peer'}`);
      b.title = action === 'cancel' ? r.cancelUnavailable ?? 'Cancel Stream' : 'Go to Handler';
      if (action === 'cancel' && r.cancelUnavailable) b.setAttribute('disabled', '');
      b.textContent = label;
      actions.append(b);
    }
    row.append(actions);
    return row;
  }
}
