// npm run demo: a small gRPC server with its inspector open on loopback, clients that open each
// kind of stream, and one client that freezes (SIGSTOP) so its stream turns suspect.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const FIX = path.join(__dirname, '..', 'test', 'fixtures');
const INSPECT = process.env.DEMO_INSPECT || '127.0.0.1:9229';
const GRPC_PORT = process.env.DEMO_PORT || '50051';
const children = [];

function run(args, opts = {}) {
  const c = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  children.push(c);
  return c;
}

function lines(child, onEvent) {
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      onEvent(JSON.parse(l));
    } catch {
      /* not ours */
    }
  });
}

function stop() {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGCONT'); } catch {}
    try { c.kill('SIGKILL'); } catch {}
  }
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const server = run([`--inspect=${INSPECT}`, path.join(FIX, 'server.js')], { env: { ...process.env, PORT: GRPC_PORT } });
lines(server, (e) => {
  if (e.event === 'listening') start(e.port);
  else if (e.event === 'cancelled' && e.method !== 'Get') console.log(`server: the ${e.method} handler saw 'cancelled'`);
  else if (e.event === 'error') console.error(`server: ${e.message}`);
});

function start(port) {
  const client = (kinds, extra = []) => run([path.join(FIX, 'client.js'), String(port), kinds, ...extra]);
  client('chat,watch', ['--chat-every', '1000', '--watch-every', '1000']);
  client('upload', ['--messages', '5']);
  const vanishing = client('upload,chat');
  lines(vanishing, (e) => {
    if (e.event !== 'ready') return;
    process.kill(vanishing.pid, 'SIGSTOP');
    console.log(`client ${vanishing.pid} froze (SIGSTOP): its Upload and Chat streams stay open and turn suspect after 60 s.`);
  });
  setInterval(() => client('get', ['--get-delay', '200']).on('exit', () => undefined), 5000).unref();
  console.log(`
gRPC Stream Debugger demo
  gRPC server   127.0.0.1:${port}   (no keepalive, like most servers)
  inspector     ${INSPECT}

In VS Code: run "gRPC Streams: Attach to Inspector Address…" and enter ${INSPECT},
or "Attach to Process…" and pick the server. From a terminal:
  node dist/cli.js watch --inspect ${INSPECT}

Ctrl+C stops the demo.
`);
}
