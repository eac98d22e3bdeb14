import { parseArgs } from 'node:util';
import { createBalancerServer } from '../balancer/balancer-server.js';
import { BALANCER_SETTINGS, parseBalancerConfig } from '../config/balancer-config.js';
import { describeSettings, flagOptions } from '../config/settings.js';
import { createLogger } from '../logging/logger.js';
import { drainOnSignals } from '../service/drain-on-signal.js';
import { notifySystemd } from '../service/systemd-notify.js';

/** `chatterbox balance`: the load balancer. Drains on SIGTERM/SIGINT (sessions end with 1012), then exits. */
export async function balanceCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(
      `Usage: chatterbox balance [--port 6095] --backend ws://HOST:PORT [--backend ...] [options]\n\nOptions (flag, environment variable):\n${describeSettings(BALANCER_SETTINGS)}`,
    );
    return;
  }
  const { values } = parseArgs({ args: argv, options: flagOptions(BALANCER_SETTINGS), allowPositionals: false });
  const config = parseBalancerConfig(values);
  const root = createLogger({ level: config.logLevel, format: config.logFormat, name: 'chatterbox-lb' });
  const server = await createBalancerServer(config, root);
  process.send?.({ type: 'listening', port: server.port });
  void notifySystemd({ ready: true, status: `balancing ${config.backends.length} workers on port ${server.port}` }, root);

  // A balancer that drained ends its sessions with 1012 (service restart): clients reconnect elsewhere.
  drainOnSignals(
    { startDraining: () => server.startDraining(), whenIdle: (ms) => server.whenIdle(ms), close: () => server.close(1012) },
    {
      drainTimeoutSec: config.drainTimeoutSec,
      logger: root.child({ component: 'balancer' }),
    },
  );
}
