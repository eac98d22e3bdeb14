import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Logger } from '../logging/logger.js';
import { PORT_IN_USE_EXIT_CODE, StartupError } from './startup-error.js';

/** How long a listen keeps trying a port blocked by closed connections (TIME_WAIT), and how often. */
export interface ListenRetryOptions {
  /** Give up after this long, in ms. Linux keeps TIME_WAIT sockets for 60 s. */
  retryForMs: number;
  /** Pause between tries, in ms. */
  retryEveryMs: number;
}

export const DEFAULT_LISTEN_RETRY: ListenRetryOptions = { retryForMs: 90_000, retryEveryMs: 500 };

export { PORT_IN_USE_EXIT_CODE } from './startup-error.js';

/** Another process listens on the port: retrying would not help, and sharing it must never happen. */
export class PortInUseError extends StartupError {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      'PORT_IN_USE',
      `port ${port} on ${host} is in use by another process (is another worker or balancer running there?); stop it or choose another --port`,
      PORT_IN_USE_EXIT_CODE,
    );
    this.name = 'PortInUseError';
  }
}

/**
 * Whether a live listener holds host:port. Node's listen sets SO_REUSEADDR and no SO_REUSEPORT, so it
 * fails with EADDRINUSE only for a listener, never for connections of a previous run left in TIME_WAIT.
 */
export async function isPortListened(host: string, port: number): Promise<boolean> {
  const probe = createServer();
  probe.listen({ host, port, exclusive: true });
  try {
    await once(probe, 'listening');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
  }
  probe.close();
  await once(probe, 'close');
  return false;
}

/**
 * Calls `tryListen` until it succeeds. A failure is PortInUseError when a live listener holds the port; otherwise
 * (connections in TIME_WAIT after a restart, which block a listener without SO_REUSEADDR) it is retried until
 * `retry.retryForMs` is over, so a worker restarted by systemd does not fail every start. Port 0 is never retried.
 */
export async function listenWithRetry<T>(
  tryListen: () => Promise<T | undefined>,
  where: { host: string; port: number },
  logger: Logger,
  retry: ListenRetryOptions = DEFAULT_LISTEN_RETRY,
): Promise<T> {
  const { host, port } = where;
  const deadline = Date.now() + retry.retryForMs;
  let warned = false;
  for (;;) {
    const listening = await tryListen();
    if (listening !== undefined) {
      if (warned) logger.info({ host, port }, 'port free again; listening');
      return listening;
    }
    if (port !== 0 && (await isPortListened(host, port))) throw new PortInUseError(host, port);
    if (port === 0 || Date.now() + retry.retryEveryMs > deadline) throw new Error(`cannot listen on ${host}:${port} (port in use or address unavailable)`);
    if (!warned) logger.warn({ host, port, retryForMs: retry.retryForMs }, 'port in use (perhaps by connections of a previous run); retrying');
    warned = true;
    await new Promise((resolve) => setTimeout(resolve, retry.retryEveryMs));
  }
}
