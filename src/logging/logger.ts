import pino, { type Logger } from 'pino';

export type { Logger };

/** Syslog priorities (RFC 5424) by pino level, so journald files each line under the right priority. */
const SYSLOG_PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/** The root logger: pino JSON on stdout. Components take `logger.child({ component })`. */
export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: options.name ?? 'chatterbox', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label, number) => ({ level: label, priority: SYSLOG_PRIORITY[number] ?? 6 }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
