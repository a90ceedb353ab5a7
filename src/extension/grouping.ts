// How the Streams view lists a server's streams (by method or by connection): remembered per
// workspace, and mirrored in a context key so the view's title bar offers the other one.
import * as vscode from 'vscode';
import type { Grouping } from '../model/treeModel';
import { ContextKeys, StateKeys } from './ids';

export class TreeGrouping implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Grouping>();
  readonly onDidChange = this.emitter.event;
  private current: Grouping;

  constructor(private readonly state: vscode.Memento) {
    this.current = state.get<string>(StateKeys.grouping) === 'connection' ? 'connection' : 'method';
    void vscode.commands.executeCommand('setContext', ContextKeys.groupBy, this.current);
  }

  get value(): Grouping {
    return this.current;
  }

  async set(g: Grouping): Promise<void> {
    if (g === this.current) return;
    this.current = g;
    void vscode.commands.executeCommand('setContext', ContextKeys.groupBy, g);
    this.emitter.fire(g);
    await this.state.update(StateKeys.grouping, g);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
