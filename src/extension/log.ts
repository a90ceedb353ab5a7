// The "gRPC Streams" output channel: full details of everything the user is told in a sentence.
import * as vscode from 'vscode';
import { OUTPUT_CHANNEL_NAME } from './ids';

export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  /** Written only when the log level is Trace (Developer: Set Log Level…); used for timings. */
  trace(message: string): void {
    this.channel.trace(message);
  }

  error(message: string, error?: unknown): void {
    this.channel.error(error instanceof Error ? `${message}\n${error.stack ?? error.message}` : message);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
