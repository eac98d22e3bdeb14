import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeSettings, flagOptions, readSettings, type SettingsTable } from '../../src/config/settings.js';

const TABLE = {
  port: { flag: 'port', env: 'T_PORT', kind: 'int', default: 80, min: 0, max: 65535, description: 'Port.' },
  ratio: { flag: 'ratio', env: 'T_RATIO', kind: 'number', default: 0.5, min: 0, max: 1, description: 'Ratio.' },
  name: { flag: 'name', env: 'T_NAME', kind: 'string', default: undefined, description: 'Name.' },
  mode: { flag: 'mode', env: 'T_MODE', kind: 'enum', default: 'a', choices: ['a', 'b'], description: 'Mode.' },
  peers: { flag: 'peer', env: 'T_PEERS', kind: 'list', default: [], description: 'Peers.' },
} as const satisfies SettingsTable;

/** The ConfigError `fn` throws; fails the test when it throws anything else or nothing. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('readSettings', () => {
  it('starts from the defaults', () => {
    assert.deepEqual({ ...readSettings(TABLE, {}, {}) }, { port: 80, ratio: 0.5, name: undefined, mode: 'a', peers: [] });
  });

  it('reads each kind from the environment', () => {
    const settings = readSettings(TABLE, {}, { T_PORT: '8080', T_RATIO: '0.25', T_NAME: 'x', T_MODE: 'b', T_PEERS: 'h1:1, h2:2,,' });
    assert.deepEqual({ ...settings }, { port: 8080, ratio: 0.25, name: 'x', mode: 'b', peers: ['h1:1', 'h2:2'] });
  });

  it('lets a flag beat the environment, setting by setting', () => {
    const settings = readSettings(TABLE, { port: '9000', peer: ['a', 'b'] }, { T_PORT: '8080', T_MODE: 'b', T_PEERS: 'c' });
    assert.equal(settings.port, 9000);
    assert.deepEqual(settings.peers, ['a', 'b']);
    assert.equal(settings.mode, 'b', 'a setting without a flag still comes from the environment');
  });

  it('takes the last of a repeated single-valued flag', () => {
    assert.equal(readSettings(TABLE, { port: ['1', '2'] }, {}).port, 2);
  });

  it('treats an empty environment variable as unset', () => {
    assert.equal(readSettings(TABLE, {}, { T_PORT: '' }).port, 80);
  });

  it('returns a frozen object', () => {
    const settings = readSettings(TABLE, {}, {});
    assert.ok(Object.isFrozen(settings));
    assert.throws(() => {
      (settings as { port: number }).port = 1;
    }, TypeError);
  });

  const bad: Array<{ name: string; flags?: Record<string, string>; env?: Record<string, string>; names: RegExp }> = [
    { name: 'a non-number', flags: { port: 'nope' }, names: /--port \(port\): 'nope' is not a number/ },
    { name: 'an empty flag', flags: { port: '' }, names: /--port \(port\): '' is not a number/ },
    { name: 'a fraction for an integer', env: { T_PORT: '1.5' }, names: /T_PORT \(port\): '1.5' is not an integer/ },
    { name: 'a number above the range', flags: { ratio: '2' }, names: /--ratio \(ratio\): 2 is outside 0..1/ },
    { name: 'a number below the range', env: { T_PORT: '-1' }, names: /T_PORT \(port\): -1 is outside 0..65535/ },
    { name: 'infinity', flags: { ratio: 'Infinity' }, names: /--ratio \(ratio\): 'Infinity' is not a number/ },
    { name: 'a value outside the choices', flags: { mode: 'c' }, names: /--mode \(mode\): 'c' is not one of a, b/ },
  ];
  for (const { name, flags = {}, env = {}, names } of bad) {
    it(`names the setting given ${name}`, () => {
      const err = configError(() => readSettings(TABLE, flags, env));
      assert.equal(err.problems.length, 1);
      assert.match(err.problems[0]!, names);
      assert.match(err.message, names);
    });
  }

  it('lists every bad setting in one error', () => {
    const err = configError(() => readSettings(TABLE, { port: 'x', mode: 'z' }, { T_RATIO: '7', T_PORT: '1' }));
    assert.equal(err.problems.length, 3);
    assert.deepEqual(
      err.problems.map((p) => /\((\w+)\)/.exec(p)?.[1]),
      ['port', 'ratio', 'mode'],
    );
  });
});

describe('flagOptions and describeSettings', () => {
  it('declares every flag as taking a value, and lists as repeatable', () => {
    assert.deepEqual(flagOptions(TABLE), {
      port: { type: 'string' },
      ratio: { type: 'string' },
      name: { type: 'string' },
      mode: { type: 'string' },
      peer: { type: 'string', multiple: true },
    });
  });

  it('documents each flag with its environment variable and default', () => {
    const help = describeSettings(TABLE);
    for (const spec of Object.values(TABLE)) {
      assert.match(help, new RegExp(`--${spec.flag}\\s+${spec.env}`));
    }
    assert.match(help, /Port\. \(default: 80\)/);
    assert.doesNotMatch(help, /Name\. \(default/);
  });
});
