// The processes we are attached to: each an AgentSession (the connection) and a StreamStore (its
// data). Attaching reports progress; every failure becomes one sentence plus detail in the log.
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { InspectorAddress } from '../inspector/address';
import { formatAddress } from '../inspector/address';
import { AgentSession } from '../inspector/agentSession';
import { AttachError, errorMessage } from '../inspector/errors';
import { StreamStore, type StoreChange } from '../model/streamStore';
import { ContextKeys } from './ids';
import type { Log } from './log';

export interface Attachment {
  readonly id: string;
  readonly label: string;
  readonly session: AgentSession;
  readonly store: StreamStore;
  readonly debugSessionId?: string;
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
}

export class AttachmentManager implements vscode.Disposable {
  private readonly attachments = new Map<string, Attachment>();
  private readonly changed = new vscode.EventEmitter<AttachmentChange>();
  private readonly listChanged = new vscode.EventEmitter<void>();
  /** Data of one attachment changed (streams, servers). */
  readonly onDidChangeData = this.changed.event;
  /** An attachment was added or removed. */
  readonly onDidChangeAttachments = this.listChanged.event;
  private nextId = 1;

  constructor(private readonly extensionPath: string, private readonly log: Log) {}

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
    const where = target.label ?? (target.address ? formatAddress(target.address) : 'the debugging session');
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
            waitForGrpc: target.waitForGrpc,
            progress: (step) => {
              progress.report({ message: step });
              this.log.info(`${where}: ${step}`);
            },
          }),
      );
      const existing = this.all.find((a) => a.store.pid === session.initialSnapshot.pid && a.label === (target.label ?? session.label));
      if (existing) {
        session.close();
        vscode.window.showInformationMessage(`gRPC Streams: already attached to process ${existing.store.pid}.`);
        return existing;
      }
      const attachment: Attachment = {
        id: `p${this.nextId++}`,
        label: target.label ?? session.label,
        session,
        store: new StreamStore(session.initialSnapshot),
        debugSessionId: target.debugSessionId,
      };
      this.attachments.set(attachment.id, attachment);
      session.onDelta((d) => this.changed.fire({ attachment, change: attachment.store.apply(d) }));
      session.onClose((reason) => {
        if (!this.attachments.delete(attachment.id)) return;
        this.updateContext();
        this.listChanged.fire();
        if (reason !== 'detached') {
          this.log.warn(`${attachment.label}: connection lost (${reason})`);
          vscode.window.showWarningMessage(`gRPC Streams: lost the connection to process ${attachment.store.pid} (${attachment.label}); it may have exited.`);
        }
      });
      this.log.info(`Attached to process ${attachment.store.pid} (${attachment.label}): grpc-js ${attachment.store.grpcJs.join(', ')}, ${attachment.store.servers.size} servers, ${attachment.store.streams.size} open streams.`);
      this.updateContext();
      this.listChanged.fire();
      return attachment;
    } catch (e) {
      this.log.error(`Attach to ${where} failed`, e);
      if (!target.quiet) {
        const action = await vscode.window.showErrorMessage(`gRPC Streams: ${errorMessage(e)}`, 'Show Log');
        if (action === 'Show Log') this.log.show();
      }
      if (!(e instanceof AttachError)) this.log.error('unexpected error', e);
      return undefined;
    }
  }

  /** Re-reads a whole process from its agent (the Refresh command). */
  async refresh(attachment: Attachment): Promise<void> {
    const snap = await attachment.session.refresh();
    this.changed.fire({ attachment, change: attachment.store.reset(snap) });
  }

  detach(attachment: Attachment, removeAgent = true): Promise<void> {
    this.attachments.delete(attachment.id);
    this.updateContext();
    this.listChanged.fire();
    this.log.info(`Detached from process ${attachment.store.pid} (${attachment.label}).`);
    if (!removeAgent) {
      attachment.session.close();
      return Promise.resolve();
    }
    return attachment.session.detachAgent().catch((e) => this.log.warn(`Detach from ${attachment.label}: ${errorMessage(e)}`));
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', ContextKeys.attached, this.attachments.size > 0);
  }

  dispose(): void {
    for (const a of this.attachments.values()) a.session.close();
    this.attachments.clear();
    this.changed.dispose();
    this.listChanged.dispose();
  }
}
