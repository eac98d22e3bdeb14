import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BALANCER_SETTINGS, parseBalancerConfig } from '../../src/config/balancer-config.js';
import { ConfigError, type SettingsTable } from '../../src/config/settings.js';
import { WORKER_SETTINGS, parseWorkerConfig } from '../../src/config/worker-config.js';
import { fuzzParameters } from '../helpers/fuzz.js';

/** Text a setting may be given: numbers in and out of range, number syntaxes, choices, URLs, and noise. */
const rawValue = fc.oneof(
  fc.constantFrom('0', '1', '-1', '8', '1.5', '1e3', '0x10', ' 7 ', '', ' ', 'NaN', 'Infinity', '-0', '65536', '99999999999999999999', '1_000'),
  fc.constantFrom('auto', 'uws', 'node', 'cpu', 'cuda', 'fp16', 'info', 'silent', 'json', 'journal', 'AUTO'),
  fc.constantFrom('ws://127.0.0.1:6093', 'wss://h/x', 'http://h', 'ws://', 'ws://[::1]:1,ws://a:2', ',,', 'not a url'),
  fc.integer({ min: -70000, max: 70000 }).map(String),
  fc.string({ maxLength: 12 }),
);

/** Flags and environment for a table: a random subset of its settings, each from one place or both. */
function sources(table: SettingsTable) {
  const names = Object.keys(table);
  const entry = fc.tuple(fc.constantFrom(...names), fc.constantFrom('flag', 'env', 'list'), rawValue, rawValue);
  return fc.array(entry, { maxLength: 8 }).map((entries) => {
    const flags: Record<string, string | string[]> = {};
    const env: Record<string, string> = {};
    for (const [name, where, value, second] of entries) {
      const spec = table[name]!;
      if (where === 'env') env[spec.env] = value;
      else flags[spec.flag] = where === 'list' ? [value, second] : value;
    }
    return { flags, env };
  });
}

/** Checks a parsed config against its table: every value of its kind, numbers in range, choices among the choices. */
function assertWithinTable(table: SettingsTable, config: Record<string, unknown>): void {
  assert.ok(Object.isFrozen(config));
  for (const [name, spec] of Object.entries(table)) {
    const value = config[name];
    if (spec.kind === 'int' || spec.kind === 'number') {
      assert.ok(typeof value === 'number' && Number.isFinite(value), `${name}=${String(value)}`);
      if (spec.kind === 'int') assert.ok(Number.isInteger(value), `${name}=${value}`);
      assert.ok(value >= (spec.min ?? -Infinity) && value <= (spec.max ?? Infinity), `${name}=${value}`);
    } else if (spec.kind === 'enum') {
      assert.ok(spec.choices?.includes(value as string), `${name}=${String(value)}`);
    } else if (spec.kind === 'list') {
      assert.ok(Array.isArray(value) && value.every((item) => typeof item === 'string' && item.trim() === item && item !== ''), `${name}`);
    } else {
      assert.ok(value === undefined || typeof value === 'string', name);
    }
  }
}

function assertConfigError(err: unknown, table: SettingsTable): void {
  assert.ok(err instanceof ConfigError, `threw ${String(err)} rather than a ConfigError`);
  assert.ok(err.problems.length > 0);
  const names = Object.entries(table).flatMap(([name, spec]) => [name, spec.flag, spec.env]);
  for (const problem of err.problems)
    assert.ok(
      names.some((n) => problem.includes(n)),
      `a problem that names no setting: ${problem}`,
    );
}

describe('fuzz: configuration', () => {
  const cases: Array<[string, SettingsTable, (flags: Record<string, string | string[]>, env: Record<string, string>) => Record<string, unknown>]> = [
    ['worker', WORKER_SETTINGS, parseWorkerConfig],
    ['balancer', BALANCER_SETTINGS, parseBalancerConfig],
  ];
  for (const [name, table, parse] of cases) {
    it(`${name}: any flags and environment give a frozen config within the table or one ConfigError naming each bad setting`, () => {
      fc.assert(
        fc.property(sources(table), ({ flags, env }) => {
          let config;
          try {
            config = parse(flags, env);
          } catch (err) {
            assertConfigError(err, table);
            return;
          }
          assertWithinTable(table, config);
        }),
        fuzzParameters(800),
      );
    });
  }
});
