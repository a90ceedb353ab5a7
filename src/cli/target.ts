// Resolves --inspect / --pid / --allow-remote into an attached AgentSession.
import { join } from 'node:path';
import { parseInspectorAddress } from '../inspector/address';
import { AgentSession } from '../inspector/agentSession';
import { openInspectorOf } from '../inspector/nodeProcesses';
import type { ParsedArgs } from './args';
import { ProgressLine } from './progressLine';
import { UsageError } from './args';

export const TARGET_FLAGS = ['--inspect', '--pid'];

export async function attachFromArgs(args: ParsedArgs, subscribe: boolean): Promise<AgentSession> {
  const inspect = args.values.get('--inspect');
  const pidText = args.values.get('--pid');
  if (!inspect && !pidText) throw new UsageError('Say which process: --inspect HOST:PORT or --pid PID.');
  if (inspect && pidText) throw new UsageError('Give either --inspect or --pid, not both.');
  let address;
  if (pidText) {
    const pid = Number(pidText);
    if (!/^\d+$/.test(pidText)) throw new UsageError(`--pid needs a process id, not "${pidText}".`);
    const port = await openInspectorOf(pid);
    address = { host: '127.0.0.1', port };
  } else {
    address = parseInspectorAddress(inspect as string);
  }
  const progress = new ProgressLine();
  try {
    return await AgentSession.attach({
      address,
      allowRemote: args.switches.has('--allow-remote'),
      agentPath: join(__dirname, 'agent.js'),
      subscribe,
      progress: (step) => progress.step(step),
    });
  } finally {
    progress.done();
  }
}
