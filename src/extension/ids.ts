// Every command, view, setting and context-key id in one place; package.json must match
// (test/manifest.test.js checks both directions).

export const ViewIds = {
  container: 'grpcStreams',
  streams: 'grpcStreams.streams',
} as const;

export const CommandIds = {
  attachToProcess: 'grpcStreams.attachToProcess',
  attachToAddress: 'grpcStreams.attachToAddress',
  attachToGoPprof: 'grpcStreams.attachToGoPprof',
  attachToChannelz: 'grpcStreams.attachToChannelz',
  detach: 'grpcStreams.detach',
  reattach: 'grpcStreams.reattach',
  refresh: 'grpcStreams.refresh',
  cancelStream: 'grpcStreams.cancelStream',
  goToHandler: 'grpcStreams.goToHandler',
  copyStreamDetails: 'grpcStreams.copyStreamDetails',
  exportSnapshot: 'grpcStreams.exportSnapshot',
  showDashboard: 'grpcStreams.showDashboard',
  focusView: 'grpcStreams.focusView',
  probeConnections: 'grpcStreams.probeConnections',
  cancelDeadStreams: 'grpcStreams.cancelDeadStreams',
  groupByConnection: 'grpcStreams.groupByConnection',
  groupByMethod: 'grpcStreams.groupByMethod',
} as const;

export const ContextKeys = {
  attached: 'grpcStreams.attached',
  /** 'method' or 'connection': how the Streams view lists a server's streams. */
  groupBy: 'grpcStreams.groupBy',
} as const;

/** Keys of what the extension remembers (workspaceState). */
export const StateKeys = {
  grouping: 'grpcStreams.grouping',
} as const;

/** contextValue of tree items, used in `when` clauses of menus. */
export const ItemContext = {
  process: 'grpcStreams.process',
  /** A process whose agent another client removed: offers Re-attach. */
  processAgentGone: 'grpcStreams.process.agentGone',
  /** A Go server read from its goroutines: no Probe, no Cancel Dead Streams. */
  processGo: 'grpcStreams.process.go',
  /** A channelz admin address: Refresh and Detach only. */
  processChannelz: 'grpcStreams.process.channelz',
  server: 'grpcStreams.server',
  method: 'grpcStreams.method',
  connection: 'grpcStreams.connection',
  /** A connection that channelz reports (no streams under it). */
  connectionChannelz: 'grpcStreams.connection.channelz',
  stream: 'grpcStreams.stream',
  /** A Go handler goroutine: Cancel is shown disabled (package.json enablement). */
  streamGo: 'grpcStreams.stream.go',
  more: 'grpcStreams.more',
} as const;

export const ConfigSection = 'grpcStreams';

export const Settings = {
  idleWarningSeconds: 'idleWarningSeconds',
  suspectAfterSeconds: 'suspectAfterSeconds',
  refreshIntervalMs: 'refreshIntervalMs',
  pollIntervalSeconds: 'pollIntervalSeconds',
  allowRemoteInspector: 'allowRemoteInspector',
  autoAttach: 'autoAttach',
  maxStreamsPerMethod: 'maxStreamsPerMethod',
  diagnosticsEnabled: 'diagnostics.enabled',
  diagnosticsSeverity: 'diagnostics.severity',
  diagnosticsRules: 'diagnostics.rules',
  fixIdleTimeoutMs: 'fix.idleTimeoutMs',
  fixKeepaliveTimeMs: 'fix.keepaliveTimeMs',
  fixKeepaliveTimeoutMs: 'fix.keepaliveTimeoutMs',
  probeEnabled: 'probe.enabled',
  probeTimeoutSeconds: 'probe.timeoutSeconds',
  probeMinIntervalSeconds: 'probe.minIntervalSeconds',
} as const;

export const OUTPUT_CHANNEL_NAME = 'gRPC Streams';
