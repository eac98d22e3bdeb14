import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpRequest } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { testTransport } from '../helpers/transport.js';
import { spawnWorkerProcess } from '../helpers/worker.js';
import { tryWebSocket } from '../helpers/ws-handshake.js';

const KEY = 'logged-never-0123456789abcdef';
const WRONG = 'wrong-never-0123456789abcdef';

describe('API keys and logs', () => {
  it('never writes a key, right or wrong, to the log, even at trace level', async (t) => {
    const worker = await spawnWorkerProcess(['--transport', testTransport(), '--auth', 'api-key'], { CHATTERBOX_API_KEYS: KEY, CHATTERBOX_LOG_LEVEL: 'trace' });
    t.after(() => worker.child.kill('SIGKILL'));
    const base = `127.0.0.1:${worker.port}`;
    for (const key of [KEY, WRONG]) {
      await httpRequest(`http://${base}/v1/tts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: '{"text":"Hi."}',
      });
      await tryWebSocket(`ws://${base}/v1/stream`, {
        headers: { authorization: `Bearer ${key}` },
        send: [{ type: 'start', id: 'a', text: 'Hi.' }],
        untilType: key === KEY ? 'done' : undefined,
      });
      await tryWebSocket(`ws://${base}/v1/stream`, { protocols: ['chatterbox.v1', `key.${key}`], untilFrames: 1 });
    }
    // The log reaches the pipe on its own time: wait for it rather than read it once.
    await pollUntil('the log to be captured', () => /worker listening/.test(worker.output()), { describe: worker.output });
    assert.doesNotMatch(worker.output(), /never-0123456789/);
  });
});
