// npm run bench: every performance target of the issues, measured once and printed as ratios and
// times. Machines here are shared and noisy: these are records for the README, not assertions.
//   node bench/run.mjs [agent|streams|memory|attach|probe|lint|dashboard|extension|go|channelz|diagnostics|vanished ...] [--quick] [--json]
import { agentOverhead, printAgentOverhead } from './agentOverhead.mjs';
import { attachBench, printAttach } from './attach.mjs';
import { dashboardBench, printDashboard } from './dashboard.mjs';
import { diagnosticsBench, extensionBench, printDiagnostics, printExtension } from './extension.mjs';
import { channelzBench, printChannelz } from './channelz.mjs';
import { goLiveBench, printGoLive } from './goLive.mjs';
import { killAll } from './lib.mjs';
import { lintBench, printLint } from './lint.mjs';
import { manyStreams, memoryFlat, printManyStreams, printMemoryFlat } from './manyStreams.mjs';
import { printProbe, probeBench } from './probe.mjs';
import { printVanishedClient, vanishedClientBench } from './vanishedClient.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const all = wanted.length === 0;
const results = {};
try {
  if (all || wanted.includes('agent')) printAgentOverhead((results.agent = await agentOverhead(quick ? { rounds: 2, messages: 20000, skipCallgrind: true } : {})));
  if (all || wanted.includes('streams')) printManyStreams((results.streams = await manyStreams()));
  if (all || wanted.includes('memory')) printMemoryFlat((results.memory = await memoryFlat()));
  if (all || wanted.includes('attach')) printAttach((results.attach = await attachBench()));
  if (all || wanted.includes('probe')) printProbe((results.probe = await probeBench()));
  if (all || wanted.includes('lint')) printLint((results.lint = await lintBench()));
  if (all || wanted.includes('dashboard')) printDashboard((results.dashboard = await dashboardBench()));
  if (all || wanted.includes('extension')) printExtension((results.extension = await extensionBench()));
  if (all || wanted.includes('go')) printGoLive((results.go = await goLiveBench()));
  if (all || wanted.includes('channelz')) printChannelz((results.channelz = await channelzBench()));
  if (all || wanted.includes('diagnostics')) printDiagnostics((results.diagnostics = await diagnosticsBench()));
  if (all || wanted.includes('vanished')) printVanishedClient((results.vanished = await vanishedClientBench()));
} finally {
  killAll();
}
if (args.includes('--json')) console.log(JSON.stringify(results, null, 2));
process.exit(0);
