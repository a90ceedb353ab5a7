// Unary gRPC calls over node:http2, all that reading channelz takes: one HTTP/2 connection of its
// own (never shared with anything in this process), a length-prefixed request, the response and
// its grpc-status. No grpc-js: it cost the CLI about 60 ms to load and most of a 1,000-connection
// read in per-call work.
import * as http2 from 'node:http2';

/** gRPC status codes this client tells apart. */
export const Status = { OK: 0, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

/** A call that ended without a response: a gRPC status, or the connection failing (UNAVAILABLE). */
export class GrpcCallError extends Error {
  constructor(readonly code: number, message: string, override readonly cause?: NodeJS.ErrnoException) {
    super(message);
  }
}

export interface UnaryTls {
  ca?: Buffer;
  serverName?: string;
}

/** The host of `host:port` or `[v6]:port`. */
const hostOf = (address: string): string => address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');

export class GrpcUnaryChannel {
  private session: http2.ClientHttp2Session | null = null;
  /** Why the connection failed (ECONNREFUSED, a TLS alert): its streams only say they were cancelled. */
  private sessionError: NodeJS.ErrnoException | null = null;
  private closed = false;

  constructor(private readonly address: string, private readonly tls?: UnaryTls) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const host = hostOf(this.address);
    // TLS's server name: the one given, else the host unless it is an IP address (SNI takes names only).
    const servername = this.tls?.serverName ?? (/^[\d.:]+$/.test(host) ? undefined : host);
    const session = this.tls ? http2.connect(`https://${this.address}`, { ca: this.tls.ca, servername, ALPNProtocols: ['h2'] }) : http2.connect(`http://${this.address}`);
    this.sessionError = null;
    // Kept for the calls, whose streams fail with it or with a bare cancel; unhandled, it would throw.
    session.on('error', (e: NodeJS.ErrnoException) => {
      if (this.session === session) this.sessionError = e;
    });
    session.on('close', () => {
      if (this.session === session) this.session = null;
    });
    this.session = session;
    return session;
  }

  /** One unary call: `path` like /grpc.channelz.v1.Channelz/GetSocket; resolves with the response bytes. */
  call(path: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new GrpcCallError(Status.UNAVAILABLE, 'the channel is closed'));
    const session = this.connect();
    return new Promise((resolve, reject) => {
      let settled = false;
      const chunks: Buffer[] = [];
      let status: number | null = null;
      let statusMessage = '';
      const finish = (err: GrpcCallError | null, value?: Uint8Array) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value as Uint8Array);
      };
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${timeoutMs}m`,
      });
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(new GrpcCallError(Status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const readStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) {
          status = Number(h['grpc-status']);
          statusMessage = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      };
      let answered = false;
      stream.on('response', (h) => {
        answered = true;
        const httpStatus = Number(h[':status']);
        if (httpStatus !== 200) {
          finish(new GrpcCallError(Status.UNAVAILABLE, `the server answered HTTP ${httpStatus}, not gRPC`));
          stream.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        if (!String(h['content-type'] ?? '').startsWith('application/grpc')) {
          finish(new GrpcCallError(Status.UNAVAILABLE, `the server answered ${h['content-type'] ?? 'without a content type'}, not gRPC`));
          stream.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        readStatus(h); // a trailers-only response
      });
      stream.on('trailers', readStatus);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e: NodeJS.ErrnoException) => {
        // A stream pending when the connection failed is cancelled "caused by" the connection's error.
        const cause = (e.cause as NodeJS.ErrnoException | undefined) ?? this.sessionError ?? e;
        finish(new GrpcCallError(Status.UNAVAILABLE, cause.message, cause));
      });
      stream.on('close', () => {
        if (settled) return;
        if (status === null) {
          if (this.sessionError) return finish(new GrpcCallError(Status.UNAVAILABLE, this.sessionError.message, this.sessionError));
          finish(new GrpcCallError(Status.UNAVAILABLE, !answered ? 'the connection closed before any answer' : stream.rstCode ? `the stream was reset (HTTP/2 code ${stream.rstCode})` : 'the call ended without a gRPC status'));
          return;
        }
        if (status !== Status.OK) {
          finish(new GrpcCallError(status, statusMessage || `gRPC status ${status}`));
          return;
        }
        const body = Buffer.concat(chunks);
        if (body.length < 5) return finish(new GrpcCallError(Status.UNAVAILABLE, 'the response held no message'));
        if (body[0] !== 0) return finish(new GrpcCallError(Status.UNAVAILABLE, 'the response was compressed, which was not asked for'));
        const len = body.readUInt32BE(1);
        if (body.length < 5 + len) return finish(new GrpcCallError(Status.UNAVAILABLE, 'the response message was cut short'));
        finish(null, body.subarray(5, 5 + len));
      });
      const frame = Buffer.alloc(5 + request.length);
      frame.writeUInt32BE(request.length, 1);
      frame.set(request, 5);
      stream.end(frame);
    });
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
  }
}
