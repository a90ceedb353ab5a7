// Entry of dist/channelz.js: the channelz source with grpc-js, loaded only when asked for, so
// that the CLI's Node source starts without it.
export { ChannelzClient } from './channelzClient';
export type { ChannelzSnapshot, ChannelzTarget } from './channelzClient';
export { connectionDescription, judgeConnection, lacksMessageTimes, trackConnections } from './connections';
export type { ChannelzConnection, ChannelzServer, JudgedConnection, LiveConnection, Seen } from './connections';
export { ChannelzPoller } from './channelzPoller';
export { ownLocalPorts } from './ownConnection';
