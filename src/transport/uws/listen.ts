import uWS from 'uWebSockets.js';
import type { Logger } from '../../logging/logger.js';

/** How long `listen` keeps trying a port in use, and how often. */
export interface ListenRetryOptions {
  /** Give up after this long, in ms. Linux keeps TIME_WAIT sockets for 60 s. */
  retryForMs: number;
  /** Pause between tries, in ms. */
  retryEveryMs: number;
}

export const DEFAULT_LISTEN_RETRY: ListenRetryOptions = { retryForMs: 90_000, retryEveryMs: 500 };

/** A listening uWS socket and the port it got. */
export interface Listening {
  socket: uWS.us_listen_socket;
  port: number;
}

/**
 * Listens on host:port, retrying while the port is in use. This uWS build sets no SO_REUSEADDR on its
 * listen socket, so after a restart the connections the old process closed (TIME_WAIT, 60 s on Linux)
 * block the port; without retrying, a crashed worker restarted by systemd (RestartSec=10) fails every
 * start until StartLimitBurst gives up on it. Port 0 is never retried. Rejects when the time is up.
 */
export function listen(app: uWS.TemplatedApp, host: string, port: number, logger: Logger, retry: ListenRetryOptions = DEFAULT_LISTEN_RETRY): Promise<Listening> {
  const deadline = Date.now() + retry.retryForMs;
  let warned = false;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      app.listen(host, port, (socket) => {
        if (socket) {
          if (warned) logger.info({ host, port }, 'port free again; listening');
          resolve({ socket, port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket) });
          return;
        }
        if (port === 0 || Date.now() + retry.retryEveryMs > deadline) {
          reject(new Error(`cannot listen on ${host}:${port} (port in use or address unavailable)`));
          return;
        }
        if (!warned) logger.warn({ host, port, retryForMs: retry.retryForMs }, 'port in use (perhaps by connections of a previous run); retrying');
        warned = true;
        setTimeout(attempt, retry.retryEveryMs);
      });
    };
    attempt();
  });
}
