import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { longText } from '../helpers/audio.js';
import { httpRequest } from '../helpers/http.js';
import { startBalancerFor, startTestWorkerFor as worker } from '../helpers/per-test.js';
import { pollUntil } from '../helpers/poll.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { socketBufferBytes } from '../helpers/socket-buffers.js';

/** uWS closes an HTTP socket that has had no writable event for 10 s (not configurable); a reader must pause longer. */
const UWS_HTTP_TIMEOUT_MS = 10_000;

/**
 * kal16 at half speed in f32le: the most bytes per CPU second. Twice the kernel's socket buffers of audio for each of
 * the two hops through the balancer: with the bare two, the relayed answer sometimes fitted in the buffers of its two
 * sockets and finished without ever waiting for its reader.
 */
function slowBody(): string {
  const bytesPerSentence = 4.5 * 16000 * 4;
  const sentences = Math.min(150, Math.ceil((4 * socketBufferBytes()) / bytesPerSentence));
  return JSON.stringify({ text: longText(sentences), voice: 'kal16', params: { speed: 0.5 }, format: 'f32le' });
}

/**
 * POSTs to /v1/tts and returns the response with its body not yet read (paused). The socket is destroyed after test
 * `t`, so a failing test does not leave a paused answer holding the test process open.
 */
async function postPaused(t: TestContext, baseUrl: string, body: string): Promise<IncomingMessage> {
  const req = request(`${baseUrl}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false });
  t.after(() => req.destroy());
  req.end(body);
  const [res] = (await withTimeout(once(req, 'response'), 30_000, 'the response head')) as [IncomingMessage];
  res.pause();
  return res;
}

/** Reads the rest of a response; rejects when the server cut it short (an incomplete chunked body). */
function readToEnd(res: IncomingMessage): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      let bytes = 0;
      res.on('data', (part: Buffer) => (bytes += part.byteLength));
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`response cut after ${bytes} bytes`)));
      res.resume();
    }),
    60_000,
    'the whole body',
  );
}

async function balancerOver(t: TestContext, port: number): Promise<string> {
  const lb = await startBalancerFor(t, [port], { 'health-interval-ms': '100' });
  return `http://127.0.0.1:${lb.port}`;
}

async function workerHealth(httpUrl: string): Promise<{ pausedRequests: number }> {
  return JSON.parse((await httpRequest(`${httpUrl}/health`)).body.toString()) as { pausedRequests: number };
}

describe('slow HTTP readers', () => {
  it('regression: a client that stops reading a long /v1/tts answer for longer than the HTTP layer waits still gets all of it, directly and through the balancer', async (t) => {
    const w = await worker(t, { 'max-text-chars': '20000', 'send-high-water': '16384' });
    const lbUrl = await balancerOver(t, w.port);
    const body = slowBody();

    const direct = await postPaused(t, w.httpUrl, body);
    const relayed = await postPaused(t, lbUrl, body);
    // Both requests filled every buffer on their way and wait for their reader.
    let health: { pausedRequests: number } | undefined;
    await pollUntil(
      'both requests to wait for their readers',
      async () => {
        health = await workerHealth(w.httpUrl);
        return health.pausedRequests === 2;
      },
      { timeoutMs: 90_000, intervalMs: 100, describe: () => health },
    );
    // The time itself is what is tested: longer than uWS lets a socket go without a writable event.
    await new Promise((resolve) => setTimeout(resolve, UWS_HTTP_TIMEOUT_MS + 2_000));

    const [directBytes, relayedBytes] = await Promise.all([readToEnd(direct), readToEnd(relayed)]);
    assert.ok(directBytes > 2 * socketBufferBytes() * 0.9, `the answer (${directBytes} bytes) outgrew the socket buffers`);
    assert.equal(relayedBytes, directBytes, 'the same text gives the same audio through the balancer');
  });

  it('a request whose client reads nothing for --stall-timeout is cut visibly and counted as CLIENT_TOO_SLOW', async (t) => {
    const w = await worker(t, { 'max-text-chars': '20000', 'send-high-water': '16384', 'stall-timeout': '1' });
    const res = await postPaused(t, w.httpUrl, slowBody());
    const metrics = async () => (await httpRequest(`${w.httpUrl}/metrics`)).body.toString();
    await pollUntil('the stalled request to fail', async () => /chatterbox_errors_total\{code="CLIENT_TOO_SLOW"\} 1\b/.test(await metrics()), {
      timeoutMs: 90_000,
      intervalMs: 100,
    });
    await assert.rejects(readToEnd(res), /response cut|aborted|ECONNRESET/, 'the body reads as incomplete');
    assert.equal((await workerHealth(w.httpUrl)).pausedRequests, 0);
  });
});
