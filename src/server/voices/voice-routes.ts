import type { HostedEngine } from '../../engine/host/engine-host.js';
import { isVoiceName } from '../../engine/voice-name.js';
import type { Logger } from '../../logging/logger.js';
import { TtsError, toTtsError } from '../../protocol/errors.js';
import { sendError, sendJson, type HttpExchange } from '../../transport/http-exchange.js';
import type { HttpRouter } from '../../transport/http-router.js';
import { formField, formFile } from '../multipart.js';
import { builtInVoices } from './library-engine.js';
import type { ClipLimits } from './reference-clip.js';
import { readReferenceClipInThread } from './clip-thread.js';
import { formParams, readForm } from './upload-form.js';
import type { VoiceStore } from './voice-store.js';

/** The voice library's HTTP paths. */
export const VOICES_PATH = '/v1/voices';

/** What the voice routes need. */
export interface VoiceRouteDeps {
  engine: HostedEngine;
  /** Undefined when the worker has no voices directory: uploads are refused. */
  store: VoiceStore | undefined;
  /** Largest upload body, in bytes. */
  maxUploadBytes: number;
  clipLimits: ClipLimits;
  logger: Logger;
}

function decodeName(encoded: string): string {
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    throw new TtsError('BAD_VOICE_NAME', 'the voice name is not valid percent-encoding');
  }
  if (!isVoiceName(name)) throw new TtsError('BAD_VOICE_NAME', "a voice name is 1-64 letters, digits, '-' or '_', starting with a letter or digit");
  return name;
}

function writableStore(deps: VoiceRouteDeps): VoiceStore {
  if (deps.engine.info.voiceCloning !== true) throw new TtsError('CLONING_UNSUPPORTED', 'cloning not supported by this engine');
  if (!deps.store) throw new TtsError('CLONING_UNSUPPORTED', 'this worker has no voices directory (--voices-dir): uploads are off');
  return deps.store;
}

/** Runs a handler once the engine is loaded, answering any error it throws as coded JSON. */
function guarded(http: HttpExchange, deps: VoiceRouteDeps, run: () => Promise<void> | void): void {
  const logger = deps.logger;
  void (async () => {
    try {
      if (deps.engine.state !== 'ready') throw new TtsError('NOT_READY', 'engine is loading');
      await run();
    } catch (err) {
      const error = toTtsError(err);
      if (error.code === 'INTERNAL') logger.error({ err: error, code: error.code }, 'voice library request failed');
      sendError(http, error);
    }
  })();
}

async function upload(http: HttpExchange, body: Promise<Uint8Array>, deps: VoiceRouteDeps): Promise<void> {
  const store = writableStore(deps);
  const parts = readForm(await body, http.header('content-type'));
  const name = formField(parts, 'name');
  if (name === undefined) throw new TtsError('BAD_MESSAGE', "field 'name' is missing");
  if (!isVoiceName(name)) throw new TtsError('BAD_VOICE_NAME', "a voice name is 1-64 letters, digits, '-' or '_', starting with a letter or digit");
  const info = deps.engine.info;
  const reserved = builtInVoices(info, store);
  if (reserved.includes(name) || store.describe(name)) throw new TtsError('VOICE_EXISTS', `a voice named '${name}' exists; delete it first`);
  const params = formParams(parts, info);
  const file = formFile(parts, 'file') ?? formFile(parts, 'audio');
  if (!file) throw new TtsError('BAD_MESSAGE', "the audio file is missing (a part named 'file')");
  const clip = await readReferenceClipInThread(file.data, deps.clipLimits);
  const record = await store.add(name, clip, params, reserved);
  deps.logger.info({ voice: name, durationSec: record.durationSec, container: clip.container }, 'voice stored');
  sendJson(http, 201, { ...record, source: clip.container });
}

function list(http: HttpExchange, deps: VoiceRouteDeps): void {
  const info = deps.engine.info;
  const builtIn = builtInVoices(info, deps.store).map((name) => ({ name, builtIn: true }));
  const stored = deps.store?.names().flatMap((name) => deps.store!.describe(name) ?? []) ?? [];
  sendJson(http, 200, { defaultVoice: info.defaultVoice, cloning: info.voiceCloning === true, voices: [...builtIn, ...stored] });
}

async function one(http: HttpExchange, rest: string, deps: VoiceRouteDeps): Promise<void> {
  const [encoded, sub, ...extra] = rest.split('/');
  if (encoded === undefined || extra.length > 0 || (sub !== undefined && sub !== 'audio'))
    throw new TtsError('NOT_FOUND', `no route for ${http.method} ${http.path}`);
  const name = decodeName(encoded);
  const store = deps.store;
  const builtIn = builtInVoices(deps.engine.info, store).includes(name);
  if (http.method === 'DELETE' && sub === undefined) {
    if (builtIn) throw new TtsError('FORBIDDEN', `'${name}' is one of the engine's own voices and cannot be deleted`);
    if (!store || !(await store.remove(name))) throw new TtsError('NOT_FOUND', `no voice named '${name}'`);
    // Requests that already hold the voice's conditioning finish with it; new ones get UNKNOWN_VOICE.
    deps.engine.forgetVoice?.(name);
    deps.logger.info({ voice: name }, 'voice deleted');
    sendJson(http, 200, { deleted: name });
    return;
  }
  if (http.method !== 'GET') throw new TtsError('METHOD_NOT_ALLOWED', sub === undefined ? 'use GET or DELETE' : 'use GET');
  if (sub === 'audio') {
    const audio = store?.readAudio(name);
    if (!audio) throw new TtsError('NOT_FOUND', builtIn ? `'${name}' is built into the engine and has no stored clip` : `no voice named '${name}'`);
    http.end(200, { 'content-type': 'audio/wav', 'cache-control': 'no-store' }, audio);
    return;
  }
  if (builtIn) return sendJson(http, 200, { name, builtIn: true });
  const record = store?.describe(name);
  if (!record) throw new TtsError('NOT_FOUND', `no voice named '${name}'`);
  sendJson(http, 200, record);
}

/** Adds `POST/GET /v1/voices`, `GET/DELETE /v1/voices/{name}` and `GET /v1/voices/{name}/audio`. */
export function attachVoiceRoutes(router: HttpRouter, deps: VoiceRouteDeps): void {
  router.on('POST', VOICES_PATH, (http) => {
    const body = http.readBody(deps.maxUploadBytes);
    body.catch(() => undefined);
    guarded(http, deps, () => upload(http, body, deps));
  });
  router.on('GET', VOICES_PATH, (http) => guarded(http, deps, () => list(http, deps)));
  router.on('*', VOICES_PATH, (http) => sendError(http, new TtsError('METHOD_NOT_ALLOWED', 'use GET or POST'), { allow: 'GET, POST' }));
  router.onPrefix('*', `${VOICES_PATH}/`, (http) => guarded(http, deps, () => one(http, http.path.slice(VOICES_PATH.length + 1), deps)));
}
