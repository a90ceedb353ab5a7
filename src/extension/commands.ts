// The commands of the Streams view. Each takes the tree node it was invoked on (context menus)
// or falls back to the view's selection (palette, keyboard).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { parseInspectorAddress } from '../inspector/address';
import { errorMessage } from '../inspector/errors';
import { judgeAll, toListJson } from '../model/listJson';
import type { AgentSession } from '../inspector/agentSession';
import type { LiveStream } from '../model/liveStream';
import { cancelDeadQuestion, cancelDeadResult, cancelUnavailable, connectionKey, deadStreams, probeResult, serverLabel } from '../model/treeModel';
import { goroutineUrl } from '../sources/goPprof/pprofSource';
import { processName, type Attachment, type AttachmentManager } from './attachments';
import type { TreeGrouping } from './grouping';
import { CommandIds, ViewIds } from './ids';
import type { Log } from './log';
import { pickProcessInspector } from './processPicker';
import type { SettingsWatcher } from './settings';
import type { StreamTreeNode, StreamTreeProvider } from './streamTreeProvider';

export interface StreamRef {
  attachmentId: string;
  streamId: string;
}

/** A tree node, or what a notification's button or the dashboard passes: the attachment it is about. */
type AttachmentRef = Pick<StreamTreeNode, 'attachmentId'>;


/** Requests that need the agent fail with this sentence, instead of the agent's missing global. */
function requireAgent(a: Attachment): void {
  if (a.health.state === 'agent-gone') {
    throw new Error(`the agent was removed from process ${a.store.pid} by another client: Re-attach to install it again.`);
  }
}

/** The column of the stream call a goroutine waits in (`stream.Recv()`), where the diagnostic and its fixes are. */
function waitColumn(text: string): number {
  const call = /[\w.()]*\b(?:Recv|RecvMsg|Send|SendMsg|SendAndClose|SendHeader)\(/.exec(text);
  return call ? call.index : text.length - text.trimStart().length;
}

/**
 * Asks for an address in an input box that offers `example` and refuses, with the reason, what
 * `check` throws for. The answer, or undefined when the user cancels or gives nothing.
 */
async function askAddress(title: string, prompt: string, example: string, check: (value: string) => unknown): Promise<string | undefined> {
  const text = await vscode.window.showInputBox({
    title: `gRPC Streams: ${title}`,
    prompt,
    placeHolder: example,
    value: example,
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        check(v);
        return undefined;
      } catch (e) {
        return errorMessage(e);
      }
    },
  });
  return text || undefined;
}

/** Delve halts the process while it reads: ask first, saying for how long it usually is. */
async function confirmDelvePause(pid: number): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(
    `Read the gRPC handler goroutines of process ${pid} through Delve?`,
    {
      modal: true,
      detail: 'Delve halts the process while it attaches and reads (measured here: about 25 ms for a few goroutines, seconds for 10,000), then detaches and lets it run on. Only goroutines started by grpc\'s server have their stacks read. Serve net/http/pprof and use Attach to Go pprof Endpoint… to watch without any pause.',
    },
    'Read Once',
  );
  return answer === 'Read Once';
}

/** The Node agent, for what only it can do; one sentence when the attachment is another source. */
function agentOf(a: Attachment, what: string): AgentSession {
  if (!a.session) throw new Error(`${what} needs the Node agent; ${processName(a)} is a Go server read from its goroutines.`);
  requireAgent(a);
  return a.session;
}

export class StreamCommands implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly attachments: AttachmentManager,
    private readonly tree: StreamTreeProvider,
    private readonly view: vscode.TreeView<StreamTreeNode>,
    private readonly settings: SettingsWatcher,
    private readonly grouping: TreeGrouping,
    private readonly log: Log,
    private readonly openDashboard: (attachment: Attachment) => void,
  ) {
    const reg = (id: string, fn: (...args: never[]) => unknown): void => {
      this.disposables.push(vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          await fn.apply(this, args);
        } catch (e) {
          this.log.error(`${id} failed`, e);
          void vscode.window.showErrorMessage(`gRPC Streams: ${errorMessage(e)}`);
        }
      }));
    };
    reg(CommandIds.attachToProcess, this.attachToProcess);
    reg(CommandIds.attachToAddress, this.attachToAddress);
    reg(CommandIds.attachToGoPprof, this.attachToGoPprof);
    reg(CommandIds.attachToChannelz, this.attachToChannelz);
    reg(CommandIds.detach, this.detach);
    reg(CommandIds.reattach, this.reattach);
    reg(CommandIds.refresh, this.refresh);
    reg(CommandIds.cancelStream, this.cancelStream);
    reg(CommandIds.goToHandler, this.goToHandler);
    reg(CommandIds.copyStreamDetails, this.copyStreamDetails);
    reg(CommandIds.exportSnapshot, this.exportSnapshot);
    reg(CommandIds.showDashboard, this.showDashboard);
    reg(CommandIds.focusView, () => vscode.commands.executeCommand(`${ViewIds.streams}.focus`));
    reg(CommandIds.probeConnections, this.probeConnections);
    reg(CommandIds.cancelDeadStreams, this.cancelDeadStreams);
    reg(CommandIds.groupByConnection, () => this.grouping.set('connection'));
    reg(CommandIds.groupByMethod, () => this.grouping.set('method'));
  }

  private async attachToProcess(): Promise<void> {
    const picked = await pickProcessInspector();
    if (!picked) return;
    if (picked.kind === 'go') {
      if (await confirmDelvePause(picked.pid)) await this.attachments.attach({ delvePid: picked.pid, label: `go-delve pid ${picked.pid}`, allowRemote: false });
      return;
    }
    await this.attachments.attach({
      address: { host: '127.0.0.1', port: picked.port },
      label: `pid ${picked.pid}`,
      pid: picked.pid,
      // An inspector opened only for us is closed again; one the user opened stays.
      closeInspectorOnClose: picked.opened,
      allowRemote: false,
    });
  }

  private async attachToAddress(): Promise<void> {
    const text = await askAddress('Attach to Inspector Address', 'The address of a Node inspector (node --inspect=HOST:PORT)', '127.0.0.1:9229', parseInspectorAddress);
    if (text) await this.attachments.attach({ address: parseInspectorAddress(text), allowRemote: this.settings.config.allowRemoteInspector });
  }

  private async attachToGoPprof(): Promise<void> {
    const text = await askAddress('Attach to Go pprof Endpoint', 'The base URL where the Go server serves net/http/pprof (its goroutines are read; the process is not paused)', 'http://127.0.0.1:6060', goroutineUrl);
    if (text) await this.attachments.attach({ pprofUrl: text.trim(), allowRemote: false });
  }

  private async attachToChannelz(): Promise<void> {
    const text = await askAddress('Attach to channelz Address', 'The HOST:PORT where any gRPC server (Go, Java, C++, Python, Node) serves channelz (read-only: any host is allowed)', '127.0.0.1:50051', (v) => {
      if (!/^[^\s/]+:\d+$/.test(v.trim())) throw new Error('Give HOST:PORT, for example 127.0.0.1:50051.');
    });
    if (text) await this.attachments.attach({ channelzAddress: text.trim(), allowRemote: false });
  }

  private async detach(node?: StreamTreeNode): Promise<void> {
    const a = await this.attachmentFor(node, 'Detach from which process?');
    if (a) await this.attachments.detach(a);
  }

  private async reattach(node?: AttachmentRef): Promise<void> {
    const a = await this.attachmentFor(node, 'Re-attach to which process?');
    if (a) await this.attachments.reattach(a, this.settings.config.allowRemoteInspector);
  }

  private async refresh(node?: StreamTreeNode): Promise<void> {
    // Refresh of all skips processes that lost their agent; Refresh of one says why it cannot.
    const targets = node
      ? [this.attachments.get(node.attachmentId)].filter((a): a is Attachment => !!a)
      : this.attachments.all.filter((a) => a.health.state !== 'agent-gone');
    for (const a of targets) if (a.session) requireAgent(a);
    // A Delve snapshot halts its process again: only when asked for that one, and after asking.
    const delve = targets.filter((a) => a.source.kind === 'go-delve');
    const ok = node && delve.length === 1 ? await confirmDelvePause(delve[0].store.pid) : false;
    await Promise.all(targets.filter((a) => a.source.kind !== 'go-delve' || ok).map((a) => this.attachments.refresh(a)));
  }

  private async cancelStream(node?: StreamTreeNode | StreamRef): Promise<void> {
    const ref = this.streamRef(node);
    if (!ref) {
      void vscode.window.showInformationMessage('gRPC Streams: select a stream in the Streams view first.');
      return;
    }
    const a = this.attachments.get(ref.attachmentId);
    const s = a?.store.streams.get(ref.streamId);
    if (!a || !s) {
      void vscode.window.showWarningMessage(`gRPC Streams: stream ${ref.streamId} has already ended.`);
      return;
    }
    const unavailable = cancelUnavailable(s);
    if (unavailable) {
      void vscode.window.showInformationMessage(`gRPC Streams: ${unavailable}`);
      return;
    }
    const session = agentOf(a, 'Cancel');
    const ok = await vscode.window.showWarningMessage(
      `Cancel the ${s.kind} stream ${s.method} from ${s.peer}?`,
      { modal: true, detail: 'The server ends the call with status CANCELLED; its handler sees "cancelled" and the client gets an error.' },
      'Cancel Stream',
    );
    if (ok !== 'Cancel Stream') return;
    // The engine answers once the call has ended, which can take a moment: show it in the view.
    const r = await vscode.window.withProgress({ location: { viewId: ViewIds.streams } }, () => session.cancel(s.id));
    if (!r.ok) throw new Error(r.error ?? `Could not cancel stream ${s.id}.`);
    const how = r.how === 'reset'
      ? 'its client was not reading, so its HTTP/2 stream was reset; the client gets CANCELLED when it reads again'
      : 'its client got CANCELLED';
    this.log.info(`Cancelled ${s.id} (${s.method} from ${s.peer}) in process ${a.store.pid}: ${how}.`);
    void vscode.window.showInformationMessage(`gRPC Streams: cancelled ${s.method} from ${s.peer}: the call has ended; ${how}.`);
  }

  /** PINGs every connection with an open stream now, and says what answered. */
  private async probeConnections(node?: AttachmentRef): Promise<void> {
    const a = await this.attachmentFor(node, 'Probe the connections of which process?');
    if (!a) return;
    agentOf(a, 'Probe Connections');
    const probed = await this.probeNow(a);
    const text = probeResult(probed, deadStreams(a.store.streams.values()));
    this.log.info(`process ${a.store.pid}: ${text}`);
    void vscode.window.showInformationMessage(`gRPC Streams: ${text}`);
  }

  /** Waits for every answer (a gone client takes the probe timeout), then reads the verdicts at once. */
  private probeNow(a: Attachment): Thenable<number> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `gRPC Streams: sending a PING to every client of process ${a.store.pid}…` },
      async () => {
        const probed = await agentOf(a, 'Probe Connections').probeAll(this.settings.config.probeTimeoutMs);
        await this.attachments.refresh(a);
        return probed;
      },
    );
  }

  /**
   * Ends every stream whose connection did not answer a PING: of the process, or of the server it
   * was invoked on. When none is known dead yet, every client is asked first.
   */
  private async cancelDeadStreams(node?: AttachmentRef | StreamTreeNode): Promise<void> {
    const a = await this.attachmentFor(node, 'Cancel the dead streams of which process?');
    if (!a) return;
    const session = agentOf(a, 'Cancel Dead Streams');
    // A server row (clicked, or selected when run from the palette) limits it to that server.
    const n = (node ?? this.view.selection[0]) as StreamTreeNode | AttachmentRef | undefined;
    const server = n && 'type' in n && n.type === 'server' && n.attachmentId === a.id ? a.store.servers.get(n.serverId) : undefined;
    const where = server ? `server ${serverLabel(server)}` : `process ${a.store.pid}`;
    let dead = deadStreams(a.store.streams.values(), server?.id);
    if (dead.streams === 0) {
      await this.probeNow(a);
      dead = deadStreams(a.store.streams.values(), server?.id);
      if (dead.streams === 0) {
        void vscode.window.showInformationMessage(`gRPC Streams: no dead streams on ${where}: every client with an open stream answered its PING.`);
        return;
      }
    }
    const ok = await vscode.window.showWarningMessage(
      cancelDeadQuestion(dead, where),
      { modal: true, detail: 'Each call ends with status CANCELLED (its HTTP/2 stream is reset when the client is not reading); the handlers see "cancelled". Streams whose client answers are left alone.' },
      'Cancel Dead Streams',
    );
    if (ok !== 'Cancel Dead Streams') return;
    // Their connections, read before the ended calls leave the store.
    const connectionOf = new Map<string, string>();
    for (const s of a.store.streams.values()) connectionOf.set(s.id, connectionKey(s));
    // The agent ends what is dead at that moment: a client that answered again meanwhile is spared.
    const r = await vscode.window.withProgress({ location: { viewId: ViewIds.streams } }, () => session.cancelDead(server ? { serverId: server.id } : {}));
    const text = cancelDeadResult(r, new Set(r.cancelled.map((id) => connectionOf.get(id) ?? id)).size);
    this.log.info(`${where}${server ? ` (process ${a.store.pid})` : ''}: ${text} Cancelled: ${r.cancelled.join(', ') || 'none'}.${r.failed.map((f) => ` ${f.id}: ${f.error}`).join('')}`);
    if (r.failed.length > 0 || r.cancelled.length === 0) void vscode.window.showWarningMessage(`gRPC Streams: ${text}`);
    else void vscode.window.showInformationMessage(`gRPC Streams: ${text}`);
  }

  private async goToHandler(node?: StreamTreeNode | StreamRef): Promise<void> {
    const n = node && 'type' in node ? node : undefined;
    let target: { a: Attachment; serverId: string; method: string } | undefined;
    const ref = this.streamRef(node);
    if (ref) {
      const a = this.attachments.get(ref.attachmentId);
      const s = a?.store.streams.get(ref.streamId);
      if (s?.waiting) return this.openWaitsAt(s);
      if (a && s) target = { a, serverId: s.serverId, method: s.method };
    } else if (n?.type === 'method') {
      const a = this.attachments.get(n.attachmentId);
      if (a) target = { a, serverId: n.serverId, method: n.path };
    }
    if (!target) {
      void vscode.window.showInformationMessage('gRPC Streams: select a stream or method in the Streams view first.');
      return;
    }
    if (!target.a.session) {
      // A Go method: the place its longest-waiting goroutine waits at.
      const waiting = [...target.a.store.streams.values()].filter((s) => s.method === target.method && s.waitsAt).sort((x, y) => (x.waitingSince ?? 0) - (y.waitingSince ?? 0));
      if (waiting[0]) return this.openWaitsAt(waiting[0]);
      throw new Error(`no goroutine of ${target.method} says where it waits.`);
    }
    const loc = await agentOf(target.a, 'Go to Handler').handlerLocation(target.serverId, target.method);
    if (!loc) throw new Error(`the process did not say where the handler of ${target.method} is defined.`);
    if (!loc.url.startsWith('file:')) throw new Error(`the handler of ${target.method} is in ${loc.url}, which is not a file on this machine.`);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(loc.url));
    const pos = new vscode.Position(loc.line, loc.column);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
  }

  /** Opens the user's file at the line a Go handler goroutine waits at (where the fixes are offered). */
  private async openWaitsAt(s: LiveStream): Promise<void> {
    const w = s.waitsAt;
    if (!w) throw new Error(`goroutine ${s.goroutine ?? s.id} waits in no frame of your own code (only grpc-go and the runtime are on its stack).`);
    if (!existsSync(w.file)) throw new Error(`${w.file} (where ${w.function} waits) is not a file on this machine; the server was built elsewhere.`);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(w.file));
    const line = Math.max(0, Math.min(doc.lineCount - 1, w.line - 1));
    const col = waitColumn(doc.lineAt(line).text);
    const pos = new vscode.Position(line, col);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
  }

  private async copyStreamDetails(node?: StreamTreeNode | StreamRef): Promise<void> {
    const ref = this.streamRef(node);
    const a = ref && this.attachments.get(ref.attachmentId);
    const s = ref && a?.store.streams.get(ref.streamId);
    if (!a || !s) {
      void vscode.window.showInformationMessage('gRPC Streams: select an open stream first.');
      return;
    }
    const [judged] = judgeAll([s], a.store.servers, a.now(), this.settings.config.suspectAfterMs);
    await vscode.env.clipboard.writeText(JSON.stringify({ pid: a.store.pid, ...judged }, null, 2));
    void vscode.window.setStatusBarMessage('gRPC Streams: stream details copied', 3000);
  }

  private async exportSnapshot(node?: StreamTreeNode): Promise<void> {
    const a = await this.attachmentFor(node, 'Export the streams of which process?');
    if (!a) return;
    if (a.source.kind === 'channelz') throw new Error(`${a.label} has connections, not streams: grpc-streams list --channelz ${a.label.replace(/^channelz /, '')} --json writes them.`);
    if (a.session) requireAgent(a);
    const snap = await a.source.refresh();
    const uri = await vscode.window.showSaveDialog({
      title: 'Export gRPC streams snapshot',
      filters: { JSON: ['json'] },
      defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir()), `grpc-streams-${snap.pid || a.source.kind}.json`),
    });
    if (!uri) return;
    const json = toListJson(snap, this.settings.config.suspectAfterMs, a.source.kind);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(json, null, 2) + '\n'));
    void vscode.window.showInformationMessage(`gRPC Streams: exported ${json.streams.length} streams to ${uri.fsPath}.`);
  }

  private async showDashboard(node?: StreamTreeNode): Promise<void> {
    if (this.attachments.all.length === 0) {
      void vscode.window.showInformationMessage('gRPC Streams: attach to a process first (Attach to Process… or Attach to Inspector Address…).');
      return;
    }
    const a = await this.attachmentFor(node, 'Show the dashboard of which process?');
    if (a) this.openDashboard(a);
  }

  private streamRef(node?: StreamTreeNode | StreamRef): StreamRef | undefined {
    if (node && !('type' in node) && node.streamId) return node;
    const n = (node as StreamTreeNode | undefined) ?? this.view.selection[0];
    return this.tree.resolveStream(n);
  }

  private async attachmentFor(node: AttachmentRef | undefined, question: string): Promise<Attachment | undefined> {
    const fromNode = node ?? this.view.selection[0];
    if (fromNode) return this.attachments.get(fromNode.attachmentId);
    const all = this.attachments.all;
    if (all.length <= 1) return all[0];
    const pick = await vscode.window.showQuickPick(
      all.map((a) => ({ label: a.store.pid ? `process ${a.store.pid}` : a.label, description: a.store.pid ? a.label : undefined, a })),
      { placeHolder: question },
    );
    return pick?.a;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
