import { TtsClient } from '../client/node/tts-client.js';
import { spawnWorkerProcess } from '../test/helpers/worker.js';
import { mean, printTable, quantile } from './stats.js';

const PARAGRAPH =
  'The quick brown fox jumps over the lazy dog. Streaming speech should start quickly, ' +
  'and it should keep flowing without gaps. This paragraph is long enough to produce several chunks of audio.';

interface RequestResult {
  ttfaMs: number;
  rtf: number;
}

async function speakMany(url: string, requests: number): Promise<RequestResult[]> {
  const client = await TtsClient.connect(url);
  const results: RequestResult[] = [];
  try {
    for (let i = 0; i < requests; i++) {
      const stream = client.speak(PARAGRAPH);
      for await (const _ of stream);
      const done = await stream.done;
      results.push({ ttfaMs: done.metrics.ttfaMs, rtf: done.metrics.rtf });
    }
  } finally {
    await client.close();
  }
  return results;
}

async function scrapeEventLoopP99Ms(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('chatterbox_nodejs_eventloop_lag_p99_seconds '));
  return Number(line?.split(' ')[1]) * 1000;
}

async function healthLatencies(httpUrl: string, stop: { done: boolean }): Promise<number[]> {
  const times: number[] = [];
  while (!stop.done) {
    const t0 = performance.now();
    await (await fetch(`${httpUrl}/health`)).json();
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}

/** TTFA and RTF for 1 and 8 concurrent sessions on a worker process running Flite, with event-loop delay under load. */
export async function benchWorker(): Promise<void> {
  const worker = await spawnWorkerProcess([], { CHATTERBOX_LOG_LEVEL: 'warn' });
  const wsUrl = `ws://127.0.0.1:${worker.port}/v1/stream`;
  const httpUrl = `http://127.0.0.1:${worker.port}`;
  try {
    await speakMany(wsUrl, 2); // warm-up: compile and first-touch caches
    const rows: Array<Array<string | number>> = [];
    for (const sessions of [1, 8]) {
      await scrapeEventLoopP99Ms(httpUrl); // prom-client resets the loop-delay histogram at each scrape
      const stop = { done: false };
      const health = healthLatencies(httpUrl, stop);
      const t0 = performance.now();
      const results = (await Promise.all(Array.from({ length: sessions }, () => speakMany(wsUrl, 4)))).flat();
      const wallS = (performance.now() - t0) / 1000;
      stop.done = true;
      const healthMs = await health;
      const loopP99 = await scrapeEventLoopP99Ms(httpUrl);
      const ttfa = results.map((r) => r.ttfaMs);
      rows.push([
        `${sessions} session${sessions > 1 ? 's' : ''}`,
        results.length,
        quantile(ttfa, 0.5),
        quantile(ttfa, 0.99),
        mean(results.map((r) => r.rtf)),
        results.length / wallS,
        loopP99,
        quantile(healthMs, 0.99),
      ]);
    }
    printTable(
      'Worker on Flite (loopback, one worker process)',
      ['load', 'requests', 'ttfa p50 ms', 'ttfa p99 ms', 'rtf mean', 'req/s', 'loop delay p99 ms', '/health p99 ms'],
      rows,
    );
  } finally {
    worker.child.kill('SIGTERM');
  }
}
