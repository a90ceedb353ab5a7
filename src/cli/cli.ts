// grpc-streams: list, watch and cancel the gRPC streams of a running Node server from a terminal.
import { createInterface } from 'node:readline';
import { AttachError, errorMessage } from '../inspector/errors';
import { judgeAll, parseDuration, toListJson, type ListJson } from '../model/listJson';
import { writeListJson } from '../model/listJsonText';
import { unpackSnapshot } from '../agent/packedSnapshot';
import { StreamStore } from '../model/streamStore';
import { isUsageError, parseArgs, UsageError, type ParsedArgs } from './args';
import { renderGoCalls, renderServers, renderStreams, renderUntracked, terminalSafe } from './table';
import { readGoPprof } from '../sources/goPprof/pprofSource';
import { GoCallTracker, type GoRead } from '../sources/goPprof/goStreams';
import { listChannelz, watchChannelz } from './channelzCommands';
import { readGoDelve } from '../sources/goDelve/delveSource';
import { isGoProcess } from '../sources/goDelve/goProcesses';
import { cancelUnavailable } from '../model/treeModel';
import { foreignStreamId } from '../agent/protocol';
import type { SessionHealth } from '../inspector/agentSession';
import { attachFromArgs, TARGET_FLAGS } from './target';
import { loadAnalysis } from '../loadAnalysis';

const TARGET_HELP = `  --inspect HOST:PORT   an open Node inspector (node --inspect=127.0.0.1:9229 ...)
  --pprof URL           a Go server's net/http/pprof (http://127.0.0.1:6060): its handler goroutines
                        (list and watch; read-only, the process is not paused)
  --delve PID           a local Go process through Delve (list only: Delve halts the process while
                        it reads the handler goroutines; the pause is reported)
  --channelz HOST:PORT  any gRPC server's channelz admin service: its connections (list and watch;
                        read-only, so any host is allowed); --tls, --ca FILE, --server-name NAME
  --pid PID             a local process: a Node one through its inspector (opened with SIGUSR1 if
                        closed, and closed again when the command is done); a Go one through Delve
                        (list only), as --delve PID
  --allow-remote        allow a non-loopback inspector (it gives full code execution to whoever connects)`;

const HELP: Record<string, string> = {
  main: `grpc-streams: see and watch the live gRPC streams of a Node or Go server (and cancel a Node one's).

Usage: grpc-streams <command> [options]

Commands:
  list     print the open streams and the servers once
  watch    a live table, refreshed every second
  cancel   end one stream from the server side with status CANCELLED
  detach   remove the agent from the process
  lint     find receive loops that leak when a client vanishes (Go, TypeScript, JavaScript)
  fix      apply a fix for one finding

Run grpc-streams <command> --help for its options.

Exit status: 0 done; 1 it could not be done (no such process, nothing listening, the stream
did not end); 2 a usage error. lint: 1 when it found something, 2 when it could not lint.`,
  list: `Usage: grpc-streams list (--inspect HOST:PORT | --pid PID) [--json] [--idle-threshold 30s] [--probe [--probe-timeout 5s]]

Prints the servers and open streams of the process; suspect streams first.
${TARGET_HELP}
  --json                print the snapshot as JSON
  --idle-threshold D    silence after which a stream is suspect (default 30s)
  --probe               PING every connection with an open stream first and wait for the answers:
                        a client that does not answer is gone (its streams are dead)
  --probe-timeout D     how long to wait for a PING's answer (default 5s)`,
  watch: `Usage: grpc-streams watch (--inspect HOST:PORT | --pid PID) [--idle-threshold 30s]

A live table of the open streams, refreshed every second (Ctrl+C to stop; the agent stays).
${TARGET_HELP}
  --idle-threshold D    silence after which a stream is suspect (default 30s)`,
  cancel: `Usage: grpc-streams cancel (STREAM_ID | --dead) (--inspect HOST:PORT | --pid PID) [--yes]

Ends that call from the server side with status CANCELLED, so its handler sees 'cancelled'.
A call whose client stopped reading is reset (RST_STREAM CANCEL). It says "Cancelled" only
once the call has ended. With --dead: PINGs every connection with an open stream and cancels
every stream whose client does not answer (it is gone).
${TARGET_HELP}
  --dead                every stream whose connection does not answer a PING
  --probe-timeout D     how long to wait for a PING's answer (default 5s)
  --yes                 do not ask first`,
  detach: `Usage: grpc-streams detach (--inspect HOST:PORT | --pid PID)

Removes the agent from the process: every hook, timer and record.
${TARGET_HELP}`,
  lint: '',
  fix: '',
};

const COMMON_VALUES = [...TARGET_FLAGS, '--pprof', '--delve', '--channelz', '--ca', '--server-name', '--idle-threshold', '--probe-timeout'];
const COMMON_SWITCHES = ['--allow-remote', '--json', '--yes', '--probe', '--dead', '--tls', '--help', '-h'];

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError('Refusing to cancel without confirmation: pass --yes.');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((r) => rl.question(`${question} [y/N] `, r));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** A Go read as the list document: the same shape as a Node process's, plus where it was read. */
function goList(tracker: GoCallTracker, read: GoRead, source: 'go-pprof' | 'go-delve', thresholdMs: number, extra: Record<string, unknown>) {
  return { ...toListJson(tracker.snapshot(read), thresholdMs, source), ...extra };
}

function goHead(what: string, goroutines: number, json: ListJson): string {
  const suspects = json.streams.filter((c) => c.suspect).length;
  const n = json.streams.length;
  // A large server is read as groups of identical stacks: count the goroutines they stand for.
  const handlers = json.streams.reduce((sum, c) => sum + (c.goroutines ?? 1), 0);
  const grouped = handlers !== n ? ` in ${n} group${n === 1 ? '' : 's'} of identical stacks` : '';
  return terminalSafe(`${what}  ${json.servers[0]?.library ?? 'grpc-go'}  ${goroutines} goroutines, ${handlers} gRPC handler goroutine${handlers === 1 ? '' : 's'}${grouped}, ${suspects} suspect`);
}

/** list --delve PID: one snapshot through Delve, which halts the process meanwhile. */
async function listDelve(args: ParsedArgs, thresholdMs: number): Promise<number> {
  if (args.values.has('--inspect') || args.values.has('--pid') || args.values.has('--pprof')) throw new UsageError('Give --delve alone, not with --inspect, --pid or --pprof.');
  const pidText = args.values.get('--delve') as string;
  if (!/^\d+$/.test(pidText)) throw new UsageError(`--delve needs a process id, not "${pidText}".`);
  const snap = await readGoDelve(Number(pidText));
  const json = goList(new GoCallTracker('go-delve'), { ...snap }, 'go-delve', thresholdMs, { pausedMs: snap.pausedMs, goroutines: snap.goroutines });
  if (args.switches.has('--json')) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write(`${goHead(`go-delve pid ${snap.pid}  paused ${(snap.pausedMs / 1000).toFixed(1)} s while Delve read it`, snap.goroutines, json)}\n\n${renderGoCalls(json.streams)}\n`);
  return 0;
}

async function readPprof(url: string, tracker: GoCallTracker, thresholdMs: number) {
  const snap = await readGoPprof(url);
  return { snap, json: goList(tracker, { ...snap, pid: 0 }, 'go-pprof', thresholdMs, { url: snap.url, goroutines: snap.goroutines, detail: snap.detail }) };
}

async function listGo(args: ParsedArgs, thresholdMs: number): Promise<number> {
  if (args.values.has('--inspect') || args.values.has('--pid')) throw new UsageError('Give --pprof or --inspect/--pid, not both.');
  if (args.switches.has('--probe')) throw new UsageError('--probe is for Node servers; a Go server is read from its goroutines.');
  const { snap, json } = await readPprof(args.values.get('--pprof') as string, new GoCallTracker('go-pprof'), thresholdMs);
  if (args.switches.has('--json')) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write(`${goHead(`go-pprof ${snap.url}`, snap.goroutines, json)}\n\n${renderGoCalls(json.streams)}\n`);
  return 0;
}

async function watchGo(args: ParsedArgs, thresholdMs: number): Promise<number> {
  const url = args.values.get('--pprof') as string;
  const tty = process.stdout.isTTY === true;
  const tracker = new GoCallTracker('go-pprof');
  let stopped = false;
  process.once('SIGINT', () => { stopped = true; });
  // Polled every 2 s: each read is one HTTP request, and the process is not paused. Waits below
  // the runtime's first minute are measured from the first read that saw them.
  while (!stopped) {
    const { snap, json } = await readPprof(url, tracker, thresholdMs);
    const body = `${goHead(`go-pprof ${snap.url}`, snap.goroutines, json)}  (Ctrl+C to stop)\n\n${renderGoCalls(json.streams)}\n`;
    process.stdout.write(tty ? `\x1b[H\x1b[2J${body}` : `${body}\n`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  return 0;
}

/** --pid of a Go program (its executable says so) means Delve: the same as --delve PID. */
function goPid(args: ParsedArgs): string | null {
  const pid = args.values.get('--pid');
  return pid !== undefined && /^\d+$/.test(pid) && isGoProcess(Number(pid)) ? pid : null;
}

async function list(args: ParsedArgs): Promise<number> {
  const threshold = parseDuration(args.values.get('--idle-threshold') ?? '30s');
  if (args.values.has('--pprof')) return listGo(args, threshold);
  const go = goPid(args);
  if (go !== null && !args.values.has('--delve')) {
    args.values.delete('--pid');
    args.values.set('--delve', go);
  }
  if (args.values.has('--delve')) return listDelve(args, threshold);
  if (args.values.has('--channelz')) return listChannelz(args, threshold);
  const probe = args.switches.has('--probe');
  const probeTimeout = parseDuration(args.values.get('--probe-timeout') ?? '5s');
  const session = await attachFromArgs(args, false);
  try {
    let packed = session.initialPacked;
    if (probe) {
      await session.probeAll(probeTimeout);
      packed = await session.refreshPacked();
    }
    if (args.switches.has('--json')) {
      writeListJson(packed, threshold, (chunk) => process.stdout.write(chunk));
    } else {
      const json = toListJson(probe ? unpackSnapshot(packed) : session.initialSnapshot, threshold);
      const suspects = json.streams.filter((s) => s.suspect).length;
      const untracked = renderUntracked(session.initialSnapshot.copies);
      process.stdout.write(terminalSafe(`pid ${json.pid}  node ${json.node}  grpc-js ${json.grpcJs.join(', ')}  ${json.streams.length} open streams, ${suspects} suspect`) + '\n');
      if (untracked) process.stdout.write(untracked + '\n');
      process.stdout.write(renderServers(json.servers, threshold) + '\n\n' + renderStreams(json.streams) + '\n');
    }
  } finally {
    await session.close();
  }
  return 0;
}

async function watch(args: ParsedArgs): Promise<number> {
  const threshold = parseDuration(args.values.get('--idle-threshold') ?? '30s');
  if (args.values.has('--pprof')) return watchGo(args, threshold);
  if (args.values.has('--delve') || goPid(args) !== null) throw new UsageError('Delve halts the process while it reads: take snapshots with list --delve, or watch a server that serves pprof with --pprof.');
  if (args.values.has('--channelz')) return watchChannelz(args, threshold);
  // A connection is PINGed once one of its streams has been silent for the threshold.
  const session = await attachFromArgs(args, true, { idleMs: threshold, timeoutMs: parseDuration(args.values.get('--probe-timeout') ?? '5s') });
  const store = new StreamStore(session.initialSnapshot);
  session.onDelta((d) => store.apply(d));
  session.onSnapshot((snap) => store.reset(snap));
  // On a terminal the table is redrawn in place; into a pipe or file each frame follows the last.
  const tty = process.stdout.isTTY === true;
  const draw = (): void => {
    const health = session.currentHealth;
    const frozen = health.state !== 'ok';
    const now = store.now();
    const streams = judgeAll(store.streams.values(), store.servers, now, threshold);
    const suspects = streams.filter((s) => s.suspect).length;
    const head = terminalSafe(`grpc-streams watch  ${session.label}  pid ${store.pid}  ${streams.length} open, ${suspects} suspect  (Ctrl+C to stop)`);
    const banner = frozen ? `\n${staleBanner(health)}` : '';
    const body = `${head}${banner}\n${renderServers([...store.servers.values()], threshold)}\n\n${renderStreams(streams)}\n`;
    process.stdout.write(tty ? `\x1b[H\x1b[2J${body}` : `${body}\n`);
  };
  draw();
  // While the process does not answer, the last table stays with the banner: idle times would
  // only grow from our clock and blame the clients.
  const timer = setInterval(() => {
    if (session.currentHealth.state === 'ok') draw();
  }, 1000);
  return new Promise<number>((resolve) => {
    let stopped = false;
    const stop = (code: number, message?: string): void => {
      // Closing the session reports its own close: the first reason to stop is the one kept.
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      void session.close().finally(() => {
        if (message) process.stderr.write(message + '\n');
        resolve(code);
      });
    };
    process.once('SIGINT', () => stop(0));
    session.onHealth((h) => {
      draw();
      if (h.state === 'agent-gone') stop(1, 'grpc-streams: the agent was removed from the process (another client detached it); run watch again to re-attach.');
    });
    session.onClose((reason) => stop(reason === 'detached' ? 0 : 1, `grpc-streams: the process went away (${reason}).`));
  });
}

function staleBanner(h: SessionHealth): string {
  if (h.state === 'agent-gone') return '(!) the agent was removed from the process: this table is no longer updated';
  if (h.state === 'not-answering') return '(!) the process is not answering (stopped, at a breakpoint, or busy): this table is stale';
  return '';
}

/** cancel --dead: PING every connection, then end the streams of those that do not answer. */
async function cancelDead(args: ParsedArgs): Promise<number> {
  const session = await attachFromArgs(args, false);
  try {
    await session.probeAll(parseDuration(args.values.get('--probe-timeout') ?? '5s'));
    const dead = (await session.refresh()).streams.filter((s) => s.liveness === 'dead');
    if (dead.length === 0) {
      process.stdout.write(`No dead streams in process ${session.pid}: every client with an open stream answered its PING.\n`);
      return 0;
    }
    const connections = new Set(dead.map((s) => s.connectionId)).size;
    if (!args.switches.has('--yes')) {
      const ok = await confirm(`Cancel ${dead.length} stream${dead.length === 1 ? '' : 's'} on ${connections} connection${connections === 1 ? '' : 's'} whose client does not answer a PING?`);
      if (!ok) {
        process.stderr.write('Not cancelled.\n');
        return 1;
      }
    }
    const r = await session.cancelDead();
    process.stdout.write(`Cancelled ${r.cancelled.length} dead stream${r.cancelled.length === 1 ? '' : 's'}: ${terminalSafe(r.cancelled.join(', '))}.\n`);
    for (const f of r.failed) process.stderr.write(`grpc-streams: ${terminalSafe(f.error)}\n`);
    return r.failed.length > 0 ? 1 : 0;
  } finally {
    await session.close();
  }
}

async function cancel(args: ParsedArgs): Promise<number> {
  const id = args.positionals[0];
  if (goPid(args) !== null || args.values.has('--pprof') || args.values.has('--delve')) throw new AttachError('bad-input', cancelUnavailable({ source: 'go-pprof' }) as string);
  if (args.switches.has('--dead')) {
    if (id) throw new UsageError('Give either a STREAM_ID or --dead, not both.');
    return cancelDead(args);
  }
  if (!id) throw new UsageError('Say which stream: grpc-streams cancel STREAM_ID --inspect HOST:PORT, or --dead.');
  const session = await attachFromArgs(args, false);
  try {
    const snap = session.initialSnapshot;
    const foreign = foreignStreamId(id, snap.pid, snap.epoch);
    if (foreign) throw new AttachError('bad-input', foreign);
    const stream = snap.streams.find((s) => s.id === id);
    if (!stream) throw new AttachError('bad-input', `There is no open stream ${id} in process ${snap.pid}: it has ended (run grpc-streams list).`);
    const what = terminalSafe(`${stream.method} from ${stream.peer}`);
    if (!args.switches.has('--yes')) {
      const ok = await confirm(`Cancel stream ${id} (${what})? Its client gets CANCELLED.`);
      if (!ok) {
        process.stderr.write('Not cancelled.\n');
        return 1;
      }
    }
    const r = await session.cancel(id);
    if (!r.ok) throw new AttachError('bad-input', r.error ?? `Could not cancel ${id}.`);
    const how = r.how === 'reset' ? 'its HTTP/2 stream was reset, as its client is not reading; the client gets CANCELLED when it reads again' : 'its client got CANCELLED';
    process.stdout.write(`Cancelled ${id} (${what}): the call has ended; ${how}.\n`);
    return 0;
  } finally {
    await session.close();
  }
}

async function detach(args: ParsedArgs): Promise<number> {
  const session = await attachFromArgs(args, false);
  await session.detachAgent();
  process.stdout.write(`Detached from process ${session.initialSnapshot.pid}: the agent removed its hooks.\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    // Asked for: help on stdout. No command at all is a usage error: help on stderr, exit 2.
    (command ? process.stdout : process.stderr).write(HELP.main + '\n');
    return command ? 0 : 2;
  }
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`grpc-streams: unknown command "${command}". Run grpc-streams --help.\n`);
    return 2;
  }
  try {
    if (command === 'lint') return await loadAnalysis().runLint(rest);
    if (command === 'fix') return await loadAnalysis().runFix(rest);
    const args = parseArgs(rest, COMMON_VALUES, COMMON_SWITCHES);
    if (args.switches.has('--help') || args.switches.has('-h')) {
      process.stdout.write(HELP[command] + '\n');
      return 0;
    }
    switch (command) {
      case 'list': return await list(args);
      case 'watch': return await watch(args);
      case 'cancel': return await cancel(args);
      case 'detach': return await detach(args);
    }
    return 2;
  } catch (e) {
    if (isUsageError(e)) {
      process.stderr.write(`grpc-streams ${command}: ${errorMessage(e)}\n`);
      return 2;
    }
    process.stderr.write(`grpc-streams: ${errorMessage(e)}\n`);
    return 1;
  }
}

/**
 * A closed pipe (`| head`) is not an error: what follows is dropped and the command finishes as
 * usual, so what it opened (an inspector, a binding) is still closed.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stream.write = (() => true) as typeof stream.write;
  });
}

if (require.main === module) {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`grpc-streams: ${errorMessage(e)}\n`);
      process.exitCode = 1;
    },
  );
}
