import WebSocket from 'ws';
import { decodeServerMessage, encodeFrame } from '../../src/protocol/codec.js';
import type { ClientMessage } from '../../src/protocol/messages.js';
import type { SoakLedger } from './soak-ledger.js';

/** What one soak client does on one connection. */
export type Behaviour = 'sequential' | 'parallel' | 'cancel' | 'slow-reader' | 'non-reader' | 'drop-link' | 'bad-request';

/** How often each behaviour is picked (weights). */
export const BEHAVIOUR_WEIGHTS: Record<Behaviour, number> = {
  sequential: 30,
  parallel: 20,
  cancel: 15,
  'slow-reader': 12,
  'non-reader': 5,
  'drop-link': 10,
  'bad-request': 8,
};

const WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'speaks',
  'over',
  'a',
  'lazy',
  'dog',
  'seven',
  'hundred',
  'streaming',
  'voices',
  'café',
  'naïve',
  'twenty-one',
  'hello',
  'world',
  '42',
  'miles',
];

/** A random sentence or few: 1 to 60 words with punctuation. */
export function randomText(random: () => number): string {
  const count = 1 + Math.floor(random() ** 2 * 60);
  const words = Array.from({ length: count }, (_, i) => WORDS[Math.floor(random() * WORDS.length)]! + (i % 9 === 8 ? '.' : random() < 0.1 ? ',' : ''));
  return `${words.join(' ')}.`;
}

/** Picks a behaviour by its weight. */
export function pickBehaviour(random: () => number): Behaviour {
  const total = Object.values(BEHAVIOUR_WEIGHTS).reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (const [behaviour, weight] of Object.entries(BEHAVIOUR_WEIGHTS) as Array<[Behaviour, number]>) {
    r -= weight;
    if (r < 0) return behaviour;
  }
  return 'sequential';
}

/** Counters of connections, kept beside the ledger's counters of requests. */
export interface ConnectionTally {
  opened: number;
  refused: number;
  /** Close codes of connections the server closed while requests were in flight. */
  closedWithRequestsOpen: Record<string, number>;
}

/** Longest a request may run before the soak counts it as hung (it then never ends, which fails the soak). */
const REQUEST_DEADLINE_MS = 90_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One connection running one behaviour to its end. Never rejects: everything it sees goes into the tallies. */
export async function runEpisode(options: {
  url: string;
  behaviour: Behaviour;
  random: () => number;
  ledger: SoakLedger;
  connections: ConnectionTally;
  idPrefix: string;
}): Promise<void> {
  const { random, ledger, connections } = options;
  const ws = new WebSocket(options.url, { perMessageDeflate: false });
  ws.on('error', () => undefined);
  const ended = new Map<string, () => void>();
  const pending = new Set<string>();
  let ready!: () => void;
  const readyOrClosed = new Promise<void>((resolve) => (ready = resolve));
  let isReady = false;
  let firstAudio = new Map<string, () => void>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const now = performance.now();
    let message;
    try {
      message = decodeServerMessage(data);
    } catch {
      ledger.error(undefined, 'UNREADABLE_FRAME');
      return;
    }
    if (message.type === 'ready') {
      isReady = true;
      ready();
    } else if (message.type === 'audio') {
      ledger.audio(message.id, message.seq, message.samples, now);
      firstAudio.get(message.id)?.();
    } else if (message.type === 'done') {
      ledger.done(message.id, message.chunks, message.samples, message.cancelled);
      pending.delete(message.id);
      ended.get(message.id)?.();
    } else {
      ledger.error(message.id, message.code);
      if (message.id !== undefined) {
        pending.delete(message.id);
        ended.get(message.id)?.();
      }
    }
  });
  // Not events.once: it rejects on the 'error' that comes before a refused connection's 'close'.
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  void closed.then((code) => {
    ready();
    if (pending.size > 0 && isReady && !dropped) connections.closedWithRequestsOpen[code] = (connections.closedWithRequestsOpen[code] ?? 0) + 1;
    for (const resolve of ended.values()) resolve();
    for (const resolve of firstAudio.values()) resolve();
  });
  await readyOrClosed;
  if (!isReady) {
    connections.refused += 1;
    return;
  }
  connections.opened += 1;
  let n = 0;
  const start = (text = randomText(random)): { id: string; done: Promise<void>; audio: Promise<void> } => {
    const id = `${options.idPrefix}-${n++}`;
    const done = new Promise<void>((resolve) => ended.set(id, resolve));
    const audio = new Promise<void>((resolve) => firstAudio.set(id, resolve));
    ledger.started(id, performance.now());
    pending.add(id);
    const message: ClientMessage = { type: 'start', id, text, format: random() < 0.5 ? 's16le' : 'f32le' };
    ws.send(encodeFrame(message));
    return { id, done, audio };
  };
  const withDeadline = (done: Promise<void>) => Promise.race([done, delay(REQUEST_DEADLINE_MS)]);
  let dropped = false;
  const dropLink = () => {
    dropped = true;
    for (const id of pending) ledger.droppedByClient(id);
    ws.terminate();
  };

  switch (options.behaviour) {
    case 'sequential':
      for (let i = 1 + Math.floor(random() * 3); i > 0 && ws.readyState === WebSocket.OPEN; i--) await withDeadline(start().done);
      break;
    case 'parallel':
      await withDeadline(Promise.all(Array.from({ length: 2 + Math.floor(random() * 3) }, () => start().done)).then(() => undefined));
      break;
    case 'cancel': {
      const request = start();
      if (random() < 0.5) await Promise.race([request.audio, request.done]);
      else await delay(random() * 300);
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame({ type: 'cancel', id: request.id }));
      await withDeadline(request.done);
      break;
    }
    case 'slow-reader': {
      const request = start(randomText(random) + ' ' + randomText(random));
      let finished = false;
      void request.done.then(() => (finished = true));
      const deadline = performance.now() + REQUEST_DEADLINE_MS;
      while (!finished && performance.now() < deadline && ws.readyState === WebSocket.OPEN) {
        ws.pause();
        await delay(100 + random() * 700);
        ws.resume();
        await delay(20);
      }
      break;
    }
    case 'non-reader': {
      for (let i = 1 + Math.floor(random() * 4); i > 0; i--) start();
      ws.pause();
      await delay(2000 + random() * 6000);
      dropLink();
      break;
    }
    case 'drop-link': {
      const request = start();
      if (random() < 0.7) await Promise.race([request.audio, request.done, delay(2000)]);
      else await delay(random() * 200);
      dropLink();
      break;
    }
    case 'bad-request':
      // Refused with a coded error, each ending its request exactly once.
      await withDeadline(start(random() < 0.5 ? '   ' : 'x'.repeat(6000)).done);
      break;
  }
  firstAudio = new Map();
  if (ws.readyState === WebSocket.OPEN) {
    ws.close(1000);
    await Promise.race([closed, delay(5000)]);
  }
  if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}
