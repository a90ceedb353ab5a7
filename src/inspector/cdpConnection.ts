// A WebSocket connection to one inspector target: typed requests with a timeout each, typed
// events, and a lifetime of its own: when the socket drops, pending requests fail and listeners go.
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { CdpCommands, CdpEvent, CdpEvents, CdpMethod } from './cdpProtocol';
import { AttachError } from './errors';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  method: string;
}

export class CdpConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly events = new EventEmitter();
  private closed = false;
  private closeReason = 'the inspector connection closed';

  private constructor(private readonly socket: WebSocket, readonly url: string, private readonly requestTimeoutMs: number) {
    socket.on('message', (data) => this.onMessage(String(data)));
    socket.on('close', () => this.dispose());
    socket.on('error', (e) => {
      this.closeReason = `the inspector connection failed: ${e.message}`;
      this.dispose();
    });
  }

  static connect(url: string, options: { timeoutMs?: number; requestTimeoutMs?: number } = {}): Promise<CdpConnection> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new AttachError('timeout', `The inspector at ${url} did not accept a connection within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new CdpConnection(socket, url, options.requestTimeoutMs ?? 10_000));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new AttachError('not-inspector', `Could not open the inspector WebSocket ${url}: ${e.message}`));
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send<M extends CdpMethod>(method: M, params: CdpCommands[M]['params'], timeoutMs = this.requestTimeoutMs): Promise<CdpCommands[M]['result']> {
    if (this.closed) return Promise.reject(new AttachError('disconnected', this.closeReason));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AttachError('timeout', `The process did not answer ${method} within ${timeoutMs} ms (is it paused at a breakpoint or busy?).`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, method });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  on<E extends CdpEvent>(event: E, listener: (params: CdpEvents[E]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    if (this.closed) {
      queueMicrotask(() => listener(this.closeReason));
      return () => undefined;
    }
    this.events.on('__close', listener);
    return () => this.events.off('__close', listener);
  }

  close(): void {
    this.closeReason = 'detached';
    try { this.socket.close(); } catch { /* already closing */ }
    this.dispose();
  }

  private onMessage(text: string): void {
    let msg: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new Error(`${p.method} failed: ${msg.error.message}`));
      else p.resolve(msg.result);
    } else if (msg.method) {
      this.events.emit(msg.method, msg.params);
    }
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AttachError('disconnected', this.closeReason));
    }
    this.pending.clear();
    const reason = this.closeReason;
    this.events.emit('__close', reason);
    this.events.removeAllListeners();
    try { this.socket.terminate(); } catch { /* gone */ }
  }
}
