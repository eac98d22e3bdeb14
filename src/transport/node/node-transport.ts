import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STREAM_PATH } from '../../protocol/messages.js';
import { PortInUseError } from '../listen-retry.js';
import type { Transport, TransportServer } from '../transport.js';
import { NodeExchange } from './node-exchange.js';
import { createNodeStreamRoute } from './websocket-route.js';

async function listenExclusive(server: Server, host: string, port: number): Promise<number> {
  // node:http sets no SO_REUSEPORT unless asked (reusePort), so a port another process listens on fails here;
  // it sets SO_REUSEADDR, so connections of a previous run in TIME_WAIT never block it and nothing is retried.
  server.listen({ host, port, exclusive: true });
  try {
    await once(server, 'listening');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(host, port);
    throw new Error(`cannot listen on ${host}:${port} (${(err as Error).message})`);
  }
  return (server.address() as AddressInfo).port;
}

/** The `ws` + `node:http` adapter: runs on every Node version, at some cost in CPU and memory per connection. */
export function createNodeTransport(): Transport {
  return {
    name: 'node',
    async serve(options): Promise<TransportServer> {
      const stream = createNodeStreamRoute(options.stream);
      const server = createServer({ noDelay: true }, (req, res) => options.http(new NodeExchange(req, res)));
      server.on('upgrade', (req, socket, head) => {
        const path = (req.url ?? '').split('?')[0];
        if (path === STREAM_PATH) stream.upgrade(req, socket, head);
        else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      });
      // A request Node's parser refuses (a control character in a header, …) is answered 400 as uWS does;
      // a reset or a timeout gets nothing.
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
        if (socket.writable && err.code?.startsWith('HPE_')) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        else socket.destroy();
      });
      const port = await listenExclusive(server, options.host, options.port);
      return {
        port,
        get connections() {
          return stream.connections;
        },
        closeAll: (code, reason) => stream.closeAll(code, reason),
        stopListening() {
          server.close();
          // Idle keep-alive connections would hold the process open after a close.
          server.closeIdleConnections();
        },
      };
    },
  };
}
