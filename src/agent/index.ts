// Entry of dist/agent.js. Loaded with `node --require dist/agent.js` it starts tracking at once;
// evaluated through the inspector it only installs itself, and the client then calls attach().
// One agent per process: a guarded, versioned global, so a second attach reuses it.
import { AGENT_GLOBAL_KEY, AGENT_VERSION, type AgentApi } from './protocol';
import { StreamAgent } from './streamAgent';

declare const module: { exports: unknown } | undefined;
declare const require: unknown;

function install(): AgentApi | undefined {
  const key = Symbol.for(AGENT_GLOBAL_KEY);
  const g = globalThis as unknown as Record<symbol, AgentApi | undefined>;
  const existing = g[key];
  if (existing && existing.version >= AGENT_VERSION) return existing;
  if (existing) {
    try { existing.detach(); } catch { /* an older agent that cannot detach is simply replaced */ }
  }
  const agent = new StreamAgent(() => {
    if (g[key] === agent) delete g[key];
  });
  g[key] = agent;
  return agent;
}

try {
  const agent = install();
  if (agent && typeof module === 'object' && module && typeof require === 'function') {
    module.exports = agent;
    agent.attach({ require });
  }
} catch (e) {
  // The agent must never break the process it lives in.
  try { process.emitWarning(`gRPC Stream Debugger agent did not start: ${e instanceof Error ? e.message : String(e)}`); } catch { /* ignore */ }
}
