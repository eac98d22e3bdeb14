import type { TemplatedApp, us_listen_socket, us_socket } from 'uWebSockets.js';
import type { Logger } from '../../logging/logger.js';
import { listenWithRetry, type ListenRetryOptions } from '../listen-retry.js';
import type { Uws } from './load-uws.js';

/** A listening uWS socket and the port it got. */
export interface Listening {
  socket: us_listen_socket;
  port: number;
}

/** LIBUS_LISTEN_EXCLUSIVE_PORT: without it uSockets sets SO_REUSEPORT, and a second worker on the port would share it. */
const EXCLUSIVE_PORT = 1;

/**
 * Listens on host:port with an exclusive port. This uWS build sets no SO_REUSEADDR on its listen socket, so after
 * a restart the connections the old process closed (TIME_WAIT, 60 s on Linux) block the port: that case is retried
 * (see listenWithRetry); a port another process listens on rejects with PortInUseError at once.
 */
export function listen(uws: Uws, app: TemplatedApp, host: string, port: number, logger: Logger, retry?: ListenRetryOptions): Promise<Listening> {
  const tryListen = () =>
    new Promise<Listening | undefined>((resolve) => {
      // The typings give the options overload without a host; the binary takes (host, port, options, cb).
      const listenWithOptions = app.listen as unknown as (h: string, p: number, o: number, cb: (s: us_listen_socket | false) => void) => void;
      listenWithOptions.call(app, host, port, EXCLUSIVE_PORT, (socket) =>
        resolve(socket ? { socket, port: uws.us_socket_local_port(socket as unknown as us_socket) } : undefined),
      );
    });
  return listenWithRetry(tryListen, { host, port }, logger, retry);
}
