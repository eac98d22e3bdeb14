import { createLogger, type Logger } from '../../src/logging/logger.js';
import { TtsError } from '../../src/protocol/errors.js';
import type { HttpHandler } from '../../src/transport/http-exchange.js';
import type { ListenRetryOptions } from '../../src/transport/listen-retry.js';
import { loadTransport } from '../../src/transport/load-transport.js';
import type { TransportChoice, TransportName, TransportServer } from '../../src/transport/transport.js';
import { loadNativeUws } from '../../src/transport/uws/load-uws.js';

/** The adapter the suite runs on: CHATTERBOX_TRANSPORT (so CI runs it once per adapter), `auto` by default. */
export function testTransport(): TransportChoice {
  return (process.env.CHATTERBOX_TRANSPORT ?? 'auto') as TransportChoice;
}

/** Adapters that can run here: node always, uws where its native binary loads. */
export function availableTransports(): TransportName[] {
  return loadNativeUws().ok ? ['uws', 'node'] : ['node'];
}

/** Serves `http` alone (the stream route refuses every connection) with adapter `name` on a free loopback port. */
export async function serveHttpWith(
  name: TransportName,
  http: HttpHandler,
  options: { port?: number; host?: string; retry?: ListenRetryOptions; logger?: Logger } = {},
): Promise<TransportServer> {
  const { transport } = await loadTransport(name);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  return transport.serve({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    http,
    logger,
    retry: options.retry,
    stream: {
      createSession: () => ({ open() {}, receive() {}, closed() {}, activeRequests: 0 }),
      maxConnections: 1,
      maxFrameBytes: 1024,
      idleTimeoutSec: 8,
      sendHighWaterBytes: 1024,
      maxSendBufferBytes: 65_536,
      isAccepting: () => new TtsError('NOT_READY', 'this server takes no sessions'),
      logger,
      onOpen: () => undefined,
      onClose: () => undefined,
    },
  });
}
