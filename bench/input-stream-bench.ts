import { once } from 'node:events';
import type { AudioMessage } from '../src/protocol/messages.js';
import { RawStream } from '../test/helpers/raw-stream.js';
import { spawnWorkerProcess } from '../test/helpers/worker.js';
import { benchPieceJoins } from './join-bench.js';
import { ensureBenchModel } from './models.js';
import { printTable } from './stats.js';

// Streamed input as a voice agent sends it: a reply fed word by word at a language model's pace, side by side with
// the same reply sent whole. Measured: first audio after the first sentence's text was sent (the whole text: after
// it was sent), the last audio after the last word was sent, and the playback stalls a listener who starts at the
// first audio would hear (audio arriving later than it is due).

const REPLY =
  'Sure, I can help with that. The train leaves at half past nine from platform four, and it takes about two hours. ' +
  'Would you like me to book a seat for you? I can also check the return times if you plan to come back today.';
const FIRST_SENTENCE_WORDS = REPLY.split('.')[0]!.split(' ').length;
const RATES_PER_SEC = [30, 80];

interface Timing {
  /** First audio after the first sentence's text was sent, in ms. */
  firstAudioMs: number;
  /** Last audio (done) after the last text was sent, in ms. */
  lastAudioMs: number;
  /** Playback stalls for a listener starting at the first audio, in ms. */
  stallMs: number;
  audioSec: number;
}

/** Playback from the first audio on: a chunk that arrives after the audio before it has played out is a stall. */
function stallsOf(arrivals: Array<{ atMs: number; samples: number }>, sampleRateHz: number): number {
  let playedUntil = Number.NaN;
  let stall = 0;
  for (const { atMs, samples } of arrivals) {
    if (Number.isNaN(playedUntil)) playedUntil = atMs;
    if (atMs > playedUntil) {
      stall += atMs - playedUntil;
      playedUntil = atMs;
    }
    playedUntil += (samples / sampleRateHz) * 1000;
  }
  return stall;
}

async function speak(url: string, id: string, ratePerSec: number | undefined): Promise<Timing> {
  const stream = await RawStream.open(url);
  try {
    const arrivals: Array<{ atMs: number; samples: number }> = [];
    stream.onFrame = (frame) => {
      if (frame.type === 'audio' && frame.id === id) arrivals.push({ atMs: performance.now(), samples: (frame as AudioMessage).samples });
    };
    const started = performance.now();
    let firstSentenceSent = started;
    let lastSent = started;
    if (ratePerSec === undefined) {
      stream.send({ type: 'start', id, text: REPLY });
    } else {
      stream.send({ type: 'start', id, input: 'stream' });
      const words = REPLY.split(/(?= )/u);
      for (const [index, word] of words.entries()) {
        const due = started + (index * 1000) / ratePerSec;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        stream.send({ type: 'text', id, text: word });
        if (index === FIRST_SENTENCE_WORDS - 1) firstSentenceSent = performance.now();
      }
      stream.send({ type: 'end', id });
      lastSent = performance.now();
    }
    const result = await stream.result(id, 120_000);
    if (result.end.type !== 'done') throw new Error(`${id}: ${result.end.code} ${result.end.message}`);
    const doneAt = performance.now();
    const rate = stream.ready.sampleRate;
    return {
      firstAudioMs: (arrivals[0]?.atMs ?? Number.NaN) - firstSentenceSent,
      lastAudioMs: doneAt - lastSent,
      stallMs: stallsOf(arrivals, rate),
      audioSec: result.end.samples / rate,
    };
  } finally {
    await stream.close();
  }
}

async function benchEngine(name: string, args: string[], rows: Array<Array<string | number>>): Promise<void> {
  const worker = await spawnWorkerProcess(args, { CHATTERBOX_LOG_LEVEL: 'warn' });
  try {
    const url = `ws://127.0.0.1:${worker.port}/v1/stream`;
    await speak(url, 'warm-up', undefined);
    const row = (label: string, t: Timing) => rows.push([name, label, t.firstAudioMs, t.lastAudioMs, t.stallMs, t.audioSec]);
    const whole = await speak(url, 'whole', undefined);
    row('whole text at once', whole);
    for (const rate of RATES_PER_SEC) {
      const fed = await speak(url, `fed-${rate}`, rate);
      row(`word by word, ${rate}/s`, fed);
      rows.push([name, `  extra vs whole`, fed.firstAudioMs - whole.firstAudioMs, fed.lastAudioMs - whole.lastAudioMs, fed.stallMs - whole.stallMs, '']);
    }
  } finally {
    const exited = once(worker.child, 'exit');
    worker.child.kill('SIGTERM');
    await exited;
  }
}

/** The input-stream section of `npm run bench`. */
export async function benchInputStream(): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  await benchEngine('flite', [], rows);
  await benchEngine('chatterbox tiny (cpu)', ['--model', await ensureBenchModel('tiny', 'fp32'), '--device', 'cpu'], rows);
  printTable(
    `Streamed input: a ${REPLY.split(' ').length}-word reply fed word by word vs sent whole (default --input-max-delay-ms)`,
    ['engine', 'input', 'first audio after 1st sentence sent ms', 'last audio after last text sent ms', 'playback stalls ms', 'audio s'],
    rows,
  );
  await benchPieceJoins();
}
