import type { us_listen_socket } from 'uWebSockets.js';
import type { Transport, TransportServer } from '../transport.js';
import { listen } from './listen.js';
import type { Uws } from './load-uws.js';
import { UwsExchange } from './uws-exchange.js';
import { attachStreamRoute } from './websocket-route.js';

/** The uWebSockets.js adapter over a loaded native module (see loadNativeUws). */
export function createUwsTransport(uws: Uws): Transport {
  return {
    name: 'uws',
    async serve(options): Promise<TransportServer> {
      const app = uws.App();
      const stream = attachStreamRoute(app, options.stream);
      app.any('/*', (res, req) => options.http(new UwsExchange(res, req)));
      const listening = await listen(uws, app, options.host, options.port, options.logger, options.retry);
      let socket: us_listen_socket | undefined = listening.socket;
      return {
        port: listening.port,
        get connections() {
          return stream.connections;
        },
        closeAll: (code, reason) => stream.closeAll(code, reason),
        stopListening() {
          if (socket) uws.us_listen_socket_close(socket);
          socket = undefined;
        },
      };
    },
  };
}
