// The stream table: sortable, filterable, and virtual: only the rows in view exist in the DOM,
// so 10,000 streams scroll as smoothly as 10.
import type { ServerRecord, StreamRecord } from '../../src/agent/protocol';
import { filterRows, formatDuration, sortRows, toRow, visibleRange, type SortKey, type StateFilter, type TableRow } from '../../src/dashboard/table';
import { judgeStream } from '../../src/model/suspect';

export const ROW_HEIGHT = 26;

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'method', label: 'Method' },
  { key: 'kind', label: 'Kind' },
  { key: 'peer', label: 'Peer' },
  { key: 'age', label: 'Age', numeric: true },
  { key: 'idle', label: 'Idle', numeric: true },
  { key: 'received', label: '↓', numeric: true },
  { key: 'sent', label: '↑', numeric: true },
  { key: 'state', label: 'State' },
];

export interface TableState {
  sort: SortKey;
  descending: boolean;
  filter: string;
  state: StateFilter;
}

export class StreamTable {
  private rows: TableRow[] = [];
  private shown: TableRow[] = [];
  private readonly header: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private readonly countLabel: HTMLElement;

  constructor(
    root: HTMLElement,
    public state: TableState,
    private readonly actions: { cancel(id: string): void; handler(id: string): void; stateChanged(s: TableState): void },
  ) {
    root.classList.add('stream-table');
    const toolbar = document.createElement('div');
    toolbar.className = 'toolbar';
    const filter = document.createElement('vscode-textfield') as HTMLElement & { value: string };
    filter.setAttribute('placeholder', 'Filter by method, peer, kind or id');
    filter.setAttribute('aria-label', 'Filter streams');
    filter.id = 'filter';
    filter.value = state.filter;
    filter.addEventListener('input', () => this.update({ filter: filter.value }));
    const select = document.createElement('vscode-single-select') as HTMLElement & { value: string };
    select.id = 'state-filter';
    select.setAttribute('aria-label', 'Filter by state');
    for (const [value, label] of [['all', 'All states'], ['active', 'Active'], ['half_closed', 'Half-closed'], ['suspect', 'Suspect']]) {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', value);
      o.textContent = label;
      if (value === state.state) o.setAttribute('selected', '');
      select.append(o);
    }
    select.addEventListener('change', () => this.update({ state: select.value as StateFilter }));
    this.countLabel = document.createElement('span');
    this.countLabel.className = 'count';
    toolbar.append(filter, select, this.countLabel);

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
    this.viewport = document.createElement('div');
    this.viewport.className = 'viewport';
    this.viewport.setAttribute('role', 'rowgroup');
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    this.body = document.createElement('div');
    this.body.className = 'rows';
    this.spacer.append(this.body);
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('scroll', () => this.paint());
    table.append(this.header, this.viewport);
    root.append(toolbar, table);
    this.body.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest('[data-action]') as HTMLElement | null;
      if (!b) return;
      const id = b.dataset.id as string;
      if (b.dataset.action === 'cancel') this.actions.cancel(id);
      else this.actions.handler(id);
    });
  }

  /** Recomputes rows from the records (time moved, or data changed) and repaints what is in view. */
  private records = new Map<string, StreamRecord>();
  private servers = new Map<string, ServerRecord>();
  private now = 0;
  private suspectAfterMs = 60_000;

  setData(streams: Map<string, StreamRecord>, servers: Map<string, ServerRecord>, now: number, suspectAfterMs: number): void {
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
    this.shown = sortRows(filterRows(this.rows, this.state.filter, this.state.state), this.state.sort, this.state.descending);
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
    const { start, end } = visibleRange(this.viewport.scrollTop, this.viewport.clientHeight || 400, ROW_HEIGHT, this.shown.length);
    const frag = document.createDocumentFragment();
    for (let i = start; i < end; i++) frag.append(this.rowElement(this.shown[i], i));
    this.body.style.transform = `translateY(${start * ROW_HEIGHT}px)`;
    this.body.replaceChildren(frag);
  }

  private rowElement(r: TableRow, index: number): HTMLElement {
    const row = document.createElement('div');
    row.className = `row${r.suspect ? ' suspect' : ''}`;
    row.setAttribute('role', 'row');
    row.setAttribute('aria-rowindex', String(index + 1));
    row.dataset.id = r.id;
    const record = this.records.get(r.id);
    // Reasons only for the rows in view: wording them for 10,000 rows a second would cost.
    if (r.suspect && record) row.title = `Suspect: ${judgeStream(record, this.servers.get(record.serverId), this.now, this.suspectAfterMs).reasons.join('; ')}`;
    const cells: Array<[string, string, boolean]> = [
      ['method', r.method, false],
      ['kind', r.kind, false],
      ['peer', r.peer, false],
      ['age', formatDuration(r.ageMs), true],
      ['idle', formatDuration(r.idleMs), true],
      ['received', String(r.received), true],
      ['sent', String(r.sent), true],
      ['state', r.suspect ? 'suspect' : r.state.replace('_', '-'), false],
    ];
    for (const [key, text, num] of cells) {
      const c = document.createElement('span');
      c.className = `cell col-${key}${num ? ' num' : ''}`;
      c.setAttribute('role', 'cell');
      c.textContent = text;
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
      b.setAttribute('aria-label', `${verb} ${r.method} from ${r.peer}`);
      b.title = action === 'cancel' ? 'Cancel Stream' : 'Go to Handler';
      b.textContent = label;
      actions.append(b);
    }
    row.append(actions);
    return row;
  }
}
