// The liveness probe's settings: given to the agent at attach (AttachmentManager reads
// probeSettingsFor) and sent again to every attachment whenever they change, so they apply at once.
import { errorMessage } from '../inspector/errors';
import { probeSettingsFor, sameProbeSettings } from '../model/treeModel';
import type * as vscode from 'vscode';
import type { AttachmentManager } from './attachments';
import type { Log } from './log';
import type { SettingsWatcher } from './settings';

export class ProbeSettingsSync implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly attachments: AttachmentManager, private readonly settings: SettingsWatcher, private readonly log: Log) {
    this.disposables.push(
      settings.onDidChange(() => this.sync()),
      // Settings changed while an attach was under way: that attachment has the old ones.
      attachments.onDidChangeAttachments(() => this.sync()),
      // A process that answers again is told what changed meanwhile.
      attachments.onDidChangeHealth(() => this.sync()),
      // A new snapshot after the lease was lost may come from another install of the agent.
      attachments.onDidChangeData(({ change }) => {
        if (change.serversChanged) this.sync();
      }),
    );
  }

  private sync(): void {
    const want = probeSettingsFor(this.settings.config);
    for (const a of this.attachments.all) {
      const session = a.session;
      if (!session || a.health.state !== 'ok' || sameProbeSettings(a.probe, want)) continue;
      a.probe = want;
      session.configureProbe(want).then(
        () => this.log.info(`${a.label}: probe settings of process ${a.store.pid} now ${JSON.stringify(want)}.`),
        (e) => {
          // Told again at the next change, or when it answers again.
          if (a.probe === want) a.probe = undefined;
          this.log.warn(`${a.label}: could not change the probe settings of process ${a.store.pid}: ${errorMessage(e)}`);
        },
      );
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
