// What reading channelz costs with 1,000 client connections on a real grpc-go server (the test
// fixture with CHANNELZ=1): one full poll (GetServers, every GetServerSockets page, a GetSocket per
// connection) in this process, and `grpc-streams list --channelz --json` end to end.
import { performance } from 'node:perf_hooks';
import { CLI, ROOT, buildIngest, fmt, median, require, run, start } from './lib.mjs';

const CONNECTIONS = 1000;

export async function channelzBench() {
  const bin = buildIngest('bench-channelz');
  const server = start(bin, ['server'], { env: { ...process.env, CHANNELZ: '1' } });
  const { port } = await server.waitFor((e) => e.event === 'listening');
  const clients = start(process.execPath, ['-e', `
    const grpc = require('@grpc/grpc-js');
    let ready = 0;
    for (let i = 0; i < ${CONNECTIONS}; i++) {
      const c = new grpc.Client('127.0.0.1:${port}', grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      c.waitForReady(Date.now() + 60000, (e) => { if (e) throw e; if (++ready === ${CONNECTIONS}) console.log(JSON.stringify({ event: 'ready' })); });
    }
    setInterval(() => {}, 1000);`], { cwd: ROOT });
  try {
    await clients.waitFor((e) => e.event === 'ready');
    const { ChannelzClient } = require('../out/src/sources/channelz/channelzClient.js');
    const client = new ChannelzClient({ address: `127.0.0.1:${port}` });
    const polls = [];
    let seen = 0;
    try {
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const snap = await client.read();
        polls.push(performance.now() - t);
        seen = snap.connections.length;
      }
    } finally {
      client.close();
    }
    if (seen < CONNECTIONS) throw new Error(`channelz listed ${seen} of ${CONNECTIONS} connections`);
    const cli = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await run(process.execPath, [CLI, 'list', '--channelz', `127.0.0.1:${port}`, '--json']);
      cli.push(performance.now() - t);
      if (r.err) throw new Error(`list --channelz failed: ${r.stderr}`);
      const n = JSON.parse(r.stdout).connections.length;
      if (n < CONNECTIONS) throw new Error(`list --channelz listed ${n} of ${CONNECTIONS}`);
    }
    return { connections: seen, pollMs: median(polls), listJsonMs: median(cli) };
  } finally {
    clients.kill();
    server.kill();
  }
}

export function printChannelz(r) {
  console.log(`\nchannelz of a grpc-go server with ${r.connections} client connections (medians)`);
  console.log(`  one full poll (all pages, a GetSocket each): ${fmt(r.pollMs, 0)} ms; list --channelz --json end to end: ${fmt(r.listJsonMs, 0)} ms`);
}
