// Resolves --inspect / --pid / --allow-remote into an attached AgentSession.
import { join } from 'node:path';
import { parseInspectorAddress, type InspectorAddress } from '../inspector/address';
import { AgentSession } from '../inspector/agentSession';
import { AttachError } from '../inspector/errors';
import { childProcessHint, openInspectorOf } from '../inspector/nodeProcesses';
import type { ParsedArgs } from './args';
import type { ProbeSettings } from '../agent/protocol';
import { ProgressLine } from './progressLine';
import { UsageError } from './args';

export const TARGET_FLAGS = ['--inspect', '--pid'];

export async function attachFromArgs(args: ParsedArgs, subscribe: boolean, probe?: Partial<ProbeSettings>): Promise<AgentSession> {
  const inspect = args.values.get('--inspect');
  const pidText = args.values.get('--pid');
  if (!inspect && !pidText) throw new UsageError('Say which process: --inspect HOST:PORT or --pid PID.');
  if (inspect && pidText) throw new UsageError('Give either --inspect or --pid, not both.');
  let address: InspectorAddress;
  let opened = false;
  if (pidText) {
    if (!/^\d+$/.test(pidText)) throw new UsageError(`--pid needs a process id, not "${pidText}".`);
    const inspector = await openInspectorOf(Number(pidText));
    address = { host: '127.0.0.1', port: inspector.port };
    opened = inspector.opened;
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
      probe,
      progress: (step) => progress.step(step),
      // An inspector this command opened is closed again when it is done.
      closeInspectorOnClose: opened,
      warn: (message) => process.stderr.write(`grpc-streams: ${message}\n`),
    });
  } catch (e) {
    if (pidText && e instanceof AttachError && e.code === 'no-grpc') {
      const hint = childProcessHint(Number(pidText));
      if (hint) throw new AttachError('no-grpc', e.message + hint);
    }
    throw e;
  } finally {
    progress.done();
  }
}
