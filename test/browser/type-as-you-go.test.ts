// The page's "type as you go" mode in headless Chromium against a real Flite worker: speech while the user types.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { TtsClient } from '../../client/node/tts-client.js';
import { launchChromium } from '../helpers/chromium.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

let worker: TestWorker;
let browser: Browser;

before(async () => {
  // Only sentence ends and Finish cut the typing, so the audio can be compared with the whole text's.
  worker = await startTestWorker({ 'input-max-delay-ms': '60000' });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await worker?.close();
});

async function referenceSamples(text: string): Promise<number> {
  const client = await TtsClient.connect(worker.wsUrl);
  try {
    let samples = 0;
    for await (const chunk of client.speak(text)) samples += chunk.samples;
    return samples;
  } finally {
    await client.close();
  }
}

describe('browser page: type as you go', () => {
  it('speaks each sentence once it is typed, and Finish speaks the rest, as one utterance', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    await page.goto(`${worker.httpUrl}/`);
    await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'connected');

    await page.check('#type-as-you-go');
    assert.equal(await page.inputValue('#text'), '', 'the mode starts from an empty box');
    assert.equal(await page.textContent('#speak'), 'Finish');
    await page.focus('#text');
    await page.keyboard.type('Hello as I type. And');
    // The first sentence plays while the second is still being typed.
    await page.waitForFunction(() => Number(document.getElementById('live')?.dataset.playedSamples) > 0, null, { timeout: 20_000 });
    assert.notEqual(await page.getAttribute('#live', 'data-state'), 'done');
    await page.keyboard.type(' then I finish.');
    await page.click('#speak');
    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'done', null, { timeout: 20_000 });

    const received = Number(await page.getAttribute('#live', 'data-received-samples'));
    const played = Number(await page.getAttribute('#live', 'data-played-samples'));
    assert.equal(received, await referenceSamples('Hello as I type. And then I finish.'), 'every typed word spoken once, as the whole text');
    assert.equal(played, received);

    // The next keystrokes start a new utterance.
    await page.fill('#text', '');
    await page.keyboard.type('Again.');
    await page.click('#speak');
    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'done', null, { timeout: 20_000 });
    assert.equal(Number(await page.getAttribute('#live', 'data-received-samples')), await referenceSamples('Again.'));
    assert.deepEqual(problems, []);
  });
});
