/** One configurable setting: where it comes from (flag, env), its type, range and default. */
export interface SettingSpec {
  flag: string;
  env: string;
  kind: 'int' | 'number' | 'string' | 'enum' | 'list';
  default: number | string | string[] | undefined;
  min?: number;
  max?: number;
  choices?: readonly string[];
  description: string;
}

export type SettingsTable = Record<string, SettingSpec>;

type ValueOf<S extends SettingSpec> = S['kind'] extends 'int' | 'number'
  ? number
  : S['kind'] extends 'list'
    ? string[]
    : S['default'] extends undefined
      ? string | undefined
      : string;

/** The parsed, typed values of a settings table. */
export type SettingsOf<T extends SettingsTable> = { readonly [K in keyof T]: ValueOf<T[K]> };

/** A configuration that failed validation; `problems` names every bad setting. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function parseOne(name: string, spec: SettingSpec, raw: string | string[], source: string, problems: string[]): unknown {
  const where = `${source} (${name})`;
  if (spec.kind === 'list') return (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter(Boolean);
  const text = Array.isArray(raw) ? (raw.at(-1) ?? '') : raw;
  if (spec.kind === 'string') return text;
  if (spec.kind === 'enum') {
    if (!spec.choices?.includes(text)) problems.push(`${where}: '${text}' is not one of ${spec.choices?.join(', ')}`);
    return text;
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    problems.push(`${where}: '${text}' is not a number`);
    return spec.default;
  }
  if (spec.kind === 'int' && !Number.isInteger(value)) problems.push(`${where}: '${text}' is not an integer`);
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    problems.push(`${where}: ${value} is outside ${spec.min ?? '-∞'}..${spec.max ?? '∞'}`);
  }
  return value;
}

/**
 * Reads every setting of `table` from parsed flags, then the environment, then the default;
 * validates all of them and throws one ConfigError naming each bad setting. The result is frozen.
 */
export function readSettings<T extends SettingsTable>(
  table: T,
  flags: Record<string, string | string[] | boolean | undefined>,
  env: Record<string, string | undefined>,
  /** Checks across settings, run on the parsed values even when some are bad; returns problems. */
  validate?: (values: SettingsOf<T>) => string[],
): SettingsOf<T> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const flag = flags[spec.flag];
    const fromEnv = env[spec.env];
    if (typeof flag === 'string' || Array.isArray(flag)) values[name] = parseOne(name, spec, flag, `--${spec.flag}`, problems);
    else if (fromEnv !== undefined && fromEnv !== '') values[name] = parseOne(name, spec, fromEnv, spec.env, problems);
    else values[name] = spec.default;
  }
  // Values stay typed even when bad (an unreadable number reads as its default), so the cross-setting checks
  // run anyway and one error names every problem.
  if (validate) problems.push(...validate(values as SettingsOf<T>));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as SettingsOf<T>;
}

/** parseArgs option declarations for a table's flags (all take a value; lists may repeat). */
export function flagOptions(table: SettingsTable): Record<string, { type: 'string'; multiple?: boolean }> {
  return Object.fromEntries(Object.values(table).map((spec) => [spec.flag, spec.kind === 'list' ? { type: 'string', multiple: true } : { type: 'string' }]));
}

/** Help text listing each setting's flag, environment variable, default and meaning. */
export function describeSettings(table: SettingsTable): string {
  return Object.values(table)
    .map((spec) => {
      const def = spec.default === undefined ? '' : ` (default: ${Array.isArray(spec.default) ? spec.default.join(',') : spec.default})`;
      return `  --${spec.flag.padEnd(30)} ${spec.env}\n      ${spec.description}${def}`;
    })
    .join('\n');
}
