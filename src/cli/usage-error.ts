/** A command line that cannot run as given (missing or malformed argument); the CLI prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `value` as an integer in [min, max]; throws a UsageError naming `flag` otherwise. */
export function parseIntegerFlag(flag: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/** `value` if it is one of `choices`; throws a UsageError naming `flag` otherwise. */
export function parseChoiceFlag<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

/** `value` parsed as a JSON object of numbers (sampling parameters); throws a UsageError naming `flag` otherwise. */
export function parseParamsFlag(flag: string, value: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`${flag} is not valid JSON; expected an object such as '{"temperature":0.7}'`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'number')) {
    throw new UsageError(`${flag} must be a JSON object of numbers, such as '{"temperature":0.7}'`);
  }
  return parsed as Record<string, number>;
}
