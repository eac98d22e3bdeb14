// A real balancer for tests: the settings every test repeats (test transport, loopback, a free port) filled in.
import { createBalancerServer, type BalancerServer } from '../../src/balancer/balancer-server.js';
import { parseBalancerConfig } from '../../src/config/balancer-config.js';
import { createLogger, type Logger } from '../../src/logging/logger.js';
import { testTransport } from './transport.js';

/** The logger tests give servers: silent unless TEST_LOG_LEVEL says otherwise. */
export function testLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/**
 * Starts a balancer on a free loopback port over `backends`: worker ports, or base URLs (`ws://host:port`).
 * `settings` are command-line settings by name (`'health-interval-ms': '100'`) and win over the defaults.
 */
export async function startTestBalancer(
  backends: readonly (number | string)[],
  settings: Record<string, string> = {},
  logger: Logger = testLogger(),
): Promise<BalancerServer> {
  const config = parseBalancerConfig(
    {
      transport: testTransport(),
      host: '127.0.0.1',
      port: '0',
      backend: backends.map((b) => (typeof b === 'number' ? `ws://127.0.0.1:${b}` : b)),
      ...settings,
    },
    {},
  );
  return createBalancerServer(config, logger);
}
