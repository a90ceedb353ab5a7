// The processes we are attached to: each an AgentSession (the connection) and a StreamStore (its
// data). Attaching reports progress; every failure becomes one sentence plus detail in the log.
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { InspectorAddress } from '../inspector/address';
import { formatAddress } from '../inspector/address';
import { AgentSession } from '../inspector/agentSession';
import { GO_SERVER_ID } from '../sources/goPprof/goStreams';
import { PprofPoller } from '../sources/goPprof/pprofPoller';
import { DelveSnapshots } from '../sources/goDelve/delveSnapshots';
import type * as ChannelzBundle from '../sources/channelz/index';
import { isPolled, type LiveSource, type SourceHealth } from '../sources/source';
import { AttachError, errorMessage } from '../inspector/errors';
import type { ProbeSettings } from '../agent/protocol';
import { findInspectorPorts, openInspectorOf } from '../inspector/nodeProcesses';
import { StreamStore, type StoreChange } from '../model/streamStore';
import { CommandIds, ContextKeys } from './ids';
import type { Log } from './log';
import { childrenHint } from './processRelations';

export interface Attachment {
  readonly id: string;
  readonly label: string;
  /** Where the data comes from: the Node agent, or a Go server's goroutines. */
  readonly source: LiveSource;
  /** The Node agent's session (Cancel, Probe, Go to Handler through the inspector); null for other sources. */
  readonly session: AgentSession | null;
  readonly store: StreamStore;
  readonly debugSessionId?: string;
  /** How it was attached: what Re-attach repeats. */
  readonly target: AttachTarget;
  /** Whether the process answers and still has our agent; when not, the data shown is stale. */
  readonly health: SourceHealth;
  /** The local time the data is as of: now, or when the process last answered while it is stale. */
  localNow(): number;
  /** The target's clock at localNow(): what idle times and suspects are measured against. */
  now(): number;
  /** The probe settings this attachment last gave the agent (undefined: to be sent again). */
  probe: Partial<ProbeSettings> | undefined;
}

export interface AttachmentChange {
  attachment: Attachment;
  change: StoreChange;
}

export interface AttachTarget {
  address?: InspectorAddress;
  webSocketUrl?: string;
  label?: string;
  debugSessionId?: string;
  allowRemote: boolean;
  /** Quiet: failures go to the log only (automatic attach to a debugging session). */
  quiet?: boolean;
  /** Keep the attachment when grpc-js is not loaded yet (a debugging session that just started). */
  waitForGrpc?: boolean;
  /** The process picked in Attach to Process: named in hints, and its inspector found again on Re-attach. */
  pid?: number;
  /** This tool opened the inspector (SIGUSR1): Detach and closing VS Code close it again. */
  closeInspectorOnClose?: boolean;
  /** A Go server's net/http/pprof base URL: its goroutines are polled instead. */
  pprofUrl?: string;
  /** A local Go process read through Delve: a snapshot on request (the user has agreed to the pause). */
  delvePid?: number;
  /** Any gRPC server's channelz admin address (HOST:PORT): its connections are polled. */
  channelzAddress?: string;
}

class AttachedProcess implements Attachment {
  /** Local time of the last answer while the process is stale: its clock stops there. */
  private heldAt: number | null = null;

  constructor(
    readonly id: string,
    readonly label: string,
    readonly source: LiveSource,
    readonly store: StreamStore,
    readonly target: AttachTarget,
    public probe: Partial<ProbeSettings> | undefined,
  ) {}

  get session(): AgentSession | null {
    return this.source instanceof AgentSession ? this.source : null;
  }

  get debugSessionId(): string | undefined {
    return this.target.debugSessionId;
  }

  get health(): SourceHealth {
    return this.source.currentHealth;
  }

  /** Idle times must not grow (and blame clients) while the process cannot tell us anything. */
  /** A Delve snapshot is as of when it was taken: its wait times do not go on growing. */
  holdAtSnapshot(localNow = Date.now()): void {
    this.heldAt = localNow;
  }

  holdClock(h: SourceHealth, localNow = Date.now()): void {
    this.heldAt = h.state === 'ok' ? null : h.state === 'not-answering' ? localNow - h.sinceMs : localNow;
  }

  localNow(): number {
    return this.heldAt ?? Date.now();
  }

  now(): number {
    return this.store.now(this.localNow());
  }
}

/** "process 1234 (127.0.0.1:9229)", without repeating a label that only says the pid. */
export function processName(a: Pick<Attachment, 'label' | 'store'>): string {
  if (a.store.pid === 0) return a.label;
  return a.label === `pid ${a.store.pid}` ? `process ${a.store.pid}` : `process ${a.store.pid} (${a.label})`;
}

/** An inspector closes a moment after the connection that asked it to; opening it again must wait. */
async function inspectorClosed(pid: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await findInspectorPorts(pid)).length > 0) await new Promise((r) => setTimeout(r, 100));
}

export class AttachmentManager implements vscode.Disposable {
  private readonly attachments = new Map<string, AttachedProcess>();
  private readonly changed = new vscode.EventEmitter<AttachmentChange>();
  private readonly listChanged = new vscode.EventEmitter<void>();
  private readonly healthChanged = new vscode.EventEmitter<Attachment>();
  /** Data of one attachment changed (streams, servers). */
  readonly onDidChangeData = this.changed.event;
  /** An attachment was added or removed. */
  readonly onDidChangeAttachments = this.listChanged.event;
  /** A process stopped answering, answers again, or lost its agent. */
  readonly onDidChangeHealth = this.healthChanged.event;
  private nextId = 1;

  /** `probe` gives the current probe settings (from the user's settings) for each attach; `pollMs` the Go poll interval. */
  constructor(
    private readonly extensionPath: string,
    private readonly log: Log,
    private readonly probe: () => Partial<ProbeSettings>,
    private readonly pollMs: () => number,
  ) {}

  get all(): Attachment[] {
    return [...this.attachments.values()];
  }

  get(id: string): Attachment | undefined {
    return this.attachments.get(id);
  }

  byDebugSession(debugSessionId: string): Attachment | undefined {
    return this.all.find((a) => a.debugSessionId === debugSessionId);
  }

  async attach(target: AttachTarget): Promise<Attachment | undefined> {
    if (target.pprofUrl !== undefined) return this.attachGoPprof(target);
    if (target.delvePid !== undefined) return this.attachGoDelve(target.delvePid, target);
    if (target.channelzAddress !== undefined) return this.attachChannelz(target.channelzAddress, target);
    const where = target.label ?? (target.address ? formatAddress(target.address) : 'the debugging session');
    const probe = this.probe();
    try {
      const session = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `gRPC Streams: attaching to ${where}`, cancellable: false },
        (progress) =>
          AgentSession.attach({
            address: target.address,
            webSocketUrl: target.webSocketUrl,
            allowRemote: target.allowRemote,
            agentPath: join(this.extensionPath, 'dist', 'agent.js'),
            subscribe: true,
            probe,
            waitForGrpc: target.waitForGrpc,
            closeInspectorOnClose: target.closeInspectorOnClose,
            warn: (message) => this.log.warn(message),
            progress: (step) => {
              progress.report({ message: step });
              this.log.info(`${where}: ${step}`);
            },
          }),
      );
      const existing = this.all.find((a) => a.store.pid === session.initialSnapshot.pid && a.label === (target.label ?? session.label));
      if (existing) {
        await session.close();
        vscode.window.showInformationMessage(`gRPC Streams: already attached to process ${existing.store.pid}.`);
        return existing;
      }
      const inspector = target.closeInspectorOnClose ? ' (its inspector was opened with SIGUSR1 and closes again on Detach)' : '';
      return this.add(session, target.label ?? session.label, target, probe, (a) => {
        this.log.info(`Attached to process ${a.store.pid} (${a.label})${inspector}: grpc-js ${a.store.grpcJs.join(', ')}, ${a.store.servers.size} servers, ${a.store.streams.size} open streams.`);
      });
    } catch (e) {
      // A process without grpc-js may have started the one that has it (cluster primary, npx).
      const hint = e instanceof AttachError && e.code === 'no-grpc' && target.pid !== undefined ? childrenHint(target.pid) : '';
      await this.failed(`Attach to ${where}`, e, target.quiet, hint);
      if (!(e instanceof AttachError)) this.log.error('unexpected error', e);
      return undefined;
    }
  }

  /** A Go server through its pprof endpoint: the first read must succeed; then it is polled. */
  private async attachGoPprof(target: AttachTarget): Promise<Attachment | undefined> {
    const base = target.pprofUrl as string;
    try {
      const poller = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `gRPC Streams: reading the goroutines of ${base}`, cancellable: false },
        () => PprofPoller.start(base, this.pollMs()),
      );
      const label = `go-pprof ${new URL(poller.url).host}`;
      const existing = this.all.find((a) => a.source instanceof PprofPoller && a.source.url === poller.url);
      if (existing) {
        await poller.close();
        vscode.window.showInformationMessage(`gRPC Streams: already attached to ${existing.label}.`);
        return existing;
      }
      return this.add(poller, label, { ...target, label }, undefined, (a) => {
        const server = a.store.servers.get(GO_SERVER_ID);
        this.log.info(`Attached to ${poller.url}: ${server?.library ?? 'no grpc-go server seen yet'}, ${a.store.streams.size} handler goroutines; read every ${this.pollMs() / 1000} s (the process is not paused).`);
      });
    } catch (e) {
      await this.failed(`Attach to ${base}`, e, target.quiet);
      return undefined;
    }
  }

  /** A server's channelz admin address: the first read must succeed; then it is polled. */
  private async attachChannelz(address: string, target: AttachTarget): Promise<Attachment | undefined> {
    try {
      const existing = this.all.find((a) => a.source.kind === 'channelz' && (a.source as unknown as { address: string }).address === address);
      if (existing) {
        vscode.window.showInformationMessage(`gRPC Streams: already attached to ${existing.label}.`);
        return existing;
      }
      // The channelz bundle (grpc-js and its proto loader) is loaded only when asked for.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bundle = require(join(this.extensionPath, 'dist', 'channelz.js')) as typeof ChannelzBundle;
      const source = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `gRPC Streams: reading channelz at ${address}`, cancellable: false },
        () => bundle.ChannelzPoller.start({ address }, this.pollMs()),
      );
      const label = `channelz ${address}`;
      return this.add(source, label, { ...target, label }, undefined, (a) => {
        this.log.info(`Attached to channelz at ${address}: ${a.store.servers.size} servers, ${a.store.connections.size} connections; read every ${this.pollMs() / 1000} s.`);
      });
    } catch (e) {
      await this.failed(`Attach to channelz at ${address}`, e, target.quiet);
      return undefined;
    }
  }

  /** A Go process through Delve: one snapshot now (the process is halted meanwhile), more on Refresh. */
  private async attachGoDelve(pid: number, target: AttachTarget): Promise<Attachment | undefined> {
    try {
      const existing = this.all.find((a) => a.source instanceof DelveSnapshots && a.source.pid === pid);
      if (existing) {
        await this.refresh(existing);
        return existing;
      }
      const source = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `gRPC Streams: reading process ${pid} through Delve (it is paused meanwhile)`, cancellable: false },
        () => DelveSnapshots.take(pid),
      );
      const label = `go-delve pid ${pid}`;
      return this.add(source, label, { ...target, label }, undefined, (a) => {
        a.holdAtSnapshot();
        this.reportPause(a, source);
      });
    } catch (e) {
      await this.failed(`Reading process ${pid} through Delve`, e, false);
      return undefined;
    }
  }

  /** A new attachment of a source: kept, listened to, set up (`ready`), then announced to the views. */
  private add(source: LiveSource, label: string, target: AttachTarget, probe: Partial<ProbeSettings> | undefined, ready: (a: AttachedProcess) => void): AttachedProcess {
    const attachment = new AttachedProcess(`p${this.nextId++}`, label, source, new StreamStore(source.initialSnapshot), target, probe);
    this.attachments.set(attachment.id, attachment);
    this.listen(attachment);
    ready(attachment);
    this.updateContext();
    this.listChanged.fire();
    return attachment;
  }

  /** An attach that failed: the detail to the log, one sentence (and Show Log) to the user unless quiet. */
  private async failed(what: string, e: unknown, quiet: boolean | undefined, hint = ''): Promise<void> {
    this.log.error(`${what} failed${hint ? `.${hint}` : ''}`, e);
    if (quiet) return;
    const action = await vscode.window.showErrorMessage(`gRPC Streams: ${errorMessage(e)}${hint}`, 'Show Log');
    if (action === 'Show Log') this.log.show();
  }

  private reportPause(a: Attachment, source: DelveSnapshots): void {
    const text = `process ${source.pid} was paused ${(source.lastPausedMs / 1000).toFixed(2)} s while Delve read it: ${a.store.streams.size} gRPC handler goroutine${a.store.streams.size === 1 ? '' : 's'}. Refresh takes a new snapshot (and pauses it again).`;
    this.log.info(text);
    void vscode.window.showInformationMessage(`gRPC Streams: ${text}`);
  }

  /** The Go poll interval changed in the settings: applies at once. */
  setPollInterval(ms: number): void {
    for (const a of this.attachments.values()) if (isPolled(a.source)) a.source.setInterval(ms);
  }

  private listen(a: AttachedProcess): void {
    const { source: session, store } = a;
    const live = (): boolean => this.attachments.get(a.id) === a;
    session.onDelta((d) => this.changed.fire({ attachment: a, change: store.apply(d) }));
    // The agent dropped our lease (the process was stopped past it): a whole new snapshot.
    session.onSnapshot((snap) => {
      if (!live()) return;
      // Maybe another install of the agent (another client re-installed it): tell it our probe settings.
      a.probe = undefined;
      this.changed.fire({ attachment: a, change: store.reset(snap, Date.now(), isPolled(a.source)) });
    });
    session.onHealth((h) => {
      if (!live()) return;
      a.holdClock(h);
      if (h.state === 'not-answering') this.log.warn(`${processName(a)} does not answer (stopped, at a breakpoint, busy, or its endpoint is down); showing what it said ${Math.round(h.sinceMs / 1000)} s ago.`);
      else if (h.state === 'ok') this.log.info(`${processName(a)} answers again.`);
      this.healthChanged.fire(a);
      if (h.state === 'agent-gone') void this.agentGone(a);
    });
    session.onClose((reason) => {
      if (!this.attachments.delete(a.id)) return;
      this.updateContext();
      this.listChanged.fire();
      if (reason !== 'detached') {
        this.log.warn(`${a.label}: connection lost (${reason})`);
        vscode.window.showWarningMessage(`gRPC Streams: lost the connection to ${processName(a)}; it may have exited.`);
      }
    });
  }

  private async agentGone(a: Attachment): Promise<void> {
    const text = `the agent was removed from ${processName(a)} by another client; its streams are no longer updated.`;
    this.log.warn(text);
    const action = await vscode.window.showWarningMessage(`gRPC Streams: ${text}`, 'Re-attach', 'Detach');
    if (!this.get(a.id)) return;
    if (action === 'Re-attach') await vscode.commands.executeCommand(CommandIds.reattach, { attachmentId: a.id });
    else if (action === 'Detach') await this.detach(a, false);
  }

  /** Re-reads a whole process from its agent (the Refresh command). */
  async refresh(attachment: Attachment): Promise<void> {
    const snap = await attachment.source.refresh();
    this.changed.fire({ attachment, change: attachment.store.reset(snap) });
    if (attachment.source instanceof DelveSnapshots) {
      (attachment as AttachedProcess).holdAtSnapshot();
      this.reportPause(attachment, attachment.source);
    }
  }

  /**
   * Attaches afresh the way this attachment was made (after another client removed the agent).
   * An inspector this tool opened closes with the old connection, so it is opened again.
   */
  async reattach(old: Attachment, allowRemote: boolean): Promise<Attachment | undefined> {
    await this.detach(old, false);
    let target: AttachTarget = { ...old.target, allowRemote: old.target.address ? allowRemote : old.target.allowRemote };
    if (target.pid !== undefined) {
      if (target.closeInspectorOnClose) await inspectorClosed(target.pid);
      const inspector = await openInspectorOf(target.pid);
      target = { ...target, address: { host: '127.0.0.1', port: inspector.port }, closeInspectorOnClose: inspector.opened };
    }
    return this.attach(target);
  }

  detach(attachment: Attachment, removeAgent = true): Promise<void> {
    this.attachments.delete(attachment.id);
    this.updateContext();
    this.listChanged.fire();
    this.log.info(`Detached from ${processName(attachment)}.`);
    const done = removeAgent && attachment.session ? attachment.session.detachAgent() : attachment.source.close();
    return done.catch((e) => this.log.warn(`Detach from ${attachment.label}: ${errorMessage(e)}`));
  }

  /** Closes every connection, and every inspector this tool opened; deactivate waits for it. */
  closeAll(): Promise<void> {
    return Promise.all(this.all.map((a) => a.source.close().catch(() => undefined))).then(() => undefined);
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', ContextKeys.attached, this.attachments.size > 0);
  }

  dispose(): void {
    void this.closeAll();
    this.attachments.clear();
    this.changed.dispose();
    this.listChanged.dispose();
    this.healthChanged.dispose();
  }
}
