import { fstatSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export type { Logger };

/** How log lines are written: plain JSON, or JSON behind a `<priority>` prefix that journald reads. */
export type LogFormat = 'json' | 'journal';

/** Syslog priorities (RFC 5424) by pino level, so journald files each line under the right priority. */
const SYSLOG_PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

/** The syslog priority of a pino level number: trace/debug 7, info 6, warn 4, error 3, fatal 2 (others 6). */
export function syslogPriority(level: number): number {
  return SYSLOG_PRIORITY[level] ?? 6;
}

/**
 * True when file descriptor `fd` is the journal stream that systemd names in `JOURNAL_STREAM` ("device:inode").
 * The variable is inherited by children whose stdout goes elsewhere, so it only counts when fd's identity matches.
 * See systemd.exec(5), "$JOURNAL_STREAM".
 */
export function isJournalStream(journalStream: string | undefined, fd = 1): boolean {
  const match = /^(\d+):(\d+)$/.exec(journalStream ?? '');
  if (!match) return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return String(stat.dev) === match[1] && String(stat.ino) === match[2];
  } catch {
    return false;
  }
}

/**
 * The format a `--log-format` setting means here: `auto` is `journal` when stdout is the systemd journal.
 * JOURNAL_STREAM is set by systemd, not by users, which is why it is read here and not in src/config.
 */
export function resolveLogFormat(format: string | undefined, env: Record<string, string | undefined> = process.env): LogFormat {
  if (format === 'json' || format === 'journal') return format;
  return isJournalStream(env.JOURNAL_STREAM, 1) ? 'journal' : 'json';
}

type FlushableStream = pino.DestinationStream & { flush?: (cb?: (err?: Error) => void) => void };

/**
 * Wraps `target` so each line starts with `<N>`, N being the line's syslog priority: journald reads that prefix as
 * PRIORITY (SyslogLevelPrefix=yes, the default) and strips it, so `journalctl -p warning` finds warnings and errors.
 * Synchronous and allocation-light: pino hands the level over as stream metadata, no JSON is parsed.
 */
export function createJournalDestination(target: FlushableStream): pino.DestinationStream {
  const stream = {
    [pino.symbols.needsMetadataGsym]: true,
    lastLevel: 30,
    write(line: string): void {
      target.write(`<${syslogPriority(stream.lastLevel)}>${line}`);
    },
    flush(cb?: (err?: Error) => void): void {
      if (typeof target.flush === 'function') target.flush(cb);
      else cb?.();
    },
  };
  return stream;
}

/**
 * The root logger: pino JSON on stdout, one line per entry, each with a numeric `priority`; with `format: 'journal'`
 * (or `auto` when stdout is the journal) each line is prefixed `<priority>`. Components take `logger.child({ component })`.
 */
export function createLogger(options: { level?: string; name?: string; format?: string; destination?: pino.DestinationStream } = {}): Logger {
  const target = options.destination ?? pino.destination({ fd: 1, sync: false });
  // `auto` looks at stdout, so it only applies when the lines go there.
  const format = options.destination === undefined ? resolveLogFormat(options.format) : options.format === 'journal' ? 'journal' : 'json';
  const destination = format === 'journal' ? createJournalDestination(target) : target;
  return pino(
    {
      level: options.level ?? 'info',
      base: { name: options.name ?? 'chatterbox', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label, number) => ({ level: label, priority: syslogPriority(number) }) },
    },
    destination,
  );
}
