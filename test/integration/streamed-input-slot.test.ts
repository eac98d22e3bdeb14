// An idle streamed request holds no generation slot (issue 14): on a worker with one slot and no queue, a second
// client's request runs while the first streamed request waits for its next text, and the first one then takes a
// slot again and finishes with every sample, in order, as if its text had come at once.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { RawStream, assertCompleted, pcmOf } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

const FIRST = 'The first sentence is here.';
const SECOND = ' Then the second one comes, a little later.';

interface Health {
  activeRequests: number;
  queuedRequests: number;
  pausedRequests: number;
}

let worker: TestWorker;
before(async () => {
  // One slot, no queue: a request that finds the slot taken is refused at once (SERVER_BUSY).
  worker = await startTestWorker({ 'max-active': '1', 'max-queued': '0', 'input-max-delay-ms': '60000', 'input-idle-timeout': '60' });
});
after(() => worker.close());

async function connect(t: TestContext): Promise<RawStream> {
  const stream = await RawStream.open(worker.wsUrl);
  t.after(() => stream.close());
  return stream;
}

async function health(): Promise<Health> {
  return jsonOf<Health>(await httpRequest(`${worker.httpUrl}/health`));
}

/** Starts streamed request `id` with its first sentence spoken now, and waits until it is idle without a slot. */
async function idleStreamed(stream: RawStream, id: string): Promise<void> {
  stream.send({ type: 'start', id, input: 'stream', text: FIRST });
  stream.send({ type: 'flush', id });
  await stream.waitFor((frame) => frame.type === 'audio' && frame.id === id);
  await pollUntil('the idle streamed request to give its slot back', async () => {
    const h = await health();
    return h.activeRequests === 0 && h.pausedRequests === 1 && h;
  });
}

describe('an idle streamed request and the generation slot', () => {
  it('another client’s request runs while a streamed request waits for text; the streamed one then ends whole', async (t) => {
    const whole = await (await connect(t)).speak('whole', FIRST + SECOND);
    assertCompleted(whole);
    const streamed = await connect(t);
    await idleStreamed(streamed, 'a');

    const other = await connect(t);
    assertCompleted(await other.speak('b', 'Meanwhile another listener asks for this.'));

    streamed.send({ type: 'text', id: 'a', text: SECOND });
    streamed.send({ type: 'end', id: 'a' });
    const fed = await streamed.result('a');
    assertCompleted(fed);
    assert.ok(pcmOf(fed).equals(pcmOf(whole)), 'the streamed request spoke exactly the whole text’s samples');
    const { activeRequests, queuedRequests, pausedRequests } = await health();
    assert.deepEqual([activeRequests, queuedRequests, pausedRequests], [0, 0, 0]);
  });
});
