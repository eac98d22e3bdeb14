import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtsClient } from '../../client/node/tts-client.js';
import { runChatterboxCli as chatterbox } from '../helpers/cli.js';
import { startTestWorkerFor } from '../helpers/per-test.js';

const KEY = 'say-key-0123456789abcdef';

describe('clients with API keys', () => {
  it('chatterbox say sends the key from --api-key or CHATTERBOX_API_KEY, and fails with UNAUTHORIZED without it', async (t) => {
    const worker = await startTestWorkerFor(t, { auth: 'api-key', 'api-key': KEY });
    const env = { ...process.env, CHATTERBOX_API_KEY: undefined };
    const without = await chatterbox(['say', '--url', worker.wsUrl, 'Hello.'], { env });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /UNAUTHORIZED/);
    const withFlag = await chatterbox(['say', '--url', worker.wsUrl, '--api-key', KEY, 'Hello.'], { env });
    assert.equal(withFlag.code, 0, withFlag.stderr);
    const withEnv = await chatterbox(['say', '--url', worker.wsUrl, 'Hello.'], { env: { ...env, CHATTERBOX_API_KEY: KEY } });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    for (const result of [without, withFlag, withEnv]) assert.doesNotMatch(result.stdout + result.stderr, new RegExp(KEY));
  });

  it('the Node client connects with apiKey and is refused with UNAUTHORIZED without', async (t) => {
    const worker = await startTestWorkerFor(t, { auth: 'api-key', 'api-key': KEY });
    await assert.rejects(TtsClient.connect(worker.wsUrl), { code: 'UNAUTHORIZED' });
    const client = await TtsClient.connect(worker.wsUrl, { apiKey: KEY });
    t.after(() => client.close());
    assert.equal(client.ready.type, 'ready');
  });
});
