import type { Logger } from '../logging/logger.js';
import { notifySystemd } from './systemd-notify.js';

/** What a server must offer to be drained: both the worker and the balancer do. */
export interface Drainable {
  startDraining(): void;
  whenIdle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** How often a drain checks whether the last request has finished, in ms. */
const IDLE_POLL_MS = 50;

/** Resolves once `busy()` is false, or after `timeoutMs`: the drain's wait for running requests. */
export async function waitUntilIdle(busy: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
}

/**
 * On SIGTERM or SIGINT: stop taking work, tell systemd, let running requests finish for up to
 * `drainTimeoutSec`, close, and exit 0. A shutdown that itself fails exits 1 instead of hanging.
 */
export function drainOnSignals(server: Drainable, options: { drainTimeoutSec: number; logger: Logger }): void {
  const { logger, drainTimeoutSec } = options;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainTimeoutSec }, 'draining');
    server.startDraining();
    void notifySystemd({ stopping: true, status: 'draining' }, logger);
    await server.whenIdle(drainTimeoutSec * 1000);
    await server.close();
    logger.info('stopped');
    logger.flush();
    setImmediate(() => process.exit(0));
  };
  const onSignal = (signal: string) =>
    void stop(signal).catch((err: unknown) => {
      console.error('shutdown failed:', err);
      process.exit(1);
    });
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
