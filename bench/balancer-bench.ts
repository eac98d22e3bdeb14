import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeServerMessage, encodeFrame, peekFrameType } from '../src/protocol/codec.js';
import { spawnWorkerProcess } from '../test/helpers/worker.js';
import { printTable, quantile } from './stats.js';

// Our balancer against talking to a worker directly and against HAProxy (leastconn, WebSocket passthrough),
// in one run, on loopback, over the same two Flite worker processes. kal16 at speed 0.5 in f32le makes many
// bytes per CPU second of synthesis, so the relays carry a lot for little engine work.

const TTFA_ROUNDS = 100;
const IDLE_GAP_MS = 10;
const CONCURRENT_SESSIONS = 64;
const THROUGHPUT_MS = 5_000;
const IDLE_SESSIONS = 1_000;
const HEAVY = { voice: 'kal16', params: { speed: 0.5 }, format: 'f32le' } as const;
const SHORT_TEXT = 'Hello there. This is a short request.';
const LONG_TEXT = Array.from({ length: 30 }, (_, i) => `This is sentence number ${i + 1} of a long passage.`).join(' ');
const CLOCK_TICKS_PER_SEC = 100;

/** One way to reach the workers: session i goes to urls[i % urls.length]; `pid` is the relay process, if any. */
export interface Path {
  name: string;
  urls: string[];
  pid?: number;
}

/** What one path measured. */
export interface PathResult {
  ttfaMs: number[];
  frames: number;
  bytes: number;
  seconds: number;
  cpuSecPerGb?: number;
  rssMbPer1000?: number;
}

/** A lean client: counts audio frames and bytes without decoding them; one request at a time. */
class BenchSession {
  private current: { id: string; t0: number; ttfaMs?: number; frames: number; bytes: number; end: (type: string) => void } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const request = this.current;
      if (!request) return;
      const type = peekFrameType(data);
      if (type === 'audio') {
        request.ttfaMs ??= performance.now() - request.t0;
        request.frames += 1;
        request.bytes += data.byteLength;
      } else if (type === 'done' || type === 'error') {
        const message = decodeServerMessage(data);
        if ('id' in message && message.id === request.id) request.end(type === 'error' && message.type === 'error' ? message.code : 'done');
      }
    });
  }

  static async open(url: string): Promise<BenchSession> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', () => undefined);
    const [first] = (await once(ws, 'message')) as [Buffer];
    if (peekFrameType(first) !== 'ready') throw new Error(`${url}: first frame was ${peekFrameType(first)}`);
    return new BenchSession(ws);
  }

  /** Runs one request; resolves with its TTFA and the frames and bytes it received. */
  speak(
    id: string,
    text: string,
    onProgress?: (frames: number, bytes: number) => void,
  ): Promise<{ ttfaMs: number; frames: number; bytes: number; outcome: string }> {
    return new Promise((resolve) => {
      const request = {
        id,
        t0: performance.now(),
        frames: 0,
        bytes: 0,
        end: (outcome: string) => {
          this.current = undefined;
          onProgress?.(request.frames, request.bytes);
          resolve({ ttfaMs: request.ttfaMs ?? Number.NaN, frames: request.frames, bytes: request.bytes, outcome });
        },
      } as NonNullable<BenchSession['current']>;
      this.current = request;
      this.ws.send(encodeFrame({ type: 'start', id, text, ...HEAVY }));
    });
  }

  cancel(): void {
    if (this.current) this.ws.send(encodeFrame({ type: 'cancel', id: this.current.id }));
  }

  close(): void {
    this.ws.terminate();
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** CPU seconds (user + system, all threads) a process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1]) * 1024;
}

async function openSessions(path: Path, count: number, batch = 100): Promise<BenchSession[]> {
  const sessions: BenchSession[] = [];
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => BenchSession.open(path.urls[(i + j) % path.urls.length]!)));
    sessions.push(...opened);
  }
  return sessions;
}

/**
 * TTFA of short requests to an idle worker, one at a time, the paths taking turns (in a rotating order) so that
 * drift hits them alike. A request that reaches a worker within a few ms of its previous `done` starts up to
 * ~3 ms later (the engine thread is still finishing), so each request waits IDLE_GAP_MS after the last.
 */
async function measureTtfa(paths: Path[], results: Map<string, PathResult>): Promise<void> {
  const sessions = await Promise.all(paths.map((p) => BenchSession.open(p.urls[0]!)));
  for (const session of sessions) await session.speak('warm', SHORT_TEXT);
  for (let round = 0; round < TTFA_ROUNDS; round++) {
    for (let turn = 0; turn < paths.length; turn++) {
      const i = (round + turn) % paths.length;
      await new Promise((resolve) => setTimeout(resolve, IDLE_GAP_MS));
      const { ttfaMs } = await sessions[i]!.speak(`t${round}`, SHORT_TEXT);
      results.get(paths[i]!.name)!.ttfaMs.push(ttfaMs);
    }
  }
  for (const session of sessions) session.close();
}

/** 64 sessions each streaming long requests back to back for THROUGHPUT_MS; the relay's CPU over the same span. */
async function measureThroughput(path: Path, result: PathResult): Promise<void> {
  const sessions = await openSessions(path, CONCURRENT_SESSIONS, CONCURRENT_SESSIONS);
  const cpu0 = path.pid ? cpuSeconds(path.pid) : 0;
  const t0 = performance.now();
  const deadline = t0 + THROUGHPUT_MS;
  const stopTimer = setTimeout(() => sessions.forEach((s) => s.cancel()), THROUGHPUT_MS);
  await Promise.all(
    sessions.map(async (session, i) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const { frames, bytes, outcome } = await session.speak(`s${i}-${n}`, LONG_TEXT);
        if (outcome !== 'done') throw new Error(`${path.name}: request ended with ${outcome}`);
        result.frames += frames;
        result.bytes += bytes;
      }
    }),
  );
  clearTimeout(stopTimer);
  result.seconds = (performance.now() - t0) / 1000;
  if (path.pid) result.cpuSecPerGb = (cpuSeconds(path.pid) - cpu0) / (result.bytes / 1e9);
  for (const session of sessions) session.close();
}

/** Median of five RSS readings 200 ms apart, so that one garbage collection does not decide the figure. */
async function settledRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    readings.push(rssBytes(pid));
  }
  return quantile(readings, 0.5);
}

/** The relay's resident memory growth for IDLE_SESSIONS open, idle sessions, per 1000. */
async function measureIdleRss(path: Path, result: PathResult): Promise<void> {
  if (!path.pid) return;
  const before = await settledRss(path.pid);
  const sessions = await openSessions(path, IDLE_SESSIONS);
  const after = await settledRss(path.pid);
  result.rssMbPer1000 = ((after - before) / 1e6) * (1000 / IDLE_SESSIONS);
  for (const session of sessions) session.close();
}

function haproxyVersion(): string | undefined {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return undefined;
  }
}

async function startHaproxy(dir: string, workerPorts: number[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const config = [
    'global',
    '  maxconn 8000',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout tunnel 1h',
    '  timeout http-request 10s',
    'frontend tts',
    `  bind 127.0.0.1:${port}`,
    '  default_backend workers',
    'backend workers',
    '  balance leastconn',
    // uWS answers neither HTTP/1.0 nor HTTP/1.1 without a Host header, which the default check sends.
    '  option httpchk',
    '  http-check send meth GET uri /health ver HTTP/1.1 hdr Host localhost',
    '  http-check expect status 200',
    ...workerPorts.map((p, i) => `  server w${i} 127.0.0.1:${p} check inter 2s`),
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, `${config}\n`);
  const child = spawn('haproxy', ['-f', file, '-db', '-q'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('haproxy did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port };
}

/** A `chatterbox balance` process over the workers on `workerPorts`, with `extraArgs` (e.g. --transport). */
export async function startBalancer(workerPorts: number[], extraArgs: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const backends = workerPorts.flatMap((p) => ['--backend', `ws://127.0.0.1:${p}`]);
  const child = fork('bin/chatterbox.js', ['balance', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn', ...backends, ...extraArgs], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: message.port };
}

/** Two Flite worker processes sized for the bench's 1000 idle sessions. */
export function startBenchWorkers(): Promise<Array<{ child: ChildProcess; port: number }>> {
  const workerArgs = ['--log-level', 'warn', '--max-connections', '4096', '--max-queued', '1000'];
  return Promise.all([spawnWorkerProcess(workerArgs), spawnWorkerProcess(workerArgs)]);
}

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? Number.NaN : a / b);

const p50 = (r: PathResult) => quantile(r.ttfaMs, 0.5);
const p99 = (r: PathResult) => quantile(r.ttfaMs, 0.99);
const fps = (r: PathResult) => r.frames / r.seconds;
const mbps = (r: PathResult) => r.bytes / 1e6 / r.seconds;

/** The workload, in words, for table titles. */
export function setupLine(): string {
  return `2 Flite workers, kal16 at speed 0.5, f32le; TTFA over ${TTFA_ROUNDS} requests, throughput with ${CONCURRENT_SESSIONS} sessions for ${THROUGHPUT_MS / 1000} s, RSS with ${IDLE_SESSIONS} idle sessions`;
}

/** TTFA on every path in turn, then throughput and idle RSS path by path; the first path is the baseline. */
export async function measurePaths(paths: Path[]): Promise<Map<string, PathResult>> {
  const results = new Map(paths.map((p) => [p.name, { ttfaMs: [], frames: 0, bytes: 0, seconds: 0 } as PathResult]));
  await measureTtfa(paths, results);
  for (const path of paths) await measureThroughput(path, results.get(path.name)!);
  for (const path of paths) await measureIdleRss(path, results.get(path.name)!);
  return results;
}

/** One row per path: TTFA, TTFA added over the first path, throughput, relay CPU per GB and RSS per 1000 idle sessions. */
export function printPathTable(title: string, paths: Path[], results: Map<string, PathResult>): void {
  const direct = results.get(paths[0]!.name)!;
  printTable(
    title,
    ['path', 'ttfa p50 ms', 'ttfa p99 ms', 'added p50 ms', 'added p99 ms', 'frames/s', 'MB/s', 'relay cpu s/GB', 'relay RSS MB/1000 idle'],
    paths.map((path) => {
      const r = results.get(path.name)!;
      return [
        path.name,
        p50(r),
        p99(r),
        p50(r) - p50(direct),
        p99(r) - p99(direct),
        fps(r),
        mbps(r),
        r.cpuSecPerGb ?? Number.NaN,
        r.rssMbPer1000 ?? Number.NaN,
      ];
    }),
  );
}

/** Direct vs our balancer vs HAProxy: added TTFA, throughput at 64 sessions, relay CPU per GB and RSS per 1000 idle sessions. */
export async function benchBalancer(): Promise<void> {
  const version = haproxyVersion();
  if (!version) console.log('\nhaproxy not installed, skipped (apt-get install -y haproxy to compare against it)');
  const workers = await startBenchWorkers();
  const workerPorts = workers.map((w) => w.port);
  const dir = mkdtempSync(join(tmpdir(), 'lb-bench-'));
  const children: ChildProcess[] = workers.map((w) => w.child);
  try {
    const balancer = await startBalancer(workerPorts);
    children.push(balancer.child);
    const paths: Path[] = [
      { name: 'direct to a worker', urls: workerPorts.map((p) => `ws://127.0.0.1:${p}/v1/stream`) },
      { name: 'chatterbox balancer', urls: [`ws://127.0.0.1:${balancer.port}/v1/stream`], pid: balancer.child.pid! },
    ];
    if (version) {
      const haproxy = await startHaproxy(dir, workerPorts);
      children.push(haproxy.child);
      paths.push({ name: 'haproxy leastconn', urls: [`ws://127.0.0.1:${haproxy.port}/v1/stream`], pid: haproxy.child.pid! });
    }
    const results = await measurePaths(paths);
    const direct = results.get(paths[0]!.name)!;
    printPathTable(`Balancer on loopback: ${setupLine()}${version ? `; ${version}` : ''}`, paths, results);
    const ours = results.get('chatterbox balancer')!;
    const haproxy = results.get('haproxy leastconn');
    printTable(
      'Balancer ratios (ttfa: lower is better; frames/s, MB/s: higher is better; cpu and RSS: lower is better)',
      ['metric', 'balancer / direct', 'haproxy / direct', 'balancer / haproxy'],
      [
        [
          'ttfa p50',
          ratio(p50(ours), p50(direct)),
          haproxy ? ratio(p50(haproxy), p50(direct)) : Number.NaN,
          haproxy ? ratio(p50(ours), p50(haproxy)) : Number.NaN,
        ],
        [
          'ttfa p99',
          ratio(p99(ours), p99(direct)),
          haproxy ? ratio(p99(haproxy), p99(direct)) : Number.NaN,
          haproxy ? ratio(p99(ours), p99(haproxy)) : Number.NaN,
        ],
        [
          'frames/s',
          ratio(fps(ours), fps(direct)),
          haproxy ? ratio(fps(haproxy), fps(direct)) : Number.NaN,
          haproxy ? ratio(fps(ours), fps(haproxy)) : Number.NaN,
        ],
        [
          'MB/s',
          ratio(mbps(ours), mbps(direct)),
          haproxy ? ratio(mbps(haproxy), mbps(direct)) : Number.NaN,
          haproxy ? ratio(mbps(ours), mbps(haproxy)) : Number.NaN,
        ],
        ['relay cpu s/GB', Number.NaN, Number.NaN, ratio(ours.cpuSecPerGb, haproxy?.cpuSecPerGb)],
        ['relay RSS/1000 idle', Number.NaN, Number.NaN, ratio(ours.rssMbPer1000, haproxy?.rssMbPer1000)],
      ],
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
