import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP forwarder in front of a port, whose connections a test can cut at will, as a flaky network would. */
export interface TcpRelay {
  readonly port: number;
  /** Destroys every connection open through the relay now (no FIN handshake); returns how many it cut. */
  cutAll(): number;
  close(): Promise<void>;
}

/** Starts a relay on a free loopback port forwarding to 127.0.0.1:`targetPort`. */
export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    cutAll() {
      const cut = pairs.size;
      // resetAndDestroy sends RST where available, so the far end sees the link vanish, not close.
      for (const [client, upstream] of [...pairs]) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      return cut;
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}
