// Lints large files on several cores: the file is cut into parts (splitPlan.ts), one per worker
// thread, and the answers are merged here (partLint.ts). Parsing is most of a lint and does not
// get faster on one thread: a 10,000-line file takes 40 to 50 ms to parse in either language.
//
// The worker threads run this same file (in dist/, the analysis bundle): loaded in a worker made
// here, it serves parts instead.
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { analyze } from './analyzer';
import { goParser } from './goParser';
import { analyzePart, mergeParts, type PartResult } from './partLint';
import { splitPlan, type FilePart } from './splitPlan';
import { languageOf, type Finding } from './types';

const WORKER_ROLE = 'grpc-streams-lint-part';

/** Below this, a part parses in a few milliseconds: not worth a message to another thread. */
export const MIN_PART_CHARS = 32 * 1024;

/**
 * The young generation of each worker's heap. TypeScript's parser makes about 20 bytes of
 * short-lived objects per byte of source; with V8's default young generation, half of a
 * 10,000-line file triggers scavenges that copy the tree still being built, a third of the parse.
 * Large enough for a part to be parsed and dropped between two scavenges. V8 grows the space only
 * as needed.
 */
const YOUNG_GENERATION_MB = 192;

interface PartRequest {
  id: number;
  fileName: string;
  text: string;
  part: FilePart;
}

interface PartReply {
  id: number;
  result: PartResult | null;
}

interface PartWorkerData {
  role: typeof WORKER_ROLE;
  /** Set to 1 by the worker once it has loaded the parsers: read without waiting for a message. */
  ready: SharedArrayBuffer;
}

/** One worker thread, answering part requests in order. */
class PartWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (r: PartResult | null) => void>();
  private nextId = 1;
  private readonly loaded = new Int32Array(new SharedArrayBuffer(4));
  alive = true;

  constructor(file: string) {
    this.worker = new Worker(file, {
      workerData: { role: WORKER_ROLE, ready: this.loaded.buffer as SharedArrayBuffer } satisfies PartWorkerData,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    // A CLI that is done exits even while a worker is still loading.
    this.worker.unref();
    this.worker.on('message', (m: PartReply) => {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m.result);
    });
    const fail = (): void => {
      this.alive = false;
      for (const done of this.pending.values()) done(null);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  /**
   * True once the worker has loaded the parsers and can answer at once. A lint that runs without
   * yielding to the event loop would never see a message saying so: this reads shared memory.
   */
  get ready(): boolean {
    return this.alive && Atomics.load(this.loaded, 0) === 1;
  }

  /** The part's result, or null when the worker failed (the caller analyzes the whole file). */
  analyze(fileName: string, text: string, part: FilePart): Promise<PartResult | null> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, fileName, text, part } satisfies PartRequest);
    });
  }

  terminate(): void {
    this.alive = false;
    void this.worker.terminate();
  }
}

export interface LintPoolOptions {
  /** Worker threads; default: one per core, at most 4. */
  workers?: number;
  minPartChars?: number;
}

export class LintPool {
  private readonly workers: PartWorker[] = [];
  private readonly minPartChars: number;
  /** Files analyzed in parts, and whole (too small, workers not loaded, or parts not accepted). */
  readonly counts = { parts: 0, whole: 0 };

  constructor(options: LintPoolOptions = {}) {
    // This thread only cuts and merges: its heap cannot be given a larger young generation.
    const count = options.workers ?? Math.min(4, availableParallelism());
    this.minPartChars = options.minPartChars ?? MIN_PART_CHARS;
    for (let i = 0; i < count; i++) this.workers.push(new PartWorker(__filename));
  }

  /** Threads a large file is analyzed on. */
  get threads(): number {
    return this.workers.filter((w) => w.alive).length || 1;
  }

  /** Resolves once every worker has loaded the parsers (benchmarks wait for this; the lint does not). */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.workers.some((w) => w.alive && !w.ready) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }

  /** The same findings as analyze(), from parts analyzed at once where the file is large enough. */
  async lint(fileName: string, text: string): Promise<Finding[]> {
    const language = languageOf(fileName);
    // Waiting for workers still loading would take longer than analyzing the whole file here.
    const ready = this.workers.filter((w) => w.ready);
    const parts = language && ready.length > 1 ? splitPlan(language, text, ready.length, this.minPartChars) : null;
    if (parts) {
      const results = await Promise.all(parts.map((p, i) => ready[i].analyze(fileName, text, p)));
      const merged = results.every((r) => r !== null) ? mergeParts(fileName, text, parts, results as PartResult[]) : null;
      if (merged) {
        this.counts.parts++;
        return merged;
      }
    }
    this.counts.whole++;
    return analyze(fileName, text);
  }

  dispose(): void {
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}

/** In a worker made by LintPool: answer part requests until the pool goes away. */
function servePartsInWorker(data: PartWorkerData): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', (req: PartRequest) => {
    analyzePart(req.fileName, req.text, req.part).then(
      (result) => port.postMessage({ id: req.id, result }),
      () => port.postMessage({ id: req.id, result: null }),
    );
  });
  // Ready when the parsers are loaded: TypeScript is (this file imports it), Go's is loaded here.
  const ready = (): void => {
    Atomics.store(new Int32Array(data.ready), 0, 1);
  };
  goParser().then(ready, ready);
}

if (!isMainThread && (workerData as PartWorkerData | null)?.role === WORKER_ROLE) servePartsInWorker(workerData as PartWorkerData);
