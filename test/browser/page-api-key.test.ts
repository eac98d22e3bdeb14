// The page against a balancer with API keys on: it asks for a key on UNAUTHORIZED and keeps it for the tab.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import { startTestBalancer } from '../helpers/balancer.js';
import { launchChromium } from '../helpers/chromium.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

const KEY = 'page-key-0123456789abcdef';

let worker: TestWorker;
let balancer: BalancerServer;
let browser: Browser;

before(async () => {
  worker = await startTestWorker();
  balancer = await startTestBalancer([worker.port], { auth: 'api-key', 'api-key': KEY });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await balancer?.close();
  await worker?.close();
});

describe('browser page with API keys', () => {
  it('asks for a key until one is accepted, keeps it in sessionStorage, and reconnects with it after a reload', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const answers = ['wrong-key-0123456789abcdef', KEY];
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept(answers.shift() ?? '');
    });
    await page.goto(`http://127.0.0.1:${balancer.port}/`);
    await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'connected');
    assert.equal(asked.length, 2, 'asked once, and again after the wrong key');
    assert.match(asked[1] ?? '', /not accepted/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('chatterbox.apiKey')), KEY);
    await page.reload();
    await page.waitForFunction(() => document.getElementById('connection')?.dataset.state === 'connected');
    assert.equal(asked.length, 2, 'the kept key is used without asking');
  });
});
