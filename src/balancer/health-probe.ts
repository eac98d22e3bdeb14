import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Largest /health body read, in bytes: the report is a few hundred. */
const MAX_HEALTH_BYTES = 64 * 1024;

/** Why a probe failed, for the backend's lastError. */
export class ProbeFailure extends Error {}

/** Keep-alive connections for one pool's health checks: one per worker, since checks of a worker never overlap. */
export function createProbeAgents(): { http: Agent; https: HttpsAgent; destroy(): void } {
  const http = new Agent({ keepAlive: true, maxSockets: 1 });
  const https = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
  return {
    http,
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}

function probeOnce(url: string, timeoutMs: number, agents: ReturnType<typeof createProbeAgents>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, { agent: secure ? agents.https : agents.http, headers: { accept: 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (part: Buffer) => {
        size += part.byteLength;
        if (size > MAX_HEALTH_BYTES) req.destroy(new ProbeFailure(`/health answer over ${MAX_HEALTH_BYTES} bytes`));
        else parts.push(part);
      });
      res.on('end', () => {
        clearTimeout(timer);
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    const timer = setTimeout(() => req.destroy(new ProbeFailure(`/health timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // A kept-alive connection cut along with a dropped link fails at once: that says nothing about the worker.
      if (req.reusedSocket && !(err instanceof ProbeFailure)) reject(Object.assign(new ProbeFailure(`/health failed: ${err.message}`), { stale: true }));
      else reject(err instanceof ProbeFailure ? err : new ProbeFailure(`/health failed: ${err.message}`));
    });
    req.end();
  });
}

/**
 * GETs `url` (a worker's /health) and parses the JSON body; rejects with a ProbeFailure naming the cause. A
 * kept-alive connection that fails at once is retried on a fresh one (Node's advice for reused sockets): a pooled
 * socket cut along with a dropped link must not fail the very check that tells a dropped link from a dead worker.
 */
export async function probeHealth(url: string, timeoutMs: number, agents: ReturnType<typeof createProbeAgents>): Promise<{ status: number; body: unknown }> {
  try {
    return await probeOnce(url, timeoutMs, agents);
  } catch (err) {
    if (!(err as { stale?: boolean }).stale) throw err;
    return probeOnce(url, timeoutMs, agents);
  }
}
