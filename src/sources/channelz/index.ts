// Entry of dist/channelz.js: the channelz source with grpc-js, loaded only when asked for, so
// that the CLI's Node source starts without it.
export { ChannelzClient } from './channelzClient';
export type { ChannelzSnapshot, ChannelzTarget } from './channelzClient';
export { judgeConnection } from './connections';
export type { ChannelzConnection, ChannelzServer, JudgedConnection } from './connections';
export { ownLocalPorts } from './ownConnection';
