// End to end in headless Chromium: the page served by a real balancer, relaying to a real Flite worker.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TtsClient } from '../../client/node/tts-client.js';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { longText, readWavHeader } from '../helpers/audio.js';
import { startTestBalancer } from '../helpers/balancer.js';
import { launchChromium } from '../helpers/chromium.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

const ARTIFACTS = 'test-artifacts';
const SENTENCE = 'Hello from the browser test. The audio streams in while it plays.';

let worker: TestWorker;
let balancer: BalancerServer;
let browser: Browser;
let pageUrl: string;

before(async () => {
  worker = await startTestWorker();
  balancer = await startTestBalancer([worker.port]);
  pageUrl = `http://127.0.0.1:${balancer.port}/`;
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await balancer?.close();
  await worker?.close();
});

/** A fresh browser context on the page, connected; `problems` collects console errors and uncaught exceptions. */
async function openPage(t: TestContext): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  let closed = false;
  const close = async () => {
    if (!closed) await context.close();
    closed = true;
  };
  t.after(close);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'connected');
  return { page, problems, close };
}

/** The counters the page writes on the live view as the worklet reports them. */
async function live(page: Page): Promise<{ state: string; played: number; received: number; peak: number; seq: number; cancelled: boolean }> {
  return page.evaluate(() => {
    const d = document.getElementById('live')!.dataset;
    return {
      state: d.state ?? '',
      played: Number(d.playedSamples),
      received: Number(d.receivedSamples),
      peak: Number(d.peak),
      seq: Number(d.reportSeq),
      cancelled: d.cancelled === 'true',
    };
  });
}

async function workerHealth(): Promise<WorkerHealth> {
  return jsonOf<WorkerHealth>(await httpRequest(`${worker.httpUrl}/health`));
}

/** Polls the worker's /health until `check` holds; the deadline only turns a hang into a failure. */
async function waitForWorker(check: (h: WorkerHealth) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const h = await workerHealth();
    if (check(h)) return;
    if (Date.now() > deadline) assert.fail(`worker never reached ${what}: ${JSON.stringify(h)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The s16le bytes a Node client gets for `text` straight from the worker: what the page must have played. */
async function referenceAudio(text: string): Promise<Buffer> {
  const client = await TtsClient.connect(worker.wsUrl);
  try {
    const parts: Uint8Array[] = [];
    for await (const chunk of client.speak(text)) parts.push(chunk.pcm);
    return Buffer.concat(parts);
  } finally {
    await client.close();
  }
}

describe('browser page, served by the balancer', () => {
  it('shows the voices and the engine parameters from ready', async (t) => {
    const { page } = await openPage(t);
    const voices = await page.$$eval('#voice option', (options) => options.map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(voices, ['slt', 'rms', 'awb', 'kal16']);
    assert.equal(await page.inputValue('#voice'), 'slt');
    const speed = await page.$eval('#param-speed', (input) => [
      (input as HTMLInputElement).min,
      (input as HTMLInputElement).max,
      (input as HTMLInputElement).value,
    ]);
    assert.deepEqual(speed, ['0.25', '4', '1']);
  });

  it('speaks over Opus: the pages decode in the page and play, as long as the PCM would', async (t) => {
    const { page, problems } = await openPage(t);
    let oggPages = 0;
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload !== 'string' && payload.includes('OggS')) oggPages += 1;
      }),
    );
    // The page connected before the listener existed: load it again to watch its new socket.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'connected');
    await page.fill('#text', SENTENCE);
    await page.selectOption('#format', 'opus');
    await page.click('#speak');
    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'done', null, { timeout: 20_000 });
    const end = await live(page);
    const expectedSamples = (await referenceAudio(SENTENCE)).length / 2;
    // 20 ms Opus frames at the page's 16 kHz: the last frame's padding may play too.
    const frame = 320;
    assert.ok(end.received >= expectedSamples - frame && end.received <= expectedSamples + 2 * frame, `received ${end.received}, expected ${expectedSamples}`);
    assert.ok(oggPages > 0, 'the audio came as Ogg pages');
    assert.equal(end.played, end.received, 'the worklet played every decoded sample');
    assert.ok(end.peak > 0.05, `the worklet played sound, not silence (peak ${end.peak})`);
    assert.deepEqual(problems, [], 'no console errors: the decoder compiled its WebAssembly under the page policy');
  });

  it('speaks: audio reaches the worklet, TTFA shows, every sample plays, and the WAV holds what played', async (t) => {
    const { page, problems } = await openPage(t);
    await page.fill('#text', SENTENCE);
    await page.click('#speak');
    await page.waitForFunction(() => Number(document.getElementById('live')?.dataset.playedSamples) > 0);
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById('ttfa-client')?.dataset.ms ?? ''));
    const ttfaMs = Number(await page.getAttribute('#ttfa-client', 'data-ms'));
    assert.ok(ttfaMs > 0 && ttfaMs < 5000, `TTFA ${ttfaMs} ms`);
    t.diagnostic(`time to first audio, click to first sample played: ${ttfaMs} ms`);
    assert.match((await page.textContent('#ttfa-client')) ?? '', /^\d+ ms$/);

    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'done', null, { timeout: 20_000 });
    const end = await live(page);
    const expected = await referenceAudio(SENTENCE);
    assert.equal(end.received, expected.length / 2, 'the page received all the audio the worker makes for this text');
    assert.equal(end.played, end.received, 'the worklet played every received sample: nothing lost at chunk boundaries');
    assert.ok(end.peak > 0.05, `the worklet played sound, not silence (peak ${end.peak})`);
    assert.match((await page.textContent('#ttfa-server')) ?? '', /^\d+ ms$/);
    assert.match((await page.textContent('#rtf')) ?? '', /^\d+\.\d{3}$/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const wavPath = `${ARTIFACTS}/browser-download.wav`;
    await download.saveAs(wavPath);
    const wav = readFileSync(wavPath);
    const header = readWavHeader(wav);
    assert.deepEqual([header.riff, header.wave, header.sampleRateHz, header.channels, header.bitsPerSample], ['RIFF', 'WAVE', 16000, 1, 16]);
    assert.equal(header.dataSize, end.played * 2);
    assert.deepEqual(wav.subarray(44), expected, 'the WAV holds exactly the samples played');

    await page.screenshot({ path: `${ARTIFACTS}/browser-after-speak.png`, fullPage: true });
    assert.ok(statSync(`${ARTIFACTS}/browser-after-speak.png`).size > 10_000);
    assert.deepEqual(problems, [], 'no console errors (a CSP violation would be one)');
  });

  it('Stop silences playback at once, cancels the request, and the worker goes idle', async (t) => {
    const { page, problems, close } = await openPage(t);
    await page.fill('#text', longText(90));
    await page.click('#speak');
    await page.waitForFunction(() => Number(document.getElementById('live')?.dataset.playedSamples) > 0);
    assert.equal((await workerHealth()).activeRequests, 1, 'synthesis is still running when Stop is pressed');

    const before = await live(page);
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'stopped');
    const stopped = await live(page);
    // Without the worklet's stop, everything buffered at the click would play on. How much plays before silence depends
    // on how busy the machine is, so it is compared with what was buffered, not with a wall-clock limit.
    const afterClickSec = (stopped.played - before.played) / 16000;
    const bufferedSec = (before.received - before.played) / 16000;
    assert.ok(bufferedSec > 1, `${bufferedSec.toFixed(3)} s buffered at the click: too little for Stop to show anything`);
    assert.ok(afterClickSec < bufferedSec / 2, `${afterClickSec.toFixed(3)} s of the ${bufferedSec.toFixed(3)} s buffered played after Stop`);
    t.diagnostic(`Stop: ${(afterClickSec * 1000).toFixed(0)} ms of audio played after the last report before the click`);
    // The worklet reports every 40 ms of audio clock: ten more reports prove the clock ran on while nothing played.
    await page.waitForFunction((seq) => Number(document.getElementById('live')?.dataset.reportSeq) >= seq + 10, stopped.seq);
    const later = await live(page);
    assert.equal(later.played, stopped.played, 'no sample played after Stop');
    assert.ok(stopped.played < stopped.received, 'Stop dropped audio that had arrived but not played');

    await page.waitForFunction(() => document.getElementById('live')?.dataset.cancelled === 'true');
    await waitForWorker((h) => h.activeRequests === 0, 'activeRequests 0');
    assert.deepEqual(problems, []);

    await close();
    await waitForWorker((h) => h.sessions === 0, 'sessions 0 after the page closed');
  });

  it('a bad input shows an error in words, and the next request plays', async (t) => {
    const { page, problems } = await openPage(t);
    const cases = [
      { text: 'x'.repeat(5001), code: 'TEXT_TOO_LONG', words: /too long: this server speaks at most 5,000 characters/ },
      { text: '   ', code: 'TEXT_EMPTY', words: /nothing to say/ },
    ];
    for (const { text, code, words } of cases) {
      await page.fill('#text', text);
      await page.click('#speak');
      await page.waitForFunction((c) => !document.getElementById('error')?.hidden && document.getElementById('error-code')?.textContent === c, code);
      assert.match((await page.textContent('#error-text')) ?? '', words);
      assert.equal(await page.getAttribute('#live', 'data-state'), 'error');
    }
    assert.equal(await page.getAttribute('#char-count', 'class'), 'counter');

    await page.fill('#text', 'Working again.');
    await page.click('#speak');
    await page.waitForFunction(() => Number(document.getElementById('live')?.dataset.playedSamples) > 0);
    assert.equal(await page.isHidden('#error'), true, 'a new request clears the error');
    await page.fill('#text', 'And once more, back to back.');
    await page.click('#speak');
    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'done', null, { timeout: 20_000 });
    const end = await live(page);
    assert.equal(end.received, (await referenceAudio('And once more, back to back.')).length / 2, 'the second request replaced the first');
    assert.equal(end.played, end.received);
    assert.deepEqual(problems, []);
    await waitForWorker((h) => h.activeRequests === 0, 'activeRequests 0');
  });
});
