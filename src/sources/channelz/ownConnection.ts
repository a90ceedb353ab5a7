// Our own channelz polls run on a connection of their own, which the server lists with the rest:
// its local ports (Linux: this process's sockets in /proc/net/tcp) tell which one to leave out.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Local ports of this process's established TCP connections to `remotePort`. */
export function ownLocalPorts(remotePort: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch { /* closed meanwhile */ }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '01' || !inodes.has(cols[9])) continue; // 01 = ESTABLISHED
      if (parseInt(cols[2].split(':')[1], 16) === remotePort) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}
