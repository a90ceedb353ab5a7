// The Streams tree: process → server → method → stream, or process → server → connection →
// stream (the view's title bar toggles). Elements are cached by a stable id so expansion and
// selection survive updates; changes fire per changed element, and the per-second idle tick runs
// only while the view is visible.
import * as vscode from 'vscode';
import {
  changedRows,
  connectionKey,
  connectionRow,
  deadStreams,
  groupByConnection,
  groupByMethod,
  healthDetail,
  methodLabel,
  channelzProcessDescription,
  goProcessDescription,
  processDescription,
  serverLabel,
  serverView,
  streamName,
  streamRow,
  streamTooltip,
  visibleStreams,
  type ConnectionGroup,
  type Grouping,
  type StreamRow,
} from '../model/treeModel';
import { channelzConnectionView, channelzServerDescription, connectionsOf, suspectConnections } from '../model/connectionTree';
import { libraryOf, type LiveStream } from '../model/liveStream';
import type { Attachment, AttachmentChange, AttachmentManager } from './attachments';
import type { TreeGrouping } from './grouping';
import { ItemContext } from './ids';
import type { Log } from './log';
import type { ExtensionConfig, SettingsWatcher } from './settings';

export type StreamTreeNode =
  | { type: 'process'; id: string; attachmentId: string }
  | { type: 'server'; id: string; attachmentId: string; serverId: string }
  | { type: 'method'; id: string; attachmentId: string; serverId: string; path: string }
  /** key: the agent's connection id (or `peer:PEER` when not known). */
  | { type: 'connection'; id: string; attachmentId: string; serverId: string; key: string }
  | { type: 'stream'; id: string; attachmentId: string; serverId: string; path: string; streamId: string }
  | { type: 'more'; id: string; attachmentId: string; hidden: number };

/** Connection nodes' ids carry this before the key; method paths always start with '/'. */
const CONNECTION_PREFIX = 'connection:';

const PROCESS_ICON = {
  ok: new vscode.ThemeIcon('server-process'),
  'not-answering': new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('list.warningForeground')),
  'agent-gone': new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.errorForeground')),
};

const STATUS_ICON = {
  active: new vscode.ThemeIcon('pulse', new vscode.ThemeColor('charts.green')),
  idle: new vscode.ThemeIcon('watch', new vscode.ThemeColor('charts.yellow')),
  suspect: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.errorForeground')),
  dead: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.errorForeground')),
};

const CONNECTION_ICON = {
  alive: new vscode.ThemeIcon('vm-connect', new vscode.ThemeColor('charts.green')),
  unknown: new vscode.ThemeIcon('vm-connect'),
  dead: new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.errorForeground')),
};

export class StreamTreeProvider implements vscode.TreeDataProvider<StreamTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<StreamTreeNode | StreamTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, StreamTreeNode>();
  /** Stream nodes by `attachmentId/streamId`: a delta names streams by id alone. */
  private readonly streamNodes = new Map<string, StreamTreeNode>();
  /** Stream rows as last handed to VS Code, by node id: what a tick compares against. */
  private readonly rendered = new Map<string, StreamRow>();
  /** channelz connection rows as last handed to VS Code (description and verdict), by node id. */
  private readonly renderedConnections = new Map<string, string>();
  /**
   * A server's connections by key, in their order, by `attachmentId/serverId`: made once per data
   * change, not once per connection row (a server can have a thousand).
   */
  private readonly connectionGroups = new Map<string, Map<string, ConnectionGroup>>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private visible = false;
  private config: ExtensionConfig;
  private grouping: Grouping;

  /** Durations of recent ticks (ms), reported at trace level. */
  private tickTimes: number[] = [];

  constructor(private readonly attachments: AttachmentManager, settings: SettingsWatcher, grouping: TreeGrouping, private readonly log: Log) {
    this.config = settings.config;
    this.grouping = grouping.value;
    this.disposables.push(
      grouping.onDidChange((g) => {
        // Other nodes under each server: forget the old ones (ids of the rest stay, and so does expansion).
        this.grouping = g;
        this.connectionGroups.clear();
        this.nodes.clear();
        this.streamNodes.clear();
        this.rendered.clear();
        this.emitter.fire(undefined);
      }),
      attachments.onDidChangeAttachments(() => this.refreshAll()),
      attachments.onDidChangeData((c) => this.onData(c)),
      attachments.onDidChangeHealth((a) => this.onHealth(a)),
      settings.onDidChange((c) => {
        this.config = c;
        this.restartTimer();
        this.refreshAll();
      }),
    );
  }

  /** The view tells us when it is shown or hidden: tick only while someone can see it. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.restartTimer();
    if (visible) this.tick();
  }

  getTreeItem(node: StreamTreeNode): vscode.TreeItem {
    const a = this.attachments.get(node.attachmentId);
    const item = new vscode.TreeItem('', vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    if (!a) {
      item.label = 'detached';
      item.collapsibleState = vscode.TreeItemCollapsibleState.None;
      return item;
    }
    const store = a.store;
    switch (node.type) {
      case 'process': {
        const health = a.health.state;
        if (a.source.kind === 'channelz') {
          const suspect = suspectConnections(store, a.now(), this.config.suspectAfterMs);
          item.label = a.label;
          item.description = channelzProcessDescription(store.servers.size, store.connections.size, suspect, health);
          item.iconPath = PROCESS_ICON[health];
          item.contextValue = ItemContext.processChannelz;
          const detail = healthDetail(health, true);
          item.tooltip = `${a.label}: read every ${this.config.pollIntervalMs / 1000} s. channelz counts per connection: open streams, messages, keepalive pings, flow-control windows; not which calls they are.${detail ? `\n\n${detail}` : ''}`;
          break;
        }
        const go = !a.session;
        const library = [...store.servers.values()].map(libraryOf).join(', ') || 'no grpc-go server seen yet';
        item.label = go ? (store.pid ? `Go process ${store.pid}` : 'Go server') : `process ${store.pid}`;
        item.description = go ? goProcessDescription(a.label, library, [...store.streams.values()].reduce((n, s) => n + (s.goroutines ?? 1), 0), health) : processDescription(a.label, store.node, store.streams.size, health);
        item.iconPath = PROCESS_ICON[health];
        item.contextValue = health === 'agent-gone' ? ItemContext.processAgentGone : go ? ItemContext.processGo : ItemContext.process;
        const detail = healthDetail(health, go);
        item.tooltip = go
          ? `${a.label}: ${library}\n${a.source.kind === 'go-delve' ? `A snapshot read through Delve at ${new Date(a.localNow()).toLocaleTimeString()}, which paused the process meanwhile; times are as of then. Refresh takes another (and asks first).` : `Its goroutines are read every ${this.config.pollIntervalMs / 1000} s from net/http/pprof; the process is not paused.`}${detail ? `\n\n${detail}` : ''}`
          : `Process ${store.pid} via ${a.label}\nNode ${store.node} · grpc-js ${store.grpcJs.join(', ')}${detail ? `\n\n${detail}` : ''}`;
        break;
      }
      case 'server': {
        const server = store.servers.get(node.serverId);
        if (!server) break;
        if (a.source.kind === 'channelz') {
          const n = [...store.connections.values()].filter((c) => c.serverId === node.serverId).length;
          item.label = server.addresses.join(', ') || `server ${server.id} (no listen socket)`;
          item.description = channelzServerDescription(server, n);
          item.iconPath = new vscode.ThemeIcon('server');
          item.tooltip = `channelz server ${server.id}`;
          item.contextValue = ItemContext.server;
          item.collapsibleState = n > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
          break;
        }
        const open = [...store.streams.values()].reduce((n, s) => n + (s.serverId === node.serverId ? s.goroutines ?? 1 : 0), 0);
        const view = serverView(server, open, this.config, deadStreams(store.streams.values(), node.serverId).streams);
        item.label = serverLabel(server);
        item.description = view.description;
        item.iconPath = view.warning ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('server');
        item.tooltip = view.warning ?? (server.keepalive ? `Keepalive ${server.keepalive.timeMs} ms, timeout ${server.keepalive.timeoutMs ?? 20000} ms` : `${libraryOf(server)}: keepalive unknown (this source cannot read the server's options)`);
        item.contextValue = ItemContext.server;
        break;
      }
      case 'method': {
        const count = [...store.streams.values()].reduce((n, s) => n + (s.serverId === node.serverId && s.method === node.path ? s.goroutines ?? 1 : 0), 0);
        item.label = methodLabel(node.path);
        item.description = `${count} open`;
        item.iconPath = new vscode.ThemeIcon('symbol-method');
        item.contextValue = ItemContext.method;
        item.collapsibleState = count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
        break;
      }
      case 'connection': {
        if (a.source.kind === 'channelz') {
          const c = store.connections.get(node.key);
          if (!c) {
            item.label = 'closed';
            item.collapsibleState = vscode.TreeItemCollapsibleState.None;
            break;
          }
          const view = channelzConnectionView(c, a.now(), this.config.suspectAfterMs);
          this.renderedConnections.set(node.id, view.description + view.suspect);
          item.label = view.label;
          item.description = view.description;
          item.tooltip = view.tooltip;
          item.iconPath = view.suspect ? STATUS_ICON.suspect : CONNECTION_ICON.unknown;
          item.contextValue = ItemContext.connectionChannelz;
          item.collapsibleState = vscode.TreeItemCollapsibleState.None;
          item.accessibilityInformation = { label: view.accessibility };
          break;
        }
        const g = this.connectionsOf(a, node.serverId).get(node.key);
        if (!g) {
          item.label = 'closed';
          item.collapsibleState = vscode.TreeItemCollapsibleState.None;
          break;
        }
        const row = connectionRow(g, a.now());
        item.label = row.label;
        item.description = row.description;
        item.tooltip = row.tooltip;
        item.iconPath = CONNECTION_ICON[row.liveness];
        item.contextValue = ItemContext.connection;
        item.accessibilityInformation = { label: `connection from ${row.label}, ${row.description}` };
        break;
      }
      case 'stream': {
        const s = store.streams.get(node.streamId);
        if (!s) {
          item.label = 'ended';
          item.collapsibleState = vscode.TreeItemCollapsibleState.None;
          break;
        }
        const now = a.now();
        const row = streamRow(s, store.servers.get(s.serverId), now, this.config, this.labelBy);
        this.rendered.set(node.id, row);
        item.label = row.label;
        item.description = row.description;
        item.iconPath = STATUS_ICON[row.status];
        item.tooltip = streamTooltip(s, row, now);
        item.contextValue = s.waiting ? ItemContext.streamGo : ItemContext.stream;
        item.collapsibleState = vscode.TreeItemCollapsibleState.None;
        item.accessibilityInformation = { label: `${row.status} stream ${s.peer !== null ? `from ${s.peer}` : streamName(s)}, ${methodLabel(s.method)}, ${row.description}` };
        break;
      }
      case 'more': {
        item.label = `${node.hidden} more streams`;
        item.description = 'open the dashboard to see all';
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = ItemContext.more;
        item.collapsibleState = vscode.TreeItemCollapsibleState.None;
        break;
      }
    }
    return item;
  }

  getChildren(node?: StreamTreeNode): StreamTreeNode[] {
    if (!node) return this.attachments.all.map((a) => this.node({ type: 'process', id: a.id, attachmentId: a.id }));
    const a = this.attachments.get(node.attachmentId);
    if (!a) return [];
    if (node.type === 'process') {
      return [...a.store.servers.keys()].map((serverId) => this.node({ type: 'server', id: `${a.id}/${serverId}`, attachmentId: a.id, serverId }));
    }
    if (node.type === 'server' && a.source.kind === 'channelz') {
      return connectionsOf(a.store, node.serverId, a.now(), this.config.suspectAfterMs).map((c) =>
        this.node({ type: 'connection', id: `${node.id}/${CONNECTION_PREFIX}${c.id}`, attachmentId: a.id, serverId: node.serverId, key: c.id }),
      );
    }
    if (node.type === 'server' && this.grouping === 'connection') {
      return [...this.connectionsOf(a, node.serverId).values()].map((g) =>
        this.node({ type: 'connection', id: `${node.id}/${CONNECTION_PREFIX}${g.key}`, attachmentId: a.id, serverId: node.serverId, key: g.key }),
      );
    }
    if (node.type === 'server') {
      return [...groupByMethod(a.store, node.serverId).keys()].map((path) =>
        this.node({ type: 'method', id: `${node.id}/${path}`, attachmentId: a.id, serverId: node.serverId, path }),
      );
    }
    if (node.type === 'method') return this.streamChildren(a, node, groupByMethod(a.store, node.serverId).get(node.path) ?? []);
    if (node.type === 'connection') return this.streamChildren(a, node, this.connectionsOf(a, node.serverId).get(node.key)?.streams ?? []);
    return [];
  }

  private connectionsOf(a: Attachment, serverId: string): Map<string, ConnectionGroup> {
    const key = `${a.id}/${serverId}`;
    let groups = this.connectionGroups.get(key);
    if (!groups) this.connectionGroups.set(key, (groups = new Map(groupByConnection(a.store, serverId).map((g) => [g.key, g]))));
    return groups;
  }

  /** The streams under a method or connection: most idle first, at most maxStreamsPerMethod. */
  private streamChildren(a: Attachment, parent: StreamTreeNode & { serverId: string }, streams: LiveStream[]): StreamTreeNode[] {
    const { shown, hidden } = visibleStreams(streams, a.now(), this.config.maxStreamsPerMethod);
    const children: StreamTreeNode[] = shown.map((s) =>
      this.node({ type: 'stream', id: `${parent.id}/${s.id}`, attachmentId: a.id, serverId: parent.serverId, path: s.method, streamId: s.id }),
    );
    if (hidden > 0) children.push({ type: 'more', id: `${parent.id}/more`, attachmentId: a.id, hidden });
    return children;
  }

  /** Under a connection the peer is the connection's: a stream row names its method instead. */
  private get labelBy(): 'peer' | 'method' {
    return this.grouping === 'connection' ? 'method' : 'peer';
  }

  /** The node a stream of this grouping sits under: its method's, or its connection's. */
  private parentOf(attachmentId: string, s: Pick<LiveStream, 'serverId' | 'method' | 'connectionId' | 'peer' | 'id'>): StreamTreeNode | undefined {
    const server = `${attachmentId}/${s.serverId}`;
    return this.nodes.get(this.grouping === 'connection' ? `${server}/${CONNECTION_PREFIX}${connectionKey(s)}` : `${server}/${s.method}`);
  }

  getParent(node: StreamTreeNode): StreamTreeNode | undefined {
    const cut = node.id.lastIndexOf('/');
    if (node.type === 'process') return undefined;
    if (node.type === 'server') return this.nodes.get(node.attachmentId);
    if (node.type === 'method' || node.type === 'connection') return this.nodes.get(`${node.attachmentId}/${node.serverId}`);
    return this.nodes.get(node.id.slice(0, cut));
  }

  /** The attachment and stream behind a stream node. */
  resolveStream(node: StreamTreeNode | undefined): { attachmentId: string; streamId: string; serverId: string; path: string } | undefined {
    return node && node.type === 'stream' ? node : undefined;
  }

  private node<T extends StreamTreeNode>(n: T): T {
    const existing = this.nodes.get(n.id);
    if (existing) return existing as T;
    this.nodes.set(n.id, n);
    if (n.type === 'stream') this.streamNodes.set(`${n.attachmentId}/${n.streamId}`, n);
    return n;
  }

  private onData({ attachment, change }: AttachmentChange): void {
    for (const key of this.connectionGroups.keys()) if (key.startsWith(`${attachment.id}/`)) this.connectionGroups.delete(key);
    if (attachment.source.kind === 'channelz') return this.onConnections(attachment, change);
    const fire = new Set<StreamTreeNode>();
    const store = attachment.store;
    const serverNode = (serverId: string): StreamTreeNode | undefined => this.nodes.get(`${attachment.id}/${serverId}`);
    for (const id of change.updated) {
      const s = store.streams.get(id);
      if (!s) continue;
      const streamNode = this.streamNodes.get(`${attachment.id}/${id}`);
      // A connection's row says its liveness and open count, which any of its streams can change.
      const parent = this.parentOf(attachment.id, s);
      if (streamNode && (this.grouping === 'method' || streamNode.id.startsWith(`${parent?.id}/`))) {
        fire.add(streamNode);
        if (this.grouping === 'connection' && parent) fire.add(parent);
      } else {
        // A new stream (or one whose connection became known): its parent's children and count change.
        if (streamNode) this.forgetStream(attachment.id, streamNode, fire);
        const target = parent ?? serverNode(s.serverId);
        if (target) fire.add(target);
      }
    }
    for (const id of change.removed) {
      const n = this.streamNodes.get(`${attachment.id}/${id}`);
      if (n) this.forgetStream(attachment.id, n, fire);
    }
    const processNode = this.nodes.get(attachment.id);
    if (change.serversChanged && processNode) {
      this.emitter.fire(processNode);
      return;
    }
    if ((change.removed.length > 0 || fire.size > 0) && processNode) {
      // Counts in the process and server descriptions; under connections, their order (dead first).
      fire.add(processNode);
      for (const n of fire) if (n.type === 'method' || n.type === 'connection' || n.type === 'stream') {
        const srv = serverNode(n.serverId);
        if (srv) fire.add(srv);
      }
    }
    if (fire.size > 0) this.emitter.fire([...fire]);
  }

  /** channelz: a changed connection re-renders its row; one that opened or closed, its server's children. */
  private onConnections(a: Attachment, change: AttachmentChange['change']): void {
    const processNode = this.nodes.get(a.id);
    if (!processNode) return;
    if (change.serversChanged) {
      this.emitter.fire(processNode);
      return;
    }
    const fire = new Set<StreamTreeNode>([processNode]);
    const c = change.connections ?? { updated: [], removed: [] };
    for (const id of c.updated) {
      const conn = a.store.connections.get(id);
      const node = conn && this.nodes.get(`${a.id}/${conn.serverId}/${CONNECTION_PREFIX}${id}`);
      const server = conn && this.nodes.get(`${a.id}/${conn.serverId}`);
      if (node) fire.add(node);
      else if (server) fire.add(server);
    }
    for (const id of c.removed) {
      for (const [nodeId, n] of this.nodes) {
        if (n.type !== 'connection' || n.attachmentId !== a.id || n.key !== id) continue;
        this.nodes.delete(nodeId);
        this.renderedConnections.delete(nodeId);
        const server = this.nodes.get(`${a.id}/${n.serverId}`);
        if (server) fire.add(server);
      }
    }
    this.emitter.fire([...fire]);
  }

  /** A stream node that went (ended, or moved to another parent): its parent's children changed. */
  private forgetStream(attachmentId: string, n: StreamTreeNode, fire: Set<StreamTreeNode>): void {
    if (n.type !== 'stream') return;
    this.streamNodes.delete(`${attachmentId}/${n.streamId}`);
    this.nodes.delete(n.id);
    this.rendered.delete(n.id);
    fire.delete(n);
    const parent = this.nodes.get(n.id.slice(0, n.id.lastIndexOf('/')));
    if (parent) fire.add(parent);
  }

  /** The process row says whether its data is stale; stream rows follow its held (or released) clock. */
  private onHealth(a: Attachment): void {
    const processNode = this.nodes.get(a.id);
    if (processNode) this.emitter.fire(processNode);
    this.tick();
  }

  /** One idle-timer tick: re-render only the stream rows whose text or status changed. */
  tick(): void {
    const started = performance.now();
    const fire: StreamTreeNode[] = [];
    for (const a of this.attachments.all) {
      const mine = new Map<string, StreamRow>();
      const byStream = new Map<string, string>();
      for (const [nodeId, row] of this.rendered) {
        const n = this.nodes.get(nodeId);
        if (n && n.type === 'stream' && n.attachmentId === a.id) {
          mine.set(n.streamId, row);
          byStream.set(n.streamId, nodeId);
        }
      }
      for (const row of changedRows(a.store, mine, a.now(), this.config, this.labelBy)) {
        const n = this.nodes.get(byStream.get(row.id) as string);
        if (n) fire.push(n);
      }
    }
    // channelz connection rows: their idle times grow too.
    for (const [nodeId, old] of this.renderedConnections) {
      const n = this.nodes.get(nodeId);
      const a = n && this.attachments.get(n.attachmentId);
      const c = n && n.type === 'connection' && a ? a.store.connections.get(n.key) : undefined;
      if (!n || !a || !c) continue;
      const view = channelzConnectionView(c, a.now(), this.config.suspectAfterMs);
      if (view.description + view.suspect !== old) fire.push(n);
    }
    if (fire.length > 0) this.emitter.fire(fire);
    this.tickTimes.push(performance.now() - started);
    if (this.tickTimes.length >= 10) {
      const t = this.tickTimes.sort((a, b) => a - b);
      const streams = this.attachments.all.reduce((n, a) => n + a.store.streams.size, 0);
      this.log.trace(`tree tick: ${streams} streams, ${this.rendered.size} rows rendered, ${fire.length} changed; median ${t[5].toFixed(2)} ms, max ${t[9].toFixed(2)} ms over 10 ticks`);
      this.tickTimes = [];
    }
  }

  private refreshAll(): void {
    this.connectionGroups.clear();
    for (const [id, n] of this.nodes) if (!this.attachments.get(n.attachmentId)) this.nodes.delete(id);
    for (const [key, n] of this.streamNodes) if (!this.nodes.has(n.id)) this.streamNodes.delete(key);
    for (const id of this.rendered.keys()) if (!this.nodes.has(id)) this.rendered.delete(id);
    for (const id of this.renderedConnections.keys()) if (!this.nodes.has(id)) this.renderedConnections.delete(id);
    this.emitter.fire(undefined);
  }

  private restartTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.visible) this.timer = setInterval(() => this.tick(), this.config.refreshIntervalMs);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const d of this.disposables) d.dispose();
    this.emitter.dispose();
  }
}
