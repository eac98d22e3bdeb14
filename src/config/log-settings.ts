/** `--log-level` / CHATTERBOX_LOG_LEVEL, shared by the worker and the balancer. */
export const LOG_LEVEL_SETTING = {
  flag: 'log-level',
  env: 'CHATTERBOX_LOG_LEVEL',
  kind: 'enum',
  default: 'info',
  choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  description: 'Minimum log level.',
} as const;

/** `--log-format` / CHATTERBOX_LOG_FORMAT, shared by the worker and the balancer. */
export const LOG_FORMAT_SETTING = {
  flag: 'log-format',
  env: 'CHATTERBOX_LOG_FORMAT',
  kind: 'enum',
  default: 'auto',
  choices: ['auto', 'json', 'journal'],
  description: 'Log line format: json, journal (each line starts with <priority> for journald), or auto (journal when stdout is the systemd journal).',
} as const;
