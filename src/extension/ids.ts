// Every command, view, setting and context-key id in one place; package.json must match
// (test/manifest.test.js checks both directions).

export const ViewIds = {
  container: 'grpcStreams',
  streams: 'grpcStreams.streams',
} as const;

export const CommandIds = {
  attachToProcess: 'grpcStreams.attachToProcess',
  attachToAddress: 'grpcStreams.attachToAddress',
  detach: 'grpcStreams.detach',
  reattach: 'grpcStreams.reattach',
  refresh: 'grpcStreams.refresh',
  cancelStream: 'grpcStreams.cancelStream',
  goToHandler: 'grpcStreams.goToHandler',
  copyStreamDetails: 'grpcStreams.copyStreamDetails',
  exportSnapshot: 'grpcStreams.exportSnapshot',
  showDashboard: 'grpcStreams.showDashboard',
  focusView: 'grpcStreams.focusView',
} as const;

export const ContextKeys = {
  attached: 'grpcStreams.attached',
} as const;

/** contextValue of tree items, used in `when` clauses of menus. */
export const ItemContext = {
  process: 'grpcStreams.process',
  /** A process whose agent another client removed: offers Re-attach. */
  processAgentGone: 'grpcStreams.process.agentGone',
  server: 'grpcStreams.server',
  method: 'grpcStreams.method',
  stream: 'grpcStreams.stream',
  more: 'grpcStreams.more',
} as const;

export const ConfigSection = 'grpcStreams';

export const Settings = {
  idleWarningSeconds: 'idleWarningSeconds',
  suspectAfterSeconds: 'suspectAfterSeconds',
  refreshIntervalMs: 'refreshIntervalMs',
  allowRemoteInspector: 'allowRemoteInspector',
  autoAttach: 'autoAttach',
  maxStreamsPerMethod: 'maxStreamsPerMethod',
  diagnosticsEnabled: 'diagnostics.enabled',
  diagnosticsSeverity: 'diagnostics.severity',
  diagnosticsRules: 'diagnostics.rules',
  fixIdleTimeoutMs: 'fix.idleTimeoutMs',
  fixKeepaliveTimeMs: 'fix.keepaliveTimeMs',
  fixKeepaliveTimeoutMs: 'fix.keepaliveTimeoutMs',
} as const;

export const OUTPUT_CHANNEL_NAME = 'gRPC Streams';
