import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBalancerConfig } from '../../src/config/balancer-config.js';
import { ConfigError } from '../../src/config/settings.js';
import { parseWorkerConfig } from '../../src/config/worker-config.js';

const parsers = { worker: parseWorkerConfig, balancer: parseBalancerConfig };

describe('--transport', () => {
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name}: auto by default, the flag over CHATTERBOX_TRANSPORT, anything else refused`, () => {
      assert.equal(parse({}, {}).transport, 'auto');
      assert.equal(parse({}, { CHATTERBOX_TRANSPORT: 'node' }).transport, 'node');
      assert.equal(parse({ transport: 'uws' }, { CHATTERBOX_TRANSPORT: 'node' }).transport, 'uws');
      assert.throws(
        () => parse({ transport: 'fast' }, {}),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith("--transport (transport): 'fast' is not one of auto, uws, node")),
      );
    });
  }
});
