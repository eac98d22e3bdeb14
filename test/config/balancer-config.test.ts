import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BALANCER_SETTINGS, parseBalancerConfig } from '../../src/config/balancer-config.js';
import { ConfigError } from '../../src/config/settings.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('parseBalancerConfig', () => {
  it('fills every setting from its default: port 6095 and the two local workers', () => {
    const config = parseBalancerConfig({}, {});
    for (const [name, spec] of Object.entries(BALANCER_SETTINGS)) assert.deepEqual(config[name as keyof typeof config], spec.default, name);
    assert.equal(config.port, 6095);
    assert.deepEqual(config.backends, ['ws://127.0.0.1:6093', 'ws://127.0.0.1:6094']);
    assert.ok(Object.isFrozen(config));
  });

  it('takes the backend list from repeated --backend flags', () => {
    const config = parseBalancerConfig({ backend: ['ws://a:1', 'wss://b.example/x', 'ws://10.0.0.3:6093'] }, {});
    assert.deepEqual(config.backends, ['ws://a:1', 'wss://b.example/x', 'ws://10.0.0.3:6093']);
  });

  it('takes the backend list from a comma-separated CHATTERBOX_BACKENDS, trimming blanks', () => {
    const config = parseBalancerConfig({}, { CHATTERBOX_BACKENDS: ' ws://a:1 ,ws://b:2,, ' });
    assert.deepEqual(config.backends, ['ws://a:1', 'ws://b:2']);
  });

  it('lets flags beat the environment', () => {
    const config = parseBalancerConfig(
      { backend: ['ws://flag:1'], port: '7000', rise: '4' },
      { CHATTERBOX_BACKENDS: 'ws://env:1', CHATTERBOX_LB_PORT: '8000', CHATTERBOX_LB_FALL: '5' },
    );
    assert.deepEqual(config.backends, ['ws://flag:1']);
    assert.equal(config.port, 7000);
    assert.equal(config.rise, 4);
    assert.equal(config.fall, 5);
  });

  it('names each bad backend URL', () => {
    const error = configError(() => parseBalancerConfig({ backend: ['ws://good:1', 'http://worker:6093', 'not a url'] }, {}));
    assert.deepEqual(error.problems, [
      "--backend (backends): 'http://worker:6093' must be a ws:// or wss:// URL",
      "--backend (backends): 'not a url' is not a URL",
    ]);
  });

  it('names a bad backend URL from the environment', () => {
    const error = configError(() => parseBalancerConfig({}, { CHATTERBOX_BACKENDS: 'ws://ok:1,ftp://nope' }));
    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0]!, /'ftp:\/\/nope' must be a ws:\/\/ or wss:\/\/ URL/);
  });

  it('regression: a bad URL is named alongside other bad settings, not hidden by them', () => {
    const error = configError(() => parseBalancerConfig({ port: 'x', backend: ['http://w:1'] }, { CHATTERBOX_LB_RISE: '0' }));
    assert.equal(error.problems.length, 3, error.problems.join('\n'));
    assert.ok(error.problems.some((p) => p.startsWith('--port (port)')));
    assert.ok(error.problems.some((p) => p.startsWith('CHATTERBOX_LB_RISE (rise)')));
    assert.ok(error.problems.some((p) => p.startsWith("--backend (backends): 'http://w:1'")));
  });

  it('names every out-of-range number', () => {
    const error = configError(() =>
      parseBalancerConfig(
        { 'health-interval-ms': '10', 'health-timeout-ms': '5', 'max-sessions-per-backend': '0' },
        { CHATTERBOX_LB_SEND_HIGH_WATER_BYTES: '100' },
      ),
    );
    const names = ['healthIntervalMs', 'healthTimeoutMs', 'maxSessionsPerBackend', 'sendHighWaterBytes'];
    assert.equal(error.problems.length, names.length, error.problems.join('\n'));
    for (const name of names)
      assert.ok(
        error.problems.some((p) => p.includes(`(${name})`)),
        name,
      );
  });
});
