// Our own channelz polls run on a connection of their own, which the server lists with the rest:
// its local ports (Linux: this process's sockets in /proc/net/tcp) tell which one to leave out.
import { socketInodesOf, tcpRows } from '../../inspector/nodeProcesses';

/** Local ports of this process's established TCP connections to `remotePort`. */
export function ownLocalPorts(remotePort: number): Set<number> {
  const inodes = socketInodesOf('self');
  const ports = new Set<number>();
  for (const r of tcpRows()) {
    // 01 = ESTABLISHED
    if (r.state === '01' && inodes.has(r.inode) && r.remotePort === remotePort) ports.add(r.localPort);
  }
  return ports;
}
