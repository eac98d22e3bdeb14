import { readFileSync } from 'node:fs';

/** Bytes the kernel can hold for a client that stopped reading: the server's largest send buffer and the client's receive buffer. */
export function socketBufferBytes(): number {
  try {
    const max = (file: string, field: number) => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[field]);
    return max('/proc/sys/net/ipv4/tcp_wmem', 2) + max('/proc/sys/net/ipv4/tcp_rmem', 1);
  } catch {
    return 8 * 1024 * 1024;
  }
}
