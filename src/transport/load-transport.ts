import type { Logger } from '../logging/logger.js';
import { StartupError, TRANSPORT_UNAVAILABLE_EXIT_CODE } from './startup-error.js';
import type { Transport, TransportChoice } from './transport.js';

/** The adapter asked for, and why `auto` chose it. */
export interface LoadedTransport {
  transport: Transport;
  /** Why uws was not used, when auto fell back to node. */
  fallbackReason?: string;
}

/**
 * Loads the adapter `choice` names; `auto` takes uws where its native binary loads, node otherwise. Both are
 * imported here on demand, so loading the project never touches uWebSockets.js. Throws StartupError
 * TRANSPORT_UNAVAILABLE when `uws` is asked for and cannot load.
 */
export async function loadTransport(choice: TransportChoice): Promise<LoadedTransport> {
  if (choice !== 'node') {
    const { loadNativeUws } = await import('./uws/load-uws.js');
    const load = loadNativeUws();
    if (load.ok) {
      const { createUwsTransport } = await import('./uws/uws-transport.js');
      return { transport: createUwsTransport(load.uws) };
    }
    if (choice === 'uws')
      throw new StartupError('TRANSPORT_UNAVAILABLE', `--transport uws: ${load.reason}; use --transport node or auto`, TRANSPORT_UNAVAILABLE_EXIT_CODE);
    const { createNodeTransport } = await import('./node/node-transport.js');
    return { transport: createNodeTransport(), fallbackReason: load.reason };
  }
  const { createNodeTransport } = await import('./node/node-transport.js');
  return { transport: createNodeTransport() };
}

/** Logs once which adapter serves, and why auto did not pick uws. */
export function logTransport(loaded: LoadedTransport, logger: Logger): void {
  logger.info(
    { transport: loaded.transport.name, ...(loaded.fallbackReason ? { uwsUnavailable: loaded.fallbackReason } : {}) },
    `transport: ${loaded.transport.name}`,
  );
}
